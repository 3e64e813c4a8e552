//! What the generated version registry ([`crate::ApiVersion`]) says of each version: where it
//! stands in HubSpot's support schedule, and its operations.

use std::fmt;

/// Where a version stands in HubSpot's support schedule (`x-hubspot-lifecycle` in its spec).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Lifecycle {
    /// A preview: it may still change.
    Beta,
    /// Generally available and supported.
    GenerallyAvailable,
    /// Still served, but HubSpot has announced its end (see `end_of_support`).
    Legacy,
}

impl Lifecycle {
    /// As the spec spells it: `beta`, `generally-available`, `legacy`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Beta => "beta",
            Self::GenerallyAvailable => "generally-available",
            Self::Legacy => "legacy",
        }
    }
}

impl fmt::Display for Lifecycle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One operation of a version, as its spec describes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OperationInfo {
    /// Its stable name, the same in every version and the name of its method: `batch_create`.
    pub name: &'static str,
    /// `GET`, `POST`, `PUT` or `DELETE`.
    pub method: &'static str,
    /// The path template: `/crm/associations/2026-09/{fromObjectType}/{toObjectType}/batch/create`.
    pub path: &'static str,
    /// The success codes HubSpot documents, such as `[201, 207]`. The client accepts any 2xx.
    pub success: &'static [u16],
    /// Whether the documented success carries a body.
    pub success_body: bool,
}

/// A name that is not a version of this build of the crate.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown API version `{name}`: this build has {}", known.join(", "))]
pub struct UnknownVersion {
    /// The name asked for.
    pub name: String,
    /// The versions there are.
    pub known: Vec<&'static str>,
}
