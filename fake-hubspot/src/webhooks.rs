//! Webhooks as HubSpot sends them: every association created or removed becomes an event for
//! each side, batched up to 100 per request, signed v3, and sent again with backoff when the
//! receiver fails, is unreachable or is slow.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hubspot_associations::ObjectType;
use hubspot_associations::association_types::{self, AssociationType};
use hubspot_associations::webhooks::{SIGNATURE_V3_HEADER, TIMESTAMP_HEADER, sign_v3};
use serde_json::{Value, json};
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;

use crate::Shared;
use crate::store::{Association, Change, TypeId};

/// The most events HubSpot puts in one request.
pub const MAX_EVENTS_PER_REQUEST: usize = 100;
/// The objects with a subscription type of their own (`contact.associationChange`).
const PER_OBJECT_SUBSCRIPTIONS: [&str; 5] = ["contact", "company", "deal", "ticket", "line_item"];
/// The objects whose changes with each other the per-object form names, and the one other
/// pair it names (`DEAL_TO_LINE_ITEM`, `LINE_ITEM_TO_DEAL`): HubSpot documents 18
/// `associationType`s. Other pairs, and labels (which the per-object form cannot tell apart),
/// come as `object.associationChange`.
const PER_OBJECT_CORE: [&str; 4] = ["contact", "company", "deal", "ticket"];
/// The longest wait between two attempts.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(3 * 60 * 60);

/// Where and how the fake sends webhooks.
///
/// Delivery runs on tokio's timers (the timeout, the waits between attempts): with webhooks,
/// give the fake a runtime whose clock is not paused.
#[derive(Clone)]
pub struct WebhookConfig {
    /// The receiver's URL, as an app's webhook settings give it.
    pub url: String,
    /// The app's client secret, which signs each request.
    pub client_secret: String,
    /// The app's id, in each event's `appId`.
    pub app_id: u64,
    /// The account's id, in each event's `portalId`.
    pub portal_id: u64,
    /// An answer slower than this is a failed attempt, as at HubSpot (5 seconds).
    pub timeout: Duration,
    /// The wait before the first retry; each next one waits twice as long (up to 3 hours).
    pub retry_delay: Duration,
    /// How many times a failed request is sent again (10 at HubSpot).
    pub max_retries: u32,
    /// The most requests in flight at once (10 at HubSpot).
    pub concurrency: usize,
}

impl std::fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("url", &self.url)
            .field("client_secret", &"<redacted>")
            .field("app_id", &self.app_id)
            .field("portal_id", &self.portal_id)
            .field("timeout", &self.timeout)
            .field("retry_delay", &self.retry_delay)
            .field("max_retries", &self.max_retries)
            .field("concurrency", &self.concurrency)
            .finish()
    }
}

impl WebhookConfig {
    /// Webhooks to `url`, signed with `client_secret`, with HubSpot's timeout, retries and
    /// concurrency, and a first retry after a minute.
    pub fn new(url: impl Into<String>, client_secret: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            client_secret: client_secret.into(),
            app_id: 54321,
            portal_id: crate::PORTAL_ID,
            timeout: Duration::from_secs(5),
            retry_delay: Duration::from_secs(60),
            max_retries: 10,
            concurrency: 10,
        }
    }
}

/// Starts sending on the current runtime: changes go in the channel, signed requests go out.
/// Aborting the task stops every request and retry in flight.
pub(crate) fn start(
    config: WebhookConfig,
    shared: Shared,
) -> (
    mpsc::UnboundedSender<Vec<Change>>,
    tokio::task::JoinHandle<()>,
) {
    let (changes, received) = mpsc::unbounded_channel();
    (changes, tokio::spawn(deliver(config, shared, received)))
}

/// Takes changes as they come, and sends their events in requests of up to 100, at most
/// `concurrency` requests at once.
async fn deliver(
    config: WebhookConfig,
    shared: Shared,
    mut received: mpsc::UnboundedReceiver<Vec<Change>>,
) {
    let config = Arc::new(config);
    // The crate's builder: with its `rustls` feature on, reqwest needs the provider it installs.
    let client = hubspot_associations::http_client_builder()
        .build()
        .expect("an HTTP client with the default settings builds");
    let slots = Arc::new(Semaphore::new(config.concurrency.max(1)));
    // Dropped with this task, which aborts the requests in flight.
    let mut in_flight = JoinSet::new();
    let mut queued: VecDeque<Value> = VecDeque::new();
    let mut next_event_id = 0u64;
    while let Some(changes) = received.recv().await {
        let mut all = vec![changes];
        while let Ok(more) = received.try_recv() {
            all.push(more);
        }
        for change in all.into_iter().flatten() {
            for mut event in events(&config, &change) {
                next_event_id += 1;
                event["eventId"] = json!(next_event_id);
                queued.push_back(event);
            }
        }
        while !queued.is_empty() {
            let take = queued.len().min(MAX_EVENTS_PER_REQUEST);
            let batch: Vec<Value> = queued.drain(..take).collect();
            while in_flight.try_join_next().is_some() {}
            let (config, client, shared) = (config.clone(), client.clone(), shared.clone());
            let slots = slots.clone();
            in_flight.spawn(async move {
                send_with_retries(&config, &client, &shared, &slots, batch).await;
            });
        }
    }
}

