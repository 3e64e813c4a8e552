//! Reading the input files as a stream: one pair of record ids per row (or one id, for
//! `export`), with a header row or not. A bad row is reported with its line number and an
//! excerpt, and the rest go on.
//!
//! Memory is bounded whatever the file holds: `csv-core` parses into a buffer of [`MAX_ROW`]
//! bytes, and a row that does not fit (the wrong file, one line of hundreds of megabytes, a
//! quote never closed) is a bad row, and reading goes on at the next line. Nothing a message or
//! a file quotes of the input is longer than [`EXCERPT`] characters a field.

use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use sha2::{Digest, Sha256};

/// The longest row read, in bytes. A row of this program's input is at most two ids of 19
/// digits and a comma; a few KiB leave room for spaces and quotes, and anything longer is not
/// a row of ids.
pub const MAX_ROW: usize = 4 * 1024;

/// The most fields a row may have before it is a bad row (the rows need one or two).
const MAX_FIELDS: usize = 64;

/// The most characters of a field that a message or a file quotes.
pub const EXCERPT: usize = 64;

/// The bytes of a row kept for the excerpt of a row too long to read: enough for
/// [`EXCERPT`] characters of UTF-8, and one more to tell that there were more.
const START: usize = 4 * EXCERPT + 1;

/// A record id as HubSpot has them: a whole number within a signed 64-bit integer, so that it
/// is also an SQLite integer. The only way to make one is to read one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RecordId(i64);

impl RecordId {
    /// The id a field holds: digits only, from 1 to 2^63 - 1 (HubSpot has no record 0).
    pub fn parse(field: &str) -> Option<Self> {
        if field.is_empty() || !field.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        field.parse::<i64>().ok().filter(|id| *id > 0).map(Self)
    }

    /// The id from a value stored as an SQLite integer; `None` for one that is not an id.
    pub fn from_stored(value: i64) -> Option<Self> {
        (value > 0).then_some(Self(value))
    }

    /// As an SQLite integer.
    pub fn stored(self) -> i64 {
        self.0
    }

    /// As the unsigned number HubSpot's record ids are.
    pub fn get(self) -> u64 {
        self.0.unsigned_abs()
    }
}

impl fmt::Display for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl From<RecordId> for hubspot_associations::ObjectId {
    fn from(id: RecordId) -> Self {
        Self::from(id.get())
    }
}

/// A row that cannot be used, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadRow {
    /// The line in the file, from 1.
    pub line: u64,
    /// The row as read, each field cut to [`EXCERPT`] characters.
    pub fields: Vec<String>,
    /// Why it cannot be used.
    pub reason: String,
}

/// A usable row: its line and its record ids.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// The line in the file, from 1.
    pub line: u64,
    /// The record ids, as many as the file's columns (one fewer where the last may be empty and
    /// is: `123,` in `sync`'s input).
    pub ids: Vec<RecordId>,
}

/// A usable row, or a bad row to report.
pub type Parsed = Result<Row, BadRow>;

/// At most [`EXCERPT`] characters of `text`, with `...` when it was longer.
pub fn excerpt(text: &str) -> String {
    match text.char_indices().nth(EXCERPT) {
        Some((end, _)) => format!("{}...", &text[..end]),
        None => text.to_owned(),
    }
}

/// What reading one record found.
enum Record {
    /// A record of this many fields, in the output buffer.
    Fields(usize),
    /// A record too long for [`MAX_ROW`], or with more than [`MAX_FIELDS`] fields: skipped to
    /// the end of its line.
    TooLong,
    /// The end of the file.
    End,
}

/// The rows of a file with `columns` ids per row, as they are read. The first row is a header
/// only when it names columns: every field a name, none an id. Anything else there (`1;10`) is
/// a row, good or bad, reported with its line like any other.
pub struct Rows<R> {
    input: BufReader<R>,
    csv: csv_core::Reader,
    /// The fields of the record being read.
    output: Vec<u8>,
    /// Where each of its fields ends in `output`.
    ends: Vec<usize>,
    /// The first bytes of the record being read, for an excerpt of a row too long to keep.
    start: Vec<u8>,
    columns: usize,
    /// Whether the last column may be empty.
    last_optional: bool,
    /// The line the next byte is on, from 1.
    line: u64,
    hash: Sha256,
    first: bool,
    done: bool,
    /// Data rows read so far (a header is not one).
    pub total: u64,
}

/// The error of an input file that cannot be read.
pub fn unreadable(path: &Path, error: io::Error) -> anyhow::Error {
    anyhow::anyhow!("cannot read the input file {}: {error}", path.display())
}

