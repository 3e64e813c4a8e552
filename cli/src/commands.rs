//! `associate`, `archive` and `export`, each written once and run against the client of the
//! version asked for, compiled for every version that has the operations it needs
//! (`with_operations!`, of the operation `job::operation!` declares for each call); and
//! `status`, read from a run's state.
//!
//! Why `with_operations!`: the CLI calls the typed bulk methods (`batch_create_chunks` and the
//! like), which chunk at HubSpot's caps, match results to inputs and stream outcomes as they
//! complete. Calling operations by name (`call_json`) would give that up for JSON; a generated
//! capability trait would need one trait per operation with associated types for each input
//! and result. The macro keeps the typed calls, and compiles each block only for the versions
//! whose registry lists its operations, so a version that drops one compiles and the task that
//! needs it is refused, from the same registry, when the arguments are read (`Task::check`).

use std::io::IsTerminal;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures_util::{Stream, StreamExt};
use hubspot_associations::bulk::InputFailure;
use hubspot_associations::{
    ApiVersion, BulkOutcome, Error, MissingOperation, ObjectId, RateLimit, RateLimitPolicy,
    TokenError, Transport,
};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

use crate::input::{self, RecordId};
use crate::job::{Job, Kind, Task, operation, with_operation};
use crate::lock;
use crate::read::{Read, read_scope};
use crate::report::{self, BadRowLog, CsvFile, FailuresFile, Summary};
use crate::state::{Counts, Failure, Found, Outcome, Pair, Pending, Run, State};

/// The API version a run uses, and the transport its client sends through.
pub struct Api {
    /// The version, from the crate's registry.
    pub version: ApiVersion,
    /// The token, rate limiter and retry policy.
    pub transport: Transport,
}

impl Api {
    /// The client of `version` on `transport`; a version with an announced end of support
    /// gets a warning naming the version to move to.
    pub fn new(version: ApiVersion, transport: Transport) -> Self {
        if let Some(date) = version.end_of_support() {
            let newest = ApiVersion::newest_generally_available()
                .map(|newest| format!("; use --api-version {newest}"))
                .unwrap_or_default();
            eprintln!("warning: HubSpot ends support for API {version} on {date}{newest}");
        }
        Self { version, transport }
    }
}

/// A version without an operation the task needs, met while it runs: the arguments were
/// checked against the same registry, so this is a bug, reported as one.
pub(crate) fn unavailable(missing: MissingOperation) -> anyhow::Error {
    anyhow::anyhow!("{missing} (the arguments were checked against it: please report this)")
}

/// What HubSpot answered for each pair a request carried.
pub(crate) type PairOutcomes = Vec<((RecordId, RecordId), Outcome)>;

/// How often a run without a terminal says how far it got.
const PROGRESS_LINE_EVERY: Duration = Duration::from_secs(5);

/// The progress of `length` items (`pairs`, `records`...): a bar on a terminal; without one
/// (a log, a pipe), a line on stderr every few seconds.
pub(crate) fn progress_bar(job: &Job, length: u64, unit: &'static str) -> ProgressBar {
    if !job.progress {
        return ProgressBar::hidden();
    }
    if !std::io::stderr().is_terminal() {
        let bar = ProgressBar::with_draw_target(Some(length), ProgressDrawTarget::hidden());
        let watched = bar.downgrade();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(PROGRESS_LINE_EVERY).await;
                let Some(bar) = watched.upgrade().filter(|bar| !bar.is_finished()) else {
                    break;
                };
                eprintln!(
                    "progress: {} of {length} {unit}, {:.0}/s",
                    bar.position(),
                    bar.per_sec()
                );
            }
        });
        return bar;
    }
    let template = format!("{{bar:40}} {{pos}}/{{len}} {unit}  {{rate}}  ETA {{eta}}");
    let style = ProgressStyle::with_template(&template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .with_key(
            "rate",
            |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{:.0}/s", state.per_sec());
            },
        );
    let bar = ProgressBar::new(length);
    bar.set_style(style);
    bar
}

/// How long the requests of a plan take at the rate limit, when one is set.
pub(crate) fn plan_duration(requests: u64, rate_limit: RateLimit) -> Option<Duration> {
    let (per, interval) = match rate_limit {
        RateLimit::Tier(tier) => (tier.requests_per_ten_seconds(), Duration::from_secs(10)),
        RateLimit::Custom { requests, per } => (requests, per),
        _ => return None,
    };
    Some(interval.mul_f64(requests.saturating_sub(u64::from(per)) as f64 / f64::from(per.max(1))))
}

