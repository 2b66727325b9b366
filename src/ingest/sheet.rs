//! What every reader produces: rows of typed cells with their row numbers in the file,
//! as a stream, so an export of any size is read in bounded memory.

use chrono::NaiveDateTime;

use crate::Result;

/// One cell as the export holds it, before any parsing of its meaning.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Int(i64),
    Number(f64),
    Bool(bool),
    /// A cell Excel stores as a date.
    DateTime(NaiveDateTime),
    /// A spreadsheet error value such as `#DIV/0!`.
    Error(String),
}

impl Cell {
    pub fn is_empty(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(s) => s.trim().is_empty(),
            _ => false,
        }
    }

    /// The cell as text, the way a person reading the sheet sees it.
    pub fn to_text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) | Cell::Error(s) => s.clone(),
            Cell::Int(i) => i.to_string(),
            Cell::Number(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
            Cell::Number(f) => f.to_string(),
            Cell::Bool(b) => if *b { "是" } else { "否" }.into(),
            Cell::DateTime(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
        }
    }
}

/// A row the reader itself could not turn into cells (e.g. a jsonl line that is not JSON).
#[derive(Debug, Clone)]
pub struct BadRow {
    pub row: u64,
    pub reason: String,
    pub detail: String,
    pub raw: String,
}

/// One table read from a file (a CSV file, a jsonl file, or one worksheet).
#[derive(Debug, Default)]
pub struct Sheet {
    /// Worksheet name for xlsx, empty otherwise.
    pub name: String,
    /// How the bytes were decoded (csv), for the report.
    pub encoding: Option<String>,
    /// (1-based row or line number, cells).
    pub rows: Vec<(u64, Vec<Cell>)>,
    pub bad_rows: Vec<BadRow>,
}

/// One item of a table's stream: a row of cells, or a row the reader could not read.
#[derive(Debug, Clone)]
pub enum Item {
    Row(u64, Vec<Cell>),
    Bad(BadRow),
}

/// One table of an export read as a stream (a CSV or jsonl file, or one worksheet). An
/// `Err` item is a fatal problem with the whole file (it cannot be read on).
pub struct Table {
    pub name: String,
    pub encoding: Option<String>,
    pub rows: Box<dyn Iterator<Item = Result<Item>> + Send>,
}

impl From<Sheet> for Table {
    fn from(s: Sheet) -> Table {
        let mut bad = s.bad_rows.into_iter().map(Item::Bad).peekable();
        let mut rows = s.rows.into_iter().map(|(r, c)| Item::Row(r, c)).peekable();
        // bad rows in their place among the good ones, by row number
        let merged = std::iter::from_fn(move || {
            let row_no = |i: &Item| match i {
                Item::Row(r, _) => *r,
                Item::Bad(b) => b.row,
            };
            match (rows.peek().map(row_no), bad.peek().map(row_no)) {
                (Some(a), Some(b)) if b < a => bad.next(),
                (Some(_), _) => rows.next(),
                (None, _) => bad.next(),
            }
        });
        Table { name: s.name, encoding: s.encoding, rows: Box::new(merged.map(Ok)) }
    }
}
