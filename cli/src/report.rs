//! What a run tells its user: bad rows as they are found, the failures file, the plan of a
//! dry run, the final summary, and a run's status.

use std::fmt;
use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

use crate::job::Job;
use crate::state::{Counts, Failure, Recorded, Session, SyncCounts};

/// The outcome of a run, by input row.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// `associate`, `archive` or `export`.
    pub command: &'static str,
    /// Data rows in the input.
    pub total: u64,
    /// Rows done, in this run and the runs it resumed.
    pub done: u64,
    /// Rows that failed.
    pub failed: u64,
    /// Rows that could not be read.
    pub bad: u64,
    /// Rows settled by an earlier run, not sent again.
    pub skipped: u64,
    /// Rows settled by this run.
    pub settled_now: u64,
    /// Rows left unsettled by an interrupted run, for the next run to send.
    pub pending: u64,
    /// How long this run took.
    pub elapsed: Duration,
    /// Whether it only planned.
    pub dry_run: bool,
    /// For `export`: the associations written, and where.
    pub written: Option<(u64, std::path::PathBuf)>,
    /// The failures file, which lists the failed and bad rows.
    pub failures: std::path::PathBuf,
}

/// `count` and the word, plural unless the count is one: `1 row`, `2 rows`.
pub fn plural(count: u64, word: &str) -> String {
    match count {
        1 => format!("1 {word}"),
        _ => format!("{count} {word}s"),
    }
}

/// A duration as a person writes it: `420 ms`, `3.2 s`, `4 min 05 s`, `2 h 03 min`.
pub fn duration(elapsed: Duration) -> String {
    let seconds = elapsed.as_secs();
    match seconds {
        0 => format!("{} ms", elapsed.as_millis()),
        1..60 => format!("{:.1} s", elapsed.as_secs_f64()),
        60..3600 => format!("{} min {:02} s", seconds / 60, seconds % 60),
        _ => format!("{} h {:02} min", seconds / 3600, seconds % 3600 / 60),
    }
}

/// How long a run took, and its rate when it took long enough for one to mean something.
fn timing(elapsed: Duration, settled: u64, unit: &str) -> String {
    let seconds = elapsed.as_secs_f64();
    match seconds >= 1.0 {
        true => format!(
            "{}, {:.0} {unit}/s",
            duration(elapsed),
            settled as f64 / seconds
        ),
        false => duration(elapsed),
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.dry_run {
            return write!(
                f,
                "{} (dry run): {} rows, {} bad; nothing was sent",
                self.command, self.total, self.bad
            );
        }
        write!(
            f,
            "{}: {}: {} done, {} failed, {} bad, {} skipped (settled by an earlier run); {}",
            self.command,
            plural(self.total, "row"),
            self.done,
            self.failed,
            self.bad,
            self.skipped,
            timing(self.elapsed, self.settled_now, "rows")
        )?;
        if let Some((written, path)) = &self.written {
            let written = plural(*written, "association");
            write!(f, "\n{written} written to {}", path.display())?;
        }
        if self.failed + self.bad > 0 {
            write!(f, "\nfailed and bad rows: {}", self.failures.display())?;
        }
        if self.pending > 0 {
            write!(
                f,
                "\ninterrupted with {} not sent: run the same command again to send them",
                plural(self.pending, "row")
            )?;
        }
        Ok(())
    }
}

/// What a finished command prints last, and its exit status.
pub trait Finished: fmt::Display {
    /// The same as JSON, for scripts (`--json`).
    fn json(&self) -> serde_json::Value;

    /// 0 when everything is done, 1 when something failed or was bad, 130 when Ctrl-C
    /// interrupted the run (a refused or stopped run ends in an error, 2).
    fn exit_code(&self) -> u8;
}

/// Exit status 130, as a shell gives a process Ctrl-C ended.
pub const INTERRUPTED: u8 = 130;

impl Finished for Summary {
    fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "command": self.command,
            "dry_run": self.dry_run,
            "rows": self.total,
            "done": self.done,
            "failed": self.failed,
            "bad": self.bad,
            "skipped": self.skipped,
            "pending": self.pending,
            "seconds": self.elapsed.as_secs_f64(),
            "failures_file": (self.failed + self.bad > 0).then(|| self.failures.display().to_string()),
            "written": self.written.as_ref().map(|(associations, path)| serde_json::json!({
                "associations": associations,
                "file": path.display().to_string(),
            })),
            "exit_code": self.exit_code(),
        })
    }

    fn exit_code(&self) -> u8 {
        match (self.pending > 0, self.failed + self.bad > 0) {
            (true, _) => INTERRUPTED,
            (false, true) => 1,
            (false, false) => 0,
        }
    }
}

