//! Association labels: the types between two object types, by name.

use crate::AssociationCategory;

/// One association type between two object types, as HubSpot lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Label {
    /// The type id, for `associationTypeId`.
    pub type_id: i32,
    /// The category, for `associationCategory`.
    pub category: AssociationCategory,
    /// The label; `None` for the unlabelled default.
    pub label: Option<String>,
}

impl Label {
    /// A listed label, as the generated label lookup of each version reads it from the fields
    /// of its listing.
    pub(crate) fn new(type_id: i32, category: &str, label: Option<String>) -> Self {
        Self {
            type_id,
            category: AssociationCategory::from(category),
            label,
        }
    }
}

/// The association types between two object types, as fetched once.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Labels(Vec<Label>);

impl FromIterator<Label> for Labels {
    fn from_iter<I: IntoIterator<Item = Label>>(labels: I) -> Self {
        Self(labels.into_iter().collect())
    }
}

impl Labels {
    /// The type labelled `name`, ignoring case and surrounding spaces.
    pub fn find(&self, name: &str) -> Option<&Label> {
        let name = name.trim();
        self.0.iter().find(|label| {
            label
                .label
                .as_deref()
                .is_some_and(|l| l.trim().eq_ignore_ascii_case(name))
        })
    }

    /// The unlabelled type, when there is one.
    pub fn unlabelled(&self) -> Option<&Label> {
        self.0.iter().find(|label| label.label.is_none())
    }

    /// Every type.
    pub fn iter(&self) -> impl Iterator<Item = &Label> {
        self.0.iter()
    }

    /// How many types there are, the unlabelled one included.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_resolve_by_name_and_the_default_has_none() {
        let labels: Labels = [
            Label::new(279, "HUBSPOT_DEFINED", None),
            Label::new(37, "USER_DEFINED", Some("Billing contact".into())),
        ]
        .into_iter()
        .collect();
        assert_eq!((labels.len(), labels.is_empty()), (2, false));
        let billing = labels.find("  billing CONTACT ").unwrap();
        assert_eq!(
            (billing.type_id, &billing.category),
            (37, &AssociationCategory::UserDefined)
        );
        assert_eq!(labels.unlabelled().unwrap().type_id, 279);
        assert!(labels.find("Nope").is_none());
    }
}
