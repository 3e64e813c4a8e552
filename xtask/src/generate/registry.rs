//! `src/versions.rs`: the versions this build has, generated from the specs, so that nothing
//! outside `spec/` lists a version by hand: the declaration of each version's module, and the
//! registry: `ApiVersion` with each version's name, module, lifecycle, end of support and
//! operations, and `with_version!`, which runs a block with the module of a version chosen at
//! run time. The hand-written `lib.rs` re-exports all of it.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::docs;
use crate::model::{LIFECYCLES, Version};

/// `V4`, `V2026_09`: the module name, capitalised, so that the date stays readable.
fn variant(version: &Version) -> proc_macro2::Ident {
    let mut chars = version.module.chars();
    let first = chars.next().map(|c| c.to_ascii_uppercase());
    format_ident!("{}", first.into_iter().chain(chars).collect::<String>())
}

fn helper(version: &Version) -> proc_macro2::Ident {
    format_ident!("__with_version_{}", version.module)
}

/// `newest_generally_available`: an alias of the newest generally available version's module
/// among the enabled features, for programs (and suites) that move with HubSpot's newest
/// version rather than choose when to move.
fn newest_alias(versions: &[Version]) -> TokenStream {
    let available: Vec<&Version> = versions
        .iter()
        .rev()
        .filter(|v| v.lifecycle.status.as_deref() == Some("generally-available"))
        .collect();
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

/// The tokens of `src/versions.rs`.
pub fn registry(versions: &[Version]) -> TokenStream {
    let variants: Vec<_> = versions.iter().map(variant).collect();
    let features: Vec<&str> = versions.iter().map(|v| v.module.as_str()).collect();
    let names: Vec<&str> = versions.iter().map(|v| v.name.as_str()).collect();
    let variant_docs = versions.iter().map(|v| {
        docs(&format!(
            "Version {} (`{}`), module [`crate::{}`].",
            v.name,
            v.lifecycle.status.as_deref().unwrap_or("beta"),
            v.module
        ))
    });
    let lifecycles = versions.iter().map(|v| {
        let status = v.lifecycle.status.as_deref().unwrap_or("beta");
        let name = LIFECYCLES
            .iter()
            .find(|(spec, _)| *spec == status)
            .map_or("Beta", |(_, rust)| rust);
        let name = format_ident!("{name}");
        quote!(crate::Lifecycle::#name)
    });
    let ends = versions.iter().map(|v| match &v.lifecycle.end_of_support {
        Some(date) => quote!(Some(#date)),
        None => quote!(None),
    });
    let operation_tables = versions.iter().map(|v| {
        let rows = v.operations.iter().map(|op| {
            let name = &op.id;
            let method = &op.method;
            let path = &op.path;
            let success: Vec<proc_macro2::Literal> = op
                .success
                .documented
                .iter()
                .filter_map(|code| code.parse().ok())
                .map(proc_macro2::Literal::u16_unsuffixed)
                .collect();
            let body = op.success.body.is_some()
                && op
                    .success
                    .documented
                    .iter()
                    .any(|code| code != "204");
            quote! {
                crate::OperationInfo { name: #name, method: #method, path: #path, success: &[#(#success),*], success_body: #body }
            }
        });
        quote!(&[#(#rows),*])
    });
    let helpers = versions.iter().map(|v| {
        let helper = helper(v);
        let feature = &v.module;
        quote! {
            #[doc(hidden)]
            #[cfg(feature = #feature)]
            #[macro_export]
            macro_rules! #helper {
                ($($body:tt)*) => { $($body)* };
            }
            #[doc(hidden)]
            #[cfg(not(feature = #feature))]
            #[macro_export]
            macro_rules! #helper {
                ($($body:tt)*) => {};
            }
        }
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

            /// Its operations, in spec order.
            pub const fn operations(self) -> &'static [crate::OperationInfo] {
                match self {
                    #( #[cfg(feature = #features)] Self::#variants => #operation_tables, )*
                }
            }

            /// The operation of this name, if the version has it.
            pub fn operation(self, name: &str) -> Option<&'static crate::OperationInfo> {
                self.operations().iter().find(|op| op.name == name)
            }

            /// The newest generally available version of this build: a sensible default.
            pub fn newest_generally_available() -> Option<Self> {
                Self::ALL
                    .iter()
                    .rev()
                    .copied()
                    .find(|v| v.lifecycle() == crate::Lifecycle::GenerallyAvailable)
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

        #(#helpers)*

    }
}

/// `with_version!`, as text: prettyplease prints the body of a `macro_rules!` as one run of
/// tokens, and this macro is read in the docs, so it is written out as a person would.
pub fn with_version_macro(versions: &[Version]) -> String {
    let branches: String = versions
        .iter()
        .map(|v| {
            format!(
                "            $crate::__with_version_{module}! {{
                if version == $crate::ApiVersion::{variant} {{
                    use $crate::{module} as $module;
                    break 'version $body;
                }}
            }}
",
                module = v.module,
                variant = variant(v),
            )
        })
        .collect();
    format!(
        r#"
/// Runs the block with `$module` naming the module of the version `$version`, chosen at run
/// time: the block is compiled once per enabled version, so code written against one
/// version's method and type names serves every version that has them. The arguments are
/// three expressions, so rustfmt formats the block.
///
/// ```
/// # async fn run(version: hubspot_associations::ApiVersion, transport: hubspot_associations::Transport) {{
/// let operations = hubspot_associations::with_version!(version, api, {{
///     let _client = api::Client::new(transport.clone());
///     api::VERSION.len()
/// }});
/// # let _ = operations;
/// # }}
/// ```
#[macro_export]
macro_rules! with_version {{
    ($version:expr, $module:ident, $body:block) => {{{{
        let version: $crate::ApiVersion = $version;
        // A deprecated version's client is named in its branch; with no version enabled,
        // `ApiVersion` has no value and the end is unreachable.
        #[allow(deprecated, unreachable_code)]
        let value = 'version: {{
{branches}            unreachable!("every version of this build has a branch above")
        }};
        value
    }}}};
}}
"#
    )
}
