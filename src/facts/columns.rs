//! Typed access to one batch of a warehouse table. A column that is missing or of another
//! type is an [`Error::Schema`] naming the table, the column and what to do, never a panic
//! and never a default value that would pass for data.

use arrow::array::{
    Array, AsArray, Date32Array, Float64Array, GenericListArray, Int32Array, Int64Array, RecordBatch, StringArray,
    TimestampMicrosecondArray,
};
use arrow::datatypes::{Date32Type, Float64Type, Int32Type, Int64Type, TimestampMicrosecondType};
use chrono::{NaiveDate, NaiveDateTime};

use super::{date32_to_day, micros_to_time};
use crate::{Error, Result};

/// The columns of one batch of `table`.
pub struct Columns<'a> {
    batch: &'a RecordBatch,
    table: &'static str,
}

/// An integer column as stored: 32 or 64 bits.
pub enum Ints<'a> {
    I32(&'a Int32Array),
    I64(&'a Int64Array),
}

impl Ints<'_> {
    pub fn get(&self, i: usize) -> Option<i64> {
        match self {
            Ints::I32(a) => (!a.is_null(i)).then(|| i64::from(a.value(i))),
            Ints::I64(a) => (!a.is_null(i)).then(|| a.value(i)),
        }
    }
}

impl<'a> Columns<'a> {
    pub fn new(batch: &'a RecordBatch, table: &'static str) -> Self {
        Columns { batch, table }
    }

    pub fn rows(&self) -> usize {
        self.batch.num_rows()
    }

    fn col(&self, name: &str, want: &str) -> Result<&'a dyn Array> {
        self.batch.column_by_name(name).map(|c| c.as_ref()).ok_or_else(|| self.wrong(name, want))
    }

    fn wrong(&self, name: &str, want: &str) -> Error {
        let want = if want.is_empty() { String::new() } else { format!("{want} ") };
        Error::Schema(format!(
            "the `{}` table has no {want}column `{name}`: it was written by another version of minqing or \
             edited by hand; run the stage that writes it again",
            self.table
        ))
    }

    /// An error unless the batch has a column `name` (of any type).
    pub fn require(&self, name: &str) -> Result<()> {
        self.col(name, "").map(|_| ())
    }

    pub fn str(&self, name: &str) -> Result<&'a StringArray> {
        self.col(name, "text")?.as_string_opt::<i32>().ok_or_else(|| self.wrong(name, "text"))
    }

    pub fn f64(&self, name: &str) -> Result<&'a Float64Array> {
        self.col(name, "number")?.as_primitive_opt::<Float64Type>().ok_or_else(|| self.wrong(name, "number"))
    }

    pub fn int(&self, name: &str) -> Result<Ints<'a>> {
        let c = self.col(name, "integer")?;
        if let Some(a) = c.as_primitive_opt::<Int64Type>() {
            return Ok(Ints::I64(a));
        }
        c.as_primitive_opt::<Int32Type>().map(Ints::I32).ok_or_else(|| self.wrong(name, "integer"))
    }

    pub fn time(&self, name: &str) -> Result<&'a TimestampMicrosecondArray> {
        self.col(name, "timestamp")?
            .as_primitive_opt::<TimestampMicrosecondType>()
            .ok_or_else(|| self.wrong(name, "timestamp"))
    }

    pub fn date(&self, name: &str) -> Result<&'a Date32Array> {
        self.col(name, "date")?.as_primitive_opt::<Date32Type>().ok_or_else(|| self.wrong(name, "date"))
    }

    pub fn list(&self, name: &str) -> Result<&'a GenericListArray<i32>> {
        self.col(name, "list")?.as_list_opt::<i32>().ok_or_else(|| self.wrong(name, "list"))
    }
}

/// Row `i` of a text column, `None` when null.
pub fn text(a: &StringArray, i: usize) -> Option<&str> {
    (!a.is_null(i)).then(|| a.value(i))
}

/// Row `i` of a number column, `None` when null.
pub fn number(a: &Float64Array, i: usize) -> Option<f64> {
    (!a.is_null(i)).then(|| a.value(i))
}

/// Row `i` of a timestamp column, `None` when null.
pub fn time(a: &TimestampMicrosecondArray, i: usize) -> Option<NaiveDateTime> {
    (!a.is_null(i)).then(|| micros_to_time(a.value(i)))
}

/// Row `i` of a date column, `None` when null.
pub fn day(a: &Date32Array, i: usize) -> Option<NaiveDate> {
    (!a.is_null(i)).then(|| date32_to_day(a.value(i)))
}

/// Row `i` of a list-of-text column (empty when null).
pub fn texts(a: &GenericListArray<i32>, i: usize) -> Vec<String> {
    if a.is_null(i) {
        return vec![];
    }
    let l = a.value(i);
    l.as_string_opt::<i32>().map_or_else(Vec::new, |l| (0..l.len()).map(|j| l.value(j).to_string()).collect())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn a_missing_or_mistyped_column_is_a_schema_error_naming_it() {
        let b = RecordBatch::try_from_iter([
            ("title", Arc::new(StringArray::from(vec![Some("甲"), None])) as _),
            ("cases", Arc::new(Int32Array::from(vec![3, 4])) as _),
        ])
        .unwrap();
        let c = Columns::new(&b, "clusters");
        assert_eq!(text(c.str("title").unwrap(), 0), Some("甲"));
        assert_eq!(text(c.str("title").unwrap(), 1), None);
        assert_eq!(c.int("cases").unwrap().get(1), Some(4));
        let e = c.str("lead_dept").unwrap_err().to_string();
        assert!(e.contains("`clusters`") && e.contains("`lead_dept`"), "{e}");
        assert!(matches!(c.f64("cases"), Err(Error::Schema(_))), "an integer column is no number column");
    }
}
