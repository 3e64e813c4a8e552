//! What the commands that read keep in a run's state: the records in scope (`export`'s ids,
//! `sync`'s from-records) and how far the read got. `export` keeps every association found;
//! `sync` keeps, beside the input's pairs (its desired set), the associations of the run's
//! kind HubSpot holds as the last read found them, and the plan that makes the two match, with
//! HubSpot's answer for each of its writes. The difference is computed by SQLite, on disk, so
//! memory stays flat whatever the sizes.
//!
//! Each run reads anew (a pass): a plan is only ever made from a read of the same pass, and
//! executed by the process that read, or a resumed one, so that every write acts on what
//! HubSpot held minutes before, never on a read from an earlier day. A pass that was killed
//! while reading goes on with the records it had not read.

use rusqlite::{OptionalExtension, params};

use super::{Pending, State, as_count, failure, now};
use crate::input::RecordId;
use crate::state::Outcome;

/// The command whose input names a scope.
pub const COMMAND: &str = "sync";

/// The tables of `export` and `sync`, in every state (schema 2).
pub const SCHEMA: &str = "
-- Each record an `export` input names, or from-record a `sync` input names, at its first
-- line; `read`: 0 not yet (in this pass), 1 read, 2 could not be read (`reason`).
CREATE TABLE scope (
    from_id INTEGER PRIMARY KEY,
    line INTEGER NOT NULL,
    read INTEGER NOT NULL DEFAULT 0,
    reason TEXT
);
-- The associations of the run's kind HubSpot holds for the records read in this pass;
-- `other_types`: how many other types (labels) the same pair has, which removing the
-- unlabelled default type removes too.
CREATE TABLE current (
    from_id INTEGER NOT NULL,
    to_id INTEGER NOT NULL,
    other_types INTEGER NOT NULL,
    PRIMARY KEY (from_id, to_id)
) WITHOUT ROWID;
-- What the pass writes, and HubSpot's answer; `line`: the input line of the pair (create) or
-- of its from-record (remove).
CREATE TABLE plan (
    id INTEGER PRIMARY KEY,
    action TEXT NOT NULL CHECK (action IN ('create', 'remove')),
    from_id INTEGER NOT NULL,
    to_id INTEGER NOT NULL,
    line INTEGER NOT NULL,
    labels_lost INTEGER NOT NULL,
    outcome TEXT CHECK (outcome IN ('done', 'failed')),
    reason TEXT,
    settled_at INTEGER,
    UNIQUE (action, from_id, to_id)
);
-- What `export` found: every association of the records read, of every type.
CREATE TABLE found (
    from_id INTEGER NOT NULL,
    to_id INTEGER NOT NULL,
    type_id INTEGER NOT NULL,
    category TEXT NOT NULL,
    label TEXT,
    PRIMARY KEY (from_id, to_id, type_id, category)
) WITHOUT ROWID;
-- The pass: `planned` once its plan is made; `other_types`: associations of other types met
-- on the records read, which the run leaves alone.
CREATE TABLE sync (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    passes INTEGER NOT NULL,
    planned INTEGER NOT NULL,
    other_types INTEGER NOT NULL
);
";

/// A `123,` row: the record is in scope.
pub const SCOPE_RECORD: &str = "INSERT INTO scope (from_id, line) VALUES (?1, ?2) \
                                ON CONFLICT (from_id) DO UPDATE SET line = min(line, excluded.line)";

/// Every from-record of the input's pairs is in scope, at its first line.
pub const SCOPE_PAIRS: &str = "INSERT INTO scope (from_id, line) \
                               SELECT from_id, min(line) FROM pairs WHERE true GROUP BY from_id \
                               ON CONFLICT (from_id) DO UPDATE SET line = min(line, excluded.line)";

const PENDING_CREATES: &str = "SELECT id, from_id, to_id FROM plan WHERE action = 'create' AND \
                               outcome IS NULL AND id > ?1 ORDER BY id LIMIT ?2";
const PENDING_REMOVES: &str = "SELECT id, from_id, to_id FROM plan WHERE action = 'remove' AND \
                               outcome IS NULL AND id > ?1 ORDER BY id LIMIT ?2";

/// A write of the plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Create an association the input names and HubSpot lacks.
    Create,
    /// Remove one HubSpot holds and the input does not name (`--mode mirror`).
    Remove,
}

impl Action {
    fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Remove => "remove",
        }
    }
}

