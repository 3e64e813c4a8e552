//! What the generated version registry ([`crate::ApiVersion`]) says of each version: where it
//! stands in HubSpot's support schedule, its operations with what HubSpot publishes of each,
//! and the operations it dropped; and what a program learns from it before calling anything:
//! whether a version has the operations it needs ([`ApiVersion::require`]).

use std::fmt;

use crate::ApiVersion;

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

/// A success status an operation's spec documents: one code, or a whole range (`2XX`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DocumentedStatus {
    /// One code, such as 201.
    Code(u16),
    /// A range by its first digit: `Range(2)` is `2XX`.
    Range(u8),
}

impl DocumentedStatus {
    /// Whether `status` is this code, or in this range.
    pub const fn matches(self, status: u16) -> bool {
        match self {
            Self::Code(code) => code == status,
            Self::Range(range) => status / 100 == range as u16,
        }
    }

    /// A code HubSpot answers with for it: the code, or the first of the range (`200`).
    pub const fn example(self) -> u16 {
        match self {
            Self::Code(code) => code,
            Self::Range(range) => range as u16 * 100,
        }
    }
}

impl fmt::Display for DocumentedStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Code(code) => write!(f, "{code}"),
            Self::Range(range) => write!(f, "{range}XX"),
        }
    }
}

/// Whether the client sends an operation again after a transient failure (a timeout, a
/// broken connection, a 5xx, a burst 429), from its method and whether it is a batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RetryClass {
    /// Reads, PUT and DELETE: sending twice has the effect of sending once.
    Idempotent,
    /// Batch POSTs: retried so that a bulk job makes progress; a repeated input is harmless.
    Batch,
    /// Other POSTs: a second send could act twice, so they are never sent again.
    Never,
}

/// One operation of a version, as its spec describes it: the facts a program, a test double
/// or a tool needs without calling it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct OperationInfo {
    /// Its stable name, the same in every version and the name of its method: `batch_create`.
    pub name: &'static str,
    /// `GET`, `POST`, `PUT` or `DELETE`.
    pub method: &'static str,
    /// The path template: `/crm/associations/2026-09/{fromObjectType}/{toObjectType}/batch/create`.
    pub path: &'static str,
    /// The success statuses HubSpot documents, such as `[201, 207]`. The client accepts any 2xx.
    pub success: &'static [DocumentedStatus],
    /// Whether a documented success carries a body.
    pub success_body: bool,
    /// The most inputs HubSpot takes in one request of a batch operation, when it documents a
    /// cap; the bulk methods split inputs by it.
    pub batch_cap: Option<usize>,
    /// Whether it is sent again after a transient failure.
    pub retry: RetryClass,
    /// The OAuth scopes HubSpot lists for it, any one of which lets a call through (in
    /// practice the read or write scope of the records' object types).
    pub scopes: &'static [&'static str],
    /// The rate limits HubSpot publishes it as exempt from (`ten-secondly`, `daily`), as its
    /// spec's `x-hubspot-rate-limit-exemptions` says. The client's rate limiter counts every
    /// request all the same: HubSpot does not document what the exemption covers.
    pub rate_limit_exemptions: &'static [&'static str],
    /// The body of its first documented success, as the spec's example shows it (JSON).
    pub success_example: Option<&'static str>,
}

/// An operation a version dropped, and what HubSpot says to use instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RemovedOperation {
    /// Its name in the versions before.
    pub name: &'static str,
    /// The note for programs that used it (`x-removed-operations` in the spec).
    pub note: Option<&'static str>,
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

/// A version without an operation a program needs: which, what HubSpot said when it removed
/// it, and the versions of this build that have it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MissingOperation {
    /// The version asked for.
    pub version: ApiVersion,
    /// The operation it lacks.
    pub operation: String,
    /// The version that dropped it and HubSpot's note, when one of this build did.
    pub removed: Option<(ApiVersion, Option<&'static str>)>,
    /// The versions of this build that have it, oldest first.
    pub available_in: Vec<ApiVersion>,
}