/// The record id of an input the CLI made: a number it read from the input. Anything else is
/// an error, never a record 0.
pub(crate) fn record_id(id: &ObjectId) -> anyhow::Result<RecordId> {
    RecordId::parse(id.as_str()).ok_or_else(|| {
        anyhow::anyhow!(
            "an input holds `{}`, which is not a record id read from the input",
            input::excerpt(id.as_str())
        )
    })
}

/// The pair of records an input names.
fn pair(from: &ObjectId, to: &ObjectId) -> anyhow::Result<Vec<(RecordId, RecordId)>> {
    Ok(vec![(record_id(from)?, record_id(to)?)])
}

/// Whether a failed request stops the run: the credentials no longer work (no access token
/// could be had, or HubSpot refused the one sent), or the account's daily limit is used up,
/// so every next request would fail alike. HubSpot acted on none of its pairs, so they stay
/// pending for the next run.
pub(crate) fn stops_the_run(error: &Error) -> bool {
    matches!(error, Error::Token { .. })
        || is_daily_limit(error)
        || is_unreachable(error)
        || error.http_status().is_some_and(|s| s.as_u16() == 401)
}

/// Whether HubSpot could not be reached, or kept failing, once the retry policy was spent: a
/// refused or broken connection, a name that does not resolve, TLS, a timeout, a 5xx. Nothing
/// says what HubSpot did of the request, so its pairs stay pending, for the next run (a
/// create sent again is found existing, a remove found gone: both count as done).
fn is_unreachable(error: &Error) -> bool {
    matches!(error, Error::Transport { .. } | Error::Timeout { .. })
        || error.http_status().is_some_and(|s| s.is_server_error())
}

fn is_daily_limit(error: &Error) -> bool {
    matches!(error, Error::RateLimited(limited) if limited.policy == Some(RateLimitPolicy::Daily))
}

/// What HubSpot answered for the pairs of one request, and the error that stops the run,
/// if the request failed with one (its pairs are then not in `outcomes`: they stay pending).
/// Pairs of a request HubSpot refused as a whole are in `refused`, not yet settled: whether
/// they failed, or the run stops with them pending, depends on the requests around it.
struct Settled {
    outcomes: PairOutcomes,
    stop: Option<Arc<Error>>,
    refused: Option<Refused>,
}

/// A request refused as a whole, and the pairs it carried.
type Refused = (Arc<Error>, Vec<(RecordId, RecordId)>);

/// Requests refused alike, one after another, after which the run stops: the rest would be
/// refused too (a wrong object type, a missing scope), and each refusal costs a request.
const REFUSALS_BEFORE_STOP: usize = 3;

/// Whether HubSpot refused a request as a whole for what it asked (a 4xx other than the ones
/// that stop the run at once and 429), so that the same request would be refused again.
pub(crate) fn refused_as_a_whole(error: &Error) -> bool {
    error
        .http_status()
        .is_some_and(|status| status.is_client_error() && status.as_u16() != 429)
}

/// Requests refused alike in a row, with their pairs, not settled yet.
#[derive(Default)]
struct Refusals {
    error: Option<Arc<Error>>,
    requests: usize,
    pairs: Vec<(RecordId, RecordId)>,
}

impl Refusals {
    /// Adds a refused request; whether it makes enough alike in a row to stop the run. A
    /// refusal unlike the last ones settles those as failed first, through `settle`.
    fn add(
        &mut self,
        error: Arc<Error>,
        pairs: Vec<(RecordId, RecordId)>,
        settle: &mut impl FnMut(PairOutcomes) -> anyhow::Result<u64>,
    ) -> anyhow::Result<(bool, u64)> {
        let alike = self
            .error
            .as_ref()
            .is_some_and(|last| last.to_string() == error.to_string());
        let settled = if alike { 0 } else { self.fail(settle)? };
        self.error = Some(error);
        self.requests += 1;
        self.pairs.extend(pairs);
        Ok((self.requests >= REFUSALS_BEFORE_STOP, settled))
    }