/// An association of the run's kind that the read found, with the other types of its pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Held {
    /// The from-record.
    pub from: RecordId,
    /// The to-record.
    pub to: RecordId,
    /// Other types (labels) between the two records.
    pub other_types: u32,
}

/// A `sync` run by what it found and did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SyncCounts {
    /// From-records the input names.
    pub records: u64,
    /// Of them, read in this pass.
    pub read: u64,
    /// Of them, that could not be read (their pairs are not planned).
    pub unreadable: u64,
    /// Distinct pairs the input names.
    pub desired: u64,
    /// Associations of the kind HubSpot held, as read.
    pub held: u64,
    /// Desired pairs HubSpot already held.
    pub unchanged: u64,
    /// Associations of other kinds met on the records read, left alone.
    pub out_of_scope: u64,
    /// Creates planned, done, failed.
    pub creates: Planned,
    /// Removes planned, done, failed.
    pub removes: Planned,
    /// Labels that the planned removes of the default type take with them.
    pub labels_lost: u64,
    /// Whether this pass's plan is made.
    pub planned: bool,
}

/// The writes of one action in the plan.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Planned {
    /// In the plan.
    pub total: u64,
    /// HubSpot confirmed.
    pub done: u64,
    /// Failed, with HubSpot's reason.
    pub failed: u64,
}

impl Planned {
    /// Not settled yet.
    pub fn pending(&self) -> u64 {
        self.total - self.done - self.failed
    }
}

impl State {
    /// Starts this run's pass: after a pass that made its plan (a run that ended, or was
    /// killed while writing), the read starts over and the plan is made again, keeping the
    /// failed writes (sent again only with `retry_failed`); a pass killed while reading goes
    /// on with the records not read yet.
    pub fn begin_pass(&mut self, retry_failed: bool) -> anyhow::Result<()> {
        let path = self.path.clone();
        let error = |error| failure(&path, error);
        let transaction = self.connection.transaction().map_err(&error)?;
        let planned: Option<bool> = transaction
            .query_row("SELECT planned FROM sync", [], |row| row.get(0))
            .optional()
            .map_err(&error)?;
        match planned {
            None => {
                transaction
                    .execute(
                        "INSERT INTO sync (id, passes, planned, other_types) VALUES (1, 1, 0, 0)",
                        [],
                    )
                    .map_err(&error)?;
            }
            Some(true) => {
                transaction
                    .execute_batch(
                        "DELETE FROM current; \
                         UPDATE scope SET read = 0, reason = NULL; \
                         DELETE FROM plan WHERE outcome IS NOT 'failed'; \
                         UPDATE sync SET passes = passes + 1, planned = 0, other_types = 0;",
                    )
                    .map_err(&error)?;
            }
            Some(false) => {}
        }
        if retry_failed {
            transaction
                .execute_batch(
                    "DELETE FROM plan WHERE outcome = 'failed'; \
                     UPDATE scope SET read = 0, reason = NULL WHERE read = 2;",
                )
                .map_err(&error)?;
        }
        transaction.commit().map_err(&error)
    }

    /// Up to `limit` from-records not read yet in this pass, by id, after `after` (a cursor on
    /// the primary key, so that the read as a whole is one walk of the scope).
    pub fn unread(&self, after: Option<RecordId>, limit: usize) -> anyhow::Result<Vec<RecordId>> {
        let mut statement = self
            .connection
            .prepare_cached(
                "SELECT from_id FROM scope WHERE read = 0 AND from_id > ?1 ORDER BY from_id \
                 LIMIT ?2",
            )
            .map_err(|error| self.error(error))?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let after = after.map_or(-1, RecordId::stored);
        statement
            .query_map([after, limit], |row| {
                let id: i64 = row.get(0)?;
                RecordId::from_stored(id).ok_or(rusqlite::Error::IntegralValueOutOfRange(0, id))
            })
            .and_then(Iterator::collect)
            .map_err(|error| self.error(error))
    }

    /// How many records of the scope are not read yet.
    pub fn unread_count(&self) -> anyhow::Result<u64> {
        self.connection
            .query_row("SELECT count(*) FROM scope WHERE read = 0", [], |row| {
                as_count(row.get(0)?, 0)
            })
            .map_err(|error| self.error(error))
    }

    /// Marks the records that could not be read unread, so that this run reads them again.
    pub fn retry_unreadable(&self) -> anyhow::Result<()> {
        self.connection
            .execute(
                "UPDATE scope SET read = 0, reason = NULL WHERE read = 2",
                [],
            )
            .map(drop)
            .map_err(|error| self.error(error))
    }

