//! The fields of error answers: each decodes whatever JSON it holds, keeping what came.

use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// A field of an error answer: the value, of the type HubSpot documents, or the JSON HubSpot
/// sent in its place.
///
/// HubSpot says to treat every field of an error body as optional, and its answers vary: an
/// error `id` comes as a number where a string is documented, `links` as a list where a map
/// is. Every field of the error types of each version (`StandardError`, `ErrorDetail`,
/// `HubSpotError`) is a `Lenient`, so such an answer still decodes, field by field, and
/// nothing it said is lost.
#[derive(Clone, PartialEq)]
pub enum Lenient<T> {
    /// The value, of the documented type.
    Typed(T),
    /// Another JSON value than documented, as HubSpot sent it.
    Other(Value),
}

impl<T> Lenient<T> {
    /// The value, when it has the documented type.
    pub fn typed(&self) -> Option<&T> {
        match self {
            Self::Typed(value) => Some(value),
            Self::Other(_) => None,
        }
    }

    /// The JSON HubSpot sent instead of the documented type.
    pub fn other(&self) -> Option<&Value> {
        match self {
            Self::Typed(_) => None,
            Self::Other(value) => Some(value),
        }
    }
}

impl Lenient<String> {
    /// The text, when HubSpot sent text.
    pub fn as_str(&self) -> Option<&str> {
        self.typed().map(String::as_str)
    }
}

impl<T: fmt::Debug> fmt::Debug for Lenient<T> {
    /// The value as its type prints it (`"No contacts..."`, not `Typed("No contacts...")`);
    /// JSON of another type than documented as `Other(...)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Typed(value) => value.fmt(f),
            Self::Other(value) => f.debug_tuple("Other").field(value).finish(),
        }
    }
}

impl<T: fmt::Display> fmt::Display for Lenient<T> {
    /// The value, or the JSON that came in its place.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Typed(value) => value.fmt(f),
            Self::Other(value) => value.fmt(f),
        }
    }
}

impl<T: Serialize> Serialize for Lenient<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Typed(value) => value.serialize(serializer),
            Self::Other(value) => value.serialize(serializer),
        }
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Lenient<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Ok(match T::deserialize(&value) {
            Ok(typed) => Self::Typed(typed),
            Err(_) => Self::Other(value),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn a_field_of_the_documented_type_is_typed_and_any_other_kept_as_json() {
        let id: Lenient<String> = serde_json::from_str(r#""e-1""#).unwrap();
        assert_eq!(id.as_str(), Some("e-1"));
        let id: Lenient<String> = serde_json::from_str("999").unwrap();
        assert_eq!(id, Lenient::Other(serde_json::json!(999)));
        assert_eq!(id.as_str(), None);
        assert_eq!(id.to_string(), "999");
        let links: Lenient<BTreeMap<String, String>> =
            serde_json::from_str(r#"["https://developers.hubspot.com"]"#).unwrap();
        assert_eq!(
            links.other(),
            Some(&serde_json::json!(["https://developers.hubspot.com"]))
        );
        for value in [id, Lenient::Typed("x".to_owned())] {
            let again: Lenient<String> =
                serde_json::from_str(&serde_json::to_string(&value).unwrap()).unwrap();
            assert_eq!(again, value, "what decodes encodes back as it came");
        }
    }
}
