//! The API: every operation of every version in the crate's registry (`/crm/v4/...` and
//! `/crm/{objects,associations}/<YYYY-MM>/...`), at the path and with the method, success
//! codes and batch cap its spec documents. The record and batch operations, the labels and the
//! association limits keep state; any other operation answers with its spec's example.

// Handlers turn bad requests into HubSpot's error answers early, as axum responses.
#![allow(clippy::result_large_err)]

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, on, post};
use serde::Deserialize;
use serde_json::{Value, json};

use hubspot_associations::{ApiVersion, OperationInfo};

use crate::Shared;
use crate::store::{Association, Limit, TypeId, default_type};

/// The page size of `list`: its default and its most (its spec's `limit` parameter).
const LIST_LIMIT: usize = 500;
/// Batch timestamps: the fake does no work worth timing.
const AT: &str = "2026-03-01T00:00:00.000Z";

/// The path of a record's associations with another object type.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RecordPath {
    object_type: String,
    object_id: String,
    to_object_type: String,
}

/// The path of the associations between two records.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PairPath {
    object_type: String,
    object_id: String,
    to_object_type: String,
    to_object_id: String,
}

/// The path of the default association between two records.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DefaultPairPath {
    from_object_type: String,
    from_object_id: String,
    to_object_type: String,
    to_object_id: String,
}

/// The path of a batch or label operation between two object types.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TypesPath {
    from_object_type: String,
    to_object_type: String,
}

/// The path of one label between two object types.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LabelPath {
    from_object_type: String,
    to_object_type: String,
    association_type_id: TypeId,
}