/// Sends one request until the receiver takes it or the retries are spent.
async fn send_with_retries(
    config: &WebhookConfig,
    client: &reqwest::Client,
    shared: &Shared,
    slots: &Semaphore,
    mut events: Vec<Value>,
) {
    let count = events.len() as u64;
    for attempt in 0..=config.max_retries {
        for event in &mut events {
            event["attemptNumber"] = json!(attempt);
        }
        // A slot per attempt, not held while waiting to retry, so that one failing request
        // does not hold up the others.
        let Ok(slot) = slots.acquire().await else {
            return;
        };
        let body = Value::Array(events.clone()).to_string();
        let timestamp = millis(SystemTime::now()).to_string();
        let signature = sign_v3(
            &config.client_secret,
            "POST",
            &config.url,
            body.as_bytes(),
            &timestamp,
        );
        let sent = client
            .post(&config.url)
            .header("content-type", "application/json")
            .header(SIGNATURE_V3_HEADER, signature)
            .header(TIMESTAMP_HEADER, timestamp)
            .timeout(config.timeout)
            .body(body)
            .send()
            .await;
        let taken = sent.is_ok_and(|answer| answer.status().is_success());
        shared.webhook_attempted(taken, count, attempt == config.max_retries);
        drop(slot);
        if taken {
            return;
        }
        if attempt < config.max_retries {
            let backoff = config
                .retry_delay
                .saturating_mul(2u32.saturating_pow(attempt))
                .min(MAX_RETRY_DELAY);
            tokio::time::sleep(backoff).await;
        }
    }
}

fn millis(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_millis() as u64)
}

/// The events of one change: one for each side.
fn events(config: &WebhookConfig, change: &Change) -> [Value; 2] {
    let a = &change.association;
    let reverse = Association {
        from_type: a.to_type.clone(),
        from_id: a.to_id,
        to_type: a.from_type.clone(),
        to_id: a.from_id,
        type_id: inverse_type(a),
    };
    let occurred_at = millis(change.at);
    [a, &reverse].map(|side| event(config, side, change.removed, occurred_at))
}

/// The type of the other side of an association: the default between the two objects the
/// other way, the primary type the other way, or (for labels, which the fake does not pair)
/// the same id.
fn inverse_type(association: &Association) -> TypeId {
    let (from, to) = (&association.from_type, &association.to_type);
    let default = |from: &str, to: &str| association_types::default_type(from, to);
    if default(from, to).is_some_and(|kind| kind.id == association.type_id) {
        return default(to, from).map_or(association.type_id, |kind| kind.id);
    }
    if primary_type(association) {
        return primary_between(to, from).map_or(association.type_id, |kind| kind.id);
    }
    association.type_id
}

/// The HubSpot-defined type of the association, when its id is one HubSpot defines between
/// its two objects (an id alone may be another pair's, or a label's).
fn hubspot_defined(association: &Association) -> Option<AssociationType> {
    let objects = (
        association_types::object(&association.from_type),
        association_types::object(&association.to_type),
    );
    association_types::by_id(association.type_id)
        .filter(|kind| objects == (Some(kind.from), Some(kind.to)))
}

/// Whether the association's type is a primary type HubSpot defines between its objects.
fn primary_type(association: &Association) -> bool {
    hubspot_defined(association).is_some_and(is_primary)
}

fn is_primary(kind: AssociationType) -> bool {
    kind.label.to_ascii_lowercase().contains("primary")
}

/// The one primary type from one object to another, if the table has exactly one.
fn primary_between(from: &str, to: &str) -> Option<AssociationType> {
    let (from, to) = (
        association_types::object(from)?,
        association_types::object(to)?,
    );
    let mut primaries = association_types::ALL
        .iter()
        .filter(|kind| kind.from == from && kind.to == to && is_primary(**kind));
    match (primaries.next(), primaries.next()) {
        (Some(only), None) => Some(*only),
        _ => None,
    }
}

