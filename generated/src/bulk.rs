//! Any number of inputs through HubSpot's batch operations.
//!
//! Inputs are split into requests at HubSpot's caps (2,000 to create, 1,000 to read; a
//! configurable default where HubSpot documents none), sent with bounded concurrency through
//! the transport's rate limiter and retries, and summed up in one [`BulkOutcome`]: the inputs
//! that succeeded, and every input that failed with why. The errors of a 207 are matched back
//! to the inputs they name. A request refused as a whole (a 400, 404, 409 or 422) is split only
//! while splitting can help: the inputs the refusal names fail and the rest is sent once more;
//! else its halves are sent, so that one bad id does not sink the other 1,999, and halves
//! refused alike fail whole: the run then knows that refusal (a wrong object type, a malformed
//! body) concerns whole requests and sends no request of it twice. A run whose every request
//! is refused so costs its planned requests and two more.
//!
//! The engine matches by what the generator knows of each version's batch types: which fields
//! of an input or a result name records, read through their generated `Keyed` impls, and
//! how the errors of the version's answers name them (`ContextNames`). Each result of an
//! answer decodes on its own: one that does not decode fails the inputs it may answer, with
//! the reason and an excerpt, and never vanishes.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::future::Future;
use std::sync::Arc;

use futures_core::Stream;
use futures_util::{StreamExt, stream};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use serde_json::value::RawValue;

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
    /// Whether a request refused as a whole with a 4xx is split to find the bad inputs, while
    /// splitting can help (default true; see the module's docs).
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

    /// The inputs per request for an operation whose cap is `cap`: the option, at most the
    /// cap; the cap when the option is not set; [`DEFAULT_CHUNK`] when neither is.
    pub fn inputs_per_request(&self, cap: Option<usize>) -> usize {
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
    pub(crate) fn from_json(error: &Value) -> Self {
        let fields = ErrorFields::from_json(error);
        Self {
            category: fields.category,
            sub_category: fields.sub_category,
            message: fields.message,
            context: fields.context,
        }
    }
}

impl From<&crate::ApiError> for InputError {
    fn from(api: &crate::ApiError) -> Self {
        Self {
            category: api.category.clone(),
            sub_category: api.sub_category.clone(),
            message: api.message.clone(),
            context: api.context.clone(),
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
    /// HubSpot answered, but a result of the answer did not decode, and no decoded result
    /// confirms this input: it may be the one.
    Undecodable(Arc<UndecodableResult>),
    /// HubSpot answered without confirming it or naming it in an error.
    Unconfirmed,
}

impl fmt::Display for InputFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Rejected(error) => write!(f, "rejected: {error}"),
            Self::Unattributed(error) => write!(f, "an error naming no input: {error}"),
            Self::Request(error) => write!(f, "request failed: {error}"),
            Self::Undecodable(result) => write!(f, "{result}"),
            Self::Unconfirmed => f.write_str("neither confirmed nor named in an error"),
        }
    }
}

/// A result of a batch answer that does not decode into the operation's result type.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct UndecodableResult {
    /// Why it does not decode.
    pub error: String,
    /// The result as HubSpot sent it, cut to [`UndecodableResult::EXCERPT`] bytes.
    pub excerpt: String,
}

impl UndecodableResult {
    /// The longest excerpt kept of a result, in bytes.
    pub const EXCERPT: usize = 512;

    fn new(error: &serde_json::Error, raw: &str) -> Self {
        let mut end = raw.len().min(Self::EXCERPT);
        while !raw.is_char_boundary(end) {
            end -= 1;
        }
        let cut = if end < raw.len() { "..." } else { "" };
        Self {
            error: error.to_string(),
            excerpt: format!("{}{cut}", &raw[..end]),
        }
    }
}

impl fmt::Display for UndecodableResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "a result of the answer does not decode ({}): {}",
            self.error, self.excerpt
        )
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

/// An input that failed, and why. It prints as the records it names and the reason:
/// `29851 -> 5790939450 (type 279): rejected: VALIDATION_ERROR: ...`.
#[derive(Clone, Debug)]
pub struct Failed<I> {
    /// The input.
    pub input: I,
    /// Why.
    pub failure: InputFailure,
    /// The records the input names, for messages.
    records: String,
}

