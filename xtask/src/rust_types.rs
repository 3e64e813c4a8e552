//! The Rust types of a version, as typed values: [`RustType`] is a type the generator emits or
//! a program sees, built from typify's type ids and from the model, and printed as tokens (for
//! the generated code) or as text (for docs and the diff). Nothing is carried as Rust text and
//! parsed again.
//!
//! [`models`] runs progenitor (through typify) over a version's schemas: the tokens the `types`
//! module is generated from, and each struct's fields with their types, read from typify's
//! type space rather than from the code it prints.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use openapiv3::OpenAPI;
use proc_macro2::{Delimiter, TokenStream, TokenTree};
use progenitor_impl::{GenerationSettings, Generator, TypeImpl};
use quote::{ToTokens, format_ident, quote};
use typify::{TypeDetails, TypeId, TypeSpace};

use crate::diagnostics::Diagnostic;

/// Schemas the runtime implements by hand, because no schema says how HubSpot really sends
/// them: ids as numbers or strings, error context as a map or a string.
pub const RUNTIME_TYPES: [(&str, Runtime); 2] = [
    ("ObjectId", Runtime::ObjectId),
    ("ErrorContext", Runtime::ErrorContext),
];

/// A type of the crate's hand-written runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Runtime {
    /// `crate::ObjectType`
    ObjectType,
    /// `crate::ObjectId`
    ObjectId,
    /// `crate::ErrorContext`
    ErrorContext,
    /// `crate::BulkOptions`
    BulkOptions,
    /// `crate::Labels`
    Labels,
    /// `crate::Label`
    Label,
}

impl Runtime {
    fn name(self) -> &'static str {
        match self {
            Self::ObjectType => "ObjectType",
            Self::ObjectId => "ObjectId",
            Self::ErrorContext => "ErrorContext",
            Self::BulkOptions => "BulkOptions",
            Self::Labels => "Labels",
            Self::Label => "Label",
        }
    }
}

/// A type of the language or of a library the generated code uses: every type typify writes
/// for a schema's scalars, and the few the client adds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Builtin {
    /// `str`
    Str,
    /// `String`
    String,
    /// `bool`
    Bool,
    /// `i8`
    I8,
    /// `i16`
    I16,
    /// `i32`
    I32,
    /// `i64`
    I64,
    /// `u8`
    U8,
    /// `u16`
    U16,
    /// `u32`
    U32,
    /// `u64`
    U64,
    /// `std::num::NonZeroU8`
    NonZeroU8,
    /// `std::num::NonZeroU16`
    NonZeroU16,
    /// `std::num::NonZeroU32`
    NonZeroU32,
    /// `std::num::NonZeroU64`
    NonZeroU64,
    /// `f32`
    F32,
    /// `f64`
    F64,
    /// `serde_json::Value`
    JsonValue,
    /// `serde_json::Map<String, serde_json::Value>`
    JsonMap,
    /// `chrono::DateTime<chrono::Utc>`
    DateTime,
    /// `chrono::NaiveDate`
    Date,
    /// `uuid::Uuid`
    Uuid,
    /// `std::net::IpAddr`
    IpAddr,
    /// `std::net::Ipv4Addr`
    Ipv4Addr,
    /// `std::net::Ipv6Addr`
    Ipv6Addr,
}