    /// Settles the refused pairs as failed, with HubSpot's reason; how many.
    fn fail(
        &mut self,
        settle: &mut impl FnMut(PairOutcomes) -> anyhow::Result<u64>,
    ) -> anyhow::Result<u64> {
        let Some(error) = self.error.take() else {
            return Ok(0);
        };
        self.requests = 0;
        let reason = error.to_string();
        let failed = std::mem::take(&mut self.pairs)
            .into_iter()
            .map(|pair| (pair, Outcome::Failed(reason.clone())))
            .collect();
        settle(failed)
    }
}

/// Each pair of a bulk outcome with HubSpot's answer for the input that carried it.
fn outcomes_by_pair<I, R>(
    outcome: BulkOutcome<I, R>,
    pairs_of: &impl Fn(&I) -> anyhow::Result<Vec<(RecordId, RecordId)>>,
) -> anyhow::Result<Settled> {
    let (mut stop, mut refused) = (None, None::<Refused>);
    let mut outcomes: PairOutcomes = Vec::new();
    for success in &outcome.succeeded {
        outcomes.extend(
            pairs_of(&success.input)?
                .into_iter()
                .map(|pair| (pair, Outcome::Done)),
        );
    }
    for failure in &outcome.failed {
        if let InputFailure::Request(error) = &failure.failure
            && stops_the_run(error)
        {
            stop.get_or_insert_with(|| Arc::clone(error));
            continue;
        }
        if let InputFailure::Request(error) = &failure.failure
            && refused_as_a_whole(error)
        {
            let (_, pairs) = refused.get_or_insert_with(|| (Arc::clone(error), Vec::new()));
            pairs.extend(pairs_of(&failure.input)?);
            continue;
        }
        let reason = failure.failure.to_string();
        outcomes.extend(
            pairs_of(&failure.input)?
                .into_iter()
                .map(|pair| (pair, Outcome::Failed(reason.clone()))),
        );
    }
    Ok(Settled {
        outcomes,
        stop,
        refused,
    })
}

/// Drains a stream of bulk outcomes into the run's state, each request's as it completes.
async fn drain<I, R>(
    chunks: impl Stream<Item = BulkOutcome<I, R>>,
    pairs_of: impl Fn(&I) -> anyhow::Result<Vec<(RecordId, RecordId)>>,
    record: &mut impl FnMut(Settled) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut chunks = std::pin::pin!(chunks);
    while let Some(outcome) = chunks.next().await {
        record(outcomes_by_pair(outcome, &pairs_of)?)?;
    }
    Ok(())
}

/// Why a run stopped before its end, and what to do so that the same command finishes it;
/// `pending` says what is left, such as `2000 pairs not sent`.
pub(crate) fn stopped(error: &Error, pending: &str, state: &Path) -> anyhow::Error {
    let remedy = match error {
        Error::Token {
            source: TokenError::Refused(_),
            ..
        } => format!(
            "HubSpot refused the OAuth app's refresh token: the app was uninstalled from the \
             account, or the token is wrong. Authorize the app again, put the new refresh \
             token in {} (or the --refresh-token-file), and run the same command",
            crate::credentials::REFRESH_TOKEN
        ),
        Error::Token { source, .. } if source.is_transient() => {
            "no access token could be had for now; run the same command again later".to_owned()
        }
        Error::Token { .. } => "no access token could be had; check the credentials, then run \
                                the same command"
            .to_owned(),
        error if is_daily_limit(error) => "the account's daily limit is used up; it resets at \
                                           midnight in the account's time zone: run the same \
                                           command after that"
            .to_owned(),
        error if is_unreachable(error) => "HubSpot could not be reached, or failed, after every \
                                           retry; when it can be (check the network, a proxy, \
                                           --base-url), run the same command"
            .to_owned(),
        error if refused_as_a_whole(error) => "HubSpot refused the requests alike, and would \
                                               refuse the rest: fix what it names (the object \
                                               types, the association type or label, the app's \
                                               scopes), then run the same command"
            .to_owned(),
        _ => format!(
            "HubSpot refused the credentials; check {} (a private app's token that was \
             rotated or revoked?) or the OAuth app's, then run the same command",
            crate::credentials::TOKEN
        ),
    };
    anyhow::anyhow!(
        "stopped: {error}\n{remedy}: the {pending} are pending in {}, and nothing HubSpot \
         confirmed is sent again",
        state.display()
    )
}

/// Who holds a run's lock, for the run refused.
pub(crate) fn holder(job: &Job) -> String {
    format!(
        "pid {}, `{}` of {}, since {}",
        std::process::id(),
        job.task.name(),
        job.input.display(),
        humantime::format_rfc3339_seconds(std::time::SystemTime::now())
    )
}

