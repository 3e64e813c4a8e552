//! Request bodies a program builds without nesting: each request type of a version gets a
//! `new` that takes its required fields in the forms a program has at hand (ids as
//! `impl Into<ObjectId>`, text as `impl Into<String>`, enums from their names, lists from any
//! iterator), a batch input collects from an iterator of its inputs, and an association type
//! spec comes from a HubSpot-defined type constant or a resolved label.

use std::collections::BTreeSet;

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};

use super::docs;
use crate::model::Version;

/// A field of a generated struct: its Rust name and type, and whether the schema requires it.
struct Field<'a> {
    ident: &'a syn::Ident,
    ty: &'a syn::Type,
    required: bool,
}

/// How a constructor takes a required field and builds it.
struct Argument {
    ty: TokenStream,
    value: TokenStream,
}

/// Whether the struct only wraps a record id (`PublicObjectId { id }`).
fn id_wrapper(item: &syn::ItemStruct) -> bool {
    let mut fields = item.fields.iter();
    matches!(
        (fields.next(), fields.next()),
        (Some(field), None) if field.ident.as_ref().is_some_and(|i| i == "id")
            && text(&field.ty) == "crate :: ObjectId"
    )
}

fn text(tokens: &impl ToTokens) -> String {
    tokens.to_token_stream().to_string()
}

/// The element type of `Vec<T>`.
fn vec_item(ty: &syn::Type) -> Option<&syn::Type> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    if last.ident != "Vec" {
        return None;
    }
    match &last.arguments {
        syn::PathArguments::AngleBracketed(args) => match args.args.first()? {
            syn::GenericArgument::Type(item) => Some(item),
            _ => None,
        },
        _ => None,
    }
}

fn argument(
    name: &syn::Ident,
    ty: &syn::Type,
    wrappers: &BTreeSet<String>,
    enums: &BTreeSet<String>,
) -> Argument {
    let ty_text = text(ty);
    if ty_text == "crate :: ObjectId" {
        return Argument {
            ty: quote!(impl Into<crate::ObjectId>),
            value: quote!(#name.into()),
        };
    }
    if wrappers.contains(&ty_text) {
        return Argument {
            ty: quote!(impl Into<crate::ObjectId>),
            value: quote!(#ty { id: #name.into() }),
        };
    }
    if ty_text == "String" || enums.contains(&ty_text) {
        return Argument {
            ty: quote!(impl Into<#ty>),
            value: quote!(#name.into()),
        };
    }
    if let Some(item) = vec_item(ty) {
        if wrappers.contains(&text(item)) {
            return Argument {
                ty: quote!(impl IntoIterator<Item = impl Into<crate::ObjectId>>),
                value: quote!(#name.into_iter().map(|id| #item { id: id.into() }).collect()),
            };
        }
        return Argument {
            ty: quote!(impl IntoIterator<Item = impl Into<#item>>),
            value: quote!(#name.into_iter().map(Into::into).collect()),
        };
    }
    Argument {
        ty: quote!(#ty),
        value: quote!(),
    }
}

/// The constructors and conversions of every request type of the version.
pub fn constructors(version: &Version, file: &syn::File) -> TokenStream {
    let requests = version.request_types();
    let structs: Vec<&syn::ItemStruct> = file
        .items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Struct(item) => Some(item),
            _ => None,
        })
        .collect();
    let wrappers: BTreeSet<String> = structs
        .iter()
        .filter(|item| id_wrapper(item))
        .map(|item| item.ident.to_string())
        .collect();
    let enums: BTreeSet<String> = version.enums.iter().map(|e| e.name.clone()).collect();
    let impls = structs
        .iter()
        .filter(|item| requests.contains(&item.ident.to_string()))
        .map(|item| {
            let schema_fields = version.models.structs.get(&item.ident.to_string());
            let fields: Vec<Field<'_>> = item
                .fields
                .iter()
                .filter_map(|field| {
                    let ident = field.ident.as_ref()?;
                    let json = crate::rust_types::json_name(field)?;
                    let required = schema_fields
                        .and_then(|fields| fields.get(&json))
                        .is_some_and(|f| f.required);
                    Some(Field {
                        ident,
                        ty: &field.ty,
                        required,
                    })
                })
                .collect();
            struct_impls(item, &fields, &wrappers, &enums)
        });
    quote!(#(#impls)*)
}

fn struct_impls(
    item: &syn::ItemStruct,
    fields: &[Field<'_>],
    wrappers: &BTreeSet<String>,
    enums: &BTreeSet<String>,
) -> TokenStream {
    let name = &item.ident;
    let required: Vec<&Field<'_>> = fields.iter().filter(|f| f.required).collect();
    let arguments: Vec<(&syn::Ident, Argument)> = required
        .iter()
        .map(|field| {
            (
                field.ident,
                argument(field.ident, field.ty, wrappers, enums),
            )
        })
        .collect();
    let params = arguments.iter().map(|(ident, argument)| {
        let ty = &argument.ty;
        quote!(#ident: #ty)
    });
    let values = fields.iter().map(|field| {
        let ident = field.ident;
        match arguments.iter().find(|(name, _)| *name == ident) {
            // A field taken as it is needs no conversion: `Self { ident }`.
            Some((_, argument)) if argument.value.is_empty() => quote!(#ident),
            Some((_, argument)) => {
                let value = &argument.value;
                quote!(#ident: #value)
            }
            None => quote!(#ident: Default::default()),
        }
    });
    let names: Vec<String> = required.iter().map(|f| format!("`{}`", f.ident)).collect();
    let doc = docs(&match names.len() {
        0 => format!("[`{name}`] with every optional field left out."),
        _ => format!(
            "[`{name}`] from its required fields ({}); the optional ones are left out.",
            names.join(", ")
        ),
    });
    let mut impls = quote! {
        impl #name {
            #doc
            pub fn new(#(#params),*) -> Self {
                Self { #(#values),* }
            }
        }
    };
    // A batch input: one list of inputs, which collects from any iterator of them.
    if let [only] = fields
        && only.ident == "inputs"
        && let Some(input) = vec_item(only.ty)
    {
        let doc = docs(&format!("[`{name}`] of every input of the iterator."));
        impls.extend(quote! {
            impl FromIterator<#input> for #name {
                #doc
                fn from_iter<I: IntoIterator<Item = #input>>(inputs: I) -> Self {
                    Self { inputs: inputs.into_iter().collect() }
                }
            }
        });
    }
    // An association type by category and id: from a HubSpot-defined type or a label.
    let idents: BTreeSet<String> = fields.iter().map(|f| f.ident.to_string()).collect();
    if idents
        == BTreeSet::from([
            "association_category".to_owned(),
            "association_type_id".to_owned(),
        ])
    {
        impls.extend(quote! {
            impl From<crate::association_types::AssociationType> for #name {
                /// The spec of a HubSpot-defined association type, such as
                /// [`crate::association_types::CONTACT_TO_COMPANY`].
                fn from(kind: crate::association_types::AssociationType) -> Self {
                    Self::new(crate::association_types::AssociationType::CATEGORY, kind.id)
                }
            }

            impl From<&crate::Label> for #name {
                /// The spec of a label resolved with `Client::labels`.
                fn from(label: &crate::Label) -> Self {
                    Self::new(label.category.as_str(), label.type_id)
                }
            }
        });
    }
    impls
}