impl fmt::Display for MissingOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "API version {} has no operation `{}`",
            self.version, self.operation
        )?;
        match self.removed {
            Some((version, Some(note))) => write!(f, " (HubSpot removed it in {version}: {note})")?,
            Some((version, None)) => write!(f, " (HubSpot removed it in {version})")?,
            None => {}
        }
        let versions: Vec<&str> = self.available_in.iter().map(|v| v.as_str()).collect();
        match versions.as_slice() {
            [] => write!(f, "; no version of this build has it"),
            versions => write!(f, "; versions that have it: {}", versions.join(", ")),
        }
    }
}

impl std::error::Error for MissingOperation {}

impl ApiVersion {
    /// The operation of this name, if the version has it.
    pub fn operation(self, name: &str) -> Option<&'static OperationInfo> {
        self.operations().iter().find(|op| op.name == name)
    }

    /// The newest generally available version of this build: a sensible default.
    pub fn newest_generally_available() -> Option<Self> {
        Self::ALL
            .iter()
            .rev()
            .copied()
            .find(|v| v.lifecycle() == Lifecycle::GenerallyAvailable)
    }

    /// The versions of this build that have the operation `name`, oldest first.
    pub fn having(name: &str) -> Vec<Self> {
        Self::ALL
            .iter()
            .copied()
            .filter(|version| version.operation(name).is_some())
            .collect()
    }

    /// `Ok` when the version has every operation named, else the first it lacks, with what
    /// HubSpot said when it dropped it and the versions that have it. A program checks what it
    /// needs here, before it calls anything.
    pub fn require(self, operations: &[&str]) -> Result<(), MissingOperation> {
        let Some(missing) = operations
            .iter()
            .find(|name| self.operation(name).is_none())
        else {
            return Ok(());
        };
        // The newest version up to this one that declares the removal.
        let removed = Self::ALL
            .iter()
            .copied()
            .filter(|version| *version <= self)
            .rev()
            .find_map(|version| {
                version
                    .removed_operations()
                    .iter()
                    .find(|removal| removal.name == *missing)
                    .map(|removal| (version, removal.note))
            });
        Err(MissingOperation {
            version: self,
            operation: (*missing).to_owned(),
            removed,
            available_in: Self::having(missing),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_match_their_code_or_range() {
        assert!(DocumentedStatus::Code(201).matches(201));
        assert!(!DocumentedStatus::Code(201).matches(200));
        assert!(DocumentedStatus::Range(2).matches(207));
        assert!(!DocumentedStatus::Range(2).matches(301));
        assert_eq!(DocumentedStatus::Range(2).example(), 200);
        assert_eq!(DocumentedStatus::Range(2).to_string(), "2XX");
    }

    #[cfg(feature = "all-versions")]
    #[test]
    fn a_version_without_an_operation_says_who_removed_it_and_who_has_it() {
        // The registry's own removals: every version that drops an operation another has.
        // (A build may have none: the bump drill, xtask/tests/bump_drill.rs, removes operations
        // in a scratch copy and checks the whole path, the CLI's refusal included.)
        for version in ApiVersion::ALL.iter().copied() {
            for removal in version.removed_operations() {
                let missing = version.require(&[removal.name]).unwrap_err();
                assert_eq!(missing.removed, Some((version, removal.note)));
                assert!(!missing.available_in.contains(&version));
                assert!(!missing.available_in.is_empty());
                let text = missing.to_string();
                assert!(text.contains(removal.name), "{text}");
                assert!(text.contains(&format!("removed it in {version}")), "{text}");
            }
            let first = version.operations()[0].name;
            assert_eq!(version.require(&[first]), Ok(()));
            let unknown = version.require(&[first, "no_such_operation"]).unwrap_err();
            assert_eq!(unknown.operation, "no_such_operation");
            assert_eq!(unknown.removed, None);
            assert!(
                unknown
                    .to_string()
                    .ends_with("no version of this build has it")
            );
        }
    }
}
