//! Stage 4: the API as the code generator sees it, read from the normalized specs: each
//! version's operations and open enums, and its Rust surface: every public method with its
//! signature (the derived ones too: pagers, bulk helpers, the label lookup) and the types
//! typify makes. `generate` emits this model and `diff` compares it; neither derives its own.

use std::path::PathBuf;

use heck::{ToSnakeCase, ToUpperCamelCase};
use openapiv3::{
    OpenAPI, Parameter, ParameterSchemaOrContent, ReferenceOr, SchemaKind, StatusCode, Type,
};

use crate::diagnostics::{Diagnostic, Diagnostics, pointer};
use crate::document::{self, OperationAt, items, property, ref_name, schema_name};
use crate::load::Spec;
use crate::rust_types::{self, Models};

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
    /// Its string enums.
    pub enums: Vec<OpenEnum>,
    /// Every public method of its `Client`, in the order they are generated.
    pub methods: Vec<Method>,
    /// Its types, as typify writes them.
    pub models: Models,
    /// The normalized document, for the models.
    pub api: OpenAPI,
}

/// The lifecycles a spec may give (`x-hubspot-lifecycle.status`), and the runtime's name for
/// each.
pub const LIFECYCLES: [(&str, &str); 3] = [
    ("beta", "Beta"),
    ("generally-available", "GenerallyAvailable"),
    ("legacy", "Legacy"),
];

/// A public method of a version's `Client`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Method {
    /// Its Rust name.
    pub name: String,
    /// The operation it calls.
    pub operation: String,
    /// What it does with the operation.
    pub kind: MethodKind,
    /// Its arguments after `&self`: (name, Rust type as generated).
    pub args: Vec<(String, String)>,
    /// What it returns, as generated.
    pub returns: String,
    /// Whether it is an `async fn`.
    pub is_async: bool,
}

/// What a method does with its operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    /// The cached label lookup over the list of labels.
    Labels,
}

impl Method {
    /// The arguments as a program reads them: `(object_type: impl Into<ObjectType>, ...)`.
    pub fn arguments(&self) -> String {
        let args: Vec<String> = self
            .args
            .iter()
            .map(|(name, ty)| format!("{name}: {}", rust_types::readable(ty)))
            .collect();
        format!("({})", args.join(", "))
    }

    /// What it returns, as a program reads it.
    pub fn readable_returns(&self) -> String {
        rust_types::readable(&self.returns)
    }

    /// The signature as a program sees it: `list_stream(...) -> impl Stream<...>`.
    pub fn signature(&self) -> String {
        format!(
            "{}{}{} -> {}",
            if self.is_async { "async " } else { "" },
            self.name,
            self.arguments(),
            self.readable_returns()
        )
    }
}

/// Methods every `Client` has, whatever its operations: an operation may not take their names.
pub const FIXED_METHODS: [&str; 4] = ["new", "transport", "with_options", "call_json"];

/// Where a version stands in HubSpot's support schedule (`x-hubspot-lifecycle`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lifecycle {
    /// `legacy`, `beta`, `generally-available`...
    pub status: Option<String>,
    /// The date HubSpot stops supporting the version, `YYYY-MM-DD`.
    pub end_of_support: Option<String>,
}

/// One operation of a version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    /// The stable name, the same in every version: `batch_create`.
    pub id: String,
    /// Upper case: `GET`, `POST`...
    pub method: String,
    /// The path template.
    pub path: String,
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
    /// The type of its optional query parameters, `<Op>Query` (with `Default`), when it has any.
    pub query: Option<String>,
}

/// A path or query parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    /// As the API spells it: `objectType`.
    pub api_name: String,
    /// As Rust spells it: `object_type`.
    pub rust_name: String,
    /// In the path; otherwise in the query.
    pub in_path: bool,
    /// Its type.
    pub scalar: Scalar,
    /// Whether it must be given.
    pub required: bool,
    /// What it is.
    pub description: Option<String>,
    /// What a method takes for it.
    pub role: ParamRole,
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
    /// [`Operation::query`]), never a positional `None`.
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

/// A request body: a named schema or a list of one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// A component schema, by name.
    Schema(String),
    /// A list of a component schema.
    ListOf(String),
}

