//! `sync`: make HubSpot's associations of one kind match a desired file, for the from-records
//! it names. Read, plan, write, as one resumable run in the run's state:
//!
//! 1. **Read** what HubSpot holds for every from-record of the input, with the version's batch
//!    read (each record's cursor followed to its end), a few requests' worth of records at a
//!    time, each read committed with the records it covers: a killed read goes on where it
//!    stopped.
//! 2. **Plan** in SQLite: the desired pairs HubSpot lacks, and in mirror mode the associations
//!    of the kind it holds that the input does not name. Records the input does not name, and
//!    other association types, are never in it.
//! 3. **Guard**: a mirror plan removing more than `--max-removals` is refused before any write.
//! 4. **Write** removes, then creates (a record at its association limit has room for the
//!    desired ones), with the version's batch operations, each write confirmed by HubSpot and
//!    recorded as it completes.
//!
//! Every run reads anew, also one that resumes a plan a killed run left: writes act on what
//! HubSpot held moments before, never on an old read (someone may have changed the records
//! since), and what the killed run wrote, confirmed or not, is found by the read and not
//! written again. A read costs one request per thousand records, a small part of the writes.

use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::Instant;

use crate::commands::{self, Api, interruption, progress_bar, send_drawn, stopped};
use crate::job::{Job, Kind, Task};
use crate::read::{Read, TypeRead, read_scope};
use crate::report::{self, CsvFile, FailuresFile, SyncSummary};
use crate::state::{Action, Held, State, SyncCounts};

/// How a `sync` run is bounded and where it writes its plan.
pub struct SyncOptions {
    /// Send again the writes that failed in earlier runs, and read again the records that
    /// could not be read.
    pub retry_failed: bool,
    /// The most associations a mirror plan may remove.
    pub max_removals: u64,
    /// Where the plan is written for review (`<input>.plan.csv`).
    pub plan_file: std::path::PathBuf,
}

/// `sync`, resumed from the run's state; a dry run reads and plans in a scratch state, writes
/// the plan file, and writes nothing to HubSpot nor beside the input.
pub async fn sync(
    api: &Api,
    job: &Job,
    state_path: &Path,
    options: &SyncOptions,
) -> anyhow::Result<SyncSummary> {
    let started = Instant::now();
    let Task::Sync { mirror, .. } = job.task else {
        anyhow::bail!("`{}` is not a sync", job.task);
    };
    let kind = job.task.kind().map(Kind::describe).unwrap_or_default();
    let run = commands::run_of(
        job,
        format!("{kind}, {}", if mirror { "mirror" } else { "add" }),
    );
    let task = commands::resolve(api, job).await?;
    let Some(kind) = task.kind().cloned() else {
        anyhow::bail!("`{task}` writes no kind of association");
    };
    // A dry run reads and plans in a state of its own, gone with it.
    let scratch = tempfile::tempdir()?;
    let state_path = match job.dry_run {
        true => scratch.path().join("plan.sqlite"),
        false => state_path.to_owned(),
    };
    let (_lock, mut state) = commands::open_run(job, &run, &state_path)?;
    state.begin_pass(options.retry_failed)?;
    let session = state.begin_session()?;
    let interrupted = interruption();
    let outcome = async {
        let record = |state: &mut State, read: Read| record_read(&kind, state, read);
        if let Some(error) = read_scope(api, job, &mut state, &interrupted, record).await? {
            let counts = state.sync_counts()?;
            let unread = counts.records - counts.read - counts.unreadable;
            let pending = format!("{unread} records not read");
            return Err(stopped(&error, &pending, &state_path));
        }
        if interrupted.load(Ordering::SeqCst) {
            return Ok(true);
        }
        state.make_plan(mirror)?;
        let counts = state.sync_counts()?;
        if job.dry_run {
            write_plan(&state, &options.plan_file)?;
            job.say(format_args!(
                "dry run of {} ({} to {}, API {}): nothing was written to HubSpot",
                job.task, job.from_type, job.to_type, job.version
            ));
            job.say(format_args!("  {}", report::sync_plan(&counts)));
            job.say(format_args!("  the plan: {}", options.plan_file.display()));
            if mirror && counts.removes.pending() > options.max_removals {
                let refused = too_many_removals(&counts, options.max_removals);
                job.say(format_args!("  {refused}"));
            }
            return Ok(false);
        }
        if mirror && counts.removes.pending() > options.max_removals {
            write_plan(&state, &options.plan_file)?;
            anyhow::bail!(
                "{}; nothing was written. Review the plan in {} (a truncated or wrong input?)",
                too_many_removals(&counts, options.max_removals),
                options.plan_file.display()
            );
        }
        for (action, write) in [
            (Action::Remove, Task::Archive(kind.clone())),
            (Action::Create, Task::Associate(kind.clone())),
        ] {
            let pending = state.pending_writes(action)?;
            let unit = match action {
                Action::Create => "creates",
                Action::Remove => "removes",
            };
            let bar = progress_bar(job, count(&state.sync_counts()?, action), unit);
            let settle = |outcomes| state.record_writes(action, outcomes);
            let stop = send_drawn(api, job, &write, pending, &interrupted, &bar, settle).await;
            bar.finish_and_clear();
            if let Some(error) = stop? {
                let counts = state.sync_counts()?;
                let left = counts.creates.pending() + counts.removes.pending();
                let pending = format!("{left} writes not sent");
                return Err(stopped(&error, &pending, &state_path));
            }
        }
        Ok(interrupted.load(Ordering::SeqCst))
    }
    .await;
    state.end_session(session)?;
    let interrupted = outcome?;
    let counts = state.sync_counts()?;
    let failures = job.failures.clone();
    if !job.dry_run {
        let mut file = FailuresFile::create(&failures, &["action", "from_id", "to_id"])?;
        state.sync_failures(|line, reason, fields| file.write(line, &reason, &fields))?;
        file.finish()?;
    }
    Ok(SyncSummary {
        counts,
        bad: state.counts()?.bad,
        interrupted,
        elapsed: started.elapsed(),
        failures,
        dry_run: job.dry_run,
    })
}

