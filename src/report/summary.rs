//! The warehouse at a glance: rows per source, date range, rejects by reason (polars lazy).

use std::fmt;

use polars::prelude::*;

use crate::Result;
use crate::schema::{cases, rejects, table};
use crate::warehouse::Warehouse;

/// One source's line of the summary.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceLine {
    pub source: String,
    pub cases: u64,
    pub people: i64,
    pub first: String,
    pub last: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    pub sources: Vec<SourceLine>,
    pub rejects: Vec<(String, u64)>,
    pub persons_table: bool,
}

fn scan(wh: &Warehouse, t: &str) -> Result<Option<LazyFrame>> {
    let parts = wh.parts(t)?;
    if parts.is_empty() {
        return Ok(None);
    }
    let paths = parts.iter().map(|p| PlRefPath::new(p.to_string_lossy().as_ref())).collect();
    Ok(Some(LazyFrame::scan_parquet_files(paths, ScanArgsParquet::default())?))
}

fn strs(df: &DataFrame, name: &str) -> Result<Vec<String>> {
    let s = df.column(name)?.cast(&DataType::String)?;
    Ok(s.str()?.iter().map(|v| v.unwrap_or("").to_string()).collect())
}

fn ints(df: &DataFrame, name: &str) -> Result<Vec<i64>> {
    let s = df.column(name)?.cast(&DataType::Int64)?;
    Ok(s.i64()?.iter().map(|v| v.unwrap_or(0)).collect())
}

pub fn summarize(wh: &Warehouse) -> Result<Summary> {
    let mut out = Summary { persons_table: !wh.parts(table::PERSONS)?.is_empty(), ..Default::default() };
    if let Some(lf) = scan(wh, table::CASES)? {
        let df = lf
            .group_by([col(cases::SOURCE)])
            .agg([
                len().alias("n"),
                col(cases::HEADCOUNT).fill_null(lit(1)).sum().alias("people"),
                col(cases::RECEIVED_AT).min().dt().strftime("%Y-%m-%d").alias("first"),
                col(cases::RECEIVED_AT).max().dt().strftime("%Y-%m-%d").alias("last"),
            ])
            .sort([cases::SOURCE], SortMultipleOptions::default())
            .collect()?;
        let (s, n, p, f, l) =
            (strs(&df, cases::SOURCE)?, ints(&df, "n")?, ints(&df, "people")?, strs(&df, "first")?, strs(&df, "last")?);
        for i in 0..df.height() {
            out.sources.push(SourceLine {
                source: s[i].clone(),
                cases: n[i] as u64,
                people: p[i],
                first: f[i].clone(),
                last: l[i].clone(),
            });
        }
    }
    if let Some(lf) = scan(wh, table::REJECTS)? {
        let df = lf
            .group_by([col(rejects::REASON)])
            .agg([len().alias("n")])
            .sort(["n", rejects::REASON], SortMultipleOptions::default().with_order_descending_multi([true, false]))
            .collect()?;
        let (r, n) = (strs(&df, rejects::REASON)?, ints(&df, "n")?);
        out.rejects = r.into_iter().zip(n.into_iter().map(|x| x as u64)).collect();
    }
    Ok(out)
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{:<10} {:>9} {:>10}  {:<10} → {:<10}", "source", "cases", "people", "first", "last")?;
        for s in &self.sources {
            writeln!(f, "{:<10} {:>9} {:>10}  {:<10} → {:<10}", s.source, s.cases, s.people, s.first, s.last)?;
        }
        let total: u64 = self.sources.iter().map(|s| s.cases).sum();
        writeln!(f, "{:<10} {:>9}", "total", total)?;
        let rejected: u64 = self.rejects.iter().map(|(_, n)| n).sum();
        writeln!(f, "rejects: {rejected}")?;
        for (reason, n) in &self.rejects {
            writeln!(f, "  {reason:<24} {n:>7}")?;
        }
        write!(
            f,
            "personal data: {}",
            if self.persons_table { "kept apart in `persons` (never read by reports)" } else { "none kept" }
        )
    }
}