/// What a 2xx answer carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Success {
    /// The codes the client expects, such as `201` and `207`.
    pub statuses: Vec<String>,
    /// The codes HubSpot documents for this version (without those normalization added).
    pub documented: Vec<String>,
    /// The body schema, if any 2xx has a body.
    pub body: Option<String>,
    /// Whether a 2xx may also come without a body.
    pub may_be_empty: bool,
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

/// A cursor-paged list: the query parameter that takes the cursor and the item schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pagination {
    /// The Rust name of the cursor parameter.
    pub cursor_param: String,
    /// The schema of one item of `results`.
    pub item_schema: String,
}

/// A batch operation: its body is `{"inputs": [...]}` and its answer lists `results`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bulk {
    /// The body schema, whose only property is `inputs`.
    pub batch_schema: String,
    /// The schema of one input.
    pub item: String,
    /// HubSpot's cap on inputs per request (`x-batch-limit`), when documented.
    pub cap: Option<usize>,
    /// What one result is.
    pub result: BulkResult,
    /// Whether the answer has `errors`.
    pub errors: bool,
    /// For a paged read (inputs `{id, after}`, results `{from, to: [...], paging}`), the
    /// schema of one item of `to`.
    pub paged_read: Option<String>,
}

/// The type of one item of a batch answer's `results`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BulkResult {
    /// A named schema.
    Schema(String),
    /// An object with no declared properties.
    Object,
    /// Anything.
    Any,
    /// The answer has no body.
    Nothing,
}

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
    pub fn request_types(&self) -> std::collections::BTreeSet<String> {
        let structs = &self.models.structs;
        let mut queue: Vec<String> = self
            .methods
            .iter()
            .filter(|m| m.kind == MethodKind::Call)
            .flat_map(|m| m.args.iter())
            .flat_map(|(_, ty)| mentioned(ty, structs))
            .map(str::to_owned)
            .collect();
        let mut seen = std::collections::BTreeSet::new();
        while let Some(name) = queue.pop() {
            if !seen.insert(name.clone()) {
                continue;
            }
            for field in structs.get(&name).into_iter().flat_map(|f| f.values()) {
                queue.extend(
                    mentioned(&field.rust_type, structs)
                        .into_iter()
                        .map(str::to_owned),
                );
            }
        }
        seen
    }
}

/// The type names a string of Rust mentions that are types of the version.
pub fn mentioned<'a>(
    rust: &'a str,
    known: &std::collections::BTreeMap<String, crate::rust_types::Fields>,
) -> Vec<&'a str> {
    rust.split(|c: char| !c.is_alphanumeric() && c != '_')
        .filter(|word| known.contains_key(*word))
        .collect()
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
    let mut problems = Diagnostics::default();
    let mut versions = Vec::new();
    for spec in specs {
        match version(spec) {
            Ok(version) => versions.push(version),
            Err(found) => problems.extend(found),
        }
    }
    problems.into_result(versions)
}

fn version(spec: &Spec) -> Result<Version, Vec<Diagnostic>> {
    let api = &spec.api;
    let lifecycle = api
        .info
        .extensions
        .get("x-hubspot-lifecycle")
        .map(|value| Lifecycle {
            status: value
                .get("status")
                .and_then(|v| v.as_str())
                .map(str::to_owned),
            end_of_support: value
                .get("end-of-support")
                .and_then(|v| v.as_str())
                .map(str::to_owned),
        })
        .unwrap_or_default();
    let operations: Vec<Operation> = document::operations(api)
        .map(|op| operation(api, &op))
        .collect();
    let enums = open_enums(api);
    let enum_names: Vec<&str> = enums.iter().map(|e| e.name.as_str()).collect();
    let models = rust_types::models(api, &enum_names, &spec.path).map_err(|d| vec![d])?;
    let methods = methods(&operations);
    let mut problems = clashes(spec, &methods);
    problems.extend(underivable(spec, &operations));
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Version {
        name: spec.version.clone(),
        module: module_name(&spec.version),
        source: spec.path.clone(),
        title: api.info.title.clone(),
        description: api.info.description.clone(),
        lifecycle,
        operations,
        enums,
        methods,
        models,
        api: api.clone(),
    })
}

/// The Rust type of a scalar parameter.
fn scalar_type(scalar: Scalar) -> &'static str {
    match scalar {
        Scalar::Str => "&str",
        Scalar::I32 => "i32",
        Scalar::I64 => "i64",
        Scalar::Bool => "bool",
    }
}

