//! Backlog (积案) and long-term petitioners (老户).
//!
//! - 积案: a petition still open `backlog_days` (365) after it was received; five years and
//!   more are counted apart (the 十百 campaign's long-standing cases). Counted in total, per
//!   department and per 包案 owner (the export's 包案领导/单位, else the department).
//! - 积案化解率 per month: of the petitions that were 积案 on the first of the month, the
//!   share closed within the month.
//! - 老户: a petitioner (person_key) with 5 or more petitions spread over a year or more;
//!   each listed with the count, first and last dates and the owner of the latest case.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap as HashMap;
use std::sync::Arc;

use chrono::{Datelike, Duration, NaiveDate};

use super::{Metric, MetricsConfig, UNKNOWN};
use crate::facts::CaseFacts;
use crate::model::{Dimension, Grain, Measure};

pub const LONG_TERM_CASES: usize = 5;
pub const LONG_TERM_DAYS: i64 = 365;
pub const FIVE_YEARS_DAYS: i64 = 5 * 365;
/// Months of 积案化解率 reported, ending with the as-of month.
pub const MONTHS: u32 = 12;

pub struct Backlog {
    pub open: usize,
    pub metrics: Vec<Metric>,
}

fn open_on(f: &CaseFacts, day: NaiveDate) -> bool {
    f.received.date() <= day && f.closed.is_none_or(|c| c.date() >= day)
}

/// The first day of the month `n` months before `d`'s.
fn months_back(d: NaiveDate, n: u32) -> NaiveDate {
    let first = d.with_day(1).unwrap_or(d);
    first.checked_sub_months(chrono::Months::new(n)).unwrap_or(first)
}

