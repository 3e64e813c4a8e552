//! Any number of inputs through HubSpot's batch operations.
//!
//! Inputs are split into requests at HubSpot's caps (2,000 to create, 1,000 to read; a
//! configurable default where HubSpot documents none), sent with bounded concurrency through
//! the transport's rate limiter and retries, and summed up in one [`BulkOutcome`]: the inputs
//! that succeeded, and every input that failed with why. The errors of a 207 are matched back
//! to the inputs they name; a request rejected as a whole (a 4xx) is split in halves and sent
//! again, so that one bad id does not sink the other 1,999.
//!
//! The engine reads inputs, results and errors through their JSON, so that one engine serves
//! the types of every version: an input's records are its `from`/`to`/`id` ids (and `typeId`
//! for the definition batches); a result's are `fromObjectId`/`toObjectId` or `from`/`to`.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::future::Future;
use std::sync::Arc;

use futures_core::Stream;
use futures_util::{StreamExt, stream};
use serde::Serialize;
use serde_json::Value;

use crate::error_body::ErrorFields;
use crate::{Error, ErrorContext, ObjectId};

/// The inputs per request where HubSpot documents no cap.
pub const DEFAULT_CHUNK: usize = 100;

/// How a bulk operation runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct BulkOptions {
    /// Requests in flight at once (default 4); the rate limiter paces them all.
    pub concurrency: usize,
    /// Inputs per request, at most HubSpot's cap (default: the cap, or [`DEFAULT_CHUNK`]).
    pub chunk_size: Option<usize>,
    /// Whether a request rejected as a whole with a 4xx is split in halves to find the bad
    /// inputs (default true).
    pub split_rejected: bool,
    /// The most pages a paged read follows for one record (default 10,000, five million
    /// associations at HubSpot's 500 a page): a last resort against a server whose cursors
    /// never end, beside the check that no cursor comes twice.
    pub max_pages: usize,
}

impl Default for BulkOptions {
    fn default() -> Self {
        Self {
            concurrency: 4,
            chunk_size: None,
            split_rejected: true,
            max_pages: 10_000,
        }
    }
}

impl BulkOptions {
    /// With this many requests in flight at once (at least one).
    pub fn concurrency(mut self, requests: usize) -> Self {
        self.concurrency = requests.max(1);
        self
    }

    /// With at most this many inputs per request.
    pub fn chunk_size(mut self, inputs: usize) -> Self {
        self.chunk_size = Some(inputs.max(1));
        self
    }

    /// Whether to split requests rejected as a whole.
    pub fn split_rejected(mut self, split: bool) -> Self {
        self.split_rejected = split;
        self
    }

    /// With at most this many pages read per record.
    pub fn max_pages(mut self, pages: usize) -> Self {
        self.max_pages = pages.max(1);
        self
    }

    fn size(&self, cap: Option<usize>) -> usize {
        let wanted = self.chunk_size.unwrap_or(cap.unwrap_or(DEFAULT_CHUNK));
        wanted.clamp(1, cap.unwrap_or(usize::MAX))
    }
}

/// An error HubSpot gave for one or more inputs of a batch: the fields of its
/// `StandardError`, whatever the version.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct InputError {
    /// Such as `VALIDATION_ERROR`.
    pub category: Option<String>,
    /// A more precise category.
    pub sub_category: Option<String>,
    /// The message for people.
    pub message: Option<String>,
    /// The details, which name the inputs.
    pub context: Option<ErrorContext>,
}

impl InputError {
    fn from_json(error: &Value) -> Self {
        let fields = ErrorFields::from_json(error);
        Self {
            category: fields.category,
            sub_category: fields.sub_category,
            message: fields.message,
            context: fields.context,
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let category = self.category.as_deref().unwrap_or("ERROR");
        match &self.message {
            Some(message) => write!(f, "{category}: {message}"),
            None => f.write_str(category),
        }
    }
}

/// Why one input failed.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum InputFailure {
    /// HubSpot named the input in the errors of its answer.
    Rejected(InputError),
    /// HubSpot reported an error that names no input, in an answer that does not confirm this one.
    Unattributed(InputError),
    /// The request carrying it failed as a whole, after retries (and splitting, for a 4xx).
    Request(Arc<Error>),
    /// HubSpot answered without confirming it or naming it in an error.
    Unconfirmed,
}

