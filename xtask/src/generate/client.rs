//! The client of a version: one async method per operation, written with quote onto the
//! hand-written runtime (`generated/src`), which owns sending, retrying and decoding.
//!
//! progenitor's own method template is not used: it matches exact status codes and returns its
//! own error type, where this crate accepts any 2xx and returns one error type for every version.
//!
//! Each operation has a private request builder (`<operation>_call`) that the typed method and
//! the bulk helpers share, so the path, query and body are written once.

use std::collections::BTreeMap;

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

use super::{docs, inner_docs};
use crate::diff::{self, Change};
use crate::model::{
    BulkResult, Method, MethodKind, Operation, Param, ParamRole, Retry, SchemaName, Version,
};
use crate::path_template::Segment;
use crate::rust_types::{RustType, Scope};

/// The `mod.rs` of a version: docs, the `types` module, the `Client` and its methods.
pub fn client(version: &Version, previous: Option<(&str, Vec<Change>)>) -> TokenStream {
    let module_doc = inner_docs(&module_docs(
        version,
        previous.as_ref().map(|(before, _)| *before),
    ));
    let scopes_page = scopes_page(version);
    let changes_page = changes_page(version, previous);
    let name = &version.name;
    let client_doc = |map: &str| {
        docs(&format!(
            "A client for version {name} of the HubSpot CRM associations API.\n\n{map}\n\
             Create it from a [`Transport`], which holds the token, the rate limiter and the \
             retry policy; clients of several versions can share one transport, and so one \
             rate-limit budget."
        ))
    };
    // The impl of a deprecated client names it, which the compiler would warn about.
    let allow_deprecated = version
        .is_deprecated()
        .then(|| quote!(#[allow(deprecated)]));
    let deprecation = version.lifecycle.end_of_support.as_ref().map(|date| {
        let note = format!(
            "HubSpot ends support for version {name} on {date}; move to a date-based version (see the migration guide)."
        );
        quote!(#[deprecated(note = #note)])
    });
    let types_doc = docs(&match &version.lifecycle.end_of_support {
        Some(date) => format!(
            "The request and response bodies of version {name}.\n\nDeprecated with version {name}: HubSpot ends its support on {date}."
        ),
        None => format!("The request and response bodies of version {name}."),
    });
    // Looked up by id once, so that the file's cost grows with the spec, not its square.
    let operations: BTreeMap<&str, &Operation> = version
        .operations
        .iter()
        .map(|op| (op.id.as_str(), op))
        .collect();
    let mut derived: BTreeMap<&str, Vec<&Method>> = BTreeMap::new();
    for method in &version.methods {
        if method.kind != MethodKind::Call {
            derived.entry(&method.operation).or_default().push(method);
        }
    }
    let mut groups: BTreeMap<Group, Vec<(&str, TokenStream)>> = BTreeMap::new();
    for method in &version.methods {
        let Some(op) = operations.get(method.operation.as_str()).copied() else {
            continue;
        };
        let signature = signature(method);
        let code = match method.kind {
            MethodKind::Call => {
                let derived = derived.get(op.id.as_str()).map_or(&[][..], Vec::as_slice);
                let effects = Effects {
                    rejects: op.rejects_with_errors(&version.models),
                    changes_labels: version.changes_labels(op),
                };
                call_method(&signature, op, derived, &version.module, effects)
            }
            MethodKind::Pages => pages_method(&signature, op, version, &method.name),
            MethodKind::BatchAll => batch_all(&signature, op),
            MethodKind::BatchChunks => batch_chunks(&signature, op),
            MethodKind::ReadAll => read_all(&signature, op),
            MethodKind::ReadChunks => read_chunks(&signature, op),
            MethodKind::Labels => label_lookup(&signature, op, version),
            MethodKind::RefreshLabels => refresh_labels(&signature, version),
            MethodKind::FindLabel => find_label(&signature, version),
        };
        groups
            .entry(Group::of(method, op))
            .or_default()
            .push((&method.name, code));
    }
    let client_map = client_map(&groups);
    let client_doc = client_doc(&client_map);
    let impls = groups.iter().map(|(group, methods)| {
        let doc = docs(group.doc());
        let code = methods.iter().map(|(_, code)| code);
        quote! {
            #doc
            #allow_deprecated
            impl Client {
                #(#code)*
            }
        }
    });
    let builders = version.operations.iter().map(request_builder);
    let call_json = call_json(version);
    let queries = version.operations.iter().filter_map(query_struct);
    let context = context_names(version);
    quote! {
        #module_doc

        #types_doc
        pub mod types;

        #scopes_page

        #changes_page

        use crate::operation::Operation;
        use crate::transport::Call;
        use crate::url_path::segment;
        use crate::{CallOptions, Error, Response, RetryClass, Transport};
        use reqwest::Method;

        /// The version as HubSpot names it in paths.
        pub const VERSION: &str = #name;

        #context

        #(#queries)*

        #client_doc
        #deprecation
        #[derive(Clone, Debug)]
        pub struct Client {
            transport: Transport,
        }

        #allow_deprecated
        impl Client {
            /// A client that sends its requests through `transport`.
            pub fn new(transport: Transport) -> Self {
                Self { transport }
            }

            /// The transport this client sends through.
            pub fn transport(&self) -> &Transport {
                &self.transport
            }

            /// A copy of this client whose calls use `options`, such as a longer timeout for a
            /// large batch. The copy shares the rate limiter of this client.
            pub fn with_options(&self, options: CallOptions) -> Self {
                Self {
                    transport: self.transport.with_options(options),
                }
            }

            #call_json

            #(#builders)*
        }

        #(#impls)*
    }
}

/// The headings a client's methods come under, in the order of its docs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Group {
    Single,
    Bulk,
    Labels,
    Limits,
}

impl Group {
    /// A method's heading: bulk helpers by their kind, label lookups and the operations on
    /// labels or limits by their path, every other operation a single request.
    fn of(method: &Method, op: &Operation) -> Self {
        let under = |word: &str| {
            op.path
                .segments()
                .iter()
                .any(|segment| matches!(segment, Segment::Literal(text) if text == word))
        };
        match method.kind {
            MethodKind::BatchAll
            | MethodKind::BatchChunks
            | MethodKind::ReadAll
            | MethodKind::ReadChunks
            | MethodKind::Pages => Self::Bulk,
            MethodKind::Labels | MethodKind::RefreshLabels | MethodKind::FindLabel => Self::Labels,
            MethodKind::Call if under("labels") => Self::Labels,
            // HubSpot's limits live under `definitions/configurations`.
            MethodKind::Call if under("limits") || under("configurations") => Self::Limits,
            MethodKind::Call => Self::Single,
        }
    }

    fn title(self) -> &'static str {
        match self {
            Self::Single => "Single requests",
            Self::Bulk => "Bulk helpers",
            Self::Labels => "Labels",
            Self::Limits => "Association limits",
        }
    }

    /// The docs of its impl block.
    fn doc(self) -> &'static str {
        match self {
            Self::Single => {
                "# Single requests\n\nOne method per operation, one HTTP request per call (a batch \
                 operation's request carries at most its cap of inputs), retried as its \
                 operation allows."
            }
            Self::Bulk => {
                "# Bulk helpers\n\nAny number of inputs or pages: `*_all` collects one outcome, \
                 `*_chunks` and `*_stream` give each request's outcome or each item as it comes, \
                 split at HubSpot's caps and sent under the rate limiter."
            }
            Self::Labels => {
                "# Labels\n\nThe association types between two object types: the operations on \
                 labels, and lookups by name cached per transport, which the operations that \
                 change labels keep true."
            }
            Self::Limits => {
                "# Association limits\n\nHow many records of one type a record may be associated \
                 with, per association type."
            }
        }
    }
}

