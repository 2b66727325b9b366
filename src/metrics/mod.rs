//! Deadlines, work rates, volumes, township ranking, surges and backlog, as of a day.
//!
//! Each case becomes one row of flags (`frame`): which rate's numerator and denominator it
//! counts in, under the pipeline's deadline policy. Polars (lazy) sums the flags per period
//! and per department, town, topic or channel (`rates`, `volumes`); `ranking`, `surges`
//! and `backlog` build on the same facts. Everything lands in the long `metrics` table
//! (numerator, denominator and value on every row) and open cases in `deadlines`.

pub mod backlog;
pub mod deadlines;
pub mod frame;
pub mod ranking;
pub mod rates;
pub mod surges;
pub mod volumes;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use arrow::array::{ArrayRef, Date32Array, Float64Array, Int32Array, StringArray, TimestampMicrosecondArray};
use arrow::record_batch::RecordBatch;
use chrono::NaiveDate;

pub use deadlines::{Policy, Stage, State};

use crate::Result;
use crate::facts::tables::RiskScores;
use crate::facts::{CaseFacts, date32, latest_day, load_facts, time_to_micros};
use crate::model::{Dimension, Grain, Measure};
use crate::schema::{deadlines_schema, metrics_schema, table};
use crate::warehouse::Warehouse;

pub use crate::model::Metric;

/// Settings of the metrics stage (a pipeline file names them).
#[derive(Debug, Clone)]
pub struct MetricsConfig {
    pub policy: Policy,
    /// A case is 临期 with this many days left or fewer.
    pub warn_days: i64,
    /// Days after closing in which a rating is still expected (参评率).
    pub rating_days: i64,
    /// A case open this long is 积案.
    pub backlog_days: i64,
    /// Town populations (CSV town,county,population) for per-10,000 volumes.
    pub populations: Option<PathBuf>,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig { policy: Policy::Statutory, warn_days: 3, rating_days: 30, backlog_days: 365, populations: None }
    }
}

#[derive(Debug, Clone, Default)]
pub struct MetricsReport {
    pub as_of: Option<NaiveDate>,
    pub policy: String,
    pub metrics: usize,
    pub open: usize,
    pub states: [usize; 4],
    /// This month's headline rates for petitions: (name, value, numerator, denominator).
    pub headline: Vec<(String, Option<f64>, f64, f64)>,
    pub bottom_towns: Vec<String>,
    pub surges: Vec<String>,
    pub backlog: usize,
    pub seconds: f64,
}

impl std::fmt::Display for MetricsReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Some(as_of) = self.as_of else { return write!(f, "no cases to measure") };
        writeln!(
            f,
            "metrics as of {as_of} ({} deadline policy): {} figures in {:.1}s",
            self.policy, self.metrics, self.seconds
        )?;
        let [n, s, t, o] = self.states;
        writeln!(f, "  open cases with a deadline: {} — 正常 {n} · 临期 {s} · 到期 {t} · 逾期 {o}", self.open)?;
        for (name, v, num, den) in &self.headline {
            writeln!(f, "  {name} {} ({num}/{den})", crate::model::percent(*v))?;
        }
        writeln!(f, "  积案 (open past the backlog threshold): {}", self.backlog)?;
        if !self.bottom_towns.is_empty() {
            writeln!(f, "  站队末位: {}", self.bottom_towns.join("、"))?;
        }
        if self.surges.is_empty() {
            write!(f, "  异动: none this week")
        } else {
            write!(f, "  异动: {}", self.surges.join("; "))
        }
    }
}

/// Compute every figure as of `as_of` (default: the latest day in the warehouse).
pub fn run(wh: &Warehouse, cfg: &MetricsConfig, as_of: Option<NaiveDate>) -> Result<MetricsReport> {
    run_on(wh, cfg, as_of, &load_facts(wh)?, &RiskScores::Stored)
}