/// The outcome of a `sync` run.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncSummary {
    /// What was read, planned and written, this run and the runs it resumed.
    pub counts: SyncCounts,
    /// Input rows that could not be read.
    pub bad: u64,
    /// Whether the run was interrupted with writes left.
    pub interrupted: bool,
    /// How long this run took.
    pub elapsed: Duration,
    /// Where the failures are listed, when any are.
    pub failures: std::path::PathBuf,
    /// Whether it only planned.
    pub dry_run: bool,
}

/// A `sync`'s counts as JSON.
fn sync_json(c: &SyncCounts) -> serde_json::Value {
    let planned = |p: &crate::state::Planned| serde_json::json!({"planned": p.total, "done": p.done, "failed": p.failed, "pending": p.pending()});
    serde_json::json!({
        "from_records": c.records,
        "read": c.read,
        "unreadable": c.unreadable,
        "desired": c.desired,
        "held": c.held,
        "unchanged": c.unchanged,
        "other_kinds_left_alone": c.out_of_scope,
        "creates": planned(&c.creates),
        "removes": planned(&c.removes),
        "labels_lost": c.labels_lost,
    })
}

impl Finished for SyncSummary {
    fn json(&self) -> serde_json::Value {
        let c = &self.counts;
        let failed = self.bad + c.unreadable + c.creates.failed + c.removes.failed;
        let mut json = sync_json(c);
        json["command"] = "sync".into();
        json["dry_run"] = self.dry_run.into();
        json["bad"] = self.bad.into();
        json["interrupted"] = self.interrupted.into();
        json["seconds"] = self.elapsed.as_secs_f64().into();
        json["failures_file"] = (failed > 0)
            .then(|| self.failures.display().to_string())
            .into();
        json["exit_code"] = self.exit_code().into();
        json
    }

    fn exit_code(&self) -> u8 {
        let c = &self.counts;
        let failed = self.bad + c.unreadable + c.creates.failed + c.removes.failed;
        match (self.interrupted, failed > 0) {
            (true, _) => INTERRUPTED,
            (false, true) => 1,
            (false, false) => 0,
        }
    }
}

impl fmt::Display for SyncSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.counts;
        let took = duration(self.elapsed);
        if self.dry_run {
            return write!(
                f,
                "sync (dry run): {} to create, {} to remove, {} bad input rows; nothing was \
                 written to HubSpot",
                c.creates.pending(),
                c.removes.pending(),
                self.bad
            );
        }
        if c.creates.total == 0 && c.removes.total == 0 && c.unreadable == 0 {
            write!(
                f,
                "sync: HubSpot already matches the input ({} read, {} unchanged); nothing was \
                 written; {took}",
                plural(c.read, "from-record"),
                plural(c.unchanged, "pair")
            )?;
        } else {
            write!(
                f,
                "sync: {} read: {} created, {} removed, {} unchanged, {} failed; {} of other \
                 kinds left alone",
                plural(c.read, "from-record"),
                c.creates.done,
                c.removes.done,
                c.unchanged,
                c.creates.failed + c.removes.failed + c.unreadable,
                plural(c.out_of_scope, "association")
            )?;
            if c.labels_lost > 0 {
                let labels = plural(c.labels_lost, "label");
                write!(f, "; {labels} went with the associations removed")?;
            }
            write!(f, "; {took}")?;
        }
        if self.bad > 0 {
            write!(f, "\n{} bad", plural(self.bad, "input row"))?;
        }
        if self.bad + c.unreadable + c.creates.failed + c.removes.failed > 0 {
            write!(f, "\nfailures: {}", self.failures.display())?;
        }
        if self.interrupted {
            write!(
                f,
                "\ninterrupted with {} not sent: run the same command again; it reads again \
                 and finishes the plan",
                plural(c.creates.pending() + c.removes.pending(), "write")
            )?;
        }
        Ok(())
    }
}

/// The counts of a `sync` plan, as its dry run and its guard print them.
pub fn sync_plan(counts: &SyncCounts) -> String {
    let mut text = format!(
        "{} read, {} desired: {} to create, {} to remove, {} unchanged; {} of other kinds \
         left alone",
        plural(counts.read, "from-record"),
        plural(counts.desired, "pair"),
        counts.creates.pending(),
        counts.removes.pending(),
        counts.unchanged,
        plural(counts.out_of_scope, "association")
    );
    if counts.labels_lost > 0 {
        text.push_str(&format!(
            "; removing the unlabelled type removes the whole association: {} go with the \
             removes",
            plural(counts.labels_lost, "label")
        ));
    }
    if counts.unreadable > 0 {
        let records = plural(counts.unreadable, "record");
        text.push_str(&format!("; {records} could not be read"));
    }
    text
}

/// Bad rows shown on stderr before the rest are only counted.
const BAD_ROWS_SHOWN: u64 = 100;

/// Shows bad rows on stderr, the first hundred of them; the failures file has them all.
#[derive(Default)]
pub struct BadRowLog {
    seen: u64,
}