/// `associate` and `archive`: every pair of the input, resumed from the run's state.
pub async fn write_pairs(
    api: &Api,
    job: &Job,
    state_path: &Path,
    retry_failed: bool,
) -> anyhow::Result<Summary> {
    let started = Instant::now();
    let run = run_of(job, job.task.kind().map(Kind::describe).unwrap_or_default());
    if job.dry_run {
        return plan_pairs(job, &run, state_path);
    }
    let (_lock, mut state) = open_run(job, &run, state_path)?;
    if retry_failed {
        state.retry_failed()?;
    }
    let before = state.counts()?;
    let session = state.begin_session()?;
    let bar = progress_bar(job, before.pending_pairs, "pairs");
    let sent = send_pending(api, job, &mut state, &bar).await;
    bar.finish_and_clear();
    // A session ends with the process's work, whether it succeeded or not; only a kill leaves
    // one open.
    state.end_session(session)?;
    if let Some(error) = sent? {
        let pending = format!("{} pairs not sent", state.counts()?.pending_pairs);
        return Err(stopped(&error, &pending, state_path));
    }
    let mut failures = FailuresFile::create(&job.failures, &["from_id", "to_id"])?;
    state.failures(None, |row| {
        failures.write(row.line, &row.reason, &row.fields)
    })?;
    failures.finish()?;
    let after = state.counts()?;
    Ok(Summary {
        command: job.task.name(),
        total: after.total,
        done: after.done,
        failed: after.failed,
        bad: after.bad,
        skipped: before.settled(),
        settled_now: after.settled() - before.settled(),
        pending: after.pending,
        elapsed: started.elapsed(),
        dry_run: false,
        written: None,
        failures: job.failures.clone(),
    })
}

/// The run of `job` as its state records it, of the kind of associations `kind` describes.
pub(crate) fn run_of(job: &Job, kind: String) -> Run {
    Run {
        command: job.task.name().to_owned(),
        api_version: job.version.as_str().to_owned(),
        from_type: job.from_type.clone(),
        to_type: job.to_type.clone(),
        kind,
    }
}

/// The state of `run` at `state_path`, locked for this process, with the job's input read into
/// it unless it holds the run already (resumed).
pub(crate) fn open_run(
    job: &Job,
    run: &Run,
    state_path: &Path,
) -> anyhow::Result<(lock::Lock, State)> {
    let lock = lock::acquire(state_path, &holder(job))?;
    let mut state = State::open(state_path)?;
    if !state.holds(run, &job.input)? {
        import(&mut state, run, job)?;
    }
    Ok((lock, state))
}

/// Reads the job's input into the state, showing its bad rows as they are found: pairs, or
/// for `export` ids; `sync`'s rows may leave the to-record empty (`123,`: a record that should
/// have none).
pub(crate) fn import(state: &mut State, run: &Run, job: &Job) -> anyhow::Result<()> {
    let mut bad_rows = BadRowLog::default();
    let rows = match job.task {
        Task::Export => input::open(&job.input, 1)?,
        Task::Sync { .. } => input::open(&job.input, 2)?.last_optional(),
        _ => input::open(&job.input, 2)?,
    };
    state.import(run, &job.input, rows, |row| {
        bad_rows.show(row.line, &row.reason, &row.fields)
    })?;
    bad_rows.finish(&job.failures);
    Ok(())
}

/// Sends every pair the state has not settled, recording each request's outcome as it
/// completes; stops drawing pairs at a Ctrl-C or at an error that stops the run, which it
/// returns.
async fn send_pending(
    api: &Api,
    job: &Job,
    state: &mut State,
    bar: &ProgressBar,
) -> anyhow::Result<Option<Arc<Error>>> {
    let task = resolve(api, job).await?;
    let pending = state.pending()?;
    let interrupted = interruption();
    send_drawn(api, job, &task, pending, &interrupted, bar, |outcomes| {
        state.record(outcomes)
    })
    .await
}