/// `run` over facts already loaded, with their risk from `risk`.
pub fn run_on(
    wh: &Warehouse,
    cfg: &MetricsConfig,
    as_of: Option<NaiveDate>,
    facts: &[CaseFacts],
    risk: &RiskScores,
) -> Result<MetricsReport> {
    let t0 = Instant::now();
    let Some(as_of) = as_of.or_else(|| latest_day(facts)) else { return Ok(MetricsReport::default()) };
    let facts = crate::facts::known_by(facts, as_of);
    let high_risk: Vec<bool> =
        risk.of(wh, facts)?[..facts.len()].iter().map(|s| s.is_some_and(|(_, l)| l.is_high())).collect();
    let populations = match &cfg.populations {
        Some(p) => ranking::load_populations(p)?,
        None => Vec::new(),
    };
    // the sections are independent: the case frame's sums beside the deadlines, surges,
    // cross-region counts and backlog
    let (frame_part, rest) = rayon::join(
        || -> Result<_> {
            let df = frame::case_frame(facts, &high_risk, cfg, as_of);
            let (v, r) = rayon::join(|| volumes::volumes(&df), || rates::rates(&df));
            let mut m = v?;
            m.extend(r?);
            Ok((df, m))
        },
        || -> Result<_> {
            let (open, (surges, backlog)) = rayon::join(
                || open_deadlines(facts, cfg, as_of),
                || rayon::join(|| surges::find(facts, as_of), || backlog::measure(facts, cfg, as_of)),
            );
            let counts = deadline_counts(facts, &open, cfg, as_of);
            Ok((open, counts, surges, cross_region_by_town(wh, facts, as_of)?, backlog))
        },
    );
    let (df, mut metrics) = frame_part?;
    let (open, counts, surges, cross, backlog) = rest?;
    metrics.extend(counts);
    let month = as_of.format("%Y-%m").to_string();
    let mut overdue_by_town: HashMap<String, f64> = HashMap::new();
    for (i, _, _, left) in &open {
        if *left < 0 {
            *overdue_by_town.entry(facts[*i].town.as_deref().unwrap_or(UNKNOWN).to_string()).or_default() += 1.0;
        }
    }
    let ranked = ranking::rank(&df, &overdue_by_town, &populations, &month)?;
    metrics.extend(ranking::metrics(&ranked, &month));
    metrics.extend(surges.iter().map(|s| s.metric(as_of)));
    metrics.extend(cross);
    let backlog_open = backlog.open;
    metrics.extend(backlog.metrics);
    metrics.sort_by(|a, b| {
        (a.grain.as_str(), &a.period, &a.source, a.dimension.as_str(), &a.key, a.measure.as_str()).cmp(&(
            b.grain.as_str(),
            &b.period,
            &b.source,
            b.dimension.as_str(),
            &b.key,
            b.measure.as_str(),
        ))
    });

    let mut report = MetricsReport {
        as_of: Some(as_of),
        policy: cfg.policy.name().into(),
        metrics: metrics.len(),
        open: open.len(),
        backlog: backlog_open,
        ..Default::default()
    };
    for (_, _, _, left) in &open {
        report.states[State::of(*left, cfg.warn_days) as usize] += 1;
    }
    for name in rates::PETITION_RATES {
        if let Some(m) = metrics.iter().find(|m| {
            m.grain == Grain::Month
                && m.period == month
                && m.source == "petition"
                && m.dimension == Dimension::Total
                && m.measure == *name
        }) {
            report.headline.push((
                name.as_str().to_string(),
                m.value,
                m.numerator.unwrap_or(0.0),
                m.denominator.unwrap_or(0.0),
            ));
        }
    }
    report.bottom_towns = ranked.iter().filter(|r| r.bottom).map(|r| r.town.clone()).collect();
    report.surges = surges.iter().map(|s| s.describe()).collect();

    let mut tx = wh.begin()?;
    tx.replace(table::METRICS, &[metrics_batch(&metrics, as_of)?])?;
    tx.replace(table::DEADLINES, &[deadlines_batch(&facts, &open, cfg, as_of)?])?;
    report.seconds = t0.elapsed().as_secs_f64();
    tx.commit(
        "metrics",
        serde_json::json!({"as_of": as_of.to_string(), "policy": cfg.policy.name(), "metrics": report.metrics, "open": report.open}),
    )?;
    Ok(report)
}

