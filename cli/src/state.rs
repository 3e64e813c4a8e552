//! A run's state, in an SQLite database beside the input: the input's pairs, what HubSpot
//! confirmed of each, the rows that could not be read, and who ran it when. A run killed at any
//! point (SIGKILL included) resumes without sending again what HubSpot already confirmed, and a
//! user can query it (`sqlite3 pairs.csv.state.sqlite "select * from outcomes where outcome =
//! 'failed'"`).
//!
//! Why SQLite: every write is a transaction, so a kill or a torn write leaves the last committed
//! state (write-ahead log, synchronous NORMAL: a process crash loses nothing committed; a power
//! cut may lose the last commits, never the database). Pairs live on disk with an index, so
//! memory does not grow with the input. Foreign or damaged bytes are found when opening and
//! refused with the file named, and the file is left as it was.

use std::collections::VecDeque;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

use crate::input::{BadRow, RecordId, Rows};

mod scope;

pub use scope::{Action, COMMAND as SYNC, Found, Held, Planned, SyncCounts};

/// `PRAGMA application_id` of a state: "HSAS".
const APPLICATION_ID: i64 = 0x4853_4153;
/// `PRAGMA user_version`: the schema below with `sync`'s tables ([`scope::SCHEMA`]); a state of
/// schema 1 (without them) gets them when opened to write.
const SCHEMA_VERSION: i64 = 2;
const SCHEMA: &str = "
CREATE TABLE run (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    command TEXT NOT NULL,
    api_version TEXT NOT NULL,
    from_type TEXT NOT NULL,
    to_type TEXT NOT NULL,
    kind TEXT NOT NULL,
    input TEXT NOT NULL,
    input_sha256 TEXT NOT NULL,
    total_rows INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
-- Each distinct pair once, at the first line that names it.
CREATE TABLE pairs (
    line INTEGER PRIMARY KEY,
    from_id INTEGER NOT NULL,
    to_id INTEGER NOT NULL,
    outcome TEXT CHECK (outcome IN ('done', 'failed')),
    reason TEXT,
    settled_at INTEGER,
    UNIQUE (from_id, to_id)
);
-- Later lines that name a pair again: they share its outcome.
CREATE TABLE repeats (
    line INTEGER PRIMARY KEY,
    first_line INTEGER NOT NULL REFERENCES pairs (line)
);
CREATE TABLE bad_rows (
    line INTEGER PRIMARY KEY,
    fields TEXT NOT NULL, -- a JSON array of the row's fields
    reason TEXT NOT NULL
);
-- Each process that worked on the run.
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    pid INTEGER NOT NULL,
    started_at INTEGER NOT NULL,
    ended_at INTEGER
);
-- Every usable line of the input with its pair and outcome (NULL: not settled yet).
CREATE VIEW outcomes AS
    SELECT line, from_id, to_id, outcome, reason FROM pairs
    UNION ALL
    SELECT r.line, p.from_id, p.to_id, p.outcome, p.reason
    FROM repeats r JOIN pairs p ON p.line = r.first_line;
";

/// What identifies a run, beside its input's content: a state only resumes the same run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Run {
    /// `associate` or `archive`.
    pub command: String,
    /// The API version.
    pub api_version: String,
    /// The object type associations start from.
    pub from_type: String,
    /// The object type they lead to.
    pub to_type: String,
    /// Which associations, as the user gave it (`default`, `type 279 HUBSPOT_DEFINED`...).
    pub kind: String,
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} to {}, {}, API {}",
            self.command, self.from_type, self.to_type, self.kind, self.api_version
        )
    }
}

/// The run a state holds, as it was recorded.
#[derive(Clone, Debug)]
pub struct Recorded {
    /// The run.
    pub run: Run,
    /// The input file it was made from.
    pub input: String,
    /// The input's SHA-256.
    pub input_sha256: String,
    /// When the input was read, in seconds since the epoch.
    pub created_at: i64,
}

