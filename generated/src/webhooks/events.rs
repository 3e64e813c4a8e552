//! The events of a webhook request, decoded one by one.

use std::fmt;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::{AssociationCategory, ObjectId, ObjectType, association_types};

/// The subscription type of the generic association change, for any object type.
pub const GENERIC_ASSOCIATION_CHANGE: &str = "object.associationChange";
/// The suffix of the association change subscriptions of one object type
/// (`contact.associationChange`).
const ASSOCIATION_CHANGE_SUFFIX: &str = ".associationChange";

/// One event of a webhook request.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// HubSpot's id of the event. Not unique: deduplicate on what the event says (see the
    /// [module docs](super)).
    pub event_id: u64,
    /// The subscription that produced it.
    pub subscription_id: Option<u64>,
    /// The account (HubSpot calls it a portal).
    pub portal_id: u64,
    /// The app the subscription belongs to.
    pub app_id: Option<u64>,
    /// When the change happened, to the millisecond. Requests arrive in no particular order:
    /// order events by this.
    pub occurred_at: DateTime<Utc>,
    /// The subscription type: `contact.associationChange`, `object.associationChange`,
    /// `contact.creation`...
    pub subscription_type: String,
    /// How many times HubSpot tried to deliver it before, from 0.
    pub attempt_number: u32,
    /// What made the change (`CRM_UI`, `INTEGRATION`, `API`...), when HubSpot says.
    pub change_source: Option<String>,
    /// Who or what made it (a user id, an app id), when HubSpot says.
    pub source_id: Option<String>,
    /// What changed.
    pub change: Change,
    /// The fields this crate does not read, as they came.
    pub other_fields: Map<String, Value>,
}

/// What an event says changed.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Change {
    /// An association was created or removed.
    Association(AssociationChange),
    /// Any other subscription type: its fields beyond the common ones are in
    /// [`Event::other_fields`].
    Other,
}

/// An association created or removed, as one side of it sees it: HubSpot sends one event for
/// each side.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssociationChange {
    /// The object type of the record whose side this is.
    pub from_object_type: ObjectType,
    /// The record whose side this is.
    pub from_object_id: ObjectId,
    /// The object type of the other record.
    pub to_object_type: ObjectType,
    /// The other record.
    pub to_object_id: ObjectId,
    /// Whether the association was removed (else created).
    pub removed: bool,
    /// Whether it is the primary association (creating a primary one creates the unlabelled
    /// one too, in an event of its own).
    pub primary: bool,
    /// The association type id. The generic form sends it. The per-object form sends only a
    /// name (`CONTACT_TO_COMPANY`), which does not tell labels apart: for it this is the
    /// HubSpot-defined type HubSpot's table gives that name (the unlabelled type, or with
    /// `primary` the primary one), where the table has one. A program that keeps labels
    /// subscribes to `object.associationChange`, whose id is HubSpot's own.
    pub association_type_id: Option<i32>,
    /// Who defined the association type, when sent (or, for the per-object form, when the
    /// type was found in HubSpot's table).
    pub association_category: Option<AssociationCategory>,
    /// The per-object form's name of the association type, such as `CONTACT_TO_COMPANY`.
    pub association_type: Option<String>,
}

/// An event that could not be decoded: where it is in the request, why, and the event as it
/// came.
#[derive(Clone, Debug, PartialEq)]
pub struct UndecodableEvent {
    /// Its index in the request's array, from 0.
    pub index: usize,
    /// What is wrong with it.
    pub reason: String,
    /// The event as it came.
    pub event: Value,
}

impl fmt::Display for UndecodableEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "event {} of the request: {}", self.index, self.reason)
    }
}

impl std::error::Error for UndecodableEvent {}

/// Why a request's body is not a list of events at all.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BodyError {
    /// The body is larger than read.
    #[error("the body has {size} bytes, more than the {max} read")]
    TooLarge {
        /// Its size.
        size: usize,
        /// The most read.
        max: usize,
    },
    /// The body is not a JSON array.
    #[error("the body is not a JSON array of events: {reason}")]
    NotAnArray {
        /// What the parser said.
        reason: String,
    },
}

/// The events of a request, in the order they came: those decoded, and beside them those
/// that could not be.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Events {
    /// The events decoded.
    pub events: Vec<Event>,
    /// The events that could not be decoded; the others are in `events` all the same.
    pub undecodable: Vec<UndecodableEvent>,
}

impl Events {
    /// The association changes among the events, with the events they came in.
    pub fn association_changes(&self) -> impl Iterator<Item = (&Event, &AssociationChange)> {
        self.events.iter().filter_map(|event| match &event.change {
            Change::Association(change) => Some((event, change)),
            Change::Other => None,
        })
    }
}