/// The operation a route serves, from the crate's version registry: its success codes,
/// whether its success has a body, and its batch cap are what the spec of its version
/// documents.
#[derive(Clone, Copy)]
struct Served(&'static OperationInfo);

impl Served {
    /// A batch answer as this operation's version sends it: its documented success code, or
    /// 207 when inputs failed and the version documents one (or documents no body, which could
    /// not carry the errors); no body where it documents none.
    fn batch(self, results: Vec<Value>, errors: Vec<Value>) -> Response {
        let Served(op) = self;
        let multi = StatusCode::MULTI_STATUS;
        let partial = op
            .success
            .iter()
            .any(|status| status.matches(multi.as_u16()))
            || !op.success_body;
        let status = match errors.is_empty() {
            false if partial => multi,
            _ => self.status(),
        };
        if errors.is_empty() && !op.success_body {
            return status.into_response();
        }
        let mut body =
            json!({"status": "COMPLETE", "results": results, "startedAt": AT, "completedAt": AT});
        if !errors.is_empty() {
            body["numErrors"] = json!(errors.len());
            body["errors"] = Value::Array(errors);
        }
        (status, axum::Json(body)).into_response()
    }

    /// The first success code the operation's spec documents.
    fn status(self) -> StatusCode {
        self.0
            .success
            .first()
            .and_then(|status| StatusCode::from_u16(status.example()).ok())
            .unwrap_or(StatusCode::OK)
    }

    /// The most inputs one request may carry, when the spec documents a cap.
    fn cap(self) -> Option<usize> {
        self.0.batch_cap
    }
}

/// A handler of the fake's own, as a route for a method.
type Stateful = fn(MethodFilter) -> MethodRouter<Shared>;

/// The operations whose answers depend on what the fake holds, by the name the registry gives
/// them, with their handlers. Every name must be an operation of some version (a test checks
/// it), so that an operation renamed in a spec cannot silently lose its handler; any other
/// operation answers with its spec's example.
const STATEFUL: &[(&str, Stateful)] = &[
    ("list", |f| on(f, list)),
    ("create", |f| on(f, create)),
    ("archive", |f| on(f, archive)),
    ("create_default", |f| on(f, create_default)),
    ("batch_create", |f| on(f, batch_create)),
    ("batch_create_default", |f| on(f, batch_create_default)),
    ("batch_read", |f| on(f, batch_read)),
    ("batch_archive", |f| on(f, batch_archive)),
    ("batch_archive_labels", |f| on(f, batch_archive_labels)),
    ("list_labels", |f| on(f, list_labels)),
    ("create_label", |f| on(f, create_label)),
    ("update_label", |f| on(f, update_label)),
    ("delete_label", |f| on(f, delete_label)),
    ("list_all_limits", |f| on(f, list_all_limits)),
    ("list_limits", |f| on(f, list_limits)),
    ("batch_create_limits", |f| on(f, batch_create_limits)),
    ("batch_update_limits", |f| on(f, batch_update_limits)),
    ("batch_purge_limits", |f| on(f, batch_purge_limits)),
];

/// The route of one operation, with its spec's method: the fake's own handler where state
/// matters, else the answer its spec documents. `None` for a method HTTP does not have.
fn route(op: &'static OperationInfo) -> Option<MethodRouter<Shared>> {
    let method: axum::http::Method = op.method.into();
    let filter = MethodFilter::try_from(method).ok()?;
    let route = match STATEFUL.iter().find(|(name, _)| *name == op.name) {
        Some((_, handler)) => handler(filter),
        None => on(filter, documented),
    };
    Some(
        route
            .layer::<_, std::convert::Infallible>(axum::middleware::from_fn(known_object_types))
            .layer(Extension(Served(op))),
    )
}

/// Whether HubSpot knows an object type by this name: a standard object by name (singular or
/// plural) or by type id (`0-1`), a custom object by type id (`2-123`) or by its
/// fully qualified name (`p12345_cars`).
fn known_object_type(name: &str) -> bool {
    let type_id = name
        .split_once('-')
        .is_some_and(|(group, id)| [group, id].iter().all(|part| part.parse::<u32>().is_ok()));
    let qualified = name
        .strip_prefix('p')
        .and_then(|rest| rest.split_once('_'))
        .is_some_and(|(portal, object)| portal.parse::<u64>().is_ok() && !object.is_empty());
    type_id || qualified || hubspot_associations::association_types::object(name).is_some()
}

/// Refuses a request whose path names an object type HubSpot does not know, as HubSpot does:
/// the whole request, before anything else is read.
async fn known_object_types(
    params: axum::extract::RawPathParams,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let unknown = params
        .iter()
        .find(|(name, value)| name.ends_with("bjectType") && !known_object_type(value));
    if let Some((_, value)) = unknown {
        return error(
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
            &format!("Unable to infer object type from: {value}"),
            None,
        );
    }
    next.run(request).await
}

/// A route for every operation of every version, at the path that version's spec gives it:
/// an operation a version does not have is not found there.
pub(crate) fn router() -> Router<Shared> {
    let mut router = Router::new();
    for version in ApiVersion::ALL {
        for op in version.operations() {
            if let Some(route) = route(op) {
                router = router.route(op.path, route);
            }
        }
    }
    router = router.route(
        hubspot_associations::OAUTH_TOKEN_PATH,
        post(crate::oauth::token),
    );
    router.fallback(|| async {
        error(
            StatusCode::NOT_FOUND,
            "OBJECT_NOT_FOUND",
            "No such endpoint in the fake.",
            None,
        )
    })
}

/// An operation the fake keeps no state for: the answer its spec's example documents, with
/// its first documented success code.
async fn documented(Extension(served): Extension<Served>) -> Response {
    let example = served
        .0
        .success_example
        .map(hubspot_associations::Example::to_json);
    match example {
        Some(body) if served.0.success_body => (served.status(), axum::Json(body)).into_response(),
        _ => served.status().into_response(),
    }
}

fn error(
    status: StatusCode,
    category: &str,
    message: &str,
    correlation: Option<String>,
) -> Response {
    let body = json!({
        "status": "error",
        "category": category,
        "message": message,
        "correlationId": correlation.unwrap_or_else(|| "00000000-0000-4000-8000-000000000000".into()),
    });
    (status, axum::Json(body)).into_response()
}

/// The body as `T`, or HubSpot's answer to a body it cannot read.
fn read<T: for<'de> Deserialize<'de>>(shared: &Shared, body: &Bytes) -> Result<T, Response> {
    serde_json::from_slice(body).map_err(|e| {
        error(
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
            &format!("Invalid input JSON: {e}"),
            Some(shared.correlation_id()),
        )
    })
}

/// A record id as HubSpot checks it: a positive integer of a record that exists.
fn record_id(shared: &Shared, id: &Value) -> Option<u64> {
    let id = match id {
        Value::Number(number) => number.as_u64(),
        Value::String(text) => text.parse().ok(),
        _ => None,
    }?;
    (id > 0 && !shared.lock().config.missing_ids.contains(&id)).then_some(id)
}

fn id_text(id: &Value) -> String {
    match id {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// One input's error, naming the id it concerns under `field`.
fn input_error(field: &str, id: &Value, object_type: &str) -> Value {
    json!({
        "status": "error",
        "category": "VALIDATION_ERROR",
        "subCategory": "crm.associations.INVALID_OBJECT_IDS",
        "message": format!("No {object_type} with ID {} exist", id_text(id)),
        "context": {field: [id_text(id)]},
        "errors": [],
        "links": {},
    })
}

/// Creates an association within the account's limits, else HubSpot's error for an association
/// past a limit. HubSpot's error names no input in a context, so in a batch it fails the input
/// that no result confirms.
fn create_within_limits(shared: &Shared, association: Association) -> Result<(), Value> {
    let mut inner = shared.lock();
    let per_record = inner.config.association_limit;
    let portal = inner
        .config
        .webhooks
        .as_ref()
        .map_or(crate::PORTAL_ID, |webhooks| webhooks.portal_id);
    let category = inner
        .store
        .labels(&association.from_type, &association.to_type)
        .into_iter()
        .find(|label| label.type_id == association.type_id)
        .map_or("HUBSPOT_DEFINED", |label| label.category);
    let (from_id, type_id) = (association.from_id, association.type_id);
    inner
        .store
        .add_within_limits(association, per_record)
        .map_err(|max| {
            json!({
                "status": "error",
                "category": "VALIDATION_ERROR",
                "message": format!(
                    "Exceeded association limit of {max} for portalId {portal}, fromObjectId \
                     {from_id}, associationCategory {category}, associationTypeId {type_id}"
                ),
            })
        })
}

/// HubSpot's error for a batch read's record that has no associations.
fn no_associations(id: &Value, from_type: &str, to_type: &str) -> Value {
    json!({
        "status": "error",
        "category": "OBJECT_NOT_FOUND",
        "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND",
        "message": format!("No {to_type} is associated with {from_type} {}.", id_text(id)),
        "context": {
            "fromObjectId": [id_text(id)],
            "fromObjectType": [from_type],
            "toObjectType": [to_type],
        },
        "errors": [],
        "links": {},
    })
}

fn type_json(shared: &Shared, from_type: &str, to_type: &str, type_id: TypeId) -> Value {
    let labels = shared.lock().store.labels(from_type, to_type);
    let found = labels.into_iter().find(|l| l.type_id == type_id);
    json!({
        "category": found.as_ref().map_or("HUBSPOT_DEFINED", |l| l.category),
        "typeId": type_id,
        "label": found.and_then(|l| l.label),
    })
}

#[derive(Deserialize)]
struct Batch<T> {
    inputs: Vec<T>,
}

#[derive(Deserialize)]
struct Id {
    id: Value,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Spec {
    association_type_id: TypeId,
}

#[derive(Deserialize)]
struct Pair {
    from: Id,
    to: Id,
    #[serde(default)]
    types: Vec<Spec>,
}

#[derive(Deserialize)]
struct Fetch {
    id: Value,
    after: Option<String>,
}

#[derive(Deserialize)]
struct Removal {
    from: Id,
    to: Vec<Id>,
}

#[derive(Deserialize)]
struct Page {
    after: Option<String>,
    limit: Option<usize>,
}

#[derive(Deserialize)]
struct NewLabel {
    label: String,
}

/// The inputs of a batch body, refused as HubSpot refuses a body it cannot read or one with
/// more inputs than `cap` (when the operation has a cap).
fn batch_inputs<T: for<'de> Deserialize<'de>>(
    shared: &Shared,
    body: &Bytes,
    cap: Option<usize>,
) -> Result<Vec<T>, Response> {
    let batch: Batch<T> = read(shared, body)?;
    let count = batch.inputs.len();
    match cap {
        Some(cap) if count > cap => Err(error(
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
            &format!("Batch input count {count} exceeds the limit of {cap}."),
            Some(shared.correlation_id()),
        )),
        _ => Ok(batch.inputs),
    }
}

/// What a batch answers: a result or an error per input (or several, or none).
#[derive(Default)]
struct Outcomes {
    results: Vec<Value>,
    errors: Vec<Value>,
}

impl Outcomes {
    fn push(&mut self, outcome: Result<Value, Value>) {
        match outcome {
            Ok(result) => self.results.push(result),
            Err(error) => self.errors.push(error),
        }
    }
}

/// The answer of a batch operation: its inputs read (or HubSpot's refusal of the body), each
/// handled by `each`, and the outcomes answered as the operation's version does.
fn batch<T: for<'de> Deserialize<'de>>(
    served: Served,
    shared: &Shared,
    body: &Bytes,
    each: impl FnMut(T, &mut Outcomes),
) -> Response {
    match batch_inputs(shared, body, served.cap()) {
        Ok(inputs) => answer_each(served, inputs, each),
        Err(response) => response,
    }
}

/// The answer of a batch whose inputs are read: each handled by `each`.
fn answer_each<T>(
    served: Served,
    inputs: Vec<T>,
    mut each: impl FnMut(T, &mut Outcomes),
) -> Response {
    let mut outcomes = Outcomes::default();
    for input in inputs {
        each(input, &mut outcomes);
    }
    served.batch(outcomes.results, outcomes.errors)
}

fn cursor(shared: &Shared, after: Option<&str>) -> Result<Option<u64>, Response> {
    after
        .map(|text| {
            text.parse().map_err(|_| {
                error(
                    StatusCode::BAD_REQUEST,
                    "VALIDATION_ERROR",
                    "Invalid `after` cursor.",
                    Some(shared.correlation_id()),
                )
            })
        })
        .transpose()
}

fn associated_json(
    shared: &Shared,
    from_type: &str,
    to_type: &str,
    page: Vec<(u64, Vec<TypeId>)>,
) -> Vec<Value> {
    page.into_iter()
        .map(|(to_id, types)| {
            json!({
                "toObjectId": to_id,
                "associationTypes": types.into_iter().map(|t| type_json(shared, from_type, to_type, t)).collect::<Vec<_>>(),
            })
        })
        .collect()
}

async fn list(
    Extension(served): Extension<Served>,
    State(shared): State<Shared>,
    Path(path): Path<RecordPath>,
    Query(page): Query<Page>,
) -> Response {
    let (from_type, to_type) = (path.object_type.as_str(), path.to_object_type.as_str());
    let Some(from_id) = record_id(&shared, &Value::from(path.object_id.as_str())) else {
        return error(
            StatusCode::NOT_FOUND,
            "OBJECT_NOT_FOUND",
            "No such record.",
            Some(shared.correlation_id()),
        );
    };
    let limit = page.limit.unwrap_or(LIST_LIMIT);
    if limit == 0 || limit > LIST_LIMIT {
        return error(
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
            "`limit` must be 1 to 500.",
            Some(shared.correlation_id()),
        );
    }
    let after = match cursor(&shared, page.after.as_deref()) {
        Ok(after) => after,
        Err(response) => return response,
    };
    let (found, next) = shared
        .lock()
        .store
        .page(from_type, from_id, to_type, after, limit);
    let mut body = json!({"results": associated_json(&shared, from_type, to_type, found)});
    if let Some(next) = next {
        body["paging"] =
            json!({"next": {"after": next.to_string(), "link": format!("?after={next}")}});
    }
    (served.status(), axum::Json(body)).into_response()
}

fn labels_between(
    shared: &Shared,
    from_type: &str,
    from_id: u64,
    to_type: &str,
    to_id: u64,
) -> Value {
    let types = shared
        .lock()
        .store
        .types_between(from_type, from_id, to_type, to_id);
    let labels = shared.lock().store.labels(from_type, to_type);
    let named: Vec<String> = types
        .iter()
        .filter_map(|t| {
            labels
                .iter()
                .find(|l| l.type_id == *t)
                .and_then(|l| l.label.clone())
        })
        .collect();
    json!({
        "fromObjectTypeId": from_type, "fromObjectId": from_id,
        "toObjectTypeId": to_type, "toObjectId": to_id,
        "labels": named,
    })
}

async fn create(
    Extension(served): Extension<Served>,
    State(shared): State<Shared>,
    Path(path): Path<PairPath>,
    body: Bytes,
) -> Response {
    let specs: Vec<Spec> = match read(&shared, &body) {
        Ok(specs) => specs,
        Err(response) => return response,
    };
    let (from_type, to_type) = (path.object_type.as_str(), path.to_object_type.as_str());
    let ids = (
        record_id(&shared, &Value::from(path.object_id.as_str())),
        record_id(&shared, &Value::from(path.to_object_id.as_str())),
    );
    let (Some(from_id), Some(to_id)) = ids else {
        return error(
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
            "No such record.",
            Some(shared.correlation_id()),
        );
    };
    for spec in specs {
        let association = Association {
            from_type: from_type.into(),
            from_id,
            to_type: to_type.into(),
            to_id,
            type_id: spec.association_type_id,
        };
        if let Err(refused) = create_within_limits(&shared, association) {
            let message = refused["message"].as_str().unwrap_or_default().to_owned();
            let correlation = shared.correlation_id();
            return error(
                StatusCode::BAD_REQUEST,
                "VALIDATION_ERROR",
                &message,
                Some(correlation),
            );
        }
    }
    (
        served.status(),
        axum::Json(labels_between(&shared, from_type, from_id, to_type, to_id)),
    )
        .into_response()
}

async fn archive(
    Extension(served): Extension<Served>,
    State(shared): State<Shared>,
    Path(path): Path<PairPath>,
) -> Response {
    let ids = (
        record_id(&shared, &Value::from(path.object_id.as_str())),
        record_id(&shared, &Value::from(path.to_object_id.as_str())),
    );
    if let (Some(from_id), Some(to_id)) = ids {
        shared
            .lock()
            .store
            .remove_pair(&path.object_type, from_id, &path.to_object_type, to_id);
    }
    served.status().into_response()
}

fn default_result(from_id: &Value, to_id: &Value, type_id: TypeId) -> Value {
    json!({
        "from": {"id": id_text(from_id)},
        "to": {"id": id_text(to_id)},
        "associationSpec": {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id},
    })
}

async fn create_default(
    Extension(served): Extension<Served>,
    State(shared): State<Shared>,
    Path(path): Path<DefaultPairPath>,
) -> Response {
    let (from_type, to_type) = (path.from_object_type.as_str(), path.to_object_type.as_str());
    let (from, to) = (
        Value::from(path.from_object_id.as_str()),
        Value::from(path.to_object_id.as_str()),
    );
    let (Some(from_id), Some(to_id)) = (record_id(&shared, &from), record_id(&shared, &to)) else {
        return served.batch(vec![], vec![input_error("fromObjectId", &from, from_type)]);
    };
    let type_id = default_type(from_type, to_type);
    let created = create_within_limits(
        &shared,
        Association {
            from_type: from_type.into(),
            from_id,
            to_type: to_type.into(),
            to_id,
            type_id,
        },
    );
    match created {
        Ok(()) => served.batch(vec![default_result(&from, &to, type_id)], vec![]),
        Err(refused) => served.batch(vec![], vec![refused]),
    }
}

/// Validates both ids of a pair: the ids, or the input's error.
fn pair_ids(
    shared: &Shared,
    from: &Value,
    to: &Value,
    from_type: &str,
    to_type: &str,
) -> Result<(u64, u64), Value> {
    let from_id =
        record_id(shared, from).ok_or_else(|| input_error("fromObjectId", from, from_type))?;
    let to_id = record_id(shared, to).ok_or_else(|| input_error("toObjectId", to, to_type))?;
    Ok((from_id, to_id))
}

async fn batch_create(
    Extension(served): Extension<Served>,
    State(shared): State<Shared>,
    Path(path): Path<TypesPath>,
    body: Bytes,
) -> Response {
    let inputs: Vec<Pair> = match batch_inputs(&shared, &body, served.cap()) {
        Ok(inputs) => inputs,
        Err(response) => return response,
    };
    // Like HubSpot, an association type that cannot exist fails the whole request.
    let impossible = inputs
        .iter()
        .flat_map(|i| &i.types)
        .find(|t| t.association_type_id <= 0);
    if let Some(bad) = impossible {
        return error(
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
            &format!(
                "Association type id {} does not exist.",
                bad.association_type_id
            ),
            Some(shared.correlation_id()),
        );
    }
    let (from_type, to_type) = (path.from_object_type.as_str(), path.to_object_type.as_str());
    answer_each(served, inputs, |input: Pair, outcomes| {
        let created = pair_ids(&shared, &input.from.id, &input.to.id, from_type, to_type).and_then(
            |(from_id, to_id)| {
                for spec in &input.types {
                    create_within_limits(
                        &shared,
                        Association {
                            from_type: from_type.into(),
                            from_id,
                            to_type: to_type.into(),
                            to_id,
                            type_id: spec.association_type_id,
                        },
                    )?;
                }
                Ok(labels_between(&shared, from_type, from_id, to_type, to_id))
            },
        );
        outcomes.push(created);
    })
}

async fn batch_create_default(
    Extension(served): Extension<Served>,
    State(shared): State<Shared>,
    Path(path): Path<TypesPath>,
    body: Bytes,
) -> Response {
    let (from_type, to_type) = (path.from_object_type.as_str(), path.to_object_type.as_str());
    let type_id = default_type(from_type, to_type);
    batch(served, &shared, &body, |input: Pair, outcomes| {
        let created = pair_ids(&shared, &input.from.id, &input.to.id, from_type, to_type).and_then(
            |(from_id, to_id)| {
                let association = Association {
                    from_type: from_type.into(),
                    from_id,
                    to_type: to_type.into(),
                    to_id,
                    type_id,
                };
                create_within_limits(&shared, association)?;
                Ok(default_result(&input.from.id, &input.to.id, type_id))
            },
        );
        outcomes.push(created);
    })
}

async fn batch_read(
    Extension(served): Extension<Served>,
    State(shared): State<Shared>,
    Path(path): Path<TypesPath>,
    body: Bytes,
) -> Response {
    let inputs: Vec<Fetch> = match batch_inputs(&shared, &body, served.cap()) {
        Ok(inputs) => inputs,
        Err(response) => return response,
    };
    // A cursor the fake did not hand out refuses the whole request.
    let cursors: Result<Vec<Option<u64>>, Response> = inputs
        .iter()
        .map(|input| cursor(&shared, input.after.as_deref()))
        .collect();
    let cursors = match cursors {
        Ok(cursors) => cursors,
        Err(response) => return response,
    };
    let (from_type, to_type) = (path.from_object_type.as_str(), path.to_object_type.as_str());
    let page_size = shared.lock().config.batch_read_page;
    let inputs = inputs.into_iter().zip(cursors);
    answer_each(served, inputs.collect(), |(input, after), outcomes| {
        let Some(from_id) = record_id(&shared, &input.id) else {
            return outcomes.push(Err(input_error("fromObjectId", &input.id, from_type)));
        };
        let (found, next) = shared
            .lock()
            .store
            .page(from_type, from_id, to_type, after, page_size);
        if found.is_empty() && after.is_none() {
            // As HubSpot: a record without associations is an error of the 207, not a result.
            return outcomes.push(Err(no_associations(&input.id, from_type, to_type)));
        }
        let mut result = json!({"from": {"id": from_id.to_string()}, "to": associated_json(&shared, from_type, to_type, found)});
        if let Some(next) = next {
            result["paging"] = json!({"next": {"after": next.to_string()}});
        }
        outcomes.push(Ok(result));
    })
}

async fn batch_archive(
    Extension(served): Extension<Served>,
    State(shared): State<Shared>,
    Path(path): Path<TypesPath>,
    body: Bytes,
) -> Response {
    let (from_type, to_type) = (path.from_object_type.as_str(), path.to_object_type.as_str());
    batch(served, &shared, &body, |input: Removal, outcomes| {
        for to in input.to {
            match pair_ids(&shared, &input.from.id, &to.id, from_type, to_type) {
                Ok((from_id, to_id)) => {
                    shared
                        .lock()
                        .store
                        .remove_pair(from_type, from_id, to_type, to_id);
                }
                Err(failure) => outcomes.push(Err(failure)),
            }
        }
    })
}

async fn batch_archive_labels(
    Extension(served): Extension<Served>,
    State(shared): State<Shared>,
    Path(path): Path<TypesPath>,
    body: Bytes,
) -> Response {
    let (from_type, to_type) = (path.from_object_type.as_str(), path.to_object_type.as_str());
    batch(
        served,
        &shared,
        &body,
        |input: Pair, outcomes| match pair_ids(
            &shared,
            &input.from.id,
            &input.to.id,
            from_type,
            to_type,
        ) {
            Ok((from_id, to_id)) => {
                let types: Vec<TypeId> =
                    input.types.iter().map(|t| t.association_type_id).collect();
                shared
                    .lock()
                    .store
                    .remove_types(from_type, from_id, to_type, to_id, &types);
            }
            Err(failure) => outcomes.push(Err(failure)),
        },
    )
}

fn label_json(from_type: &str, to_type: &str, label: crate::store::Label) -> Value {
    json!({
        "category": label.category,
        "typeId": label.type_id,
        "label": label.label,
        "fromObjectTypeId": from_type,
        "toObjectTypeId": to_type,
    })
}

async fn list_labels(
    Extension(served): Extension<Served>,
    State(shared): State<Shared>,
    Path(path): Path<TypesPath>,
) -> Response {
    let (from_type, to_type) = (path.from_object_type.as_str(), path.to_object_type.as_str());
    let labels = shared.lock().store.labels(from_type, to_type);
    let results: Vec<Value> = labels
        .into_iter()
        .map(|l| label_json(from_type, to_type, l))
        .collect();
    (served.status(), axum::Json(json!({"results": results}))).into_response()
}

async fn create_label(
    Extension(served): Extension<Served>,
    State(shared): State<Shared>,
    Path(path): Path<TypesPath>,
    body: Bytes,
) -> Response {
    let request: NewLabel = match read(&shared, &body) {
        Ok(request) => request,
        Err(response) => return response,
    };
    let (from_type, to_type) = (path.from_object_type.as_str(), path.to_object_type.as_str());
    let defined = shared
        .lock()
        .store
        .define_label(from_type, to_type, &request.label);
    (
        served.status(),
        axum::Json(json!({"results": [label_json(from_type, to_type, defined)]})),
    )
        .into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LabelUpdate {
    association_type_id: TypeId,
    label: String,
}

fn no_such_label(shared: &Shared, type_id: TypeId) -> Response {
    error(
        StatusCode::NOT_FOUND,
        "OBJECT_NOT_FOUND",
        &format!("No association label with type id {type_id}."),
        Some(shared.correlation_id()),
    )
}

async fn update_label(
    Extension(served): Extension<Served>,
    State(shared): State<Shared>,
    Path(path): Path<TypesPath>,
    body: Bytes,
) -> Response {
    let request: LabelUpdate = match read(&shared, &body) {
        Ok(request) => request,
        Err(response) => return response,
    };
    let renamed = shared.lock().store.rename_label(
        &path.from_object_type,
        &path.to_object_type,
        request.association_type_id,
        &request.label,
    );
    match renamed {
        true => served.status().into_response(),
        false => no_such_label(&shared, request.association_type_id),
    }
}

async fn delete_label(
    Extension(served): Extension<Served>,
    State(shared): State<Shared>,
    Path(path): Path<LabelPath>,
) -> Response {
    let deleted = shared.lock().store.delete_label(
        &path.from_object_type,
        &path.to_object_type,
        path.association_type_id,
    );
    match deleted {
        true => served.status().into_response(),
        false => no_such_label(&shared, path.association_type_id),
    }
}

/// A limit as the limits operations answer it: with its label, where the type has one.
fn limit_json(shared: &Shared, from_type: &str, to_type: &str, limit: &Limit) -> Value {
    let label = shared
        .lock()
        .store
        .labels(from_type, to_type)
        .into_iter()
        .find(|l| l.type_id == limit.type_id)
        .and_then(|l| l.label);
    json!({
        "category": limit.category,
        "typeId": limit.type_id,
        "label": label,
        "userEnforcedMaxToObjectIds": limit.max_to_object_ids,
    })
}

async fn list_all_limits(
    Extension(served): Extension<Served>,
    State(shared): State<Shared>,
) -> Response {
    let limits = shared.lock().store.limits(None);
    let results: Vec<Value> = limits
        .iter()
        .map(|(from, to, limit)| limit_json(&shared, from, to, limit))
        .collect();
    (served.status(), axum::Json(json!({"results": results}))).into_response()
}

async fn list_limits(
    Extension(served): Extension<Served>,
    State(shared): State<Shared>,
    Path(path): Path<TypesPath>,
) -> Response {
    let (from_type, to_type) = (path.from_object_type.as_str(), path.to_object_type.as_str());
    let limits = shared.lock().store.limits(Some((from_type, to_type)));
    let results: Vec<Value> = limits
        .iter()
        .map(|(_, _, limit)| limit_json(&shared, from_type, to_type, limit))
        .collect();
    (served.status(), axum::Json(json!({"results": results}))).into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LimitInput {
    category: String,
    type_id: TypeId,
    max_to_object_ids: Option<i32>,
}

/// One input's error, naming the association type it concerns.
fn type_error(type_id: TypeId, message: &str) -> Value {
    json!({
        "status": "error",
        "category": "VALIDATION_ERROR",
        "message": message,
        "context": {"typeId": [type_id.to_string()]},
        "errors": [],
        "links": {},
    })
}

/// Sets (`create`) or changes the limit of an input: its result, or its error.
fn set_limit(
    shared: &Shared,
    path: &TypesPath,
    input: LimitInput,
    create: bool,
) -> Result<Value, Value> {
    let (from_type, to_type) = (path.from_object_type.as_str(), path.to_object_type.as_str());
    let Some(max) = input.max_to_object_ids.filter(|max| *max > 0) else {
        return Err(type_error(
            input.type_id,
            "maxToObjectIds must be a positive number.",
        ));
    };
    let exists = shared
        .lock()
        .store
        .limit(from_type, to_type, input.type_id)
        .is_some();
    if input.type_id <= 0 || (!create && !exists) {
        return Err(type_error(
            input.type_id,
            &format!("No association type {} to limit.", input.type_id),
        ));
    }
    let limit = Limit {
        type_id: input.type_id,
        category: input.category,
        max_to_object_ids: max,
    };
    shared
        .lock()
        .store
        .set_limit(from_type, to_type, limit.clone());
    let mut result = limit_json(shared, from_type, to_type, &limit);
    if !create && let Some(result) = result.as_object_mut() {
        // An update's result says the type and the new limit, not the label.
        result.remove("label");
    }
    Ok(result)
}

async fn batch_create_limits(
    Extension(served): Extension<Served>,
    State(shared): State<Shared>,
    Path(path): Path<TypesPath>,
    body: Bytes,
) -> Response {
    limits_answer(served, &shared, &path, &body, true)
}

async fn batch_update_limits(
    Extension(served): Extension<Served>,
    State(shared): State<Shared>,
    Path(path): Path<TypesPath>,
    body: Bytes,
) -> Response {
    limits_answer(served, &shared, &path, &body, false)
}

/// The answer of a batch that sets (`create`) or changes limits.
fn limits_answer(
    served: Served,
    shared: &Shared,
    path: &TypesPath,
    body: &Bytes,
    create: bool,
) -> Response {
    batch(served, shared, body, |input, outcomes| {
        outcomes.push(set_limit(shared, path, input, create));
    })
}

async fn batch_purge_limits(
    Extension(served): Extension<Served>,
    State(shared): State<Shared>,
    Path(path): Path<TypesPath>,
    body: Bytes,
) -> Response {
    batch(served, &shared, &body, |input: LimitInput, outcomes| {
        if input.type_id <= 0 {
            return outcomes.push(Err(type_error(
                input.type_id,
                &format!("No association type {}.", input.type_id),
            )));
        }
        // Purging a type without a limit leaves it without one, as asked.
        shared.lock().store.purge_limit(
            &path.from_object_type,
            &path.to_object_type,
            input.type_id,
        );
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stateful_handler_serves_an_operation_of_the_registry() {
        let names: std::collections::BTreeSet<&str> = ApiVersion::ALL
            .iter()
            .flat_map(|version| version.operations())
            .map(|op| op.name)
            .collect();
        let orphans: Vec<&str> = STATEFUL
            .iter()
            .map(|(name, _)| *name)
            .filter(|name| !names.contains(name))
            .collect();
        assert!(
            orphans.is_empty(),
            "handlers for operations no version has (renamed in a spec?): {orphans:?}; the operations: {names:?}"
        );
    }

    /// A version without a handled operation its previous version has must say it dropped
    /// it: else the operation was renamed there, and would answer with its example instead of
    /// the state.
    #[test]
    fn a_version_lacks_a_handled_operation_only_where_it_declares_it_removed() {
        let has = |version: &ApiVersion, name: &str| {
            version.operations().iter().any(|op| op.name == name)
        };
        for pair in ApiVersion::ALL.windows(2) {
            let (previous, version) = (&pair[0], &pair[1]);
            for (name, _) in STATEFUL {
                if has(previous, name) && !has(version, name) {
                    assert!(
                        version
                            .removed_operations()
                            .iter()
                            .any(|removal| removal.name == *name),
                        "{version:?} lacks `{name}`, which {previous:?} has, and does not declare it removed: renamed?"
                    );
                }
            }
        }
    }
}
