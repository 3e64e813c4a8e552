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
    drop_unused_error_module(&mut file);
    syn::visit_mut::VisitMut::visit_file_mut(&mut Readable, &mut file);
    let collections = quote!(#file).to_string().contains("BTreeMap").then(|| {
        quote! {
            use std::collections::BTreeMap;
        }
    });
    let enums = version.enums.iter().map(open_enum);
    let constructors = super::constructors::constructors(version, &file);
    Ok(quote! {
        #collections
        #file
        #(#enums)*
        #constructors
    })
}

/// Makes typify's output read as a person writes Rust: `/// Text` rather than `///Text`, and
/// `Option<String>` rather than `::std::option::Option<::std::string::String>` (the prelude's
/// types, which no schema shadows; validation refuses schemas with their names).
struct Readable;

/// The prelude types typify spells out in full.
const PRELUDE: [&str; 4] = ["Option", "String", "Vec", "Box"];

/// The crates typify names with a leading `::`, which no module of the crate shadows.
const EXTERN_CRATES: [&str; 3] = ["serde", "serde_json", "chrono"];

impl syn::visit_mut::VisitMut for Readable {
    fn visit_attribute_mut(&mut self, attr: &mut syn::Attribute) {
        if attr.path().is_ident("serde") || attr.path().is_ident("derive") {
            let meta = &attr.meta;
            let text = quote!(#meta).to_string();
            let short = PRELUDE
                .iter()
                .fold(text.clone(), |text, name| {
                    let module = name.to_lowercase();
                    text.replace(
                        &format!(":: std :: {module} :: {name} ::"),
                        &format!("{name} ::"),
                    )
                    .replace(&format!("::std::{module}::{name}::"), &format!("{name}::"))
                })
                .replace(":: serde ::", "serde ::");
            if short != text
                && let Ok(meta) = syn::parse_str(&short)
            {
                attr.meta = meta;
            }
            return;
        }
        if let syn::Meta::NameValue(doc) = &mut attr.meta
            && doc.path.is_ident("doc")
            && let syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(text),
                ..
            }) = &mut doc.value
        {
            let value = text.value();
            if !value.is_empty() && !value.starts_with([' ', '\n']) {
                *text = syn::LitStr::new(&format!(" {value}"), text.span());
            }
        }
    }

    fn visit_path_mut(&mut self, path: &mut syn::Path) {
        let names: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        let prelude = path.leading_colon.is_some()
            && names.len() == 3
            && names[0] == "std"
            && PRELUDE.contains(&names[2].as_str());
        let collection = path.leading_colon.is_some()
            && names.len() == 3
            && names[0] == "std"
            && names[1] == "collections";
        if prelude || collection {
            // `BTreeMap` is imported at the top of the file (see `models`).
            let last = path.segments.pop().expect("three segments");
            path.leading_colon = None;
            path.segments.clear();
            path.segments.push(last);
        } else if path.leading_colon.is_some()
            && EXTERN_CRATES.contains(&names.first().map_or("", String::as_str))
        {
            path.leading_colon = None;
        }
        syn::visit_mut::visit_path_mut(self, path);
    }
}

/// typify adds an `error` module with a `ConversionError` for its `TryFrom` impls; a version
/// whose schemas need none gets no such module.
fn drop_unused_error_module(file: &mut syn::File) {
    let is_error_module =
        |item: &syn::Item| matches!(item, syn::Item::Mod(module) if module.ident == "error");
    let used = file
        .items
        .iter()
        .filter(|item| !is_error_module(item))
        .any(|item| quote!(#item).to_string().contains("ConversionError"));
    if !used {
        file.items.retain(|item| !is_error_module(item));
    }
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
