//! The user file formats of `scimd import` and `scimd export`: CSV with a header row, and NDJSON
//! (one JSON object per line) with the same names as keys. This module turns rows into
//! [`UserRecord`]s and back; what a record means for a user is the service's
//! (`service::transfer`). Used by the edges (the command line, the host application's API).

mod columns;
mod csv_read;
pub mod stream;
pub mod write;

use std::collections::{BTreeSet, HashMap};
use std::io::{self, BufRead};

use serde_json::Value;

pub use columns::{ColumnMap, Columns, parse_map};
use csv_read::CsvRecords;

use crate::service::transfer::{Field, UserRecord};

/// A file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Csv,
    Ndjson,
}

impl Format {
    /// The format a file name suggests: NDJSON for `.ndjson` and `.jsonl`, else CSV.
    pub fn of_path(path: &std::path::Path) -> Format {
        match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("ndjson") || e.eq_ignore_ascii_case("jsonl") => {
                Format::Ndjson
            }
            _ => Format::Csv,
        }
    }
}

/// A row of an import: its (first) line and its record, or why it cannot be read.
pub type Row = (u64, Result<UserRecord, String>);

/// The rows of an import file.
pub struct UserRows<R> {
    source: Source<R>,
    columns: Columns,
    ignored: BTreeSet<String>,
}

enum Source<R> {
    Csv {
        records: CsvRecords<R>,
        fields: Vec<Option<Field>>,
    },
    Ndjson {
        input: R,
        line: u64,
        bytes: u64,
        fields: HashMap<String, Option<Field>>,
    },
}

impl<R: BufRead> UserRows<R> {
    /// Opens a file of `format`; for CSV, reads and maps its header (an error says why the file
    /// cannot be imported). `key` is the field rows are matched by, which must be there.
    pub fn open(input: R, format: Format, columns: Columns, key: Field) -> Result<Self, String> {
        let mut ignored = BTreeSet::new();
        let source = match format {
            Format::Csv => {
                let mut records = CsvRecords::new(input);
                let header = match records.next_record() {
                    Err(e) => return Err(format!("cannot read the file: {e}")),
                    Ok(None) => return Err("the file is empty: it has no header row".into()),
                    Ok(Some((_, Err(e)))) => return Err(format!("the header row: {e}")),
                    Ok(Some((_, Ok(header)))) => header,
                };
                let (fields, unmapped) = columns.of_header(&header, key)?;
                ignored.extend(unmapped);
                records.set_width(header.len());
                Source::Csv { records, fields }
            }
            Format::Ndjson => Source::Ndjson {
                input,
                line: 0,
                bytes: 0,
                fields: HashMap::new(),
            },
        };
        Ok(Self {
            source,
            columns,
            ignored,
        })
    }

    /// Columns (or NDJSON keys) seen so far that no field takes.
    pub fn ignored(&self) -> Vec<String> {
        self.ignored.iter().cloned().collect()
    }

    /// Bytes read so far.
    pub fn bytes_read(&self) -> u64 {
        match &self.source {
            Source::Csv { records, .. } => records.bytes_read(),
            Source::Ndjson { bytes, .. } => *bytes,
        }
    }

    /// The next row; `None` at the end. `Err` only when the file cannot be read.
    pub fn next_row(&mut self) -> io::Result<Option<Row>> {
        match &mut self.source {
            Source::Csv { records, fields } => Ok(records.next_record()?.map(|(line, cells)| {
                let record = cells.map(|cells| {
                    let mut record = UserRecord::default();
                    for (field, cell) in fields.iter().zip(&cells) {
                        if let Some(field) = field {
                            record.set(*field, cell);
                        }
                    }
                    record
                });
                (line, record)
            })),
            Source::Ndjson {
                input,
                line,
                bytes,
                fields,
            } => loop {
                let mut text = Vec::new();
                let n = input.read_until(b'\n', &mut text)?;
                if n == 0 {
                    return Ok(None);
                }
                *bytes += n as u64;
                *line += 1;
                if text.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                let mut field_of = |key: &str| {
                    let field = *fields
                        .entry(key.to_owned())
                        .or_insert_with(|| self.columns.field(key));
                    if field.is_none() {
                        self.ignored.insert(key.to_owned());
                    }
                    field
                };
                return Ok(Some((*line, ndjson_record(&text, &mut field_of))));
            },
        }
    }
}

