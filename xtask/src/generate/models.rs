//! The `types` module of a version: the models typify made (see `rust_types`), with the docs
//! it leaves out, the error types whose fields are lenient, and the open enums it cannot write;
//! then the constructors, and which fields of the batch types name records.

use std::collections::BTreeMap;

use heck::{ToSnakeCase, ToUpperCamelCase};
use proc_macro2::{Group, Spacing, TokenStream, TokenTree};
use quote::{format_ident, quote};

use super::docs;
use crate::model::{KeyShape, OpenEnum, RecordKeys, Side, Version};
use crate::rust_types::{RustType, Scope, TypifyCode};

/// The `types` module of a version: typify's syntax tree, amended, with the items written
/// here added to it (typify's models are never printed and parsed again).
pub fn models(version: &Version, code: TypifyCode) -> syn::Result<syn::File> {
    let TypifyCode(mut file) = code;
    // The error types are written from the model below, their fields lenient.
    file.items.retain(|item| {
        !matches!(item, syn::Item::Struct(item) if version.lenient.contains(&item.ident.to_string()))
    });
    document_fields(&mut file, &version.docs.fields);
    drop_unused_error_module(&mut file);
    let mut short_paths = ShortPaths::default();
    syn::visit_mut::VisitMut::visit_file_mut(&mut short_paths, &mut file);
    for item in &mut file.items {
        rewrap_item(item);
    }
    let lenient = version
        .lenient
        .iter()
        .filter_map(|name| lenient_struct(version, name));
    let uses_map = short_paths.shortened_collections
        || version
            .models
            .structs
            .values()
            .flat_map(|fields| fields.values())
            .any(|field| matches!(field.ty.unwrapped(), RustType::Map(..)));
    let collections = uses_map.then(|| {
        quote!(
            use std::collections::BTreeMap;
        )
    });
    let enums =
        version
            .enums
            .iter()
            .map(|open| match RUNTIME_ENUMS.contains(&open.name.as_str()) {
                true => {
                    let name = format_ident!("{}", open.name);
                    quote!(pub use crate::#name;)
                }
                false => open_enum(open),
            });
    let constructors = super::constructors::constructors(version);
    let keyed = version.keyed.iter().map(|(name, keys)| keyed(name, keys));
    let mut written: syn::File = syn::parse2(quote! {
        #collections

        #(#lenient)*

        #(#enums)*

        #constructors

        #(#keyed)*
    })?;
    // The import first, then typify's models, then the items written here.
    let after_models = written.items.split_off(usize::from(uses_map));
    written.items.extend(file.items);
    written.items.extend(after_models);
    written.attrs.extend(file.attrs);
    Ok(written)
}

/// An error type, written from the model: every field optional and [`RustType::Lenient`], so
/// that an answer whose field holds another JSON type than documented still decodes, keeping
/// what came.
fn lenient_struct(version: &Version, name: &str) -> Option<TokenStream> {
    let fields = version.models.structs.get(name)?;
    let own = version.docs.types.get(name);
    let description = own
        .and_then(|own| own.description.as_deref())
        .unwrap_or("An error HubSpot answered with.");
    let property_docs = |json: &str| -> String {
        own.and_then(|own| own.fields.get(json).cloned())
            .or_else(|| {
                version
                    .docs
                    .fields
                    .get(&(name.to_owned(), json.to_snake_case()))
                    .cloned()
            })
            .unwrap_or_else(|| format!("`{json}`, as HubSpot sent it."))
    };
    let doc = docs(&format!(
        "{}\n\nEvery field is optional, and a field that holds another JSON type than HubSpot \
         documents decodes as that JSON ([`crate::Lenient`]): HubSpot says to treat every field \
         of an error as optional, and its answers vary.",
        description.trim()
    ));
    let fields = fields.iter().map(|(json, field)| {
        let ident = format_ident!("{}", field.rust_name);
        let ty = field.ty.tokens(Scope::Types);
        let doc = docs(property_docs(json).trim());
        let rename = (*json != field.rust_name).then(|| quote!(rename = #json,));
        quote! {
            #doc
            #[serde(#rename default, skip_serializing_if = "Option::is_none")]
            pub #ident: #ty,
        }
    });
    let ident = format_ident!("{name}");
    let display = lenient_display(version, name);
    Some(quote! {
        #doc
        #[derive(serde::Deserialize, serde::Serialize, Clone, Debug, Default, PartialEq)]
        pub struct #ident {
            #(#fields)*
        }

        #display
    })
}

/// How an error type prints: `CATEGORY: message (correlation id ...)` from the fields it has
/// of those, or, without a message, the error as JSON; never `Some(Typed(..))`.
fn lenient_display(version: &Version, name: &str) -> TokenStream {
    let fields = &version.models.structs[name];
    let field = |json: &str| {
        fields
            .get(json)
            .filter(|field| matches!(field.ty.unwrapped(), RustType::Lenient(_)))
            .map(|field| format_ident!("{}", field.rust_name))
    };
    let ident = format_ident!("{name}");
    let as_json = quote!(f.write_str(&serde_json::to_string(self).unwrap_or_default()));
    let Some(message) = field("message") else {
        return quote! {
            impl std::fmt::Display for #ident {
                fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    #as_json
                }
            }
        };
    };
    let category = field("category").map(|category| {
        quote! {
            if let Some(category) = &self.#category {
                write!(f, "{category}: ")?;
            }
        }
    });
    let correlation = field("correlationId").map(|id| {
        quote! {
            if let Some(id) = &self.#id {
                write!(f, " (correlation id {id})")?;
            }
        }
    });
    quote! {
        impl std::fmt::Display for #ident {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                let Some(message) = &self.#message else {
                    return #as_json;
                };
                #category
                write!(f, "{message}")?;
                #correlation
                Ok(())
            }
        }
    }
}

