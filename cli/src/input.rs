//! Reading the input files as a stream: one pair of record ids per row (or one id, for
//! `export`), with a header row or not. A bad row is reported with its line number and the rest
//! go on. Nothing here holds more than the row being read, so memory does not grow with the
//! file.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;
use std::rc::Rc;

use sha2::{Digest, Sha256};

/// A row that cannot be used, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadRow {
    /// The line in the file, from 1.
    pub line: u64,
    /// The row as read.
    pub fields: Vec<String>,
    /// Why it cannot be used.
    pub reason: String,
}

/// A usable row: its line and its record ids.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// The line in the file, from 1.
    pub line: u64,
    /// The record ids, as many as the file's columns.
    pub ids: Vec<u64>,
}

/// What the byte reader has seen that the csv reader does not report: where each line with
/// content starts (the csv reader places a record after blank lines at the first blank one),
/// and the hash of every byte.
#[derive(Default)]
struct Seen {
    /// `(byte offset, line number)` of each line with content, read but not yet matched to a
    /// record: at most a read buffer's worth.
    content_lines: VecDeque<(u64, u64)>,
    offset: u64,
    line: u64,
    line_start: u64,
    line_has_content: bool,
    hash: Sha256,
}

impl Seen {
    fn see(&mut self, bytes: &[u8]) {
        self.hash.update(bytes);
        for &byte in bytes {
            match byte {
                b'\n' => {
                    self.line += 1;
                    self.line_start = self.offset + 1;
                    self.line_has_content = false;
                }
                b'\r' => {}
                _ if !self.line_has_content => {
                    self.line_has_content = true;
                    self.content_lines
                        .push_back((self.line_start, self.line + 1));
                }
                _ => {}
            }
            self.offset += 1;
        }
    }

    /// The line of the record the csv reader places at `byte`: the first line with content
    /// that starts there or later.
    fn line_at(&mut self, byte: u64) -> Option<u64> {
        while self.content_lines.front().is_some_and(|(at, _)| *at < byte) {
            self.content_lines.pop_front();
        }
        self.content_lines.front().map(|(_, line)| *line)
    }
}

/// A reader that tells `Seen` every byte it passes on.
struct Watched<R> {
    inner: R,
    seen: Rc<RefCell<Seen>>,
}

impl<R: Read> Read for Watched<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buf)?;
        self.seen.borrow_mut().see(&buf[..read]);
        Ok(read)
    }
}

/// The rows of a file with `columns` ids per row, as they are read. The first row is a header
/// only when it names columns: every field a name, none an id. Anything else there (`1;10`) is
/// a row, good or bad, reported with its line like any other.
pub struct Rows<R> {
    reader: csv::Reader<Watched<R>>,
    seen: Rc<RefCell<Seen>>,
    record: csv::ByteRecord,
    columns: usize,
    index: u64,
    failed: bool,
    /// Data rows read so far (a header is not one).
    pub total: u64,
}

/// The error of an input file that cannot be read.
pub fn unreadable(path: &Path, error: io::Error) -> anyhow::Error {
    anyhow::anyhow!("cannot read the input file {}: {error}", path.display())
}

/// The rows of the file at `path`.
pub fn open(path: &Path, columns: usize) -> anyhow::Result<Rows<BufReader<File>>> {
    let file = File::open(path).map_err(|error| unreadable(path, error))?;
    Ok(Rows::new(BufReader::new(file), columns))
}

/// The SHA-256 of the file at `path`, read in pieces.
pub fn sha256(path: &Path) -> anyhow::Result<String> {
    let cannot = |error| unreadable(path, error);
    let mut file = File::open(path).map_err(cannot)?;
    let mut hash = Sha256::new();
    let mut buffer = vec![0; 64 * 1024];
    loop {
        match file.read(&mut buffer).map_err(cannot)? {
            0 => return Ok(hex(&hash.finalize())),
            read => hash.update(&buffer[..read]),
        }
    }
}

