//! `associate`, `archive` and `export`, each written once and run against the client of the
//! version asked for (whose method and type names are the same in every version); and
//! `status`, read from a run's state.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use hubspot_associations::bulk::InputFailure;
use hubspot_associations::{
    ApiVersion, BulkOutcome, Error, ObjectId, RateLimit, RateLimitPolicy, TokenError, Transport,
};
use indicatif::{ProgressBar, ProgressStyle};

use crate::input;
use crate::job::Job;
use crate::lock;
use crate::report::{self, BadRowLog, CsvFile, FailuresFile, Summary};
use crate::state::{Counts, Outcome, Pair, Run, State};

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

/// Runs the block with `$client` the client of the run's version and `$module` its module:
/// the block is compiled once per version of the crate, whose method and type names are the
/// same.
macro_rules! with_client {
    ($api:expr, $client:ident, $body:block) => {
        with_client!($api, $client, _module, $body)
    };
    ($api:expr, $client:ident, $module:ident, $body:block) => {
        hubspot_associations::with_version!($api.version, $module, {
            let $client = $module::Client::new($api.transport.clone());
            $body
        })
    };
}

/// Which associations to create or remove.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The unlabelled default type.
    Default,
    /// A type by id and category.
    Type { id: i32, category: String },
    /// A label, resolved to its type once.
    Label(String),
}

impl Kind {
    fn describe(&self) -> String {
        match self {
            Self::Default => "default".into(),
            Self::Type { id, category } => format!("type {id} {category}"),
            Self::Label(label) => format!("label {label}"),
        }
    }
}

/// What HubSpot answered for each pair a request carried.
type PairOutcomes = Vec<((u64, u64), Outcome)>;

/// A bar of `length` rows, or a counter when the length is unknown.
fn progress_bar(job: &Job, length: Option<u64>) -> ProgressBar {
    if !job.progress {
        return ProgressBar::hidden();
    }
    let (bar, template) = match length {
        Some(length) => (
            ProgressBar::new(length),
            "{bar:40} {pos}/{len} pairs  {per_sec}  ETA {eta}  {msg}",
        ),
        None => (ProgressBar::no_length(), "{pos} rows  {per_sec}  {msg}"),
    };
    let style =
        ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar
}

/// How long the requests of a plan take at the rate limit, when one is set.
fn plan_duration(requests: u64, rate_limit: RateLimit) -> Option<Duration> {
    let (per, interval) = match rate_limit {
        RateLimit::Tier(tier) => (tier.requests_per_ten_seconds(), Duration::from_secs(10)),
        RateLimit::Custom { requests, per } => (requests, per),
        _ => return None,
    };
    Some(interval.mul_f64(requests.saturating_sub(u64::from(per)) as f64 / f64::from(per.max(1))))
}

/// A record id of a bulk input as a number (the CLI only sends numeric ids).
fn number(id: &ObjectId) -> u64 {
    id.as_u64().unwrap_or_default()
}

/// Whether a failed request stops the run: the credentials no longer work (no access token
/// could be had, or HubSpot refused the one sent), or the account's daily limit is used up,
/// so every next request would fail alike. HubSpot acted on none of its pairs, so they stay
/// pending for the next run.
fn stops_the_run(error: &Error) -> bool {
    matches!(error, Error::Token { .. })
        || is_daily_limit(error)
        || error.status().is_some_and(|s| s.as_u16() == 401)
}

fn is_daily_limit(error: &Error) -> bool {
    matches!(error, Error::RateLimited(limited) if limited.policy == Some(RateLimitPolicy::Daily))
}

/// What HubSpot answered for the pairs of one request, and the error that stops the run,
/// if the request failed with one (its pairs are then not in `outcomes`: they stay pending).
struct Settled {
    outcomes: PairOutcomes,
    stop: Option<Arc<Error>>,
}

/// Each pair of a bulk outcome with HubSpot's answer for the input that carried it.
fn outcomes_by_pair<I, R>(
    outcome: BulkOutcome<I, R>,
    pairs_of: impl Fn(&I) -> Vec<(u64, u64)>,
) -> Settled {
    let mut stop = None;
    let succeeded = outcome.succeeded.iter().flat_map(|success| {
        pairs_of(&success.input)
            .into_iter()
            .map(|pair| (pair, Outcome::Done))
    });
    let mut outcomes: PairOutcomes = succeeded.collect();
    for failure in &outcome.failed {
        if let InputFailure::Request(error) = &failure.failure
            && stops_the_run(error)
        {
            stop.get_or_insert_with(|| Arc::clone(error));
            continue;
        }
        let reason = failure.failure.to_string();
        outcomes.extend(
            pairs_of(&failure.input)
                .into_iter()
                .map(|pair| (pair, Outcome::Failed(reason.clone()))),
        );
    }
    Settled { outcomes, stop }
}

