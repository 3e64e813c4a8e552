//! Where each version of the generated registry ([`crate::ApiVersion`]) stands in HubSpot's
//! support schedule, and what a program learns from the registry before calling anything:
//! whether a version has the operations it needs ([`ApiVersion::require`]). What the registry
//! says of each operation is an [`OperationInfo`](crate::OperationInfo).

use std::fmt;

use crate::{ApiVersion, OperationInfo};

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
