//! `hubspot-associations`: associate, archive and export HubSpot associations in bulk, from
//! CSV files, at the rate HubSpot allows, resumable after a crash.
//!
//! Credentials are read from the environment, never from flags, so that they do not land in
//! shell history: a private app's `HUBSPOT_TOKEN`, or an OAuth app's `HUBSPOT_CLIENT_ID`,
//! `HUBSPOT_CLIENT_SECRET` and `HUBSPOT_REFRESH_TOKEN`.

mod commands;
mod credentials;
mod input;
mod job;
mod lock;
mod read;
mod report;
mod state;
mod sync;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use hubspot_associations::{
    ApiVersion, BulkOptions, Credentials, RateLimit, SharedBudget, Tier, Transport,
};

use commands::Api;
use job::{Job, Kind, Task};

/// What a run's state is named after, beside its input file.
const STATE_EXTENSION: &str = ".state.sqlite";

#[derive(Parser)]
#[command(
    name = "hubspot-associations",
    version,
    about = "Bulk HubSpot associations from CSV files, resumable"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Associate every pair of records of a CSV file (`from_id,to_id` per row).
    #[command(after_help = versions_help(Task::Associate))]
    Associate {
        #[command(flatten)]
        pairs: PairArgs,
    },
    /// Remove the associations between every pair of records of a CSV file.
    #[command(after_help = versions_help(Task::Archive))]
    Archive {
        #[command(flatten)]
        pairs: PairArgs,
    },
    /// Write every association of every record of a CSV file (one id per row) to a CSV file.
    #[command(after_help = versions_help(|_| Task::Export))]
    Export {
        #[command(flatten)]
        common: CommonArgs,
        /// Where to write the associations.
        #[arg(long)]
        output: PathBuf,
        /// The run's state, which makes the export resumable (default: the input file with
        /// `.state.sqlite`).
        #[arg(long)]
        state: Option<PathBuf>,
        /// Read again the records that could not be read in earlier runs.
        #[arg(long)]
        retry_failed: bool,
    },
    /// Make HubSpot's associations of one kind match a CSV file (`from_id,to_id` per row;
    /// `from_id,` for a record that should have none), for the from-records it names: create
    /// the pairs HubSpot lacks, and with `--mode mirror` remove those the file does not name.
    #[command(after_help = versions_help(|kind| Task::Sync { kind, mirror: true }))]
    Sync {
        #[command(flatten)]
        pairs: PairArgs,
        /// `add` creates the pairs HubSpot lacks; `mirror` also removes the associations of
        /// this kind that the file does not name, for the from-records it names (no other).
        #[arg(long, value_enum, default_value_t = Mode::Add)]
        mode: Mode,
        /// Refuse, before any write, a mirror plan that removes more associations than this.
        #[arg(long, default_value_t = 1_000)]
        max_removals: u64,
    },
    /// Show the progress and failures of a run (`associate`, `archive`, `export`, `sync`),
    /// running or not.
    Status {
        /// The run's input file (its state is `<input>.state.sqlite`).
        #[arg(long, required_unless_present = "state", conflicts_with = "state")]
        input: Option<PathBuf>,
        /// The run's state, when it was given `--state`.
        #[arg(long)]
        state: Option<PathBuf>,
        /// How many failed or bad rows to show.
        #[arg(long, default_value_t = 20)]
        failures: u64,
        /// Print the status as JSON on stdout.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args)]
struct PairArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// The unlabelled default type (the default for `associate`; for `archive`, every type).
    #[arg(long, conflicts_with_all = ["type_id", "label"])]
    default: bool,
    /// An association type by id.
    #[arg(long)]
    type_id: Option<i32>,
    /// The category of `--type-id`.
    #[arg(long, default_value = "HUBSPOT_DEFINED", requires = "type_id")]
    category: String,
    /// An association label, looked up once.
    #[arg(long, conflicts_with = "type_id")]
    label: Option<String>,
    /// The run's state, an SQLite database that makes the run resumable and that one process
    /// at a time may use (default: the input file with `.state.sqlite`).
    #[arg(long)]
    state: Option<PathBuf>,
    /// Send again the pairs that failed in earlier runs.
    #[arg(long)]
    retry_failed: bool,
}