/// Rows of the input by outcome.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Data rows in the input.
    pub total: u64,
    /// Distinct pairs.
    pub distinct: u64,
    /// Rows HubSpot confirmed.
    pub done: u64,
    /// Rows that failed.
    pub failed: u64,
    /// Rows not settled yet.
    pub pending: u64,
    /// Distinct pairs not settled yet.
    pub pending_pairs: u64,
    /// Rows that could not be read.
    pub bad: u64,
}

impl Counts {
    /// Rows settled, done or failed.
    pub fn settled(&self) -> u64 {
        self.done + self.failed
    }
}

/// A distinct pair of the input, or of a `sync` plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pair {
    /// Where it is drawn from: the first line that names it, or its place in the plan.
    pub line: u64,
    /// The record associations start from.
    pub from: RecordId,
    /// The record they lead to.
    pub to: RecordId,
}

/// How HubSpot answered for a pair.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// HubSpot confirmed it.
    Done,
    /// It failed, for this reason.
    Failed(String),
}

impl Outcome {
    /// As the state's `outcome` and `reason` columns hold it.
    fn columns(self) -> (&'static str, Option<String>) {
        match self {
            Self::Done => ("done", None),
            Self::Failed(reason) => ("failed", Some(reason)),
        }
    }
}

/// A process that worked on the run.
#[derive(Clone, Debug)]
pub struct Session {
    /// Its process id.
    pub pid: u32,
    /// When it started, in seconds since the epoch.
    pub started_at: i64,
    /// When it ended; `None` when it was killed or is still running.
    pub ended_at: Option<i64>,
}

/// A failed or unreadable row, for the failures file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The line in the input.
    pub line: u64,
    /// Why.
    pub reason: String,
    /// The row's fields.
    pub fields: Vec<String>,
}

/// An open state.
pub struct State {
    connection: Connection,
    path: PathBuf,
}

/// An error of the state at `path`.
fn failure(path: &Path, error: rusqlite::Error) -> anyhow::Error {
    anyhow::anyhow!("the run state {}: {error}", path.display())
}

/// Seconds since the epoch.
fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() as i64)
}

/// A count or a line number of column `index`: never negative in a state this program wrote,
/// so a negative one is an error, not a zero.
fn as_count(value: i64, index: usize) -> rusqlite::Result<u64> {
    u64::try_from(value).map_err(|_| rusqlite::Error::IntegralValueOutOfRange(index, value))
}

/// A record id of column `index`, likewise.
fn as_record_id(value: i64, index: usize) -> rusqlite::Result<RecordId> {
    RecordId::from_stored(value).ok_or(rusqlite::Error::IntegralValueOutOfRange(index, value))
}

