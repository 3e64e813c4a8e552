//! Stage 4: the API as the code generator sees it, read from the normalized specs: each
//! version's operations with what HubSpot publishes of each (success codes, batch cap, OAuth
//! scopes, rate-limit exemptions), its open enums, and its Rust surface: every public method
//! with its signature (the derived ones too: pagers, bulk helpers, the label lookup), the types
//! typify makes, and which fields of the batch types name records. Everything is typed: paths
//! are [`PathTemplate`]s, success codes [`Status`]es, types [`RustType`]s. `generate` emits
//! this model and `diff` compares it; neither derives its own.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::PathBuf;

use heck::{ToSnakeCase, ToUpperCamelCase};
use openapiv3::{
    OpenAPI, Parameter, ParameterSchemaOrContent, ReferenceOr, SchemaKind, StatusCode, Type,
};
use serde_json::Value;

use crate::diagnostics::{Diagnostic, Diagnostics, pointer};
use crate::document::{self, OperationAt, items, property, ref_name, schema_name};
pub use crate::extensions::{
    BATCH_LIMIT, LIFECYCLE, Lifecycle, RATE_LIMIT_EXEMPTIONS, REMOVED_OPERATIONS, Removal, Stage,
    lifecycle, removed_operations,
};
use crate::load::Spec;
use crate::parallel;
use crate::path_template::PathTemplate;
use crate::rust_types::{self, Builtin, Models, Runtime, RustType, TypifyCode};

/// One API version.
#[derive(Debug, Clone)]
pub struct Version {
    /// As HubSpot names it: `v4`, `2026-03`.
    pub name: String,
    /// The Rust module and cargo feature: `v4`, `v2026_03`.
    pub module: String,
    /// The spec it comes from, relative to the workspace root.
    pub source: PathBuf,
    /// `info.title`.
    pub title: String,
    /// `info.description`.
    pub description: Option<String>,
    /// Where it stands in HubSpot's support schedule.
    pub lifecycle: Lifecycle,
    /// Every operation, in spec order.
    pub operations: Vec<Operation>,
    /// The operations of the version before that this one dropped (`x-removed-operations`).
    pub removed: Vec<Removal>,
    /// Its string enums.
    pub enums: Vec<OpenEnum>,
    /// Every public method of its `Client`, in the order they are generated.
    pub methods: Vec<Method>,
    /// Its types, as typify writes them.
    pub models: Models,
    /// The batch inputs and results whose fields name records, by type name.
    pub keyed: BTreeMap<String, RecordKeys>,
    /// The types of error answers, whose every field is lenient (see `normalize`).
    pub lenient: BTreeSet<String>,
    /// The fields of the items the label listing answers with, when the version has one: the
    /// label lookup reads them.
    pub label_fields: Option<LabelFields>,
    /// The words of its types that the generated code carries beside typify's models.
    pub docs: Docs,
}

/// The words of a version's types, read from its spec once: what the generated `types`
/// module needs beside typify's models.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Docs {
    /// Each object schema, by its Rust name: its description and its fields' (by JSON name).
    pub types: BTreeMap<String, TypeDocs>,
    /// For each (type, field) whose schema is a `$ref` without words of its own: the first
    /// paragraph of the description of the schema it refers to, so that every public field
    /// has docs. Keyed by the Rust type's name and the snake_case of the field's JSON name.
    pub fields: BTreeMap<(String, String), String>,
}

/// The words of one object schema.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TypeDocs {
    /// Its description.
    pub description: Option<String>,
    /// Its properties' descriptions, by JSON name.
    pub fields: BTreeMap<String, String>,
}

impl Docs {
    /// The words of every object schema of the document.
    fn of(api: &OpenAPI) -> Self {
        let mut docs = Self::default();
        let Some(components) = &api.components else {
            return docs;
        };
        let first_paragraph = |name: &str| -> String {
            components
                .schemas
                .get(name)
                .and_then(ReferenceOr::as_item)
                .and_then(|schema| schema.schema_data.description.as_deref())
                .map(|text| text.split("\n\n").next().unwrap_or(text).replace('\n', " "))
                .unwrap_or_else(|| format!("See [`{name}`]."))
        };
        for (name, schema) in &components.schemas {
            let Some(schema) = schema.as_item() else {
                continue;
            };
            let SchemaKind::Type(Type::Object(object)) = &schema.schema_kind else {
                continue;
            };
            let rust_name = name.clone();
            let mut fields = BTreeMap::new();
            for (property, value) in &object.properties {
                match value {
                    ReferenceOr::Reference { reference } => {
                        if let Some(target) = schema_name(reference) {
                            docs.fields.insert(
                                (rust_name.clone(), property.to_snake_case()),
                                first_paragraph(target).trim().to_owned(),
                            );
                        }
                    }
                    ReferenceOr::Item(schema) => {
                        if let Some(words) = &schema.schema_data.description {
                            fields.insert(property.clone(), words.clone());
                        }
                    }
                }
            }
            docs.types.insert(
                rust_name,
                TypeDocs {
                    description: schema.schema_data.description.clone(),
                    fields,
                },
            );
        }
        docs
    }
}

/// A public method of a version's `Client`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Method {
    /// Its Rust name.
    pub name: String,
    /// The operation it calls.
    pub operation: String,
    /// What it does with the operation.
    pub kind: MethodKind,
    /// Its arguments after `&self`.
    pub args: Vec<Arg>,
    /// What it returns.
    pub returns: RustType,
    /// Whether it is an `async fn`.
    pub is_async: bool,
}

/// An argument of a method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arg {
    /// Its Rust name.
    pub name: String,
    /// Its type.
    pub ty: RustType,
}

impl Arg {
    fn new(name: impl Into<String>, ty: RustType) -> Self {
        Self {
            name: name.into(),
            ty,
        }
    }
}

/// What a method does with its operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MethodKind {
    /// Sends the operation once.
    Call,
    /// Every item of a cursor-paged list, as a stream.
    Pages,
    /// Any number of inputs through a batch operation, collected.
    BatchAll,
    /// Any number of inputs through a batch operation, as a stream of outcomes.
    BatchChunks,
    /// Every page of a per-input paged batch read.
    ReadAll,
    /// Every page of a per-input paged batch read, as a stream of outcomes, a few requests'
    /// worth of records at a time.
    ReadChunks,
    /// The cached label lookup over the list of labels.
    Labels,
    /// The label lookup fetched again.
    RefreshLabels,
    /// One label by name, the lookup fetched again once when it is not there.
    FindLabel,
}

impl Method {
    /// The arguments as a program reads them: `(object_type: impl Into<ObjectType>, ...)`.
    pub fn arguments(&self) -> String {
        let args: Vec<String> = self
            .args
            .iter()
            .map(|arg| {
                format!(
                    "{}: {}",
                    arg.name,
                    arg.ty.readable(rust_types::Scope::Client)
                )
            })
            .collect();
        format!("({})", args.join(", "))
    }

    /// What it returns, as a program reads it.
    pub fn readable_returns(&self) -> String {
        self.returns.readable(rust_types::Scope::Client)
    }
}

/// Methods every `Client` has, whatever its operations: an operation may not take their names.
pub const FIXED_METHODS: [&str; 4] = ["new", "transport", "with_options", "call_json"];

/// An HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum HttpMethod {
    /// `GET`
    Get,
    /// `PUT`
    Put,
    /// `POST`
    Post,
    /// `DELETE`
    Delete,
    /// `PATCH`
    Patch,
    /// `HEAD`
    Head,
    /// `OPTIONS`
    Options,
    /// `TRACE`
    Trace,
}

