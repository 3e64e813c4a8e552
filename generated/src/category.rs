//! Who defined an association type: one open enum for every version, for labels and for
//! webhooks.

/// Who defined an association type, as `category` and `associationCategory` say.
///
/// Every version's `types::AssociationCategory` is this type, and so are [`Label::category`]
/// and the category of a webhook's association change, so a category read through one
/// version compares with one read through another. Values this version of the crate does not
/// know decode into `Other`.
///
/// [`Label::category`]: crate::Label::category
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum AssociationCategory {
    /// `HUBSPOT_DEFINED`: HubSpot's own types, such as the unlabelled default.
    HubspotDefined,
    /// `INTEGRATOR_DEFINED`: types an app defined.
    IntegratorDefined,
    /// `USER_DEFINED`: labels the account defined.
    UserDefined,
    /// `WORK`
    Work,
    /// A value this version of the crate does not know, as HubSpot sent it.
    Other(String),
}

impl AssociationCategory {
    /// The value as HubSpot spells it.
    pub fn as_str(&self) -> &str {
        match self {
            Self::HubspotDefined => "HUBSPOT_DEFINED",
            Self::IntegratorDefined => "INTEGRATOR_DEFINED",
            Self::UserDefined => "USER_DEFINED",
            Self::Work => "WORK",
            Self::Other(value) => value,
        }
    }
}

impl From<&str> for AssociationCategory {
    fn from(value: &str) -> Self {
        match value {
            "HUBSPOT_DEFINED" => Self::HubspotDefined,
            "INTEGRATOR_DEFINED" => Self::IntegratorDefined,
            "USER_DEFINED" => Self::UserDefined,
            "WORK" => Self::Work,
            other => Self::Other(other.to_owned()),
        }
    }
}

crate::open_enum::open_enum_traits!(AssociationCategory);

impl PartialEq<str> for AssociationCategory {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for AssociationCategory {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}