/// An input that failed, with the records it names for its messages.
fn failed_input<I: Keyed>(input: I, failure: InputFailure) -> Failed<I> {
    let records = input.keys().to_string();
    Failed {
        input,
        failure,
        records,
    }
}

impl<I> Failed<I> {
    /// The records the input names, as text: `29851 -> 5790939450 (type 279)`.
    pub fn records(&self) -> &str {
        &self.records
    }
}

impl<I> fmt::Display for Failed<I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.records, self.failure)
    }
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
}

/// Every input failed, for the same reason.
fn fail_all<I: Keyed, R>(inputs: Vec<I>, failure: &InputFailure) -> BulkOutcome<I, R> {
    BulkOutcome {
        failed: inputs
            .into_iter()
            .map(|input| failed_input(input, failure.clone()))
            .collect(),
        ..BulkOutcome::default()
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

/// The records a batch input or result names, as text: the record it starts from, the
/// records it leads to, and the association types it names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Keys {
    from: Vec<String>,
    to: Vec<String>,
    other: Vec<String>,
}

impl Keys {
    /// With the records an association starts from.
    pub fn from<'a>(mut self, ids: impl IntoIterator<Item = &'a ObjectId>) -> Self {
        self.from.extend(ids.into_iter().map(ToString::to_string));
        self
    }

    /// With the records it leads to.
    pub fn to<'a>(mut self, ids: impl IntoIterator<Item = &'a ObjectId>) -> Self {
        self.to.extend(ids.into_iter().map(ToString::to_string));
        self
    }

    /// With the association types it names.
    pub fn other(mut self, values: impl IntoIterator<Item = impl fmt::Display>) -> Self {
        self.other.extend(values.into_iter().map(|v| v.to_string()));
        self
    }

    /// The key a result that confirms it has: its first record on each side.
    fn pair(&self) -> Option<(&str, &str)> {
        let from = self.from.first()?;
        Some((from, self.to.first().map_or("", String::as_str)))
    }
}

impl fmt::Display for Keys {
    /// `29851 -> 5790939450 (type 279)`: the records it starts from, leads to, and the types.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.from.is_empty() && self.to.is_empty() && self.other.is_empty() {
            return f.write_str("an input naming no record");
        }
        f.write_str(&self.from.join(", "))?;
        if !self.to.is_empty() {
            write!(f, " -> {}", self.to.join(", "))?;
        }
        if !self.other.is_empty() {
            write!(f, " (type {})", self.other.join(", "))?;
        }
        Ok(())
    }
}

/// A batch input or result whose fields name records: generated for each version's batch
/// types from its schema, so that the engine reads no field by name.
pub(crate) trait Keyed {
    /// The records it names.
    fn keys(&self) -> Keys;
}

/// How the errors of a version's batch answers name the records of the inputs they concern:
/// the JSON names of the fields of its batch types that hold the from- and to-records, as the
/// generator found them. An error context entry of another name may name either.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ContextNames {
    pub from: &'static [&'static str],
    pub to: &'static [&'static str],
}

/// One batch answer as the engine reads it: each result decoded on its own, and the errors
/// read leniently (see [`ErrorFields`]).
#[derive(Deserialize)]
#[serde(bound = "R: DeserializeOwned")]
pub(crate) struct Answer<R> {
    #[serde(default = "Vec::new")]
    results: Vec<Item<R>>,
    #[serde(default, deserialize_with = "errors")]
    errors: Vec<Value>,
}

/// The errors of an answer: its list, or whatever else HubSpot sent, kept as one error.
pub(crate) fn errors<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<Value>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::Array(errors) => errors,
        Value::Null => Vec::new(),
        other => vec![other],
    })
}

/// A result of an answer, decoded or not.
enum Item<R> {
    Decoded(R),
    Undecodable(Arc<UndecodableResult>),
}

impl<'de, R: DeserializeOwned> Deserialize<'de> for Item<R> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        Ok(match serde_json::from_str(raw.get()) {
            Ok(result) => Self::Decoded(result),
            Err(error) => Self::Undecodable(Arc::new(UndecodableResult::new(&error, raw.get()))),
        })
    }
}

