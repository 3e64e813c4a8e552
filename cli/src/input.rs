//! Reading the input files: one pair of record ids per row (or one id, for `export`), with a
//! header row or not. A bad row is reported with its line number and the rest go on.

use std::collections::HashMap;
use std::path::Path;

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

/// A row naming two records: the first line that names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pair {
    /// The record the associations start from.
    pub from: u64,
    /// The record they lead to.
    pub to: u64,
    /// The first line of the file that names this pair.
    pub line: u64,
}

/// The pairs of a file: each pair once, the lines that repeat one, and its bad rows.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Pairs {
    /// Each pair once, in file order.
    pub rows: Vec<Pair>,
    /// The later lines of pairs that appear more than once, by row.
    pub repeats: HashMap<usize, Vec<u64>>,
    /// The row of each pair.
    pub index: HashMap<(u64, u64), usize>,
    /// The rows that cannot be used.
    pub bad: Vec<BadRow>,
    /// How many data rows the file has (header excluded).
    pub total: u64,
}

impl Pairs {
    /// Every line that names the pair of `row`.
    pub fn lines(&self, row: usize) -> impl Iterator<Item = u64> + '_ {
        std::iter::once(self.rows[row].line)
            .chain(self.repeats.get(&row).into_iter().flatten().copied())
    }
}

/// The ids of a file, one per row, and its bad rows.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Ids {
    /// `(line, id)` of each usable row.
    pub rows: Vec<(u64, u64)>,
    /// The rows that cannot be used.
    pub bad: Vec<BadRow>,
    /// How many data rows the file has (header excluded).
    pub total: u64,
}

fn record_id(field: &str) -> Option<u64> {
    field
        .bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| field.parse().ok())
        .flatten()
}

/// Whether a field reads as a column name (`from_id`, `Contact ID`): a letter first, then
/// letters, digits, spaces, `_`, `-` or `.`.
fn is_name(field: &str) -> bool {
    let mut chars = field.chars();
    chars.next().is_some_and(char::is_alphabetic)
        && chars.all(|c| c.is_alphanumeric() || matches!(c, ' ' | '_' | '-' | '.'))
}

/// Reads each row with `columns` fields. The first row is a header only when it names
/// columns: every field a name, none an id. Anything else there (`1;10`) is a row, good or
/// bad, reported with its line like any other.
fn records(text: &[u8], columns: usize) -> Vec<Result<(u64, Vec<u64>), BadRow>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text);
    // The csv reader does not count the blank lines it skips: lines come from byte offsets.
    let newlines: Vec<usize> = text
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .map(|(at, _)| at)
        .collect();
    // A record's reported start is where the blank lines before it start.
    let line_at = |byte: u64| {
        let mut start = byte as usize;
        while text.get(start).is_some_and(|b| matches!(b, b'\n' | b'\r')) {
            start += 1;
        }
        newlines.partition_point(|at| *at < start) as u64 + 1
    };
    let mut out = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let line = match &record {
            Ok(record) => record
                .position()
                .map_or(index as u64 + 1, |p| line_at(p.byte())),
            Err(error) => error
                .position()
                .map_or(index as u64 + 1, |p| line_at(p.byte())),
        };
        let fields: Vec<String> = match &record {
            Ok(record) => record.iter().map(str::to_owned).collect(),
            Err(error) => {
                out.push(Err(BadRow {
                    line,
                    fields: Vec::new(),
                    reason: format!("unreadable row: {error}"),
                }));
                continue;
            }
        };
        if index == 0 && !fields.is_empty() && fields.iter().all(|f| is_name(f)) {
            continue;
        }
        if fields.len() != columns {
            let reason = format!("{} columns, expected {columns}", fields.len());
            out.push(Err(BadRow {
                line,
                fields,
                reason,
            }));
        } else if let Some(bad) = fields.iter().find(|f| record_id(f).is_none()) {
            let reason = if bad.is_empty() {
                "an empty id".to_owned()
            } else {
                format!("`{bad}` is not a record id (record ids are digits)")
            };
            out.push(Err(BadRow {
                line,
                fields,
                reason,
            }));
        } else {
            out.push(Ok((
                line,
                fields.iter().filter_map(|f| record_id(f)).collect(),
            )));
        }
    }
    out
}

/// Reads `from,to` pairs.
pub fn pairs(text: &[u8]) -> Pairs {
    let mut pairs = Pairs::default();
    for record in records(text, 2) {
        pairs.total += 1;
        match record {
            Ok((line, ids)) => {
                let (from, to) = (ids[0], ids[1]);
                match pairs.index.get(&(from, to)) {
                    Some(&row) => pairs.repeats.entry(row).or_default().push(line),
                    None => {
                        pairs.index.insert((from, to), pairs.rows.len());
                        pairs.rows.push(Pair { from, to, line });
                    }
                }
            }
            Err(row) => pairs.bad.push(row),
        }
    }
    pairs
}

/// Reads one record id per row.
pub fn ids(text: &[u8]) -> Ids {
    let mut ids = Ids::default();
    for record in records(text, 1) {
        ids.total += 1;
        match record {
            Ok((line, id)) => ids.rows.push((line, id[0])),
            Err(row) => ids.bad.push(row),
        }
    }
    ids
}

/// The file's bytes, or an error that names it.
pub fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path)
        .map_err(|error| anyhow::anyhow!("cannot read the input file {}: {error}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_with_a_header_bad_rows_and_repeats() {
        let text = b"from_id,to_id\n1,10\n2\n,20\n3,30\nabc,40\n1,10\n4, 40 \n";
        let read = pairs(text);
        assert_eq!(read.total, 7);
        assert_eq!(
            read.rows,
            [
                Pair {
                    from: 1,
                    to: 10,
                    line: 2
                },
                Pair {
                    from: 3,
                    to: 30,
                    line: 5
                },
                Pair {
                    from: 4,
                    to: 40,
                    line: 8
                },
            ]
        );
        assert_eq!(read.lines(0).collect::<Vec<_>>(), [2, 7]);
        assert_eq!(read.index[&(4, 40)], 2);
        let bad: Vec<(u64, &str)> = read
            .bad
            .iter()
            .map(|b| (b.line, b.reason.as_str()))
            .collect();
        assert_eq!(
            bad,
            [
                (3, "1 columns, expected 2"),
                (4, "an empty id"),
                (6, "`abc` is not a record id (record ids are digits)"),
            ]
        );
    }

    #[test]
    fn a_first_row_that_is_neither_a_pair_nor_names_is_a_bad_row() {
        let read = pairs(b"1;10\n5,50\n");
        assert_eq!(read.rows.len(), 1);
        assert_eq!(read.bad.len(), 1);
        assert_eq!(
            read.bad[0].line, 1,
            "reported with its line, not taken as a header"
        );
        let read = pairs(b"Contact ID,company-id\n5,50\n");
        assert_eq!(
            (read.rows.len(), read.bad.len()),
            (1, 0),
            "names are a header"
        );
    }

    #[test]
    fn a_first_row_of_ids_is_data() {
        let read = pairs(b"5,50\n6,60\n");
        assert_eq!((read.rows.len(), read.total), (2, 2));
        assert_eq!(read.rows[0].line, 1);
        let read = ids(b"id\n7\n\n8,9\n99999999999999999999999\n");
        assert_eq!(read.rows, [(2, 7)]);
        assert_eq!(read.bad[0].line, 4);
        assert_eq!(
            read.bad[1].line, 5,
            "an id too large for 64 bits is not a record id"
        );
    }
}