/// Each builtin typify writes, by the name typify gives it.
const TYPIFY_BUILTINS: [(&str, Builtin); 23] = [
    ("bool", Builtin::Bool),
    ("i8", Builtin::I8),
    ("i16", Builtin::I16),
    ("i32", Builtin::I32),
    ("i64", Builtin::I64),
    ("u8", Builtin::U8),
    ("u16", Builtin::U16),
    ("u32", Builtin::U32),
    ("u64", Builtin::U64),
    ("::std::num::NonZeroU8", Builtin::NonZeroU8),
    ("::std::num::NonZeroU16", Builtin::NonZeroU16),
    ("::std::num::NonZeroU32", Builtin::NonZeroU32),
    ("::std::num::NonZeroU64", Builtin::NonZeroU64),
    ("f32", Builtin::F32),
    ("f64", Builtin::F64),
    ("::serde_json::Value", Builtin::JsonValue),
    (
        "::serde_json::Map<::std::string::String, ::serde_json::Value>",
        Builtin::JsonMap,
    ),
    (
        "::chrono::DateTime<::chrono::offset::Utc>",
        Builtin::DateTime,
    ),
    ("::chrono::naive::NaiveDate", Builtin::Date),
    ("::uuid::Uuid", Builtin::Uuid),
    ("::std::net::IpAddr", Builtin::IpAddr),
    ("::std::net::Ipv4Addr", Builtin::Ipv4Addr),
    ("::std::net::Ipv6Addr", Builtin::Ipv6Addr),
];

/// Where a type is written, which decides how a type of the version's `types` module is
/// named: `types::Thing` from the client module, `Thing` inside `types`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The version module (`mod.rs`), where the client is.
    Client,
    /// The `types` module.
    Types,
}

/// A Rust type: the generator emits its tokens, the docs and the diff print its text.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RustType {
    /// A type of the version's `types` module, by its Rust name.
    Model(String),
    /// An operation's optional query parameters (`ListQuery`), in the version module.
    Query(String),
    /// A type of the crate's runtime.
    Runtime(Runtime),
    /// A type of the language or of a library.
    Builtin(Builtin),
    /// `()`
    Unit,
    /// `Option<T>`
    Option(Box<RustType>),
    /// `Vec<T>`
    Vec(Box<RustType>),
    /// `BTreeMap<K, V>`
    Map(Box<RustType>, Box<RustType>),
    /// `Box<T>`
    Boxed(Box<RustType>),
    /// `Arc<T>`
    Arc(Box<RustType>),
    /// `&T`
    Ref(Box<RustType>),
    /// `[T]`
    Slice(Box<RustType>),
    /// `impl Into<T>`
    ImplInto(Box<RustType>),
    /// `impl IntoIterator<Item = T>`
    ImplIntoIterator(Box<RustType>),
    /// `Items<impl Stream<Item = T>>`: a stream a client returns
    ImplStream(Box<RustType>),
    /// `Result<T, Error>`, with the crate's one error type.
    Result(Box<RustType>),
    /// `Response<T>`: a decoded answer with its status and headers.
    Response(Box<RustType>),
    /// `BulkOutcome<I, R>`
    BulkOutcome(Box<RustType>, Box<RustType>),
    /// `Lenient<T>`: a field of an error answer, typed or as the JSON HubSpot sent.
    Lenient(Box<RustType>),
    /// `BTreeSet<T>`: an array whose items are unique.
    Set(Box<RustType>),
    /// `[T; N]`: an array of a fixed length.
    Array(Box<RustType>, usize),
}

impl RustType {
    /// `Option<self>`.
    pub fn optional(self) -> Self {
        Self::Option(Box::new(self))
    }

    /// `&self`.
    pub fn borrowed(self) -> Self {
        Self::Ref(Box::new(self))
    }

    /// The type inside an `Option`, or the type itself.
    pub fn unwrapped(&self) -> &Self {
        match self {
            Self::Option(inner) => inner,
            other => other,
        }
    }

    /// Every type of the version's `types` module it names, at any depth.
    pub fn models(&self) -> Vec<&str> {
        let mut found = Vec::new();
        self.visit(&mut |ty| {
            if let Self::Model(name) = ty {
                found.push(name.as_str());
            }
        });
        found
    }