/// What one answer says of the inputs of its request.
pub(crate) struct Reply<R> {
    /// The results that decoded, each with the records it names.
    results: Vec<(Keys, R)>,
    /// The results that did not.
    undecodable: Vec<Arc<UndecodableResult>>,
    errors: Vec<Value>,
    /// Whether the results name the records of the inputs they confirm: then an input
    /// without a result (and without an error) is unconfirmed, however the answer began.
    keyed: bool,
}

impl<R> Reply<R> {
    /// An answer whose results name their records, one per input that took effect.
    pub fn keyed(answer: Answer<R>) -> Self
    where
        R: Keyed,
    {
        Self::keyed_as(answer, |result| result)
    }

    /// An answer whose results name their records, each turned into what the outcome holds.
    fn keyed_as<S: Keyed>(answer: Answer<S>, into: impl Fn(S) -> R) -> Self {
        let mut reply = Self::from_items(answer.results, answer.errors, |result: S| {
            (result.keys(), into(result))
        });
        reply.keyed = true;
        reply
    }

    /// An answer whose results carry nothing of their inputs (a removal's): the request is
    /// acknowledged, and every input not named in an error took effect.
    pub fn acknowledged(answer: Answer<R>) -> Self {
        Self::from_items(answer.results, answer.errors, |result| {
            (Keys::default(), result)
        })
    }

    /// An answer without a body, the documented success of its operation: success for every
    /// input.
    pub fn empty() -> Self {
        Self {
            results: Vec::new(),
            undecodable: Vec::new(),
            errors: Vec::new(),
            keyed: false,
        }
    }

    fn from_items<S>(
        items: Vec<Item<S>>,
        errors: Vec<Value>,
        keyed: impl Fn(S) -> (Keys, R),
    ) -> Self {
        let mut reply = Self {
            errors,
            ..Self::empty()
        };
        for item in items {
            match item {
                Item::Decoded(result) => reply.results.push(keyed(result)),
                Item::Undecodable(result) => reply.undecodable.push(result),
            }
        }
        reply
    }
}

fn id_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// The ids an error context holds under one name: text or numbers, alone, in lists, or as
/// `{"id": ...}` objects.
fn ids_of(value: &Value) -> Vec<String> {
    match value {
        Value::Object(object) => object.get("id").and_then(id_text).into_iter().collect(),
        Value::Array(items) => items.iter().flat_map(ids_of).collect(),
        other => id_text(other).into_iter().collect(),
    }
}

/// Whether an error's context names the input with `keys`: an entry the version's batch types
/// name as a from-field by the input's from-record, a to-field by a to-record, any other
/// entry by any of the input's keys.
fn names(context: &ErrorContext, keys: &Keys, names: &ContextNames) -> bool {
    // HubSpot's contexts are lists of ids by name; a context of other JSON (numbers, one
    // id, objects) is read for the ids it holds all the same.
    let entries: Vec<(&str, Vec<String>)> = match context {
        ErrorContext::Map(map) => map.iter().map(|(k, v)| (k.as_str(), v.clone())).collect(),
        ErrorContext::Other(Value::Object(object)) => object
            .iter()
            .map(|(k, v)| (k.as_str(), ids_of(v)))
            .collect(),
        _ => return false,
    };
    entries.iter().any(|(field, values)| {
        let candidates: Vec<&String> = if names.from.contains(field) {
            keys.from.iter().collect()
        } else if names.to.contains(field) {
            keys.to.iter().collect()
        } else {
            keys.from
                .iter()
                .chain(&keys.to)
                .chain(&keys.other)
                .collect()
        };
        values.iter().any(|value| candidates.contains(&value))
    })
}