/// The Rust type of a parameter as a method takes it; `None` for an optional query
/// parameter, which is a field of the operation's query value.
fn param_type(param: &Param) -> Option<String> {
    Some(match param.role {
        ParamRole::ObjectType => "impl Into<crate::ObjectType>".to_owned(),
        ParamRole::ObjectId => "impl Into<crate::ObjectId>".to_owned(),
        ParamRole::Path | ParamRole::RequiredQuery => scalar_type(param.scalar).to_owned(),
        ParamRole::OptionalQuery => return None,
    })
}

fn type_path(schema: &str) -> String {
    format!("types::{}", schema.to_upper_camel_case())
}

/// What one decoded success is: the body type, `Option` of it when it may be empty, or `()`.
fn success_type(op: &Operation) -> String {
    match (&op.success.body, op.success.may_be_empty) {
        (None, _) => "()".to_owned(),
        (Some(name), false) => type_path(name),
        (Some(name), true) => format!("Option<{}>", type_path(name)),
    }
}

/// The Rust type of one result of a batch.
fn result_type(result: &BulkResult) -> String {
    match result {
        BulkResult::Schema(name) => type_path(name),
        BulkResult::Object => "serde_json::Map<String, serde_json::Value>".into(),
        BulkResult::Any => "serde_json::Value".into(),
        BulkResult::Nothing => "()".into(),
    }
}

/// Every public method of a client over `operations`: one per operation, then the pagers, the
/// bulk helpers and the label lookup derived from them.
fn methods(operations: &[Operation]) -> Vec<Method> {
    let args =
        |op: &Operation, params: &mut dyn Iterator<Item = &Param>| -> Vec<(String, String)> {
            let mut args: Vec<(String, String)> = params
                .filter_map(|param| Some((param.rust_name.clone(), param_type(param)?)))
                .collect();
            args.extend(
                op.query
                    .iter()
                    .map(|query| ("query".to_owned(), query.clone())),
            );
            args
        };
    let mut methods = Vec::new();
    for op in operations {
        let mut call_args = args(op, &mut op.params.iter());
        if let Some(body) = &op.body {
            call_args.push((
                "body".into(),
                match body {
                    Body::Schema(name) => format!("&{}", type_path(name)),
                    Body::ListOf(name) => format!("&[{}]", type_path(name)),
                },
            ));
        }
        methods.push(Method {
            name: op.id.clone(),
            operation: op.id.clone(),
            kind: MethodKind::Call,
            args: call_args,
            returns: format!("Result<Response<{}>, Error>", success_type(op)),
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
            returns: format!(
                "impl futures_core::Stream<Item = Result<{}, Error>>",
                type_path(&pagination.item_schema)
            ),
            is_async: false,
        });
    }
    for op in operations {
        let Some(bulk) = &op.bulk else {
            continue;
        };
        let mut fixed: Vec<(String, String)> = op
            .params
            .iter()
            .filter(|p| p.in_path)
            .filter_map(|param| Some((param.rust_name.clone(), param_type(param)?)))
            .collect();
        if let Some(to_item) = &bulk.paged_read {
            fixed.push(("ids".into(), "Vec<crate::ObjectId>".into()));
            fixed.push(("options".into(), "crate::BulkOptions".into()));
            methods.push(Method {
                name: format!("{}_all", op.id),
                operation: op.id.clone(),
                kind: MethodKind::ReadAll,
                args: fixed,
                returns: format!(
                    "crate::BulkOutcome<crate::ObjectId, Vec<{}>>",
                    type_path(to_item)
                ),
                is_async: true,
            });
            continue;
        }
        let item = type_path(&bulk.item);
        let outcome = format!("crate::BulkOutcome<{item}, {}>", result_type(&bulk.result));
        fixed.push(("inputs".into(), format!("impl IntoIterator<Item = {item}>")));
        fixed.push(("options".into(), "crate::BulkOptions".into()));
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
            returns: format!("impl futures_core::Stream<Item = {outcome}>"),
            is_async: false,
        });
    }
    if let Some(op) = operations.iter().find(|op| op.id == LABELS_OPERATION) {
        methods.push(Method {
            name: "labels".into(),
            operation: op.id.clone(),
            kind: MethodKind::Labels,
            args: vec![
                (
                    "from_object_type".into(),
                    "impl Into<crate::ObjectType>".into(),
                ),
                (
                    "to_object_type".into(),
                    "impl Into<crate::ObjectType>".into(),
                ),
            ],
            returns: "Result<std::sync::Arc<crate::Labels>, Error>".into(),
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
    for (at, op) in document::operations(&spec.api).zip(operations) {
        let here = pointer(["paths", at.path, at.method]);
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

fn operation(api: &OpenAPI, op: &OperationAt<'_>) -> Operation {
    let components = api.components.as_ref();
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
                Some(Body::Schema(schema_name(reference)?.to_owned()))
            }
            ReferenceOr::Item(item) => match &item.schema_kind {
                SchemaKind::Type(Type::Array(array)) => match array.items.as_ref()? {
                    ReferenceOr::Reference { reference } => {
                        Some(Body::ListOf(schema_name(reference)?.to_owned()))
                    }
                    ReferenceOr::Item(_) => None,
                },
                _ => None,
            },
        }
    });
    let success = success(api, op);
    let method = op.method.to_uppercase();
    let retry = match method.as_str() {
        "GET" | "HEAD" | "PUT" | "DELETE" => Retry::Idempotent,
        "POST" if op.path.split('/').any(|segment| segment == "batch") => Retry::Batch,
        _ => Retry::Never,
    };
    let pagination = pagination(api, &params, &success);
    let bulk = (retry == Retry::Batch)
        .then(|| bulk(api, op.operation, body.as_ref()?, &success))
        .flatten();
    let id = op.operation.operation_id.clone().unwrap_or_default();
    let query = params
        .iter()
        .any(|p| p.role == ParamRole::OptionalQuery)
        .then(|| format!("{}Query", id.to_upper_camel_case()));
    Operation {
        query,
        id,
        method,
        path: op.path.to_owned(),
        summary: op.operation.summary.clone(),
        description: op.operation.description.clone(),
        params,
        body,
        success,
        retry,
        pagination,
        bulk,
    }
}

