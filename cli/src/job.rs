//! What every command of a run shares: which command, version, object types and files, and
//! how requests are sent. The commands run a job; the report describes it.

use std::path::PathBuf;

use hubspot_associations::{ApiVersion, BulkOptions, RateLimit};

/// What every command shares.
pub struct Job {
    /// `associate`, `archive` or `export`.
    pub command: &'static str,
    /// The API version.
    pub version: ApiVersion,
    /// The object type associations start from.
    pub from_type: String,
    /// The object type they lead to.
    pub to_type: String,
    /// The input file.
    pub input: PathBuf,
    /// Where to write failed rows.
    pub failures: PathBuf,
    /// Validate and plan only.
    pub dry_run: bool,
    /// How requests are sent.
    pub options: BulkOptions,
    /// The client-side rate limit, for plans.
    pub rate_limit: RateLimit,
    /// Whether to draw a progress bar.
    pub progress: bool,
}