    /// Records one read of `export`, in one transaction: every association found, the records
    /// read and those that could not be read.
    pub fn record_found(
        &mut self,
        read: &[RecordId],
        found: impl IntoIterator<Item = Found>,
        unreadable: &[(RecordId, String)],
    ) -> anyhow::Result<()> {
        let path = self.path.clone();
        let error = |error| failure(&path, error);
        let transaction = self.connection.transaction().map_err(&error)?;
        {
            let mut insert = transaction
                .prepare_cached(
                    "INSERT OR REPLACE INTO found (from_id, to_id, type_id, category, label) \
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .map_err(&error)?;
            for row in found {
                insert
                    .execute(params![
                        row.from.stored(),
                        row.to.stored(),
                        row.type_id,
                        row.category,
                        row.label
                    ])
                    .map_err(&error)?;
            }
            mark_read(&transaction, read, unreadable).map_err(&error)?;
        }
        transaction.commit().map_err(&error)
    }

    /// What `export` found, by the input's order of the records, each row as the output file
    /// has it (`from_id, to_id, type_id, category, label`), to `each`; how many.
    pub fn found_rows(
        &self,
        mut each: impl FnMut([String; 5]) -> anyhow::Result<()>,
    ) -> anyhow::Result<u64> {
        let mut statement = self
            .connection
            .prepare(
                "SELECT f.from_id, f.to_id, f.type_id, f.category, f.label FROM found f \
                 JOIN scope s ON s.from_id = f.from_id ORDER BY s.line, f.to_id, f.type_id",
            )
            .map_err(|error| self.error(error))?;
        let mut rows = statement.query([]).map_err(|error| self.error(error))?;
        let mut count = 0;
        while let Some(row) = rows.next().map_err(|error| self.error(error))? {
            each(texts(row).map_err(|error| self.error(error))?)?;
            count += 1;
        }
        Ok(count)
    }

    /// Records one read of `sync`, in one transaction: the records read with what they hold of
    /// the run's kind, the count of other types met, and the records that could not be read.
    pub fn record_read(
        &mut self,
        read: &[RecordId],
        held: &[Held],
        other_types: u64,
        unreadable: &[(RecordId, String)],
    ) -> anyhow::Result<()> {
        let path = self.path.clone();
        let error = |error| failure(&path, error);
        let transaction = self.connection.transaction().map_err(&error)?;
        {
            let mut found = transaction
                .prepare_cached(
                    "INSERT OR REPLACE INTO current (from_id, to_id, other_types) \
                     VALUES (?1, ?2, ?3)",
                )
                .map_err(&error)?;
            for association in held {
                found
                    .execute(params![
                        association.from.stored(),
                        association.to.stored(),
                        association.other_types
                    ])
                    .map_err(&error)?;
            }
            mark_read(&transaction, read, unreadable).map_err(&error)?;
            transaction
                .execute(
                    "UPDATE sync SET other_types = other_types + ?1",
                    [i64::try_from(other_types).unwrap_or(i64::MAX)],
                )
                .map_err(&error)?;
        }
        transaction.commit().map_err(&error)
    }

    /// Makes this pass's plan from its read, in one transaction: the desired pairs of the
    /// records read that HubSpot lacks, and with `mirror` the associations it holds that the
    /// input does not name. A write that failed in an earlier pass stays failed while it is
    /// still needed, and goes when it is not.
    pub fn make_plan(&mut self, mirror: bool) -> anyhow::Result<()> {
        let path = self.path.clone();
        let error = |error| failure(&path, error);
        let transaction = self.connection.transaction().map_err(&error)?;
        transaction
            .execute_batch(
                "DELETE FROM plan WHERE action = 'create' AND (EXISTS (SELECT 1 FROM current c \
                   WHERE c.from_id = plan.from_id AND c.to_id = plan.to_id) \
                   OR NOT EXISTS (SELECT 1 FROM pairs p \
                   WHERE p.from_id = plan.from_id AND p.to_id = plan.to_id)); \
                 DELETE FROM plan WHERE action = 'remove' AND (NOT EXISTS (SELECT 1 FROM \
                   current c WHERE c.from_id = plan.from_id AND c.to_id = plan.to_id) \
                   OR EXISTS (SELECT 1 FROM pairs p \
                   WHERE p.from_id = plan.from_id AND p.to_id = plan.to_id)); \
                 INSERT OR IGNORE INTO plan (action, from_id, to_id, line, labels_lost) \
                   SELECT 'create', p.from_id, p.to_id, p.line, 0 \
                   FROM pairs p JOIN scope s ON s.from_id = p.from_id AND s.read = 1 \
                   WHERE NOT EXISTS (SELECT 1 FROM current c \
                     WHERE c.from_id = p.from_id AND c.to_id = p.to_id) \
                   ORDER BY p.from_id, p.to_id;",
            )
            .map_err(&error)?;
        if mirror {
            transaction
                .execute(
                    "INSERT OR IGNORE INTO plan (action, from_id, to_id, line, labels_lost) \
                     SELECT 'remove', c.from_id, c.to_id, s.line, c.other_types \
                     FROM current c JOIN scope s ON s.from_id = c.from_id \
                     WHERE NOT EXISTS (SELECT 1 FROM pairs p \
                       WHERE p.from_id = c.from_id AND p.to_id = c.to_id) \
                     ORDER BY c.from_id, c.to_id",
                    [],
                )
                .map_err(&error)?;
        }
        transaction
            .execute("UPDATE sync SET planned = 1", [])
            .map_err(&error)?;
        transaction.commit().map_err(&error)
    }

    /// The writes of `action` not settled yet, in the plan's order (by from-record, so that
    /// the removes of one record travel together).
    pub fn pending_writes(&self, action: Action) -> anyhow::Result<Pending> {
        self.drawn(match action {
            Action::Create => PENDING_CREATES,
            Action::Remove => PENDING_REMOVES,
        })
    }

    /// Records HubSpot's answer for writes of `action`, in one transaction; how many it
    /// settled.
    pub fn record_writes(
        &mut self,
        action: Action,
        outcomes: impl IntoIterator<Item = ((RecordId, RecordId), Outcome)>,
    ) -> anyhow::Result<u64> {
        let path = self.path.clone();
        let error = |error| failure(&path, error);
        let transaction = self.connection.transaction().map_err(&error)?;
        let mut settled = 0;
        {
            let mut update = transaction
                .prepare_cached(
                    "UPDATE plan SET outcome = ?4, reason = ?5, settled_at = ?6 \
                     WHERE action = ?1 AND from_id = ?2 AND to_id = ?3 AND outcome IS NULL",
                )
                .map_err(&error)?;
            let at = now();
            for ((from, to), outcome) in outcomes {
                let (outcome, reason) = outcome.columns();
                settled += update
                    .execute(params![
                        action.as_str(),
                        from.stored(),
                        to.stored(),
                        outcome,
                        reason,
                        at
                    ])
                    .map_err(&error)? as u64;
            }
        }
        transaction.commit().map_err(&error)?;
        Ok(settled)
    }

    /// What the run found and did so far.
    pub fn sync_counts(&self) -> anyhow::Result<SyncCounts> {
        self.connection
            .query_row(
                "SELECT \
                   (SELECT count(*) FROM scope), \
                   (SELECT count(*) FROM scope WHERE read = 1), \
                   (SELECT count(*) FROM scope WHERE read = 2), \
                   (SELECT count(*) FROM pairs), \
                   (SELECT count(*) FROM current), \
                   (SELECT count(*) FROM pairs p JOIN current c \
                      ON c.from_id = p.from_id AND c.to_id = p.to_id), \
                   (SELECT other_types FROM sync), \
                   (SELECT count(*) FROM plan WHERE action = 'create'), \
                   (SELECT count(*) FROM plan WHERE action = 'create' AND outcome = 'done'), \
                   (SELECT count(*) FROM plan WHERE action = 'create' AND outcome = 'failed'), \
                   (SELECT count(*) FROM plan WHERE action = 'remove'), \
                   (SELECT count(*) FROM plan WHERE action = 'remove' AND outcome = 'done'), \
                   (SELECT count(*) FROM plan WHERE action = 'remove' AND outcome = 'failed'), \
                   (SELECT total(labels_lost) FROM plan WHERE action = 'remove' \
                      AND outcome IS NOT 'failed'), \
                   (SELECT planned FROM sync)",
                [],
                |row| {
                    let count = |index| {
                        as_count(row.get::<_, Option<i64>>(index)?.unwrap_or_default(), index)
                    };
                    let labels_lost: f64 = row.get(13)?;
                    Ok(SyncCounts {
                        records: count(0)?,
                        read: count(1)?,
                        unreadable: count(2)?,
                        desired: count(3)?,
                        held: count(4)?,
                        unchanged: count(5)?,
                        out_of_scope: count(6)?,
                        creates: Planned {
                            total: count(7)?,
                            done: count(8)?,
                            failed: count(9)?,
                        },
                        removes: Planned {
                            total: count(10)?,
                            done: count(11)?,
                            failed: count(12)?,
                        },
                        labels_lost: labels_lost as u64,
                        planned: row.get::<_, Option<bool>>(14)?.unwrap_or_default(),
                    })
                },
            )
            .map_err(|error| self.error(error))
    }

    /// The plan, write by write (`action, from_id, to_id, labels_lost, outcome, reason`), to
    /// `each`, creates first.
    pub fn plan_rows(
        &self,
        mut each: impl FnMut([String; 6]) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let mut statement = self
            .connection
            .prepare(
                "SELECT action, from_id, to_id, labels_lost, outcome, reason FROM plan \
                 ORDER BY action, id",
            )
            .map_err(|error| self.error(error))?;
        let mut rows = statement.query([]).map_err(|error| self.error(error))?;
        while let Some(row) = rows.next().map_err(|error| self.error(error))? {
            each(texts(row).map_err(|error| self.error(error))?)?;
        }
        Ok(())
    }

    /// The failed writes and the records that could not be read, by line, as the failures
    /// file lists them (`action, from_id, to_id`), to `each`.
    pub fn sync_failures(
        &self,
        mut each: impl FnMut(u64, String, Vec<String>) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let mut statement = self
            .connection
            .prepare(
                "SELECT line, reason, action, from_id, to_id FROM ( \
                   SELECT line, 'bad input: ' || reason AS reason, 'input' AS action, \
                     json_extract(fields, '$[0]') AS from_id, json_extract(fields, '$[1]') AS to_id \
                   FROM bad_rows \
                   UNION ALL \
                   SELECT line, reason, 'read', from_id, '' FROM scope WHERE read = 2 \
                   UNION ALL \
                   SELECT line, reason, action, from_id, to_id FROM plan WHERE outcome = 'failed' \
                 ) ORDER BY line, action, to_id",
            )
            .map_err(|error| self.error(error))?;
        let mut rows = statement.query([]).map_err(|error| self.error(error))?;
        while let Some(row) = rows.next().map_err(|error| self.error(error))? {
            let read = (|| -> rusqlite::Result<(u64, String, Vec<String>)> {
                Ok((
                    as_count(row.get(0)?, 0)?,
                    row.get(1)?,
                    vec![text(row, 2)?, text(row, 3)?, text(row, 4)?],
                ))
            })()
            .map_err(|error| self.error(error))?;
            each(read.0, read.1, read.2)?;
        }
        Ok(())
    }
}

/// An association `export` found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    /// The record read.
    pub from: RecordId,
    /// A record associated with it.
    pub to: RecordId,
    /// The association type.
    pub type_id: i32,
    /// Its category.
    pub category: String,
    /// Its label, if it has one.
    pub label: Option<String>,
}