impl BadRowLog {
    /// Shows one bad row (or counts it, past the first hundred).
    pub fn show(&mut self, line: u64, reason: &str, fields: &[String]) {
        self.seen += 1;
        if self.seen <= BAD_ROWS_SHOWN {
            eprintln!("line {line}: skipped, {reason}: {}", fields.join(","));
        }
    }

    /// Says how many were not shown.
    pub fn finish(self, failures: &Path) {
        if self.seen > BAD_ROWS_SHOWN {
            eprintln!(
                "... and {} more bad rows, all in {}",
                self.seen - BAD_ROWS_SHOWN,
                failures.display()
            );
        }
    }
}

/// A temporary file beside `path`, in its directory so that putting it in place is a rename;
/// created readable by its owner alone (mode 0600).
pub fn temporary_beside(path: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    tempfile::NamedTempFile::new_in(directory)
}

/// Syncs a temporary file from [`temporary_beside`] and renames it to `path`: a crash leaves
/// the previous file or the new one, whole.
pub fn put_in_place(file: tempfile::NamedTempFile, path: &Path) -> std::io::Result<()> {
    file.as_file().sync_all()?;
    file.persist(path).map_err(|error| error.error)?;
    Ok(())
}

/// A CSV file written to a temporary file beside it and put in place whole when finished: a
/// killed run leaves the previous file or none, never half of one.
pub struct CsvFile {
    path: std::path::PathBuf,
    writer: csv::Writer<tempfile::NamedTempFile>,
}

impl CsvFile {
    /// Starts the file at `path` with its header row.
    pub fn create(path: &Path, header: &[&str]) -> anyhow::Result<Self> {
        let file = temporary_beside(path).map_err(|error| Self::cannot(path, &error))?;
        let mut file = Self {
            path: path.to_owned(),
            writer: csv::WriterBuilder::new().flexible(true).from_writer(file),
        };
        file.write(header)?;
        Ok(file)
    }

    fn cannot(path: &Path, error: &dyn fmt::Display) -> anyhow::Error {
        anyhow::anyhow!("cannot write {}: {error}", path.display())
    }

    /// Writes a row.
    pub fn write<T: AsRef<[u8]>>(
        &mut self,
        fields: impl IntoIterator<Item = T>,
    ) -> anyhow::Result<()> {
        self.writer
            .write_record(fields)
            .map_err(|error| Self::cannot(&self.path, &error))
    }

    /// Puts the file in place.
    pub fn finish(self) -> anyhow::Result<()> {
        let path = self.path;
        let file = self
            .writer
            .into_inner()
            .map_err(|error| Self::cannot(&path, error.error()))?;
        put_in_place(file, &path).map_err(|error| Self::cannot(&path, &error))
    }
}

/// The failures file: each failed or bad row by line, with why, then its fields as they were
/// (all of them, however many). A run with none leaves no file (and removes an earlier run's).
pub struct FailuresFile {
    file: CsvFile,
    rows: u64,
}

impl FailuresFile {
    /// Starts the failures file at `path`, for rows of `columns`.
    pub fn create(path: &Path, columns: &[&str]) -> anyhow::Result<Self> {
        let mut header = vec!["line", "reason"];
        header.extend_from_slice(columns);
        let file = CsvFile::create(path, &header)?;
        Ok(Self { file, rows: 0 })
    }

    /// Writes a row.
    pub fn write(&mut self, line: u64, reason: &str, fields: &[String]) -> anyhow::Result<()> {
        self.rows += 1;
        let line = line.to_string();
        let prefix = [line.as_str(), reason];
        self.file
            .write(prefix.into_iter().chain(fields.iter().map(String::as_str)))
    }

    /// Puts the file in place, or with no rows removes the one there (the temporary file goes
    /// with the writer).
    pub fn finish(self) -> anyhow::Result<()> {
        if self.rows > 0 {
            return self.file.finish();
        }
        match std::fs::remove_file(&self.file.path) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                Err(CsvFile::cannot(&self.file.path, &error))
            }
            _ => Ok(()),
        }
    }
}