impl State {
    /// Opens the state at `path` to read and write, creating it when there is none.
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        let connection =
            Connection::open(path).map_err(|error| Self::refusal(path, &error.to_string()))?;
        let state = Self {
            connection,
            path: path.to_owned(),
        };
        state.check(true)?;
        state
            .connection
            .execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")
            .map_err(|error| state.error(error))?;
        Ok(state)
    }

    /// Opens an existing state to read it (`status`, a dry run): nothing is written, but the
    /// connection may write at SQLite's level, so that when it is the last to close it takes
    /// the write-ahead log's files (`-wal`, `-shm`) away, as a read-only one cannot.
    pub fn open_to_read(path: &Path) -> anyhow::Result<Self> {
        let connection = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|error| Self::refusal(path, &error.to_string()))?;
        let state = Self {
            connection,
            path: path.to_owned(),
        };
        state.check(false)?;
        Ok(state)
    }

    fn refusal(path: &Path, why: &str) -> anyhow::Error {
        anyhow::anyhow!(
            "{} is not a usable run state ({why}); it was left as it is: move it away, or give \
             another --state",
            path.display()
        )
    }

    fn error(&self, error: rusqlite::Error) -> anyhow::Error {
        failure(&self.path, error)
    }

    /// Checks that the file is a state of this program and undamaged; an empty database gets
    /// the schema.
    fn check(&self, create: bool) -> anyhow::Result<()> {
        let pragma = |name: &str| -> Result<i64, rusqlite::Error> {
            self.connection
                .query_row(&format!("PRAGMA {name}"), [], |row| row.get(0))
        };
        let refuse = |why: String| Self::refusal(&self.path, &why);
        let application = pragma("application_id").map_err(|error| refuse(error.to_string()))?;
        let tables: i64 = self
            .connection
            .query_row("SELECT count(*) FROM sqlite_schema", [], |row| row.get(0))
            .map_err(|error| refuse(error.to_string()))?;
        if application == 0 && tables == 0 && create {
            let schema = format!(
                "BEGIN; PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = \
                 {SCHEMA_VERSION}; {SCHEMA} {} COMMIT;",
                scope::SCHEMA
            );
            return self
                .connection
                .execute_batch(&schema)
                .map_err(|error| self.error(error));
        }
        if application != APPLICATION_ID {
            return Err(refuse(
                "an SQLite database, but not one of hubspot-associations".into(),
            ));
        }
        let mut version = pragma("user_version").map_err(|error| refuse(error.to_string()))?;
        if version == 1 && create {
            let upgrade = format!(
                "BEGIN; PRAGMA user_version = {SCHEMA_VERSION}; {} COMMIT;",
                scope::SCHEMA
            );
            self.connection
                .execute_batch(&upgrade)
                .map_err(|error| self.error(error))?;
            version = SCHEMA_VERSION;
        }
        // A state of schema 1 opened to read (by `status`) is read as it is: it holds no sync.
        let readable = version == SCHEMA_VERSION || (version == 1 && !create);
        if !readable {
            return Err(refuse(format!(
                "written with schema {version}; this program reads schema {SCHEMA_VERSION}"
            )));
        }
        let verdict: String = self
            .connection
            .query_row("PRAGMA quick_check(1)", [], |row| row.get(0))
            .map_err(|error| refuse(error.to_string()))?;
        if verdict != "ok" {
            return Err(refuse(format!("damaged: {verdict}")));
        }
        Ok(())
    }

    /// The run this state holds, once its input has been read into it.
    pub fn recorded(&self) -> anyhow::Result<Option<Recorded>> {
        self.connection
            .query_row(
                "SELECT command, api_version, from_type, to_type, kind, input, input_sha256, \
                 created_at FROM run",
                [],
                |row| {
                    Ok(Recorded {
                        run: Run {
                            command: row.get(0)?,
                            api_version: row.get(1)?,
                            from_type: row.get(2)?,
                            to_type: row.get(3)?,
                            kind: row.get(4)?,
                        },
                        input: row.get(5)?,
                        input_sha256: row.get(6)?,
                        created_at: row.get(7)?,
                    })
                },
            )
            .optional()
            .map_err(|error| self.error(error))
    }

    /// Whether the state holds `run` of the file at `input`: `false` when it holds no run yet;
    /// an error, naming both, when it holds another run or the input changed since.
    pub fn holds(&self, run: &Run, input: &Path) -> anyhow::Result<bool> {
        let Some(recorded) = self.recorded()? else {
            return Ok(false);
        };
        if recorded.run != *run {
            anyhow::bail!(
                "the run state {} belongs to another run ({}), not this one ({run}); give \
                 another --state, or delete it to start over",
                self.path.display(),
                recorded.run
            );
        }
        if recorded.input_sha256 != crate::input::sha256(input)? {
            anyhow::bail!(
                "{} changed since the run state {} was made from it; give another --state for \
                 the new content, or delete the state to start over",
                input.display(),
                self.path.display()
            );
        }
        Ok(true)
    }

    /// Reads the input into the state, in one transaction: each distinct pair once, the lines
    /// that repeat one, and the bad rows. A kill part-way leaves the state as it was.
    /// `on_bad` sees each bad row as it is read.
    pub fn import<R: Read>(
        &mut self,
        run: &Run,
        input: &Path,
        mut rows: Rows<R>,
        mut on_bad: impl FnMut(&BadRow),
    ) -> anyhow::Result<()> {
        let path = &self.path;
        let error = |error| failure(path, error);
        let transaction = self.connection.transaction().map_err(&error)?;
        {
            let mut pair = transaction
                .prepare(
                    "INSERT INTO pairs (line, from_id, to_id) VALUES (?1, ?2, ?3) \
                     ON CONFLICT (from_id, to_id) DO NOTHING",
                )
                .map_err(&error)?;
            let mut repeat = transaction
                .prepare(
                    "INSERT INTO repeats (line, first_line) \
                     SELECT ?1, line FROM pairs WHERE from_id = ?2 AND to_id = ?3",
                )
                .map_err(&error)?;
            let mut bad = transaction
                .prepare("INSERT INTO bad_rows (line, fields, reason) VALUES (?1, ?2, ?3)")
                .map_err(&error)?;
            let mut scoped = transaction.prepare(scope::SCOPE_RECORD).map_err(&error)?;
            for row in rows.by_ref() {
                match row.map_err(|error| crate::input::unreadable(input, error))? {
                    Ok(row) => {
                        let [from, to] = row.ids[..] else {
                            // `sync`'s `123,`: the record is in scope with no pair.
                            let from = row.ids[0].stored();
                            scoped
                                .execute(params![from, row.line as i64])
                                .map_err(&error)?;
                            continue;
                        };
                        let values = params![row.line as i64, from.stored(), to.stored()];
                        if pair.execute(values).map_err(&error)? == 0 {
                            repeat.execute(values).map_err(&error)?;
                        }
                    }
                    Err(row) => {
                        on_bad(&row);
                        let fields = serde_json::to_string(&row.fields)?;
                        bad.execute(params![row.line as i64, fields, row.reason])
                            .map_err(&error)?;
                    }
                }
            }
        }
        if run.command == scope::COMMAND {
            transaction
                .execute(scope::SCOPE_PAIRS, [])
                .map_err(&error)?;
        }
        transaction
            .execute(
                "INSERT INTO run (id, command, api_version, from_type, to_type, kind, input, \
                 input_sha256, total_rows, created_at) \
                 VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    run.command,
                    run.api_version,
                    run.from_type,
                    run.to_type,
                    run.kind,
                    input.display().to_string(),
                    rows.sha256(),
                    rows.total as i64,
                    now()
                ],
            )
            .map_err(&error)?;
        transaction.commit().map_err(&error)
    }

    /// Marks every failed pair unsettled, so that this run sends it again; how many.
    pub fn retry_failed(&self) -> anyhow::Result<u64> {
        self.connection
            .execute(
                "UPDATE pairs SET outcome = NULL, reason = NULL, settled_at = NULL \
                 WHERE outcome = 'failed'",
                [],
            )
            .map(|changed| changed as u64)
            .map_err(|error| self.error(error))
    }

    /// The input's rows by outcome.
    pub fn counts(&self) -> anyhow::Result<Counts> {
        self.connection
            .query_row(
                "SELECT \
                   (SELECT total_rows FROM run), \
                   (SELECT count(*) FROM pairs), \
                   (SELECT count(*) FROM outcomes WHERE outcome = 'done'), \
                   (SELECT count(*) FROM outcomes WHERE outcome = 'failed'), \
                   (SELECT count(*) FROM outcomes WHERE outcome IS NULL), \
                   (SELECT count(*) FROM pairs WHERE outcome IS NULL), \
                   (SELECT count(*) FROM bad_rows)",
                [],
                |row| {
                    // A column without a value (no run yet) counts nothing.
                    let count = |index| {
                        as_count(row.get::<_, Option<i64>>(index)?.unwrap_or_default(), index)
                    };
                    Ok(Counts {
                        total: count(0)?,
                        distinct: count(1)?,
                        done: count(2)?,
                        failed: count(3)?,
                        pending: count(4)?,
                        pending_pairs: count(5)?,
                        bad: count(6)?,
                    })
                },
            )
            .map_err(|error| self.error(error))
    }

    /// The pairs not settled yet, in input order, read a page at a time through a connection
    /// of their own, so that outcomes can be recorded while they are drawn.
    pub fn pending(&self) -> anyhow::Result<Pending> {
        self.drawn(PENDING_PAIRS)
    }

    /// The pairs `query` selects after a cursor (`?1`), `?2` at a time, each as
    /// `cursor, from_id, to_id`, through a connection of their own.
    fn drawn(&self, query: &'static str) -> anyhow::Result<Pending> {
        let connection = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|error| self.error(error))?;
        Ok(Pending {
            connection,
            query,
            path: self.path.clone(),
            after: 0,
            page: VecDeque::new(),
            exhausted: false,
            failure: None,
        })
    }

    /// Records HubSpot's outcome of each pair in one transaction; how many pairs it settled.
    pub fn record(
        &mut self,
        outcomes: impl IntoIterator<Item = ((RecordId, RecordId), Outcome)>,
    ) -> anyhow::Result<u64> {
        let path = &self.path;
        let error = |error| failure(path, error);
        let transaction = self.connection.transaction().map_err(&error)?;
        let mut settled = 0;
        {
            let mut update = transaction
                .prepare_cached(
                    "UPDATE pairs SET outcome = ?3, reason = ?4, settled_at = ?5 \
                     WHERE from_id = ?1 AND to_id = ?2",
                )
                .map_err(&error)?;
            let at = now();
            for ((from, to), outcome) in outcomes {
                let (outcome, reason) = outcome.columns();
                settled += update
                    .execute(params![from.stored(), to.stored(), outcome, reason, at])
                    .map_err(&error)? as u64;
            }
        }
        transaction.commit().map_err(&error)?;
        Ok(settled)
    }

    /// The failed and unreadable rows, and the records that could not be read, by line, handed
    /// to `each` one at a time.
    pub fn failures(
        &self,
        limit: Option<u64>,
        mut each: impl FnMut(Failure) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let mut statement = self
            .connection
            .prepare(
                "SELECT line, reason, fields FROM ( \
                   SELECT line, 'bad input: ' || reason AS reason, fields FROM bad_rows \
                   UNION ALL \
                   SELECT line, reason, json_array(cast(from_id AS TEXT), cast(to_id AS TEXT)) \
                   FROM outcomes WHERE outcome = 'failed' \
                   UNION ALL \
                   SELECT line, reason, json_array(cast(from_id AS TEXT)) \
                   FROM scope WHERE read = 2 \
                 ) ORDER BY line LIMIT ?1",
            )
            .map_err(|error| self.error(error))?;
        let limit = limit.map_or(-1, |limit| i64::try_from(limit).unwrap_or(i64::MAX));
        let mut rows = statement
            .query([limit])
            .map_err(|error| self.error(error))?;
        while let Some(row) = rows.next().map_err(|error| self.error(error))? {
            let fields: String = row.get(2).map_err(|error| self.error(error))?;
            each(Failure {
                line: row
                    .get(0)
                    .and_then(|line| as_count(line, 0))
                    .map_err(|error| self.error(error))?,
                reason: row.get(1).map_err(|error| self.error(error))?,
                fields: serde_json::from_str(&fields)?,
            })?;
        }
        Ok(())
    }

    /// Records that this process works on the run; its session id.
    pub fn begin_session(&self) -> anyhow::Result<i64> {
        self.connection
            .execute(
                "INSERT INTO sessions (pid, started_at) VALUES (?1, ?2)",
                params![std::process::id(), now()],
            )
            .map_err(|error| self.error(error))?;
        Ok(self.connection.last_insert_rowid())
    }

    /// Records that the session ended.
    pub fn end_session(&self, session: i64) -> anyhow::Result<()> {
        self.connection
            .execute(
                "UPDATE sessions SET ended_at = ?2 WHERE id = ?1",
                params![session, now()],
            )
            .map(drop)
            .map_err(|error| self.error(error))
    }

    /// Every process that worked on the run, oldest first.
    pub fn sessions(&self) -> anyhow::Result<Vec<Session>> {
        let mut statement = self
            .connection
            .prepare("SELECT pid, started_at, ended_at FROM sessions ORDER BY id")
            .map_err(|error| self.error(error))?;
        statement
            .query_map([], |row| {
                Ok(Session {
                    pid: row.get(0)?,
                    started_at: row.get(1)?,
                    ended_at: row.get(2)?,
                })
            })
            .and_then(Iterator::collect)
            .map_err(|error| self.error(error))
    }
}