/// The record of one NDJSON line. A key that is missing leaves its attribute as it is; `null`
/// (or `""`) unassigns it.
fn ndjson_record(
    text: &[u8],
    field_of: &mut impl FnMut(&str) -> Option<Field>,
) -> Result<UserRecord, String> {
    let value: Value =
        serde_json::from_slice(text).map_err(|e| format!("the line is not JSON: {e}"))?;
    let Value::Object(object) = value else {
        return Err("the line is not a JSON object".into());
    };
    let mut record = UserRecord::default();
    let mut seen: Vec<(Field, String)> = Vec::new();
    for (key, value) in object {
        let Some(field) = field_of(&key) else {
            continue;
        };
        if let Some((_, other)) = seen.iter().find(|(f, _)| *f == field) {
            return Err(format!(
                "the keys \"{other}\" and \"{key}\" are both {}",
                field.name()
            ));
        }
        match (field, value) {
            (Field::Groups, Value::Array(items)) => {
                let names = items
                    .into_iter()
                    .map(|v| match v {
                        Value::String(s) => Ok(s),
                        _ => Err("groups is a list of group names".to_owned()),
                    })
                    .collect::<Result<_, _>>()?;
                record.set_groups(names);
            }
            (Field::Groups, Value::Null) => record.set_groups(Vec::new()),
            (_, Value::String(s)) => record.set(field, &s),
            (_, Value::Null) => record.set(field, ""),
            (_, Value::Bool(b)) => record.set(field, &b.to_string()),
            (_, Value::Number(n)) => record.set(field, &n.to_string()),
            (_, _) => return Err(format!("{} must be a string", field.name())),
        }
        seen.push((field, key));
    }
    Ok(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(format: Format, text: &str) -> Vec<Row> {
        let mut rows = UserRows::open(text.as_bytes(), format, Columns::new(&[]), Field::UserName)
            .expect("opens");
        let mut out = Vec::new();
        while let Some(row) = rows.next_row().expect("reads") {
            out.push(row);
        }
        out
    }

    #[test]
    fn an_export_reads_back_as_the_same_records() {
        let mut record = UserRecord::default();
        for f in Field::ALL {
            record.set(f, "");
        }
        record.set(Field::UserName, "a,b \"c\"");
        record.set(Field::Active, "false");
        record.set(Field::DisplayName, "two\nlines");
        record.set_groups(vec!["R;D".into(), "Sales".into()]);
        for format in [Format::Csv, Format::Ndjson] {
            let mut text = write::user_header(format).unwrap();
            text.extend(write::users(format, std::slice::from_ref(&record)).unwrap());
            let got = rows(format, std::str::from_utf8(&text).unwrap());
            assert_eq!(got.len(), 1, "{format:?}");
            assert_eq!(got[0].1.as_ref().unwrap(), &record, "{format:?}");
        }
    }

    #[test]
    fn ndjson_lines_that_are_not_user_objects_are_refused_on_their_line() {
        let got = rows(
            Format::Ndjson,
            "{\"userName\": \"a\"}\n\n[1]\n{\"userName\": {}}\n{\"mail\": \"x\", \"email\": \"y\"}\nnot json\n",
        );
        let lines: Vec<u64> = got.iter().map(|r| r.0).collect();
        assert_eq!(lines, vec![1, 3, 4, 5, 6], "blank line 2 skipped");
        assert!(got[0].1.is_ok());
        assert!(got[1..].iter().all(|r| r.1.is_err()), "{got:?}");
    }
}
