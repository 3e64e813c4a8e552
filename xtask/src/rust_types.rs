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
use proc_macro2::TokenStream;
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
}

impl Runtime {
    fn name(self) -> &'static str {
        match self {
            Self::ObjectType => "ObjectType",
            Self::ObjectId => "ObjectId",
            Self::ErrorContext => "ErrorContext",
            Self::BulkOptions => "BulkOptions",
            Self::Labels => "Labels",
        }
    }
}

/// A type of the language or of a library the generated code uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Builtin {
    /// `str`
    Str,
    /// `String`
    String,
    /// `bool`
    Bool,
    /// `i32`
    I32,
    /// `i64`
    I64,
    /// `u64`
    U64,
    /// `f64`
    F64,
    /// `serde_json::Value`
    JsonValue,
    /// `serde_json::Map<String, serde_json::Value>`
    JsonMap,
    /// `chrono::DateTime<chrono::Utc>`
    DateTime,
    /// `uuid::Uuid`
    Uuid,
}

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
    /// `impl Stream<Item = T>`
    ImplStream(Box<RustType>),
    /// `Result<T, Error>`, with the crate's one error type.
    Result(Box<RustType>),
    /// `Response<T>`: a decoded answer with its status and headers.
    Response(Box<RustType>),
    /// `BulkOutcome<I, R>`
    BulkOutcome(Box<RustType>, Box<RustType>),
    /// `Lenient<T>`: a field of an error answer, typed or as the JSON HubSpot sent.
    Lenient(Box<RustType>),
    /// A type typify names that no variant above describes (an array of fixed length, a
    /// tuple): kept as typify's tokens, and named as typify names it.
    Other(OtherType),
}

/// A type typify names that [`RustType`] has no variant for.
#[derive(Debug, Clone)]
pub struct OtherType {
    /// typify's name of it.
    pub name: String,
    /// typify's tokens of it.
    pub tokens: TokenStream,
}

impl PartialEq for OtherType {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for OtherType {}

impl std::hash::Hash for OtherType {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl PartialOrd for OtherType {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for OtherType {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.name.cmp(&other.name)
    }
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
            | Self::Lenient(inner) => inner.visit(visit),
            Self::Map(key, value) | Self::BulkOutcome(key, value) => {
                key.visit(visit);
                value.visit(visit);
            }
            Self::Model(_)
            | Self::Query(_)
            | Self::Runtime(_)
            | Self::Builtin(_)
            | Self::Unit
            | Self::Other(_) => {}
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
                quote!(impl futures_core::Stream<Item = #ty>)
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
            Self::Other(other) => other.tokens.clone(),
        }
    }