/// The pairs not settled yet, drawn a page at a time. A read error ends the pairs early and is
/// kept: [`Pending::failure`] tells it once the sending is over.
pub struct Pending {
    connection: Connection,
    query: &'static str,
    path: PathBuf,
    after: i64,
    page: VecDeque<Pair>,
    exhausted: bool,
    failure: Option<rusqlite::Error>,
}

/// Pairs read at once.
const PAGE: i64 = 4_096;

/// The input's pairs not settled yet, by line.
const PENDING_PAIRS: &str = "SELECT line, from_id, to_id FROM pairs WHERE outcome IS NULL AND \
                             line > ?1 ORDER BY line LIMIT ?2";

impl Pending {
    fn fill(&mut self) -> Result<(), rusqlite::Error> {
        let mut statement = self.connection.prepare_cached(self.query)?;
        let page = statement.query_map([self.after, PAGE], |row| {
            Ok(Pair {
                line: as_count(row.get(0)?, 0)?,
                from: as_record_id(row.get(1)?, 1)?,
                to: as_record_id(row.get(2)?, 2)?,
            })
        })?;
        for pair in page {
            self.page.push_back(pair?);
        }
        self.exhausted = (self.page.len() as i64) < PAGE;
        if let Some(last) = self.page.back() {
            self.after = last.line as i64;
        }
        Ok(())
    }