impl<R: Read> Rows<R> {
    /// The rows of `reader`.
    pub fn new(reader: R, columns: usize) -> Self {
        let seen = Rc::new(RefCell::new(Seen::default()));
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(Watched {
                inner: reader,
                seen: Rc::clone(&seen),
            });
        Self {
            reader,
            seen,
            record: csv::ByteRecord::new(),
            columns,
            index: 0,
            failed: false,
            total: 0,
        }
    }

    /// The SHA-256 of every byte read so far: of the whole file, once the rows are exhausted.
    pub fn sha256(&self) -> String {
        hex(&self.seen.borrow().hash.clone().finalize())
    }

    fn line(&self, position: Option<&csv::Position>) -> u64 {
        let byte = position.map_or(0, csv::Position::byte);
        self.seen
            .borrow_mut()
            .line_at(byte)
            .or_else(|| position.map(csv::Position::line))
            .unwrap_or(self.index)
    }
}

/// A usable row, or a bad row to report.
pub type Parsed = Result<Row, BadRow>;

/// The rows end at the first error of the file itself (not of a row), which is returned.
impl<R: Read> Iterator for Rows<R> {
    type Item = io::Result<Parsed>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.failed {
                return None;
            }
            self.index += 1;
            let read = self.reader.read_byte_record(&mut self.record);
            let fields: Vec<String> = match read {
                Ok(false) => return None,
                Ok(true) => self
                    .record
                    .iter()
                    .map(|field| String::from_utf8_lossy(field).into_owned())
                    .collect(),
                Err(error) => {
                    if let csv::ErrorKind::Io(_) = error.kind() {
                        self.failed = true;
                        return Some(Err(io::Error::other(error)));
                    }
                    self.total += 1;
                    let line = self.line(error.position());
                    return Some(Ok(Err(BadRow {
                        line,
                        fields: Vec::new(),
                        reason: format!("unreadable row: {error}"),
                    })));
                }
            };
            let line = self.line(self.record.position());
            if self.index == 1 && !fields.is_empty() && fields.iter().all(|f| is_name(f)) {
                continue;
            }
            self.total += 1;
            return Some(Ok(row(line, fields, self.columns)));
        }
    }
}

fn row(line: u64, fields: Vec<String>, columns: usize) -> Result<Row, BadRow> {
    if fields.len() != columns {
        let reason = format!("{} columns, expected {columns}", fields.len());
        return Err(BadRow {
            line,
            fields,
            reason,
        });
    }
    match fields.iter().find(|f| record_id(f).is_none()) {
        Some(bad) => {
            let reason = if bad.is_empty() {
                "an empty id".to_owned()
            } else {
                format!("`{bad}` is not a record id (record ids are whole numbers below 2^63)")
            };
            Err(BadRow {
                line,
                fields,
                reason,
            })
        }
        None => Ok(Row {
            line,
            ids: fields.iter().filter_map(|f| record_id(f)).collect(),
        }),
    }
}

/// A record id: digits, within HubSpot's signed 64-bit ids (and so an SQLite integer).
fn record_id(field: &str) -> Option<u64> {
    if field.is_empty() || !field.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    field.parse::<i64>().ok().map(i64::unsigned_abs)
}