/// Why a run stopped before its end, and what to do so that the same command finishes it.
fn stopped(error: &Error, pending: u64, state: &Path) -> anyhow::Error {
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
        _ => format!(
            "HubSpot refused the credentials; check {} (a private app's token that was \
             rotated or revoked?) or the OAuth app's, then run the same command",
            crate::credentials::TOKEN
        ),
    };
    anyhow::anyhow!(
        "stopped: {error}\n{remedy}: the {pending} pairs not sent are pending in {}, and \
         nothing HubSpot confirmed is sent again",
        state.display()
    )
}

/// Who holds a run's lock, for the run refused.
fn holder(job: &Job) -> String {
    format!(
        "pid {}, `{}` of {}, since {}",
        std::process::id(),
        job.command,
        job.input.display(),
        humantime::format_rfc3339_seconds(std::time::SystemTime::now())
    )
}

/// `associate` and `archive`: every pair of the input, resumed from the run's state.
pub async fn write_pairs(
    api: &Api,
    job: &Job,
    kind: &Kind,
    state_path: &Path,
    retry_failed: bool,
) -> anyhow::Result<Summary> {
    let started = Instant::now();
    let run = Run {
        command: job.command.to_owned(),
        api_version: job.version.as_str().to_owned(),
        from_type: job.from_type.clone(),
        to_type: job.to_type.clone(),
        kind: kind.describe(),
    };
    if job.dry_run {
        return plan_pairs(job, kind, &run, state_path);
    }
    let _lock = lock::acquire(state_path, &holder(job))?;
    let mut state = State::open(state_path)?;
    if !state.holds(&run, &job.input)? {
        import(&mut state, &run, job)?;
    }
    if retry_failed {
        state.retry_failed()?;
    }
    let before = state.counts()?;
    let session = state.begin_session()?;
    let bar = progress_bar(job, Some(before.pending_pairs));
    let sent = send_pending(api, job, kind, &mut state, &bar).await;
    bar.finish_and_clear();
    // A session ends with the process's work, whether it succeeded or not; only a kill leaves
    // one open.
    state.end_session(session)?;
    if let Some(error) = sent? {
        return Err(stopped(&error, state.counts()?.pending_pairs, state_path));
    }
    let mut failures = FailuresFile::create(&job.failures, &["from_id", "to_id"])?;
    state.failures(None, |row| {
        failures.write(row.line, &row.reason, &row.fields)
    })?;
    failures.finish()?;
    let after = state.counts()?;
    Ok(Summary {
        command: job.command,
        total: after.total,
        done: after.done,
        failed: after.failed,
        bad: after.bad,
        skipped: before.settled(),
        settled_now: after.settled() - before.settled(),
        pending: after.pending,
        elapsed: started.elapsed(),
        dry_run: false,
    })
}