impl HttpMethod {
    /// The method of an OpenAPI path item's key (`get`, `post`...).
    pub fn parse(key: &str) -> Option<Self> {
        Some(match key {
            "get" => Self::Get,
            "put" => Self::Put,
            "post" => Self::Post,
            "delete" => Self::Delete,
            "patch" => Self::Patch,
            "head" => Self::Head,
            "options" => Self::Options,
            "trace" => Self::Trace,
            _ => return None,
        })
    }

    /// The name of its variant in the runtime's `HttpMethod`: `Get`.
    pub fn variant(self) -> String {
        self.as_str().to_upper_camel_case()
    }

    /// Upper case, as HTTP spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Put => "PUT",
            Self::Post => "POST",
            Self::Delete => "DELETE",
            Self::Patch => "PATCH",
            Self::Head => "HEAD",
            Self::Options => "OPTIONS",
            Self::Trace => "TRACE",
        }
    }
}

impl fmt::Display for HttpMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One operation of a version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    /// The stable name, the same in every version: `batch_create`.
    pub id: String,
    /// Its HTTP method.
    pub method: HttpMethod,
    /// The path template.
    pub path: PathTemplate,
    /// One line on what it does.
    pub summary: Option<String>,
    /// What it does, at length.
    pub description: Option<String>,
    /// Path and query parameters, in spec order.
    pub params: Vec<Param>,
    /// The JSON request body.
    pub body: Option<Body>,
    /// What a 2xx carries.
    pub success: Success,
    /// Whether it may be sent again.
    pub retry: Retry,
    /// How it pages, when it does.
    pub pagination: Option<Pagination>,
    /// How any number of inputs go through it, when it is a batch.
    pub bulk: Option<Bulk>,
    /// The OAuth scopes of which any one lets a call through, as HubSpot publishes them.
    pub scopes: Vec<String>,
    /// The rate limits HubSpot says the operation is exempt from
    /// (`x-hubspot-rate-limit-exemptions`: `ten-secondly`, `daily`).
    pub rate_limit_exemptions: Vec<String>,
    /// The answer its first documented success gives, as the spec's example shows it.
    pub success_example: Option<Value>,
}

impl Operation {
    /// The type of its optional query parameters, `<Op>Query` (with `Default`), when it has any.
    pub fn query_type(&self) -> Option<String> {
        self.params
            .iter()
            .any(|p| p.role == ParamRole::OptionalQuery)
            .then(|| format!("{}Query", self.id.to_upper_camel_case()))
    }

    /// Whether it is not a batch yet answers with an outcome that may carry `errors` and no
    /// `results` (HubSpot's answer for a record that does not exist): the client turns such an
    /// answer into an error. Batch operations report errors per input.
    pub fn rejects_with_errors(&self, models: &Models) -> bool {
        self.bulk.is_none()
            && !self.success.may_be_empty()
            && self
                .success
                .body
                .as_ref()
                .and_then(|body| models.structs.get(body.as_str()))
                .is_some_and(|fields| {
                    fields.contains_key("errors") && fields.contains_key("results")
                })
    }

    /// HubSpot's cap on inputs per request, when it documents one.
    pub fn batch_cap(&self) -> Option<usize> {
        self.bulk.as_ref().and_then(|bulk| bulk.cap)
    }
}

/// A path or query parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    /// As the API spells it: `objectType`.
    pub api_name: String,
    /// As Rust spells it: `object_type`.
    pub rust_name: String,
    /// Its type.
    pub scalar: Scalar,
    /// What it is.
    pub description: Option<String>,
    /// What a method takes for it, and so where it goes.
    pub role: ParamRole,
}

impl Param {
    /// Whether it goes in the path (otherwise in the query).
    pub fn in_path(&self) -> bool {
        matches!(
            self.role,
            ParamRole::ObjectType | ParamRole::ObjectId | ParamRole::Path
        )
    }

    /// Whether a call must give it.
    pub fn required(&self) -> bool {
        self.role != ParamRole::OptionalQuery
    }

    /// The type a method takes for it; `None` for an optional query parameter, which is a
    /// field of the operation's query value.
    pub fn argument_type(&self) -> Option<RustType> {
        Some(match self.role {
            ParamRole::ObjectType => {
                RustType::ImplInto(Box::new(RustType::Runtime(Runtime::ObjectType)))
            }
            ParamRole::ObjectId => {
                RustType::ImplInto(Box::new(RustType::Runtime(Runtime::ObjectId)))
            }
            ParamRole::Path | ParamRole::RequiredQuery => self.scalar.borrowed(),
            ParamRole::OptionalQuery => return None,
        })
    }
}

/// What a method takes for a parameter, read from its place and name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamRole {
    /// A text path parameter named `objectType` or `...ObjectType`: `impl Into<ObjectType>`.
    ObjectType,
    /// A text path parameter whose name ends in `Id` (`objectId`, `toObjectId`):
    /// `impl Into<ObjectId>`, so that numbers and text both do.
    ObjectId,
    /// A path parameter of another kind, taken as its scalar type.
    Path,
    /// A query parameter that must be given, taken by position.
    RequiredQuery,
    /// An optional query parameter: a field of the operation's query value (see
    /// [`Operation::query_type`]), never a positional `None`.
    OptionalQuery,
}

/// The type of a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scalar {
    /// `string`
    Str,
    /// `integer` with format `int32`
    I32,
    /// Any other `integer`
    I64,
    /// `boolean`
    Bool,
}

impl Scalar {
    /// The Rust type that owns a value of it: `String`, `i32`, `i64`, `bool`.
    pub fn owned(self) -> RustType {
        RustType::Builtin(match self {
            Self::Str => Builtin::String,
            Self::I32 => Builtin::I32,
            Self::I64 => Builtin::I64,
            Self::Bool => Builtin::Bool,
        })
    }

    /// The Rust type an argument takes: text borrowed (`&str`), numbers by value.
    pub fn borrowed(self) -> RustType {
        match self {
            Self::Str => RustType::Builtin(Builtin::Str).borrowed(),
            other => other.owned(),
        }
    }
}

/// The name of a component schema. Validation guarantees it is already a Rust type name
/// (`BatchResponseVoid`), so the same text names the schema in the spec and its type in the
/// crate: nothing converts it, and a lookup of its struct uses it as it is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SchemaName(String);

impl SchemaName {
    /// The name of a schema of a validated spec.
    pub fn new(name: &str) -> Self {
        Self(name.to_owned())
    }

    /// As the spec writes it, which is its type's name too.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Its type in a version's `types` module.
    pub fn rust_type(&self) -> RustType {
        RustType::Model(self.0.clone())
    }
}

impl fmt::Display for SchemaName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A request body: a named schema or a list of one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// A component schema, by name.
    Schema(SchemaName),
    /// A list of a component schema.
    ListOf(SchemaName),
}

impl Body {
    /// What the typed method takes: `&types::Thing` or `&[types::Thing]`.
    pub fn argument_type(&self) -> RustType {
        match self {
            Self::Schema(name) => name.rust_type().borrowed(),
            Self::ListOf(name) => RustType::Slice(Box::new(name.rust_type())).borrowed(),
        }
    }

    /// What `call_json` decodes the body into: the type, or a `Vec` of it.
    pub fn owned_type(&self) -> RustType {
        match self {
            Self::Schema(name) => name.rust_type(),
            Self::ListOf(name) => RustType::Vec(Box::new(name.rust_type())),
        }
    }
}