/// The batch shape of an operation, read from its schemas.
fn bulk(
    api: &OpenAPI,
    operation: &openapiv3::Operation,
    body: &Body,
    success: &Success,
) -> Option<Bulk> {
    let Body::Schema(batch_schema) = body else {
        return None;
    };
    let batch = document::component_schema(api, batch_schema)?;
    if document::property_names(batch).len() != 1 {
        return None;
    }
    let item = ref_name(items(property(batch, "inputs")?)?)?.to_owned();
    let item_schema = document::component_schema(api, &item)?;
    let (result, errors, result_schema) = match &success.body {
        None => (BulkResult::Nothing, false, None),
        Some(answer) => {
            let answer = document::component_schema(api, answer)?;
            let result = match items(property(answer, "results")?)? {
                ReferenceOr::Reference { reference } => {
                    BulkResult::Schema(schema_name(reference)?.to_owned())
                }
                ReferenceOr::Item(item)
                    if matches!(item.schema_kind, SchemaKind::Type(Type::Object(_))) =>
                {
                    BulkResult::Object
                }
                ReferenceOr::Item(_) => BulkResult::Any,
            };
            let result_schema = match &result {
                BulkResult::Schema(name) => document::component_schema(api, name),
                _ => None,
            };
            (result, property(answer, "errors").is_some(), result_schema)
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
    let cap = operation
        .extensions
        .get("x-batch-limit")
        .and_then(|v| v.as_u64())
        .and_then(|cap| usize::try_from(cap).ok());
    Some(Bulk {
        batch_schema: batch_schema.clone(),
        item,
        cap,
        result,
        errors,
        paged_read,
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
        in_path,
        scalar,
        required: data.required,
        description: data.description.clone(),
        role,
    }
}

fn success(api: &OpenAPI, op: &OperationAt<'_>) -> Success {
    let mut statuses = Vec::new();
    let mut documented = Vec::new();
    let mut body = None;
    let mut may_be_empty = false;
    for (status, response) in &op.operation.responses.responses {
        if !document::is_success(status) {
            continue;
        }
        let code = match status {
            StatusCode::Code(code) => code.to_string(),
            StatusCode::Range(range) => format!("{range}XX"),
        };
        let added = response
            .as_item()
            .is_some_and(|r| r.extensions.contains_key(crate::normalize::ADDED));
        if !added {
            documented.push(code.clone());
        }
        statuses.push(code);
        match document::response(api.components.as_ref(), response) {
            Some(response) if !response.content.is_empty() => {
                body = document::json_body_schema(&response.content).map(str::to_owned);
            }
            _ => may_be_empty = true,
        }
    }
    Success {
        statuses,
        documented,
        body,
        may_be_empty,
    }
}

/// A list pages by cursor when it takes an optional string query parameter `after` and its
/// body has `results` (a list of a named schema) and `paging.next.after`.
fn pagination(api: &OpenAPI, params: &[Param], success: &Success) -> Option<Pagination> {
    let cursor = params
        .iter()
        .find(|p| !p.in_path && !p.required && p.scalar == Scalar::Str && p.api_name == "after")?;
    let page = document::component_schema(api, success.body.as_ref()?)?;
    let item = ref_name(items(property(page, "results")?)?)?;
    next_cursor(api, ref_name(property(page, "paging")?)?)?;
    Some(Pagination {
        cursor_param: cursor.rust_name.clone(),
        item_schema: item.to_owned(),
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
        super::version(&spec).unwrap()
    }

    #[test]
    fn a_batch_or_paged_shape_the_generator_cannot_read_is_a_problem() {
        let spec = parse(&SpecSource {
            version: "v4".into(),
            path: "spec/v4/openapi.yaml".into(),
            text: r#"
openapi: 3.0.3
info: {title: t, version: v4}
paths:
  /crm/v4/a/batch/create:
    post:
      operationId: batch_create
      requestBody: {content: {application/json: {schema: {$ref: '#/components/schemas/NotABatch'}}}}
      responses: {'204': {description: done}}
  /crm/v4/a:
    get:
      operationId: list
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
            .unwrap_err()
            .into_iter()
            .map(|d| format!("{} {}", d.pointer, d.problem))
            .collect();
        assert_eq!(
            problems,
            [
                "/paths/~1crm~1v4~1a~1batch~1create/post `batch_create` is a batch operation, but its body or answer is not of a batch's shape",
                "/paths/~1crm~1v4~1a/get `list` takes an `after` cursor, but its answer has no `results` list and `paging.next.after`",
            ]
        );
    }

    #[test]
    fn module_names() {
        assert_eq!(module_name("v4"), "v4");
        assert_eq!(module_name("2025-09"), "v2025_09");
    }

    #[test]
    fn operations_carry_params_body_success_and_retry() {
        let v = model(
            "v4",
            r#"
openapi: 3.0.3
info: {title: t, version: v4, x-hubspot-lifecycle: {status: legacy, end-of-support: '2027-03-30'}}
paths:
  /crm/v4/a/{fromObjectType}/batch/archive:
    post:
      operationId: batch_archive
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
        '204': {description: empty}
  /crm/v4/labels:
    post:
      operationId: create_label
      responses:
        '204': {description: empty}
components:
  schemas:
    In: {type: object}
    BatchIn: {type: object, properties: {inputs: {type: array, items: {$ref: '#/components/schemas/In'}}}}
    Out: {type: object, properties: {results: {type: array, items: {$ref: '#/components/schemas/In'}}}}
    Status:
      type: string
      enum: [CANCELED, COMPLETE]
      x-enum-aliases: {CANCELLED: CANCELED}
"#,
        );
        assert_eq!(v.lifecycle.end_of_support.as_deref(), Some("2027-03-30"));
        let op = &v.operations[0];
        assert_eq!(op.method, "POST");
        assert_eq!(op.params[0].rust_name, "from_object_type");
        assert!(op.params[0].in_path);
        assert_eq!(op.params[1].scalar, Scalar::I32);
        assert_eq!(op.body, Some(Body::Schema("BatchIn".into())));
        assert_eq!(op.bulk.as_ref().map(|b| b.item.as_str()), Some("In"));
        assert_eq!(op.success.statuses, ["200", "204"]);
        assert_eq!(op.success.body.as_deref(), Some("Out"));
        assert!(op.success.may_be_empty);
        assert_eq!(op.retry, Retry::Batch);
        assert_eq!(v.operations[1].retry, Retry::Never);
        assert_eq!(
            v.enums[0].aliases,
            [("CANCELLED".to_owned(), "CANCELED".to_owned())]
        );
    }
}
