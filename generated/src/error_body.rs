//! Error bodies, read leniently: HubSpot says to treat every field as optional, and its
//! documented bodies disagree on shapes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Details of an error, by name.
///
/// Usually a map of lists, such as `{"missingScopes": ["crm.objects.contacts.read"]}`; some
/// responses send an empty object, or the same details flattened into one string such as
/// `"{missingScopes=[scope1, scope2]}"`; anything else is kept as JSON.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ErrorContext {
    /// Named lists of values.
    Map(BTreeMap<String, Vec<String>>),
    /// The details as one string.
    Text(String),
    /// Any other JSON.
    Other(Value),
}

impl ErrorContext {
    /// The values under `name`, when the context is a map that has it.
    pub fn get(&self, name: &str) -> Option<&[String]> {
        match self {
            Self::Map(map) => map.get(name).map(Vec::as_slice),
            _ => None,
        }
    }

    /// Every value of the map, whatever its name (empty for other shapes).
    pub fn values(&self) -> impl Iterator<Item = &str> {
        let map = match self {
            Self::Map(map) => Some(map),
            _ => None,
        };
        map.into_iter()
            .flat_map(|map| map.values().flatten().map(String::as_str))
    }
}

/// The fields of an error body that a program acts on. Both documented shapes are read: the
/// `Error` schema (`category`, `subCategory`, `message`, `correlationId`, `context`) and the
/// rate-limit body (`status`, `message`, `errorType`, `correlationId`, `policyName`,
/// `requestId`). A field of an unexpected type is ignored, not an error.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct ErrorFields {
    pub category: Option<String>,
    pub sub_category: Option<String>,
    pub message: Option<String>,
    pub correlation_id: Option<String>,
    pub policy_name: Option<String>,
    pub error_type: Option<String>,
    pub request_id: Option<String>,
    pub context: Option<ErrorContext>,
}

impl ErrorFields {
    /// Reads what it can; a body that is not a JSON object gives no fields.
    pub fn parse(body: &[u8]) -> Self {
        serde_json::from_slice::<Value>(body)
            .map_or_else(|_| Self::default(), |value| Self::from_json(&value))
    }

    /// Reads what it can of an error already decoded as JSON (such as a batch's `errors`); an
    /// error that is only text is its message.
    pub fn from_json(value: &Value) -> Self {
        let map = match value {
            Value::Object(map) => map,
            Value::String(text) if !text.is_empty() => {
                return Self {
                    message: Some(text.clone()),
                    ..Self::default()
                };
            }
            _ => return Self::default(),
        };
        let text = |name: &str| match map.get(name) {
            Some(Value::String(text)) if !text.is_empty() => Some(text.clone()),
            _ => None,
        };
        Self {
            category: text("category"),
            sub_category: text("subCategory"),
            message: text("message"),
            correlation_id: text("correlationId"),
            policy_name: text("policyName"),
            error_type: text("errorType"),
            request_id: text("requestId"),
            context: map
                .get("context")
                .and_then(|context| serde_json::from_value(context.clone()).ok()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_takes_every_documented_shape() {
        let map: ErrorContext = serde_json::from_str(r#"{"ids":["1","2"]}"#).unwrap();
        assert_eq!(map.get("ids"), Some(&["1".to_owned(), "2".to_owned()][..]));
        assert_eq!(map.values().collect::<Vec<_>>(), ["1", "2"]);
        let empty: ErrorContext = serde_json::from_str("{}").unwrap();
        assert_eq!(empty, ErrorContext::Map(BTreeMap::new()));
        let text: ErrorContext =
            serde_json::from_str(r#""{missingScopes=[scope1, scope2]}""#).unwrap();
        assert_eq!(
            text,
            ErrorContext::Text("{missingScopes=[scope1, scope2]}".into())
        );
        let other: ErrorContext = serde_json::from_str(r#"{"ids":"1"}"#).unwrap();
        assert!(matches!(other, ErrorContext::Other(_)));
        for context in [map, empty, text, other] {
            let again: ErrorContext =
                serde_json::from_str(&serde_json::to_string(&context).unwrap()).unwrap();
            assert_eq!(again, context);
        }
    }

    #[test]
    fn both_error_shapes_are_read_and_junk_gives_nothing() {
        let api = ErrorFields::parse(
            br#"{"status":"error","category":"VALIDATION_ERROR","subCategory":{},"message":"bad","correlationId":"c-1","context":{"ids":["7"]}}"#,
        );
        assert_eq!(api.category.as_deref(), Some("VALIDATION_ERROR"));
        assert_eq!(
            api.sub_category, None,
            "a subCategory that is not a string is ignored"
        );
        assert_eq!(api.context.unwrap().get("ids").unwrap(), ["7"]);
        let limited = ErrorFields::parse(
            br#"{"status":"error","message":"You have reached your daily limit.","errorType":"RATE_LIMIT","correlationId":"c-2","policyName":"DAILY","requestId":"r-1"}"#,
        );
        assert_eq!(limited.policy_name.as_deref(), Some("DAILY"));
        assert_eq!(limited.error_type.as_deref(), Some("RATE_LIMIT"));
        assert_eq!(limited.request_id.as_deref(), Some("r-1"));
        assert_eq!(
            ErrorFields::parse(b"<html>502</html>"),
            ErrorFields::default()
        );
        assert_eq!(ErrorFields::parse(b""), ErrorFields::default());
    }
}