/// Whether a field reads as a column name (`from_id`, `Contact ID`): a letter first, then
/// letters, digits, spaces, `_`, `-` or `.`.
fn is_name(field: &str) -> bool {
    let mut chars = field.chars();
    chars.next().is_some_and(char::is_alphabetic)
        && chars.all(|c| c.is_alphanumeric() || matches!(c, ' ' | '_' | '-' | '.'))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &[u8], columns: usize) -> (Vec<Row>, Vec<(u64, String)>, u64) {
        let mut rows = Rows::new(text, columns);
        let (mut good, mut bad) = (Vec::new(), Vec::new());
        for row in rows.by_ref() {
            match row.unwrap() {
                Ok(row) => good.push(row),
                Err(row) => bad.push((row.line, row.reason)),
            }
        }
        (good, bad, rows.total)
    }

    fn row(line: u64, ids: &[u64]) -> Row {
        Row {
            line,
            ids: ids.to_vec(),
        }
    }

    #[test]
    fn pairs_with_a_header_bad_rows_and_blank_lines() {
        let text = b"from_id,to_id\n1,10\n2\n,20\n\n\r\n3,30\nabc,40\n\"5\n6\",50\n4, 40 \n";
        let (good, bad, total) = read(text, 2);
        assert_eq!(total, 7);
        assert_eq!(
            good,
            [row(2, &[1, 10]), row(7, &[3, 30]), row(11, &[4, 40])]
        );
        assert_eq!(
            bad,
            [
                (3, "1 columns, expected 2".to_owned()),
                (4, "an empty id".to_owned()),
                (
                    8,
                    "`abc` is not a record id (record ids are whole numbers below 2^63)".to_owned()
                ),
                (
                    9,
                    "`5\n6` is not a record id (record ids are whole numbers below 2^63)"
                        .to_owned()
                ),
            ]
        );
    }

    #[test]
    fn a_first_row_that_is_neither_a_pair_nor_names_is_a_bad_row() {
        let (good, bad, _) = read(b"1;10\n5,50\n", 2);
        assert_eq!(good, [row(2, &[5, 50])]);
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].0, 1, "reported with its line, not taken as a header");
        let (good, bad, total) = read(b"Contact ID,company-id\n5,50\n", 2);
        assert_eq!(
            (good.len(), bad.len(), total),
            (1, 0, 1),
            "names are a header"
        );
    }

    #[test]
    fn a_first_row_of_ids_is_data_and_ids_fit_sixty_three_bits() {
        let (good, _, total) = read(b"5,50\n6,60\n", 2);
        assert_eq!((good[0].line, total), (1, 2));
        let (good, bad, _) = read(
            b"id\n7\n\n8,9\n9223372036854775807\n9223372036854775808\n",
            1,
        );
        assert_eq!(good, [row(2, &[7]), row(5, &[i64::MAX as u64])]);
        assert_eq!(bad[0].0, 4);
        assert_eq!(
            bad[1].0, 6,
            "an id beyond HubSpot's 64-bit signed ids is refused"
        );
    }

    #[test]
    fn line_numbers_hold_across_read_buffers_and_long_blank_runs() {
        let mut text = Vec::new();
        for i in 1..=20_000u64 {
            text.extend_from_slice(format!("{i},{}\n", i + 1).as_bytes());
            if i % 7_000 == 0 {
                text.extend(std::iter::repeat_n(b'\n', 50_000));
            }
        }
        let (good, bad, total) = read(&text, 2);
        assert!(bad.is_empty());
        assert_eq!(total, 20_000);
        let last = good.last().unwrap();
        assert_eq!(last.ids, [20_000, 20_001]);
        assert_eq!(last.line, 20_000 + 2 * 50_000);
        assert_eq!(good[7_000].line, 7_001 + 50_000);
    }

    #[test]
    fn an_error_of_the_file_ends_the_rows() {
        struct Failing(u8);
        impl Read for Failing {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if self.0 == 0 {
                    return Err(io::Error::other("the disk went away"));
                }
                self.0 -= 1;
                buf[..4].copy_from_slice(b"1,2\n");
                Ok(4)
            }
        }
        let rows: Vec<io::Result<Parsed>> = Rows::new(Failing(2), 2).collect();
        assert_eq!(rows.len(), 3, "two rows, then the error, then nothing");
        assert!(
            rows[2]
                .as_ref()
                .unwrap_err()
                .to_string()
                .contains("the disk went away")
        );
    }

    #[test]
    fn the_hash_covers_every_byte() {
        let mut rows = Rows::new(&b"1,2\n3,4"[..], 2);
        assert_eq!(rows.by_ref().count(), 2);
        let expected = hex(&Sha256::digest(b"1,2\n3,4"));
        assert_eq!(rows.sha256(), expected);
    }
}