/// The opening of the client's docs: its methods under their headings, a few of each named.
fn client_map(groups: &BTreeMap<Group, Vec<(&str, TokenStream)>>) -> String {
    let mut map = String::from("Its methods, by heading:\n\n");
    for (group, methods) in groups {
        let named: Vec<String> = methods
            .iter()
            .take(3)
            .map(|(name, _)| format!("[`{name}`](Self::{name})"))
            .collect();
        let more = match methods.len().saturating_sub(named.len()) {
            0 => String::new(),
            rest => format!(" and {rest} more"),
        };
        map.push_str(&format!(
            "- **{}**: {}{more}\n",
            group.title(),
            named.join(", ")
        ));
    }
    map
}

/// How the errors of the version's batch answers name records: the JSON names of the key
/// fields of its batch types, by side. `None` for a version without batch operations.
fn context_names(version: &Version) -> Option<TokenStream> {
    if version.keyed.is_empty() {
        return None;
    }
    let from = version.context_names(crate::model::Side::From).into_iter();
    let to = version.context_names(crate::model::Side::To).into_iter();
    Some(quote! {
        /// How the errors of this version's batch answers name the records of the inputs they
        /// concern: the JSON names of the fields of its batch types that hold the records.
        const CONTEXT: crate::bulk::ContextNames = crate::bulk::ContextNames {
            from: &[#(#from),*],
            to: &[#(#to),*],
        };
    })
}

/// `tests/decoding/versions.rs`: the property tests of every version's success types, each
/// version's behind its feature; the hand-written `tests/decoding.rs` includes it.
pub fn decoding_tests_file(versions: &[Version]) -> TokenStream {
    let modules = versions.iter().map(decoding_tests);
    quote! {
        //! One module of property tests per version.

        #(#modules)*
    }
}

/// The property tests of every success type of the version, as a module of the crate's
/// `tests/decoding.rs`: decoding arbitrary bytes or JSON never panics, and what decodes encodes
/// and decodes again to the same value.
pub fn decoding_tests(version: &Version) -> TokenStream {
    let mut bodies: Vec<RustType> = version
        .operations
        .iter()
        .filter_map(|op| op.success.body.as_ref().map(SchemaName::rust_type))
        .collect();
    bodies.sort();
    bodies.dedup();
    let types = bodies.iter().map(|ty| ty.tokens(Scope::Client));
    let mut keys: Vec<String> = version
        .models
        .structs
        .values()
        .flat_map(|fields| fields.keys().cloned())
        .collect();
    keys.sort();
    keys.dedup();
    let module = format_ident!("{}", version.module);
    let enum_values = version.enums.iter().flat_map(|open| {
        let name = format_ident!("{}", open.name);
        open.values.iter().map(move |value| {
            quote! {
                let known = types::#name::from(#value);
                assert_eq!(known.as_str(), #value);
                assert_ne!(known, types::#name::Other(#value.to_owned()), "{} is documented", #value);
            }
        })
    });
    super::version_test_module(
        version,
        quote! {
            use hubspot_associations::#module::types;
            use proptest::prelude::*;

            use crate::support::{decode, json};

            /// The property names of the version's schemas.
            const KEYS: &[&str] = &[#(#keys),*];

            fn decode_every_success_type(bytes: &[u8]) {
                #( decode::<#types>(bytes); )*
            }

            /// Every value the spec documents for an open enum has a variant of its own.
            #[test]
            fn documented_enum_values_are_named() {
                #( #enum_values )*
            }

            proptest! {
                #[test]
                fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
                    decode_every_success_type(&bytes);
                }

                #[test]
                fn arbitrary_json(value in json(KEYS)) {
                    decode_every_success_type(value.to_string().as_bytes());
                }
            }
        },
    )
}

/// The docs of a version's module: what it is, and its operations. The long parts have pages
/// of their own, so that the module's items come first: [`scopes_page`] and [`changes_page`].
fn module_docs(version: &Version, previous: Option<&str>) -> String {
    let mut doc = format!("Version {} of {}.\n\n", version.name, version.title);
    if let Some(description) = &version.description {
        doc.push_str(description.trim());
        doc.push_str("\n\n");
    }
    if let Some(date) = &version.lifecycle.end_of_support {
        doc.push_str(&format!(
            "**End of support: {date}.** Its items are marked deprecated so that the compiler \
             reminds every user before HubSpot turns it off.\n\n"
        ));
    }
    doc.push_str(&format!(
        "Generated from `{}`; enable it with the cargo feature `{}`.",
        version.source.to_string_lossy().replace('\\', "/"),
        version.module
    ));
    let mut pages = Vec::new();
    if version.operations.iter().any(|op| !op.scopes.is_empty()) {
        pages.push("the OAuth scopes its operations take are in [`scopes`]".to_owned());
    }
    if let Some(before) = previous {
        pages.push(format!("what changed from {before} is in [`changes`]"));
    }
    if !pages.is_empty() {
        doc.push_str(&format!(" Besides the items below, {}.", pages.join("; ")));
    }
    doc.push_str(
        "\n\n| method | HTTP | documented success | retried | inputs per request |\n|---|---|---|---|---|\n",
    );
    for op in &version.operations {
        doc.push_str(&format!(
            "| [`{id}`](Client::{id}) | `{method} {path}` | {statuses} | {retry} | {cap} |\n",
            id = op.id,
            method = op.method,
            path = op.path,
            statuses = op.success.documented_text(", "),
            retry = match op.retry {
                Retry::Idempotent => "yes",
                Retry::Batch => "yes (batch)",
                Retry::Never => "no",
            },
            cap = match (&op.bulk, op.batch_cap()) {
                (_, Some(cap)) => cap.to_string(),
                (Some(_), None) => "no cap documented".to_owned(),
                (None, None) => "-".to_owned(),
            }
        ));
    }
    doc
}

/// The page of what changed from the previous version, a module of its own.
fn changes_page(version: &Version, previous: Option<(&str, Vec<Change>)>) -> Option<TokenStream> {
    let (before, changes) = previous?;
    let doc = docs(&format!(
        "What changed from {before} to {name}, for a program that moves: breaking changes \
         first, then changes of behaviour (such as the success codes a program that checks \
         `http_status()` sees), then the rest.\n\n{}",
        diff::grouped(&changes, 1),
        name = version.name,
    ));
    Some(quote! {
        #doc
        pub mod changes {}
    })
}

/// The page of the OAuth scopes, a module of its own. (Its docs are outer docs, so their links
/// resolve in the version's module, as `Client::list`.)
fn scopes_page(version: &Version) -> Option<TokenStream> {
    let text = scopes_section(version)?;
    let doc = docs(&text);
    Some(quote! {
        #doc
        pub mod scopes {}
    })
}

/// The sets of OAuth scopes the operations take, each listed once, for the module docs; every
/// method's docs point here.
fn scopes_section(version: &Version) -> Option<String> {
    let mut sets: Vec<(&[String], Vec<&str>)> = Vec::new();
    for op in version.operations.iter().filter(|op| !op.scopes.is_empty()) {
        match sets
            .iter_mut()
            .find(|(scopes, _)| *scopes == op.scopes.as_slice())
        {
            Some((_, ops)) => ops.push(&op.id),
            None => sets.push((&op.scopes, vec![&op.id])),
        }
    }
    if sets.is_empty() {
        return None;
    }
    let mut text = format!(
        "The OAuth scopes of version {}'s operations.\n\nAs HubSpot publishes them: an OAuth \
         app's token (or a private app's) lets a call through when it has any one of the scopes \
         its operation lists, in practice the read or write scope of the records' object types. \
         [`crate::OperationInfo::scopes`] has each operation's list.\n",
        version.name
    );
    let code = |scopes: &mut dyn Iterator<Item = &String>| -> String {
        scopes
            .map(|scope| format!("`{scope}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    for (index, (scopes, ops)) in sets.iter().enumerate() {
        let ops: Vec<String> = ops
            .iter()
            .map(|id| format!("[`{id}`](Client::{id})"))
            .collect();
        // A list that differs from one above by a few scopes is told by the difference.
        let near = sets[..index].iter().find_map(|(earlier, _)| {
            let lost: Vec<&String> = earlier.iter().filter(|s| !scopes.contains(s)).collect();
            let gained: Vec<&String> = scopes.iter().filter(|s| !earlier.contains(s)).collect();
            (lost.len() + gained.len() <= 10).then_some((earlier, lost, gained))
        });
        let listed = match near {
            Some((earlier, lost, gained)) => {
                let mut text = format!("the {} above", earlier.len());
                if !lost.is_empty() {
                    text.push_str(&format!(" without {}", code(&mut lost.into_iter())));
                }
                if !gained.is_empty() {
                    text.push_str(&format!(" and with {}", code(&mut gained.into_iter())));
                }
                text
            }
            None => format!("these {}: {}", scopes.len(), code(&mut scopes.iter())),
        };
        text.push_str(&format!("\n{}: any one of {listed}.\n", ops.join(", ")));
    }
    Some(text)
}

/// `let object_type = object_type.into();` for each parameter a method takes as
/// `impl Into<...>`, so that the body uses it as its own type.
fn conversions<'a>(params: impl Iterator<Item = &'a Param>) -> TokenStream {
    let lets = params.filter_map(|param| {
        let ident = format_ident!("{}", param.rust_name);
        let ty = match param.role {
            ParamRole::ObjectType => crate::rust_types::Runtime::ObjectType,
            ParamRole::ObjectId => crate::rust_types::Runtime::ObjectId,
            _ => return None,
        };
        Some(quote!(let #ident: #ty = #ident.into();))
    });
    quote!(#(#lets)*)
}

/// The struct of an operation's optional query parameters, with `Default`.
fn query_struct(op: &Operation) -> Option<TokenStream> {
    let name = op.query_type()?;
    let ident = format_ident!("{name}");
    let fields = op
        .params
        .iter()
        .filter(|p| p.role == ParamRole::OptionalQuery)
        .map(|param| {
            let field = format_ident!("{}", param.rust_name);
            let ty = param.scalar.owned().tokens(Scope::Client);
            let doc = docs(
                param
                    .description
                    .as_deref()
                    .unwrap_or("See the HubSpot documentation."),
            );
            quote! {
                #doc
                pub #field: Option<#ty>,
            }
        });
    let doc = docs(&format!(
        "The optional query parameters of [`Client::{id}`]: `{name}::default()` for none.",
        id = op.id
    ));
    Some(quote! {
        #doc
        #[derive(Clone, Debug, Default, PartialEq, Eq)]
        pub struct #ident {
            #(#fields)*
        }
    })
}

/// `pub async fn name(&self, args) -> returns`, exactly as the model says.
fn signature(method: &Method) -> TokenStream {
    let name = format_ident!("{}", method.name);
    let args = method.args.iter().map(|arg| {
        let ident = format_ident!("{}", arg.name);
        let ty = arg.ty.tokens(Scope::Client);
        quote!(#ident: #ty)
    });
    let returns = method.returns.tokens(Scope::Client);
    let asyncness = method.is_async.then(|| quote!(async));
    quote!(pub #asyncness fn #name(&self, #(#args),*) -> #returns)
}

fn builder_name(op: &Operation) -> proc_macro2::Ident {
    format_ident!("{}_call", op.id)
}

/// A parameter of an operation's request builder: its name, its type, and what a method that
/// converted its own arguments passes for it.
struct BuilderParam {
    ident: proc_macro2::Ident,
    ty: TokenStream,
    passed: TokenStream,
}

/// The parameters of an operation's request builder: path parameters converted (borrowed),
/// required query parameters, the query value and the body.
fn builder_params(op: &Operation) -> Vec<BuilderParam> {
    let mut params: Vec<BuilderParam> = op
        .params
        .iter()
        .filter(|p| p.role != ParamRole::OptionalQuery)
        .map(|param| {
            let ident = format_ident!("{}", param.rust_name);
            let (ty, passed) = match param.role {
                ParamRole::ObjectType => (
                    RustType::Runtime(crate::rust_types::Runtime::ObjectType).borrowed(),
                    quote!(&#ident),
                ),
                ParamRole::ObjectId => (
                    RustType::Runtime(crate::rust_types::Runtime::ObjectId).borrowed(),
                    quote!(&#ident),
                ),
                _ => (param.scalar.borrowed(), quote!(#ident)),
            };
            BuilderParam {
                ty: ty.tokens(Scope::Client),
                ident,
                passed,
            }
        })
        .collect();
    if let Some(query) = op.query_type() {
        let query = format_ident!("{query}");
        params.push(BuilderParam {
            ident: format_ident!("query"),
            ty: quote!(&#query),
            passed: quote!(&query),
        });
    }
    if let Some(body) = &op.body {
        params.push(BuilderParam {
            ident: format_ident!("body"),
            ty: body.argument_type().tokens(Scope::Client),
            passed: quote!(body),
        });
    }
    params
}

/// The request of an operation: method, path, query and body.
fn request_builder(op: &Operation) -> TokenStream {
    let name = builder_name(op);
    let params = builder_params(op)
        .into_iter()
        .map(|BuilderParam { ident, ty, .. }| quote!(#ident: #ty));
    let path = path_expression(op);
    let id = &op.id;
    let http = format_ident!("{}", op.method.as_str());
    let retry = format_ident!("{}", op.retry.variant());
    let queries = op.params.iter().filter(|p| !p.in_path()).map(|param| {
        let api = &param.api_name;
        let ident = format_ident!("{}", param.rust_name);
        match (param.role, param.scalar) {
            (ParamRole::OptionalQuery, crate::model::Scalar::Str) => {
                quote!(.query(#api, query.#ident.as_deref()))
            }
            (ParamRole::OptionalQuery, _) => quote!(.query(#api, query.#ident)),
            _ => quote!(.query(#api, Some(#ident))),
        }
    });
    let call = quote!(Call::new(Operation::new(#id, VERSION, Method::#http, RetryClass::#retry), path) #(#queries)*);
    let finish = match op.body {
        Some(_) => quote!(#call.json_body(body)),
        None => quote!(Ok(#call)),
    };
    let doc = docs(&format!("The request of [`Self::{id}`]."));
    quote! {
        #doc
        fn #name(#(#params),*) -> Result<Call, Error> {
            let path = #path;
            #finish
        }
    }
}

/// What a call method does besides sending and decoding.
#[derive(Clone, Copy)]
struct Effects {
    /// A 2xx with errors and no result is an error (see [`Operation::rejects_with_errors`]).
    rejects: bool,
    /// A success makes the transport's label lookups stale (see [`Version::changes_labels`]).
    changes_labels: bool,
}

fn call_method(
    signature: &TokenStream,
    op: &Operation,
    derived: &[&Method],
    module: &str,
    effects: Effects,
) -> TokenStream {
    let doc = docs(&method_docs(op, derived, module, effects));
    let converted = conversions(op.params.iter());
    let builder = builder_name(op);
    let args = builder_params(op).into_iter().map(|param| param.passed);
    let decode = match (&op.success.body, op.success.may_be_empty()) {
        (Some(_), true) => quote!(json_or_empty),
        (Some(_), false) if effects.rejects => quote!(json_single),
        (Some(_), false) => quote!(json),
        (None, _) => quote!(ignore_body),
    };
    let send = if effects.changes_labels {
        // Forgotten whatever the answer: HubSpot may have taken the change even when its
        // answer does not decode or does not arrive.
        quote! {
            let answer = self.transport.send(call).await;
            self.transport.forget_labels();
            answer?.#decode()
        }
    } else {
        quote!(self.transport.send(call).await?.#decode())
    };
    quote! {
        #doc
        #signature {
            #converted
            let call = Self::#builder(#(#args),*)?;
            #send
        }
    }
}

/// `call_json`: any operation of the version by its name, with JSON in and out, through the
/// typed method (so the body is checked against the version's types both ways).
fn call_json(version: &Version) -> TokenStream {
    let names: Vec<&str> = version.operations.iter().map(|op| op.id.as_str()).collect();
    let arms = version.operations.iter().map(|op| {
        let id = &op.id;
        let method = format_ident!("{}", op.id);
        let lets = op.params.iter().map(|param| {
            let ident = format_ident!("{}", param.rust_name);
            let api = &param.api_name;
            let ty = param.scalar.owned().tokens(Scope::Client);
            let read = match param.required() {
                true => quote!(args.required::<#ty>(#api)?),
                false => quote!(args.optional::<#ty>(#api)?),
            };
            quote!(let #ident = #read;)
        });
        let passed = op.params.iter().filter_map(|param| {
            let ident = format_ident!("{}", param.rust_name);
            match param.role {
                ParamRole::OptionalQuery => None,
                ParamRole::ObjectType | ParamRole::ObjectId => Some(quote!(#ident)),
                _ if param.scalar == crate::model::Scalar::Str => Some(quote!(&#ident)),
                _ => Some(quote!(#ident)),
            }
        });
        let query = op.query_type().map(|name| {
            let name = format_ident!("{name}");
            let fields = op
                .params
                .iter()
                .filter(|p| p.role == ParamRole::OptionalQuery)
                .map(|p| format_ident!("{}", p.rust_name));
            quote!(#name { #(#fields),* })
        });
        let body = op.body.as_ref().map(|body| {
            let ty = body.owned_type().tokens(Scope::Client);
            quote!(&args.body::<#ty>()?)
        });
        let passed = passed.chain(query).chain(body);
        quote! {
            #id => {
                #(#lets)*
                crate::dynamic::to_json(self.#method(#(#passed),*).await?)
            }
        }
    });
    let doc = docs(
        "Calls the operation named `operation` (its name in [`crate::ApiVersion::operations`]) \
         with its path and query parameters in `params`, by their API names (`fromObjectType`), \
         and its body in `body`; the answer comes back as JSON.\n\n\
         It goes through the typed method, with its retries and decoding: the body must fit \
         the version's request type, and the answer is what its response type decoded. For \
         programs that drive the API from data; the typed methods are the way otherwise.",
    );
    quote! {
        #doc
        pub async fn call_json(
            &self,
            operation: &str,
            params: &serde_json::Map<String, serde_json::Value>,
            body: Option<&serde_json::Value>,
        ) -> Result<Response<serde_json::Value>, Error> {
            let args = crate::dynamic::JsonArgs::new(operation, params, body);
            match operation {
                #(#arms)*
                other => Err(crate::dynamic::unknown_operation(other, VERSION, &[#(#names),*])),
            }
        }
    }
}

/// `["/crm/v4/objects/", &segment("objectType", object_type)?, ...].concat()`: the literal
/// parts as they are, each parameter encoded as one segment.
fn path_expression(op: &Operation) -> TokenStream {
    let mut parts = Vec::new();
    let mut literal = String::new();
    for segment in op.path.segments() {
        literal.push('/');
        match segment {
            Segment::Literal(text) => literal.push_str(text),
            Segment::Param(api_name) => {
                parts.push(quote!(#literal));
                literal.clear();
                let ident = op
                    .params
                    .iter()
                    .find(|p| p.in_path() && p.api_name == *api_name)
                    .map_or_else(
                        || format_ident!("{}", heck::ToSnakeCase::to_snake_case(api_name.as_str())),
                        |p| format_ident!("{}", p.rust_name),
                    );
                parts.push(quote!(&segment(#api_name, #ident)?));
            }
        }
    }
    if parts.is_empty() {
        return quote!(#literal.to_owned());
    }
    if !literal.is_empty() {
        parts.push(quote!(#literal));
    }
    quote!([#(#parts),*].concat())
}

/// The docs of an operation's method: what it does, the derived methods, then a table of what
/// HubSpot documents of it (request, success, retries, cap, scopes, rate limits), and its
/// arguments, with what it does besides sending (`effects`).
fn method_docs(op: &Operation, derived: &[&Method], module: &str, effects: Effects) -> String {
    let mut doc = String::new();
    if let Some(summary) = &op.summary {
        doc.push_str(summary.trim());
        doc.push_str(".\n\n");
    }
    if let Some(description) = &op.description {
        doc.push_str(description.trim());
        doc.push_str("\n\n");
    }
    let forms: Vec<String> = derived
        .iter()
        .map(|method| {
            let what = match method.kind {
                MethodKind::Pages => "every item of every page, as a stream",
                MethodKind::BatchAll => "any number of inputs, in requests at HubSpot's cap",
                MethodKind::BatchChunks => "the same, as a stream of each request's outcome",
                MethodKind::ReadAll => "every page of every record, following each record's cursor",
                MethodKind::ReadChunks => {
                    "the same, as a stream of outcomes, any number of records in bounded memory"
                }
                MethodKind::Labels => "the labels, fetched once per transport and kept",
                MethodKind::RefreshLabels => "the labels, fetched again",
                MethodKind::FindLabel => "one label by name, fetched again once when missing",
                MethodKind::Call => "",
            };
            format!("[`{name}`](Self::{name}) ({what})", name = method.name)
        })
        .collect();
    if !forms.is_empty() {
        doc.push_str(&format!("See also {}.\n\n", forms.join("; ")));
    }
    let statuses = op.success.documented_text(", ");
    let (success, tolerance) = match (&op.success.body, op.success.may_be_empty()) {
        (Some(schema), false) => (
            format!("{statuses}, with a [`types::{schema}`]"),
            "Any other 2xx with that body succeeds too.",
        ),
        (Some(schema), true) => (
            format!("{statuses}, with a [`types::{schema}`] or none"),
            "The value is `None` when HubSpot answers without a body, as another version of \
             this operation does; any other 2xx succeeds too.",
        ),
        (None, _) => (
            format!("{statuses}, without a body"),
            "Any other 2xx succeeds too; a body, if one comes, is not read.",
        ),
    };
    let (retried, why) = match op.retry {
        Retry::Idempotent => (
            "on transient failures",
            "Sending it twice has the effect of sending it once, so it is retried on \
             transient failures.",
        ),
        Retry::Batch => (
            "on transient failures, as a batch",
            "It is retried on transient failures, so that a bulk job makes progress: \
             repeating an input that already took effect is harmless.",
        ),
        Retry::Never => (
            "never",
            "It is not retried: a second send could act twice. Retry it yourself if you know \
             it is safe.",
        ),
    };
    let mut rows = vec![
        ("Request", format!("`{} {}`", op.method, op.path)),
        ("Documented success", success),
        ("Retried", retried.to_owned()),
    ];
    if op.bulk.is_some() {
        rows.push((
            "Inputs per request",
            match op.batch_cap() {
                Some(cap) => format!("at most {cap}"),
                None => "no cap documented".to_owned(),
            },
        ));
    }
    if !op.scopes.is_empty() {
        rows.push((
            "OAuth scopes",
            format!(
                "any one of {} ([listed](crate::{module}::scopes))",
                op.scopes.len()
            ),
        ));
    }
    if !op.rate_limit_exemptions.is_empty() {
        let limits: Vec<String> = op
            .rate_limit_exemptions
            .iter()
            .map(|limit| format!("`{limit}`"))
            .collect();
        rows.push(("Exempt from", limits.join(", ")));
    }
    doc.push_str("| | |\n|---|---|\n");
    for (what, value) in rows {
        doc.push_str(&format!("| {what} | {value} |\n"));
    }
    doc.push_str(&format!("\n{tolerance} {why}"));
    if effects.changes_labels {
        doc.push_str(
            " A success forgets the labels the transport's label lookups keep, for every pair of \
             object types and every version (labels are the account's), so the next lookup \
             lists them again.",
        );
    }
    if effects.rejects {
        doc.push_str(
            " A 2xx whose body carries HubSpot's `errors` and no `results` (a record that does \
             not exist, say) is [`Error::Rejected`](crate::Error::Rejected), with those errors: \
             nothing was done.",
        );
    }
    if !op.rate_limit_exemptions.is_empty() {
        doc.push_str(
            " HubSpot publishes it as exempt from the limits named; the transport's rate \
             limiter counts it all the same, as HubSpot does not say what the exemption \
             covers.",
        );
    }
    doc.push_str("\n\n");
    let described: Vec<String> = op
        .params
        .iter()
        .map(|p| {
            // An optional query parameter is a field of the query value.
            let name = match p.role {
                ParamRole::OptionalQuery => format!("query.{}", p.rust_name),
                _ => p.rust_name.clone(),
            };
            format!(
                "- `{name}`: {}",
                p.description
                    .as_deref()
                    .unwrap_or("See the HubSpot documentation.")
                    .trim()
            )
        })
        .chain(
            op.body
                .as_ref()
                .map(|_| "- `body`: the request body.".to_owned()),
        )
        .collect();
    if !described.is_empty() {
        doc.push_str("# Arguments\n\n");
        doc.push_str(&described.join("\n"));
    }
    doc.trim_end().to_owned()
}

fn cap_words(op: &Operation) -> String {
    match op.batch_cap() {
        Some(cap) => format!("at most {cap} inputs per request, HubSpot's cap"),
        None => "HubSpot documents no cap, so [`crate::bulk::DEFAULT_CHUNK`] inputs per request unless `options` says otherwise".to_owned(),
    }
}

/// `Some(2000)` or `None`, unsuffixed, as a person writes it.
fn cap(op: &Operation) -> TokenStream {
    match op.batch_cap() {
        Some(cap) => {
            let cap = Literal::usize_unsuffixed(cap);
            quote!(Some(#cap))
        }
        None => quote!(None),
    }
}

/// The path parameters of a batch operation, passed on as the method took them.
fn forwarded(op: &Operation) -> Vec<TokenStream> {
    op.params
        .iter()
        .filter(|p| p.in_path())
        .map(|param| {
            let ident = format_ident!("{}", param.rust_name);
            quote!(#ident)
        })
        .collect()
}

/// The request builder's arguments inside a bulk helper: the path parameters the helper
/// converted, and the batch body made of `inputs`.
fn batch_request(op: &Operation) -> Option<TokenStream> {
    let bulk = op.bulk.as_ref()?;
    let builder = builder_name(op);
    let batch = bulk.batch_schema.rust_type().tokens(Scope::Client);
    let args = builder_params(op)
        .into_iter()
        .map(|param| match param.ident == "body" {
            true => quote!(&#batch { inputs }),
            false => param.passed,
        });
    Some(quote!(Self::#builder(#(#args),*)))
}

/// The arguments of `crate::bulk::read_all` and `read_chunks` after the ids and options: the
/// operation's cap, its context, how a result is read as a record's page, and how a request
/// is sent; and the conversions of the method's arguments they need.
fn read_arguments(op: &Operation) -> Option<(TokenStream, TokenStream)> {
    let (bulk, request) = (op.bulk.as_ref()?, batch_request(op)?);
    let converted = conversions(op.params.iter());
    let cap = cap(op);
    let item = bulk.item.rust_type().tokens(Scope::Client);
    let result = bulk.result.rust_type().tokens(Scope::Client);
    // The fields the model found: a result's `from` record, its `to` items and its paging.
    let fields = bulk.read_fields.as_ref()?;
    let (from, to, paging) = (
        format_ident!("{}", fields.from),
        format_ident!("{}", fields.to),
        format_ident!("{}", fields.paging),
    );
    let arguments = quote! {
        #cap,
        options,
        &CONTEXT,
        |result: #result| crate::bulk::ReadPage {
            id: result.#from.id,
            items: result.#to,
            next: result.#paging.and_then(|paging| paging.next).map(|next| next.after),
        },
        move |inputs: Vec<crate::bulk::ReadInput>| {
            let inputs = inputs
                .into_iter()
                .map(|input| #item { id: input.id, after: input.after })
                .collect();
            let call = #request;
            async move {
                let answer = self.transport.send(call?).await?;
                Ok(answer.json::<crate::bulk::Answer<#result>>()?.into_inner())
            }
        }
    };
    Some((converted, arguments))
}

/// Every page of a per-input paged batch read, over record ids.
fn read_all(signature: &TokenStream, op: &Operation) -> TokenStream {
    let Some((converted, arguments)) = read_arguments(op) else {
        return TokenStream::new();
    };
    let id = &op.id;
    let doc = docs(&format!(
        "Every association of every record in `ids`, through [`{id}`](Self::{id}): {}, \
         each record asked again with its own cursor until its last page, with bounded \
         concurrency under the rate limiter. A record without associations succeeds with none \
         (HubSpot names it in an error `NO_ASSOCIATIONS_FOUND`, or leaves it out). Records that \
         fail, and records whose page does not decode, are in the outcome's `failed`. For more \
         records than fit in memory at once, [`{id}_chunks`](Self::{id}_chunks).",
        cap_words(op)
    ));
    quote! {
        #doc
        #signature {
            #converted
            let ids = ids.into_iter().map(Into::into).collect();
            crate::bulk::read_all(#id, ids, #arguments).await
        }
    }
}

/// Every page of a per-input paged batch read, over any number of record ids, as a stream.
fn read_chunks(signature: &TokenStream, op: &Operation) -> TokenStream {
    let Some((converted, arguments)) = read_arguments(op) else {
        return TokenStream::new();
    };
    let id = &op.id;
    let doc = docs(&format!(
        "[`{id}_all`](Self::{id}_all) over any number of records, as a stream: the ids are \
         drawn a few requests' worth at a time (as many records as the requests in flight \
         carry), each group read to its last pages, and its outcome yielded before the next \
         group is drawn. Memory holds one group's associations, whatever the number of ids: \
         for a sync or an export of millions of records."
    ));
    quote! {
        #doc
        #signature {
            #converted
            let ids = ids.into_iter().map(Into::into);
            crate::Items::new(crate::bulk::read_chunks(#id, ids, #arguments))
        }
    }
}

/// Any number of inputs through a batch operation, collected into one outcome.
fn batch_all(signature: &TokenStream, op: &Operation) -> TokenStream {
    let forwarded = forwarded(op);
    let chunked = format_ident!("{}_chunks", op.id);
    let id = &op.id;
    let doc = docs(&format!(
        "Any number of inputs through [`{id}`](Self::{id}): {}, drawn from `inputs` \
         as requests are formed (only the requests in flight hold theirs), sent with bounded \
         concurrency under the rate limiter, with one outcome for every input. Errors HubSpot \
         gives per input are matched back to the inputs they name; a request rejected as a \
         whole is split in halves to isolate the bad inputs (see [`crate::BulkOptions`]).",
        cap_words(op)
    ));
    quote! {
        #doc
        #signature {
            crate::bulk::collect(self.#chunked(#(#forwarded,)* inputs, options)).await
        }
    }
}

/// Any number of inputs through a batch operation, as a stream of each request's outcome.
fn batch_chunks(signature: &TokenStream, op: &Operation) -> TokenStream {
    let (Some(bulk), Some(request)) = (&op.bulk, batch_request(op)) else {
        return TokenStream::new();
    };
    let id = &op.id;
    let converted = conversions(op.params.iter());
    let cap = cap(op);
    let item = bulk.item.rust_type().tokens(Scope::Client);
    let result = bulk.result.rust_type().tokens(Scope::Client);
    let answer = quote!(crate::bulk::Answer<#result>);
    // Results that name records confirm the inputs with the same records; other results (a
    // removal's) only acknowledge the request.
    let reply = match &bulk.result {
        BulkResult::Keyed(_) => quote!(crate::bulk::Reply::keyed),
        _ => quote!(crate::bulk::Reply::acknowledged),
    };
    let reply = match (&op.success.body, op.success.may_be_empty()) {
        (None, _) => quote! {
            answer.ignore_body()?;
            Ok(crate::bulk::Reply::empty())
        },
        (Some(_), true) => quote! {
            Ok(match answer.json_or_empty::<#answer>()?.into_inner() {
                Some(answer) => #reply(answer),
                None => crate::bulk::Reply::empty(),
            })
        },
        (Some(_), false) => quote! {
            let answer = answer.json::<#answer>()?.into_inner();
            Ok(#reply(answer))
        },
    };
    let doc = docs(&format!(
        "[`{id}_all`](Self::{id}_all) as a stream of the outcome of each request, as each \
         completes: for progress reports and for journals that must record what was confirmed."
    ));
    quote! {
        #doc
        #signature {
            #converted
            crate::Items::new(crate::bulk::chunks(inputs, #cap, options, &CONTEXT, move |inputs: Vec<#item>| {
                let call = #request;
                async move {
                    let answer = self.transport.send(call?).await?;
                    #reply
                }
            }))
        }
    }
}

/// A doctest's hidden line that allows a deprecated version's items, for a version that is.
fn allow_deprecated_line(version: &Version) -> &'static str {
    match version.is_deprecated() {
        true => "# #![allow(deprecated)]\n",
        false => "",
    }
}

/// The cached lookup of association labels, over the operation that lists them.
fn label_lookup(signature: &TokenStream, op: &Operation, version: &Version) -> TokenStream {
    let Some(fields) = &version.label_fields else {
        return TokenStream::new();
    };
    let (type_id, category, label) = (
        format_ident!("{}", fields.type_id),
        format_ident!("{}", fields.category),
        format_ident!("{}", fields.label),
    );
    let list = format_ident!("{}", op.id);
    let module = &version.module;
    let doc = docs(&format!(
        "The association types between two object types, fetched with [`{id}`](Self::{id}) once \
         per transport and kept: resolve a label to its type id and category with \
         [`crate::Labels::find`] (or [`find_label`](Self::find_label), which looks again when a \
         name is missing), and use it where an association type is asked for. Creating, \
         renaming or deleting a label through this transport forgets what it kept; \
         [`refresh_labels`](Self::refresh_labels) fetches again after another program did.\n\n\
         ```no_run\n\
         {allow}\
         # use hubspot_associations::{module}::Client;\n\
         # async fn run(client: &Client) -> Result<(), hubspot_associations::Error> {{\n\
         use hubspot_associations::ObjectType;\n\n\
         let labels = client.labels(ObjectType::CONTACTS, ObjectType::COMPANIES).await?;\n\
         if let Some(billing) = labels.find(\"Billing contact\") {{\n\
         \x20   println!(\"type {{}} ({{}})\", billing.type_id, billing.category);\n\
         }}\n\
         # Ok(())\n\
         # }}\n\
         ```",
        id = op.id,
        allow = allow_deprecated_line(version),
    ));
    quote! {
        #doc
        #signature {
            let from_object_type: crate::ObjectType = from_object_type.into();
            let to_object_type: crate::ObjectType = to_object_type.into();
            let (from, to) = (from_object_type.clone(), to_object_type.clone());
            self.transport
                .labels(VERSION, from_object_type.as_str(), to_object_type.as_str(), || async {
                    let listed = self.#list(from, to).await?;
                    Ok(listed
                        .results
                        .iter()
                        .map(|listed| crate::Label::new(listed.#type_id, listed.#category.as_str(), listed.#label.clone()))
                        .collect())
                })
                .await
        }
    }
}

/// The label lookup fetched again: for labels changed by another program.
fn refresh_labels(signature: &TokenStream, version: &Version) -> TokenStream {
    if version.label_fields.is_none() {
        return TokenStream::new();
    }
    let doc = docs(
        "The association types between two object types, fetched again: the lookups this \
         transport keeps are forgotten first. Labels created, renamed or deleted through this \
         transport are forgotten by that call already; this is for changes another program \
         made (or [`find_label`](Self::find_label), which refreshes when a name is missing).",
    );
    quote! {
        #doc
        #signature {
            self.transport.forget_labels();
            self.labels(from_object_type, to_object_type).await
        }
    }
}

/// One label by name, the lookup fetched again once when the name is missing.
fn find_label(signature: &TokenStream, version: &Version) -> TokenStream {
    if version.label_fields.is_none() {
        return TokenStream::new();
    }
    let doc = docs(
        "The association type labelled `name` between two object types (ignoring case and \
         surrounding spaces), from the [`labels`](Self::labels) this transport keeps; when it is \
         not there, the labels are fetched again once ([`refresh_labels`](Self::refresh_labels)) \
         before the answer is `None`, so that a label another program created since is found.",
    );
    quote! {
        #doc
        #signature {
            let from_object_type: crate::ObjectType = from_object_type.into();
            let to_object_type: crate::ObjectType = to_object_type.into();
            let kept = self.labels(from_object_type.clone(), to_object_type.clone()).await?;
            if let Some(found) = kept.find(name) {
                return Ok(Some(found.clone()));
            }
            let fresh = self.refresh_labels(from_object_type, to_object_type).await?;
            Ok(fresh.find(name).cloned())
        }
    }
}

/// `let object_type = object_type.clone();` for each parameter that is not `Copy`, so that a
/// closure that runs once per page keeps its own and gives each request a copy.
fn copies(op: &Operation) -> TokenStream {
    let lets = op
        .params
        .iter()
        .filter(|p| matches!(p.role, ParamRole::ObjectType | ParamRole::ObjectId))
        .map(|param| {
            let ident = format_ident!("{}", param.rust_name);
            quote!(let #ident = #ident.clone();)
        });
    quote!(#(#lets)*)
}

/// Every item of a cursor-paged list, page after page, as a stream.
fn pages_method(
    signature: &TokenStream,
    op: &Operation,
    version: &Version,
    stream_name: &str,
) -> TokenStream {
    let (Some(pagination), Some(query)) = (&op.pagination, op.query_type()) else {
        return TokenStream::new();
    };
    let id = &op.id;
    let list = format_ident!("{}", op.id);
    let cursor_field = format_ident!("{}", pagination.cursor_param);
    let query_name = format_ident!("{query}");
    let converted = conversions(op.params.iter());
    let copies = copies(op);
    let forwarded = op
        .params
        .iter()
        .filter(|param| param.role != ParamRole::OptionalQuery)
        .map(|param| {
            let ident = format_ident!("{}", param.rust_name);
            quote!(#ident)
        })
        .chain(std::iter::once(quote!(query)));
    // The example's arguments: object types by name, ids as numbers.
    let mut object_types = ["\"contacts\"", "\"companies\""].into_iter();
    let example_args: Vec<String> = op
        .params
        .iter()
        .filter(|p| p.role != ParamRole::OptionalQuery)
        .map(|param| match param.role {
            ParamRole::ObjectType => object_types.next().unwrap_or("\"deals\"").to_owned(),
            ParamRole::ObjectId => "\"29851\"".to_owned(),
            _ => "Default::default()".to_owned(),
        })
        .chain(std::iter::once(format!("{query}::default()")))
        .collect();
    let doc = docs(&format!(
        "Every item of [`{id}`](Self::{id}), page after page, as a stream, from the page at \
         `query.{cursor}` (the first when `None`).\n\n\
         Pages are read lazily, one request per page as the stream is polled, each through the \
         rate limiter and with the retries of `{id}`. The stream ends after the last page, or \
         with the first error.\n\n\
         ```no_run\n\
         {allow}\
         # use hubspot_associations::{module}::Client;\n\
         # async fn run(client: &Client) -> Result<(), hubspot_associations::Error> {{\n\
         use hubspot_associations::{module}::{query};\n\n\
         let mut items = client.{name}({args});\n\
         while let Some(item) = items.next().await.transpose()? {{\n\
         \x20   println!(\"{{item:?}}\");\n\
         }}\n\
         # Ok(())\n\
         # }}\n\
         ```",
        cursor = pagination.cursor_param,
        name = stream_name,
        module = version.module,
        args = example_args.join(", "),
        allow = allow_deprecated_line(version),
    ));
    quote! {
        #doc
        #signature {
            #converted
            let start = query.#cursor_field.clone();
            crate::Items::new(crate::pagination::pages(#id, start, move |cursor: Option<String>| {
                #copies
                let query = #query_name { #cursor_field: cursor, ..query.clone() };
                async move {
                    let page = self.#list(#(#forwarded),*).await?.into_inner();
                    let next = page.paging.and_then(|paging| paging.next).map(|next| next.after);
                    Ok((page.results, next))
                }
            }))
        }
    }
}
