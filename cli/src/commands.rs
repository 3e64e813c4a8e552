//! `associate`, `archive` and `export`: each written once and run against the client of the
//! version asked for, which have the same method and type names.

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use hubspot_associations::{ApiVersion, BulkOutcome, ObjectId, RateLimit, Transport};
use indicatif::{ProgressBar, ProgressStyle};

use crate::input::{self, Ids, Pairs};
use crate::job::Job;
use crate::journal::{self, Journal, Settled};
use crate::report::{self, Summary};

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

/// What HubSpot confirmed of each input line a request carried.
type LineOutcomes = Vec<(u64, Settled)>;

fn progress_bar(job: &Job, length: u64) -> ProgressBar {
    if !job.progress {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(length);
    let style =
        ProgressStyle::with_template("{bar:40} {pos}/{len} rows  {per_sec}  ETA {eta}  {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar());
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

/// The journal entries of a bulk outcome: each input's outcome for every line of its pairs.
fn outcomes_by_line<I, R>(
    outcome: BulkOutcome<I, R>,
    pairs_of: impl Fn(&I) -> Vec<(u64, u64)>,
    pairs: &Pairs,
) -> LineOutcomes {
    let mut settled = Vec::new();
    let mut add = |input: &I, outcome: Settled| {
        for pair in pairs_of(input) {
            if let Some(&row) = pairs.index.get(&pair) {
                settled.extend(pairs.lines(row).map(|line| (line, outcome.clone())));
            }
        }
    };
    for success in &outcome.succeeded {
        add(&success.input, Settled::Done);
    }
    for failure in &outcome.failed {
        add(&failure.input, Settled::Failed(failure.failure.to_string()));
    }
    settled
}

/// `associate` and `archive`: every pair of the input, resumed from the journal.
pub async fn write_pairs(
    api: &Api,
    job: &Job,
    kind: &Kind,
    journal_path: &Path,
) -> anyhow::Result<Summary> {
    let started = Instant::now();
    let bytes = input::read(&job.input)?;
    let print = journal::fingerprint(
        &[
            job.command,
            job.version.as_str(),
            &job.from_type,
            &job.to_type,
            &kind.describe(),
        ],
        &bytes,
    );
    let pairs = input::pairs(&bytes);
    drop(bytes);
    report::bad_rows(&pairs.bad);
    let earlier = journal::read(journal_path, &print)?
        .map(|(settled, _)| settled)
        .unwrap_or_default();
    let pending: Vec<usize> = (0..pairs.rows.len())
        .filter(|&row| pairs.lines(row).any(|line| !earlier.contains(line)))
        .collect();
    let skipped = (0..pairs.rows.len())
        .flat_map(|row| pairs.lines(row))
        .filter(|line| earlier.contains(*line))
        .count() as u64;
    drop(earlier);
    if job.dry_run {
        let size = job.options.chunk_size.unwrap_or(match (job.command, kind) {
            ("associate", Kind::Type { .. } | Kind::Label(_)) => 2_000,
            _ => hubspot_associations::bulk::DEFAULT_CHUNK,
        });
        let requests = (pending.len() as u64).div_ceil(size as u64);
        return Ok(report::plan(
            job,
            pairs.total,
            pairs.rows.len(),
            &pairs.bad,
            skipped,
            pending.len(),
            requests,
            plan_duration(requests, job.rate_limit),
        ));
    }
    let mut journal = Journal::open(journal_path, &print)?;
    let bar = progress_bar(
        job,
        pending
            .iter()
            .map(|&row| pairs.lines(row).count() as u64)
            .sum(),
    );
    let resolved = resolve(api, job, kind).await?;
    let rows = pending.iter().map(|&row| pairs.rows[row]);
    let record = |outcomes: LineOutcomes| -> anyhow::Result<()> {
        bar.inc(outcomes.len() as u64);
        journal.record(outcomes)
    };
    send_pairs(api, job, &resolved, rows, &pairs, record).await?;
    bar.finish_and_clear();
    let settled = journal.settled();
    let failed_pairs = failed_rows(&pairs, settled);
    report::failures(
        &job.failures,
        &["from_id", "to_id"],
        &pairs.bad,
        &failed_pairs,
    )?;
    Ok(Summary {
        command: job.command,
        total: pairs.total,
        done: settled.done.len() as u64,
        failed: failed_pairs.len() as u64,
        bad: pairs.bad.len() as u64,
        skipped,
        settled_now: settled.len() as u64 - skipped,
        elapsed: started.elapsed(),
        dry_run: false,
    })
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
    rows: impl Iterator<Item = input::Pair>,
    pairs: &Pairs,
    mut record: impl FnMut(LineOutcomes) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let (from_type, to_type, options) = (job.from_type.as_str(), job.to_type.as_str(), job.options);
    // Drains a stream of bulk outcomes into the journal.
    macro_rules! drain {
        ($chunks:expr, $pairs_of:expr) => {{
            let mut chunks = std::pin::pin!($chunks);
            while let Some(outcome) = chunks.next().await {
                record(outcomes_by_line(outcome, $pairs_of, pairs))?;
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
                    by_from(rows).into_iter().map(|(from, to)| {
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

/// Consecutive pairs with the same `from` grouped, as batch archive takes them.
fn by_from(rows: impl Iterator<Item = input::Pair>) -> Vec<(u64, Vec<u64>)> {
    let mut grouped: Vec<(u64, Vec<u64>)> = Vec::new();
    for pair in rows {
        match grouped.last_mut() {
            Some((from, to)) if *from == pair.from => to.push(pair.to),
            _ => grouped.push((pair.from, vec![pair.to])),
        }
    }
    grouped
}

/// The input lines that failed, with their pair and HubSpot's reason, for the failures file.
fn failed_rows(pairs: &Pairs, settled: &journal::Settlements) -> Vec<(u64, Vec<String>, String)> {
    (0..pairs.rows.len())
        .flat_map(|row| pairs.lines(row).map(move |line| (row, line)))
        .filter_map(|(row, line)| {
            let reason = settled.failed.get(&line)?;
            let pair = pairs.rows[row];
            Some((
                line,
                vec![pair.from.to_string(), pair.to.to_string()],
                reason.clone(),
            ))
        })
        .collect()
}

/// `export`: every association of every record of the input, to a CSV file.
pub async fn export(api: &Api, job: &Job, output: &Path) -> anyhow::Result<Summary> {
    let started = Instant::now();
    let Ids {
        rows: ids,
        bad,
        total,
    } = input::ids(&input::read(&job.input)?);
    report::bad_rows(&bad);
    if job.dry_run {
        let requests = (ids.len() as u64).div_ceil(1_000);
        return Ok(report::plan(
            job,
            total,
            ids.len(),
            &bad,
            0,
            ids.len(),
            requests,
            plan_duration(requests, job.rate_limit),
        ));
    }
    let mut writer = csv::Writer::from_path(output)
        .map_err(|error| anyhow::anyhow!("cannot write {}: {error}", output.display()))?;
    writer.write_record(["from_id", "to_id", "type_id", "category", "label"])?;
    let line_of: HashMap<u64, u64> = ids.iter().map(|(line, id)| (*id, *line)).collect();
    let bar = progress_bar(job, ids.len() as u64);
    let mut failed: Vec<(u64, Vec<String>, String)> = Vec::new();
    let mut exported = 0_u64;
    for chunk in ids.chunks(1_000) {
        let records: Vec<ObjectId> = chunk.iter().map(|(_, id)| ObjectId::from(*id)).collect();
        let rows: Vec<[String; 5]> = with_client!(api, client, {
            let outcome = client
                .batch_read_all(&job.from_type, &job.to_type, records, job.options)
                .await;
            exported += outcome.succeeded.len() as u64;
            for failure in &outcome.failed {
                let line = line_of
                    .get(&number(&failure.input))
                    .copied()
                    .unwrap_or_default();
                failed.push((
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
            writer.write_record(&row)?;
        }
        bar.inc(chunk.len() as u64);
    }
    writer.flush()?;
    bar.finish_and_clear();
    failed.sort();
    report::failures(&job.failures, &["id"], &bad, &failed)?;
    Ok(Summary {
        command: job.command,
        total,
        done: exported,
        failed: failed.len() as u64,
        bad: bad.len() as u64,
        skipped: 0,
        settled_now: ids.len() as u64,
        elapsed: started.elapsed(),
        dry_run: false,
    })
}
