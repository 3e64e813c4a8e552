//! Request bodies a program builds without nesting: each request type of a version gets a
//! `new` that takes its required fields in the forms a program has at hand (ids as
//! `impl Into<ObjectId>`, text as `impl Into<String>`, enums from their names, lists from any
//! iterator), a batch input collects from an iterator of its inputs, and an association type
//! spec comes from a HubSpot-defined type constant or a resolved label. Everything is read
//! from the model's typed fields.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::docs;
use crate::model::Version;
use crate::rust_types::{Builtin, Field, Runtime, RustType, Scope};

/// How a constructor takes a required field and builds it.
struct Argument {
    ty: TokenStream,
    value: Option<TokenStream>,
}

/// The argument of a required field: what `new` takes for it, and how it builds the field
/// (`None`: the field is the argument as it is).
fn argument(version: &Version, field: &Field) -> Argument {
    let name = format_ident!("{}", field.rust_name);
    let id = RustType::Runtime(Runtime::ObjectId);
    let into_id = RustType::ImplInto(Box::new(id.clone())).tokens(Scope::Types);
    let wrapper = |ty: &RustType| match ty {
        RustType::Model(name) if version.models.is_id_wrapper(name) => {
            Some(format_ident!("{name}"))
        }
        _ => None,
    };
    let into = |ty: &RustType| {
        matches!(ty, RustType::Builtin(Builtin::String))
            || matches!(ty, RustType::Model(name) if version.enums.iter().any(|e| e.name == *name))
    };
    match &field.ty {
        ty if *ty == id => Argument {
            ty: into_id,
            value: Some(quote!(#name.into())),
        },
        ty if wrapper(ty).is_some() => {
            let wrapper = wrapper(ty);
            Argument {
                ty: into_id,
                value: Some(quote!(#wrapper { id: #name.into() })),
            }
        }
        ty if into(ty) => {
            let ty = ty.tokens(Scope::Types);
            Argument {
                ty: quote!(impl Into<#ty>),
                value: Some(quote!(#name.into())),
            }
        }
        RustType::Vec(item) => match wrapper(item) {
            Some(wrapper) => Argument {
                ty: quote!(impl IntoIterator<Item = #into_id>),
                value: Some(
                    quote!(#name.into_iter().map(|id| #wrapper { id: id.into() }).collect()),
                ),
            },
            None => {
                let item = item.tokens(Scope::Types);
                Argument {
                    ty: quote!(impl IntoIterator<Item = impl Into<#item>>),
                    value: Some(quote!(#name.into_iter().map(Into::into).collect())),
                }
            }
        },
        other => Argument {
            ty: other.tokens(Scope::Types),
            value: None,
        },
    }
}

/// The constructors and conversions of every request type of the version.
pub fn constructors(version: &Version) -> TokenStream {
    let impls = version
        .request_types()
        .into_iter()
        .filter(|name| !version.lenient.contains(name))
        .filter_map(|name| {
            let fields = version.models.structs.get(&name)?;
            Some(struct_impls(version, &name, fields.values().collect()))
        });
    quote!(#(#impls)*)
}

fn struct_impls(version: &Version, name: &str, fields: Vec<&Field>) -> TokenStream {
    let ident = format_ident!("{name}");
    let required: Vec<&Field> = fields.iter().copied().filter(|f| f.required).collect();
    let arguments: Vec<(&Field, Argument)> = required
        .iter()
        .map(|field| (*field, argument(version, field)))
        .collect();
    let params = arguments.iter().map(|(field, argument)| {
        let name = format_ident!("{}", field.rust_name);
        let ty = &argument.ty;
        quote!(#name: #ty)
    });
    let values = fields.iter().map(|field| {
        let name = format_ident!("{}", field.rust_name);
        match arguments
            .iter()
            .find(|(taken, _)| taken.rust_name == field.rust_name)
        {
            // A field taken as it is needs no conversion: `Self { name }`.
            Some((_, Argument { value: None, .. })) => quote!(#name),
            Some((
                _,
                Argument {
                    value: Some(value), ..
                },
            )) => quote!(#name: #value),
            None => quote!(#name: Default::default()),
        }
    });
    let names: Vec<String> = required
        .iter()
        .map(|f| format!("`{}`", f.rust_name))
        .collect();
    let doc = docs(&match names.len() {
        0 => format!("[`{name}`] with every optional field left out."),
        _ => format!(
            "[`{name}`] from its required fields ({}); the optional ones are left out.",
            names.join(", ")
        ),
    });
    let mut impls = quote! {
        impl #ident {
            #doc
            pub fn new(#(#params),*) -> Self {
                Self { #(#values),* }
            }
        }
    };
    // A batch input: one list of inputs, which collects from any iterator of them.
    if let [only] = fields.as_slice()
        && only.rust_name == "inputs"
        && let RustType::Vec(input) = &only.ty
    {
        let input = input.tokens(Scope::Types);
        let doc = docs(&format!("[`{name}`] of every input of the iterator."));
        impls.extend(quote! {
            impl FromIterator<#input> for #ident {
                #doc
                fn from_iter<I: IntoIterator<Item = #input>>(inputs: I) -> Self {
                    Self { inputs: inputs.into_iter().collect() }
                }
            }
        });
    }
    // An association type by category and id: from a HubSpot-defined type or a label.
    let mut names: Vec<&str> = fields.iter().map(|f| f.rust_name.as_str()).collect();
    names.sort_unstable();
    if names == ["association_category", "association_type_id"] {
        impls.extend(quote! {
            impl From<crate::association_types::AssociationType> for #ident {
                /// The spec of a HubSpot-defined association type, such as
                /// [`crate::association_types::CONTACT_TO_COMPANY`].
                fn from(kind: crate::association_types::AssociationType) -> Self {
                    Self::new(crate::association_types::AssociationType::CATEGORY, kind.id)
                }
            }

            impl From<&crate::Label> for #ident {
                /// The spec of a label resolved with `Client::labels`.
                fn from(label: &crate::Label) -> Self {
                    Self::new(label.category.as_str(), label.type_id)
                }
            }
        });
    }
    impls
}
