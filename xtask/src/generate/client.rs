//! The client of a version: one async method per operation, written with quote onto the
//! hand-written runtime (`generated/src`), which owns sending, retrying and decoding.
//!
//! progenitor's own method template is not used: it matches exact status codes and returns its
//! own error type, where this crate accepts any 2xx and returns one error type for every version.

use heck::ToUpperCamelCase;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{docs, inner_docs};
use crate::diff::{Change, Impact};
use crate::model::{Body, Method, MethodKind, Operation, Param, ParamRole, Retry, Scalar, Version};

/// The `mod.rs` of a version: docs, the `types` module, the `Client` and its methods.
pub fn client(version: &Version, previous: Option<(&str, Vec<Change>)>) -> TokenStream {
    let module_doc = inner_docs(&module_docs(version, previous));
    let name = &version.name;
    let client_doc = docs(&format!(
        "A client for version {name} of the HubSpot CRM associations API.\n\n\
         Create it from a [`Transport`], which holds the token, the rate limiter and the \
         retry policy; clients of several versions can share one transport, and so one \
         rate-limit budget."
    ));
    // The impl of a deprecated client names it, which the compiler would warn about.
    let allow_deprecated = version
        .lifecycle
        .end_of_support
        .as_ref()
        .map(|_| quote!(#[allow(deprecated)]));
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
    let methods = version.methods.iter().map(|method| {
        let op = version
            .operations
            .iter()
            .find(|op| op.id == method.operation)
            .expect("the model derives every method from one of the version's operations");
        let signature = signature(method);
        match method.kind {
            MethodKind::Call => {
                let derived: Vec<&Method> = version
                    .methods
                    .iter()
                    .filter(|m| m.operation == op.id && m.kind != MethodKind::Call)
                    .collect();
                call_method(&signature, op, &derived)
            }
            MethodKind::Pages => pages_method(&signature, op, &version.module, &method.name),
            MethodKind::BatchAll => batch_all(&signature, op),
            MethodKind::BatchChunks => batch_chunks(&signature, op),
            MethodKind::ReadAll => read_all(&signature, op),
            MethodKind::Labels => label_lookup(&signature, op, &version.module),
        }
    });
    let call_json = call_json(version);
    let queries = version.operations.iter().filter_map(query_struct);
    quote! {
        #module_doc

        #types_doc
        pub mod types;

        use crate::operation::{Operation, Retry};
        use crate::transport::Call;
        use crate::url_path::segment;
        use crate::{CallOptions, Error, Response, Transport};
        use reqwest::Method;

        /// The version as HubSpot names it in paths.
        pub const VERSION: &str = #name;

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

            #(#methods)*

            #call_json
        }

    }
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
    let mut bodies: Vec<&String> = version
        .operations
        .iter()
        .filter_map(|op| op.success.body.as_ref())
        .collect();
    bodies.sort();
    bodies.dedup();
    let types = bodies
        .iter()
        .map(|name| format_ident!("{}", name.to_upper_camel_case()));
    let mut keys: Vec<String> = version
        .api
        .components
        .iter()
        .flat_map(|components| components.schemas.values())
        .filter_map(|schema| match &schema.as_item()?.schema_kind {
            openapiv3::SchemaKind::Type(openapiv3::Type::Object(object)) => {
                Some(object.properties.keys().cloned())
            }
            _ => None,
        })
        .flatten()
        .collect();
    keys.sort();
    keys.dedup();
    let module = format_ident!("{}", version.module);
    super::version_test_module(
        version,
        quote! {
            use hubspot_associations::#module::types;
            use proptest::prelude::*;

            use crate::support::{decode, json};

            /// The property names of the version's schemas.
            const KEYS: &[&str] = &[#(#keys),*];

            fn decode_every_success_type(bytes: &[u8]) {
                #( decode::<types::#types>(bytes); )*
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

fn module_docs(version: &Version, previous: Option<(&str, Vec<Change>)>) -> String {
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
        "Generated from `{}`; enable it with the cargo feature `{}`.\n\n",
        version.source.to_string_lossy().replace('\\', "/"),
        version.module
    ));
    doc.push_str("| method | HTTP | success | retried |\n|---|---|---|---|\n");
    for op in &version.operations {
        doc.push_str(&format!(
            "| [`{id}`](Client::{id}) | `{method} {path}` | {statuses} | {retry} |\n",
            id = op.id,
            method = op.method,
            path = op.path,
            statuses = op.success.statuses.join(", "),
            retry = match op.retry {
                Retry::Idempotent => "yes",
                Retry::Batch => "yes (batch)",
                Retry::Never => "no",
            }
        ));
    }
    if let Some((before, changes)) = previous {
        doc.push_str(&format!("\n# Changes from {before}\n\n"));
        if changes.is_empty() {
            doc.push_str("None for a program using the client.\n");
        }
        for change in changes {
            let mark = match change.impact {
                Impact::Breaking => "**breaking**: ",
                Impact::Behaviour => "**behaviour**: ",
                Impact::Compatible => "",
            };
            doc.push_str(&format!("- {mark}{}: {}\n", change.subject, change.detail));
        }
    }
    doc
}

/// `let object_type: crate::ObjectType = object_type.into();` for each parameter a method
/// takes as `impl Into<...>`, so that the body uses it as its own type.
fn conversions<'a>(params: impl Iterator<Item = &'a Param>) -> TokenStream {
    let lets = params.filter_map(|param| {
        let ident = format_ident!("{}", param.rust_name);
        match param.role {
            ParamRole::ObjectType => Some(quote!(let #ident: crate::ObjectType = #ident.into();)),
            ParamRole::ObjectId => Some(quote!(let #ident: crate::ObjectId = #ident.into();)),
            _ => None,
        }
    });
    quote!(#(#lets)*)
}

/// The struct of an operation's optional query parameters, with `Default`.
fn query_struct(op: &Operation) -> Option<TokenStream> {
    let name = format_ident!("{}", op.query.as_ref()?);
    let fields = op
        .params
        .iter()
        .filter(|p| p.role == ParamRole::OptionalQuery)
        .map(|param| {
            let ident = format_ident!("{}", param.rust_name);
            let ty = match param.scalar {
                Scalar::Str => quote!(String),
                Scalar::I32 => quote!(i32),
                Scalar::I64 => quote!(i64),
                Scalar::Bool => quote!(bool),
            };
            let doc = docs(
                param
                    .description
                    .as_deref()
                    .unwrap_or("See the HubSpot documentation."),
            );
            quote! {
                #doc
                pub #ident: Option<#ty>,
            }
        });
    let doc = docs(&format!(
        "The optional query parameters of [`Client::{id}`]: `{name}::default()` for none.",
        id = op.id
    ));
    Some(quote! {
        #doc
        #[derive(Clone, Debug, Default, PartialEq, Eq)]
        pub struct #name {
            #(#fields)*
        }
    })
}

/// `pub async fn name(&self, args) -> returns`, exactly as the model says.
fn signature(method: &Method) -> TokenStream {
    let name = format_ident!("{}", method.name);
    let args = method.args.iter().map(|(arg, ty)| {
        let arg = format_ident!("{}", arg);
        let ty: syn::Type = syn::parse_str(ty).expect("the model writes Rust types");
        quote!(#arg: #ty)
    });
    let returns: syn::Type = syn::parse_str(&method.returns).expect("the model writes Rust types");
    let asyncness = method.is_async.then(|| quote!(async));
    quote!(pub #asyncness fn #name(&self, #(#args),*) -> #returns)
}

fn call_method(signature: &TokenStream, op: &Operation, derived: &[&Method]) -> TokenStream {
    let doc = docs(&method_docs(op, derived));
    let path = path_expression(op);
    let id = &op.id;
    let http = format_ident!("{}", op.method);
    let retry = match op.retry {
        Retry::Idempotent => quote!(Retry::Idempotent),
        Retry::Batch => quote!(Retry::Batch),
        Retry::Never => quote!(Retry::Never),
    };
    let queries = op.params.iter().filter(|p| !p.in_path).map(|param| {
        let api = &param.api_name;
        let ident = format_ident!("{}", param.rust_name);
        match (param.role, param.scalar) {
            (ParamRole::OptionalQuery, Scalar::Str) => {
                quote!(.query(#api, query.#ident.as_deref()))
            }
            (ParamRole::OptionalQuery, _) => quote!(.query(#api, query.#ident)),
            _ => quote!(.query(#api, Some(#ident))),
        }
    });
    let converted = conversions(op.params.iter());
    let with_body = op.body.as_ref().map(|_| quote!(.json_body(body)?));
    let decode = match (&op.success.body, op.success.may_be_empty) {
        (Some(_), true) => quote!(json_or_empty),
        (Some(_), false) => quote!(json),
        (None, _) => quote!(ignore_body),
    };
    quote! {
        #doc
        #signature {
            #converted
            let path = #path;
            let call = Call::new(Operation::new(#id, VERSION, Method::#http, #retry), path)
                #(#queries)*
                #with_body;
            self.transport.send(call).await?.#decode()
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
            let required = param.role != ParamRole::OptionalQuery;
            let ty = match param.scalar {
                Scalar::Str => quote!(String),
                Scalar::I32 => quote!(i32),
                Scalar::I64 => quote!(i64),
                Scalar::Bool => quote!(bool),
            };
            let read = if required {
                quote!(args.required::<#ty>(#api)?)
            } else {
                quote!(args.optional::<#ty>(#api)?)
            };
            quote!(let #ident = #read;)
        });
        let passed = op.params.iter().filter_map(|param| {
            let ident = format_ident!("{}", param.rust_name);
            match param.role {
                ParamRole::OptionalQuery => None,
                ParamRole::ObjectType | ParamRole::ObjectId => Some(quote!(#ident)),
                _ if param.scalar == Scalar::Str => Some(quote!(&#ident)),
                _ => Some(quote!(#ident)),
            }
        });
        let query = op.query.as_ref().map(|name| {
            let name = format_ident!("{}", name);
            let fields = op
                .params
                .iter()
                .filter(|p| p.role == ParamRole::OptionalQuery)
                .map(|p| format_ident!("{}", p.rust_name));
            quote!(#name { #(#fields),* })
        });
        let passed = passed.chain(query);
        let body = op.body.as_ref().map(|body| {
            let ty = match body {
                Body::Schema(name) => {
                    let name = format_ident!("{}", name.to_upper_camel_case());
                    quote!(types::#name)
                }
                Body::ListOf(name) => {
                    let name = format_ident!("{}", name.to_upper_camel_case());
                    quote!(Vec<types::#name>)
                }
            };
            quote!(&args.body::<#ty>()?)
        });
        let passed = passed.chain(body);
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
    for (index, part) in op.path.split('/').enumerate() {
        if index > 0 {
            literal.push('/');
        }
        match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            Some(api_name) => {
                if !literal.is_empty() {
                    parts.push(quote!(#literal));
                    literal.clear();
                }
                let param = op
                    .params
                    .iter()
                    .find(|p| p.in_path && p.api_name == api_name);
                let ident = format_ident!(
                    "{}",
                    param.map_or_else(|| api_name.to_owned(), |p| p.rust_name.clone())
                );
                // Ids and object types are borrowed, to be used again; numbers are copied.
                let value = match param.map(|p| p.role) {
                    Some(ParamRole::ObjectType | ParamRole::ObjectId) => quote!(&#ident),
                    _ => quote!(#ident),
                };
                parts.push(quote!(&segment(#api_name, #value)?));
            }
            None => literal.push_str(part),
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

fn method_docs(op: &Operation, derived: &[&Method]) -> String {
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
                MethodKind::Labels => "the labels, fetched once per transport and kept",
                MethodKind::Call => "",
            };
            format!("[`{name}`](Self::{name}) ({what})", name = method.name)
        })
        .collect();
    if !forms.is_empty() {
        doc.push_str(&format!("See also {}.\n\n", forms.join("; ")));
    }
    doc.push_str(&format!("`{} {}`\n\n", op.method, op.path));
    let statuses = op.success.documented.join(", ");
    doc.push_str(&match (&op.success.body, op.success.may_be_empty) {
        (Some(schema), false) => format!(
            "Documented success: {statuses}, with a [`types::{schema}`]. Any other 2xx with that body succeeds too.\n\n"
        ),
        (Some(schema), true) => format!(
            "Documented success: {statuses}. The value is a [`types::{schema}`], or `None` when HubSpot answers without a body (as another version of this operation does).\n\n"
        ),
        (None, _) => format!(
            "Documented success: {statuses}, without a body. Any other 2xx succeeds too; a body, if one comes, is not read.\n\n"
        ),
    });
    doc.push_str(match op.retry {
        Retry::Idempotent => {
            "Retried on transient failures: sending it twice has the effect of sending it once.\n\n"
        }
        Retry::Batch => {
            "Retried on transient failures, so that a bulk job makes progress: repeating an input that already took effect is harmless.\n\n"
        }
        Retry::Never => {
            "Not retried: a second send could act twice. Retry it yourself if you know it is safe.\n\n"
        }
    });
    let described: Vec<String> = op
        .params
        .iter()
        .map(|p| {
            format!(
                "- `{}`: {}",
                p.rust_name,
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

fn cap_words(bulk: &crate::model::Bulk) -> String {
    match bulk.cap {
        Some(cap) => format!("at most {cap} inputs per request, HubSpot's cap"),
        None => "HubSpot documents no cap, so [`crate::bulk::DEFAULT_CHUNK`] inputs per request unless `options` says otherwise".to_owned(),
    }
}

fn cap(bulk: &crate::model::Bulk) -> TokenStream {
    match bulk.cap {
        Some(cap) => quote!(Some(#cap)),
        None => quote!(None),
    }
}

/// The path parameters of a batch operation, passed on: the method converted them once, and
/// each request takes its own copy.
fn forwarded(op: &Operation) -> Vec<TokenStream> {
    op.params
        .iter()
        .filter(|p| p.in_path)
        .map(|param| {
            let ident = format_ident!("{}", param.rust_name);
            quote!(#ident)
        })
        .collect()
}

/// `let object_type = object_type.clone();` for each parameter that is not `Copy`, so that a
/// closure that runs once per request keeps its own and gives each request a copy.
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

/// What every bulk method of a batch operation names: the operation's method, its body and
/// input types, its path parameters passed on, and its cap.
struct BatchParts<'a> {
    bulk: &'a crate::model::Bulk,
    single: proc_macro2::Ident,
    batch: proc_macro2::Ident,
    item: proc_macro2::Ident,
    forwarded: Vec<TokenStream>,
    cap: TokenStream,
}

fn batch_parts(op: &Operation) -> BatchParts<'_> {
    let bulk = op
        .bulk
        .as_ref()
        .expect("the model derives bulk methods from batch operations only");
    BatchParts {
        bulk,
        single: format_ident!("{}", op.id),
        batch: format_ident!("{}", bulk.batch_schema.to_upper_camel_case()),
        item: format_ident!("{}", bulk.item.to_upper_camel_case()),
        forwarded: forwarded(op),
        cap: cap(bulk),
    }
}

/// Every page of a per-input paged batch read, over record ids.
fn read_all(signature: &TokenStream, op: &Operation) -> TokenStream {
    let BatchParts {
        bulk,
        single,
        batch,
        item,
        forwarded,
        cap,
    } = batch_parts(op);
    let id = &op.id;
    let converted = conversions(op.params.iter());
    let copies = copies(op);
    let errors = if bulk.errors {
        quote!(
            answer
                .errors
                .iter()
                .filter_map(|error| serde_json::to_value(error).ok())
                .collect()
        )
    } else {
        quote!(Vec::new())
    };
    let doc = docs(&format!(
        "Every association of every record in `ids`, through [`{id}`](Self::{id}): {}, \
         each record asked again with its own cursor until its last page, with bounded \
         concurrency under the rate limiter. Records that fail are in the outcome's `failed`.",
        cap_words(bulk)
    ));
    quote! {
        #doc
        #signature {
            #converted
            crate::bulk::read_all(#id, ids, #cap, options, move |inputs: Vec<crate::bulk::ReadInput>| {
                #copies
                async move {
                let inputs = inputs.into_iter().map(|input| types::#item { id: input.id, after: input.after }).collect();
                let answer = self.#single(#(#forwarded,)* &types::#batch { inputs }).await?.into_inner();
                Ok(crate::bulk::ReadReply {
                    errors: #errors,
                    pages: answer
                        .results
                        .into_iter()
                        .map(|result| {
                            let next = result.paging.and_then(|paging| paging.next).map(|next| next.after);
                            (result.from.id, result.to, next)
                        })
                        .collect(),
                })
                }
            })
            .await
        }
    }
}

/// Any number of inputs through a batch operation, collected into one outcome.
fn batch_all(signature: &TokenStream, op: &Operation) -> TokenStream {
    let BatchParts {
        bulk, forwarded, ..
    } = batch_parts(op);
    let chunked = format_ident!("{}_chunks", op.id);
    let id = &op.id;
    let doc = docs(&format!(
        "Any number of inputs through [`{id}`](Self::{id}): {}, drawn from `inputs` \
         as requests are formed (only the requests in flight hold theirs), sent with bounded \
         concurrency under the rate limiter, with one outcome for every input. Errors HubSpot \
         gives per input are matched back to the inputs they name; a request rejected as a \
         whole is split in halves to isolate the bad inputs (see [`crate::BulkOptions`]).",
        cap_words(bulk)
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
    let BatchParts {
        bulk,
        single,
        batch,
        item,
        forwarded,
        cap,
    } = batch_parts(op);
    let id = &op.id;
    let converted = conversions(op.params.iter());
    let copies = copies(op);
    let binding = match op.success.body {
        Some(_) => quote!(let answer =),
        None => quote!(),
    };
    // Results that are records confirm the inputs they name; other results (a removal's)
    // only acknowledge the request.
    let constructor = match bulk.result {
        crate::model::BulkResult::Schema(_) => quote!(new),
        _ => quote!(acknowledged),
    };
    let errors = if bulk.errors {
        quote!(&answer.errors)
    } else {
        quote!(&[] as &[()])
    };
    let reply = match (&op.success.body, op.success.may_be_empty) {
        (None, _) => quote!(crate::bulk::Reply::empty()),
        (Some(_), true) => quote! {
            match answer.into_inner() {
                Some(answer) => crate::bulk::Reply::#constructor(answer.results, #errors),
                None => crate::bulk::Reply::empty(),
            }
        },
        (Some(_), false) => quote! {{
            let answer = answer.into_inner();
            crate::bulk::Reply::#constructor(answer.results, #errors)
        }},
    };

    let doc = docs(&format!(
        "[`{id}_all`](Self::{id}_all) as a stream of the outcome of each request, as each completes: \
         for progress reports and for journals that must record what was confirmed."
    ));
    quote! {
        #doc
        #signature {
            #converted
            crate::bulk::chunks(inputs, #cap, options, move |inputs: Vec<types::#item>| {
                #copies
                async move {
                    #binding self.#single(#(#forwarded,)* &types::#batch { inputs }).await?;
                    Ok(#reply)
                }
            })
        }
    }
}

/// The cached lookup of association labels, over the operation that lists them.
fn label_lookup(signature: &TokenStream, op: &Operation, module: &str) -> TokenStream {
    let list = format_ident!("{}", op.id);
    let doc = docs(&format!(
        "The association types between two object types, fetched with [`{id}`](Self::{id}) once \
         per transport and kept: resolve a label to its type id and category with \
         [`crate::Labels::find`], and use it where an association type is asked for.\n\n\
         ```no_run\n\
         # #![allow(deprecated)]\n\
         # async fn run(client: &hubspot_associations::{module}::Client) -> Result<(), hubspot_associations::Error> {{\n\
         use hubspot_associations::ObjectType;\n\n\
         let labels = client.labels(ObjectType::CONTACTS, ObjectType::COMPANIES).await?;\n\
         if let Some(billing) = labels.find(\"Billing contact\") {{\n\
         \x20   println!(\"type {{}} ({{}})\", billing.type_id, billing.category);\n\
         }}\n\
         # Ok(())\n\
         # }}\n\
         ```",
        id = op.id
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
                    Ok(crate::Labels::from_results(&listed.results))
                })
                .await
        }
    }
}

/// Every item of a cursor-paged list, page after page, as a stream.
fn pages_method(
    signature: &TokenStream,
    op: &Operation,
    module: &str,
    stream_name: &str,
) -> TokenStream {
    let pagination = op
        .pagination
        .as_ref()
        .expect("the model derives pagers from paged operations only");
    let id = &op.id;
    let list = format_ident!("{}", op.id);
    let cursor_field = format_ident!("{}", pagination.cursor_param);
    let query_name = format_ident!(
        "{}",
        op.query
            .as_ref()
            .expect("a paged operation takes its cursor in its query value")
    );
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
    let doc = docs(&format!(
        "Every item of [`{id}`](Self::{id}), page after page, as a stream, from the page at \
         `query.{cursor}` (the first when `None`).\n\n\
         Pages are read lazily, one request per page as the stream is polled, each through the \
         rate limiter and with the retries of `{id}`. The stream ends after the last page, or \
         with the first error.\n\n\
         ```no_run\n\
         # #![allow(deprecated)]\n\
         # async fn run(client: &hubspot_associations::{module}::Client) -> Result<(), hubspot_associations::Error> {{\n\
         use futures_util::TryStreamExt;\n\
         use hubspot_associations::{module}::{query};\n\n\
         let mut items = std::pin::pin!(client.{name}(\"contacts\", 29851u64, \"companies\", {query}::default()));\n\
         while let Some(item) = items.try_next().await? {{\n\
         \x20   println!(\"{{item:?}}\");\n\
         }}\n\
         # Ok(())\n\
         # }}\n\
         ```",
        cursor = pagination.cursor_param,
        name = stream_name,
        query = op.query.as_deref().unwrap_or_default(),
    ));
    quote! {
        #doc
        #signature {
            #converted
            let start = query.#cursor_field.clone();
            crate::pagination::pages(#id, start, move |cursor: Option<String>| {
                #copies
                let query = #query_name { #cursor_field: cursor, ..query.clone() };
                async move {
                let page = self.#list(#(#forwarded),*).await?.into_inner();
                let next = page.paging.and_then(|paging| paging.next).map(|next| next.after);
                Ok((page.results, next))
                }
            })
        }
    }
}