/// What an answer says of each input of the request that carried it.
fn attribute<I: Keyed, R: Clone>(
    inputs: Vec<I>,
    reply: Reply<R>,
    context: &ContextNames,
) -> BulkOutcome<I, R> {
    let errors: Vec<InputError> = reply.errors.iter().map(InputError::from_json).collect();
    let keys: Vec<Keys> = inputs.iter().map(Keyed::keys).collect();
    let named_by = |input: &Keys, error: &InputError| {
        error
            .context
            .as_ref()
            .is_some_and(|c| names(c, input, context))
    };
    let unattributed = errors
        .iter()
        .find(|error| !keys.iter().any(|input| named_by(input, error)));
    // Results that name their records confirm the inputs with the same records.
    let mut results: HashMap<(String, String), R> = HashMap::new();
    for (found, result) in reply.results {
        if let Some((from, to)) = found.pair() {
            results
                .entry((from.to_owned(), to.to_owned()))
                .or_insert(result);
        }
    }
    let confirming = |key: &Keys| -> Option<&R> {
        let (from, to) = key.pair()?;
        results
            .get(&(from.to_owned(), to.to_owned()))
            .or_else(|| results.get(&(from.to_owned(), String::new())))
    };
    // An input that nothing confirms fails with the likeliest reason: a result that did not
    // decode, then an error naming no input.
    let unconfirmed = reply
        .undecodable
        .first()
        .map(|result| InputFailure::Undecodable(Arc::clone(result)))
        .or_else(|| unattributed.map(|error| InputFailure::Unattributed(error.clone())));
    let mut outcome = BulkOutcome::default();
    for (input, key) in inputs.into_iter().zip(&keys) {
        if let Some(error) = errors.iter().find(|error| named_by(key, error)) {
            outcome
                .failed
                .push(failed_input(input, InputFailure::Rejected(error.clone())));
            continue;
        }
        let confirmable = reply.keyed && key.pair().is_some();
        let result = confirmable.then(|| confirming(key)).flatten();
        match (result, &unconfirmed) {
            (Some(result), _) => outcome.succeeded.push(Succeeded {
                input,
                result: Some(result.clone()),
            }),
            (None, Some(failure)) => outcome.failed.push(failed_input(input, failure.clone())),
            (None, None) if confirmable => outcome
                .failed
                .push(failed_input(input, InputFailure::Unconfirmed)),
            (None, None) => outcome.succeeded.push(Succeeded {
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
        error.http_status().map(|s| s.as_u16()),
        Some(400 | 404 | 409 | 422)
    )
}

/// What tells one refusal from another across requests: HubSpot's status, category and
/// message.
type Refusal = (u16, Option<String>, Option<String>);

fn refusal(error: &Error) -> Option<Refusal> {
    match error {
        Error::Api(api) => Some((
            api.status.as_u16(),
            api.category.clone(),
            api.message.clone(),
        )),
        _ => None,
    }
}

/// The refusals a run has seen concern requests as a whole (both halves of a split refused
/// alike): a request refused so again fails whole, unsplit, since splitting cannot help. One
/// request's halves are probed at a time, so that requests refused at once learn from the
/// first probe instead of each probing.
#[derive(Clone, Default)]
pub(crate) struct WholeRefusals {
    /// Refusals whose halves were refused alike: they concern whole requests.
    known: Arc<std::sync::Mutex<HashSet<Refusal>>>,
    /// Refusals whose halves were not: splitting finds their inputs, and needs no probe lock.
    partial: Arc<std::sync::Mutex<HashSet<Refusal>>>,
    probe: Arc<tokio::sync::Mutex<()>>,
}

impl WholeRefusals {
    fn set(
        set: &std::sync::Mutex<HashSet<Refusal>>,
    ) -> std::sync::MutexGuard<'_, HashSet<Refusal>> {
        set.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn knows(&self, refusal: &Refusal) -> bool {
        Self::set(&self.known).contains(refusal)
    }

    fn learn(&self, refusal: Refusal) {
        Self::set(&self.known).insert(refusal);
    }

    fn seen_partial(&self, refusal: &Refusal) -> bool {
        Self::set(&self.partial).contains(refusal)
    }

    fn partial(&self, refusal: Refusal) {
        Self::set(&self.partial).insert(refusal);
    }
}

/// A part of a request still to settle: to send, or already refused with its error.
enum Part<I> {
    Send(Vec<I>),
    Refused(Vec<I>, Error),
}

/// Sends one request's inputs, and while HubSpot refuses a part for its contents, splits only
/// while splitting can help: the inputs the refusal names fail and the rest is sent once more;
/// else the part is sent in halves, and halves refused alike fail whole (and the run learns
/// that refusal concerns whole requests, see [`WholeRefusals`]). A refusal of another kind
/// (401, 403, a 5xx after retries) fails the part unsplit.
async fn settle<I, R, F, Fut>(
    inputs: Vec<I>,
    split: bool,
    context: &ContextNames,
    whole: &WholeRefusals,
    send: F,
) -> BulkOutcome<I, R>
where
    I: Keyed + Clone,
    R: Clone,
    F: Fn(Vec<I>) -> Fut,
    Fut: Future<Output = Result<Reply<R>, Error>>,
{
    let mut outcome = BulkOutcome::default();
    let fail = |outcome: &mut BulkOutcome<I, R>, part: Vec<I>, error: Error| {
        outcome.merge(fail_all(part, &InputFailure::Request(Arc::new(error))));
    };
    let mut pending = vec![Part::Send(inputs)];
    while let Some(next) = pending.pop() {
        let (mut part, error) = match next {
            Part::Send(part) => {
                outcome.requests += 1;
                match send(part.clone()).await {
                    Ok(reply) => {
                        outcome.merge(attribute(part, reply, context));
                        continue;
                    }
                    Err(error) => (part, error),
                }
            }
            Part::Refused(part, error) => (part, error),
        };
        if !split || !rejected_as_a_whole(&error) {
            fail(&mut outcome, part, error);
            continue;
        }
        // The inputs the refusal names fail with it; the rest is sent once more.
        if let Error::Api(api) = &error
            && let Some(named) = api.context.as_ref()
        {
            let (rejected, rest): (Vec<I>, Vec<I>) = part
                .into_iter()
                .partition(|input| names(named, &input.keys(), context));
            if !rejected.is_empty() {
                outcome.merge(fail_all(
                    rejected,
                    &InputFailure::Rejected(InputError::from(api.as_ref())),
                ));
                if !rest.is_empty() {
                    pending.push(Part::Send(rest));
                }
                continue;
            }
            part = rest;
        }
        let signature = refusal(&error);
        if part.len() < 2 || signature.as_ref().is_some_and(|r| whole.knows(r)) {
            fail(&mut outcome, part, error);
            continue;
        }
        // Both halves sent. Halves refused alike are taken to be refused for the request, not
        // for some inputs: it fails whole (two bad inputs, one in each half, that HubSpot
        // refuses in the same words look the same, and fail with it). Only the first probe of
        // a refusal waits for others', so that requests refused at once learn from one probe.
        let probing = match &signature {
            Some(r) if !whole.seen_partial(r) => Some(whole.probe.lock().await),
            _ => None,
        };
        if signature.as_ref().is_some_and(|r| whole.knows(r)) {
            fail(&mut outcome, part, error);
            continue;
        }
        let second = part.split_off(part.len() / 2);
        outcome.requests += 2;
        let (first_answer, second_answer) =
            futures_util::future::join(send(part.clone()), send(second.clone())).await;
        let alike = match (&first_answer, &second_answer) {
            (Err(a), Err(b)) => refusal(a).filter(|a| Some(a) == refusal(b).as_ref()),
            _ => None,
        };
        match alike {
            Some(alike) => {
                whole.learn(alike);
                drop(probing);
                for (half, answer) in [(part, first_answer), (second, second_answer)] {
                    if let Err(error) = answer {
                        fail(&mut outcome, half, error);
                    }
                }
            }
            None => {
                if let Some(r) = signature {
                    whole.partial(r);
                }
                drop(probing);
                for (half, answer) in [(part, first_answer), (second, second_answer)] {
                    match answer {
                        Ok(reply) => outcome.merge(attribute(half, reply, context)),
                        Err(error) => pending.push(Part::Refused(half, error)),
                    }
                }
            }
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
    context: &'static ContextNames,
    send: F,
) -> impl Stream<Item = BulkOutcome<I, R>>
where
    I: Keyed + Clone,
    R: Clone,
    F: Fn(Vec<I>) -> Fut + Clone,
    Fut: Future<Output = Result<Reply<R>, Error>>,
{
    let split = options.split_rejected;
    let whole = WholeRefusals::default();
    stream::iter(split_into(inputs, options.inputs_per_request(cap)))
        .map(move |chunk| {
            let whole = whole.clone();
            let send = send.clone();
            async move { settle(chunk, split, context, &whole, send).await }
        })
        .buffer_unordered(options.concurrency.max(1))
}

/// [`read_all`] over any number of ids, as a stream: the ids are drawn as many at a time as the
/// requests in flight carry, each group read to its last pages, and its outcome yielded before
/// the next group is drawn, so that memory holds one group whatever the number of ids.
pub(crate) fn read_chunks<R, T, P, F, Fut>(
    operation: &'static str,
    ids: impl Iterator<Item = ObjectId>,
    cap: Option<usize>,
    options: BulkOptions,
    context: &'static ContextNames,
    page: P,
    send: F,
) -> impl Stream<Item = BulkOutcome<ObjectId, Vec<T>>>
where
    R: Keyed,
    T: Clone,
    P: Fn(R) -> ReadPage<T> + Clone,
    F: Fn(Vec<ReadInput>) -> Fut + Clone,
    Fut: Future<Output = Result<Answer<R>, Error>>,
{
    let group = options.inputs_per_request(cap) * options.concurrency.max(1);
    stream::unfold(ids, move |mut ids| {
        let (page, send) = (page.clone(), send.clone());
        async move {
            let drawn: Vec<ObjectId> = ids.by_ref().take(group).collect();
            if drawn.is_empty() {
                return None;
            }
            let outcome = read_all(operation, drawn, cap, options, context, page, send).await;
            Some((outcome, ids))
        }
    })
}

/// HubSpot's `subCategory` for a record a batch read finds no associations of: it answers 207
/// with this error for the record rather than an empty result.
pub(crate) const NO_ASSOCIATIONS_FOUND: &str = "crm.associations.NO_ASSOCIATIONS_FOUND";

/// Whether a batch read's failure for a record means that it has no associations: HubSpot
/// named it with [`NO_ASSOCIATIONS_FOUND`], or left it out of a complete answer.
fn has_no_associations(failure: &InputFailure) -> bool {
    match failure {
        InputFailure::Rejected(error) => {
            error.sub_category.as_deref() == Some(NO_ASSOCIATIONS_FOUND)
        }
        InputFailure::Unconfirmed => true,
        _ => false,
    }
}

/// A record to read, from its first page or from a cursor.
#[derive(Clone, Debug)]
pub(crate) struct ReadInput {
    pub id: ObjectId,
    pub after: Option<String>,
}

impl Keyed for ObjectId {
    fn keys(&self) -> Keys {
        Keys::default().from([self])
    }
}

impl Keyed for ReadInput {
    fn keys(&self) -> Keys {
        Keys::default().from([&self.id])
    }
}

/// One record's page of a paged batch read: the record, its items, and the cursor of its
/// next page.
#[derive(Clone, Debug)]
pub(crate) struct ReadPage<T> {
    pub id: ObjectId,
    pub items: Vec<T>,
    pub next: Option<String>,
}

/// Reads every page of every record: each record is asked again with its own cursor until it
/// has no next page, in requests of at most `cap` records. `page` reads a result of the answer
/// (type `R`) as a record's page.
pub(crate) async fn read_all<R, T, P, F, Fut>(
    operation: &'static str,
    ids: Vec<ObjectId>,
    cap: Option<usize>,
    options: BulkOptions,
    context: &'static ContextNames,
    page: P,
    send: F,
) -> BulkOutcome<ObjectId, Vec<T>>
where
    R: Keyed,
    T: Clone,
    P: Fn(R) -> ReadPage<T> + Clone,
    F: Fn(Vec<ReadInput>) -> Fut + Clone,
    Fut: Future<Output = Result<Answer<R>, Error>>,
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
            let (send, page) = (send.clone(), page.clone());
            async move { Ok(Reply::keyed_as(send(inputs).await?, page)) }
        };
        let rounds: Vec<BulkOutcome<ReadInput, ReadPage<T>>> = chunks(
            std::mem::take(&mut pending),
            cap,
            options,
            context,
            send_pages,
        )
        .collect()
        .await;
        for round in rounds {
            outcome.requests += round.requests;
            for failure in round.failed {
                if has_no_associations(&failure.failure) {
                    // An empty set, not a failure: the record is in `ids` and not in `failed`.
                    continue;
                }
                failed.insert(failure.input.id.clone());
                outcome
                    .failed
                    .push(failed_input(failure.input.id, failure.failure));
            }
            for success in round.succeeded {
                let Some(page) = success.result else { continue };
                found.entry(page.id.clone()).or_default().extend(page.items);
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
                    let failure = InputFailure::Request(Arc::new(Error::InvalidResponse {
                        operation,
                        message,
                    }));
                    outcome.failed.push(failed_input(page.id, failure));
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

    #[test]
    fn a_failed_input_prints_the_records_it_names_and_why() {
        let failed = failed_input(ObjectId::from("29851"), InputFailure::Unconfirmed);
        assert_eq!(
            failed.to_string(),
            "29851: neither confirmed nor named in an error"
        );
        let keys = Keys::default()
            .from([&ObjectId::from("1")])
            .to([&ObjectId::from("2"), &ObjectId::from("3")])
            .other([279]);
        assert_eq!(keys.to_string(), "1 -> 2, 3 (type 279)");
        assert_eq!(Keys::default().to_string(), "an input naming no record");
    }
    use serde_json::json;

    #[test]
    fn chunks_respect_the_cap_and_the_option() {
        assert_eq!(BulkOptions::default().inputs_per_request(Some(2000)), 2000);
        assert_eq!(
            BulkOptions::default().inputs_per_request(None),
            DEFAULT_CHUNK
        );
        assert_eq!(
            BulkOptions::default()
                .chunk_size(5000)
                .inputs_per_request(Some(1000)),
            1000
        );
        assert_eq!(
            BulkOptions::default()
                .chunk_size(10)
                .inputs_per_request(None),
            10
        );
        let parts: Vec<Vec<u32>> = split_into(0..7, 3).collect();
        assert_eq!(parts, [vec![0, 1, 2], vec![3, 4, 5], vec![6]]);
        let large: Vec<Vec<u64>> = split_into(0..100_000, 2_000).collect();
        assert!(
            large.iter().all(|chunk| chunk.capacity() <= 2_000),
            "a chunk kept the input's capacity"
        );
    }

    /// The names the engine is given by a version whose types name records `from`/`to` and
    /// `fromObjectId`/`toObjectId`.
    const CONTEXT: ContextNames = ContextNames {
        from: &["from", "fromObjectId", "id"],
        to: &["to", "toObjectId"],
    };

    /// An input or result of a pair of records, as the generated `Keyed` impls read them.
    #[derive(Clone, Debug, PartialEq, serde::Deserialize)]
    struct Pair {
        from: ObjectId,
        to: ObjectId,
    }

    impl Keyed for Pair {
        fn keys(&self) -> Keys {
            Keys::default().from([&self.from]).to([&self.to])
        }
    }

    fn pair(from: &str, to: &str) -> Pair {
        Pair {
            from: from.into(),
            to: to.into(),
        }
    }

    fn answer<R: DeserializeOwned>(body: serde_json::Value) -> Answer<R> {
        serde_json::from_value(body).unwrap()
    }

    #[test]
    fn errors_are_matched_to_the_inputs_they_name() {
        let inputs = vec![pair("1", "10"), pair("2", "20"), pair("3", "30")];
        let reply = Reply::keyed(answer::<Pair>(json!({
            "results": [{"from": 1, "to": "10"}],
            "errors": [
                {"category": "VALIDATION_ERROR", "message": "no contact 2", "context": {"fromObjectId": ["2"]}},
                {"category": "VALIDATION_ERROR", "message": "no company 30", "context": {"toObjectId": ["30"]}},
            ],
        })));
        let outcome = attribute(inputs, reply, &CONTEXT);
        assert_eq!(outcome.succeeded.len(), 1);
        assert_eq!(outcome.succeeded[0].input, pair("1", "10"));
        assert_eq!(outcome.succeeded[0].result, Some(pair("1", "10")));
        let failed: Vec<(String, String)> = outcome
            .failed
            .iter()
            .map(|f| (f.input.from.to_string(), f.failure.to_string()))
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
        let reply: Reply<Value> = Reply::acknowledged(answer(json!({
            "results": [],
            "errors": [{"message": "x", "context": {"fromObjectId": ["8"]}}],
        })));
        let outcome = attribute(inputs, reply, &CONTEXT);
        assert_eq!(outcome.failed.len(), 1);
        assert_eq!(outcome.failed[0].input, pair("8", "9"));
        assert_eq!(
            outcome.succeeded[0].input,
            pair("7", "8"),
            "its to-id 8 is not a from-id"
        );
    }

    #[test]
    fn answers_without_results_confirm_every_input_not_named() {
        let outcome = attribute::<_, Value>(
            vec![pair("1", "2"), pair("3", "4")],
            Reply::empty(),
            &CONTEXT,
        );
        assert_eq!((outcome.succeeded.len(), outcome.failed.len()), (2, 0));
        let reply: Reply<Value> = Reply::acknowledged(answer(
            json!({"errors": [{"message": "something went wrong"}]}),
        ));
        let outcome = attribute(vec![pair("1", "2")], reply, &CONTEXT);
        assert!(matches!(
            outcome.failed[0].failure,
            InputFailure::Unattributed(_)
        ));
    }

    #[test]
    fn an_answer_of_records_that_names_none_confirms_nothing() {
        let reply = Reply::keyed(answer::<Pair>(json!({"results": []})));
        let outcome = attribute(vec![pair("1", "2")], reply, &CONTEXT);
        assert!(outcome.succeeded.is_empty());
        assert!(matches!(
            outcome.failed[0].failure,
            InputFailure::Unconfirmed
        ));
    }

    #[test]
    fn a_context_of_numbers_still_names_its_input() {
        let reply = Reply::keyed(answer::<Pair>(json!({
            "results": [],
            "errors": [{"message": "no contact 1", "context": {"fromObjectId": [1], "id": 999}}],
        })));
        let outcome = attribute(vec![pair("1", "2")], reply, &CONTEXT);
        assert!(matches!(
            outcome.failed[0].failure,
            InputFailure::Rejected(_)
        ));
    }

    #[test]
    fn results_that_do_not_mention_an_input_leave_it_unconfirmed() {
        let reply = Reply::keyed(answer::<Pair>(
            json!({"results": [{"from": "1", "to": "2"}]}),
        ));
        let outcome = attribute(vec![pair("1", "2"), pair("5", "6")], reply, &CONTEXT);
        assert_eq!(outcome.succeeded.len(), 1);
        assert!(matches!(
            outcome.failed[0].failure,
            InputFailure::Unconfirmed
        ));
    }

    #[test]
    fn a_result_that_does_not_decode_fails_the_inputs_nothing_confirms_with_an_excerpt() {
        let long = "x".repeat(2 * UndecodableResult::EXCERPT);
        let reply = Reply::keyed(answer::<Pair>(json!({
            "results": [{"from": "1", "to": "2"}, {"from": {"nested": long}, "to": "4"}],
        })));
        let outcome = attribute(vec![pair("1", "2"), pair("3", "4")], reply, &CONTEXT);
        assert_eq!(
            outcome.succeeded.len(),
            1,
            "the result that decoded confirms its input"
        );
        let InputFailure::Undecodable(result) = &outcome.failed[0].failure else {
            panic!("{:?}", outcome.failed[0].failure);
        };
        assert_eq!(outcome.failed[0].input, pair("3", "4"));
        assert!(
            result.excerpt.starts_with(r#"{"from":{"nested":"xxx"#),
            "{}",
            result.excerpt
        );
        assert!(result.excerpt.len() <= UndecodableResult::EXCERPT + 3);
        assert!(
            outcome.failed[0]
                .failure
                .to_string()
                .contains("does not decode")
        );
    }

    #[test]
    fn errors_that_are_not_a_list_are_kept_as_one_error() {
        let reply = Reply::keyed(answer::<Pair>(
            json!({"results": [], "errors": "the batch failed"}),
        ));
        let outcome = attribute(vec![pair("1", "2")], reply, &CONTEXT);
        assert!(matches!(
            outcome.failed[0].failure,
            InputFailure::Unattributed(_)
        ));
    }
}