/// The rows of the file at `path`.
pub fn open(path: &Path, columns: usize) -> anyhow::Result<Rows<File>> {
    let file = File::open(path).map_err(|error| unreadable(path, error))?;
    Ok(Rows::new(file, columns))
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
        Self {
            input: BufReader::with_capacity(64 * 1024, reader),
            csv: csv_core::Reader::new(),
            output: vec![0; MAX_ROW],
            ends: vec![0; MAX_FIELDS],
            start: Vec::with_capacity(START),
            columns,
            last_optional: false,
            line: 1,
            hash: Sha256::new(),
            first: true,
            done: false,
            total: 0,
        }
    }

    /// The same rows, where the last id may be empty (`123,`): such a row has one id fewer.
    pub fn last_optional(mut self) -> Self {
        self.last_optional = true;
        self
    }

    /// The SHA-256 of every byte read so far: of the whole file, once the rows are exhausted.
    pub fn sha256(&self) -> String {
        hex(&self.hash.clone().finalize())
    }

    /// Takes `count` bytes off the buffer: hashed, their lines counted, the first of a record
    /// kept for its excerpt.
    fn consume(&mut self, count: usize) -> io::Result<()> {
        let buffer = self.input.fill_buf()?;
        let taken = &buffer[..count.min(buffer.len())];
        self.hash.update(taken);
        self.line += taken.iter().filter(|&&b| b == b'\n').count() as u64;
        let room = START.saturating_sub(self.start.len());
        self.start
            .extend_from_slice(&taken[..room.min(taken.len())]);
        let count = taken.len();
        self.input.consume(count);
        Ok(())
    }

    /// Skips the line terminators before a record, so that the record's line is its first.
    fn skip_blank_lines(&mut self) -> io::Result<()> {
        loop {
            let buffer = self.input.fill_buf()?;
            let blank = buffer
                .iter()
                .take_while(|&&b| b == b'\n' || b == b'\r')
                .count();
            if blank == 0 {
                return Ok(());
            }
            self.consume(blank)?;
            self.start.clear();
        }
    }

    /// Skips to the start of the next line, whatever the quoting: the rest of a row too long
    /// to read.
    fn skip_line(&mut self) -> io::Result<()> {
        loop {
            let buffer = self.input.fill_buf()?;
            if buffer.is_empty() {
                return Ok(());
            }
            match buffer.iter().position(|&b| b == b'\n') {
                Some(end) => return self.consume(end + 1),
                None => {
                    let all = buffer.len();
                    self.consume(all)?;
                }
            }
        }
    }

    fn read_record(&mut self) -> io::Result<Record> {
        self.start.clear();
        let (mut written, mut ended) = (0, 0);
        loop {
            let buffer = self.input.fill_buf()?;
            let at_end = buffer.is_empty();
            let (result, read, out, end) =
                self.csv
                    .read_record(buffer, &mut self.output[written..], &mut self.ends[ended..]);
            self.consume(read)?;
            written += out;
            ended += end;
            match result {
                csv_core::ReadRecordResult::Record => return Ok(Record::Fields(ended)),
                csv_core::ReadRecordResult::End => return Ok(Record::End),
                csv_core::ReadRecordResult::InputEmpty if at_end => return Ok(Record::End),
                csv_core::ReadRecordResult::InputEmpty => {}
                csv_core::ReadRecordResult::OutputFull
                | csv_core::ReadRecordResult::OutputEndsFull => {
                    self.skip_line()?;
                    self.csv.reset();
                    return Ok(Record::TooLong);
                }
            }
        }
    }

    /// The fields of the record just read, trimmed, as text.
    fn fields(&self, count: usize) -> Vec<String> {
        let mut start = 0;
        self.ends[..count]
            .iter()
            .map(|&end| {
                let field = String::from_utf8_lossy(&self.output[start..end])
                    .trim()
                    .to_owned();
                start = end;
                field
            })
            .collect()
    }
}

/// The rows end at the first error of the file itself (not of a row), which is returned.
impl<R: Read> Iterator for Rows<R> {
    type Item = io::Result<Parsed>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.done {
                return None;
            }
            let read = self
                .skip_blank_lines()
                .map(|()| self.line)
                .and_then(|line| Ok((line, self.read_record()?)));
            let (line, record) = match read {
                Ok(read) => read,
                Err(error) => {
                    self.done = true;
                    return Some(Err(error));
                }
            };
            let fields = match record {
                Record::End => {
                    self.done = true;
                    return None;
                }
                Record::TooLong => {
                    self.first = false;
                    self.total += 1;
                    return Some(Ok(Err(BadRow {
                        line,
                        fields: vec![excerpt(&String::from_utf8_lossy(&self.start))],
                        reason: format!(
                            "longer than {} KiB or more than {MAX_FIELDS} fields: not a row of \
                             record ids (the wrong file, or a quote never closed?)",
                            MAX_ROW / 1024
                        ),
                    })));
                }
                Record::Fields(count) => self.fields(count),
            };
            let header = std::mem::replace(&mut self.first, false)
                && !fields.is_empty()
                && fields.iter().all(|f| is_name(f));
            if header {
                continue;
            }
            self.total += 1;
            return Some(Ok(row(line, fields, self.columns, self.last_optional)));
        }
    }
}

