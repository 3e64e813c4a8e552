//! Record ids, which HubSpot documents as strings and often sends as numbers.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The id of a CRM record, such as `"5790939450"`.
///
/// HubSpot's schemas type ids as strings, but its responses often carry JSON numbers, and
/// record ids exceed 32 bits. An `ObjectId` decodes from either and keeps every digit; it is
/// sent as a string, as the schemas ask. A number that cannot be kept exactly (a fraction, or
/// more digits than a 64-bit integer holds) is refused rather than rounded.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectId(String);

impl ObjectId {
    /// An id from its text.
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id as a number, when it is one.
    pub fn as_u64(&self) -> Option<u64> {
        self.0.parse().ok()
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for ObjectId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<String> for ObjectId {
    fn from(id: String) -> Self {
        Self(id)
    }
}

impl From<&str> for ObjectId {
    fn from(id: &str) -> Self {
        Self(id.to_owned())
    }
}

impl From<u64> for ObjectId {
    fn from(id: u64) -> Self {
        Self(id.to_string())
    }
}

impl FromStr for ObjectId {
    type Err = std::convert::Infallible;

    fn from_str(id: &str) -> Result<Self, Self::Err> {
        Ok(Self::from(id))
    }
}

impl PartialEq<str> for ObjectId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for ObjectId {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl Serialize for ObjectId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ObjectId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ObjectIdVisitor)
    }
}

struct ObjectIdVisitor;

impl Visitor<'_> for ObjectIdVisitor {
    type Value = ObjectId;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a record id, as a string or an integer")
    }

    fn visit_str<E: de::Error>(self, id: &str) -> Result<ObjectId, E> {
        Ok(ObjectId::from(id))
    }

    fn visit_string<E: de::Error>(self, id: String) -> Result<ObjectId, E> {
        Ok(ObjectId(id))
    }

    fn visit_u64<E: de::Error>(self, id: u64) -> Result<ObjectId, E> {
        Ok(ObjectId(id.to_string()))
    }

    fn visit_i64<E: de::Error>(self, id: i64) -> Result<ObjectId, E> {
        Ok(ObjectId(id.to_string()))
    }

    fn visit_u128<E: de::Error>(self, id: u128) -> Result<ObjectId, E> {
        Ok(ObjectId(id.to_string()))
    }

    fn visit_i128<E: de::Error>(self, id: i128) -> Result<ObjectId, E> {
        Ok(ObjectId(id.to_string()))
    }

    fn visit_f64<E: de::Error>(self, id: f64) -> Result<ObjectId, E> {
        Err(E::custom(format_args!(
            "the record id {id} is not an integer that fits in 64 bits, so its exact digits are lost; HubSpot ids are integers"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(json: &str) -> Result<ObjectId, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn numbers_and_strings_decode_to_the_same_id() {
        assert_eq!(
            decode("5790939450").unwrap(),
            decode("\"5790939450\"").unwrap()
        );
        assert_eq!(
            decode("18446744073709551615").unwrap().as_str(),
            "18446744073709551615"
        );
        assert_eq!(decode("-3").unwrap().as_str(), "-3");
        assert_eq!(decode("\"abc\"").unwrap().as_u64(), None);
    }

    #[test]
    fn ids_are_sent_as_strings() {
        assert_eq!(
            serde_json::to_string(&ObjectId::from(29851_u64)).unwrap(),
            "\"29851\""
        );
    }

    #[test]
    fn numbers_that_would_lose_digits_are_refused() {
        let error = decode("123456789012345678901234567890")
            .unwrap_err()
            .to_string();
        assert!(error.contains("exact digits are lost"), "{error}");
        assert!(decode("1.5").is_err());
        assert!(decode("null").is_err());
    }
}