/// One side's event: the per-object form for the pairs of objects HubSpot names in it, with
/// their unlabelled or primary type; else (other pairs, labels) the generic form.
fn event(config: &WebhookConfig, side: &Association, removed: bool, occurred_at: u64) -> Value {
    let from = association_types::object(&side.from_type);
    let to = association_types::object(&side.to_type);
    let primary = primary_type(side);
    let mut event = json!({
        "portalId": config.portal_id,
        "appId": config.app_id,
        "occurredAt": occurred_at,
        "attemptNumber": 0,
        "changeSource": "INTEGRATION",
        "sourceId": config.app_id.to_string(),
        "fromObjectId": side.from_id,
        "toObjectId": side.to_id,
        "associationRemoved": removed,
        "isPrimaryAssociation": primary,
    });
    let default_or_primary = primary
        || association_types::default_type(&side.from_type, &side.to_type)
            .is_some_and(|kind| kind.id == side.type_id);
    match (from, to) {
        (Some(from), Some(to)) if default_or_primary && per_object(from, to) => {
            event["subscriptionType"] = json!(format!("{from}.associationChange"));
            event["subscriptionId"] = json!(subscription_id(from));
            event["associationType"] = json!(format!("{from}_TO_{to}").to_ascii_uppercase());
        }
        _ => {
            let type_id = |name: &str| {
                let object = ObjectType::from(name);
                object
                    .standard_type_id()
                    .map_or_else(|| name.to_owned(), str::to_owned)
            };
            event["subscriptionType"] =
                json!(hubspot_associations::webhooks::GENERIC_ASSOCIATION_CHANGE);
            event["subscriptionId"] = json!(subscription_id("object"));
            event["fromObjectTypeId"] = json!(type_id(&side.from_type));
            event["toObjectTypeId"] = json!(type_id(&side.to_type));
            event["associationTypeId"] = json!(side.type_id);
            event["associationCategory"] = json!(match hubspot_defined(side) {
                Some(_) => AssociationType::CATEGORY,
                None => "USER_DEFINED",
            });
        }
    }
    event
}

/// Whether HubSpot's per-object form names changes between these objects.
fn per_object(from: &str, to: &str) -> bool {
    let core = |object| PER_OBJECT_CORE.contains(&object);
    (core(from) && core(to)) || matches!((from, to), ("deal", "line_item") | ("line_item", "deal"))
}

/// The id of the fake app's first subscription; the others follow.
const FIRST_SUBSCRIPTION_ID: u64 = 12_345;

/// A stable id for each subscription of the fake app.
fn subscription_id(object: &str) -> u64 {
    FIRST_SUBSCRIPTION_ID
        + PER_OBJECT_SUBSCRIPTIONS
            .iter()
            .position(|o| *o == object)
            .map_or(PER_OBJECT_SUBSCRIPTIONS.len(), |at| at) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(from_type: &str, to_type: &str, type_id: TypeId) -> Change {
        Change {
            association: Association {
                from_type: from_type.into(),
                from_id: 1,
                to_type: to_type.into(),
                to_id: 2,
                type_id,
            },
            removed: false,
            at: SystemTime::now(),
        }
    }

    #[test]
    fn each_side_has_its_event_in_the_form_its_objects_have() {
        let config = WebhookConfig::new("http://127.0.0.1:1/", "secret");
        let [contact, company] = events(&config, &change("contacts", "companies", 279));
        assert_eq!(contact["subscriptionType"], "contact.associationChange");
        assert_eq!(contact["associationType"], "CONTACT_TO_COMPANY");
        assert_eq!(company["associationType"], "COMPANY_TO_CONTACT");
        assert_eq!(
            (
                company["fromObjectId"].as_u64(),
                company["toObjectId"].as_u64()
            ),
            (Some(2), Some(1))
        );
        let [primary, other_side] = events(&config, &change("contacts", "companies", 1));
        assert_eq!(primary["isPrimaryAssociation"], true);
        assert_eq!(other_side["isPrimaryAssociation"], true);
        let [note, contact] = events(&config, &change("notes", "contacts", 202));
        assert_eq!(note["subscriptionType"], "object.associationChange");
        assert_eq!(
            (
                note["fromObjectTypeId"].as_str(),
                note["toObjectTypeId"].as_str()
            ),
            (Some("0-46"), Some("0-1"))
        );
        assert_eq!(note["associationCategory"], "HUBSPOT_DEFINED");
        assert_eq!(
            contact["associationTypeId"], 201,
            "the default the other way"
        );
    }
}