#[derive(Args)]
struct CommonArgs {
    /// The object type the associations start from (`contacts`, `0-1`...).
    #[arg(long)]
    from: String,
    /// The object type they lead to.
    #[arg(long)]
    to: String,
    /// The input CSV file.
    #[arg(long)]
    input: PathBuf,
    /// Where to write the rows that failed (default: the input file with `.failures.csv`).
    #[arg(long)]
    failures: Option<PathBuf>,
    /// Validate the input and print the plan; write nothing.
    #[arg(long)]
    dry_run: bool,
    /// The HubSpot API version.
    #[arg(long, default_value_t = default_version(), help = version_help())]
    api_version: ApiVersion,
    /// The account's tier in HubSpot's table of usage limits; HubSpot's headers adjust it.
    #[arg(long, value_enum, default_value_t = TierArg::Free)]
    tier: TierArg,
    /// How many API limit increases the account has bought (0 to 2): 250 per 10 s, and
    /// 1,000,000 more a day each.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=2))]
    api_limit_increases: u8,
    /// A custom rate limit, `<requests>/<milliseconds>`, instead of a tier.
    #[arg(long, value_parser = parse_rate)]
    rate_limit: Option<(u32, Duration)>,
    /// Share the rate limit with every other process that names the same --budget-key,
    /// through this Redis (`redis://[:password@]host:port/`); if Redis cannot be reached,
    /// the run counts on its own and says so.
    #[arg(
        long,
        env = "HUBSPOT_SHARED_LIMIT",
        hide_env_values = true,
        requires = "budget_key"
    )]
    shared_limit: Option<String>,
    /// The shared budget's name: one per app and account, such as the account id.
    #[arg(
        long,
        env = "HUBSPOT_BUDGET_KEY",
        hide_env_values = true,
        requires = "shared_limit"
    )]
    budget_key: Option<String>,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// Inputs per request (at most HubSpot's cap).
    #[arg(long)]
    chunk_size: Option<usize>,
    /// Another base URL than https://api.hubapi.com (a proxy, or a fake for tests).
    #[arg(long)]
    base_url: Option<String>,
    /// An OAuth app's refresh token file: read when it exists (it is newer than
    /// HUBSPOT_REFRESH_TOKEN), and rewritten, mode 0600, whenever HubSpot rotates the token
    /// (default: rotated tokens go to the input file with `.refresh-token`).
    #[arg(long)]
    refresh_token_file: Option<PathBuf>,
    /// No progress bar.
    #[arg(long)]
    no_progress: bool,
    /// Log retries and other warnings to stderr.
    #[arg(long, short)]
    verbose: bool,
    /// Print the summary, or the error that stopped the run, as JSON on stdout.
    #[arg(long)]
    json: bool,
}

/// What `sync` does to HubSpot's associations of the kind.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Mode {
    /// Create the pairs HubSpot lacks; remove nothing.
    Add,
    /// Also remove the associations the file does not name, for the records it names.
    Mirror,
}

/// The rows of HubSpot's table of usage limits.
#[derive(Clone, Copy, ValueEnum)]
enum TierArg {
    /// 100 per 10 s, 250,000 a day.
    Free,
    /// 100 per 10 s, 250,000 a day.
    Starter,
    /// 190 per 10 s, 625,000 a day.
    Professional,
    /// 190 per 10 s, 1,000,000 a day.
    Enterprise,
    /// A publicly distributed OAuth app: 110 per 10 s per installing account.
    PublicApp,
}

/// The newest generally available version of the crate (or its newest version, before any
/// is generally available).
fn default_version() -> ApiVersion {
    ApiVersion::newest_generally_available()
        .or_else(|| ApiVersion::ALL.last().copied())
        .expect("the crate has at least one API version")
}