/// Open cases with a deadline: (index into facts, stage, due day, days left).
pub fn open_deadlines(
    facts: &[CaseFacts],
    cfg: &MetricsConfig,
    as_of: NaiveDate,
) -> Vec<(usize, Stage, NaiveDate, i64)> {
    facts
        .iter()
        .enumerate()
        .filter_map(|(i, f)| deadlines::open_deadline(cfg.policy, f, as_of).map(|(s, d, l)| (i, s, d, l)))
        .collect()
}

/// 正常 / 临期 / 到期 / 逾期 counts on the as-of day, per source, in total, per department and per town.
fn deadline_counts(
    facts: &[CaseFacts],
    open: &[(usize, Stage, NaiveDate, i64)],
    cfg: &MetricsConfig,
    as_of: NaiveDate,
) -> Vec<Metric> {
    let mut counts: BTreeMap<(&str, Dimension, &str, Measure), f64> = BTreeMap::new();
    for (i, _, _, left) in open {
        let f = &facts[*i];
        let measure = match State::of(*left, cfg.warn_days) {
            State::Normal => Measure::Normal,
            State::DueSoon => Measure::DueSoon,
            State::DueToday => Measure::DueToday,
            State::Overdue => Measure::Overdue,
        };
        for src in ["all", &*f.source] {
            for (dim, key) in [
                (Dimension::Total, "全部"),
                (Dimension::Dept, f.dept.as_deref().unwrap_or(UNKNOWN)),
                (Dimension::Town, f.town.as_deref().unwrap_or(UNKNOWN)),
            ] {
                *counts.entry((src, dim, key, measure)).or_default() += 1.0;
            }
        }
    }
    let period = as_of.to_string();
    counts.into_iter().map(|((src, dim, key, m), n)| Metric::count(Grain::AsOf, &period, src, dim, key, m, n)).collect()
}

/// The key of a case whose department, town or channel the export left empty.
pub use crate::model::UNKNOWN;

/// 三跨三分离 per township and month: cases whose 问题属地, household registration and
/// residence differ (`cross_region`), with how they differ in the note.
fn cross_region_by_town(wh: &Warehouse, facts: &[CaseFacts], as_of: NaiveDate) -> Result<Vec<Metric>> {
    use crate::schema::cross_region as cr;
    use arrow::array::AsArray;
    use chrono::Datelike;
    let batches = crate::warehouse::read_table(wh, table::CROSS_REGION)?;
    // (source, case_id) → how its places differ
    let mut differs: rustc_hash::FxHashMap<(&str, &str), Vec<&str>> = Default::default();
    for b in &batches {
        let col = |n: &str| {
            b.column_by_name(n).ok_or_else(|| crate::Error::Schema(format!("cross_region has no column `{n}`")))
        };
        let (s, c, d) = (
            col(cr::SOURCE)?.as_string::<i32>(),
            col(cr::CASE_ID)?.as_string::<i32>(),
            col(cr::DIFFERS)?.as_list::<i32>(),
        );
        for i in 0..b.num_rows() {
            let (start, end) = (d.value_offsets()[i] as usize, d.value_offsets()[i + 1] as usize);
            let l = d.values().as_string::<i32>();
            differs.insert((s.value(i), c.value(i)), (start..end).map(|j| l.value(j)).collect());
        }
    }
    if differs.is_empty() {
        return Ok(vec![]);
    }
    // (year, month, town) → (cases, cross-region cases, by how they differ)
    type Counts<'a> = (f64, f64, BTreeMap<&'a str, usize>);
    let mut by: rustc_hash::FxHashMap<(i32, u32, &str), Counts> = Default::default();
    for f in facts.iter().filter(|f| f.received.date() <= as_of) {
        let e = by.entry((f.received.year(), f.received.month(), f.town.as_deref().unwrap_or(UNKNOWN))).or_default();
        e.0 += 1.0;
        if let Some(d) = differs.get(&(&*f.source, f.case_id.as_str())) {
            e.1 += 1.0;
            for x in d {
                *e.2.entry(x).or_default() += 1;
            }
        }
    }
    // in the order of the month's and town's names
    let by: BTreeMap<(String, &str), Counts> = by
        .into_iter()
        .filter(|(_, (_, n, _))| *n > 0.0)
        .map(|((y, m, town), c)| ((format!("{y:04}-{m:02}"), town), c))
        .collect();
    Ok(by
        .into_iter()
        .map(|((month, town), (cases, n, how))| {
            let mut m = Metric::count(Grain::Month, &month, "all", Dimension::Town, town, Measure::CrossRegion, n);
            m.denominator = Some(cases);
            m.note = Some(how.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join("，"));
            m
        })
        .collect())
}