/// The plan of a dry run, printed; nothing is written.
pub fn plan(job: &Job, counts: &Counts, requests: u64, duration: Option<Duration>) -> Summary {
    job.say(format_args!(
        "dry run of {} ({} to {}, API {}): nothing is written",
        job.task, job.from_type, job.to_type, job.version
    ));
    job.say(format_args!(
        "  {} rows: {} distinct, {} bad, {} settled by an earlier run",
        counts.total,
        counts.distinct,
        counts.bad,
        counts.settled()
    ));
    job.say(format_args!(
        "  {} to send in {requests} requests",
        counts.pending_pairs
    ));
    if let Some(duration) = duration {
        job.say(format_args!(
            "  about {} at the rate limit",
            self::duration(duration)
        ));
    }
    if let hubspot_associations::RateLimit::Tier(tier) = job.rate_limit
        && let Some(daily) = tier.requests_per_day()
        && requests > daily
    {
        job.say(format_args!(
            "  more requests than a {tier} account's {daily} a day: the run stops when the \
             daily limit is reached, and the same command goes on after midnight in the \
             account's time zone"
        ));
    }
    Summary {
        command: job.task.name(),
        total: counts.total,
        done: 0,
        failed: 0,
        bad: counts.bad,
        skipped: counts.settled(),
        settled_now: 0,
        pending: 0,
        elapsed: Duration::ZERO,
        dry_run: true,
        written: None,
        failures: job.failures.clone(),
    }
}

fn time(seconds: i64) -> String {
    let at = UNIX_EPOCH + Duration::from_secs(u64::try_from(seconds).unwrap_or_default());
    humantime::format_rfc3339_seconds(at).to_string()
}

/// What `status` tells of a run, from its state.
#[derive(Clone, Copy)]
pub struct Status<'a> {
    /// The state.
    pub path: &'a Path,
    /// The run it holds.
    pub recorded: &'a Recorded,
    /// Its rows by outcome.
    pub counts: &'a Counts,
    /// A `sync`'s counts.
    pub sync: Option<&'a SyncCounts>,
    /// The processes that worked on it.
    pub sessions: &'a [Session],
    /// The process running it now, if one is.
    pub holder: Option<&'a str>,
    /// Its first failures.
    pub failures: &'a [Failure],
}

/// `status --json`: the same as [`status`] prints, as JSON.
pub fn status_json(status: &Status<'_>) -> serde_json::Value {
    let Status {
        recorded, counts, ..
    } = *status;
    let run = &recorded.run;
    serde_json::json!({
        "state": status.path.display().to_string(),
        "run": {
            "command": run.command,
            "api_version": run.api_version,
            "from": run.from_type,
            "to": run.to_type,
            "kind": run.kind,
        },
        "input": {"path": recorded.input, "sha256": recorded.input_sha256, "read_at": time(recorded.created_at)},
        "running": status.holder,
        "sessions": status.sessions.iter().map(|session| serde_json::json!({
            "pid": session.pid,
            "started_at": time(session.started_at),
            "ended_at": session.ended_at.map(time),
        })).collect::<Vec<_>>(),
        "rows": {
            "total": counts.total,
            "done": counts.done,
            "failed": counts.failed,
            "pending": counts.pending,
            "bad": counts.bad,
            "distinct_pairs": counts.distinct,
        },
        "sync": status.sync.map(sync_json),
        "failures": status.failures.iter().map(|failure| serde_json::json!({
            "line": failure.line,
            "reason": failure.reason,
            "fields": failure.fields,
        })).collect::<Vec<_>>(),
    })
}

/// What `status` prints: the run, who runs it now, its progress and its first failures.
pub fn status(status: &Status<'_>) {
    let Status {
        recorded,
        counts,
        holder,
        ..
    } = *status;
    println!("state: {} (SQLite)", status.path.display());
    println!("run: {}", recorded.run);
    println!(
        "input: {} (sha256 {}), read {}",
        recorded.input,
        recorded.input_sha256,
        time(recorded.created_at)
    );
    match holder {
        Some(holder) => println!("running now: {holder}"),
        None => println!("not running"),
    }
    for (index, session) in status.sessions.iter().enumerate() {
        let ended = match session.ended_at {
            Some(at) => format!("ended {}", time(at)),
            None if holder.is_some() && index + 1 == status.sessions.len() => "running".into(),
            None => "stopped without ending (killed?)".into(),
        };
        println!(
            "  process {} started {}, {ended}",
            session.pid,
            time(session.started_at)
        );
    }
    match status.sync {
        Some(sync) => println!(
            "{}; created {}, removed {} ({} failed); {} bad rows",
            sync_plan(sync),
            sync.creates.done,
            sync.removes.done,
            sync.creates.failed + sync.removes.failed,
            counts.bad
        ),
        None => println!(
            "rows: {}: {} done, {} failed, {} pending, {} bad ({} distinct pairs)",
            counts.total, counts.done, counts.failed, counts.pending, counts.bad, counts.distinct
        ),
    }
    if !status.failures.is_empty() {
        println!(
            "failed and bad rows, by line (the first {}):",
            status.failures.len()
        );
        for failure in status.failures {
            println!(
                "  line {}: {}: {}",
                failure.line,
                failure.reason,
                failure.fields.join(",")
            );
        }
        let table = match status.sync {
            Some(_) => "plan",
            None => "outcomes",
        };
        println!(
            "every failure: sqlite3 {} \"select * from {table} where outcome = 'failed'\"",
            status.path.display()
        );
    }
}
