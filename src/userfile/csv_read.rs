//! Reading CSV (RFC 4180) record by record, so that one malformed row is reported on its line
//! and costs nothing but itself. Each line is one record unless a quoted value spans lines: a
//! record goes on while it has an odd number of `"` (RFC 4180 doubles quotes inside quoted
//! values, so a complete record has an even number). If the continuation never closes, or
//! yields a record of the wrong width, only the first line is refused (unbalanced quotes) and
//! reading resumes on the line after it; the `csv` crate parses each record's text.

use std::collections::VecDeque;
use std::io::{self, BufRead};

/// A quoted value may span at most this many lines …
const MAX_LINES: usize = 100;
/// … and a record at most this many bytes.
const MAX_BYTES: usize = 1 << 20;

/// A physical line with its terminator.
struct Line {
    number: u64,
    text: Vec<u8>,
}

/// The records of a CSV stream.
pub struct CsvRecords<R> {
    input: R,
    /// The number the next line read from `input` gets (1-based).
    next_number: u64,
    /// Lines read ahead and given back by a record that failed.
    pending: VecDeque<Line>,
    bytes: u64,
    /// The header's number of fields, once it is read.
    width: Option<usize>,
}

/// A record: its first line's number and its fields, or why it is refused.
pub type Record = (u64, Result<Vec<String>, String>);

impl<R: BufRead> CsvRecords<R> {
    pub fn new(input: R) -> Self {
        Self {
            input,
            next_number: 1,
            pending: VecDeque::new(),
            bytes: 0,
            width: None,
        }
    }

    /// Bytes read from the input so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes
    }

    /// From now on, a record must have this many fields (the header's).
    pub fn set_width(&mut self, width: usize) {
        self.width = Some(width);
    }

    fn line(&mut self) -> io::Result<Option<Line>> {
        if let Some(line) = self.pending.pop_front() {
            return Ok(Some(line));
        }
        let mut text = Vec::new();
        let n = self.input.read_until(b'\n', &mut text)?;
        if n == 0 {
            return Ok(None);
        }
        self.bytes += n as u64;
        if self.next_number == 1 && text.starts_with(b"\xEF\xBB\xBF") {
            text.drain(..3); // a UTF-8 byte order mark, as spreadsheet programs write
        }
        let number = self.next_number;
        self.next_number += 1;
        Ok(Some(Line { number, text }))
    }

    fn give_back(&mut self, lines: Vec<Line>) {
        for line in lines.into_iter().rev() {
            self.pending.push_front(line);
        }
    }

    /// The next record, skipping blank lines; `None` at the end.
    pub fn next_record(&mut self) -> io::Result<Option<Record>> {
        loop {
            let Some(first) = self.line()? else {
                return Ok(None);
            };
            if first.text.iter().all(|b| matches!(b, b'\r' | b'\n')) {
                continue;
            }
            let mut text = first.text;
            let mut quotes = count_quotes(&text);
            let mut more = Vec::new();
            while quotes % 2 == 1 && more.len() < MAX_LINES && text.len() <= MAX_BYTES {
                let Some(next) = self.line()? else { break };
                quotes += count_quotes(&next.text);
                text.extend_from_slice(&next.text);
                more.push(next);
            }
            let unbalanced = || {
                "unbalanced quotes: a quoted value opened on this line is never closed".to_owned()
            };
            let parsed = if quotes % 2 == 1 {
                Err(unbalanced())
            } else {
                match (parse(&text), self.width) {
                    (Ok(fields), Some(w)) if fields.len() != w => Err(if more.is_empty() {
                        format!("{} values where the header has {w} columns", fields.len())
                    } else {
                        unbalanced()
                    }),
                    (Err(_), _) if !more.is_empty() => Err(unbalanced()),
                    (result, _) => result,
                }
            };
            if parsed.is_err() {
                self.give_back(more);
            }
            return Ok(Some((first.number, parsed)));
        }
    }
}

