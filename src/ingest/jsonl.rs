//! JSON Lines exports: one object per line; the union of keys, in order of first
//! appearance, is the header row (row 0).

use std::path::Path;

use super::sheet::{BadRow, Cell, Sheet};
use crate::Result;

pub fn read(path: &Path, bytes: &[u8]) -> Result<Sheet> {
    let (text, encoding) = super::csv::decode(path, bytes)?;
    let mut headers: Vec<String> = vec![];
    let mut objects = vec![];
    let mut sheet = Sheet { encoding: Some(encoding), ..Default::default() };
    for (i, line) in text.lines().enumerate() {
        let row = i as u64 + 1;
        if line.trim().is_empty() {
            objects.push((row, None));
            continue;
        }
        match serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(line) {
            Ok(obj) => {
                for k in obj.keys() {
                    if !headers.contains(k) {
                        headers.push(k.clone());
                    }
                }
                objects.push((row, Some(obj)));
            }
            Err(e) => sheet.bad_rows.push(BadRow {
                row,
                reason: "invalid json".into(),
                detail: format!("line {row} is not a JSON object: {e}"),
                raw: line.chars().take(300).collect(),
            }),
        }
    }
    sheet.rows.push((0, headers.iter().map(|h| Cell::Text(h.clone())).collect()));
    for (row, obj) in objects {
        let cells = match obj {
            None => vec![],
            Some(obj) => headers.iter().map(|h| obj.get(h).map_or(Cell::Empty, value)).collect(),
        };
        sheet.rows.push((row, cells));
    }
    Ok(sheet)
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