/// Sends the pairs drawn from a state through the task's batch operation, handing each
/// request's outcomes to `settle` (which says how many it settled) as it completes; stops
/// drawing pairs once `interrupted` is set or at an error that stops the run, which it returns.
pub(crate) async fn send_drawn(
    api: &Api,
    job: &Job,
    task: &Task,
    mut drawn: Pending,
    interrupted: &AtomicBool,
    bar: &ProgressBar,
    mut settle: impl FnMut(PairOutcomes) -> anyhow::Result<u64>,
) -> anyhow::Result<Option<Arc<Error>>> {
    let halted = AtomicBool::new(false);
    let mut stop = None;
    let mut refusals = Refusals::default();
    let mut refused_too_often = false;
    let mut record = |settled: Settled| -> anyhow::Result<()> {
        let answered = !settled.outcomes.is_empty();
        bar.inc(settle(settled.outcomes)?);
        match settled.refused {
            Some((error, pairs)) => {
                let (enough, failed) = refusals.add(Arc::clone(&error), pairs, &mut settle)?;
                bar.inc(failed);
                if enough && stop.is_none() {
                    refused_too_often = true;
                    halted.store(true, Ordering::SeqCst);
                    stop = Some(error);
                }
            }
            // HubSpot took another request: the refusals were about their own inputs.
            None if answered && !refused_too_often => bar.inc(refusals.fail(&mut settle)?),
            None => {}
        }
        if let Some(error) = settled.stop {
            halted.store(true, Ordering::SeqCst);
            stop.get_or_insert(error);
        }
        Ok(())
    };
    let rows = drawn
        .by_ref()
        .take_while(|_| !interrupted.load(Ordering::SeqCst) && !halted.load(Ordering::SeqCst));
    send_pairs(api, job, task, rows, &mut record).await?;
    if !refused_too_often {
        bar.inc(refusals.fail(&mut settle)?);
    }
    drawn.failure().map_or(Ok(()), Err)?;
    Ok(stop)
}

/// Set at the first Ctrl-C: no request starts after it, and those in flight finish and are
/// recorded, so the next run sends nothing twice. A second Ctrl-C ends the process at once
/// (the state stays consistent, as after a kill).
pub(crate) fn interruption() -> Arc<AtomicBool> {
    let interrupted = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&interrupted);
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!(
                "interrupted: finishing the requests in flight (Ctrl-C again to stop at once)"
            );
            flag.store(true, Ordering::SeqCst);
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(130);
            }
        }
    });
    interrupted
}

/// The plan of `associate` or `archive`: from the run's state when it holds this run, else
/// from a scratch state the input is read into and that is deleted after.
fn plan_pairs(job: &Job, run: &Run, state_path: &Path) -> anyhow::Result<Summary> {
    let existing = match state_path.exists() {
        true => Some(State::open_to_read(state_path)?),
        false => None,
    };
    let scratch = tempfile::tempdir()?;
    let state = match existing {
        Some(state) if state.holds(run, &job.input)? => state,
        _ => {
            let mut state = State::open(&scratch.path().join("plan.sqlite"))?;
            import(&mut state, run, job)?;
            state
        }
    };
    let counts = state.counts()?;
    let requests = counts.pending_pairs.div_ceil(job.chunk_size() as u64);
    Ok(report::plan(
        job,
        &counts,
        requests,
        plan_duration(requests, job.rate_limit),
    ))
}

/// `status`: a run's progress and failures, from its state, while it runs or after; as JSON
/// with `json`.
pub fn status(state_path: &Path, failures_shown: u64, json: bool) -> anyhow::Result<()> {
    if !state_path.exists() {
        anyhow::bail!(
            "there is no run state at {}: a run writes it beside its input (`<input>.state.sqlite`) \
             unless given --state",
            state_path.display()
        );
    }
    let state = State::open_to_read(state_path)?;
    let Some(recorded) = state.recorded()? else {
        anyhow::bail!(
            "the run state {} holds no run yet: its first run is reading the input, or was \
             stopped while it did",
            state_path.display()
        );
    };
    let mut failures = Vec::new();
    let sync = (recorded.run.command == crate::state::SYNC)
        .then(|| state.sync_counts())
        .transpose()?;
    match sync {
        // A sync's failures are its failed writes besides its bad rows and unread records.
        Some(_) => state.sync_failures(|line, reason, fields| {
            if (failures.len() as u64) < failures_shown {
                failures.push(Failure {
                    line,
                    reason,
                    fields,
                });
            }
            Ok(())
        })?,
        None => state.failures(Some(failures_shown), |row| {
            failures.push(row);
            Ok(())
        })?,
    }
    let holder = lock::holder(state_path)?;
    let status = report::Status {
        path: state_path,
        recorded: &recorded,
        counts: &state.counts()?,
        sync: sync.as_ref(),
        sessions: &state.sessions()?,
        holder: holder.as_deref(),
        failures: &failures,
    };
    match json {
        true => println!("{}", report::status_json(&status)),
        false => report::status(&status),
    }
    Ok(())
}