/// A response status an operation documents: a code, or a range such as `2XX`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    /// One code: `201`.
    Code(u16),
    /// A range by its first digit: `2` is `2XX`.
    Range(u8),
}

impl Status {
    /// The status of an OpenAPI response key.
    pub fn of(status: &StatusCode) -> Self {
        match status {
            StatusCode::Code(code) => Self::Code(*code),
            StatusCode::Range(range) => Self::Range(u8::try_from(*range).unwrap_or(u8::MAX)),
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Code(code) => write!(f, "{code}"),
            Self::Range(range) => write!(f, "{range}XX"),
        }
    }
}

/// One 2xx response of an operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuccessResponse {
    /// Its status.
    pub status: Status,
    /// Whether it carries a body.
    pub has_body: bool,
    /// Whether HubSpot documents it (normalization adds some: see `normalize::ADDED`).
    pub documented: bool,
}

/// What a 2xx answer carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Success {
    /// Every 2xx response the client expects, in spec order.
    pub responses: Vec<SuccessResponse>,
    /// The body schema, if any 2xx has a body.
    pub body: Option<SchemaName>,
}

impl Success {
    /// The statuses HubSpot documents for this version.
    pub fn documented(&self) -> Vec<Status> {
        self.responses
            .iter()
            .filter(|r| r.documented)
            .map(|r| r.status)
            .collect()
    }

    /// Whether a 2xx may come without a body.
    pub fn may_be_empty(&self) -> bool {
        self.responses.iter().any(|r| !r.has_body)
    }

    /// Whether a success HubSpot documents carries a body.
    pub fn documented_body(&self) -> bool {
        self.responses.iter().any(|r| r.documented && r.has_body)
    }

    /// The documented statuses as text: `201, 207`.
    pub fn documented_text(&self, separator: &str) -> String {
        self.documented()
            .iter()
            .map(Status::to_string)
            .collect::<Vec<_>>()
            .join(separator)
    }

    /// What one decoded success is: the body type, `Option` of it when it may be empty, or `()`.
    pub fn rust_type(&self) -> RustType {
        match (&self.body, self.may_be_empty()) {
            (None, _) => RustType::Unit,
            (Some(name), false) => name.rust_type(),
            (Some(name), true) => name.rust_type().optional(),
        }
    }
}

/// Whether the runtime may send the request again after a transient failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Reads, PUT and DELETE: sending them twice has the effect of sending them once.
    Idempotent,
    /// Batch POSTs: retried so that a bulk job makes progress; a repeated input is harmless.
    Batch,
    /// Other POSTs: a second send could act twice (two labels, two emailed reports).
    Never,
}

impl Retry {
    /// The runtime's name of it.
    pub fn variant(self) -> &'static str {
        match self {
            Self::Idempotent => "Idempotent",
            Self::Batch => "Batch",
            Self::Never => "Never",
        }
    }
}

/// A cursor-paged list: the query parameter that takes the cursor and the item schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pagination {
    /// The Rust name of the cursor parameter.
    pub cursor_param: String,
    /// The schema of one item of `results`.
    pub item_schema: SchemaName,
}

/// A batch operation: its body is `{"inputs": [...]}` and its answer lists `results`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bulk {
    /// The body schema, whose only property is `inputs`.
    pub batch_schema: SchemaName,
    /// The schema of one input.
    pub item: SchemaName,
    /// HubSpot's cap on inputs per request (`x-batch-limit`), when documented.
    pub cap: Option<usize>,
    /// What one result is.
    pub result: BulkResult,
    /// For a paged read (inputs `{id, after}`, results `{from, to: [...], paging}`), the
    /// schema of one item of `to`.
    pub paged_read: Option<SchemaName>,
    /// For a paged read, the Rust names of its result's `from`, `to` and `paging` fields, as
    /// typify named them (found once the models are made).
    pub read_fields: Option<ReadFields>,
}

/// The Rust names of a paged read's result fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadFields {
    /// The record read (`from`).
    pub from: String,
    /// Its associations on this page (`to`).
    pub to: String,
    /// The cursor of its next page (`paging`).
    pub paging: String,
}

/// The type of one item of a batch answer's `results`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BulkResult {
    /// A named schema whose fields name the records of the input it confirms.
    Keyed(SchemaName),
    /// A named schema that names no record: it acknowledges the request.
    Schema(SchemaName),
    /// An object with no declared properties.
    Object,
    /// Anything.
    Any,
    /// The answer has no body.
    Nothing,
}

impl BulkResult {
    /// The Rust type of one result.
    pub fn rust_type(&self) -> RustType {
        match self {
            Self::Keyed(name) | Self::Schema(name) => name.rust_type(),
            Self::Object => RustType::Builtin(Builtin::JsonMap),
            Self::Any => RustType::Builtin(Builtin::JsonValue),
            Self::Nothing => RustType::Unit,
        }
    }
}

/// Which side of an association a field of a batch type names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Side {
    /// The record the association starts from.
    From,
    /// The record it leads to.
    To,
    /// Neither: an association type id, which HubSpot's errors may name all the same.
    Other,
}

/// How a field holds what it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyShape {
    /// A record id.
    Id,
    /// A record id, or nothing.
    OptionalId,
    /// An object whose only field is the id (`PublicObjectId`).
    Wrapped,
    /// Such an object, or nothing.
    OptionalWrapped,
    /// A list of such objects.
    WrappedList,
    /// A number (an association type id).
    Number,
    /// A number, or nothing.
    OptionalNumber,
}

/// A field of a batch input or result that names a record or a type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyField {
    /// As JSON names it, and as HubSpot's error contexts name it: `fromObjectId`.
    pub json: String,
    /// Its Rust name.
    pub rust: String,
    /// What it names.
    pub side: Side,
    /// How it holds it.
    pub shape: KeyShape,
}

/// The fields of a batch input or result that name records.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordKeys {
    /// Each such field, in the struct's order.
    pub fields: Vec<KeyField>,
}

impl RecordKeys {
    /// Whether a field names the record an association starts from: results with one confirm
    /// the inputs that name the same records.
    pub fn names_records(&self) -> bool {
        self.fields.iter().any(|field| field.side == Side::From)
    }
}

/// The Rust names of the fields of a listed label that the label lookup reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelFields {
    /// The association type id (`typeId`, an `i32`).
    pub type_id: String,
    /// Its category (`category`, an open enum).
    pub category: String,
    /// Its label (`label`, optional text).
    pub label: String,
}

/// The label fields of the items of `list_labels`' answer, read from its schema.
fn label_fields(
    spec: &Spec,
    operations: &[Operation],
    models: &Models,
) -> Result<Option<LabelFields>, Diagnostic> {
    let Some(op) = operations.iter().find(|op| op.id == LABELS_OPERATION) else {
        return Ok(None);
    };
    let item = op
        .success
        .body
        .as_ref()
        .and_then(|body| models.structs.get(body.as_str()))
        .and_then(|page| page.get("results"))
        .and_then(|results| match &results.ty {
            RustType::Vec(item) => match item.as_ref() {
                RustType::Model(name) => models.structs.get(name),
                _ => None,
            },
            _ => None,
        });
    let field = |json: &str, wanted: &dyn Fn(&RustType) -> bool| {
        item.and_then(|fields| fields.get(json))
            .filter(|field| wanted(&field.ty))
            .map(|field| field.rust_name.clone())
    };
    let found = (
        field("typeId", &|ty| *ty == RustType::Builtin(Builtin::I32)),
        field("category", &|ty| matches!(ty, RustType::Model(_))),
        field("label", &|ty| {
            *ty == RustType::Builtin(Builtin::String).optional()
        }),
    );
    match found {
        (Some(type_id), Some(category), Some(label)) => Ok(Some(LabelFields {
            type_id,
            category,
            label,
        })),
        _ => Err(Diagnostic::new(
            &spec.path,
            pointer([
                "paths",
                &op.path.to_string(),
                &op.method.as_str().to_lowercase(),
                "responses",
            ]),
            format!("the label lookup cannot read the answer of `{}`", op.id),
            "answer with `results`, a list of a named schema with `typeId` (int32), `category` (a named enum) and an optional `label` (string), as HubSpot's labels are",
        )),
    }
}

