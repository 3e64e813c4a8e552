//! `src/versions.rs`: the versions this build has, generated from the specs, so that nothing
//! outside `spec/` lists a version by hand: the declaration of each version's module, and the
//! registry: `ApiVersion` with each version's name, module, lifecycle, end of support, its
//! operations with what HubSpot publishes of each (`OperationInfo`) and the operations it
//! dropped; and two macros that run a block with the module of a version chosen at run time:
//! `with_version!` for code every version compiles, `with_operations!` for code that needs
//! some operations, compiled only for the versions that have them. The hand-written `lib.rs`
//! re-exports all of it.

use std::fmt::Write;

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

use super::docs;
use crate::model::{Operation, Stage, Status, Version};

/// `V4`, `V2026_09`: the module name, capitalised, so that the date stays readable.
fn variant(version: &Version) -> proc_macro2::Ident {
    let mut chars = version.module.chars();
    let first = chars.next().map(|c| c.to_ascii_uppercase());
    format_ident!("{}", first.into_iter().chain(chars).collect::<String>())
}

/// The hidden macro that keeps a block for one version when the version has every operation
/// it names (and its feature is on), and drops it otherwise.
fn helper(version: &Version) -> String {
    format!("__with_operations_{}", version.module)
}

fn generally_available(versions: &[Version]) -> impl DoubleEndedIterator<Item = &Version> {
    versions
        .iter()
        .filter(|v| v.lifecycle.stage == Stage::GenerallyAvailable)
}