    /// The type as a program reads it in `scope`: without the paths it does not write.
    pub fn readable(&self, scope: Scope) -> String {
        Readable(self, scope).to_string()
    }
}

fn builtin_tokens(builtin: Builtin) -> TokenStream {
    match builtin {
        Builtin::Str => quote!(str),
        Builtin::String => quote!(String),
        Builtin::Bool => quote!(bool),
        Builtin::I32 => quote!(i32),
        Builtin::I64 => quote!(i64),
        Builtin::U64 => quote!(u64),
        Builtin::F64 => quote!(f64),
        Builtin::JsonValue => quote!(serde_json::Value),
        Builtin::JsonMap => quote!(serde_json::Map<String, serde_json::Value>),
        Builtin::DateTime => quote!(chrono::DateTime<chrono::offset::Utc>),
        Builtin::Uuid => quote!(uuid::Uuid),
    }
}

fn builtin_name(builtin: Builtin) -> &'static str {
    match builtin {
        Builtin::Str => "str",
        Builtin::String => "String",
        Builtin::Bool => "bool",
        Builtin::I32 => "i32",
        Builtin::I64 => "i64",
        Builtin::U64 => "u64",
        Builtin::F64 => "f64",
        Builtin::JsonValue => "Value",
        Builtin::JsonMap => "Map<String, Value>",
        Builtin::DateTime => "DateTime<Utc>",
        Builtin::Uuid => "Uuid",
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
            RustType::ImplStream(ty) => write!(f, "impl Stream<Item = {}>", inner(ty)),
            RustType::Result(ty) => write!(f, "Result<{}, Error>", inner(ty)),
            RustType::Response(ty) => write!(f, "Response<{}>", inner(ty)),
            RustType::BulkOutcome(input, result) => {
                write!(f, "BulkOutcome<{}, {}>", inner(input), inner(result))
            }
            RustType::Lenient(ty) => write!(f, "Lenient<{}>", inner(ty)),
            RustType::Other(other) => f.write_str(&other.name),
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

/// The models of one version: the tokens typify made, and the fields of every struct.
#[derive(Debug, Clone, Default)]
pub struct Models {
    /// What typify generated, before docs are added.
    pub tokens: TokenStream,
    /// Struct name (the schema name in UpperCamelCase) to its fields.
    pub structs: BTreeMap<String, Fields>,
}

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

/// The models of `api` through progenitor, with paths and security left out: the operations
/// are generated by this crate's own templates, so progenitor only ever sees schemas.
/// `open_enums` are written by the generator, so typify only refers to them; the fields of the
/// structs named in `lenient` are each [`RustType::Lenient`] (see `normalize`).
pub fn models(
    api: &OpenAPI,
    open_enums: &[&str],
    lenient: &BTreeSet<String>,
    source: &Path,
) -> Result<Models, Diagnostic> {
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
        paths: Default::default(),
        security: None,
        ..api.clone()
    };
    let mut generator = Generator::new(&settings);
    let generated = catch_unwind(AssertUnwindSafe(|| {
        generator
            .generate_tokens(&schemas_only)
            .map(|_| generator.get_type_space().to_stream())
    }));
    let tokens = match generated {
        Ok(Ok(tokens)) => tokens,
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
    let renamed = json_names(&tokens).map_err(|error| {
        Diagnostic::new(
            source,
            "/components/schemas",
            format!("progenitor produced models that do not parse as Rust: {error}"),
            "this is a generator bug: simplify the schema the models fail on, and report it",
        )
    })?;
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
                        "typify gave the field `{}` of `{owner}` a type it cannot describe",
                        property.name
                    ),
                    "this is a generator bug: report it with the schema",
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
    Ok(Models { structs, tokens })
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
    /// The type of an id; `None` when typify does not know the id.
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
            TypeDetails::String => RustType::Builtin(Builtin::String),
            TypeDetails::Unit => RustType::Unit,
            TypeDetails::Builtin(name) => self.builtin(name, || ty.ident()),
            TypeDetails::Set(_) | TypeDetails::Tuple(_) | TypeDetails::Array(..) => {
                RustType::Other(OtherType {
                    name: ty.name(),
                    tokens: ty.ident(),
                })
            }
        })
    }

    /// A type typify calls built in: a scalar, a library type, a runtime type the settings
    /// put in a schema's place, or an open enum the generator writes.
    fn builtin(&self, name: &str, tokens: impl FnOnce() -> TokenStream) -> RustType {
        let known = [
            ("i32", Builtin::I32),
            ("i64", Builtin::I64),
            ("u64", Builtin::U64),
            ("f64", Builtin::F64),
            ("bool", Builtin::Bool),
            ("::serde_json::Value", Builtin::JsonValue),
            (
                "::chrono::DateTime<::chrono::offset::Utc>",
                Builtin::DateTime,
            ),
            ("::uuid::Uuid", Builtin::Uuid),
            (
                "::serde_json::Map<::std::string::String, ::serde_json::Value>",
                Builtin::JsonMap,
            ),
        ];
        if let Some((_, builtin)) = known.iter().find(|(typify, _)| *typify == name) {
            return RustType::Builtin(*builtin);
        }
        if let Some((_, runtime)) = RUNTIME_TYPES
            .iter()
            .find(|(_, runtime)| name == format!("crate::{}", runtime.name()))
        {
            return RustType::Runtime(*runtime);
        }
        if self.open_enums.contains(&name) {
            return RustType::Model(name.to_owned());
        }
        RustType::Other(OtherType {
            name: name.to_owned(),
            tokens: tokens(),
        })
    }
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "no message".to_owned())
}

/// The JSON name of every renamed field of the structs typify wrote, by (struct, field): the
/// one thing typify's type space does not tell, read from the `#[serde(rename = "...")]` of
/// the code it made.
fn json_names(tokens: &TokenStream) -> syn::Result<BTreeMap<(String, String), String>> {
    let file: syn::File = syn::parse2(tokens.clone())?;
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
    Ok(names)
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
            "impl Stream<Item = BulkOutcome<ObjectId, Vec<types::Thing>>>"
        );
        assert_eq!(
            outcome.tokens(Scope::Client).to_string(),
            "impl futures_core :: Stream < Item = crate :: BulkOutcome < crate :: ObjectId , Vec < types :: Thing > > >"
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

    #[test]
    fn fields_carry_json_names_rust_types_and_whether_required() {
        let api: OpenAPI = serde_norway::from_str(
            r#"
openapi: 3.0.3
info: {title: t, version: v4}
paths: {}
components:
  schemas:
    Thing:
      type: object
      required: [size]
      properties:
        size: {type: integer, format: int32, description: s}
        toObjectId: {$ref: '#/components/schemas/ObjectId'}
        when: {type: string, format: date-time, description: w}
    ObjectId: {type: string, description: i}
"#,
        )
        .unwrap();
        let models = models(
            &api,
            &[],
            &BTreeSet::new(),
            Path::new("spec/v4/openapi.yaml"),
        )
        .unwrap();
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
}