/// The task as it runs: a label resolved to its type id and category once.
pub(crate) async fn resolve(api: &Api, job: &Job) -> anyhow::Result<Task> {
    let Some(Kind::Label(label)) = job.task.kind() else {
        return Ok(job.task.clone());
    };
    let (from, to) = (job.from_type.as_str(), job.to_type.as_str());
    // Looked up again once when missing: a label created since the lookup was kept is found.
    let (found, labels) = operation!(
        Labels,
        with_operation!(api.version, version, {
            let client = version::Client::new(api.transport.clone());
            match client.find_label(from, to, label).await? {
                Some(found) => (Some(found), None),
                // For the message: the labels there are.
                None => (None, Some(client.labels(from, to).await?)),
            }
        })
    )
    .map_err(unavailable)?;
    let found = found.ok_or_else(|| {
        let labels = labels.unwrap_or_default();
        let mut known: Vec<&str> = labels.iter().filter_map(|l| l.label.as_deref()).collect();
        known.sort_unstable();
        let there = if known.is_empty() {
            "there are none".to_owned()
        } else {
            format!("the labels there: {}", known.join(", "))
        };
        anyhow::anyhow!("no association label `{label}` from {from} to {to}; {there}")
    })?;
    Ok(job.task.with_kind(Kind::Type {
        id: found.type_id,
        category: found.category.to_string(),
    }))
}

/// Sends `rows` through the batch operation the task calls for, in the run's version,
/// recording what HubSpot confirmed of each request as it completes.
async fn send_pairs(
    api: &Api,
    job: &Job,
    task: &Task,
    rows: impl Iterator<Item = Pair>,
    record: &mut impl FnMut(Settled) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let (from_type, to_type, options) = (job.from_type.as_str(), job.to_type.as_str(), job.options);
    let sent: Result<anyhow::Result<()>, MissingOperation> = match task {
        Task::Associate(Kind::Default) => {
            operation!(
                CreateDefault,
                with_operation!(api.version, version, {
                    use version::types::PublicDefaultAssociationMultiPost as Input;
                    let client = version::Client::new(api.transport.clone());
                    let inputs = rows.map(|p| Input::new(p.from, p.to));
                    let chunks =
                        client.batch_create_default_chunks(from_type, to_type, inputs, options);
                    drain(chunks, |i: &Input| pair(&i.from.id, &i.to.id), record).await
                })
            )
        }
        Task::Associate(Kind::Type { id, category }) => {
            operation!(
                Create,
                with_operation!(api.version, version, {
                    use version::types::{AssociationSpec, PublicAssociationMultiPost as Input};
                    let client = version::Client::new(api.transport.clone());
                    let spec = AssociationSpec::new(category.as_str(), *id);
                    let inputs = rows.map(|p| Input::new(p.from, p.to, [spec.clone()]));
                    let chunks = client.batch_create_chunks(from_type, to_type, inputs, options);
                    drain(chunks, |i: &Input| pair(&i.from.id, &i.to.id), record).await
                })
            )
        }
        Task::Archive(Kind::Default) => {
            operation!(
                ArchiveDefault,
                with_operation!(api.version, version, {
                    use version::types::PublicAssociationMultiArchive as Input;
                    let client = version::Client::new(api.transport.clone());
                    let inputs = by_from(rows).map(|(from, to)| Input::new(from, to));
                    let chunks = client.batch_archive_chunks(from_type, to_type, inputs, options);
                    let pairs = |i: &Input| -> anyhow::Result<Vec<(RecordId, RecordId)>> {
                        let from = record_id(&i.from.id)?;
                        i.to.iter()
                            .map(|to| Ok((from, record_id(&to.id)?)))
                            .collect()
                    };
                    drain(chunks, pairs, record).await
                })
            )
        }
        Task::Archive(Kind::Type { id, category }) => {
            operation!(
                ArchiveTypes,
                with_operation!(api.version, version, {
                    use version::types::{AssociationSpec, PublicAssociationMultiPost as Input};
                    let client = version::Client::new(api.transport.clone());
                    let spec = AssociationSpec::new(category.as_str(), *id);
                    let inputs = rows.map(|p| Input::new(p.from, p.to, [spec.clone()]));
                    let chunks =
                        client.batch_archive_labels_chunks(from_type, to_type, inputs, options);
                    drain(chunks, |i: &Input| pair(&i.from.id, &i.to.id), record).await
                })
            )
        }
        other => anyhow::bail!("`{other}` does not write pairs"),
    };
    sent.map_err(unavailable)?
}