/// Which versions of this build can run each form of a command, from the registry: a version
/// that lacks an operation the form needs is left out.
fn versions_help(task: impl Fn(Kind) -> Task) -> String {
    let forms = [
        Kind::Default,
        Kind::Type {
            id: 0,
            category: String::new(),
        },
        Kind::Label(String::new()),
    ];
    let mut lines: Vec<String> = Vec::new();
    for kind in forms {
        let task = task(kind);
        let line = format!(
            "  {task}: {}",
            match task.versions().as_slice() {
                [] => "no version of this build".to_owned(),
                versions => versions
                    .iter()
                    .map(|v| v.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            }
        );
        if !lines.contains(&line) {
            lines.push(line);
        }
    }
    format!("API versions that can run it:\n{}", lines.join("\n"))
}

fn version_help() -> String {
    let versions: Vec<String> = ApiVersion::ALL
        .iter()
        .map(|version| match version.end_of_support() {
            Some(date) => format!("{version} ({}, ends {date})", version.lifecycle()),
            None => format!("{version} ({})", version.lifecycle()),
        })
        .collect();
    format!("The HubSpot API version: {}", versions.join(", "))
}

fn parse_rate(text: &str) -> Result<(u32, Duration), String> {
    let (requests, millis) = text
        .split_once('/')
        .ok_or("expected <requests>/<milliseconds>, such as 100/10000")?;
    let requests = requests
        .trim()
        .parse()
        .map_err(|e| format!("requests: {e}"))?;
    let millis: u64 = millis
        .trim()
        .parse()
        .map_err(|e| format!("milliseconds: {e}"))?;
    Ok((requests, Duration::from_millis(millis)))
}

fn with_extension(path: &std::path::Path, extension: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(extension);
    PathBuf::from(name)
}

impl CommonArgs {
    fn rate_limit(&self) -> anyhow::Result<RateLimit> {
        if let Some((requests, per)) = self.rate_limit {
            return Ok(RateLimit::Custom { requests, per });
        }
        let tier = match self.tier {
            TierArg::Free => Tier::FREE,
            TierArg::Starter => Tier::STARTER,
            TierArg::Professional => Tier::PROFESSIONAL,
            TierArg::Enterprise => Tier::ENTERPRISE,
            TierArg::PublicApp => Tier::PUBLIC_APP,
        };
        let tier = tier
            .with_api_limit_increases(self.api_limit_increases)
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "--api-limit-increases: a {tier} has its own limit; HubSpot sells no \
                     increase of it"
                )
            })?;
        Ok(RateLimit::Tier(tier))
    }

    /// The job, refused when the version lacks an operation the task needs: before anything
    /// is read or sent.
    fn job(&self, task: Task) -> anyhow::Result<Job> {
        task.check(self.api_version)?;
        let mut options = BulkOptions::default().concurrency(self.concurrency);
        if let Some(size) = self.chunk_size {
            options = options.chunk_size(size);
        }
        Ok(Job {
            task,
            version: self.api_version,
            from_type: self.from.clone(),
            to_type: self.to.clone(),
            input: self.input.clone(),
            failures: self
                .failures
                .clone()
                .unwrap_or_else(|| with_extension(&self.input, ".failures.csv")),
            dry_run: self.dry_run,
            options,
            rate_limit: self.rate_limit()?,
            progress: !self.no_progress,
            json: self.json,
        })
    }

    /// The client; a dry run needs no credentials, but then cannot look up a label.
    fn api(&self) -> anyhow::Result<Api> {
        self.api_for(false)
    }

    /// The client, for a command whose dry run reads from HubSpot (`sync`, which must read to
    /// plan) when `plans_by_reading`: then a dry run needs credentials too.
    fn api_for(&self, plans_by_reading: bool) -> anyhow::Result<Api> {
        let file = credentials::RefreshTokenFile {
            path: self
                .refresh_token_file
                .clone()
                .unwrap_or_else(|| with_extension(&self.input, ".refresh-token")),
            named: self.refresh_token_file.is_some(),
        };
        let credentials = match credentials::from_environment(&file)? {
            Some(credentials) => credentials,
            None if self.dry_run && !plans_by_reading => Credentials::from("dry-run"),
            None => anyhow::bail!(
                "set a private app's access token in {}, or an OAuth app's {}, {} and {}",
                credentials::TOKEN,
                credentials::CLIENT_ID,
                credentials::CLIENT_SECRET,
                credentials::REFRESH_TOKEN
            ),
        };
        let mut builder = Transport::builder(credentials).rate_limit(self.rate_limit()?);
        if let Some(url) = &self.base_url {
            builder = builder.base_url(url);
        }
        if let (Some(url), Some(key)) = (&self.shared_limit, &self.budget_key) {
            builder = builder.shared_budget(SharedBudget::redis(url, key));
        }
        Ok(Api::new(self.api_version, builder.build()?))
    }
}

impl PairArgs {
    fn kind(&self) -> Kind {
        match (&self.type_id, &self.label) {
            (Some(id), _) => Kind::Type {
                id: *id,
                category: self.category.clone(),
            },
            (None, Some(label)) => Kind::Label(label.clone()),
            (None, None) => Kind::Default,
        }
    }