fn row(line: u64, fields: Vec<String>, columns: usize, last_optional: bool) -> Parsed {
    let bad = |reason: String, fields: &[String]| BadRow {
        line,
        fields: fields.iter().map(|f| excerpt(f)).collect(),
        reason,
    };
    if fields.len() != columns {
        return Err(bad(
            format!("{} columns, expected {columns}", fields.len()),
            &fields,
        ));
    }
    let mut ids = Vec::with_capacity(columns);
    let given = match fields.split_last() {
        Some((last, given)) if last_optional && last.is_empty() && !given.is_empty() => given,
        _ => &fields[..],
    };
    for field in given {
        match RecordId::parse(field) {
            Some(id) => ids.push(id),
            None if field.is_empty() => return Err(bad("an empty id".to_owned(), &fields)),
            None if field.bytes().all(|b| b == b'0') => {
                return Err(bad(
                    "record id 0: HubSpot's record ids start at 1".to_owned(),
                    &fields,
                ));
            }
            None => {
                return Err(bad(
                    format!(
                        "`{}` is not a record id (record ids are whole numbers below 2^63)",
                        excerpt(field)
                    ),
                    &fields,
                ));
            }
        }
    }
    Ok(Row { line, ids })
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

    fn row(line: u64, ids: &[i64]) -> Row {
        Row {
            line,
            ids: ids.iter().map(|id| RecordId(*id)).collect(),
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
        assert_eq!(good, [row(2, &[7]), row(5, &[i64::MAX])]);
        assert_eq!(bad[0].0, 4);
        assert_eq!(
            bad[1].0, 6,
            "an id beyond HubSpot's 64-bit signed ids is refused, not clamped"
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
        assert_eq!(last.ids, [RecordId(20_000), RecordId(20_001)]);
        assert_eq!(last.line, 20_000 + 2 * 50_000);
        assert_eq!(good[7_000].line, 7_001 + 50_000);
    }

    #[test]
    fn record_id_zero_is_refused_with_why() {
        let (good, bad, _) = read(b"0,5\n7,000\n8,9\n", 2);
        assert_eq!(good, [row(3, &[8, 9])]);
        let zero = "record id 0: HubSpot's record ids start at 1".to_owned();
        assert_eq!(bad, [(1, zero.clone()), (2, zero)]);
    }

    #[test]
    fn an_optional_last_id_may_be_left_empty_and_nothing_else() {
        let text = b"from_id,to_id\n1,10\n2,\n,\n,5\n3\n";
        let mut rows = Rows::new(&text[..], 2).last_optional();
        let parsed: Vec<Parsed> = rows.by_ref().map(Result::unwrap).collect();
        let good: Vec<&Row> = parsed.iter().filter_map(|r| r.as_ref().ok()).collect();
        assert_eq!(good, [&row(2, &[1, 10]), &row(3, &[2])]);
        let bad: Vec<(u64, &str)> = parsed
            .iter()
            .filter_map(|r| r.as_ref().err())
            .map(|r| (r.line, r.reason.as_str()))
            .collect();
        assert_eq!(
            bad,
            [
                (4, "an empty id"),
                (5, "an empty id"),
                (6, "1 columns, expected 2")
            ]
        );
        let (_, bad, _) = read(b"2,\n", 2);
        assert_eq!(
            bad,
            [(1, "an empty id".to_owned())],
            "optional only when asked"
        );
    }

    #[test]
    fn a_row_too_long_is_a_bad_row_with_an_excerpt_and_reading_goes_on() {
        let mut text = b"1,2\n".to_vec();
        text.extend(std::iter::repeat_n(b'7', 3 * MAX_ROW));
        text.extend_from_slice(b"\n3,4\n\"an open quote,5\n6,7\n");
        text.extend(std::iter::repeat_n(b'x', 2 * MAX_ROW));
        text.extend_from_slice(b"\n8,9\n");
        let mut rows = Rows::new(&text[..], 2);
        let parsed: Vec<Parsed> = rows.by_ref().map(Result::unwrap).collect();
        let good: Vec<u64> = parsed
            .iter()
            .filter_map(|r| r.as_ref().ok())
            .map(|r| r.line)
            .collect();
        assert_eq!(good, [1, 3, 7], "the rows after each bad one are read");
        let bad: Vec<&BadRow> = parsed.iter().filter_map(|r| r.as_ref().err()).collect();
        assert_eq!(bad.len(), 2);
        assert_eq!(bad[0].line, 2);
        assert_eq!(bad[0].fields, [format!("{}...", "7".repeat(EXCERPT))]);
        assert!(
            bad[0].reason.starts_with("longer than 4 KiB"),
            "{}",
            bad[0].reason
        );
        assert_eq!(
            bad[1].line, 4,
            "a quote never closed is one bad row, from its line"
        );
        assert_eq!(rows.total, 5);
        assert_eq!(
            rows.sha256(),
            hex(&Sha256::digest(&text)),
            "every byte is hashed"
        );
    }

    #[test]
    fn messages_quote_an_excerpt_of_a_long_field() {
        let field = "y".repeat(1_000);
        let (_, bad, _) = read(format!("{field},1\n").as_bytes(), 2);
        assert!(bad[0].1.len() < 200, "{}", bad[0].1);
        assert!(bad[0].1.contains(&format!("`{}...`", "y".repeat(EXCERPT))));
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
