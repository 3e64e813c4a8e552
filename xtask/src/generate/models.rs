//! The `types` module of a version: the models typify made (see `rust_types`), with the docs
//! it leaves out, and the open enums it cannot write.

use std::collections::BTreeMap;

use heck::{ToSnakeCase, ToUpperCamelCase};
use openapiv3::{OpenAPI, ReferenceOr, SchemaKind, Type};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::docs;
use crate::diagnostics::Diagnostic;
use crate::document::schema_name;
use crate::model::{OpenEnum, Version};

/// The `types` module of a version.
pub fn models(version: &Version) -> Result<TokenStream, Diagnostic> {
    let mut file: syn::File = syn::parse2(version.models.tokens.clone()).map_err(|error| {
        Diagnostic::new(
            &version.source,
            "/components/schemas",
            format!("progenitor produced models that do not parse as Rust: {error}"),
            "this is a generator bug: simplify the schema the models fail on, and report it",
        )
    })?;
    document_fields(&mut file, &field_docs(&version.api));
    let enums = version.enums.iter().map(open_enum);
    Ok(quote! {
        #file
        #(#enums)*
    })
}

/// For each (schema, property) that is a `$ref` without words of its own: the description of
/// the schema it refers to, so that every public field has docs.
fn field_docs(api: &OpenAPI) -> BTreeMap<(String, String), String> {
    let mut docs = BTreeMap::new();
    let Some(components) = &api.components else {
        return docs;
    };
    let description = |name: &str| -> String {
        components
            .schemas
            .get(name)
            .and_then(ReferenceOr::as_item)
            .and_then(|schema| schema.schema_data.description.as_deref())
            .map(|text| text.split("\n\n").next().unwrap_or(text).replace('\n', " "))
            .unwrap_or_else(|| format!("See [`{name}`]."))
    };
    for (schema_name_, schema) in &components.schemas {
        let Some(schema) = schema.as_item() else {
            continue;
        };
        let SchemaKind::Type(Type::Object(object)) = &schema.schema_kind else {
            continue;
        };
        for (property, value) in &object.properties {
            if let ReferenceOr::Reference { reference } = value
                && let Some(target) = schema_name(reference)
            {
                docs.insert(
                    (schema_name_.to_upper_camel_case(), property.to_snake_case()),
                    description(target).trim().to_owned(),
                );
            }
        }
    }
    docs
}

fn document_fields(file: &mut syn::File, docs: &BTreeMap<(String, String), String>) {
    for item in &mut file.items {
        let syn::Item::Struct(item) = item else {
            continue;
        };
        let owner = item.ident.to_string();
        for field in item.fields.iter_mut() {
            let Some(ident) = &field.ident else { continue };
            let has_doc = field.attrs.iter().any(|attr| attr.path().is_ident("doc"));
            let name = ident.to_string();
            let key = (owner.clone(), name.trim_end_matches('_').to_owned());
            if let (false, Some(doc)) = (has_doc, docs.get(&key)) {
                field.attrs.insert(0, syn::parse_quote!(#[doc = #doc]));
            }
        }
    }
}

/// An enum whose values HubSpot may extend: unknown values decode into `Other`.
fn open_enum(open: &OpenEnum) -> TokenStream {
    let name = format_ident!("{}", open.name);
    let doc = docs(&format!(
        "{}\n\nValues this version of the crate does not know decode into `Other`.",
        open.description
            .as_deref()
            .unwrap_or("A value HubSpot sends as a string.")
            .trim()
    ));
    let variants: Vec<_> = open
        .values
        .iter()
        .map(|value| format_ident!("{}", value.to_upper_camel_case()))
        .collect();
    let values = &open.values;
    let variant_docs = open.values.iter().map(|value| {
        let aliases: Vec<String> = open
            .aliases
            .iter()
            .filter(|(_, canonical)| canonical == value)
            .map(|(alias, _)| format!("`{alias}`"))
            .collect();
        match aliases.is_empty() {
            true => docs(&format!("`{value}`")),
            false => docs(&format!(
                "`{value}` (also decoded from {})",
                aliases.join(", ")
            )),
        }
    });
    let patterns = open.values.iter().map(|value| {
        let aliases = open
            .aliases
            .iter()
            .filter(|(_, canonical)| canonical == value)
            .map(|(alias, _)| alias);
        quote!(#value #(| #aliases)*)
    });
    quote! {
        #doc
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum #name {
            #( #variant_docs #variants, )*
            /// A value this version of the crate does not know, as HubSpot sent it.
            Other(String),
        }

        impl #name {
            /// The value as HubSpot spells it.
            pub fn as_str(&self) -> &str {
                match self {
                    #( Self::#variants => #values, )*
                    Self::Other(value) => value,
                }
            }
        }

        impl From<&str> for #name {
            fn from(value: &str) -> Self {
                match value {
                    #( #patterns => Self::#variants, )*
                    other => Self::Other(other.to_owned()),
                }
            }
        }

        crate::open_enum::open_enum_traits!(#name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_enums_name_variants_and_aliases() {
        let tokens = open_enum(&OpenEnum {
            name: "BatchStatus".into(),
            description: Some("The status.".into()),
            values: vec!["CANCELED".into(), "COMPLETE".into()],
            aliases: vec![("CANCELLED".into(), "CANCELED".into())],
        })
        .to_string();
        assert!(tokens.contains("pub enum BatchStatus"), "{tokens}");
        assert!(
            tokens.contains("\"CANCELED\" | \"CANCELLED\" => Self :: Canceled"),
            "{tokens}"
        );
        assert!(
            tokens.contains("Self :: Complete => \"COMPLETE\""),
            "{tokens}"
        );
        assert!(
            tokens.contains("open_enum_traits ! (BatchStatus)"),
            "{tokens}"
        );
    }
}