    fn state(&self) -> PathBuf {
        self.state
            .clone()
            .unwrap_or_else(|| with_extension(&self.common.input, STATE_EXTENSION))
    }

    async fn run(&self, task: impl Fn(Kind) -> Task) -> anyhow::Result<report::Summary> {
        let job = self.common.job(task(self.kind()))?;
        let api = self.common.api()?;
        commands::write_pairs(&api, &job, &self.state(), self.retry_failed).await
    }

    async fn sync(&self, mode: Mode, max_removals: u64) -> anyhow::Result<report::SyncSummary> {
        let mirror = mode == Mode::Mirror;
        let job = self.common.job(Task::Sync {
            kind: self.kind(),
            mirror,
        })?;
        let api = self.common.api_for(true)?;
        let options = sync::SyncOptions {
            retry_failed: self.retry_failed,
            max_removals,
            plan_file: with_extension(&self.common.input, ".plan.csv"),
        };
        sync::sync(&api, &job, &self.state(), &options).await
    }
}

/// `status`: answered from the state alone, with no client.
fn status(input: Option<&Path>, state: Option<&Path>, failures: u64, json: bool) -> ExitCode {
    let state = match (state, input) {
        (Some(state), _) => state.to_owned(),
        (None, Some(input)) => with_extension(input, STATE_EXTENSION),
        (None, None) => PathBuf::from(STATE_EXTENSION),
    };
    match commands::status(&state, failures, json) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => failed(&error, json),
    }
}

/// Whether the shared budget is in use or fell back always goes to stderr; with `--verbose`,
/// warnings (retries and the like) too.
fn log_warnings(common: &CommonArgs) {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;

    let everything = match common.verbose {
        true => LevelFilter::WARN,
        false => LevelFilter::OFF,
    };
    let filter = Targets::new()
        .with_default(everything)
        .with_target("hubspot_associations::shared_budget", LevelFilter::INFO);
    tracing_subscriber::fmt()
        .with_max_level(LevelFilter::INFO)
        .with_writer(std::io::stderr)
        .finish()
        .with(filter)
        .init();
}

/// A command refused or stopped: the error on stderr, and with `json` on stdout as JSON; exit
/// status 2.
fn failed(error: &anyhow::Error, json: bool) -> ExitCode {
    eprintln!("error: {error:#}");
    if json {
        println!(
            "{}",
            serde_json::json!({"error": format!("{error:#}"), "exit_code": 2})
        );
    }
    ExitCode::from(2)
}

fn finished(
    outcome: anyhow::Result<impl report::Finished + 'static>,
) -> anyhow::Result<Box<dyn report::Finished>> {
    outcome.map(|done| Box::new(done) as Box<dyn report::Finished>)
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = match &cli.command {
        Command::Associate { pairs } | Command::Archive { pairs } | Command::Sync { pairs, .. } => {
            pairs.common.json
        }
        Command::Export { common, .. } => common.json,
        Command::Status { .. } => false,
    };
    let outcome: anyhow::Result<Box<dyn report::Finished>> = match &cli.command {
        Command::Status {
            input,
            state,
            failures,
            json,
        } => return status(input.as_deref(), state.as_deref(), *failures, *json),
        Command::Associate { pairs } => {
            log_warnings(&pairs.common);
            finished(pairs.run(Task::Associate).await)
        }
        Command::Archive { pairs } => {
            log_warnings(&pairs.common);
            finished(pairs.run(Task::Archive).await)
        }
        Command::Sync {
            pairs,
            mode,
            max_removals,
        } => {
            log_warnings(&pairs.common);
            finished(pairs.sync(*mode, *max_removals).await)
        }
        Command::Export {
            common,
            output,
            state,
            retry_failed,
        } => {
            log_warnings(common);
            let state = state
                .clone()
                .unwrap_or_else(|| with_extension(&common.input, STATE_EXTENSION));
            match common
                .job(Task::Export)
                .and_then(|job| Ok((common.api()?, job)))
            {
                Ok((api, job)) => {
                    finished(commands::export(&api, &job, output, &state, *retry_failed).await)
                }
                Err(error) => Err(error),
            }
        }
    };
    match outcome {
        Ok(summary) if json => {
            println!("{}", summary.json());
            ExitCode::from(summary.exit_code())
        }
        Ok(summary) => {
            eprintln!("{summary}");
            ExitCode::from(summary.exit_code())
        }
        Err(error) => failed(&error, json),
    }
}