impl fmt::Display for InputFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Rejected(error) => write!(f, "rejected: {error}"),
            Self::Unattributed(error) => write!(f, "an error naming no input: {error}"),
            Self::Request(error) => write!(f, "request failed: {error}"),
            Self::Unconfirmed => f.write_str("neither confirmed nor named in an error"),
        }
    }
}

/// An input that succeeded, with its result when the operation returns one per input.
#[derive(Clone, Debug)]
pub struct Succeeded<I, R> {
    /// The input.
    pub input: I,
    /// What HubSpot returned for it.
    pub result: Option<R>,
}

/// An input that failed, and why.
#[derive(Clone, Debug)]
pub struct Failed<I> {
    /// The input.
    pub input: I,
    /// Why.
    pub failure: InputFailure,
}

/// What happened to every input of a bulk operation.
#[derive(Clone, Debug)]
pub struct BulkOutcome<I, R> {
    /// The inputs that succeeded.
    pub succeeded: Vec<Succeeded<I, R>>,
    /// The inputs that failed.
    pub failed: Vec<Failed<I>>,
    /// How many requests were sent (retries not counted).
    pub requests: usize,
}

impl<I, R> Default for BulkOutcome<I, R> {
    fn default() -> Self {
        Self {
            succeeded: Vec::new(),
            failed: Vec::new(),
            requests: 0,
        }
    }
}

impl<I, R> BulkOutcome<I, R> {
    /// Adds another outcome to this one.
    pub fn merge(&mut self, other: Self) {
        self.succeeded.extend(other.succeeded);
        self.failed.extend(other.failed);
        self.requests += other.requests;
    }

    /// Whether every input succeeded.
    pub fn is_complete(&self) -> bool {
        self.failed.is_empty()
    }

    fn fail_all(inputs: Vec<I>, failure: &InputFailure) -> Self {
        Self {
            failed: inputs
                .into_iter()
                .map(|input| Failed {
                    input,
                    failure: failure.clone(),
                })
                .collect(),
            ..Self::default()
        }
    }
}

/// Collects the outcome of every request of a bulk operation into one.
pub async fn collect<I, R>(outcomes: impl Stream<Item = BulkOutcome<I, R>>) -> BulkOutcome<I, R> {
    outcomes
        .fold(BulkOutcome::default(), |mut all, one| async move {
            all.merge(one);
            all
        })
        .await
}

/// One batch answer, with its per-input errors as JSON.
pub(crate) struct Reply<R> {
    results: Vec<R>,
    errors: Vec<Value>,
    /// Whether the results name the records of the inputs they confirm: then an input
    /// without a result (and without an error) is unconfirmed, however the answer began.
    keyed: bool,
}

impl<R> Reply<R> {
    /// An answer whose results name their records, one per input that took effect.
    pub fn new<E: Serialize>(results: Vec<R>, errors: &[E]) -> Self {
        Self {
            results,
            errors: errors
                .iter()
                .filter_map(|e| serde_json::to_value(e).ok())
                .collect(),
            keyed: true,
        }
    }

    /// An answer whose results carry nothing of their inputs (a removal's): the request is
    /// acknowledged, and every input not named in an error took effect.
    pub fn acknowledged<E: Serialize>(results: Vec<R>, errors: &[E]) -> Self {
        Self {
            keyed: false,
            ..Self::new(results, errors)
        }
    }

    /// An answer without a body, the documented success of its operation: success for every
    /// input.
    pub fn empty() -> Self {
        Self {
            results: Vec::new(),
            errors: Vec::new(),
            keyed: false,
        }
    }
}

/// The records an input or result names.
#[derive(Default)]
struct Keys {
    from: Vec<String>,
    to: Vec<String>,
    other: Vec<String>,
}

fn id_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

