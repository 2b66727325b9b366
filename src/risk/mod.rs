//! Stability risk (稳定风险): per case a score 0–100, a level and the reasons with their
//! points (`rules`), from each case's history at arrival (`history`); the chance of
//! escalation within 30 days from a model learned on the warehouse's own past (`model`);
//! the same rolled up per petitioner and per entity (`groups`). Writes `risk` and
//! `risk_groups`. `eval` measures the model and the rules on a time split.

pub mod config;
pub mod eval;
pub mod groups;
pub mod history;
pub mod kept;
pub mod model;
pub mod rules;

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use arrow::array::{
    ArrayRef, Date32Array, Float64Array, Int32Array, Int64Array, ListBuilder, StringArray, StringBuilder,
    TimestampMicrosecondArray,
};
use arrow::record_batch::RecordBatch;
use chrono::NaiveDate;
use rayon::prelude::*;

pub use config::{Calendar, RiskWeights};
pub use eval::evaluate;

use crate::Result;
use crate::facts::tables::Scores;
use crate::facts::{CaseFacts, date32, known_by, latest_day, load_facts, time_to_micros};
use crate::schema::{risk_groups_schema, risk_schema, table};
use crate::warehouse::Warehouse;
use groups::GroupRisk;
use rules::Scored;

/// `models/risk.toml` and `models/calendar.toml` from a models folder (built-in copies when absent).
pub fn load_config(models: &Path) -> Result<(RiskWeights, Calendar)> {
    let (w, c) = (models.join("risk.toml"), models.join("calendar.toml"));
    let weights = if w.exists() { RiskWeights::load(&w)? } else { RiskWeights::builtin() };
    let calendar = if c.exists() { Calendar::load(&c)? } else { Calendar::builtin() };
    Ok((weights, calendar))
}

#[derive(Debug, Clone, Default)]
pub struct RiskReport {
    pub as_of: Option<NaiveDate>,
    pub cases: usize,
    pub levels: [usize; 4],
    pub groups: usize,
    pub red_groups: usize,
    pub model_rows: usize,
    pub model_positives: usize,
    /// The day the escalation model was fitted (`kept`).
    pub model_fitted: Option<NaiveDate>,
    pub seconds: f64,
}

impl std::fmt::Display for RiskReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Some(as_of) = self.as_of else { return write!(f, "no cases to score") };
        writeln!(f, "scored {} cases as of {as_of} in {:.1}s", self.cases, self.seconds)?;
        let [r, o, y, b] = self.levels;
        writeln!(f, "  红 {r} · 橙 {o} · 黄 {y} · 蓝 {b}")?;
        writeln!(
            f,
            "  groups (petitioners and entities with 2+ cases): {}, of them 红 {}",
            self.groups, self.red_groups
        )?;
        if self.model_rows > 0 {
            write!(
                f,
                "  escalation model: learned from {} past cases ({} escalated within 30 days)",
                self.model_rows, self.model_positives
            )?;
            match self.model_fitted.filter(|d| Some(*d) != self.as_of) {
                Some(d) => write!(f, ", fitted as of {d} and kept"),
                None => Ok(()),
            }
        } else {
            write!(
                f,
                "  escalation model: not enough history (needs cases older than 30 days with and without escalation)"
            )
        }
    }
}

/// Score every case received up to `as_of` (default: the latest day in the warehouse).
pub fn run(wh: &Warehouse, models: &Path, as_of: Option<NaiveDate>) -> Result<RiskReport> {
    run_on(wh, models, as_of, &load_facts(wh)?)
}

/// `run` over facts already loaded (a pipeline loads them once for risk, metrics and cluster).
pub fn run_on(wh: &Warehouse, models: &Path, as_of: Option<NaiveDate>, facts: &[CaseFacts]) -> Result<RiskReport> {
    run_scored(wh, models, as_of, facts).map(|(r, _)| r)
}