/// The JSON names of fields that name the record an association starts from, the one it
/// leads to, and an association type: how HubSpot names them in every version's batch types,
/// and in the contexts of the errors of batch answers.
pub const FROM_FIELDS: [&str; 3] = ["from", "fromObjectId", "id"];
/// See [`FROM_FIELDS`].
pub const TO_FIELDS: [&str; 2] = ["to", "toObjectId"];
/// See [`FROM_FIELDS`].
pub const OTHER_FIELDS: [&str; 1] = ["typeId"];

/// A string enum that decodes values it does not know into a catch-all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenEnum {
    /// The component schema name, which is the Rust type name.
    pub name: String,
    /// What it is.
    pub description: Option<String>,
    /// The values, as HubSpot spells them.
    pub values: Vec<String>,
    /// Other spellings HubSpot uses for a value (`x-enum-aliases`), as (alias, value).
    pub aliases: Vec<(String, String)>,
}

impl Version {
    /// The types a program builds: the request bodies and every type they contain.
    pub fn request_types(&self) -> BTreeSet<String> {
        let structs = &self.models.structs;
        let mut queue: Vec<String> = self
            .methods
            .iter()
            .filter(|m| m.kind == MethodKind::Call)
            .flat_map(|m| m.args.iter())
            .flat_map(|arg| arg.ty.models())
            .map(str::to_owned)
            .collect();
        let mut seen = BTreeSet::new();
        while let Some(name) = queue.pop() {
            if !structs.contains_key(&name) || !seen.insert(name.clone()) {
                continue;
            }
            for field in structs[&name].values() {
                queue.extend(field.ty.models().into_iter().map(str::to_owned));
            }
        }
        seen
    }

    /// The operation of this name.
    pub fn operation(&self, id: &str) -> Option<&Operation> {
        self.operations.iter().find(|op| op.id == id)
    }

    /// Whether `op` changes the labels the label lookup lists: it is not a read, and its path
    /// is the label listing's, or one item below it (`.../labels/{associationTypeId}`).
    pub fn changes_labels(&self, op: &Operation) -> bool {
        let Some(listing) = self.operation(LABELS_OPERATION) else {
            return false;
        };
        let (path, listed) = (op.path.segments(), listing.path.segments());
        op.method != HttpMethod::Get
            && path.starts_with(listed)
            && (path.len() == listed.len()
                || (path.len() == listed.len() + 1
                    && matches!(path[listed.len()], crate::path_template::Segment::Param(_))))
    }

    /// Whether HubSpot has announced its end, so that its items are deprecated.
    pub fn is_deprecated(&self) -> bool {
        self.lifecycle.end_of_support.is_some()
    }

    /// The JSON names of the key fields of its batch types, by side: how the errors of its
    /// batch answers name the records of the inputs they concern.
    pub fn context_names(&self, side: Side) -> BTreeSet<&str> {
        self.keyed
            .values()
            .flat_map(|keys| &keys.fields)
            .filter(|field| field.side == side)
            .map(|field| field.json.as_str())
            .collect()
    }
}

/// The Rust module (and cargo feature) of a version.
pub fn module_name(version: &str) -> String {
    if version.starts_with('v') {
        version.to_owned()
    } else {
        format!("v{}", version.replace('-', "_"))
    }
}

/// Builds the model of every normalized spec; every problem found is returned together.
pub fn versions(specs: &[Spec]) -> Result<Vec<Version>, Diagnostics> {
    let modelled = versions_then(specs, |_, _| ())?;
    Ok(modelled.into_iter().map(|(version, ())| version).collect())
}

/// Builds the model of every normalized spec, each on a thread of its own, and on that thread
/// hands the version and typify's code for it to `then` (the code cannot leave the thread);
/// every problem found is returned together.
pub fn versions_then<T: Send>(
    specs: &[Spec],
    then: impl Fn(&Version, TypifyCode) -> T + Sync,
) -> Result<Vec<(Version, T)>, Diagnostics> {
    let mut problems = Diagnostics::default();
    let mut versions = Vec::new();
    let modelled = parallel::map(specs, |spec| {
        version(spec).map(|(version, code)| {
            let then = then(&version, code);
            (version, then)
        })
    });
    for result in modelled {
        match result {
            Ok(version) => versions.push(version),
            Err(found) => problems.extend(found),
        }
    }
    problems.into_result(versions)
}

/// The model of one normalized spec, and the code typify wrote for its models.
fn version(spec: &Spec) -> Result<(Version, TypifyCode), Vec<Diagnostic>> {
    let api = &spec.api;
    let lifecycle = lifecycle(api).ok_or_else(|| {
        vec![Diagnostic::new(
            &spec.path,
            pointer(["info", LIFECYCLE, "status"]),
            "the version has no lifecycle stage the generator knows",
            "set `info.x-hubspot-lifecycle.status` to `beta`, `generally-available` or `legacy`",
        )]
    })?;
    let mut problems = Vec::new();
    let operations: Vec<Operation> = document::operations(api)
        .filter_map(|op| {
            operation(api, &op)
                .map_err(|problem| {
                    problems.push(Diagnostic::new(&spec.path, problem.0, problem.1, problem.2))
                })
                .ok()
        })
        .collect();
    let enums = open_enums(api);
    let enum_names: Vec<&str> = enums.iter().map(|e| e.name.as_str()).collect();
    // Schema names are type names already (validation checks it).
    let lenient: BTreeSet<String> = crate::normalize::lenient_schemas(api);
    let (models, code) = rust_types::models(api, &enum_names, &lenient, &spec.path)
        .map_err(|problem| [problems.clone(), vec![problem]].concat())?;
    let operations: Vec<Operation> = operations
        .into_iter()
        .map(|op| with_keyed_result(op, &models))
        .map(|mut op| {
            if let Some((at, problem, remedy)) = with_read_fields(&mut op, &models) {
                problems.push(Diagnostic::new(&spec.path, at, problem, remedy));
            }
            op
        })
        .collect();
    let keyed = keyed_types(&operations, &models);
    let label_fields = label_fields(spec, &operations, &models).unwrap_or_else(|problem| {
        problems.push(problem);
        None
    });
    let methods = methods(&operations);
    problems.extend(clashes(spec, &methods));
    problems.extend(underivable(spec, &operations));
    if !problems.is_empty() {
        return Err(problems);
    }
    let version = Version {
        name: spec.version.clone(),
        module: module_name(&spec.version),
        source: spec.path.clone(),
        title: api.info.title.clone(),
        description: api.info.description.clone(),
        lifecycle,
        removed: removed_operations(api),
        operations,
        enums,
        methods,
        models,
        keyed,
        lenient,
        label_fields,
        docs: Docs::of(api),
    };
    Ok((version, code))
}

