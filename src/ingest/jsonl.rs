//! JSON Lines exports: one object per line; the union of keys, in order of first
//! appearance, is the header row (row 0). Read in two streaming passes (keys, then rows),
//! so memory stays bounded whatever the size of the file.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use super::csv::{MAX_RECORD_BYTES, open_decoded};
use super::sheet::{BadRow, Cell, Item, Table};
use crate::{Error, Result};

type Object = serde_json::Map<String, serde_json::Value>;

/// One line, at most `MAX_RECORD_BYTES` kept: `None` at the end of the file, else the
/// line (without its newline) and whether it was cut.
fn next_line(r: &mut impl BufRead, buf: &mut Vec<u8>) -> std::io::Result<Option<bool>> {
    buf.clear();
    let mut cut = false;
    let mut any = false;
    loop {
        let chunk = r.fill_buf()?;
        if chunk.is_empty() {
            return Ok(any.then_some(cut));
        }
        any = true;
        let (take, found) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        let room = (MAX_RECORD_BYTES as usize).saturating_sub(buf.len());
        let keep = if found { take - 1 } else { take };
        if keep > room {
            cut = true;
        }
        buf.extend_from_slice(&chunk[..keep.min(room)]);
        r.consume(take);
        if found {
            if buf.last() == Some(&b'\r') {
                buf.pop();
            }
            return Ok(Some(cut));
        }
    }
}

fn lines(path: &Path) -> Result<(String, BufReader<Box<dyn std::io::Read + Send>>)> {
    let d = open_decoded(path)?;
    Ok((d.encoding.name().to_string(), BufReader::with_capacity(1 << 16, d.reader)))
}

pub fn open(path: &Path) -> Result<Table> {
    // pass 1: the keys
    let (encoding, mut r) = lines(path)?;
    let mut headers: Vec<String> = vec![];
    let mut seen = std::collections::HashSet::new();
    let mut buf = vec![];
    while let Some(cut) = next_line(&mut r, &mut buf).map_err(|e| Error::io(path, e))? {
        if cut {
            continue;
        }
        if let Ok(obj) = serde_json::from_slice::<Object>(&buf) {
            for k in obj.keys() {
                if seen.insert(k.clone()) {
                    headers.push(k.clone());
                }
            }
        }
    }
    // pass 2: the rows
    let (_, r) = lines(path)?;
    let rows = JsonRows { path: path.to_path_buf(), r, buf: vec![], row: 0, headers: headers.clone(), done: false };
    let header = Item::Row(0, headers.into_iter().map(Cell::Text).collect());
    Ok(Table { name: String::new(), encoding: Some(encoding), rows: Box::new(std::iter::once(Ok(header)).chain(rows)) })
}

struct JsonRows {
    path: PathBuf,
    r: BufReader<Box<dyn std::io::Read + Send>>,
    buf: Vec<u8>,
    row: u64,
    headers: Vec<String>,
    done: bool,
}

impl Iterator for JsonRows {
    type Item = Result<Item>;

    fn next(&mut self) -> Option<Result<Item>> {
        if self.done {
            return None;
        }
        let cut = match next_line(&mut self.r, &mut self.buf) {
            Ok(Some(cut)) => cut,
            Ok(None) => {
                self.done = true;
                return None;
            }
            Err(e) => {
                self.done = true;
                return Some(Err(Error::io(&self.path, e)));
            }
        };
        self.row += 1;
        let row = self.row;
        let raw = || String::from_utf8_lossy(&self.buf).chars().take(300).collect::<String>();
        if cut {
            return Some(Ok(Item::Bad(BadRow {
                row,
                reason: "line too long".into(),
                detail: format!("line {row} is over {} MB", MAX_RECORD_BYTES >> 20),
                raw: raw(),
            })));
        }
        if self.buf.trim_ascii().is_empty() {
            return Some(Ok(Item::Row(row, vec![])));
        }
        Some(Ok(match serde_json::from_slice::<Object>(&self.buf) {
            Ok(obj) => Item::Row(row, self.headers.iter().map(|h| obj.get(h).map_or(Cell::Empty, value)).collect()),
            Err(e) => Item::Bad(BadRow {
                row,
                reason: "invalid json".into(),
                detail: format!("line {row} is not a JSON object: {e}"),
                raw: raw(),
            }),
        }))
    }
}

fn value(v: &serde_json::Value) -> Cell {
    use serde_json::Value;
    match v {
        Value::Null => Cell::Empty,
        Value::Bool(b) => Cell::Bool(*b),
        Value::Number(n) => n.as_i64().map(Cell::Int).unwrap_or_else(|| Cell::Number(n.as_f64().unwrap_or(f64::NAN))),
        Value::String(s) => Cell::Text(s.clone()),
        other => Cell::Text(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_in_order_bad_lines_and_blank_lines() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.jsonl");
        std::fs::write(&p, "{\"a\":1,\"b\":\"x\"}\r\n\n{oops\n{\"c\":true,\"a\":2.5}").unwrap();
        let items: Vec<Item> = open(&p).unwrap().rows.map(|i| i.unwrap()).collect();
        let rows: Vec<String> = items
            .iter()
            .map(|i| match i {
                Item::Row(r, c) => format!("{r}:{}", c.iter().map(Cell::to_text).collect::<Vec<_>>().join("|")),
                Item::Bad(b) => format!("{}:{}", b.row, b.reason),
            })
            .collect();
        assert_eq!(rows, ["0:a|b|c", "1:1|x|", "2:", "3:invalid json", "4:2.5||是"]);
    }
}