    /// The error that ended the pairs early, if one did.
    pub fn failure(&mut self) -> Option<anyhow::Error> {
        Some(failure(&self.path, self.failure.take()?))
    }
}

impl Iterator for Pending {
    type Item = Pair;

    fn next(&mut self) -> Option<Pair> {
        if self.page.is_empty()
            && !self.exhausted
            && self.failure.is_none()
            && let Err(error) = self.fill()
        {
            self.failure = Some(error);
        }
        self.page.pop_front()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run() -> Run {
        Run {
            command: "associate".into(),
            api_version: hubspot_associations::ApiVersion::ALL[0].as_str().into(),
            from_type: "contacts".into(),
            to_type: "companies".into(),
            kind: "default".into(),
        }
    }

    /// A state with `text` read into it, as if from `input.csv`.
    fn state_of(dir: &Path, text: &[u8]) -> State {
        let mut state = State::open(&dir.join("run.state.sqlite")).unwrap();
        let mut bad = Vec::new();
        state
            .import(&run(), Path::new("input.csv"), Rows::new(text, 2), |row| {
                bad.push(row.line)
            })
            .unwrap();
        assert_eq!(bad, [4]);
        state
    }

    #[test]
    fn pairs_are_read_once_and_their_outcomes_reach_every_line_that_names_them() {
        let dir = tempfile::tempdir().unwrap();
        let mut state = state_of(dir.path(), b"from,to\n1,10\n2,20\nx,1\n1,10\n3,30\n");
        let pending: Vec<Pair> = state.pending().unwrap().collect();
        assert_eq!(
            pending
                .iter()
                .map(|p| (p.line, p.from.get(), p.to.get()))
                .collect::<Vec<_>>(),
            [(2, 1, 10), (3, 2, 20), (6, 3, 30)]
        );
        let id = |text: &str| RecordId::parse(text).unwrap();
        let settled = state
            .record([
                ((id("1"), id("10")), Outcome::Done),
                ((id("2"), id("20")), Outcome::Failed("rejected".into())),
            ])
            .unwrap();
        assert_eq!(settled, 2);
        let counts = state.counts().unwrap();
        assert_eq!(
            counts,
            Counts {
                total: 5,
                distinct: 3,
                done: 2,
                failed: 1,
                pending: 1,
                pending_pairs: 1,
                bad: 1,
            }
        );
        let pending: Vec<u64> = state.pending().unwrap().map(|p| p.line).collect();
        assert_eq!(pending, [6]);
        let mut failures = Vec::new();
        state
            .failures(None, |failure| {
                failures.push(failure);
                Ok(())
            })
            .unwrap();
        assert_eq!(
            failures,
            [
                Failure {
                    line: 3,
                    reason: "rejected".into(),
                    fields: vec!["2".into(), "20".into()]
                },
                Failure {
                    line: 4,
                    reason: "bad input: `x` is not a record id (record ids are whole numbers \
                             below 2^63)"
                        .into(),
                    fields: vec!["x".into(), "1".into()]
                },
            ]
        );
        assert_eq!(state.retry_failed().unwrap(), 1);
        assert_eq!(state.counts().unwrap().pending, 2);
    }

    #[test]
    fn a_state_resumes_only_its_own_run_of_the_same_input() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("input.csv");
        std::fs::write(&input, "1,10\n").unwrap();
        let path = dir.path().join("run.state.sqlite");
        let mut state = State::open(&path).unwrap();
        assert!(
            !state.holds(&run(), &input).unwrap(),
            "nothing recorded yet"
        );
        state
            .import(
                &run(),
                &input,
                crate::input::open(&input, 2).unwrap(),
                |_| {},
            )
            .unwrap();
        drop(state);
        let state = State::open(&path).unwrap();
        assert!(state.holds(&run(), &input).unwrap());
        let other = Run {
            kind: "label billing".into(),
            ..run()
        };
        let error = state.holds(&other, &input).unwrap_err().to_string();
        assert!(error.contains("belongs to another run"), "{error}");
        std::fs::write(&input, "1,11\n").unwrap();
        let error = state.holds(&run(), &input).unwrap_err().to_string();
        assert!(error.contains("changed since the run state"), "{error}");
    }