/// A batch result whose fields name the records of its input confirms it: its kind is
/// [`BulkResult::Keyed`].
fn with_keyed_result(mut op: Operation, models: &Models) -> Operation {
    if let Some(bulk) = op.bulk.as_mut()
        && let BulkResult::Schema(name) = &bulk.result
        && record_keys(models, name.as_str()).names_records()
    {
        bulk.result = BulkResult::Keyed(name.clone());
    }
    op
}

/// Gives a paged read the Rust names of its result's fields; a result struct without them is
/// a problem (its `_all` method could not be written).
fn with_read_fields(op: &mut Operation, models: &Models) -> Option<Problem> {
    let id = op.id.clone();
    let bulk = op.bulk.as_mut().filter(|bulk| bulk.paged_read.is_some())?;
    let schema = match &bulk.result {
        BulkResult::Keyed(name) | BulkResult::Schema(name) => name.as_str().to_owned(),
        _ => String::new(),
    };
    let field = |json: &str| {
        models
            .structs
            .get(&schema)?
            .get(json)
            .map(|field| field.rust_name.clone())
    };
    match (field("from"), field("to"), field("paging")) {
        (Some(from), Some(to), Some(paging)) => {
            bulk.read_fields = Some(ReadFields { from, to, paging });
            None
        }
        _ => Some((
            pointer(["components", "schemas", schema.as_str()]),
            format!(
                "`{id}` reads pages per input, but no model has the fields `from`, `to` and `paging` of its result `{schema}`"
            ),
            "give the result schema the properties `from`, `to` and `paging`, as HubSpot's batch read does".to_owned(),
        )),
    }
}

/// The fields of the struct `name` that name records or types, by their JSON names and
/// types (see [`FROM_FIELDS`]).
pub fn record_keys(models: &Models, name: &str) -> RecordKeys {
    let Some(fields) = models.structs.get(name) else {
        return RecordKeys::default();
    };
    let wrapper = |ty: &RustType| matches!(ty, RustType::Model(name) if models.is_id_wrapper(name));
    let fields = fields
        .iter()
        .filter_map(|(json, field)| {
            let side = if FROM_FIELDS.contains(&json.as_str()) {
                Side::From
            } else if TO_FIELDS.contains(&json.as_str()) {
                Side::To
            } else if OTHER_FIELDS.contains(&json.as_str()) {
                Side::Other
            } else {
                return None;
            };
            let id = RustType::Runtime(Runtime::ObjectId);
            let number = |ty: &RustType| {
                matches!(
                    ty,
                    RustType::Builtin(Builtin::I32 | Builtin::I64 | Builtin::U64)
                )
            };
            let shape = match &field.ty {
                ty if *ty == id => KeyShape::Id,
                RustType::Option(inner) if **inner == id => KeyShape::OptionalId,
                ty if wrapper(ty) => KeyShape::Wrapped,
                RustType::Option(inner) if wrapper(inner) => KeyShape::OptionalWrapped,
                RustType::Vec(inner) if wrapper(inner) => KeyShape::WrappedList,
                ty if number(ty) && side == Side::Other => KeyShape::Number,
                RustType::Option(inner) if number(inner) && side == Side::Other => {
                    KeyShape::OptionalNumber
                }
                _ => return None,
            };
            Some(KeyField {
                json: json.clone(),
                rust: field.rust_name.clone(),
                side,
                shape,
            })
        })
        .collect();
    RecordKeys { fields }
}

/// The keys of every batch input and result type of the version's batch operations.
fn keyed_types(operations: &[Operation], models: &Models) -> BTreeMap<String, RecordKeys> {
    let mut keyed = BTreeMap::new();
    for bulk in operations.iter().filter_map(|op| op.bulk.as_ref()) {
        let mut names = vec![bulk.item.as_str().to_owned()];
        if let BulkResult::Keyed(result) = &bulk.result {
            names.push(result.as_str().to_owned());
        }
        for name in names {
            let keys = record_keys(models, &name);
            keyed.entry(name).or_insert(keys);
        }
    }
    keyed
}

/// Every public method of a client over `operations`: one per operation, then the pagers, the
/// bulk helpers and the label lookup derived from them.
fn methods(operations: &[Operation]) -> Vec<Method> {
    // The positional arguments of an operation's parameters, and its query value if any.
    let args = |op: &Operation, params: &mut dyn Iterator<Item = &Param>| -> Vec<Arg> {
        let mut args: Vec<Arg> = params
            .filter_map(|param| Some(Arg::new(&param.rust_name, param.argument_type()?)))
            .collect();
        args.extend(
            op.query_type()
                .map(|query| Arg::new("query", RustType::Query(query))),
        );
        args
    };
    let mut methods = Vec::new();
    for op in operations {
        let mut call_args = args(op, &mut op.params.iter());
        call_args.extend(
            op.body
                .as_ref()
                .map(|body| Arg::new("body", body.argument_type())),
        );
        methods.push(Method {
            name: op.id.clone(),
            operation: op.id.clone(),
            kind: MethodKind::Call,
            args: call_args,
            returns: RustType::Result(Box::new(RustType::Response(Box::new(
                op.success.rust_type(),
            )))),
            is_async: true,
        });
    }
    for op in operations {
        let Some(pagination) = &op.pagination else {
            continue;
        };
        methods.push(Method {
            name: format!("{}_stream", op.id),
            operation: op.id.clone(),
            kind: MethodKind::Pages,
            args: args(
                op,
                &mut op
                    .params
                    .iter()
                    .filter(|p| p.rust_name != pagination.cursor_param),
            ),
            returns: RustType::ImplStream(Box::new(RustType::Result(Box::new(
                pagination.item_schema.rust_type(),
            )))),
            is_async: false,
        });
    }
    for op in operations {
        let Some(bulk) = &op.bulk else {
            continue;
        };
        let mut fixed: Vec<Arg> = op
            .params
            .iter()
            .filter(|p| p.in_path())
            .filter_map(|param| Some(Arg::new(&param.rust_name, param.argument_type()?)))
            .collect();
        let options = Arg::new("options", RustType::Runtime(Runtime::BulkOptions));
        if let Some(to_item) = &bulk.paged_read {
            // Any iterator of anything that makes an id, like the other `*_all` methods.
            fixed.push(Arg::new(
                "ids",
                RustType::ImplIntoIterator(Box::new(RustType::ImplInto(Box::new(
                    RustType::Runtime(Runtime::ObjectId),
                )))),
            ));
            fixed.push(options);
            let outcome = RustType::BulkOutcome(
                Box::new(RustType::Runtime(Runtime::ObjectId)),
                Box::new(RustType::Vec(Box::new(to_item.rust_type()))),
            );
            methods.push(Method {
                name: format!("{}_all", op.id),
                operation: op.id.clone(),
                kind: MethodKind::ReadAll,
                args: fixed.clone(),
                returns: outcome.clone(),
                is_async: true,
            });
            methods.push(Method {
                name: format!("{}_chunks", op.id),
                operation: op.id.clone(),
                kind: MethodKind::ReadChunks,
                args: fixed,
                returns: RustType::ImplStream(Box::new(outcome)),
                is_async: false,
            });
            continue;
        }
        let item = bulk.item.rust_type();
        let outcome =
            RustType::BulkOutcome(Box::new(item.clone()), Box::new(bulk.result.rust_type()));
        fixed.push(Arg::new(
            "inputs",
            RustType::ImplIntoIterator(Box::new(item)),
        ));
        fixed.push(options);
        methods.push(Method {
            name: format!("{}_all", op.id),
            operation: op.id.clone(),
            kind: MethodKind::BatchAll,
            args: fixed.clone(),
            returns: outcome.clone(),
            is_async: true,
        });
        methods.push(Method {
            name: format!("{}_chunks", op.id),
            operation: op.id.clone(),
            kind: MethodKind::BatchChunks,
            args: fixed,
            returns: RustType::ImplStream(Box::new(outcome)),
            is_async: false,
        });
    }
    if let Some(op) = operations.iter().find(|op| op.id == LABELS_OPERATION) {
        let object_type = RustType::ImplInto(Box::new(RustType::Runtime(Runtime::ObjectType)));
        methods.push(Method {
            name: "labels".into(),
            operation: op.id.clone(),
            kind: MethodKind::Labels,
            args: vec![
                Arg::new("from_object_type", object_type.clone()),
                Arg::new("to_object_type", object_type.clone()),
            ],
            returns: RustType::Result(Box::new(RustType::Arc(Box::new(RustType::Runtime(
                Runtime::Labels,
            ))))),
            is_async: true,
        });
        methods.push(Method {
            name: "refresh_labels".into(),
            operation: op.id.clone(),
            kind: MethodKind::RefreshLabels,
            args: vec![
                Arg::new("from_object_type", object_type.clone()),
                Arg::new("to_object_type", object_type.clone()),
            ],
            returns: RustType::Result(Box::new(RustType::Arc(Box::new(RustType::Runtime(
                Runtime::Labels,
            ))))),
            is_async: true,
        });
        methods.push(Method {
            name: "find_label".into(),
            operation: op.id.clone(),
            kind: MethodKind::FindLabel,
            args: vec![
                Arg::new("from_object_type", object_type.clone()),
                Arg::new("to_object_type", object_type),
                Arg::new("name", RustType::Builtin(Builtin::Str).borrowed()),
            ],
            returns: RustType::Result(Box::new(RustType::Runtime(Runtime::Label).optional())),
            is_async: true,
        });
    }
    methods
}

