//! What every command of a run shares: what it does (the [`Task`], with the operations it
//! needs), which version, object types and files, and how requests are sent. The commands run
//! a job; the report describes it.

use std::fmt;
use std::path::PathBuf;

use hubspot_associations::{ApiVersion, BulkOptions, MissingOperation, RateLimit};

/// Which associations to create or remove.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The unlabelled default type.
    Default,
    /// A type by id and category.
    Type {
        /// The association type id.
        id: i32,
        /// Its category, such as `HUBSPOT_DEFINED`.
        category: String,
    },
    /// A label, resolved to its type once.
    Label(String),
}

impl Kind {
    /// As the run's state records it.
    pub fn describe(&self) -> String {
        match self {
            Self::Default => "default".into(),
            Self::Type { id, category } => format!("type {id} {category}"),
            Self::Label(label) => format!("label {label}"),
        }
    }
}

/// What a run does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Task {
    /// `associate`: create the associations of every pair of the input.
    Associate(Kind),
    /// `archive`: remove them.
    Archive(Kind),
    /// `export`: write every association of every record of the input.
    Export,
    /// `sync`: make HubSpot's associations of this kind match the input's, for the
    /// from-records it names: create the pairs HubSpot lacks and, when `mirror`, remove those
    /// the input does not name.
    Sync {
        /// Which associations.
        kind: Kind,
        /// Whether associations not in the input are removed (`--mode mirror`).
        mirror: bool,
    },
}

/// The one declaration of the operation each call of the CLI makes, by what the call does:
/// `Task::batch_operation` and [`LABELS`] read it as a name, which the arguments are checked
/// against in the registry; the calls read it as the identifier `with_operations!` takes
/// (`operation!(Create, with_operation!(version, module, { ... }))`). So the operation checked
/// is the operation called, and the compiler sees to it.
macro_rules! operation {
    (CreateDefault, $then:ident!($($args:tt)*)) => { $then!(batch_create_default; $($args)*) };
    (Create, $then:ident!($($args:tt)*)) => { $then!(batch_create; $($args)*) };
    (ArchiveDefault, $then:ident!($($args:tt)*)) => { $then!(batch_archive; $($args)*) };
    (ArchiveTypes, $then:ident!($($args:tt)*)) => { $then!(batch_archive_labels; $($args)*) };
    (Read, $then:ident!($($args:tt)*)) => { $then!(batch_read; $($args)*) };
    (Labels, $then:ident!($($args:tt)*)) => { $then!(list_labels; $($args)*) };
}
pub(crate) use operation;

/// An operation's name, as the registry lists it.
macro_rules! operation_name {
    ($operation:ident;) => {
        stringify!($operation)
    };
}

/// The block, with `$module` the version's module, compiled for the versions that have the
/// operation (`with_operations!` of one operation).
macro_rules! with_operation {
    ($operation:ident; $version:expr, $module:ident, $body:block) => {
        hubspot_associations::with_operations!($version, $module, [$operation], $body)
    };
}
pub(crate) use with_operation;

/// The operation that looks a label up, which `--label` needs besides the batch operation.
pub const LABELS: &str = operation!(Labels, operation_name!());