/// Decodes a request's body, event by event, reading at most `max_body` bytes.
pub fn decode(body: &[u8], max_body: usize) -> Result<Events, BodyError> {
    if body.len() > max_body {
        return Err(BodyError::TooLarge {
            size: body.len(),
            max: max_body,
        });
    }
    let items: Vec<Value> = serde_json::from_slice(body).map_err(|e| BodyError::NotAnArray {
        reason: e.to_string(),
    })?;
    let mut events = Events::default();
    for (index, item) in items.into_iter().enumerate() {
        let fields = match item {
            Value::Object(fields) => fields,
            other => {
                events.undecodable.push(UndecodableEvent {
                    index,
                    reason: "not a JSON object".to_owned(),
                    event: other,
                });
                continue;
            }
        };
        match decode_event(fields) {
            Ok(event) => events.events.push(event),
            Err((reason, fields)) => events.undecodable.push(UndecodableEvent {
                index,
                reason,
                event: Value::Object(fields),
            }),
        }
    }
    Ok(events)
}

/// The fields of one event, read in place; the names read are noted, so that on success what
/// is left over is kept, and on failure the event is kept whole.
struct Fields {
    fields: Map<String, Value>,
    read: Vec<&'static str>,
}

impl Fields {
    fn get(&mut self, name: &'static str) -> Option<&Value> {
        self.read.push(name);
        self.fields.get(name).filter(|value| !value.is_null())
    }

    fn required<T>(
        &mut self,
        name: &'static str,
        read: fn(&Value) -> Option<T>,
        expected: &str,
    ) -> Result<T, String> {
        self.optional(name, read, expected)?
            .ok_or_else(|| format!("`{name}` is missing"))
    }

    fn optional<T>(
        &mut self,
        name: &'static str,
        read: fn(&Value) -> Option<T>,
        expected: &str,
    ) -> Result<Option<T>, String> {
        match self.get(name) {
            None => Ok(None),
            Some(value) => match read(value) {
                Some(read) => Ok(Some(read)),
                None => Err(format!("`{name}` is {value}, not {expected}")),
            },
        }
    }

    /// The fields not read.
    fn rest(mut self) -> Map<String, Value> {
        for name in &self.read {
            self.fields.remove(*name);
        }
        self.fields
    }
}

/// An integer, as a JSON number or a string of digits.
fn integer(value: &Value) -> Option<u64> {
    match value {
        Value::Number(number) => number.as_u64(),
        Value::String(text) => text.parse().ok(),
        _ => None,
    }
}

fn small_integer(value: &Value) -> Option<u32> {
    integer(value).and_then(|n| u32::try_from(n).ok())
}

fn type_id(value: &Value) -> Option<i32> {
    match value {
        Value::Number(number) => number.as_i64().and_then(|n| i32::try_from(n).ok()),
        Value::String(text) => text.parse().ok(),
        _ => None,
    }
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

fn record_id(value: &Value) -> Option<ObjectId> {
    integer(value).map(ObjectId::from)
}

fn boolean(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(flag) => Some(*flag),
        Value::String(text) if text == "true" => Some(true),
        Value::String(text) if text == "false" => Some(false),
        _ => None,
    }
}

const ID: &str = "an integer";
const TEXT: &str = "a string";

fn decode_event(fields: Map<String, Value>) -> Result<Event, (String, Map<String, Value>)> {
    let mut fields = Fields {
        fields,
        read: Vec::new(),
    };
    let read = |fields: &mut Fields| -> Result<Event, String> {
        let occurred_at = fields.required("occurredAt", integer, "a time in milliseconds")?;
        let occurred_at = i64::try_from(occurred_at)
            .ok()
            .and_then(DateTime::from_timestamp_millis)
            .ok_or_else(|| format!("`occurredAt` {occurred_at} is not a time"))?;
        // HubSpot's older guide calls it `eventType`.
        let subscription_type = match fields.optional("subscriptionType", text, TEXT)? {
            Some(subscription_type) => subscription_type,
            None => fields.required("eventType", text, TEXT)?,
        };
        let mut event = Event {
            event_id: fields.required("eventId", integer, ID)?,
            subscription_id: fields.optional("subscriptionId", integer, ID)?,
            portal_id: fields.required("portalId", integer, ID)?,
            app_id: fields.optional("appId", integer, ID)?,
            occurred_at,
            attempt_number: fields
                .optional("attemptNumber", small_integer, "a count")?
                .unwrap_or(0),
            change_source: fields.optional("changeSource", text, TEXT)?,
            source_id: fields.optional("sourceId", text, TEXT)?,
            change: Change::Other,
            other_fields: Map::new(),
            subscription_type,
        };
        if let Some(object) = event
            .subscription_type
            .strip_suffix(ASSOCIATION_CHANGE_SUFFIX)
        {
            let change = match event.subscription_type == GENERIC_ASSOCIATION_CHANGE {
                true => generic_change(fields)?,
                false => per_object_change(fields, object)?,
            };
            event.change = Change::Association(change);
        }
        Ok(event)
    };
    match read(&mut fields) {
        Ok(mut event) => {
            event.other_fields = fields.rest();
            Ok(event)
        }
        Err(reason) => Err((reason, fields.fields)),
    }
}