fn deadlines_batch(
    facts: &[CaseFacts],
    open: &[(usize, Stage, NaiveDate, i64)],
    cfg: &MetricsConfig,
    as_of: NaiveDate,
) -> Result<RecordBatch> {
    let f = |i: usize| &facts[i];
    let cols: Vec<ArrayRef> = vec![
        Arc::new(open.iter().map(|o| Some(f(o.0).case_id.as_str())).collect::<StringArray>()),
        Arc::new(open.iter().map(|o| Some(&*f(o.0).source)).collect::<StringArray>()),
        Arc::new(open.iter().map(|_| Some(cfg.policy.name())).collect::<StringArray>()),
        Arc::new(open.iter().map(|o| Some(o.1.name())).collect::<StringArray>()),
        Arc::new(open.iter().map(|o| f(o.0).dept.as_deref()).collect::<StringArray>()),
        Arc::new(open.iter().map(|o| f(o.0).town.as_deref()).collect::<StringArray>()),
        Arc::new(TimestampMicrosecondArray::from_iter_values(open.iter().map(|o| time_to_micros(f(o.0).received)))),
        Arc::new(Date32Array::from_iter_values(open.iter().map(|o| date32(o.2)))),
        Arc::new(open.iter().map(|o| Some(State::of(o.3, cfg.warn_days).name())).collect::<StringArray>()),
        Arc::new(Int32Array::from_iter_values(open.iter().map(|o| o.3 as i32))),
        Arc::new(Date32Array::from(vec![date32(as_of); open.len()])),
    ];
    Ok(RecordBatch::try_new(deadlines_schema(), cols)?)
}

fn metrics_batch(m: &[Metric], as_of: NaiveDate) -> Result<RecordBatch> {
    let cols: Vec<ArrayRef> = vec![
        Arc::new(m.iter().map(|m| Some(m.grain.as_str())).collect::<StringArray>()),
        Arc::new(m.iter().map(|m| Some(m.period.as_str())).collect::<StringArray>()),
        Arc::new(m.iter().map(|m| Some(m.source.as_str())).collect::<StringArray>()),
        Arc::new(m.iter().map(|m| Some(m.dimension.as_str())).collect::<StringArray>()),
        Arc::new(m.iter().map(|m| Some(m.key.as_str())).collect::<StringArray>()),
        Arc::new(m.iter().map(|m| Some(m.measure.as_str())).collect::<StringArray>()),
        Arc::new(m.iter().map(|m| m.numerator).collect::<Float64Array>()),
        Arc::new(m.iter().map(|m| m.denominator).collect::<Float64Array>()),
        Arc::new(m.iter().map(|m| m.value).collect::<Float64Array>()),
        Arc::new(m.iter().map(|m| m.note.as_deref()).collect::<StringArray>()),
        Arc::new(Date32Array::from(vec![date32(as_of); m.len()])),
    ];
    Ok(RecordBatch::try_new(metrics_schema(), cols)?)
}