impl Task {
    /// The command's name: `associate`, `archive`, `export`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Associate(_) => "associate",
            Self::Archive(_) => "archive",
            Self::Export => "export",
            Self::Sync { .. } => "sync",
        }
    }

    /// The batch operation it sends its inputs through.
    pub fn batch_operation(&self) -> &'static str {
        match self {
            Self::Associate(Kind::Default) => operation!(CreateDefault, operation_name!()),
            Self::Associate(_) => operation!(Create, operation_name!()),
            Self::Archive(Kind::Default) => operation!(ArchiveDefault, operation_name!()),
            Self::Archive(_) => operation!(ArchiveTypes, operation_name!()),
            Self::Export | Self::Sync { .. } => operation!(Read, operation_name!()),
        }
    }

    /// Every operation it needs: the batch operation, the label lookup for `--label`, and for
    /// `sync` the writes it makes.
    pub fn operations(&self) -> Vec<&'static str> {
        let mut operations = match self.kind() {
            Some(Kind::Label(_)) => vec![LABELS, self.batch_operation()],
            _ => vec![self.batch_operation()],
        };
        if let Self::Sync { kind, mirror } = self {
            operations.push(Self::Associate(kind.clone()).batch_operation());
            if *mirror {
                operations.push(Self::Archive(kind.clone()).batch_operation());
            }
        }
        operations
    }

    /// The options that choose this form of the command, for messages: `--type-id`.
    pub fn form(&self) -> &'static str {
        match self {
            Self::Associate(Kind::Default) => "",
            Self::Archive(Kind::Default) => " --default",
            Self::Associate(Kind::Type { .. }) | Self::Archive(Kind::Type { .. }) => " --type-id",
            Self::Associate(Kind::Label(_)) | Self::Archive(Kind::Label(_)) => " --label",
            Self::Export => "",
            Self::Sync { kind, mirror } => match (kind, mirror) {
                (Kind::Default, false) => "",
                (Kind::Type { .. }, false) => " --type-id",
                (Kind::Label(_), false) => " --label",
                (Kind::Default, true) => " --mode mirror",
                (Kind::Type { .. }, true) => " --mode mirror --type-id",
                (Kind::Label(_), true) => " --mode mirror --label",
            },
        }
    }

    /// The kind of association it writes, for `associate`, `archive` and `sync`.
    pub fn kind(&self) -> Option<&Kind> {
        match self {
            Self::Associate(kind) | Self::Archive(kind) | Self::Sync { kind, .. } => Some(kind),
            Self::Export => None,
        }
    }

    /// The same task writing `kind` (a label resolved to its type).
    pub fn with_kind(&self, kind: Kind) -> Self {
        match self {
            Self::Associate(_) => Self::Associate(kind),
            Self::Archive(_) => Self::Archive(kind),
            Self::Export => Self::Export,
            Self::Sync { mirror, .. } => Self::Sync {
                kind,
                mirror: *mirror,
            },
        }
    }

    /// Whether `version` has every operation the task needs; the refusal names the first it
    /// lacks, what HubSpot said when it removed it, and the versions that have it.
    pub fn check(&self, version: ApiVersion) -> Result<(), Unsupported> {
        version
            .require(&self.operations())
            .map_err(|missing| Unsupported {
                task: format!("{}{}", self.name(), self.form()),
                missing,
            })
    }

    /// The versions of this build that can run it.
    pub fn versions(&self) -> Vec<ApiVersion> {
        ApiVersion::ALL
            .iter()
            .copied()
            .filter(|version| self.check(*version).is_ok())
            .collect()
    }
}

impl fmt::Display for Task {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.name(), self.form())
    }
}

/// A task that the version asked for cannot run.
#[derive(Debug)]
pub struct Unsupported {
    /// The command and the options that chose its form.
    pub task: String,
    /// What the version lacks.
    pub missing: MissingOperation,
}

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` cannot run: {}; choose one of them with --api-version",
            self.task, self.missing
        )
    }
}

impl std::error::Error for Unsupported {}

/// What every command shares.
pub struct Job {
    /// What it does.
    pub task: Task,
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
    /// Whether stdout carries the summary as JSON (`--json`), so that what a run says besides
    /// goes to stderr.
    pub json: bool,
}

impl Job {
    /// Says a line of a plan: on stdout, or on stderr when stdout carries JSON.
    pub fn say(&self, line: std::fmt::Arguments<'_>) {
        match self.json {
            true => eprintln!("{line}"),
            false => println!("{line}"),
        }
    }

    /// The inputs per request of the task's batch operation: the `--chunk-size`, or HubSpot's
    /// cap as the version's spec documents it, or the crate's default where it documents none.
    pub fn chunk_size(&self) -> usize {
        let cap = self
            .version
            .operation(self.task.batch_operation())
            .and_then(|op| op.batch_cap);
        self.options.inputs_per_request(cap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_form_states_the_operations_it_needs() {
        let label = Kind::Label("Billing contact".into());
        assert_eq!(
            Task::Associate(label.clone()).operations(),
            [LABELS, "batch_create"]
        );
        assert_eq!(Task::Archive(Kind::Default).operations(), ["batch_archive"]);
        assert_eq!(Task::Archive(label).to_string(), "archive --label");
        assert_eq!(Task::Export.operations(), ["batch_read"]);
        let mirror = Task::Sync {
            kind: Kind::Label("Billing contact".into()),
            mirror: true,
        };
        assert_eq!(
            mirror.operations(),
            [LABELS, "batch_read", "batch_create", "batch_archive_labels"]
        );
        assert_eq!(mirror.to_string(), "sync --mode mirror --label");
        let add = Task::Sync {
            kind: Kind::Default,
            mirror: false,
        };
        assert_eq!(add.operations(), ["batch_read", "batch_create_default"]);
        for version in ApiVersion::ALL {
            assert_eq!(
                Task::Export.check(*version).is_ok(),
                version.operation("batch_read").is_some()
            );
        }
    }
}
