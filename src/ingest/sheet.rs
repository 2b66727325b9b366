//! What every reader produces: rows of typed cells with their row numbers in the file.

use chrono::NaiveDateTime;

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