/// The operation the cached label lookup is built on.
pub const LABELS_OPERATION: &str = "list_labels";

/// A batch or paged operation whose shape the generator cannot read: it would silently lose
/// its bulk helpers or its pager, so it is a problem to fix in the spec instead.
fn underivable(spec: &Spec, operations: &[Operation]) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for op in operations {
        let here = pointer([
            "paths",
            &op.path.to_string(),
            &op.method.as_str().to_lowercase(),
        ]);
        if op.retry == Retry::Batch && op.bulk.is_none() {
            found.push(Diagnostic::new(
                &spec.path,
                here.clone(),
                format!("`{}` is a batch operation, but its body or answer is not of a batch's shape", op.id),
                "give it a body schema whose only property is `inputs` (a list of a named schema) and, when it answers with a body, a `results` list; or move it off a `/batch/` path",
            ));
        }
        let takes_cursor = op
            .params
            .iter()
            .any(|p| p.api_name == "after" && p.role == ParamRole::OptionalQuery);
        if takes_cursor && op.pagination.is_none() {
            found.push(Diagnostic::new(
                &spec.path,
                here,
                format!("`{}` takes an `after` cursor, but its answer has no `results` list and `paging.next.after`", op.id),
                "give the answer `results` (a list of a named schema) and `paging` whose `next` has `after`, as HubSpot's paged lists do",
            ));
        }
    }
    found
}

/// An operation whose name is a method the client has anyway (a derived or a fixed one).
fn clashes(spec: &Spec, methods: &[Method]) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for op in document::operations(&spec.api) {
        let Some(id) = op.operation.operation_id.as_deref() else {
            continue;
        };
        let at = pointer(["paths", op.path, op.method, "operationId"]);
        if FIXED_METHODS.contains(&id) {
            found.push(Diagnostic::new(
                &spec.path,
                at,
                format!("the operationId `{id}` is the name of a method every client has"),
                format!(
                    "rename the operation (for example `{id}_operation`); `{}` are taken",
                    FIXED_METHODS.join("`, `")
                ),
            ));
            continue;
        }
        if let Some(derived) = methods
            .iter()
            .find(|m| m.name == id && m.kind != MethodKind::Call)
        {
            found.push(Diagnostic::new(
                &spec.path,
                at,
                format!(
                    "the operationId `{id}` is the name of the method the generator derives from `{}`",
                    derived.operation
                ),
                "rename the operation: names ending in `_stream` after a paged operation, in `_all` and `_chunks` after a batch operation, and `labels`, are reserved",
            ));
        }
    }
    found
}

/// Where an operation's problem is: its pointer, what is wrong and the fix.
type Problem = (String, String, String);

fn operation(api: &OpenAPI, op: &OperationAt<'_>) -> Result<Operation, Problem> {
    let here = pointer(["paths", op.path, op.method]);
    let method = HttpMethod::parse(op.method).ok_or_else(|| {
        (
            here.clone(),
            format!("`{}` is not an HTTP method", op.method),
            "use get, put, post, delete, patch, head, options or trace".to_owned(),
        )
    })?;
    let components = api.components.as_ref();
    let template = op.template();
    let params: Vec<Param> = op
        .operation
        .parameters
        .iter()
        .filter_map(|p| document::parameter(components, p))
        .map(param)
        .collect();
    let body = op.operation.request_body.as_ref().and_then(|body| {
        let schema = body
            .as_item()?
            .content
            .get("application/json")?
            .schema
            .as_ref()?;
        match schema {
            ReferenceOr::Reference { reference } => {
                Some(Body::Schema(SchemaName::new(schema_name(reference)?)))
            }
            ReferenceOr::Item(item) => match &item.schema_kind {
                SchemaKind::Type(Type::Array(array)) => match array.items.as_ref()? {
                    ReferenceOr::Reference { reference } => {
                        Some(Body::ListOf(SchemaName::new(schema_name(reference)?)))
                    }
                    ReferenceOr::Item(_) => None,
                },
                _ => None,
            },
        }
    });
    let success = success(api, op);
    let retry = match method {
        HttpMethod::Get | HttpMethod::Head | HttpMethod::Put | HttpMethod::Delete => {
            Retry::Idempotent
        }
        HttpMethod::Post if template.has_literal("batch") => Retry::Batch,
        _ => Retry::Never,
    };
    let pagination = pagination(api, &params, &success);
    let cap = match op.operation.extensions.get(BATCH_LIMIT) {
        None => None,
        Some(value) => Some(
            value
                .as_u64()
                .and_then(|cap| usize::try_from(cap).ok())
                .filter(|cap| *cap > 0)
                .ok_or_else(|| {
                    (
                        pointer(["paths", op.path, op.method, BATCH_LIMIT]),
                        format!("`{BATCH_LIMIT}` is {value}, not a number of inputs"),
                        "give the cap HubSpot documents as a positive whole number, such as `2000`"
                            .to_owned(),
                    )
                })?,
        ),
    };
    let bulk = (retry == Retry::Batch)
        .then(|| bulk(api, body.as_ref()?, &success, cap))
        .flatten();
    if cap.is_some() && bulk.is_none() {
        return Err((
            pointer(["paths", op.path, op.method, BATCH_LIMIT]),
            format!("`{BATCH_LIMIT}` is set on an operation that is not a batch"),
            "take it out: only a POST on a `/batch/` path with `{inputs: [...]}` has a cap"
                .to_owned(),
        ));
    }
    let rate_limit_exemptions = match op.operation.extensions.get(RATE_LIMIT_EXEMPTIONS) {
        None => Vec::new(),
        Some(Value::Array(values)) if values.iter().all(Value::is_string) => values
            .iter()
            .filter_map(|value| value.as_str().map(str::to_owned))
            .collect(),
        Some(other) => {
            return Err((
                pointer(["paths", op.path, op.method, RATE_LIMIT_EXEMPTIONS]),
                format!("`{RATE_LIMIT_EXEMPTIONS}` is {other}, not a list of limits"),
                "list the limits as HubSpot publishes them, such as `[ten-secondly]`".to_owned(),
            ));
        }
    };
    Ok(Operation {
        id: op.operation.operation_id.clone().unwrap_or_default(),
        method,
        path: template,
        summary: op.operation.summary.clone(),
        description: op.operation.description.clone(),
        params,
        body,
        success,
        retry,
        pagination,
        bulk,
        scopes: scopes(api, op.operation),
        rate_limit_exemptions,
        success_example: op.success_example(api),
    })
}