    /// Calls `visit` with this type and every type inside it.
    fn visit<'a>(&'a self, visit: &mut dyn FnMut(&'a Self)) {
        visit(self);
        match self {
            Self::Option(inner)
            | Self::Vec(inner)
            | Self::Boxed(inner)
            | Self::Arc(inner)
            | Self::Ref(inner)
            | Self::Slice(inner)
            | Self::ImplInto(inner)
            | Self::ImplIntoIterator(inner)
            | Self::ImplStream(inner)
            | Self::Result(inner)
            | Self::Response(inner)
            | Self::Lenient(inner)
            | Self::Set(inner)
            | Self::Array(inner, _) => inner.visit(visit),
            Self::Map(key, value) | Self::BulkOutcome(key, value) => {
                key.visit(visit);
                value.visit(visit);
            }
            Self::Model(_) | Self::Query(_) | Self::Runtime(_) | Self::Builtin(_) | Self::Unit => {}
        }
    }

    /// The tokens of the type, written in `scope`.
    pub fn tokens(&self, scope: Scope) -> TokenStream {
        let inner = |ty: &Self| ty.tokens(scope);
        match self {
            Self::Model(name) => {
                let name = format_ident!("{name}");
                match scope {
                    Scope::Client => quote!(types::#name),
                    Scope::Types => quote!(#name),
                }
            }
            Self::Query(name) => {
                let name = format_ident!("{name}");
                quote!(#name)
            }
            Self::Runtime(runtime) => {
                let name = format_ident!("{}", runtime.name());
                quote!(crate::#name)
            }
            Self::Builtin(builtin) => builtin_tokens(*builtin),
            Self::Unit => quote!(()),
            Self::Option(ty) => {
                let ty = inner(ty);
                quote!(Option<#ty>)
            }
            Self::Vec(ty) => {
                let ty = inner(ty);
                quote!(Vec<#ty>)
            }
            Self::Map(key, value) => {
                let (key, value) = (inner(key), inner(value));
                match scope {
                    // `types` imports it (see `generate::models`).
                    Scope::Types => quote!(BTreeMap<#key, #value>),
                    Scope::Client => quote!(std::collections::BTreeMap<#key, #value>),
                }
            }
            Self::Boxed(ty) => {
                let ty = inner(ty);
                quote!(Box<#ty>)
            }
            Self::Arc(ty) => {
                let ty = inner(ty);
                quote!(std::sync::Arc<#ty>)
            }
            Self::Ref(ty) => {
                let ty = inner(ty);
                quote!(&#ty)
            }
            Self::Slice(ty) => {
                let ty = inner(ty);
                quote!([#ty])
            }
            Self::ImplInto(ty) => {
                let ty = inner(ty);
                quote!(impl Into<#ty>)
            }
            Self::ImplIntoIterator(ty) => {
                let ty = inner(ty);
                quote!(impl IntoIterator<Item = #ty>)
            }
            Self::ImplStream(ty) => {
                let ty = inner(ty);
                quote!(crate::Items<impl futures_core::Stream<Item = #ty>>)
            }
            Self::Result(ty) => {
                let ty = inner(ty);
                quote!(Result<#ty, Error>)
            }
            Self::Response(ty) => {
                let ty = inner(ty);
                quote!(Response<#ty>)
            }
            Self::BulkOutcome(input, result) => {
                let (input, result) = (inner(input), inner(result));
                quote!(crate::BulkOutcome<#input, #result>)
            }
            Self::Lenient(ty) => {
                let ty = inner(ty);
                quote!(crate::Lenient<#ty>)
            }
            Self::Set(ty) => {
                let ty = inner(ty);
                quote!(std::collections::BTreeSet<#ty>)
            }
            Self::Array(ty, length) => {
                let (ty, length) = (inner(ty), proc_macro2::Literal::usize_unsuffixed(*length));
                quote!([#ty; #length])
            }
        }
    }

    /// The type as a program reads it in `scope`: without the paths it does not write.
    pub fn readable(&self, scope: Scope) -> String {
        Readable(self, scope).to_string()
    }
}

fn builtin_tokens(builtin: Builtin) -> TokenStream {
    match builtin {
        Builtin::NonZeroU8 => quote!(std::num::NonZeroU8),
        Builtin::NonZeroU16 => quote!(std::num::NonZeroU16),
        Builtin::NonZeroU32 => quote!(std::num::NonZeroU32),
        Builtin::NonZeroU64 => quote!(std::num::NonZeroU64),
        Builtin::JsonValue => quote!(serde_json::Value),
        Builtin::JsonMap => quote!(serde_json::Map<String, serde_json::Value>),
        Builtin::DateTime => quote!(chrono::DateTime<chrono::offset::Utc>),
        Builtin::Date => quote!(chrono::NaiveDate),
        Builtin::Uuid => quote!(uuid::Uuid),
        Builtin::IpAddr => quote!(std::net::IpAddr),
        Builtin::Ipv4Addr => quote!(std::net::Ipv4Addr),
        Builtin::Ipv6Addr => quote!(std::net::Ipv6Addr),
        // The language's own types: one word, as a program reads them.
        Builtin::Str
        | Builtin::String
        | Builtin::Bool
        | Builtin::I8
        | Builtin::I16
        | Builtin::I32
        | Builtin::I64
        | Builtin::U8
        | Builtin::U16
        | Builtin::U32
        | Builtin::U64
        | Builtin::F32
        | Builtin::F64 => {
            let name = format_ident!("{}", builtin_name(builtin));
            quote!(#name)
        }
    }
}

fn builtin_name(builtin: Builtin) -> &'static str {
    match builtin {
        Builtin::Str => "str",
        Builtin::String => "String",
        Builtin::Bool => "bool",
        Builtin::I8 => "i8",
        Builtin::I16 => "i16",
        Builtin::I32 => "i32",
        Builtin::I64 => "i64",
        Builtin::U8 => "u8",
        Builtin::U16 => "u16",
        Builtin::U32 => "u32",
        Builtin::U64 => "u64",
        Builtin::NonZeroU8 => "NonZeroU8",
        Builtin::NonZeroU16 => "NonZeroU16",
        Builtin::NonZeroU32 => "NonZeroU32",
        Builtin::NonZeroU64 => "NonZeroU64",
        Builtin::F32 => "f32",
        Builtin::F64 => "f64",
        Builtin::JsonValue => "Value",
        Builtin::JsonMap => "Map<String, Value>",
        Builtin::DateTime => "DateTime<Utc>",
        Builtin::Date => "NaiveDate",
        Builtin::Uuid => "Uuid",
        Builtin::IpAddr => "IpAddr",
        Builtin::Ipv4Addr => "Ipv4Addr",
        Builtin::Ipv6Addr => "Ipv6Addr",
    }
}

/// A type printed as a program reads it.
struct Readable<'a>(&'a RustType, Scope);

impl fmt::Display for Readable<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Readable(ty, scope) = *self;
        let inner = |ty: &RustType| ty.readable(scope);
        match ty {
            RustType::Model(name) => match scope {
                Scope::Client => write!(f, "types::{name}"),
                Scope::Types => f.write_str(name),
            },
            RustType::Query(name) => f.write_str(name),
            RustType::Runtime(runtime) => f.write_str(runtime.name()),
            RustType::Builtin(builtin) => f.write_str(builtin_name(*builtin)),
            RustType::Unit => f.write_str("()"),
            RustType::Option(ty) => write!(f, "Option<{}>", inner(ty)),
            RustType::Vec(ty) => write!(f, "Vec<{}>", inner(ty)),
            RustType::Map(key, value) => write!(f, "BTreeMap<{}, {}>", inner(key), inner(value)),
            RustType::Boxed(ty) => write!(f, "Box<{}>", inner(ty)),
            RustType::Arc(ty) => write!(f, "Arc<{}>", inner(ty)),
            RustType::Ref(ty) => write!(f, "&{}", inner(ty)),
            RustType::Slice(ty) => write!(f, "[{}]", inner(ty)),
            RustType::ImplInto(ty) => write!(f, "impl Into<{}>", inner(ty)),
            RustType::ImplIntoIterator(ty) => write!(f, "impl IntoIterator<Item = {}>", inner(ty)),
            RustType::ImplStream(ty) => write!(f, "Items<impl Stream<Item = {}>>", inner(ty)),
            RustType::Result(ty) => write!(f, "Result<{}, Error>", inner(ty)),
            RustType::Response(ty) => write!(f, "Response<{}>", inner(ty)),
            RustType::BulkOutcome(input, result) => {
                write!(f, "BulkOutcome<{}, {}>", inner(input), inner(result))
            }
            RustType::Lenient(ty) => write!(f, "Lenient<{}>", inner(ty)),
            RustType::Set(ty) => write!(f, "BTreeSet<{}>", inner(ty)),
            RustType::Array(ty, length) => write!(f, "[{}; {length}]", inner(ty)),
        }
    }
}

/// One field of a generated struct.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// Its Rust name: `to_object_id`.
    pub rust_name: String,
    /// Its type, as the struct declares it.
    pub ty: RustType,
    /// Whether the schema requires it.
    pub required: bool,
}

/// A generated struct: its fields by their JSON names.
pub type Fields = BTreeMap<String, Field>;

/// The models of one version: the fields of every struct typify made.
#[derive(Clone, Debug)]
pub struct Models {
    /// Struct name (the schema name in UpperCamelCase) to its fields.
    pub structs: BTreeMap<String, Fields>,
}

/// The code typify wrote for a version's models, as a syntax tree, before the generator adds
/// its docs. Syntax trees cannot move between threads (proc-macro2 counts their references
/// without atomics), so the code stays beside the model, on the thread that made it, until the
/// `types` module is written from it.
pub struct TypifyCode(pub syn::File);

impl Models {
    /// Whether the struct only wraps a record id, as `PublicObjectId { id }` does.
    pub fn is_id_wrapper(&self, name: &str) -> bool {
        self.structs.get(name).is_some_and(|fields| {
            fields.len() == 1
                && fields.values().all(|field| {
                    field.rust_name == "id" && field.ty == RustType::Runtime(Runtime::ObjectId)
                })
        })
    }
}

/// The models of `api` through progenitor, and the code typify wrote for them, with paths and
/// security left out: the operations
/// are generated by this crate's own templates, so progenitor only ever sees schemas.
/// `open_enums` are written by the generator, so typify only refers to them; the fields of the
/// structs named in `lenient` are each [`RustType::Lenient`] (see `normalize`).
pub fn models(
    api: &OpenAPI,
    open_enums: &[&str],
    lenient: &BTreeSet<String>,
    source: &Path,
) -> Result<(Models, TypifyCode), Diagnostic> {
    let mut settings = GenerationSettings::new();
    settings
        .with_map_type("::std::collections::BTreeMap")
        .with_derive("PartialEq");
    for (schema, runtime) in RUNTIME_TYPES {
        settings.with_replacement(
            schema,
            format!("crate::{}", runtime.name()),
            std::iter::empty::<TypeImpl>(),
        );
    }
    for name in open_enums {
        settings.with_replacement(name, name, std::iter::empty::<TypeImpl>());
    }
    let schemas_only = OpenAPI {
        openapi: api.openapi.clone(),
        info: api.info.clone(),
        components: api.components.clone(),
        ..OpenAPI::default()
    };
    let mut generator = Generator::new(&settings);
    let generated = catch_unwind(AssertUnwindSafe(|| {
        generator.generate_tokens(&schemas_only)
    }));
    let tokens = match generated {
        Ok(Ok(tokens)) => types_module(tokens).ok_or_else(|| {
            Diagnostic::new(
                source,
                "/components/schemas",
                "progenitor's output has no `types` module",
                "this is a generator bug: the pinned progenitor changed its output; report it",
            )
        })?,
        Ok(Err(error)) => {
            return Err(Diagnostic::new(
                source,
                "/components/schemas",
                format!("progenitor could not generate the models: {error}"),
                "change the schema the message names into plain objects, arrays, strings, numbers and named enums",
            ));
        }
        Err(panic) => {
            return Err(Diagnostic::new(
                source,
                "/components/schemas",
                format!(
                    "progenitor stopped with an internal error: {}",
                    panic_message(&panic)
                ),
                "simplify the schema the message names; the generator guards progenitor, so this is worth reporting",
            ));
        }
    };
    let file: syn::File = syn::parse2(tokens).map_err(|error| {
        Diagnostic::new(
            source,
            "/components/schemas",
            format!("progenitor produced models that do not parse as Rust: {error}"),
            "this is a generator bug: simplify the schema the models fail on, and report it",
        )
    })?;
    let renamed = json_names(&file);
    let types = TypeNames {
        space: generator.get_type_space(),
        open_enums,
    };
    let mut structs = BTreeMap::new();
    for ty in types.space.iter_types() {
        let TypeDetails::Struct(details) = ty.details() else {
            continue;
        };
        let owner = ty.name();
        let mut fields = Fields::new();
        for property in details.properties_info() {
            let mut field_type = types.of(&property.type_id).ok_or_else(|| {
                Diagnostic::new(
                    source,
                    "/components/schemas",
                    format!(
                        "typify writes the field `{}` of `{owner}` as `{}`, a type the generator does not know",
                        property.name,
                        types
                            .space
                            .get_type(&property.type_id)
                            .map_or_else(|_| "an unknown type".to_owned(), |ty| ty.name())
                    ),
                    "describe the field with a type and format OpenAPI 3.0 defines, or add the type typify writes to `Builtin` in xtask/src/rust_types.rs",
                )
            })?;
            if lenient.contains(&owner) {
                field_type = lenient_field(field_type);
            }
            let json = renamed
                .get(&(owner.clone(), property.name.to_owned()))
                .cloned()
                .unwrap_or_else(|| property.name.trim_start_matches("r#").to_owned());
            fields.insert(
                json,
                Field {
                    rust_name: property.name.to_owned(),
                    ty: field_type,
                    required: property.required,
                },
            );
        }
        structs.insert(owner, fields);
    }
    Ok((Models { structs }, TypifyCode(file)))
}

/// A field of an error answer decodes whatever JSON it holds: `Option<Lenient<T>>`, where `T`
/// is the type HubSpot documents. A type that already takes any JSON stays as it is.
fn lenient_field(ty: RustType) -> RustType {
    let documented = match ty {
        RustType::Option(inner) => *inner,
        other => other,
    };
    match documented {
        RustType::Builtin(Builtin::JsonValue) | RustType::Runtime(Runtime::ErrorContext) => {
            documented.optional()
        }
        other => RustType::Lenient(Box::new(other)).optional(),
    }
}

/// Turns typify's type ids into [`RustType`]s.
struct TypeNames<'a> {
    space: &'a TypeSpace,
    open_enums: &'a [&'a str],
}

impl TypeNames<'_> {
    /// The type of an id; `None` when typify does not know the id, or makes a type the
    /// generator does not know.
    fn of(&self, id: &TypeId) -> Option<RustType> {
        let ty = self.space.get_type(id).ok()?;
        let boxed = |id: &TypeId| self.of(id).map(Box::new);
        Some(match ty.details() {
            TypeDetails::Struct(_) | TypeDetails::Enum(_) | TypeDetails::Newtype(_) => {
                RustType::Model(ty.name())
            }
            TypeDetails::Option(inner) => RustType::Option(boxed(&inner)?),
            TypeDetails::Vec(inner) => RustType::Vec(boxed(&inner)?),
            TypeDetails::Map(key, value) => RustType::Map(boxed(&key)?, boxed(&value)?),
            TypeDetails::Box(inner) => RustType::Boxed(boxed(&inner)?),
            TypeDetails::Set(inner) => RustType::Set(boxed(&inner)?),
            // OpenAPI 3.0 describes no tuples (`items` is one schema).
            TypeDetails::Tuple(_) => return None,
            TypeDetails::Array(inner, length) => RustType::Array(boxed(&inner)?, length),
            TypeDetails::String => RustType::Builtin(Builtin::String),
            TypeDetails::Unit => RustType::Unit,
            TypeDetails::Builtin(name) => self.builtin(name)?,
        })
    }

    /// A type typify calls built in: a scalar, a library type, a runtime type the settings
    /// put in a schema's place, or an open enum the generator writes.
    fn builtin(&self, name: &str) -> Option<RustType> {
        if let Some((_, builtin)) = TYPIFY_BUILTINS.iter().find(|(typify, _)| *typify == name) {
            return Some(RustType::Builtin(*builtin));
        }
        if let Some((_, runtime)) = RUNTIME_TYPES
            .iter()
            .find(|(_, runtime)| name == format!("crate::{}", runtime.name()))
        {
            return Some(RustType::Runtime(*runtime));
        }
        self.open_enums
            .contains(&name)
            .then(|| RustType::Model(name.to_owned()))
    }
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "no message".to_owned())
}

/// What `mod types { … }` holds in progenitor's output: the models typify wrote, which
/// progenitor prints there (asking typify for them again would make them twice).
fn types_module(tokens: TokenStream) -> Option<TokenStream> {
    let mut previous: [Option<String>; 2] = [None, None];
    for tree in tokens {
        match tree {
            TokenTree::Group(group)
                if group.delimiter() == Delimiter::Brace
                    && previous[0].as_deref() == Some("mod")
                    && previous[1].as_deref() == Some("types") =>
            {
                return Some(group.stream());
            }
            TokenTree::Ident(ident) => previous = [previous[1].take(), Some(ident.to_string())],
            _ => previous = [None, None],
        }
    }
    None
}

/// The JSON name of every renamed field of the structs typify wrote, by (struct, field): the
/// one thing typify's type space does not tell, read from the `#[serde(rename = "...")]` of
/// the code it made.
fn json_names(file: &syn::File) -> BTreeMap<(String, String), String> {
    let mut names = BTreeMap::new();
    for item in &file.items {
        let syn::Item::Struct(item) = item else {
            continue;
        };
        for field in &item.fields {
            let (Some(ident), Some(json)) = (&field.ident, renamed(field)) else {
                continue;
            };
            names.insert((item.ident.to_string(), ident.to_string()), json);
        }
    }
    names
}

/// A field's `#[serde(rename = "...")]`.
fn renamed(field: &syn::Field) -> Option<String> {
    let mut renamed = None;
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                let value: syn::LitStr = meta.value()?.parse()?;
                renamed = Some(value.value());
            } else if meta.input.peek(syn::Token![=]) {
                let _: syn::Expr = meta.value()?.parse()?;
            }
            Ok(())
        });
    }
    renamed
}

impl ToTokens for Runtime {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        tokens.extend(RustType::Runtime(*self).tokens(Scope::Client));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_print_as_tokens_and_as_a_program_reads_them() {
        let outcome = RustType::ImplStream(Box::new(RustType::BulkOutcome(
            Box::new(RustType::Runtime(Runtime::ObjectId)),
            Box::new(RustType::Vec(Box::new(RustType::Model("Thing".into())))),
        )));
        assert_eq!(
            outcome.readable(Scope::Client),
            "Items<impl Stream<Item = BulkOutcome<ObjectId, Vec<types::Thing>>>>"
        );
        assert_eq!(
            outcome.tokens(Scope::Client).to_string(),
            "crate :: Items < impl futures_core :: Stream < Item = crate :: BulkOutcome < crate :: ObjectId , Vec < types :: Thing > > >>"
        );
        let field = RustType::Option(Box::new(RustType::Map(
            Box::new(RustType::Builtin(Builtin::String)),
            Box::new(RustType::Builtin(Builtin::DateTime)),
        )));
        assert_eq!(
            field.readable(Scope::Types),
            "Option<BTreeMap<String, DateTime<Utc>>>"
        );
        assert_eq!(outcome.models(), ["Thing"]);
    }

    #[test]
    fn error_fields_are_lenient_unless_they_take_any_json_already() {
        assert_eq!(
            lenient_field(RustType::Builtin(Builtin::String).optional()).readable(Scope::Types),
            "Option<Lenient<String>>"
        );
        assert_eq!(
            lenient_field(RustType::Vec(Box::new(RustType::Model("Detail".into()))))
                .readable(Scope::Types),
            "Option<Lenient<Vec<Detail>>>"
        );
        assert_eq!(
            lenient_field(RustType::Runtime(Runtime::ErrorContext).optional()),
            RustType::Runtime(Runtime::ErrorContext).optional()
        );
    }

    /// The models of a spec whose `components.schemas` are `schemas` (YAML indented by four),
    /// with no open enums and no lenient types.
    fn models_of(schemas: &str) -> Models {
        let text = format!(
            "openapi: 3.0.3\ninfo: {{title: t, version: v4}}\npaths: {{}}\ncomponents:\n  schemas:\n{schemas}"
        );
        let api: OpenAPI = serde_norway::from_str(&text).unwrap();
        let (models, _) = models(
            &api,
            &[],
            &BTreeSet::new(),
            Path::new("spec/v4/openapi.yaml"),
        )
        .unwrap();
        models
    }

    #[test]
    fn fields_carry_json_names_rust_types_and_whether_required() {
        let models = models_of(
            r#"
    Thing:
      type: object
      required: [size]
      properties:
        size: {type: integer, format: int32, description: s}
        toObjectId: {$ref: '#/components/schemas/ObjectId'}
        when: {type: string, format: date-time, description: w}
    ObjectId: {type: string, description: i}
"#,
        );
        let thing = &models.structs["Thing"];
        assert_eq!(
            thing["size"],
            Field {
                rust_name: "size".into(),
                ty: RustType::Builtin(Builtin::I32),
                required: true
            }
        );
        assert_eq!(thing["toObjectId"].rust_name, "to_object_id");
        assert_eq!(
            thing["toObjectId"].ty,
            RustType::Runtime(Runtime::ObjectId).optional()
        );
        assert_eq!(
            thing["when"].ty.readable(Scope::Types),
            "Option<DateTime<Utc>>"
        );
    }

    #[test]
    fn every_scalar_and_array_typify_writes_is_a_typed_value() {
        let models = models_of(
            r#"
    Thing:
      type: object
      required: [tags, day, address, small, pair]
      properties:
        tags: {type: array, uniqueItems: true, items: {type: string}}
        day: {type: string, format: date}
        address: {type: string, format: ipv4}
        small: {type: integer, format: uint8}
        pair: {type: array, items: {type: string}, minItems: 2, maxItems: 2}
"#,
        );
        let thing = &models.structs["Thing"];
        let written = |field: &str| {
            let ty = &thing[field].ty;
            (
                ty.readable(Scope::Types),
                ty.tokens(Scope::Types).to_string(),
            )
        };
        assert_eq!(
            written("tags"),
            (
                "BTreeSet<String>".into(),
                "std :: collections :: BTreeSet < String >".into()
            )
        );
        assert_eq!(
            written("day"),
            ("NaiveDate".into(), "chrono :: NaiveDate".into())
        );
        assert_eq!(
            written("address"),
            ("Ipv4Addr".into(), "std :: net :: Ipv4Addr".into())
        );
        assert_eq!(written("small"), ("u8".into(), "u8".into()));
        assert_eq!(
            written("pair"),
            ("[String; 2]".into(), "[String ; 2]".into())
        );
    }
}