/// Consecutive pairs with the same `from` grouped, as batch archive takes them, as they come.
fn by_from(rows: impl Iterator<Item = Pair>) -> impl Iterator<Item = (RecordId, Vec<RecordId>)> {
    let mut rows = rows.peekable();
    std::iter::from_fn(move || {
        let first = rows.next()?;
        let mut to = vec![first.to];
        while let Some(next) = rows.next_if(|next| next.from == first.from) {
            to.push(next.to);
        }
        Some((first.from, to))
    })
}

/// Records one read of `export`: every association found, of every type.
fn record_found(state: &mut State, read: Read) -> anyhow::Result<()> {
    let Read {
        records,
        associations,
        unreadable,
        ..
    } = read;
    let found = associations.into_iter().flat_map(|(from, to, types)| {
        types.into_iter().map(move |kind| Found {
            from,
            to,
            type_id: kind.type_id,
            category: kind.category,
            label: kind.label,
        })
    });
    state.record_found(&records, found, &unreadable)
}

/// `export`: every association of every record of the input, to a CSV file, resumed from the
/// run's state: the input's ids are read into it, then a few requests' worth of records at a
/// time are read from HubSpot into it, and the output is written from it once every record
/// is read (to a temporary file put in place when complete).
pub async fn export(
    api: &Api,
    job: &Job,
    output: &Path,
    state_path: &Path,
    retry_failed: bool,
) -> anyhow::Result<Summary> {
    let started = Instant::now();
    if job.dry_run {
        let mut rows = input::open(&job.input, 1)?;
        let mut bad_rows = BadRowLog::default();
        let (mut ids, mut bad) = (0, 0);
        for row in rows.by_ref() {
            match row.map_err(|error| input::unreadable(&job.input, error))? {
                Ok(_) => ids += 1,
                Err(row) => {
                    bad += 1;
                    bad_rows.show(row.line, &row.reason, &row.fields);
                }
            }
        }
        bad_rows.finish(&job.failures);
        let counts = Counts {
            total: rows.total,
            distinct: ids,
            pending: ids,
            pending_pairs: ids,
            bad,
            ..Counts::default()
        };
        let requests = ids.div_ceil(job.chunk_size() as u64);
        return Ok(report::plan(
            job,
            &counts,
            requests,
            plan_duration(requests, job.rate_limit),
        ));
    }
    let run = run_of(job, "every type".to_owned());
    let (_lock, mut state) = open_run(job, &run, state_path)?;
    if retry_failed {
        state.retry_unreadable()?;
    }
    let before = state.sync_counts()?;
    let session = state.begin_session()?;
    let interrupted = interruption();
    let read = read_scope(api, job, &mut state, &interrupted, record_found).await;
    state.end_session(session)?;
    if let Some(error) = read? {
        let pending = format!("{} records not read", state.unread_count()?);
        return Err(stopped(&error, &pending, state_path));
    }
    let after = state.sync_counts()?;
    let pending = state.unread_count()?;
    // The output is written whole, once every record is read: a run interrupted before leaves
    // the previous file, and the next run writes it.
    let written = match pending {
        0 => {
            let mut writer = CsvFile::create(
                output,
                &["from_id", "to_id", "type_id", "category", "label"],
            )?;
            let written = state.found_rows(|row| writer.write(&row))?;
            writer.finish()?;
            Some((written, output.to_owned()))
        }
        _ => None,
    };
    let mut failures = FailuresFile::create(&job.failures, &["id"])?;
    state.failures(None, |row| {
        failures.write(row.line, &row.reason, &row.fields)
    })?;
    failures.finish()?;
    let counts = state.counts()?;
    Ok(Summary {
        command: job.task.name(),
        total: counts.total,
        done: after.read,
        failed: after.unreadable,
        bad: counts.bad,
        skipped: before.read + before.unreadable,
        settled_now: (after.read + after.unreadable) - (before.read + before.unreadable),
        pending,
        elapsed: started.elapsed(),
        dry_run: false,
        written,
        failures: job.failures.clone(),
    })
}