/// The OAuth scopes of the operation's security requirements (or the document's, when it
/// gives none), of which any one lets a call through; in the order given, each once.
pub fn scopes(api: &OpenAPI, operation: &openapiv3::Operation) -> Vec<String> {
    let oauth: BTreeSet<&str> = api
        .components
        .iter()
        .flat_map(|components| &components.security_schemes)
        .filter(|(_, scheme)| {
            matches!(
                scheme.as_item(),
                Some(openapiv3::SecurityScheme::OAuth2 { .. })
            )
        })
        .map(|(name, _)| name.as_str())
        .collect();
    let mut scopes: Vec<String> = Vec::new();
    for requirement in operation
        .security
        .as_ref()
        .or(api.security.as_ref())
        .into_iter()
        .flatten()
    {
        for (scheme, listed) in requirement {
            if oauth.contains(scheme.as_str()) {
                for scope in listed {
                    if !scopes.contains(scope) {
                        scopes.push(scope.clone());
                    }
                }
            }
        }
    }
    scopes
}

/// The batch shape of an operation, read from its schemas.
fn bulk(api: &OpenAPI, body: &Body, success: &Success, cap: Option<usize>) -> Option<Bulk> {
    let Body::Schema(batch_schema) = body else {
        return None;
    };
    let batch = document::component_schema(api, batch_schema.as_str())?;
    if document::property_names(batch).len() != 1 {
        return None;
    }
    let item = ref_name(items(property(batch, "inputs")?)?)?.to_owned();
    let item_schema = document::component_schema(api, &item)?;
    let (result, result_schema) = match &success.body {
        None => (BulkResult::Nothing, None),
        Some(answer) => {
            let answer = document::component_schema(api, answer.as_str())?;
            let result = match items(property(answer, "results")?)? {
                ReferenceOr::Reference { reference } => {
                    BulkResult::Schema(SchemaName::new(schema_name(reference)?))
                }
                ReferenceOr::Item(item)
                    if matches!(item.schema_kind, SchemaKind::Type(Type::Object(_))) =>
                {
                    BulkResult::Object
                }
                ReferenceOr::Item(_) => BulkResult::Any,
            };
            let result_schema = match &result {
                BulkResult::Schema(name) => document::component_schema(api, name.as_str()),
                _ => None,
            };
            (result, result_schema)
        }
    };
    let mut read_fields = document::property_names(item_schema);
    read_fields.sort_unstable();
    let paged_read = result_schema
        .filter(|_| read_fields == ["after", "id"])
        .and_then(|result| {
            ref_name(property(result, "from")?)?;
            next_cursor(api, ref_name(property(result, "paging")?)?)?;
            Some(ref_name(items(property(result, "to")?)?)?.to_owned())
        });
    Some(Bulk {
        batch_schema: batch_schema.clone(),
        item: SchemaName::new(&item),
        cap,
        result,
        paged_read: paged_read.map(|name| SchemaName::new(&name)),
        read_fields: None,
    })
}

fn param(parameter: &Parameter) -> Param {
    let data = parameter.parameter_data_ref();
    let scalar = match &data.format {
        ParameterSchemaOrContent::Schema(ReferenceOr::Item(schema)) => match &schema.schema_kind {
            SchemaKind::Type(Type::Integer(integer)) => match &integer.format {
                openapiv3::VariantOrUnknownOrEmpty::Item(openapiv3::IntegerFormat::Int32) => {
                    Scalar::I32
                }
                _ => Scalar::I64,
            },
            SchemaKind::Type(Type::Boolean(_)) => Scalar::Bool,
            _ => Scalar::Str,
        },
        _ => Scalar::Str,
    };
    let in_path = matches!(parameter, Parameter::Path { .. });
    let name = data.name.as_str();
    let role = match (in_path, scalar) {
        (true, Scalar::Str) if name == "objectType" || name.ends_with("ObjectType") => {
            ParamRole::ObjectType
        }
        (true, Scalar::Str) if name.ends_with("Id") => ParamRole::ObjectId,
        (true, _) => ParamRole::Path,
        (false, _) if data.required => ParamRole::RequiredQuery,
        (false, _) => ParamRole::OptionalQuery,
    };
    Param {
        api_name: data.name.clone(),
        rust_name: data.name.to_snake_case(),
        scalar,
        description: data.description.clone(),
        role,
    }
}

fn success(api: &OpenAPI, op: &OperationAt<'_>) -> Success {
    let mut responses = Vec::new();
    let mut body = None;
    for (status, response) in &op.operation.responses.responses {
        if !document::is_success(status) {
            continue;
        }
        let documented = !response
            .as_item()
            .is_some_and(|r| r.extensions.contains_key(crate::normalize::ADDED));
        let has_body = match document::response(api.components.as_ref(), response) {
            Some(response) if !response.content.is_empty() => {
                body = document::json_body_schema(&response.content).map(SchemaName::new);
                true
            }
            _ => false,
        };
        responses.push(SuccessResponse {
            status: Status::of(status),
            has_body,
            documented,
        });
    }
    Success { responses, body }
}

/// A list pages by cursor when it takes an optional string query parameter `after` and its
/// body has `results` (a list of a named schema) and `paging.next.after`.
fn pagination(api: &OpenAPI, params: &[Param], success: &Success) -> Option<Pagination> {
    let cursor = params.iter().find(|p| {
        p.role == ParamRole::OptionalQuery && p.scalar == Scalar::Str && p.api_name == "after"
    })?;
    let page = document::component_schema(api, success.body.as_ref()?.as_str())?;
    let item = ref_name(items(property(page, "results")?)?)?;
    next_cursor(api, ref_name(property(page, "paging")?)?)?;
    Some(Pagination {
        cursor_param: cursor.rust_name.clone(),
        item_schema: SchemaName::new(item),
    })
}

/// Whether a paging schema carries the next cursor as `next.after`; `None` when not.
fn next_cursor(api: &OpenAPI, paging: &str) -> Option<()> {
    let paging = document::component_schema(api, paging)?;
    let next = document::component_schema(api, ref_name(property(paging, "next")?)?)?;
    property(next, "after").map(|_| ())
}

