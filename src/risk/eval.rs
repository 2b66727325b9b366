//! `minqing eval risk`: the learned escalation model against the rule score alone, on a
//! time split of generated data whose truth file says which cases escalated.
//!
//! Split: the model learns from cases at least 30 days before the cut (their labels are
//! observed from the warehouse by the cut, as in use); both are measured on cases from the
//! cut to 30 days before the data ends (later ones are censored in the truth too), against
//! the truth's `escalated_30d`. Scores use only what was known when each case arrived.

use std::collections::HashMap;
use std::path::Path;

use chrono::{Datelike, Duration, NaiveDate};
use rayon::prelude::*;

use super::model::{self, EscalationModel, HORIZON_DAYS, auc, precision_at};
use super::{history, load_config, rules};
use crate::facts::load_facts;
use crate::warehouse::Warehouse;
use crate::{Error, Result};

/// Cases at the top of each list that precision is read at.
pub const TOP: usize = 50;

#[derive(Debug, Clone, Default)]
pub struct RiskEval {
    pub cut: Option<NaiveDate>,
    pub train: usize,
    pub train_positives: usize,
    pub test: usize,
    pub test_positives: usize,
    /// The reported chance: regression blended with the rule score.
    pub auc_model: Option<f64>,
    /// The regression alone.
    pub auc_regression: Option<f64>,
    pub auc_rules: Option<f64>,
    pub top_model: Option<f64>,
    pub top_regression: Option<f64>,
    pub top_rules: Option<f64>,
}

impl std::fmt::Display for RiskEval {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let v = |x: Option<f64>| x.map_or("—".to_string(), |x| format!("{x:.3}"));
        writeln!(f, "cut {}", self.cut.map_or("—".into(), |d| d.to_string()))?;
        writeln!(f, "train_cases {}", self.train)?;
        writeln!(f, "train_escalated {}", self.train_positives)?;
        writeln!(f, "test_cases {}", self.test)?;
        writeln!(f, "test_escalated {}", self.test_positives)?;
        writeln!(f, "auc {}", v(self.auc_model))?;
        writeln!(f, "auc_regression {}", v(self.auc_regression))?;
        writeln!(f, "auc_rules {}", v(self.auc_rules))?;
        writeln!(f, "precision_at_{TOP} {}", v(self.top_model))?;
        writeln!(f, "precision_at_{TOP}_regression {}", v(self.top_regression))?;
        write!(f, "precision_at_{TOP}_rules {}", v(self.top_rules))
    }
}

/// `(source, case_id) → escalated_30d` from a generator truth file.
fn read_truth(path: &Path) -> Result<HashMap<(String, String), bool>> {
    let mut rd = csv::Reader::from_path(path).map_err(|e| Error::input(path, e.to_string()))?;
    let headers = rd.headers().map_err(|e| Error::input(path, e.to_string()))?.clone();
    let col = |name: &str| {
        headers.iter().position(|h| h == name).ok_or_else(|| {
            Error::input(path, format!("no `{name}` column (a truth file from `minqing generate` has it)"))
        })
    };
    let (s, c, e) = (col("source")?, col("case_id")?, col("escalated_30d")?);
    let mut out = HashMap::new();
    for rec in rd.records() {
        let rec = rec.map_err(|e| Error::input(path, e.to_string()))?;
        out.insert((rec[s].to_string(), rec[c].to_string()), &rec[e] == "1");
    }
    Ok(out)
}

/// Evaluate on the warehouse (holding generated data) against its truth file.
pub fn evaluate(wh: &Warehouse, models: &Path, truth: &Path) -> Result<RiskEval> {
    let (w, cal) = load_config(models)?;
    let truth = read_truth(truth)?;
    let facts = load_facts(wh)?;
    let (Some(first), Some(last)) = (facts.first().map(|f| f.received.date()), facts.last().map(|f| f.received.date()))
    else {
        return Err(Error::Usage("the warehouse has no cases: ingest the generated exports first".into()));
    };
    // the cut: the first of the month two thirds of the way through
    let mid = first + Duration::days((last - first).num_days() * 2 / 3);
    let cut = NaiveDate::from_ymd_opt(mid.year(), mid.month(), 1).expect("first of a month");
    let test_end = last - Duration::days(HORIZON_DAYS);
    let hist = history::histories(&facts, &w);
    let rule: Vec<rules::Scored> =
        facts.par_iter().zip(&hist).map(|(f, h)| rules::score(f, h, &w, &cal, f.received.date())).collect();
    let x: Vec<Vec<f64>> = facts.iter().zip(&hist).zip(&rule).map(|((f, h), r)| model::features(f, h, r)).collect();
    // labels as the warehouse shows them on the day of the cut
    let observed = model::observed_labels(&facts, cut);
    let (tx, ty): (Vec<Vec<f64>>, Vec<bool>) = facts
        .iter()
        .zip(&x)
        .zip(&observed)
        .filter(|((f, _), _)| f.received.date() < cut)
        .filter_map(|((_, x), y)| y.map(|y| (x.clone(), y)))
        .unzip();
    let fitted = EscalationModel::fit(&tx, &ty)?;
    let mut out = RiskEval {
        cut: Some(cut),
        train: tx.len(),
        train_positives: ty.iter().filter(|&&b| b).count(),
        ..Default::default()
    };
    let (mut pm, mut pg, mut pr, mut y) = (vec![], vec![], vec![], vec![]);
    for (i, f) in facts.iter().enumerate() {
        let d = f.received.date();
        if d < cut || d > test_end {
            continue;
        }
        let Some(&label) = truth.get(&(f.source.to_string(), f.case_id.clone())) else { continue };
        y.push(label);
        pr.push(f64::from(rule[i].score));
        let p = fitted.as_ref().map_or(0.0, |m| m.prob(&x[i]));
        pg.push(p);
        pm.push(model::blend(p, rule[i].score));
    }
    out.test = y.len();
    out.test_positives = y.iter().filter(|&&b| b).count();
    if out.test == 0 {
        return Err(Error::Usage(
            "no test cases matched the truth file: was this warehouse ingested from the same generated exports?".into(),
        ));
    }
    if fitted.is_some() {
        out.auc_model = auc(&pm, &y);
        out.top_model = precision_at(&pm, &y, TOP);
        out.auc_regression = auc(&pg, &y);
        out.top_regression = precision_at(&pg, &y, TOP);
    }
    out.auc_rules = auc(&pr, &y);
    out.top_rules = precision_at(&pr, &y, TOP);
    Ok(out)
}