pub fn measure(facts: &[CaseFacts], cfg: &MetricsConfig, as_of: NaiveDate) -> Backlog {
    let petitions: Vec<&CaseFacts> = facts.iter().filter(|f| &*f.source == "petition").collect();
    let period = as_of.to_string();
    let mut counts: BTreeMap<(Dimension, String, Measure), f64> = BTreeMap::new();
    let mut open = 0;
    for f in &petitions {
        let age = (as_of - f.received.date()).num_days();
        if f.closed.is_some_and(|c| c.date() <= as_of) || age < cfg.backlog_days {
            continue;
        }
        open += 1;
        let owner = f.owner.as_deref().or(f.dept.as_deref()).unwrap_or(UNKNOWN);
        for (dim, key) in [
            (Dimension::Total, "全部"),
            (Dimension::Dept, f.dept.as_deref().unwrap_or(UNKNOWN)),
            (Dimension::Owner, owner),
        ] {
            *counts.entry((dim, key.to_string(), Measure::Backlog)).or_default() += 1.0;
            if age >= FIVE_YEARS_DAYS {
                *counts.entry((dim, key.to_string(), Measure::OldBacklog)).or_default() += 1.0;
            }
        }
    }
    let mut metrics: Vec<Metric> = counts
        .into_iter()
        .map(|((dim, key, m), n)| Metric::count(Grain::AsOf, &period, "petition", dim, &key, m, n))
        .collect();
    // 化解率 per month
    for k in (0..MONTHS).rev() {
        let start = months_back(as_of, k);
        let end = if k == 0 { as_of } else { months_back(as_of, k - 1) - Duration::days(1) };
        let base: Vec<&&CaseFacts> = petitions
            .iter()
            .filter(|f| open_on(f, start) && (start - f.received.date()).num_days() >= cfg.backlog_days)
            .collect();
        let resolved = base.iter().filter(|f| f.closed.is_some_and(|c| c.date() >= start && c.date() <= end)).count();
        metrics.push(
            Metric::count(
                Grain::Month,
                &start.format("%Y-%m").to_string(),
                "petition",
                Dimension::Total,
                "全部",
                Measure::BacklogResolved,
                resolved as f64,
            )
            .over(base.len() as f64),
        );
    }
    // 老户
    let mut by_person: HashMap<&Arc<str>, Vec<&CaseFacts>> = HashMap::default();
    for f in &petitions {
        if let Some(p) = &f.person {
            by_person.entry(p).or_default().push(f);
        }
    }
    let mut long_term: Vec<(&Arc<str>, Vec<&CaseFacts>)> = by_person
        .into_iter()
        .filter(|(_, v)| {
            v.len() >= LONG_TERM_CASES && (v[v.len() - 1].received - v[0].received).num_days() >= LONG_TERM_DAYS
        })
        .collect();
    long_term.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then_with(|| a.0.cmp(b.0)));
    metrics.push(Metric::count(
        Grain::AsOf,
        &period,
        "petition",
        Dimension::Total,
        "全部",
        Measure::LongTermPetitioners,
        long_term.len() as f64,
    ));
    for (p, v) in &long_term {
        let last = v[v.len() - 1];
        let owner = last.owner.as_deref().or(last.dept.as_deref()).unwrap_or(UNKNOWN);
        metrics.push(
            Metric::count(
                Grain::AsOf,
                &period,
                "petition",
                Dimension::Person,
                p,
                Measure::LongTermCases,
                v.len() as f64,
            )
            .with_note(format!("首次{} 末次{} 包案{}", v[0].received.date(), last.received.date(), owner)),
        );
    }
    Backlog { open, metrics }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn petition(received: &str, closed: Option<&str>, person: &str) -> CaseFacts {
        CaseFacts {
            source: "petition".into(),
            received: day(received).and_hms_opt(9, 0, 0).unwrap(),
            closed: closed.map(|c| day(c).and_hms_opt(9, 0, 0).unwrap()),
            person: Some(person.into()),
            dept: Some("县住建局".into()),
            ..Default::default()
        }
    }

    #[test]
    fn backlog_resolution_and_long_term_petitioners() {
        let mut facts = vec![
            petition("2019-05-01", None, "甲"),               // open 7 years: 积案, five years+
            petition("2025-03-01", Some("2026-10-15"), "乙"), // 积案 on 1 October, resolved in October
            petition("2025-06-01", None, "乙"),               // 积案 since June 2026, still open
            petition("2026-09-01", None, "丙"),               // too young
        ];
        facts[0].owner = Some("王副县长".into());
        for d in ["2024-01-05", "2024-06-01", "2025-01-01", "2025-08-01", "2026-02-01"] {
            facts.push(petition(d, Some(d), "丁"));
        }
        let b = measure(&facts, &MetricsConfig::default(), day("2026-10-31"));
        assert_eq!(b.open, 2);
        let get = |dim: &str, key: &str, m: &str, period: &str| {
            b.metrics
                .iter()
                .find(|x| x.dimension.as_str() == dim && x.key == key && x.measure.as_str() == m && x.period == period)
                .cloned()
        };
        assert_eq!(get("total", "全部", "积案件数", "2026-10-31").unwrap().value, Some(2.0));
        assert_eq!(get("total", "全部", "五年以上积案件数", "2026-10-31").unwrap().value, Some(1.0));
        assert_eq!(get("owner", "王副县长", "积案件数", "2026-10-31").unwrap().value, Some(1.0));
        let oct = get("total", "全部", "积案化解率", "2026-10").unwrap();
        assert_eq!((oct.numerator, oct.denominator), (Some(1.0), Some(3.0)));
        assert_eq!(get("person", "丁", "老户信访件数", "2026-10-31").unwrap().value, Some(5.0));
        assert_eq!(get("total", "全部", "老户人数", "2026-10-31").unwrap().value, Some(1.0));
        // a month with no backlog at its start has no rate, not a division by zero
        let empty = measure(&facts[3..4], &MetricsConfig::default(), day("2026-10-31"));
        let r = empty.metrics.iter().find(|m| m.measure == Measure::BacklogResolved).unwrap();
        assert_eq!((r.denominator, r.value), (Some(0.0), None));
    }
}