/// `run_on`, with each case's (score, level) as committed, in the order of `facts`, for
/// the stages after it in the same run.
pub fn run_scored(
    wh: &Warehouse,
    models: &Path,
    as_of: Option<NaiveDate>,
    all: &[CaseFacts],
) -> Result<(RiskReport, Scores)> {
    let t0 = Instant::now();
    let (w, cal) = load_config(models)?;
    let Some(as_of) = as_of.or_else(|| latest_day(all)) else {
        return Ok((RiskReport::default(), vec![None; all.len()]));
    };
    let facts = known_by(all, as_of);
    tracing::info!("risk: {} cases loaded in {:.2}s", facts.len(), t0.elapsed().as_secs_f64());
    let hist = history::histories(&facts, &w);
    let progress = crate::progress::Progress::bar("risk", facts.len() as u64, "cases");
    let scored: Vec<Scored> = facts
        .par_iter()
        .zip(&hist)
        .map(|(f, h)| {
            progress.inc(1);
            rules::score(f, h, &w, &cal, as_of)
        })
        .collect();
    // the model learns from cases whose 30 days have passed, with their rule score on arrival;
    // only the rows it trains on keep a feature row, the rest are scored as they are made
    // (the score as of today when the case's handling showed the same on arrival)
    let arrival = |i: usize| {
        let on = facts[i].received.date();
        if rules::handling_on(&facts[i], on) == rules::handling_on(&facts[i], as_of) {
            std::borrow::Cow::Borrowed(&scored[i])
        } else {
            std::borrow::Cow::Owned(rules::score(&facts[i], &hist[i], &w, &cal, on))
        }
    };
    let labels = model::observed_labels(&facts, as_of);
    let labelled: Vec<usize> = (0..facts.len()).filter(|&i| labels[i].is_some()).collect();
    // the last fit while it is recent (`kept`); else fitted on one core while the other
    // builds the columns that do not need it
    let settings = kept::settings(models)?;
    let (fit, columns) = match kept::usable(wh, &settings, as_of, labelled.len())? {
        Ok(fit) => (fit, risk_columns(facts, &scored, &w, as_of)),
        Err(why) => {
            tracing::info!("risk: fitting the escalation model: {why}");
            let train = model::training_sample(&labelled);
            let tx: Vec<Vec<f64>> =
                train.par_iter().map(|&i| model::features(&facts[i], &hist[i], &arrival(i))).collect();
            let ty: Vec<bool> = train.iter().map(|&i| labels[i] == Some(true)).collect();
            let (fitted, columns) =
                rayon::join(|| model::EscalationModel::fit(&tx, &ty), || risk_columns(facts, &scored, &w, as_of));
            (kept::Fit { settings, as_of, labelled: labelled.len(), model: fitted? }, columns)
        }
    };
    let fitted = &fit.model;
    tracing::info!("risk: model ready at {:.2}s", t0.elapsed().as_secs_f64());
    let probs: Vec<Option<f64>> = (0..facts.len())
        .into_par_iter()
        .map(|i| {
            let m = fitted.as_ref()?;
            let r = arrival(i);
            Some(model::blend(m.prob(&model::features(&facts[i], &hist[i], &r)), r.score))
        })
        .collect();
    let groups = groups::roll_up(&facts, &scored, &probs, &w, as_of);
    tracing::info!("risk: {} groups rolled up at {:.2}s", groups.len(), t0.elapsed().as_secs_f64());

    let mut report = RiskReport { as_of: Some(as_of), cases: facts.len(), groups: groups.len(), ..Default::default() };
    for s in &scored {
        report.levels[w.levels.of(s.score).index()] += 1;
    }
    report.red_groups = groups.iter().filter(|g| g.level == crate::model::Level::Red).count();
    if let Some(m) = fitted {
        (report.model_rows, report.model_positives) = (m.trained_on, m.positives);
    }
    report.model_fitted = Some(fit.as_of);
    let mut tx = wh.begin()?;
    let seq = tx.seq();
    kept::save(wh, seq, &fit)?;
    tx.replace(table::RISK, &[risk_batch(columns, &probs)?])?;
    tx.replace(table::RISK_GROUPS, &[groups_batch(&groups, as_of)?])?;
    tracing::info!("risk: tables written at {:.2}s", t0.elapsed().as_secs_f64());
    report.seconds = t0.elapsed().as_secs_f64();
    tx.commit(
        "risk",
        serde_json::json!({
            "as_of": as_of.to_string(),
            "cases": report.cases,
            "levels": report.levels,
            "groups": report.groups,
            "model_rows": report.model_rows,
            "model_fitted": fit.as_of.to_string(),
        }),
    )?;
    kept::prune(wh, seq);
    let mut scores: Scores = scored.iter().map(|s| Some((s.score as i32, w.levels.of(s.score)))).collect();
    scores.resize(all.len(), None);
    Ok((report, scores))
}

fn reasons_array<'a, L: IntoIterator<Item = &'a str>>(lists: impl Iterator<Item = L>) -> ArrayRef {
    let mut b = ListBuilder::new(StringBuilder::new());
    for l in lists {
        for r in l {
            b.values().append_value(r);
        }
        b.append(true);
    }
    Arc::new(b.finish())
}