/// Reads the job's input into the state, showing its bad rows as they are found.
fn import(state: &mut State, run: &Run, job: &Job) -> anyhow::Result<()> {
    let mut bad_rows = BadRowLog::default();
    state.import(run, &job.input, input::open(&job.input, 2)?, |row| {
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
    kind: &Kind,
    state: &mut State,
    bar: &ProgressBar,
) -> anyhow::Result<Option<Arc<Error>>> {
    let resolved = resolve(api, job, kind).await?;
    let mut pending = state.pending()?;
    let halted = AtomicBool::new(false);
    let mut stop = None;
    let record = |settled: Settled| -> anyhow::Result<()> {
        bar.inc(state.record(settled.outcomes)?);
        if let Some(error) = settled.stop {
            halted.store(true, Ordering::SeqCst);
            stop.get_or_insert(error);
        }
        Ok(())
    };
    let interrupted = interruption();
    let rows = pending
        .by_ref()
        .take_while(|_| !interrupted.load(Ordering::SeqCst) && !halted.load(Ordering::SeqCst));
    send_pairs(api, job, &resolved, rows, record).await?;
    pending.failure().map_or(Ok(()), Err)?;
    Ok(stop)
}

/// Set at the first Ctrl-C: no request starts after it, and those in flight finish and are
/// recorded, so the next run sends nothing twice. A second Ctrl-C ends the process at once
/// (the state stays consistent, as after a kill).
fn interruption() -> Arc<AtomicBool> {
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
fn plan_pairs(job: &Job, kind: &Kind, run: &Run, state_path: &Path) -> anyhow::Result<Summary> {
    let existing = match state_path.exists() {
        true => Some(State::open_read_only(state_path)?),
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
    let size = job.options.chunk_size.unwrap_or(match (job.command, kind) {
        ("associate", Kind::Type { .. } | Kind::Label(_)) => 2_000,
        _ => hubspot_associations::bulk::DEFAULT_CHUNK,
    });
    let requests = counts.pending_pairs.div_ceil(size as u64);
    Ok(report::plan(
        job,
        &counts,
        requests,
        plan_duration(requests, job.rate_limit),
    ))
}

/// `status`: a run's progress and failures, from its state, while it runs or after.
pub fn status(state_path: &Path, failures_shown: u64) -> anyhow::Result<()> {
    if !state_path.exists() {
        anyhow::bail!(
            "there is no run state at {}: a run writes it beside its input (`<input>.state.sqlite`) \
             unless given --state",
            state_path.display()
        );
    }
    let state = State::open_read_only(state_path)?;
    let Some(recorded) = state.recorded()? else {
        anyhow::bail!(
            "the run state {} holds no run yet: its first run is reading the input, or was \
             stopped while it did",
            state_path.display()
        );
    };
    let mut failures = Vec::new();
    state.failures(Some(failures_shown), |row| {
        failures.push(row);
        Ok(())
    })?;
    report::status(
        state_path,
        &recorded,
        &state.counts()?,
        &state.sessions()?,
        lock::holder(state_path)?.as_deref(),
        &failures,
    );
    Ok(())
}

/// The association type a run writes: a label resolved to its type id and category once.
async fn resolve(api: &Api, job: &Job, kind: &Kind) -> anyhow::Result<Kind> {
    let Kind::Label(label) = kind else {
        return Ok(kind.clone());
    };
    let labels = with_client!(api, client, {
        client.labels(&job.from_type, &job.to_type).await?
    });
    let found = labels.find(label).ok_or_else(|| {
        anyhow::anyhow!(
            "no association label `{label}` from {} to {}",
            job.from_type,
            job.to_type
        )
    })?;
    Ok(Kind::Type {
        id: found.type_id,
        category: found.category.clone(),
    })
}

/// Sends `rows` through the batch operation the command and kind call for, in the run's
/// version, recording what HubSpot confirmed of each request as it completes.
async fn send_pairs(
    api: &Api,
    job: &Job,
    kind: &Kind,
    rows: impl Iterator<Item = Pair>,
    mut record: impl FnMut(Settled) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let (from_type, to_type, options) = (job.from_type.as_str(), job.to_type.as_str(), job.options);
    // Drains a stream of bulk outcomes into the run's state.
    macro_rules! drain {
        ($chunks:expr, $pairs_of:expr) => {{
            let mut chunks = std::pin::pin!($chunks);
            while let Some(outcome) = chunks.next().await {
                record(outcomes_by_pair(outcome, $pairs_of))?;
            }
        }};
    }
    with_client!(api, client, version, {
        use version::types;
        let id = |value: u64| types::PublicObjectId {
            id: ObjectId::from(value),
        };
        let ids = |from: &types::PublicObjectId, to: &types::PublicObjectId| {
            vec![(number(&from.id), number(&to.id))]
        };
        let typed = |type_id: i32, category: &str| types::AssociationSpec {
            association_category: category.into(),
            association_type_id: type_id,
        };
        match (job.command, kind) {
            ("associate", Kind::Default) => drain!(
                client.batch_create_default_chunks(
                    from_type,
                    to_type,
                    rows.map(|p| types::PublicDefaultAssociationMultiPost {
                        from: id(p.from),
                        to: id(p.to)
                    }),
                    options
                ),
                |i: &types::PublicDefaultAssociationMultiPost| ids(&i.from, &i.to)
            ),
            (
                "associate",
                Kind::Type {
                    id: type_id,
                    category,
                },
            ) => drain!(
                client.batch_create_chunks(
                    from_type,
                    to_type,
                    rows.map(|p| types::PublicAssociationMultiPost {
                        from: id(p.from),
                        to: id(p.to),
                        types: vec![typed(*type_id, category)]
                    }),
                    options
                ),
                |i: &types::PublicAssociationMultiPost| ids(&i.from, &i.to)
            ),
            ("archive", Kind::Default) => drain!(
                client.batch_archive_chunks(
                    from_type,
                    to_type,
                    by_from(rows).map(|(from, to)| {
                        types::PublicAssociationMultiArchive {
                            from: id(from),
                            to: to.into_iter().map(id).collect(),
                        }
                    }),
                    options
                ),
                |i: &types::PublicAssociationMultiArchive| i
                    .to
                    .iter()
                    .map(|to| (number(&i.from.id), number(&to.id)))
                    .collect()
            ),
            (
                "archive",
                Kind::Type {
                    id: type_id,
                    category,
                },
            ) => drain!(
                client.batch_archive_labels_chunks(
                    from_type,
                    to_type,
                    rows.map(|p| types::PublicAssociationMultiPost {
                        from: id(p.from),
                        to: id(p.to),
                        types: vec![typed(*type_id, category)]
                    }),
                    options
                ),
                |i: &types::PublicAssociationMultiPost| ids(&i.from, &i.to)
            ),
            (command, kind) => anyhow::bail!("`{command}` cannot use {kind:?}"),
        }
    });
    Ok(())
}

/// Consecutive pairs with the same `from` grouped, as batch archive takes them, as they come.
fn by_from(rows: impl Iterator<Item = Pair>) -> impl Iterator<Item = (u64, Vec<u64>)> {
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

/// Records read at once by `export`.
const EXPORT_CHUNK: usize = 1_000;

/// `export`: every association of every record of the input, to a CSV file. The input is read
/// a thousand ids at a time, and the output and failures files are written to temporary files
/// put in place when complete.
pub async fn export(api: &Api, job: &Job, output: &Path) -> anyhow::Result<Summary> {
    let started = Instant::now();
    let mut rows = input::open(&job.input, 1)?;
    let mut bad_rows = BadRowLog::default();
    if job.dry_run {
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
        let requests = ids.div_ceil(EXPORT_CHUNK as u64);
        return Ok(report::plan(
            job,
            &counts,
            requests,
            plan_duration(requests, job.rate_limit),
        ));
    }
    let mut writer = CsvFile::create(
        output,
        &["from_id", "to_id", "type_id", "category", "label"],
    )?;
    let mut failures = FailuresFile::create(&job.failures, &["id"])?;
    let bar = progress_bar(job, None);
    let (mut exported, mut failed, mut read) = (0_u64, 0_u64, 0_u64);
    loop {
        // Up to a chunk of ids, and the bad rows met on the way, which go to the failures
        // file in line order with the chunk's failures.
        let mut chunk: Vec<(u64, u64)> = Vec::with_capacity(EXPORT_CHUNK);
        let mut unusable: Vec<(u64, Vec<String>, String)> = Vec::new();
        while chunk.len() < EXPORT_CHUNK {
            match rows
                .next()
                .transpose()
                .map_err(|e| input::unreadable(&job.input, e))?
            {
                Some(Ok(row)) => chunk.push((row.line, row.ids[0])),
                Some(Err(row)) => {
                    bad_rows.show(row.line, &row.reason, &row.fields);
                    unusable.push((row.line, row.fields, format!("bad input: {}", row.reason)));
                }
                None => break,
            }
        }
        if chunk.is_empty() && unusable.is_empty() {
            break;
        }
        read += chunk.len() as u64;
        let line_of: HashMap<u64, u64> = chunk.iter().map(|(line, id)| (*id, *line)).collect();
        let records: Vec<ObjectId> = chunk.iter().map(|(_, id)| ObjectId::from(*id)).collect();
        let rows: Vec<[String; 5]> = with_client!(api, client, {
            let outcome = client
                .batch_read_all(&job.from_type, &job.to_type, records, job.options)
                .await;
            exported += outcome.succeeded.len() as u64;
            failed += outcome.failed.len() as u64;
            for failure in &outcome.failed {
                let line = line_of
                    .get(&number(&failure.input))
                    .copied()
                    .unwrap_or_default();
                unusable.push((
                    line,
                    vec![failure.input.to_string()],
                    failure.failure.to_string(),
                ));
            }
            outcome
                .succeeded
                .into_iter()
                .flat_map(|record| {
                    let from = record.input.to_string();
                    record
                        .result
                        .unwrap_or_default()
                        .into_iter()
                        .flat_map(move |associated| {
                            let from = from.clone();
                            associated.association_types.into_iter().map(move |kind| {
                                [
                                    from.clone(),
                                    associated.to_object_id.to_string(),
                                    kind.type_id.to_string(),
                                    kind.category.to_string(),
                                    kind.label.unwrap_or_default(),
                                ]
                            })
                        })
                })
                .collect()
        });
        for row in rows {
            writer.write(&row)?;
        }
        unusable.sort();
        for (line, fields, reason) in &unusable {
            failures.write(*line, reason, fields)?;
        }
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    bad_rows.finish(&job.failures);
    writer.finish()?;
    failures.finish()?;
    Ok(Summary {
        command: job.command,
        total: rows.total,
        done: exported,
        failed,
        bad: rows.total - read,
        skipped: 0,
        settled_now: read,
        pending: 0,
        elapsed: started.elapsed(),
        dry_run: false,
    })
}
