//! Township ranking (月站队): every town scored out of 100 for the month, the bottom three
//! flagged (末位). Points:
//!
//! | part | points | how |
//! |---|---|---|
//! | volume | 30 | 批次 per 10,000 people when every town's population is known, else 批次; lowest gets 30, highest 0, linear between |
//! | 按期办结率 | 20 | rate × 20; a town with nothing due gets 20 |
//! | 满意率 | 20 | rate × 20; a town with nothing rated gets 20 |
//! | 逾期 | 15 | open cases past due on the as-of day; fewest gets 15, most 0 |
//! | 红橙风险 | 15 | cases of the month scored 红 or 橙; fewest gets 15, most 0 |

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use super::frame::{CaseFrame, col, sums};
use super::{Metric, UNKNOWN};
use crate::model::{Dimension, Grain, Measure, ratio};
use crate::{Error, Result};

#[derive(Debug, Clone, PartialEq)]
pub struct RankRow {
    pub town: String,
    pub cases: f64,
    pub people: f64,
    pub population: Option<f64>,
    pub on_time: (f64, f64),
    pub satisfied: (f64, f64),
    pub overdue: f64,
    pub high_risk: f64,
    pub score: f64,
    pub rank: usize,
    pub bottom: bool,
}

impl RankRow {
    pub fn per_10k(&self) -> Option<f64> {
        self.population.and_then(|p| ratio(self.cases, p / 10_000.0))
    }
}

/// (town, population) from a CSV with `town` (or 乡镇) and `population` (or 人口) columns.
pub fn load_populations(path: &Path) -> Result<Vec<(String, f64)>> {
    let mut rd = csv::Reader::from_path(path).map_err(|e| Error::input(path, e.to_string()))?;
    let h = rd.headers().map_err(|e| Error::input(path, e.to_string()))?.clone();
    let find = |names: &[&str]| h.iter().position(|x| names.contains(&x.trim()));
    let (Some(t), Some(p)) =
        (find(&["town", "乡镇", "乡镇街道"]), find(&["population", "人口", "户籍人口", "常住人口"]))
    else {
        return Err(Error::input(path, "needs a `town` (乡镇) and a `population` (人口) column"));
    };
    let mut out = vec![];
    for (i, rec) in rd.records().enumerate() {
        let rec = rec.map_err(|e| Error::input(path, e.to_string()))?;
        let n: f64 = rec[p]
            .trim()
            .replace(',', "")
            .parse()
            .map_err(|_| Error::input(path, format!("row {}: population `{}` is not a number", i + 2, &rec[p])))?;
        out.push((rec[t].trim().to_string(), n));
    }
    Ok(out)
}

/// Points for "lower is better": the lowest gets `points`, the highest 0.
fn inverted(v: f64, min: f64, max: f64, points: f64) -> f64 {
    if max > min { points * (max - v) / (max - min) } else { points }
}

/// Rank the towns for `month`. `overdue` counts open cases past due per town on the as-of day.
pub fn rank(
    df: &CaseFrame,
    overdue: &HashMap<String, f64>,
    populations: &[(String, f64)],
    month: &str,
) -> Result<Vec<RankRow>> {
    let cols = [
        col::ONE,
        col::PEOPLE,
        col::CLOSED_ON_TIME,
        col::CLOSED_LATE,
        col::OPEN_OVERDUE,
        col::SATISFIED,
        col::RATED,
        col::HIGH_RISK,
    ];
    let mut by_town: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for (period, town, v) in sums(df, None, Grain::Month, Dimension::Town, &cols)? {
        if period == month && town != UNKNOWN {
            by_town.insert(town, v);
        }
    }
    let pop: HashMap<&str, f64> = populations.iter().map(|(t, n)| (t.as_str(), *n)).collect();
    let towns: BTreeSet<String> = by_town.keys().cloned().chain(populations.iter().map(|(t, _)| t.clone())).collect();
    let mut rows: Vec<RankRow> = towns
        .into_iter()
        .map(|town| {
            let v = by_town.get(&town).cloned().unwrap_or(vec![0.0; cols.len()]);
            RankRow {
                population: pop.get(town.as_str()).copied(),
                cases: v[0],
                people: v[1],
                on_time: (v[2], v[2] + v[3] + v[4]),
                satisfied: (v[5], v[6]),
                overdue: overdue.get(&town).copied().unwrap_or(0.0),
                high_risk: v[7],
                town,
                score: 0.0,
                rank: 0,
                bottom: false,
            }
        })
        .collect();
    if rows.is_empty() {
        return Ok(rows);
    }
    let all_pop = rows.iter().all(|r| r.population.is_some_and(|p| p > 0.0));
    let volume = |r: &RankRow| if all_pop { r.per_10k().unwrap_or(0.0) } else { r.cases };
    let span = |f: &dyn Fn(&RankRow) -> f64| {
        rows.iter().map(f).fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| (lo.min(x), hi.max(x)))
    };
    let (vmin, vmax) = span(&volume);
    let (omin, omax) = span(&|r| r.overdue);
    let (hmin, hmax) = span(&|r| r.high_risk);
    let scores: Vec<f64> = rows
        .iter()
        .map(|r| {
            let s = inverted(volume(r), vmin, vmax, 30.0)
                + 20.0 * ratio(r.on_time.0, r.on_time.1).unwrap_or(1.0)
                + 20.0 * ratio(r.satisfied.0, r.satisfied.1).unwrap_or(1.0)
                + inverted(r.overdue, omin, omax, 15.0)
                + inverted(r.high_risk, hmin, hmax, 15.0);
            (s * 10.0).round() / 10.0
        })
        .collect();
    for (r, s) in rows.iter_mut().zip(scores) {
        r.score = s;
    }
    rows.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.town.cmp(&b.town)));
    let n = rows.len();
    for (i, r) in rows.iter_mut().enumerate() {
        r.rank = i + 1;
        r.bottom = n > 3 && i >= n - 3;
    }
    Ok(rows)
}

/// The ranking as `metrics` rows (dimension `town_rank`).
pub fn metrics(rows: &[RankRow], month: &str) -> Vec<Metric> {
    let mut out = vec![];
    for r in rows {
        let m = |measure, n| Metric::count(Grain::Month, month, "all", Dimension::TownRank, &r.town, measure, n);
        out.push(m(Measure::RankScore, r.score).with_note(format!(
            "批次{} 万人信访量{} 按期办结率{} 满意率{} 逾期{} 红橙风险{}",
            r.cases,
            r.per_10k().map_or("—".into(), |v| format!("{v:.2}")),
            crate::model::percent(ratio(r.on_time.0, r.on_time.1)),
            crate::model::percent(ratio(r.satisfied.0, r.satisfied.1)),
            r.overdue,
            r.high_risk
        )));
        out.push(m(Measure::Rank, r.rank as f64));
        out.push(m(Measure::RankLast, f64::from(u8::from(r.bottom))));
        out.push(m(Measure::Overdue, r.overdue));
        out.push(m(Measure::HighRisk, r.high_risk));
        if let Some(p) = r.population {
            out.push(
                Metric::count(
                    Grain::Month,
                    month,
                    "all",
                    Dimension::TownRank,
                    &r.town,
                    Measure::PerTenThousand,
                    r.cases,
                )
                .over(p / 10_000.0),
            );
        }
    }
    out
}