fn opt_strs<'a>(v: impl Iterator<Item = Option<&'a str>>) -> ArrayRef {
    Arc::new(v.collect::<StringArray>())
}

/// The `risk` columns but the escalation chance, in the schema's order.
fn risk_columns(facts: &[CaseFacts], scored: &[Scored], w: &RiskWeights, as_of: NaiveDate) -> Vec<ArrayRef> {
    let n = facts.len();
    crate::facts::columns_in_parallel(&[
        &|| Arc::new(facts.iter().map(|f| Some(f.case_id.as_str())).collect::<StringArray>()),
        &|| Arc::new(facts.iter().map(|f| Some(&*f.source)).collect::<StringArray>()),
        &|| Arc::new(TimestampMicrosecondArray::from_iter_values(facts.iter().map(|f| time_to_micros(f.received)))),
        &|| opt_strs(facts.iter().map(|f| f.person.as_deref())),
        &|| opt_strs(facts.iter().map(|f| f.entity.as_deref())),
        &|| Arc::new(facts.iter().map(|f| Some(&*f.focus_topic)).collect::<StringArray>()),
        &|| opt_strs(facts.iter().map(|f| f.town.as_deref())),
        &|| opt_strs(facts.iter().map(|f| f.dept.as_deref())),
        &|| Arc::new(Int32Array::from_iter_values(facts.iter().map(|f| f.people() as i32))),
        &|| Arc::new(Int32Array::from_iter_values(scored.iter().map(|s| s.score as i32))),
        &|| Arc::new(scored.iter().map(|s| Some(w.levels.of(s.score).as_str())).collect::<StringArray>()),
        &|| reasons_array(scored.iter().map(|s| s.reasons.iter().map(|r| r.text.as_str()))),
        &|| Arc::new(Date32Array::from(vec![date32(as_of); n])),
    ])
}

/// The `risk` batch: its columns with the escalation chance put in its place.
fn risk_batch(mut columns: Vec<ArrayRef>, probs: &[Option<f64>]) -> Result<RecordBatch> {
    let at = risk_schema().index_of(crate::schema::risk::ESCALATION_PROB)?;
    columns.insert(at, Arc::new(probs.iter().copied().collect::<Float64Array>()));
    Ok(RecordBatch::try_new(risk_schema(), columns)?)
}

fn groups_batch(groups: &[GroupRisk], as_of: NaiveDate) -> Result<RecordBatch> {
    let cols: Vec<ArrayRef> = vec![
        Arc::new(groups.iter().map(|g| Some(g.kind)).collect::<StringArray>()),
        Arc::new(groups.iter().map(|g| Some(g.key.as_str())).collect::<StringArray>()),
        Arc::new(Int64Array::from_iter_values(groups.iter().map(|g| g.cases as i64))),
        Arc::new(Int64Array::from_iter_values(groups.iter().map(|g| g.recent_cases as i64))),
        Arc::new(Int64Array::from_iter_values(groups.iter().map(|g| g.people))),
        Arc::new(Int64Array::from_iter_values(groups.iter().map(|g| g.petitioners as i64))),
        Arc::new(TimestampMicrosecondArray::from_iter_values(groups.iter().map(|g| time_to_micros(g.first_seen)))),
        Arc::new(TimestampMicrosecondArray::from_iter_values(groups.iter().map(|g| time_to_micros(g.last_seen)))),
        Arc::new(Int32Array::from_iter_values(groups.iter().map(|g| g.score as i32))),
        Arc::new(groups.iter().map(|g| Some(g.level.as_str())).collect::<StringArray>()),
        reasons_array(groups.iter().map(|g| g.reasons.iter().map(String::as_str))),
        Arc::new(groups.iter().map(|g| Some(g.escalation_path.as_str())).collect::<StringArray>()),
        Arc::new(groups.iter().map(|g| g.escalation_prob).collect::<Float64Array>()),
        Arc::new(groups.iter().map(|g| Some(g.top_case.as_str())).collect::<StringArray>()),
        Arc::new(Date32Array::from(vec![date32(as_of); groups.len()])),
        Arc::new(Int64Array::from_iter_values(groups.iter().map(|g| g.matters as i64))),
        Arc::new(groups.iter().map(|g| g.pattern).collect::<StringArray>()),
    ];
    Ok(RecordBatch::try_new(risk_groups_schema(), cols)?)
}
