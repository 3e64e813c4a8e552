//! Association labels: the types between two object types, by name.

use serde::Serialize;
use serde_json::Value;

/// One association type between two object types, as HubSpot lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Label {
    /// The type id, for `associationTypeId`.
    pub type_id: i32,
    /// The category, for `associationCategory`: `HUBSPOT_DEFINED`, `USER_DEFINED`...
    pub category: String,
    /// The label; `None` for the unlabelled default.
    pub label: Option<String>,
}

/// The association types between two object types, as fetched once.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Labels(Vec<Label>);

impl Labels {
    /// From the `results` of a label listing of any version.
    pub(crate) fn from_results<T: Serialize>(results: &[T]) -> Self {
        Self(
            results
                .iter()
                .filter_map(|result| {
                    let json = serde_json::to_value(result).ok()?;
                    Some(Label {
                        type_id: i32::try_from(json.get("typeId")?.as_i64()?).ok()?,
                        category: json.get("category")?.as_str()?.to_owned(),
                        label: json.get("label").and_then(Value::as_str).map(str::to_owned),
                    })
                })
                .collect(),
        )
    }

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
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn labels_resolve_by_name_and_the_default_has_none() {
        let labels = Labels::from_results(&[
            json!({"category": "HUBSPOT_DEFINED", "typeId": 279, "label": null}),
            json!({"category": "USER_DEFINED", "typeId": 37, "label": "Billing contact"}),
            json!({"category": "USER_DEFINED", "label": "no type id"}),
        ]);
        assert_eq!(labels.iter().count(), 2);
        let billing = labels.find("  billing CONTACT ").unwrap();
        assert_eq!(
            (billing.type_id, billing.category.as_str()),
            (37, "USER_DEFINED")
        );
        assert_eq!(labels.unlabelled().unwrap().type_id, 279);
        assert!(labels.find("Nope").is_none());
    }
}