fn open_enums(api: &OpenAPI) -> Vec<OpenEnum> {
    let Some(components) = &api.components else {
        return Vec::new();
    };
    components
        .schemas
        .iter()
        .filter_map(|(name, schema)| {
            let schema = schema.as_item()?;
            let SchemaKind::Type(Type::String(string)) = &schema.schema_kind else {
                return None;
            };
            if string.enumeration.is_empty() {
                return None;
            }
            let aliases = schema
                .schema_data
                .extensions
                .get("x-enum-aliases")
                .and_then(|v| v.as_object())
                .map(|map| {
                    map.iter()
                        .filter_map(|(alias, value)| {
                            Some((alias.clone(), value.as_str()?.to_owned()))
                        })
                        .collect()
                })
                .unwrap_or_default();
            Some(OpenEnum {
                name: name.clone(),
                description: schema.schema_data.description.clone(),
                values: string.enumeration.iter().flatten().cloned().collect(),
                aliases,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{SpecSource, parse};

    fn model(version: &str, yaml: &str) -> Version {
        let spec = parse(&SpecSource {
            version: version.into(),
            path: format!("spec/{version}/openapi.yaml").into(),
            text: yaml.into(),
        })
        .unwrap();
        super::version(&crate::normalize::normalize(vec![spec]).remove(0))
            .unwrap()
            .0
    }

    #[test]
    fn a_batch_or_paged_shape_the_generator_cannot_read_is_a_problem() {
        let spec = parse(&SpecSource {
            version: "v4".into(),
            path: "spec/v4/openapi.yaml".into(),
            text: r#"
openapi: 3.0.3
info: {title: t, version: v4, x-hubspot-lifecycle: {status: legacy}}
paths:
  /crm/v4/a/batch/create:
    post:
      operationId: batch_create
      requestBody: {content: {application/json: {schema: {$ref: '#/components/schemas/NotABatch'}}}}
      responses: {'204': {description: done}}
  /crm/v4/a:
    get:
      operationId: list
      x-batch-limit: 10
      parameters: [{name: after, in: query, schema: {type: string}}]
      responses: {'204': {description: no page}}
components:
  schemas:
    NotABatch: {type: object, properties: {items: {type: array, items: {type: string}}}}
"#
            .into(),
        })
        .unwrap();
        let problems: Vec<String> = super::version(&spec)
            .err()
            .expect("the version is refused")
            .into_iter()
            .map(|d| format!("{} {}", d.pointer, d.problem))
            .collect();
        assert_eq!(
            problems,
            [
                "/paths/~1crm~1v4~1a/get/x-batch-limit `x-batch-limit` is set on an operation that is not a batch",
                "/paths/~1crm~1v4~1a~1batch~1create/post `batch_create` is a batch operation, but its body or answer is not of a batch's shape",
            ]
        );
    }

    #[test]
    fn module_names() {
        assert_eq!(module_name("v4"), "v4");
        assert_eq!(module_name("2025-09"), "v2025_09");
    }

    #[test]
    fn operations_carry_params_body_success_retry_and_published_facts() {
        let v = model(
            "v4",
            r#"
openapi: 3.0.3
info: {title: t, version: v4, x-hubspot-lifecycle: {status: legacy, end-of-support: '2027-03-30'}}
paths:
  /crm/v4/a/{fromObjectType}/batch/archive:
    post:
      operationId: batch_archive
      x-batch-limit: 100
      x-hubspot-rate-limit-exemptions: [ten-secondly]
      security: [{oauth2: [crm.objects.contacts.write]}, {oauth2: [crm.objects.companies.write]}, {bearer: []}]
      parameters:
        - {name: fromObjectType, in: path, required: true, schema: {type: string}}
        - {name: limit, in: query, schema: {type: integer, format: int32}}
      requestBody:
        content:
          application/json:
            schema: {$ref: '#/components/schemas/BatchIn'}
      responses:
        '200':
          description: ok
          content: {application/json: {schema: {$ref: '#/components/schemas/Out'}}}
        '2XX': {description: empty}
  /crm/v4/labels:
    post:
      operationId: create_label
      responses:
        '204': {description: empty}
components:
  securitySchemes:
    bearer: {type: http, scheme: bearer}
    oauth2:
      type: oauth2
      flows:
        authorizationCode:
          authorizationUrl: https://app.hubspot.com/oauth/authorize
          tokenUrl: https://api.hubapi.com/oauth/2026-03/token
          scopes: {crm.objects.contacts.write: c, crm.objects.companies.write: d}
  schemas:
    ObjectId: {type: string, description: an id}
    PublicObjectId: {type: object, required: [id], properties: {id: {$ref: '#/components/schemas/ObjectId'}}}
    In:
      type: object
      required: [from, to]
      properties:
        from: {$ref: '#/components/schemas/PublicObjectId'}
        to: {type: array, description: t, items: {$ref: '#/components/schemas/PublicObjectId'}}
    Outcome:
      type: object
      required: [fromObjectId]
      properties:
        fromObjectId: {$ref: '#/components/schemas/ObjectId'}
    BatchIn: {type: object, properties: {inputs: {type: array, description: i, items: {$ref: '#/components/schemas/In'}}}}
    Out: {type: object, properties: {results: {type: array, description: r, items: {$ref: '#/components/schemas/Outcome'}}}}
    Status:
      type: string
      enum: [CANCELED, COMPLETE]
      x-enum-aliases: {CANCELLED: CANCELED}
"#,
        );
        assert_eq!(v.lifecycle.stage, Stage::Legacy);
        assert_eq!(v.lifecycle.end_of_support.as_deref(), Some("2027-03-30"));
        let op = &v.operations[0];
        assert_eq!(op.method, HttpMethod::Post);
        assert_eq!(
            op.path.to_string(),
            "/crm/v4/a/{fromObjectType}/batch/archive"
        );
        assert_eq!(op.params[0].rust_name, "from_object_type");
        assert!(op.params[0].in_path());
        assert!(!op.params[1].required());
        assert_eq!(op.params[1].scalar, Scalar::I32);
        assert_eq!(op.query_type().as_deref(), Some("BatchArchiveQuery"));
        assert_eq!(op.body, Some(Body::Schema(SchemaName::new("BatchIn"))));
        let bulk = op.bulk.as_ref().unwrap();
        assert_eq!(bulk.item.as_str(), "In");
        assert_eq!(bulk.cap, Some(100));
        assert_eq!(bulk.result, BulkResult::Keyed(SchemaName::new("Outcome")));
        assert_eq!(
            op.success.documented(),
            [Status::Code(200), Status::Range(2)]
        );
        assert_eq!(op.success.documented_text(", "), "200, 2XX");
        assert_eq!(
            op.success.body.as_ref().map(SchemaName::as_str),
            Some("Out")
        );
        assert!(op.success.may_be_empty());
        assert_eq!(op.retry, Retry::Batch);
        assert_eq!(
            op.scopes,
            ["crm.objects.contacts.write", "crm.objects.companies.write"]
        );
        assert_eq!(op.rate_limit_exemptions, ["ten-secondly"]);
        assert_eq!(v.operations[1].retry, Retry::Never);
        assert_eq!(
            v.enums[0].aliases,
            [("CANCELLED".to_owned(), "CANCELED".to_owned())]
        );
        let input = &v.keyed["In"].fields;
        assert_eq!(
            input
                .iter()
                .map(|f| (f.json.as_str(), f.side, f.shape))
                .collect::<Vec<_>>(),
            [
                ("from", Side::From, KeyShape::Wrapped),
                ("to", Side::To, KeyShape::WrappedList)
            ]
        );
        assert_eq!(v.keyed["Outcome"].fields[0].shape, KeyShape::Id);
        assert_eq!(
            v.context_names(Side::From).into_iter().collect::<Vec<_>>(),
            ["from", "fromObjectId"]
        );
        let all = v
            .methods
            .iter()
            .find(|m| m.name == "batch_archive_all")
            .unwrap();
        assert_eq!(
            all.readable_returns(),
            "BulkOutcome<types::In, types::Outcome>"
        );
        assert_eq!(
            all.arguments(),
            "(from_object_type: impl Into<ObjectType>, inputs: impl IntoIterator<Item = types::In>, options: BulkOptions)"
        );
    }
}
