//! The extensions our specs add to OpenAPI, and how to read them: where a version stands in
//! HubSpot's support schedule (`x-hubspot-lifecycle`), what it dropped
//! (`x-removed-operations`), an operation's batch cap (`x-batch-limit`) and the rate limits
//! HubSpot says it is exempt from (`x-hubspot-rate-limit-exemptions`). Validation, the model
//! and import all read them here, below each of them.

use openapiv3::OpenAPI;
use serde_json::Value;

/// Where a version stands in HubSpot's support schedule (`x-hubspot-lifecycle`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lifecycle {
    /// Beta, generally available or legacy.
    pub stage: Stage,
    /// The date HubSpot stops supporting the version, `YYYY-MM-DD`.
    pub end_of_support: Option<String>,
}

/// The stages of a version's life (`x-hubspot-lifecycle.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// `beta`: a preview.
    Beta,
    /// `generally-available`.
    GenerallyAvailable,
    /// `legacy`: served, with its end announced.
    Legacy,
}

impl Stage {
    /// Every stage.
    pub const ALL: [Self; 3] = [Self::Beta, Self::GenerallyAvailable, Self::Legacy];

    /// As a spec spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Beta => "beta",
            Self::GenerallyAvailable => "generally-available",
            Self::Legacy => "legacy",
        }
    }

    /// The stage a spec names.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|stage| stage.as_str() == text)
    }

    /// The runtime's `Lifecycle` variant.
    pub fn variant(self) -> &'static str {
        match self {
            Self::Beta => "Beta",
            Self::GenerallyAvailable => "GenerallyAvailable",
            Self::Legacy => "Legacy",
        }
    }
}

/// An operation a version dropped, and what HubSpot says to use instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removal {
    /// Its name.
    pub operation: String,
    /// The note for programs that used it.
    pub note: Option<String>,
}

/// What `info.x-removed-operations` lists: operations deliberately removed from a version,
/// as a list of names, or as a map from each name to a note for programs that used it.
pub const REMOVED_OPERATIONS: &str = "x-removed-operations";

/// The note `cargo xtask import` writes for a removal it found: validation refuses it until a
/// person writes what programs that used the operation should use instead.
pub const REMOVAL_PLACEHOLDER: &str =
    "TODO(import): say what programs that used this operation should use instead";

/// The operations a version declares removed, each with its note when it has one.
pub fn removed_operations(api: &OpenAPI) -> Vec<Removal> {
    match api.info.extensions.get(REMOVED_OPERATIONS) {
        Some(Value::Array(names)) => names
            .iter()
            .filter_map(|name| {
                Some(Removal {
                    operation: name.as_str()?.to_owned(),
                    note: None,
                })
            })
            .collect(),
        Some(Value::Object(notes)) => notes
            .iter()
            .map(|(name, note)| Removal {
                operation: name.clone(),
                note: note.as_str().map(|note| note.trim().to_owned()),
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Where a version's lifecycle is declared.
pub const LIFECYCLE: &str = "x-hubspot-lifecycle";

/// The lifecycle a spec declares; `None` when it names no stage the generator knows
/// (validation reports that).
pub fn lifecycle(api: &OpenAPI) -> Option<Lifecycle> {
    let declared = api.info.extensions.get(LIFECYCLE)?;
    Some(Lifecycle {
        stage: Stage::parse(declared.get("status")?.as_str()?)?,
        end_of_support: declared
            .get("end-of-support")
            .and_then(Value::as_str)
            .map(str::to_owned),
    })
}

/// The extension that gives a batch operation's cap on inputs per request.
pub const BATCH_LIMIT: &str = "x-batch-limit";
/// The extension that lists the rate limits an operation is exempt from.
pub const RATE_LIMIT_EXEMPTIONS: &str = "x-hubspot-rate-limit-exemptions";