fn count_quotes(text: &[u8]) -> usize {
    text.iter().filter(|b| **b == b'"').count()
}

/// The fields of one record's text (its line terminator included).
fn parse(text: &[u8]) -> Result<Vec<String>, String> {
    let text = text
        .strip_suffix(b"\n")
        .map(|t| t.strip_suffix(b"\r").unwrap_or(t))
        .unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(text.len().max(64))
        .from_reader(text);
    let mut record = csv::StringRecord::new();
    let read = reader
        .read_record(&mut record)
        .map_err(|e| match e.kind() {
            csv::ErrorKind::Utf8 { .. } => "the row is not valid UTF-8".to_owned(),
            _ => format!("the row is not CSV: {e}"),
        })?;
    if !read {
        return Err("the row is empty".into());
    }
    let mut rest = csv::ByteRecord::new();
    if reader.read_byte_record(&mut rest).unwrap_or(false) {
        return Err("the row holds a line break outside quotes".into());
    }
    Ok(record.iter().map(str::to_owned).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(text: &str) -> Vec<(u64, Result<Vec<String>, String>)> {
        let mut reader = CsvRecords::new(text.as_bytes());
        let mut out = Vec::new();
        let mut first = true;
        while let Some(record) = reader.next_record().unwrap() {
            if first {
                reader.set_width(record.1.as_ref().map(Vec::len).unwrap_or(0));
                first = false;
            }
            out.push(record);
        }
        out
    }

    fn ok(fields: &[&str]) -> Result<Vec<String>, String> {
        Ok(fields.iter().map(|s| (*s).to_owned()).collect())
    }

    #[test]
    fn quoted_values_may_hold_commas_quotes_and_line_breaks() {
        let got = records("a,b\r\n\"x,1\",\"say \"\"hi\"\"\"\r\n\n\"two\nlines\",z\n");
        assert_eq!(got[1], (2, ok(&["x,1", "say \"hi\""])));
        assert_eq!(
            got[2],
            (4, ok(&["two\nlines", "z"])),
            "blank line 3 skipped"
        );
        assert_eq!(got.len(), 3);
    }

    #[test]
    fn an_unbalanced_quote_refuses_its_line_only() {
        let got = records("a,b\n1,\"open\n2,x\n3,y\n");
        assert_eq!(got[1].0, 2);
        assert!(
            got[1].1.as_ref().unwrap_err().contains("unbalanced"),
            "{got:?}"
        );
        assert_eq!(got[2], (3, ok(&["2", "x"])));
        assert_eq!(got[3], (4, ok(&["3", "y"])));
    }

    #[test]
    fn a_quote_closed_lines_later_into_the_wrong_width_is_unbalanced_too() {
        let got = records("a,b,c\n1,\"open,x\n2,q\",w,v\n3,y,z\n");
        assert!(
            got[1].1.as_ref().unwrap_err().contains("unbalanced"),
            "{got:?}"
        );
        assert_eq!(got[2].0, 3, "line 3 again, on its own");
        assert!(got[2].1.is_err(), "its own quote is unbalanced");
        assert_eq!(got[3], (4, ok(&["3", "y", "z"])));
    }

    #[test]
    fn rows_of_the_wrong_width_and_bad_bytes_are_refused() {
        let got = records("\u{feff}a,b\n1\n1,2,3\n");
        assert_eq!(
            got[0],
            (1, ok(&["a", "b"])),
            "the byte order mark is dropped"
        );
        assert_eq!(
            got[1].1,
            Err("1 values where the header has 2 columns".into())
        );
        assert!(got[2].1.is_err());
        let mut reader = CsvRecords::new(&b"a,b\n\xff,1\n"[..]);
        reader.next_record().unwrap();
        reader.set_width(2);
        let (line, bad) = reader.next_record().unwrap().unwrap();
        assert_eq!((line, bad), (2, Err("the row is not valid UTF-8".into())));
    }
}
