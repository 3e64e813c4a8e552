//! HubSpot-defined association types (category `HUBSPOT_DEFINED`), generated from HubSpot's
//! table rather than kept by hand: a constant per type, named by its direction
//! ([`CONTACT_TO_COMPANY`] is 279, [`CONTACT_TO_PRIMARY_COMPANY`] is 1), and the unlabelled
//! default between two objects ([`default_type`]).

#[rustfmt::skip]
mod ids;

pub use ids::*;

/// A HubSpot-defined association type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AssociationType {
    /// The type id, for `associationTypeId`.
    pub id: i32,
    /// The object it starts from, singular: `contact`.
    pub from: &'static str,
    /// The object it leads to, singular: `company`.
    pub to: &'static str,
    /// HubSpot's label: `Contact to primary company`.
    pub label: &'static str,
}

impl AssociationType {
    /// The category, for `associationCategory`.
    pub const CATEGORY: &'static str = "HUBSPOT_DEFINED";
}

/// The object an object type names: its singular name (`contact`), its plural as paths spell
/// it (`contacts`, `companies`), or the type id of a standard object (`0-1`).
pub fn object(name: &str) -> Option<&'static str> {
    let name = name.trim().to_ascii_lowercase();
    let standard = match name.as_str() {
        "0-1" => Some("contact"),
        "0-2" => Some("company"),
        "0-3" => Some("deal"),
        "0-5" => Some("ticket"),
        _ => None,
    };
    standard.or_else(|| {
        OBJECTS
            .iter()
            .copied()
            .find(|object| name == *object || name == plural(object))
    })
}

/// The name paths give an object of the table: its plural (`contact` -> `contacts`,
/// `company` -> `companies`, `tax` -> `taxes`).
pub(crate) fn plural(object: &str) -> String {
    match object.strip_suffix('y') {
        Some(stem) => format!("{stem}ies"),
        None if object.ends_with('x') => format!("{object}es"),
        None => format!("{object}s"),
    }
}

/// The unlabelled default type from one object to another, as HubSpot's batch "associate
/// default" operations use: `default_type("contacts", "companies")` is [`CONTACT_TO_COMPANY`].
pub fn default_type(from: &str, to: &str) -> Option<AssociationType> {
    let (from, to) = (object(from)?, object(to)?);
    DEFAULTS
        .iter()
        .copied()
        .find(|kind| kind.from == from && kind.to == to)
}

/// The HubSpot-defined type with this id.
pub fn by_id(id: i32) -> Option<AssociationType> {
    ALL.iter().copied().find(|kind| kind.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_are_named_by_direction() {
        assert_eq!(CONTACT_TO_COMPANY.id, 279);
        assert_eq!(CONTACT_TO_PRIMARY_COMPANY.id, 1);
        assert_eq!(COMPANY_TO_CONTACT.id, 280);
        assert_eq!(
            (
                CONTACT_TO_PRIMARY_COMPANY.from,
                CONTACT_TO_PRIMARY_COMPANY.to
            ),
            ("contact", "company")
        );
        assert_eq!(ALL.len(), 410);
    }

    #[test]
    fn defaults_are_found_by_any_name_of_the_objects() {
        assert_eq!(
            default_type("contacts", "companies"),
            Some(CONTACT_TO_COMPANY)
        );
        assert_eq!(default_type("0-2", "0-1"), Some(COMPANY_TO_CONTACT));
        assert_eq!(default_type("deal", "line_items"), Some(DEAL_TO_LINE_ITEM));
        assert_eq!(default_type("deals", "contacts").map(|t| t.id), Some(3));
        assert_eq!(default_type("contacts", "unicorns"), None);
        assert_eq!(by_id(1), Some(CONTACT_TO_PRIMARY_COMPANY));
        assert_eq!(object("Taxes"), Some("tax"));
    }
}