/// Marks the records read, and those that could not be, with why.
fn mark_read(
    transaction: &rusqlite::Transaction<'_>,
    read: &[RecordId],
    unreadable: &[(RecordId, String)],
) -> rusqlite::Result<()> {
    let mut done = transaction.prepare_cached("UPDATE scope SET read = 1 WHERE from_id = ?1")?;
    for record in read {
        done.execute([record.stored()])?;
    }
    let mut failed =
        transaction.prepare_cached("UPDATE scope SET read = 2, reason = ?2 WHERE from_id = ?1")?;
    for (record, reason) in unreadable {
        failed.execute(params![record.stored(), reason])?;
    }
    Ok(())
}

/// The first `N` columns as text.
fn texts<const N: usize>(row: &rusqlite::Row<'_>) -> rusqlite::Result<[String; N]> {
    let mut fields: [String; N] = std::array::from_fn(|_| String::new());
    for (index, field) in fields.iter_mut().enumerate() {
        *field = text(row, index)?;
    }
    Ok(fields)
}

/// Column `index` as text: a number written out, `NULL` as nothing.
fn text(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<String> {
    Ok(match row.get::<_, Option<rusqlite::types::Value>>(index)? {
        Some(rusqlite::types::Value::Integer(number)) => number.to_string(),
        Some(rusqlite::types::Value::Text(text)) => text,
        _ => String::new(),
    })
}
