//! CRM object types as paths name them.

use std::borrow::Cow;
use std::fmt;

/// A CRM object type as HubSpot's paths name it: a standard object by its plural
/// ([`ObjectType::CONTACTS`] is `contacts`), or a custom object by its type id (`2-12345`) or
/// its fully qualified name (`p_cars`), with [`ObjectType::custom`].
///
/// Every object type argument of a client takes `impl Into<ObjectType>`, so a constant, a
/// `&str` or a `String` all do.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectType(Cow<'static, str>);

impl ObjectType {
    /// An object type from a name known when compiling, as the constants are.
    pub const fn from_static(name: &'static str) -> Self {
        Self(Cow::Borrowed(name))
    }

    /// A custom object, by its type id (`2-12345`) or fully qualified name (`p_cars`).
    pub fn custom(id_or_name: impl Into<String>) -> Self {
        Self(Cow::Owned(id_or_name.into()))
    }

    /// The object type a type id names, as webhooks and label answers give it: a standard
    /// object's id (`0-1`) becomes its name (`contacts`), so that it equals the constant;
    /// any other id (a custom object's `2-12345`) is kept as it is.
    pub fn from_type_id(type_id: &str) -> Self {
        STANDARD_TYPE_IDS
            .iter()
            .find(|(id, _)| *id == type_id)
            .map_or_else(
                || Self::custom(type_id),
                |(_, name)| Self::from_static(name),
            )
    }

    /// HubSpot's type id of a standard object (`0-1` for [`ObjectType::CONTACTS`]); `None`
    /// for another object type, or one already named by its id.
    pub fn standard_type_id(&self) -> Option<&'static str> {
        STANDARD_TYPE_IDS
            .iter()
            .find(|(_, name)| *name == self.as_str())
            .map(|(id, _)| *id)
    }

    /// The name as paths spell it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// HubSpot's ids of its standard objects, with the names paths give them.
const STANDARD_TYPE_IDS: &[(&str, &str)] = &[
    ("0-1", "contacts"),
    ("0-2", "companies"),
    ("0-3", "deals"),
    ("0-5", "tickets"),
    ("0-7", "products"),
    ("0-8", "line_items"),
    ("0-14", "quotes"),
    ("0-18", "communications"),
    ("0-27", "tasks"),
    ("0-46", "notes"),
    ("0-47", "meetings"),
    ("0-48", "calls"),
    ("0-49", "emails"),
    ("0-116", "postal_mail"),
    ("0-136", "leads"),
];

impl fmt::Display for ObjectType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for ObjectType {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<&str> for ObjectType {
    fn from(name: &str) -> Self {
        Self(Cow::Owned(name.to_owned()))
    }
}

impl From<String> for ObjectType {
    fn from(name: String) -> Self {
        Self(Cow::Owned(name))
    }
}

impl From<&String> for ObjectType {
    fn from(name: &String) -> Self {
        Self::from(name.as_str())
    }
}

impl From<&ObjectType> for ObjectType {
    fn from(object_type: &ObjectType) -> Self {
        object_type.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_names_and_custom_objects_are_one_type() {
        assert_eq!(ObjectType::CONTACTS.as_str(), "contacts");
        assert_eq!(ObjectType::COMPANIES.to_string(), "companies");
        assert_eq!(ObjectType::LINE_ITEMS, ObjectType::from("line_items"));
        assert_eq!(ObjectType::custom("2-12345").as_str(), "2-12345");
        assert_eq!(ObjectType::from(String::from("p_cars")).as_str(), "p_cars");
        assert_eq!(ObjectType::from_type_id("0-1"), ObjectType::CONTACTS);
        assert_eq!(ObjectType::from_type_id("0-8"), ObjectType::LINE_ITEMS);
        assert_eq!(ObjectType::from_type_id("2-12345").as_str(), "2-12345");
        assert_eq!(ObjectType::DEALS.standard_type_id(), Some("0-3"));
        assert_eq!(ObjectType::custom("2-12345").standard_type_id(), None);
    }
}
