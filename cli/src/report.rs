//! What a run tells its user: bad rows as they are found, the failures file, the plan of a
//! dry run, and the final summary.

use std::fmt;
use std::path::Path;
use std::time::Duration;

use crate::input::BadRow;
use crate::job::Job;

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
    /// How long this run took.
    pub elapsed: Duration,
    /// Whether it only planned.
    pub dry_run: bool,
}

impl Summary {
    /// Whether anything failed: the exit status says so.
    pub fn is_clean(&self) -> bool {
        self.failed == 0 && self.bad == 0
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
        let seconds = self.elapsed.as_secs_f64();
        let rate = if seconds > 0.0 {
            self.settled_now as f64 / seconds
        } else {
            0.0
        };
        write!(
            f,
            "{}: {} rows: {} done, {} failed, {} bad, {} skipped (settled by an earlier run); {:.1} s, {:.0} rows/s",
            self.command, self.total, self.done, self.failed, self.bad, self.skipped, seconds, rate
        )
    }
}

/// Reports bad rows on stderr as they are found.
pub fn bad_rows(bad: &[BadRow]) {
    for row in bad {
        eprintln!(
            "line {}: skipped, {}: {}",
            row.line,
            row.reason,
            row.fields.join(",")
        );
    }
}

/// Writes every bad row and failed row, by line, with its reason, then the row's fields as
/// they were (all of them, however many).
pub fn failures(
    path: &Path,
    columns: &[&str],
    bad: &[BadRow],
    failed: &[(u64, Vec<String>, String)],
) -> anyhow::Result<()> {
    let mut rows: Vec<(u64, Vec<String>, String)> = bad
        .iter()
        .map(|row| {
            (
                row.line,
                row.fields.clone(),
                format!("bad input: {}", row.reason),
            )
        })
        .chain(failed.iter().cloned())
        .collect();
    rows.sort_by_key(|(line, ..)| *line);
    let mut writer = csv::WriterBuilder::new()
        .flexible(true)
        .from_path(path)
        .map_err(|error| {
            anyhow::anyhow!("cannot write the failures file {}: {error}", path.display())
        })?;
    let mut header = vec!["line", "reason"];
    header.extend_from_slice(columns);
    writer.write_record(&header)?;
    for (line, fields, reason) in rows {
        let mut record = vec![line.to_string(), reason];
        record.extend(fields);
        writer.write_record(&record)?;
    }
    writer.flush()?;
    Ok(())
}

/// The plan of a dry run, printed; nothing is written.
#[allow(clippy::too_many_arguments)]
pub fn plan(
    job: &Job,
    total: u64,
    distinct: usize,
    bad: &[BadRow],
    skipped: u64,
    pending: usize,
    requests: u64,
    duration: Option<Duration>,
) -> Summary {
    println!(
        "dry run of {} ({} to {}, API {}): nothing is written",
        job.command, job.from_type, job.to_type, job.version
    );
    println!(
        "  {total} rows: {distinct} distinct, {} bad, {skipped} settled by an earlier run",
        bad.len()
    );
    println!("  {pending} to send in {requests} requests");
    if let Some(duration) = duration {
        println!("  about {:.0} s at the rate limit", duration.as_secs_f64());
    }
    Summary {
        command: job.command,
        total,
        done: 0,
        failed: 0,
        bad: bad.len() as u64,
        skipped,
        settled_now: 0,
        elapsed: Duration::ZERO,
        dry_run: true,
    }
}
