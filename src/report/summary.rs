//! The warehouse at a glance: rows per source, date range, rejects by reason.

use std::fmt;

use std::collections::BTreeMap;

use crate::Result;
use crate::facts::columns::{Columns, text, time};
use crate::schema::{cases, rejects, table};
use crate::warehouse::{Warehouse, read_table_columns};

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

pub fn summarize(wh: &Warehouse) -> Result<Summary> {
    let mut out = Summary { persons_table: !wh.parts(table::PERSONS)?.is_empty(), ..Default::default() };
    // per source: cases, people (信访人数, 1 when not given), first and last day received
    let mut by_source: BTreeMap<String, (u64, i64, Option<chrono::NaiveDateTime>, Option<chrono::NaiveDateTime>)> =
        BTreeMap::new();
    let wanted = [cases::SOURCE, cases::HEADCOUNT, cases::RECEIVED_AT];
    for b in read_table_columns(wh, table::CASES, Some(&wanted))? {
        let c = Columns::new(&b, table::CASES);
        let (source, headcount, received) =
            (c.str(cases::SOURCE)?, c.int(cases::HEADCOUNT)?, c.time(cases::RECEIVED_AT)?);
        for i in 0..c.rows() {
            let e = by_source.entry(text(source, i).unwrap_or_default().to_string()).or_default();
            e.0 += 1;
            e.1 += headcount.get(i).unwrap_or(1);
            if let Some(t) = time(received, i) {
                e.2 = Some(e.2.map_or(t, |x| x.min(t)));
                e.3 = Some(e.3.map_or(t, |x| x.max(t)));
            }
        }
    }
    let day = |t: Option<chrono::NaiveDateTime>| t.map(|t| t.format("%Y-%m-%d").to_string()).unwrap_or_default();
    out.sources = by_source
        .into_iter()
        .map(|(source, (cases, people, first, last))| SourceLine {
            source,
            cases,
            people,
            first: day(first),
            last: day(last),
        })
        .collect();
    let mut reasons: BTreeMap<String, u64> = BTreeMap::new();
    for b in read_table_columns(wh, table::REJECTS, Some(&[rejects::REASON]))? {
        let c = Columns::new(&b, table::REJECTS);
        let reason = c.str(rejects::REASON)?;
        for i in 0..c.rows() {
            *reasons.entry(text(reason, i).unwrap_or_default().to_string()).or_default() += 1;
        }
    }
    out.rejects = reasons.into_iter().collect();
    out.rejects.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
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