fn ids_of(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Object(object)) => object.get("id").and_then(id_text).into_iter().collect(),
        Some(Value::Array(items)) => items.iter().flat_map(|item| ids_of(Some(item))).collect(),
        Some(other) => id_text(other).into_iter().collect(),
        None => Vec::new(),
    }
}

impl Keys {
    fn of(value: &impl Serialize) -> Self {
        let Ok(json) = serde_json::to_value(value) else {
            return Self::default();
        };
        let mut keys = Self {
            from: ids_of(json.get("from")),
            to: ids_of(json.get("to")),
            other: json.get("typeId").and_then(id_text).into_iter().collect(),
        };
        keys.from.extend(json.get("fromObjectId").and_then(id_text));
        keys.from.extend(json.get("id").and_then(id_text));
        keys.to.extend(json.get("toObjectId").and_then(id_text));
        keys
    }

    fn is_empty(&self) -> bool {
        self.from.is_empty() && self.to.is_empty()
    }

    /// Whether an error context names this input: a `from...` entry by its from-record, a
    /// `to...` entry by a to-record, any other entry by any of its keys.
    fn named_by(&self, context: &ErrorContext) -> bool {
        // HubSpot's contexts are lists of ids by name; a context of other JSON (numbers, one
        // id, objects) is read for the ids it holds all the same.
        let map: Vec<(String, Vec<String>)> = match context {
            ErrorContext::Map(map) => map.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            ErrorContext::Other(Value::Object(object)) => object
                .iter()
                .map(|(k, v)| (k.clone(), ids_of(Some(v))))
                .collect(),
            _ => return false,
        };
        map.iter().any(|(field, values)| {
            let field = field.to_ascii_lowercase();
            let candidates: Vec<&String> = if field.starts_with("from") {
                self.from.iter().collect()
            } else if field.starts_with("to") {
                self.to.iter().collect()
            } else {
                self.from
                    .iter()
                    .chain(&self.to)
                    .chain(&self.other)
                    .collect()
            };
            values.iter().any(|value| candidates.contains(&value))
        })
    }
}

/// What an answer says of each input of the request that carried it.
fn attribute<I: Serialize, R: Serialize + Clone>(
    inputs: Vec<I>,
    reply: Reply<R>,
) -> BulkOutcome<I, R> {
    let errors: Vec<InputError> = reply.errors.iter().map(InputError::from_json).collect();
    let keys: Vec<Keys> = inputs.iter().map(Keys::of).collect();
    let named = |input: &Keys| {
        errors.iter().find(|error| {
            error
                .context
                .as_ref()
                .is_some_and(|context| input.named_by(context))
        })
    };
    let unattributed = errors.iter().find(|error| {
        !keys
            .iter()
            .any(|input| error.context.as_ref().is_some_and(|c| input.named_by(c)))
    });
    // Results that name their records confirm the inputs with the same records.
    let mut results: HashMap<(String, String), R> = HashMap::new();
    let mut keyless = Vec::new();
    for result in reply.results {
        let found = Keys::of(&result);
        match (found.from.first(), found.to.first()) {
            (Some(from), to) => {
                results.insert((from.clone(), to.cloned().unwrap_or_default()), result);
            }
            _ => keyless.push(result),
        }
    }
    let confirms = reply.keyed;
    let mut outcome = BulkOutcome::default();
    for (input, key) in inputs.into_iter().zip(&keys) {
        if let Some(error) = named(key) {
            outcome.failed.push(Failed {
                input,
                failure: InputFailure::Rejected(error.clone()),
            });
            continue;
        }
        let from = key.from.first().cloned().unwrap_or_default();
        let result = results
            .get(&(from.clone(), key.to.first().cloned().unwrap_or_default()))
            .or_else(|| results.get(&(from, String::new())));
        match (confirms && !key.is_empty(), result, unattributed) {
            (true, Some(result), _) => outcome.succeeded.push(Succeeded {
                input,
                result: Some(result.clone()),
            }),
            (true, None, Some(error)) | (false, _, Some(error)) => outcome.failed.push(Failed {
                input,
                failure: InputFailure::Unattributed(error.clone()),
            }),
            (true, None, None) => outcome.failed.push(Failed {
                input,
                failure: InputFailure::Unconfirmed,
            }),
            (false, _, None) => outcome.succeeded.push(Succeeded {
                input,
                result: None,
            }),
        }
    }
    outcome
}

