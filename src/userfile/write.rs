//! Writing exports: CSV (RFC 4180: a header row, then one row per user, values quoted where
//! they hold a comma, quote or line break) and NDJSON (one JSON object per line, the same keys,
//! `null` for an empty value, `active` a boolean and `groups` a list). A page of rows becomes one
//! buffer, so exports stream a page at a time.

use std::io;

use serde_json::{Map, Value};

use super::Format;
use crate::service::transfer::{Field, GroupRecord, UserRecord};

/// The columns of a group export.
const GROUP_COLUMNS: [&str; 3] = ["displayName", "externalId", "memberCount"];

/// What starts a user export: the CSV header (nothing for NDJSON).
pub fn user_header(format: Format) -> io::Result<Vec<u8>> {
    let names: Vec<&str> = Field::ALL.iter().map(|f| f.name()).collect();
    header(format, &names)
}

/// What starts a group export.
pub fn group_header(format: Format) -> io::Result<Vec<u8>> {
    header(format, &GROUP_COLUMNS)
}

fn header(format: Format, names: &[&str]) -> io::Result<Vec<u8>> {
    match format {
        Format::Csv => csv_rows([names.iter().map(|n| (*n).to_owned()).collect()]),
        Format::Ndjson => Ok(Vec::new()),
    }
}

/// Users as rows.
pub fn users(format: Format, records: &[UserRecord]) -> io::Result<Vec<u8>> {
    match format {
        Format::Csv => csv_rows(records.iter().map(|r| {
            Field::ALL
                .iter()
                .map(|f| r.text(*f).unwrap_or_default())
                .collect()
        })),
        Format::Ndjson => Ok(ndjson(records.iter().map(|r| {
            let mut obj = Map::new();
            for f in Field::ALL {
                let value = match (f, r.text(f)) {
                    (Field::Groups, _) => Value::from(r.groups().unwrap_or_default().to_vec()),
                    (_, None) => Value::Null,
                    (_, Some(t)) if t.is_empty() => Value::Null,
                    (Field::Active, Some(t)) => Value::Bool(t == "true"),
                    (_, Some(t)) => Value::String(t),
                };
                obj.insert(f.name().to_owned(), value);
            }
            obj
        }))),
    }
}

/// Groups as rows.
pub fn groups(format: Format, records: &[GroupRecord]) -> io::Result<Vec<u8>> {
    match format {
        Format::Csv => csv_rows(records.iter().map(|g| {
            vec![
                g.display_name.clone(),
                g.external_id.clone().unwrap_or_default(),
                g.members.to_string(),
            ]
        })),
        Format::Ndjson => Ok(ndjson(records.iter().map(|g| {
            let mut obj = Map::new();
            obj.insert(GROUP_COLUMNS[0].into(), Value::from(g.display_name.clone()));
            obj.insert(GROUP_COLUMNS[1].into(), Value::from(g.external_id.clone()));
            obj.insert(GROUP_COLUMNS[2].into(), Value::from(g.members));
            obj
        }))),
    }
}

fn csv_rows(rows: impl IntoIterator<Item = Vec<String>>) -> io::Result<Vec<u8>> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    for row in rows {
        writer.write_record(&row)?;
    }
    writer.into_inner().map_err(|e| e.into_error())
}

fn ndjson(objects: impl IntoIterator<Item = Map<String, Value>>) -> Vec<u8> {
    let mut out = Vec::new();
    for obj in objects {
        out.extend_from_slice(Value::Object(obj).to_string().as_bytes());
        out.push(b'\n');
    }
    out
}
