//! The journal: what a run has settled, line by line of the input, so that a run killed at any
//! point (SIGKILL included) resumes without sending again what HubSpot already confirmed.
//!
//! The first line names the run it belongs to (a hash of the command, its options and the
//! input); each next line is `<input line>\tok` or `<input line>\tfailed\t<reason>`. Lines are
//! written after each request's outcome and handed to the kernel at once, so a killed process
//! loses at most the outcomes of the requests in flight; a line torn by the kill is dropped.

use std::collections::{HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

const MAGIC: &str = "# hubspot-associations journal v1";

/// How an input line was settled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Settled {
    /// HubSpot confirmed it.
    Done,
    /// It failed, for this reason.
    Failed(String),
}

/// What identifies a run: its journal only resumes the same run.
pub fn fingerprint(parts: &[&str], input: &[u8]) -> String {
    let mut hash = Sha256::new();
    for part in parts {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    hash.update(input);
    hash.finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// The input lines a journal has settled: a set for the many done, a map for the few failed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Settlements {
    /// Lines HubSpot confirmed.
    pub done: HashSet<u64>,
    /// Lines that failed, with why.
    pub failed: HashMap<u64, String>,
}

impl Settlements {
    /// Whether the line was settled.
    pub fn contains(&self, line: u64) -> bool {
        self.done.contains(&line) || self.failed.contains_key(&line)
    }

    /// How many lines were settled.
    pub fn len(&self) -> usize {
        self.done.len() + self.failed.len()
    }

    fn insert(&mut self, line: u64, outcome: Settled) {
        match outcome {
            Settled::Done => {
                self.failed.remove(&line);
                self.done.insert(line);
            }
            Settled::Failed(reason) => {
                self.done.remove(&line);
                self.failed.insert(line, reason);
            }
        }
    }
}

/// An open journal.
pub struct Journal {
    path: PathBuf,
    file: File,
    settled: Settlements,
}

/// The settled lines of an existing journal, after checking that it belongs to this run.
/// `Ok(None)` when there is no journal yet.
pub fn read(path: &Path, fingerprint: &str) -> anyhow::Result<Option<(Settlements, u64)>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => anyhow::bail!("cannot read the journal {}: {error}", path.display()),
    };
    // Everything after the last newline was torn by a kill: ignored, and cut off when writing.
    let complete = text.rfind('\n').map_or(0, |end| end + 1);
    let mut lines = text[..complete].lines();
    let expected = format!("{MAGIC} {fingerprint}");
    match lines.next() {
        Some(header) if header == expected => {}
        Some(_) => anyhow::bail!(
            "the journal {} belongs to another run (another command, options or input file); \
             delete it to start over, or give another --journal",
            path.display()
        ),
        None => {}
    }
    let mut settled = Settlements::default();
    for line in lines {
        let mut fields = line.splitn(3, '\t');
        let (Some(number), Some(status)) =
            (fields.next().and_then(|n| n.parse().ok()), fields.next())
        else {
            continue;
        };
        match status {
            "ok" => settled.insert(number, Settled::Done),
            "failed" => settled.insert(
                number,
                Settled::Failed(fields.next().unwrap_or_default().to_owned()),
            ),
            _ => {}
        }
    }
    Ok(Some((settled, complete as u64)))
}

impl Journal {
    /// Opens the journal of this run, creating it or resuming it.
    pub fn open(path: &Path, fingerprint: &str) -> anyhow::Result<Self> {
        let existing = read(path, fingerprint)?;
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(path)
            .map_err(|error| {
                anyhow::anyhow!("cannot open the journal {}: {error}", path.display())
            })?;
        let settled = match existing {
            Some((settled, complete)) if complete > 0 => {
                file.set_len(complete)?;
                settled
            }
            _ => {
                file.set_len(0)?;
                writeln!(file, "{MAGIC} {fingerprint}")?;
                Settlements::default()
            }
        };
        use std::io::Seek;
        file.seek(io::SeekFrom::End(0))?;
        Ok(Self {
            path: path.to_owned(),
            file,
            settled,
        })
    }

    /// The lines settled so far, by this run and the runs it resumes.
    pub fn settled(&self) -> &Settlements {
        &self.settled
    }

    /// Records outcomes, in one write.
    pub fn record(
        &mut self,
        outcomes: impl IntoIterator<Item = (u64, Settled)>,
    ) -> anyhow::Result<()> {
        let mut text = String::new();
        for (line, outcome) in outcomes {
            match &outcome {
                Settled::Done => text.push_str(&format!("{line}\tok\n")),
                Settled::Failed(reason) => {
                    let reason = reason.replace(['\n', '\t'], " ");
                    text.push_str(&format!("{line}\tfailed\t{reason}\n"));
                }
            }
            self.settled.insert(line, outcome);
        }
        self.file.write_all(text.as_bytes()).map_err(|error| {
            anyhow::anyhow!("cannot write the journal {}: {error}", self.path.display())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_journal_resumes_its_own_run_and_drops_a_torn_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.journal");
        let print = fingerprint(&["associate", "contacts"], b"1,2\n");
        let mut journal = Journal::open(&path, &print).unwrap();
        journal
            .record([
                (1, Settled::Done),
                (2, Settled::Failed("rejected:\tno\ncontact".into())),
            ])
            .unwrap();
        drop(journal);
        // A kill in the middle of a write leaves a partial line.
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(b"3\tok\n4\to").unwrap();
        drop(file);

        let mut journal = Journal::open(&path, &print).unwrap();
        let settled = journal.settled();
        assert_eq!(settled.done, [1, 3].into_iter().collect());
        assert_eq!(
            settled.failed,
            [(2, "rejected: no contact".to_owned())]
                .into_iter()
                .collect()
        );
        journal.record([(4, Settled::Done)]).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.ends_with("3\tok\n4\tok\n"),
            "the torn line was cut off: {text:?}"
        );
    }

    #[test]
    fn a_journal_of_another_run_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.journal");
        Journal::open(&path, &fingerprint(&["associate"], b"1,2\n")).unwrap();
        let error = Journal::open(&path, &fingerprint(&["associate"], b"1,3\n"))
            .err()
            .unwrap();
        assert!(
            error.to_string().contains("belongs to another run"),
            "{error}"
        );
    }
}