/// `newest_generally_available`: an alias of the newest generally available version's module
/// among the enabled features, for programs (and suites) that move with HubSpot's newest
/// version rather than choose when to move.
fn newest_alias(versions: &[Version]) -> TokenStream {
    let available: Vec<&Version> = generally_available(versions).rev().collect();
    let aliases = available.iter().enumerate().map(|(index, version)| {
        let module = format_ident!("{}", version.module);
        let feature = &version.module;
        let newer: Vec<&str> = available[..index]
            .iter()
            .map(|v| v.module.as_str())
            .collect();
        let cfg = match newer.as_slice() {
            [] => quote!(#[cfg(feature = #feature)]),
            newer => quote!(#[cfg(all(feature = #feature, not(any(#(feature = #newer),*))))]),
        };
        let doc = docs(&format!(
            "The newest generally available version of this build ([`{}`](crate::{}) with \
             these features).\n\n\
             A program that uses it moves to each new version as the crate ships it, with that \
             version's breaking changes (each version's docs list them); one that names a \
             version module chooses when to move.",
            version.name, version.module
        ));
        quote! {
            #doc
            #cfg
            pub use crate::#module as newest_generally_available;
        }
    });
    quote!(#(#aliases)*)
}

fn status(status: &Status) -> TokenStream {
    match status {
        Status::Code(code) => {
            let code = Literal::u16_unsuffixed(*code);
            quote!(crate::DocumentedStatus::Code(#code))
        }
        Status::Range(range) => {
            let range = Literal::u8_unsuffixed(*range);
            quote!(crate::DocumentedStatus::Range(#range))
        }
    }
}

/// Each distinct scope list of the versions, once, with the versions whose operations use it:
/// they all share its constant, `SCOPES_<n>` (the n-th list here).
fn scope_lists(versions: &[Version]) -> Vec<(&[String], Vec<&Version>)> {
    let mut lists: Vec<(&[String], Vec<&Version>)> = Vec::new();
    for version in versions {
        for op in version.operations.iter().filter(|op| !op.scopes.is_empty()) {
            match lists.iter_mut().find(|(scopes, _)| *scopes == op.scopes) {
                Some((_, users)) if users.last().is_some_and(|last| last.name == version.name) => {}
                Some((_, users)) => users.push(version),
                None => lists.push((&op.scopes, vec![version])),
            }
        }
    }
    lists
}

fn scope_constant(index: usize) -> proc_macro2::Ident {
    format_ident!("SCOPES_{}", index + 1)
}

/// A JSON value as the registry's `Example`: data the build checks.
fn example_tokens(value: &serde_json::Value) -> TokenStream {
    use serde_json::Value;
    match value {
        Value::Null => quote!(crate::Example::Null),
        Value::Bool(value) => quote!(crate::Example::Bool(#value)),
        Value::Number(number) => {
            let text = number.to_string();
            quote!(crate::Example::Number(#text))
        }
        Value::String(text) => quote!(crate::Example::String(#text)),
        Value::Array(items) => {
            let items = items.iter().map(example_tokens);
            quote!(crate::Example::List(&[#(#items),*]))
        }
        Value::Object(entries) => {
            let entries = entries.iter().map(|(name, value)| {
                let value = example_tokens(value);
                quote!((#name, #value))
            });
            quote!(crate::Example::Object(&[#(#entries),*]))
        }
    }
}

/// The registry's row of one operation.
fn operation_info(op: &Operation, scopes: &[(&[String], Vec<&Version>)]) -> TokenStream {
    let name = &op.id;
    let method = format_ident!("{}", op.method.variant());
    let path = op.path.to_string();
    let success = op.success.documented();
    let success = success.iter().map(status);
    let body = op.success.documented_body();
    let cap = match op.batch_cap() {
        Some(cap) => {
            let cap = Literal::usize_unsuffixed(cap);
            quote!(Some(#cap))
        }
        None => quote!(None),
    };
    let retry = format_ident!("{}", op.retry.variant());
    let scopes = match scopes.iter().position(|(list, _)| *list == op.scopes) {
        Some(index) => {
            let constant = scope_constant(index);
            quote!(#constant)
        }
        None => quote!(&[]),
    };
    let exemptions = &op.rate_limit_exemptions;
    let example = match &op.success_example {
        Some(example) => {
            let example = example_tokens(example);
            quote!(Some(&#example))
        }
        None => quote!(None),
    };
    quote! {
        crate::OperationInfo {
            name: #name,
            method: crate::HttpMethod::#method,
            path: #path,
            success: &[#(#success),*],
            success_body: #body,
            batch_cap: #cap,
            retry: crate::RetryClass::#retry,
            scopes: #scopes,
            rate_limit_exemptions: &[#(#exemptions),*],
            success_example: #example,
        }
    }
}

/// The tokens of `src/versions.rs`.
pub fn registry(versions: &[Version]) -> TokenStream {
    let variants: Vec<_> = versions.iter().map(variant).collect();
    let features: Vec<&str> = versions.iter().map(|v| v.module.as_str()).collect();
    let names: Vec<&str> = versions.iter().map(|v| v.name.as_str()).collect();
    let variant_docs = versions.iter().map(|v| {
        docs(&format!(
            "Version {} (`{}`), module [`crate::{}`].",
            v.name,
            v.lifecycle.stage.as_str(),
            v.module
        ))
    });
    let lifecycles = versions.iter().map(|v| {
        let name = format_ident!("{}", v.lifecycle.stage.variant());
        quote!(crate::Lifecycle::#name)
    });
    let ends = versions.iter().map(|v| match &v.lifecycle.end_of_support {
        Some(date) => quote!(Some(#date)),
        None => quote!(None),
    });
    let lists = scope_lists(versions);
    let scope_constants = lists.iter().enumerate().map(|(index, (scopes, users))| {
        let names: Vec<&str> = users.iter().map(|v| v.name.as_str()).collect();
        let features: Vec<&str> = users.iter().map(|v| v.module.as_str()).collect();
        let cfg = match features.as_slice() {
            [one] => quote!(#[cfg(feature = #one)]),
            many => quote!(#[cfg(any(#(feature = #many),*))]),
        };
        let doc = docs(&format!(
            "The OAuth scopes of some operations of {} {}, any one of which lets a call through.",
            if names.len() == 1 {
                "version"
            } else {
                "versions"
            },
            names.join(", ")
        ));
        let name = scope_constant(index);
        quote! {
            #doc
            #cfg
            const #name: &[&str] = &[#(#scopes),*];
        }
    });
    let operation_tables = versions.iter().map(|v| {
        let rows = v.operations.iter().map(|op| operation_info(op, &lists));
        quote!(&[#(#rows),*])
    });
    let removals = versions.iter().map(|v| {
        let rows = v.removed.iter().map(|removal| {
            let name = &removal.operation;
            let note = match &removal.note {
                Some(note) => quote!(Some(#note)),
                None => quote!(None),
            };
            quote!(crate::RemovedOperation { name: #name, note: #note })
        });
        quote!(&[#(#rows),*])
    });
    let modules = versions.iter().map(|v| {
        let module = format_ident!("{}", v.module);
        let path = format!("{}/mod.rs", v.module);
        let feature = &v.module;
        quote! {
            #[cfg(feature = #feature)]
            #[rustfmt::skip]
            #[path = #path]
            pub mod #module;
        }
    });
    let newest = newest_alias(versions);
    let list = names.join(", ");
    let enum_doc = docs(&format!(
        "A version of HubSpot's associations API that this build of the crate has: one per \
         enabled cargo feature ({list}).\n\n\
         Take versions from here rather than listing them: a program that iterates \
         [`ApiVersion::ALL`] or parses a name covers the next version as soon as the crate has it."
    ));
    quote! {
        //! The versions of this build, generated from `spec/*/openapi.yaml`: one module per
        //! version, each behind the cargo feature of the same name, and their registry.

        #(#modules)*

        #newest

        use std::fmt;
        use std::str::FromStr;

        #(#scope_constants)*

        #enum_doc
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum ApiVersion {
            #(
                #variant_docs
                #[cfg(feature = #features)]
                #variants,
            )*
        }

        impl ApiVersion {
            /// Every version of this build, oldest first.
            pub const ALL: &'static [Self] = &[#( #[cfg(feature = #features)] Self::#variants ),*];

            /// The name HubSpot gives it, as in its paths: `v4`, `2026-09`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    #( #[cfg(feature = #features)] Self::#variants => #names, )*
                }
            }

            /// Its module and cargo feature: `v4`, `v2026_09`.
            pub const fn module(self) -> &'static str {
                match self {
                    #( #[cfg(feature = #features)] Self::#variants => #features, )*
                }
            }

            /// Where it stands in HubSpot's support schedule.
            pub const fn lifecycle(self) -> crate::Lifecycle {
                match self {
                    #( #[cfg(feature = #features)] Self::#variants => #lifecycles, )*
                }
            }

            /// The day HubSpot ends its support (`YYYY-MM-DD`), when announced.
            pub const fn end_of_support(self) -> Option<&'static str> {
                match self {
                    #( #[cfg(feature = #features)] Self::#variants => #ends, )*
                }
            }

            /// Its operations, in spec order, with what HubSpot publishes of each.
            pub const fn operations(self) -> &'static [crate::OperationInfo] {
                match self {
                    #( #[cfg(feature = #features)] Self::#variants => #operation_tables, )*
                }
            }

            /// The operations of the version before that this one dropped, with what HubSpot
            /// says to use instead (`x-removed-operations` in its spec).
            pub const fn removed_operations(self) -> &'static [crate::RemovedOperation] {
                match self {
                    #( #[cfg(feature = #features)] Self::#variants => #removals, )*
                }
            }
        }

        impl fmt::Display for ApiVersion {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for ApiVersion {
            type Err = crate::UnknownVersion;

            /// Parses a name as HubSpot spells it (`2026-09`) or as the module does (`v2026_09`).
            fn from_str(name: &str) -> Result<Self, Self::Err> {
                Self::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == name || v.module() == name)
                    .ok_or_else(|| crate::UnknownVersion {
                        name: name.to_owned(),
                        known: Self::ALL.iter().map(|v| v.as_str()).collect(),
                    })
            }
        }
    }
}

/// The macros, as text: prettyplease prints the body of a `macro_rules!` as one run of tokens,
/// and these are read in the docs, so they are written out as a person would.
pub fn macros(versions: &[Version]) -> String {
    let mut text = String::new();
    for version in versions {
        text.push_str(&helper_macro(version));
    }
    text.push_str(&with_version_macro(versions));
    text.push_str(&with_operations_macro(versions));
    text
}

/// The helper of one version: with its feature on, it keeps the block after the list of
/// operations when the version has each of them, one arm per operation it has; otherwise it
/// drops the block.
fn helper_macro(version: &Version) -> String {
    let name = helper(version);
    let feature = &version.module;
    let mut arms = String::new();
    for op in &version.operations {
        let _ = write!(
            arms,
            "    ([{id} $(, $rest:ident)*] $($body:tt)*) => {{\n        $crate::{name}! {{ [$($rest),*] $($body)* }}\n    }};\n",
            id = op.id
        );
    }
    format!(
        r#"
#[doc(hidden)]
#[cfg(feature = "{feature}")]
#[macro_export]
macro_rules! {name} {{
    ([] $($body:tt)*) => {{ $($body)* }};
{arms}    ([$other:ident $(, $rest:ident)*] $($body:tt)*) => {{}};
}}

#[doc(hidden)]
#[cfg(not(feature = "{feature}"))]
#[macro_export]
macro_rules! {name} {{
    ($($tokens:tt)*) => {{}};
}}
"#
    )
}

/// One branch per version: the block, kept for the versions `$helper` lets through.
fn branches(versions: &[Version], operations: &str, value: &str) -> String {
    versions
        .iter()
        .map(|v| {
            format!(
                "            $crate::{helper}! {{
                [{operations}]
                if version == $crate::ApiVersion::{variant} {{
                    use $crate::{module} as $module;
                    break 'version {value};
                }}
            }}
",
                helper = helper(v),
                module = v.module,
                variant = variant(v),
            )
        })
        .collect()
}

/// A macro that runs `$body` with `$module` the module of a version chosen at run time: one
/// branch per version that the helpers keep for the operations `listed`, the branch's
/// `value`, and what it is when no branch took the version.
struct VersionMacro<'a> {
    name: &'a str,
    doc: &'a str,
    /// What the macro takes between `$module` and `$body`.
    operations: &'a str,
    /// The operations each branch needs, as the helpers take them.
    listed: &'a str,
    value: &'a str,
    otherwise: &'a str,
}

impl VersionMacro<'_> {
    fn text(&self, versions: &[Version]) -> String {
        let VersionMacro {
            name,
            doc,
            operations,
            listed,
            value,
            otherwise,
        } = self;
        let branches = branches(versions, listed, value);
        format!(
            r#"
{doc}#[macro_export]
macro_rules! {name} {{
    ($version:expr, $module:ident, {operations}$body:block) => {{{{
        let version: $crate::ApiVersion = $version;
        // A deprecated version's client is named in its branch; with no version enabled,
        // `ApiVersion` has no value and the end is unreachable.
        #[allow(deprecated, unreachable_code)]
        let value = 'version: {{
{branches}            {otherwise}
        }};
        value
    }}}};
}}
"#
        )
    }
}

/// `with_version!`: a block compiled once per enabled version.
fn with_version_macro(versions: &[Version]) -> String {
    VersionMacro {
        name: "with_version",
        doc: r#"/// Runs the block with `$module` naming the module of the version `$version`, chosen at run
/// time: the block is compiled once per enabled version, so code written against one
/// version's method and type names serves every version that has them. The arguments are
/// three expressions, so rustfmt formats the block. Code that calls an operation some version
/// lacks uses [`with_operations!`](crate::with_operations) instead.
///
/// ```
/// # use hubspot_associations::{ApiVersion, Transport};
/// # async fn run(version: ApiVersion, transport: Transport) {
/// let operations = hubspot_associations::with_version!(version, api, {
///     let _client = api::Client::new(transport.clone());
///     api::VERSION.len()
/// });
/// # let _ = operations;
/// # }
/// ```
"#,
        operations: "",
        listed: "",
        value: "$body",
        otherwise: r#"unreachable!("every version of this build has a branch above")"#,
    }
    .text(versions)
}

/// `with_operations!`: a block compiled once per enabled version that has every operation
/// listed, `Err` for the others.
fn with_operations_macro(versions: &[Version]) -> String {
    VersionMacro {
        name: "with_operations",
        doc: r#"/// Runs the block with `$module` naming the module of the version `$version`, when that
/// version has every operation listed: the block is compiled only for the enabled versions
/// that have them, so it may call their methods, and a version that dropped one (or never had
/// it) gives [`MissingOperation`](crate::MissingOperation) instead, naming the operation,
/// what HubSpot says to use, and the versions that have it. The registry says the same before
/// anything runs: [`ApiVersion::require`](crate::ApiVersion::require).
///
/// ```
/// # use hubspot_associations::{ApiVersion, Error, Transport};
/// # async fn run(version: ApiVersion, transport: Transport) -> Result<(), Error> {
/// use hubspot_associations::{MissingOperation, ObjectType, with_operations};
///
/// let labels: Result<usize, MissingOperation> = with_operations!(version, api, [list_labels], {
///     let client = api::Client::new(transport.clone());
///     client.labels(ObjectType::CONTACTS, ObjectType::COMPANIES).await?.iter().count()
/// });
/// match labels {
///     Ok(count) => println!("{count} labels"),
///     Err(missing) => eprintln!("{missing}"),
/// }
/// # Ok(())
/// # }
/// ```
"#,
        operations: "[$($operation:ident),* $(,)?], ",
        listed: "$($operation),*",
        value: "Ok($body)",
        otherwise: r#"Err(version
                .require(&[$(::core::stringify!($operation)),*])
                .expect_err("the registry lacks an operation the branches above lack"))"#,
    }
    .text(versions)
}