/// Whether a failed request was refused for its contents, so that its halves may succeed.
fn rejected_as_a_whole(error: &Error) -> bool {
    matches!(
        error.status().map(|s| s.as_u16()),
        Some(400 | 404 | 409 | 422)
    )
}

/// Sends one request's inputs, splitting it in halves while HubSpot rejects it as a whole.
async fn settle<I, R, F, Fut>(inputs: Vec<I>, split: bool, send: F) -> BulkOutcome<I, R>
where
    I: Serialize + Clone,
    R: Serialize + Clone,
    F: Fn(Vec<I>) -> Fut,
    Fut: Future<Output = Result<Reply<R>, Error>>,
{
    let mut outcome = BulkOutcome::default();
    let mut pending = vec![inputs];
    while let Some(mut part) = pending.pop() {
        outcome.requests += 1;
        match send(part.clone()).await {
            Ok(reply) => outcome.merge(attribute(part, reply)),
            Err(error) if split && part.len() > 1 && rejected_as_a_whole(&error) => {
                let second = part.split_off(part.len() / 2);
                pending.push(second);
                pending.push(part);
            }
            Err(error) => outcome.merge(BulkOutcome::fail_all(
                part,
                &InputFailure::Request(Arc::new(error)),
            )),
        }
    }
    outcome
}

/// The inputs in chunks of `size`, each allocated to its own length: a chunk cut off the
/// front of the input would keep the input's whole capacity, and all of them together grow
/// with the square of the input.
fn split_into<I>(inputs: impl IntoIterator<Item = I>, size: usize) -> impl Iterator<Item = Vec<I>> {
    let mut inputs = inputs.into_iter();
    std::iter::from_fn(move || {
        let chunk: Vec<I> = inputs.by_ref().take(size).collect();
        (!chunk.is_empty()).then_some(chunk)
    })
}

/// The outcome of each request, as the requests complete. Inputs are drawn from `inputs` as
/// requests are formed, so that only the requests in flight hold theirs.
pub(crate) fn chunks<I, R, F, Fut>(
    inputs: impl IntoIterator<Item = I>,
    cap: Option<usize>,
    options: BulkOptions,
    send: F,
) -> impl Stream<Item = BulkOutcome<I, R>>
where
    I: Serialize + Clone,
    R: Serialize + Clone,
    F: Fn(Vec<I>) -> Fut + Clone,
    Fut: Future<Output = Result<Reply<R>, Error>>,
{
    let split = options.split_rejected;
    stream::iter(split_into(inputs, options.size(cap)))
        .map(move |chunk| settle(chunk, split, send.clone()))
        .buffer_unordered(options.concurrency.max(1))
}

/// One answer of a paged batch read: per record, its items and the cursor of its next page.
pub(crate) struct ReadReply<T> {
    pub pages: Vec<(ObjectId, Vec<T>, Option<String>)>,
    pub errors: Vec<Value>,
}

/// A record to read, from its first page or from a cursor.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct ReadInput {
    pub id: ObjectId,
    pub after: Option<String>,
}

/// One record's page, as the engine attributes it: `id` names the record.
#[derive(Clone, Serialize)]
struct ReadPage {
    id: ObjectId,
    items: Vec<Value>,
    next: Option<String>,
}