/// Which records a batch input or result names, as the model read them from its fields: the
/// bulk engine matches results and errors to inputs by them.
fn keyed(name: &str, keys: &RecordKeys) -> TokenStream {
    let ident = format_ident!("{name}");
    let calls = keys.fields.iter().map(|field| {
        let rust = format_ident!("{}", field.rust);
        let side = match field.side {
            Side::From => quote!(from),
            Side::To => quote!(to),
            Side::Other => quote!(other),
        };
        let values = match field.shape {
            KeyShape::Id => quote!([&self.#rust]),
            KeyShape::OptionalId => quote!(&self.#rust),
            KeyShape::Wrapped => quote!([&self.#rust.id]),
            KeyShape::OptionalWrapped | KeyShape::WrappedList => {
                quote!(self.#rust.iter().map(|record| &record.id))
            }
            KeyShape::Number => quote!([self.#rust]),
            KeyShape::OptionalNumber => quote!(self.#rust),
        };
        quote!(.#side(#values))
    });
    quote! {
        impl crate::bulk::Keyed for #ident {
            fn keys(&self) -> crate::bulk::Keys {
                crate::bulk::Keys::default() #(#calls)*
            }
        }
    }
}

/// Makes typify's output read as a person writes Rust: `/// Text` rather than `///Text`, and
/// `Option<String>` rather than `::std::option::Option<::std::string::String>` (the prelude's
/// types, which no schema shadows; validation refuses schemas with their names), in types and
/// in the paths that `serde` attributes hold as text. It works on tokens and syntax trees, and
/// notes whether it left a path into `std::collections` for the file's imports to bring in.
#[derive(Default)]
struct ShortPaths {
    shortened_collections: bool,
}

/// The prelude types typify spells out in full.
const PRELUDE: [&str; 4] = ["Option", "String", "Vec", "Box"];

/// The crates typify names with a leading `::`, which no module of the crate shadows.
const EXTERN_CRATES: [&str; 3] = ["serde", "serde_json", "chrono"];

/// `::std::option::Option::is_none` is `Option::is_none`; `::std::collections::BTreeMap::x`
/// is `BTreeMap::x`; `::serde_json::Value` is `serde_json::Value`: a path as a person writes
/// it, from its segments.
fn short_path(segments: &[String], leading_colon: bool) -> Vec<String> {
    if leading_colon
        && segments.len() >= 3
        && segments[0] == "std"
        && (PRELUDE.contains(&segments[2].as_str()) || segments[1] == "collections")
    {
        return segments[2..].to_vec();
    }
    segments.to_vec()
}

/// The text of a path held in an attribute's string (`"::std::vec::Vec::is_empty"`),
/// shortened; `collections` is set when the path left is one into `std::collections`.
fn short_path_text(text: &str, collections: &mut bool) -> String {
    let leading_colon = text.starts_with("::");
    let segments: Vec<String> = text
        .trim_start_matches("::")
        .split("::")
        .map(str::to_owned)
        .collect();
    let short = short_path(&segments, leading_colon);
    *collections |= short.len() < segments.len() && segments[1] == "collections";
    let joined = short.join("::");
    let keeps_colon = leading_colon
        && short.len() == segments.len()
        && !EXTERN_CRATES.contains(&segments[0].as_str());
    match keeps_colon {
        true => format!("::{joined}"),
        false => joined,
    }
}

/// The tokens of an attribute with each string literal's path shortened and the leading `::`
/// of a path into serde taken off; `collections` is set when a path into `std::collections` is
/// left.
fn short_attribute_tokens(tokens: TokenStream, collections: &mut bool) -> TokenStream {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    let mut out = Vec::with_capacity(trees.len());
    let mut index = 0;
    while index < trees.len() {
        match &trees[index] {
            // `:: serde ::` at the start of a path: drop the `::`.
            TokenTree::Punct(first)
                if first.as_char() == ':'
                    && first.spacing() == Spacing::Joint
                    && matches!(trees.get(index + 1), Some(TokenTree::Punct(second)) if second.as_char() == ':')
                    && matches!(trees.get(index + 2), Some(TokenTree::Ident(name)) if EXTERN_CRATES.contains(&name.to_string().as_str()))
                    && !matches!(out.last(), Some(TokenTree::Ident(_))) =>
            {
                index += 2;
                continue;
            }
            TokenTree::Literal(literal) => {
                let value = syn::Lit::new(literal.clone());
                let tree = match value {
                    syn::Lit::Str(text) if text.value().contains("::") => {
                        let short = syn::LitStr::new(
                            &short_path_text(&text.value(), collections),
                            text.span(),
                        );
                        TokenTree::Literal(short.token())
                    }
                    _ => TokenTree::Literal(literal.clone()),
                };
                out.push(tree);
            }
            TokenTree::Group(group) => {
                let mut inner = Group::new(
                    group.delimiter(),
                    short_attribute_tokens(group.stream(), collections),
                );
                inner.set_span(group.span());
                out.push(TokenTree::Group(inner));
            }
            other => out.push(other.clone()),
        }
        index += 1;
    }
    out.into_iter().collect()
}

impl syn::visit_mut::VisitMut for ShortPaths {
    fn visit_attribute_mut(&mut self, attr: &mut syn::Attribute) {
        if attr.path().is_ident("serde") || attr.path().is_ident("derive") {
            if let syn::Meta::List(list) = &mut attr.meta {
                list.tokens = short_attribute_tokens(
                    std::mem::take(&mut list.tokens),
                    &mut self.shortened_collections,
                );
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
        let short = short_path(&names, path.leading_colon.is_some());
        if short.len() < names.len() {
            // `BTreeMap` is imported at the top of the file (see `models`).
            self.shortened_collections |= names[1] == "collections";
            let kept = path.segments.len() - short.len();
            path.segments = std::mem::take(&mut path.segments)
                .into_iter()
                .skip(kept)
                .collect();
            path.leading_colon = None;
        } else if path.leading_colon.is_some()
            && EXTERN_CRATES.contains(&names.first().map_or("", String::as_str))
        {
            path.leading_colon = None;
        }
        syn::visit_mut::visit_path_mut(self, path);
    }
}

/// The docs of an item and of its fields and variants, wrapped as the generator wraps its
/// own (see [`super::wrapped`]): typify writes each as one long line.
fn rewrap_item(item: &mut syn::Item) {
    match item {
        syn::Item::Struct(item) => {
            rewrap(&mut item.attrs);
            item.fields
                .iter_mut()
                .for_each(|field| rewrap(&mut field.attrs));
        }
        syn::Item::Enum(item) => {
            rewrap(&mut item.attrs);
            item.variants
                .iter_mut()
                .for_each(|variant| rewrap(&mut variant.attrs));
        }
        syn::Item::Type(item) => rewrap(&mut item.attrs),
        _ => {}
    }
}

/// The doc attributes among `attrs` joined and wrapped, in the place of the first.
fn rewrap(attrs: &mut Vec<syn::Attribute>) {
    let text_of = |attr: &syn::Attribute| match &attr.meta {
        syn::Meta::NameValue(doc) if doc.path.is_ident("doc") => match &doc.value {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(text),
                ..
            }) => Some(text.value()),
            _ => None,
        },
        _ => None,
    };
    let Some(first) = attrs.iter().position(|attr| text_of(attr).is_some()) else {
        return;
    };
    // A doc line's first space is the one after `///`.
    let text: Vec<String> = attrs
        .iter()
        .filter_map(text_of)
        .map(|line| line.strip_prefix(' ').map(str::to_owned).unwrap_or(line))
        .collect();
    let lines = super::wrapped(text.join("\n").trim());
    attrs.retain(|attr| text_of(attr).is_none());
    let docs = lines.into_iter().map(|line| match line.is_empty() {
        true => doc_attribute(""),
        false => doc_attribute(&format!(" {line}")),
    });
    attrs.splice(first..first, docs);
}

/// typify adds an `error` module with a `ConversionError` for its `TryFrom` impls; a version
/// whose schemas need none gets no such module.
fn drop_unused_error_module(file: &mut syn::File) {
    let is_error_module =
        |item: &syn::Item| matches!(item, syn::Item::Mod(module) if module.ident == "error");
    let mut mentions = Mentions {
        name: "ConversionError",
        found: false,
    };
    for item in file.items.iter_mut().filter(|item| !is_error_module(item)) {
        syn::visit_mut::VisitMut::visit_item_mut(&mut mentions, item);
    }
    if !mentions.found {
        file.items.retain(|item| !is_error_module(item));
    }
}

/// Whether a path in the items it visits names `name` (it changes nothing).
struct Mentions<'a> {
    name: &'a str,
    found: bool,
}

impl syn::visit_mut::VisitMut for Mentions<'_> {
    fn visit_path_mut(&mut self, path: &mut syn::Path) {
        self.found |= path
            .segments
            .iter()
            .any(|segment| segment.ident == self.name);
        syn::visit_mut::visit_path_mut(self, path);
    }
}

/// A `#[doc = "..."]` attribute, built as a syntax tree.
fn doc_attribute(text: &str) -> syn::Attribute {
    let span = proc_macro2::Span::call_site();
    syn::Attribute {
        pound_token: syn::token::Pound(span),
        style: syn::AttrStyle::Outer,
        bracket_token: syn::token::Bracket(span),
        meta: syn::Meta::NameValue(syn::MetaNameValue {
            path: syn::Path::from(syn::Ident::new("doc", span)),
            eq_token: syn::token::Eq(span),
            value: syn::Expr::Lit(syn::ExprLit {
                attrs: Vec::new(),
                lit: syn::Lit::Str(syn::LitStr::new(text, span)),
            }),
        }),
    }
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
                field.attrs.insert(0, doc_attribute(doc));
            }
        }
    }
}

/// The open enums the runtime defines once for every version (`generated/src/category.rs`):
/// a version's enum of that name is re-exported from the crate, so that values read through
/// different versions, labels and webhooks are one type. Each version's generated decoding
/// tests check that the runtime's enum names every value its spec documents.
const RUNTIME_ENUMS: &[&str] = &["AssociationCategory"];

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
    fn attribute_paths_shorten_inside_strings_and_before_serde() {
        let tokens = quote!(
            default,
            skip_serializing_if = "::std::collections::BTreeMap::is_empty"
        );
        assert_eq!(
            short_attribute_tokens(tokens, &mut false).to_string(),
            "default , skip_serializing_if = \"BTreeMap::is_empty\""
        );
        let tokens = quote!(::serde::Deserialize, ::serde::Serialize, Clone);
        assert_eq!(
            short_attribute_tokens(tokens, &mut false).to_string(),
            "serde :: Deserialize , serde :: Serialize , Clone"
        );
        assert_eq!(
            short_path_text("::std::option::Option::is_none", &mut false),
            "Option::is_none"
        );
        assert_eq!(
            short_path_text("::serde_json::Value::is_null", &mut false),
            "serde_json::Value::is_null"
        );
    }

    #[test]
    fn keys_read_each_shape_of_field() {
        let keys = RecordKeys {
            fields: vec![
                crate::model::KeyField {
                    json: "from".into(),
                    rust: "from".into(),
                    side: Side::From,
                    shape: KeyShape::Wrapped,
                },
                crate::model::KeyField {
                    json: "to".into(),
                    rust: "to".into(),
                    side: Side::To,
                    shape: KeyShape::WrappedList,
                },
                crate::model::KeyField {
                    json: "typeId".into(),
                    rust: "type_id".into(),
                    side: Side::Other,
                    shape: KeyShape::OptionalNumber,
                },
            ],
        };
        let text = keyed("Pair", &keys).to_string();
        assert!(text.contains(". from ([& self . from . id])"), "{text}");
        assert!(
            text.contains(". to (self . to . iter () . map (| record | & record . id))"),
            "{text}"
        );
        assert!(text.contains(". other (self . type_id)"), "{text}");
    }
}