/// The fields both forms of an association change share.
fn association_change(
    fields: &mut Fields,
    from_object_type: ObjectType,
    to_object_type: ObjectType,
) -> Result<AssociationChange, String> {
    Ok(AssociationChange {
        from_object_type,
        from_object_id: fields.required("fromObjectId", record_id, ID)?,
        to_object_type,
        to_object_id: fields.required("toObjectId", record_id, ID)?,
        removed: fields.required("associationRemoved", boolean, "true or false")?,
        primary: fields
            .optional("isPrimaryAssociation", boolean, "true or false")?
            .unwrap_or(false),
        association_type_id: None,
        association_category: None,
        association_type: None,
    })
}

/// `object.associationChange`: object types by id, with the association type.
fn generic_change(fields: &mut Fields) -> Result<AssociationChange, String> {
    let from = fields.required("fromObjectTypeId", text, TEXT)?;
    let to = fields.required("toObjectTypeId", text, TEXT)?;
    let mut change = association_change(
        fields,
        ObjectType::from_type_id(&from),
        ObjectType::from_type_id(&to),
    )?;
    change.association_type_id =
        fields.optional("associationTypeId", type_id, "an association type id")?;
    change.association_category = fields
        .optional("associationCategory", text, TEXT)?
        .map(AssociationCategory::from);
    change.association_type = fields.optional("associationType", text, TEXT)?;
    Ok(change)
}

/// `contact.associationChange` and its kin: the object types in `associationType`
/// (`CONTACT_TO_COMPANY`), the type id looked up in HubSpot's table.
fn per_object_change(fields: &mut Fields, object: &str) -> Result<AssociationChange, String> {
    let name = fields.required("associationType", text, TEXT)?;
    let (from, to) = name
        .split_once("_TO_")
        .map(|(from, to)| (from.to_ascii_lowercase(), to.to_ascii_lowercase()))
        .ok_or_else(|| format!("`associationType` {name:?} does not name two object types"))?;
    let from = object_named(&from).or_else(|| object_named(object));
    let to = object_named(&to);
    let (Some(from), Some(to)) = (from, to) else {
        return Err(format!(
            "`associationType` {name:?} names an object type this crate does not know"
        ));
    };
    let mut change = association_change(fields, plural(from), plural(to))?;
    change.association_type_id = hubspot_defined_type(from, to, change.primary, &name);
    change.association_category = change
        .association_type_id
        .map(|_| AssociationCategory::HubspotDefined);
    change.association_type = Some(name);
    Ok(change)
}

/// The table's singular name of the object a side of `associationType` names (`line_item`).
fn object_named(side: &str) -> Option<&'static str> {
    association_types::OBJECTS
        .iter()
        .copied()
        .find(|object| *object == side)
}

/// The object type paths use for an object of HubSpot's table (`contact` -> `contacts`).
fn plural(object: &str) -> ObjectType {
    ObjectType::from(association_types::plural(object))
}

/// The HubSpot-defined type a per-object event means: for a primary association, the table's
/// one primary type between the two objects; else the type whose label in HubSpot's table
/// spells the event's `associationType` (`Contact to company`). `None` where the table has no
/// such type (the event then names it only by `associationType`).
fn hubspot_defined_type(from: &str, to: &str, primary: bool, name: &str) -> Option<i32> {
    let mut between = association_types::ALL
        .iter()
        .filter(|kind| kind.from == from && kind.to == to);
    let spelled = |kind: &&association_types::AssociationType| {
        kind.label.replace(' ', "_").eq_ignore_ascii_case(name)
    };
    let primary_type = |kind: &&association_types::AssociationType| {
        kind.label.to_ascii_lowercase().contains("primary")
    };
    if primary {
        let mut primaries = between.filter(primary_type);
        return match (primaries.next(), primaries.next()) {
            (Some(only), None) => Some(only.id),
            _ => None,
        };
    }
    between.find(spelled).map(|kind| kind.id)
}