    #[test]
    fn foreign_and_damaged_files_are_refused_and_left_as_they_are() {
        let dir = tempfile::tempdir().unwrap();
        let refused = |path: &Path| {
            let before = std::fs::read(path).unwrap();
            let error = State::open(path).err().unwrap().to_string();
            assert_eq!(std::fs::read(path).unwrap(), before, "{error}");
            error
        };
        let text = dir.path().join("text.sqlite");
        std::fs::write(&text, b"3\tok\n4\tfailed\t\xff\xfe").unwrap();
        assert!(refused(&text).contains("is not a usable run state"));

        let other = dir.path().join("other.sqlite");
        Connection::open(&other)
            .unwrap()
            .execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
            .unwrap();
        assert!(refused(&other).contains("not one of hubspot-associations"));

        // A state torn in the middle, as a disk or a copy might leave it.
        let torn = dir.path().join("torn.sqlite");
        let mut rows = String::new();
        for i in 1..=20_000 {
            rows.push_str(&format!("{i},{}\n", i * 7));
        }
        let mut state = State::open(&torn).unwrap();
        state
            .import(
                &run(),
                Path::new("in.csv"),
                Rows::new(rows.as_bytes(), 2),
                |_| {},
            )
            .unwrap();
        state
            .connection
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode = DELETE;")
            .unwrap();
        drop(state);
        let mut bytes = std::fs::read(&torn).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle..middle + 4096].fill(0x5a);
        std::fs::write(&torn, &bytes).unwrap();
        let error = refused(&torn);
        assert!(error.contains("is not a usable run state"), "{error}");
    }

    #[test]
    fn an_import_cut_short_leaves_no_run() {
        struct Failing(usize);
        impl Read for Failing {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                if self.0 == 0 {
                    return Err(std::io::Error::other("the disk went away"));
                }
                self.0 -= 1;
                let row = format!("{},2\n", self.0);
                buf[..row.len()].copy_from_slice(row.as_bytes());
                Ok(row.len())
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.state.sqlite");
        let mut state = State::open(&path).unwrap();
        let error = state
            .import(
                &run(),
                Path::new("in.csv"),
                Rows::new(Failing(3), 2),
                |_| {},
            )
            .unwrap_err()
            .to_string();
        assert!(error.contains("the disk went away"), "{error}");
        drop(state);
        let state = State::open(&path).unwrap();
        assert!(state.recorded().unwrap().is_none());
        assert_eq!(
            state.counts().unwrap().distinct,
            0,
            "no pair of the cut import"
        );
    }
}
