//! Excel workbooks (xlsx, xlsm, xlsb, xls, ods) through calamine.

use std::io::Cursor;
use std::path::Path;

use calamine::{Data, Reader};

use super::sheet::{Cell, Sheet};
use crate::{Error, Result};

/// Every worksheet of the workbook, in workbook order.
pub fn read(path: &Path, bytes: &[u8]) -> Result<Vec<Sheet>> {
    let mut wb = calamine::open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(|e| {
        Error::input(path, format!("not a readable Excel workbook (damaged, truncated or another format): {e}"))
    })?;
    let mut sheets = vec![];
    for name in wb.sheet_names() {
        let range = wb
            .worksheet_range(&name)
            .map_err(|e| Error::input(path, format!("worksheet `{name}` cannot be read: {e}")))?;
        let first_row = range.start().map_or(0, |(r, _)| r as u64);
        let first_col = range.start().map_or(0, |(_, c)| c as usize);
        let mut sheet = Sheet { name: name.clone(), ..Default::default() };
        for (i, row) in range.rows().enumerate() {
            // keep column positions as the sheet shows them
            let mut cells = vec![Cell::Empty; first_col];
            cells.extend(row.iter().map(cell));
            sheet.rows.push((first_row + i as u64 + 1, cells));
        }
        sheets.push(sheet);
    }
    Ok(sheets)
}

fn cell(d: &Data) -> Cell {
    match d {
        Data::Empty => Cell::Empty,
        Data::String(s) => Cell::Text(s.clone()),
        Data::Int(i) => Cell::Int(*i),
        Data::Float(f) => Cell::Number(*f),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(x) if x.is_datetime() => match x.as_datetime() {
            Some(t) => Cell::DateTime(t),
            None => Cell::Number(x.as_f64()),
        },
        Data::DateTime(x) => Cell::Number(x.as_f64()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s.clone()),
        Data::Error(e) => Cell::Error(format!("{e}")),
    }
}