/// Reads every page of every record: each record is asked again with its own cursor until it
/// has no next page, in requests of at most `cap` records.
pub(crate) async fn read_all<T, F, Fut>(
    operation: &'static str,
    ids: Vec<ObjectId>,
    cap: Option<usize>,
    options: BulkOptions,
    send: F,
) -> BulkOutcome<ObjectId, Vec<T>>
where
    T: Serialize + serde::de::DeserializeOwned,
    F: Fn(Vec<ReadInput>) -> Fut + Clone,
    Fut: Future<Output = Result<ReadReply<T>, Error>>,
{
    let mut found: HashMap<ObjectId, Vec<T>> = HashMap::new();
    let mut outcome: BulkOutcome<ObjectId, Vec<T>> = BulkOutcome::default();
    let mut failed: HashSet<ObjectId> = HashSet::new();
    // The cursors each record was asked with: one that comes again would loop forever.
    let mut cursors: HashMap<ObjectId, HashSet<String>> = HashMap::new();
    let mut pending: Vec<ReadInput> = ids
        .iter()
        .map(|id| ReadInput {
            id: id.clone(),
            after: None,
        })
        .collect();
    while !pending.is_empty() {
        let send_pages = |inputs: Vec<ReadInput>| {
            let send = send.clone();
            async move {
                let reply = send(inputs).await?;
                let pages: Vec<ReadPage> = reply
                    .pages
                    .into_iter()
                    .map(|(id, items, next)| ReadPage {
                        id,
                        items: items
                            .iter()
                            .filter_map(|item| serde_json::to_value(item).ok())
                            .collect(),
                        next,
                    })
                    .collect();
                Ok(Reply {
                    results: pages,
                    errors: reply.errors,
                    keyed: true,
                })
            }
        };
        let rounds: Vec<BulkOutcome<ReadInput, ReadPage>> =
            chunks(std::mem::take(&mut pending), cap, options, send_pages)
                .collect()
                .await;
        for round in rounds {
            outcome.requests += round.requests;
            for failure in round.failed {
                failed.insert(failure.input.id.clone());
                outcome.failed.push(Failed {
                    input: failure.input.id,
                    failure: failure.failure,
                });
            }
            for success in round.succeeded {
                let Some(page) = success.result else { continue };
                let items = page
                    .items
                    .into_iter()
                    .filter_map(|item| serde_json::from_value(item).ok());
                found.entry(page.id.clone()).or_default().extend(items);
                let Some(next) = page.next else { continue };
                let seen = cursors.entry(page.id.clone()).or_default();
                let endless = if seen.contains(&next) {
                    Some(format!(
                        "HubSpot gave record {} the cursor {next:?} a second time",
                        page.id
                    ))
                } else if seen.len() + 1 >= options.max_pages {
                    Some(format!(
                        "record {} has more than {} pages (BulkOptions::max_pages)",
                        page.id, options.max_pages
                    ))
                } else {
                    None
                };
                if let Some(message) = endless {
                    failed.insert(page.id.clone());
                    outcome.failed.push(Failed {
                        input: page.id,
                        failure: InputFailure::Request(Arc::new(Error::InvalidResponse {
                            operation,
                            message,
                        })),
                    });
                    continue;
                }
                seen.insert(next.clone());
                pending.push(ReadInput {
                    id: page.id,
                    after: Some(next),
                });
            }
        }
    }
    for id in ids {
        if !failed.contains(&id) {
            let items = found.remove(&id).unwrap_or_default();
            outcome.succeeded.push(Succeeded {
                input: id,
                result: Some(items),
            });
        }
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn chunks_respect_the_cap_and_the_option() {
        assert_eq!(BulkOptions::default().size(Some(2000)), 2000);
        assert_eq!(BulkOptions::default().size(None), DEFAULT_CHUNK);
        assert_eq!(
            BulkOptions::default().chunk_size(5000).size(Some(1000)),
            1000
        );
        assert_eq!(BulkOptions::default().chunk_size(10).size(None), 10);
        let parts: Vec<Vec<u32>> = split_into(0..7, 3).collect();
        assert_eq!(parts, [vec![0, 1, 2], vec![3, 4, 5], vec![6]]);
        let large: Vec<Vec<u64>> = split_into(0..100_000, 2_000).collect();
        assert!(
            large.iter().all(|chunk| chunk.capacity() <= 2_000),
            "a chunk kept the input's capacity"
        );
    }

    fn pair(from: &str, to: &str) -> Value {
        json!({"from": {"id": from}, "to": {"id": to}, "types": []})
    }

    #[test]
    fn errors_are_matched_to_the_inputs_they_name() {
        let inputs = vec![pair("1", "10"), pair("2", "20"), pair("3", "30")];
        let reply = Reply::new(
            vec![json!({"fromObjectId": 1, "toObjectId": "10", "labels": []})],
            &[
                json!({"category": "VALIDATION_ERROR", "message": "no contact 2", "context": {"fromObjectId": ["2"]}}),
                json!({"category": "VALIDATION_ERROR", "message": "no company 30", "context": {"toObjectId": ["30"]}}),
            ],
        );
        let outcome = attribute(inputs, reply);
        assert_eq!(outcome.succeeded.len(), 1);
        assert_eq!(outcome.succeeded[0].input["from"]["id"], "1");
        assert!(outcome.succeeded[0].result.is_some());
        let failed: Vec<(String, String)> = outcome
            .failed
            .iter()
            .map(|f| {
                (
                    f.input["from"]["id"].as_str().unwrap().to_owned(),
                    f.failure.to_string(),
                )
            })
            .collect();
        assert_eq!(
            failed,
            [
                (
                    "2".to_owned(),
                    "rejected: VALIDATION_ERROR: no contact 2".to_owned()
                ),
                (
                    "3".to_owned(),
                    "rejected: VALIDATION_ERROR: no company 30".to_owned()
                ),
            ]
        );
    }

    #[test]
    fn a_to_id_does_not_match_a_from_entry() {
        let inputs = vec![pair("7", "8"), pair("8", "9")];
        // A removal's answer: its results say nothing of the inputs.
        let reply: Reply<Value> = Reply::acknowledged(
            vec![],
            &[json!({"message": "x", "context": {"fromObjectId": ["8"]}})],
        );
        let outcome = attribute(inputs, reply);
        assert_eq!(outcome.failed.len(), 1);
        assert_eq!(outcome.failed[0].input["from"]["id"], "8");
        assert_eq!(
            outcome.succeeded[0].input["from"]["id"], "7",
            "its to-id 8 is not a from-id"
        );
    }

    #[test]
    fn answers_without_results_confirm_every_input_not_named() {
        let outcome =
            attribute::<Value, Value>(vec![pair("1", "2"), pair("3", "4")], Reply::empty());
        assert_eq!((outcome.succeeded.len(), outcome.failed.len()), (2, 0));
        let reply: Reply<Value> =
            Reply::acknowledged(vec![], &[json!({"message": "something went wrong"})]);
        let outcome = attribute(vec![pair("1", "2")], reply);
        assert!(matches!(
            outcome.failed[0].failure,
            InputFailure::Unattributed(_)
        ));
    }

    #[test]
    fn an_answer_of_records_that_names_none_confirms_nothing() {
        let reply: Reply<Value> = Reply::new(vec![], &[] as &[Value]);
        let outcome = attribute(vec![pair("1", "2")], reply);
        assert!(outcome.succeeded.is_empty());
        assert!(matches!(
            outcome.failed[0].failure,
            InputFailure::Unconfirmed
        ));
    }

    #[test]
    fn a_context_of_numbers_still_names_its_input() {
        let reply: Reply<Value> = Reply::new(
            vec![],
            &[json!({"message": "no contact 1", "context": {"fromObjectId": [1], "id": 999}})],
        );
        let outcome = attribute(vec![pair("1", "2")], reply);
        assert!(matches!(
            outcome.failed[0].failure,
            InputFailure::Rejected(_)
        ));
    }

    #[test]
    fn results_that_do_not_mention_an_input_leave_it_unconfirmed() {
        let reply = Reply::new(
            vec![json!({"fromObjectId": "1", "toObjectId": "2"})],
            &[] as &[Value],
        );
        let outcome = attribute(vec![pair("1", "2"), pair("5", "6")], reply);
        assert_eq!(outcome.succeeded.len(), 1);
        assert!(matches!(
            outcome.failed[0].failure,
            InputFailure::Unconfirmed
        ));
    }
}