/// The writes of `action` left to send.
fn count(counts: &SyncCounts, action: Action) -> u64 {
    match action {
        Action::Create => counts.creates.pending(),
        Action::Remove => counts.removes.pending(),
    }
}

fn too_many_removals(counts: &SyncCounts, max_removals: u64) -> String {
    format!(
        "the plan removes {} associations, more than --max-removals {max_removals} allows",
        counts.removes.pending()
    )
}

/// Writes the plan for review: every write with its outcome so far.
fn write_plan(state: &State, path: &Path) -> anyhow::Result<()> {
    let mut file = CsvFile::create(
        path,
        &[
            "action",
            "from_id",
            "to_id",
            "labels_lost",
            "outcome",
            "reason",
        ],
    )?;
    state.plan_rows(|row| file.write(&row))?;
    file.finish()
}

/// Whether an association type read from HubSpot is of the run's kind: the unlabelled
/// default (HubSpot-defined, no label), or the type and category asked for.
fn of_kind(kind: &Kind, read: &TypeRead) -> bool {
    match kind {
        Kind::Default => read.category == "HUBSPOT_DEFINED" && read.label.is_none(),
        Kind::Type { id, category } => read.type_id == *id && read.category == *category,
        Kind::Label(_) => false,
    }
}

/// Records one read: the associations of the run's kind, with the other types of their pairs,
/// and how many of other kinds were met.
fn record_read(kind: &Kind, state: &mut State, read: Read) -> anyhow::Result<()> {
    let mut held = Vec::new();
    let mut other_types = 0;
    for (from, to, types) in &read.associations {
        let matching = types.iter().filter(|t| of_kind(kind, t)).count();
        let others = (types.len() - matching) as u32;
        other_types += u64::from(others);
        if matching > 0 {
            held.push(Held {
                from: *from,
                to: *to,
                // Only removing the default type takes the other types with it.
                other_types: if *kind == Kind::Default { others } else { 0 },
            });
        }
    }
    state.record_read(&read.records, &held, other_types, &read.unreadable)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(type_id: i32, category: &str, label: Option<&str>) -> TypeRead {
        TypeRead {
            type_id,
            category: category.into(),
            label: label.map(str::to_owned),
        }
    }

    #[test]
    fn the_default_kind_is_the_unlabelled_hubspot_defined_type_only() {
        assert!(of_kind(&Kind::Default, &read(279, "HUBSPOT_DEFINED", None)));
        let primary = read(1, "HUBSPOT_DEFINED", Some("Primary"));
        assert!(!of_kind(&Kind::Default, &primary));
        assert!(!of_kind(&Kind::Default, &read(9, "USER_DEFINED", None)));
        let billing = Kind::Type {
            id: 9,
            category: "USER_DEFINED".into(),
        };
        assert!(of_kind(&billing, &read(9, "USER_DEFINED", Some("Billing"))));
        assert!(!of_kind(&billing, &read(9, "HUBSPOT_DEFINED", None)));
        assert!(!of_kind(
            &billing,
            &read(10, "USER_DEFINED", Some("Billing"))
        ));
    }
}
