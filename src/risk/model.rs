//! The learned escalation model: logistic regression (linfa) on what was known when a
//! case arrived, predicting whether its petitioner or its entity brings a 越级 or 集体
//! petition within 30 days. It learns from the warehouse's own history: a case's label is
//! observed once 30 days have passed, so no truth file is needed to use it.

use rustc_hash::FxHashMap as HashMap;
use std::sync::Arc;

use chrono::{Duration, NaiveDate, NaiveDateTime};
use linfa::prelude::*;
use linfa_logistic::LogisticRegression;
use ndarray::{Array1, Array2};
use rayon::prelude::*;

use super::history::History;
use super::rules::Scored;
use crate::facts::CaseFacts;
use crate::model::Source;
pub use crate::model::auc;
use crate::{Error, Result};

/// Days after a case in which an escalation counts.
pub const HORIZON_DAYS: i64 = 30;
/// Training rows kept at most (an even stride through history).
const MAX_TRAIN: usize = 30_000;

const TOPICS: &[&str] =
    &["房地产", "欠薪", "非法集资", "征地拆迁", "涉法涉诉", "退役军人", "生态环境", "村务", "社会保障"];

/// Rule factors whose points are features of their own, so the model can re-weigh them.
const FACTORS: &[&str] = &[
    "集体访",
    "进京访",
    "赴省访",
    "越级访",
    "扬言",
    "重复信访",
    "逐级升级",
    "重点领域",
    "敏感节点",
    "串联",
    "逾期未办结",
    "不满意",
    "网上发酵",
];

/// Feature vector of a case, from its history and its rule score on arrival.
pub fn features(f: &CaseFacts, h: &History, rule: &Scored) -> Vec<f64> {
    let ln = |x: f64| (1.0 + x).ln();
    let mut v = vec![
        f64::from(rule.score) / 100.0,
        ln(f.headcount.unwrap_or(1).max(0) as f64),
        f64::from(u8::from(f.is_collective())),
        f64::from(f.level),
        f64::from(u8::from(f.has_threat() || f.threat_flag)),
        ln(f64::from(h.person_prior)),
        h.person_prior_level.map_or(-1.0, f64::from),
        f64::from(u8::from(h.person_prior_level.is_some_and(|l| f.level > l))),
        ln(f64::from(h.person_events)),
        ln(f64::from(h.entity_cases)),
        ln(f64::from(h.entity_people)),
        ln(f64::from(h.entity_cases_90)),
        ln(f64::from(h.entity_events)),
        ln(f64::from(h.online_posts)),
        ln(h.online_engagement as f64),
        f64::from(u8::from(f.entity.is_some())),
        ln(h.issue_age_days as f64),
        ln(f64::from(h.issue_cases)),
        f64::from(u8::from(f.person.is_some())),
    ];
    v.extend(
        FACTORS
            .iter()
            .map(|k| f64::from(rule.reasons.iter().filter(|r| r.factor == *k).map(|r| r.points).sum::<u32>())),
    );
    v.reserve(TOPICS.len() + Source::ALL.len());
    v.extend(TOPICS.iter().map(|t| f64::from(u8::from(&*f.focus_topic == *t))));
    v.extend(Source::ALL.iter().map(|s| f64::from(u8::from(&*f.source == s.as_str()))));
    v
}

/// Whether each case's petitioner, or its entity on the same focus topic (one issue),
/// escalated within the horizon, as the warehouse shows it; `None` when the horizon ends
/// after `known_on` (not yet observable).
pub fn observed_labels(facts: &[CaseFacts], known_on: NaiveDate) -> Vec<Option<bool>> {
    let horizon = Duration::days(HORIZON_DAYS);
    let mut by_person: HashMap<&Arc<str>, Vec<NaiveDateTime>> = HashMap::default();
    let mut by_issue: HashMap<(&Arc<str>, &Arc<str>, &Arc<str>), Vec<NaiveDateTime>> = HashMap::default();
    for f in facts.iter().filter(|f| f.is_escalation() && f.received.date() <= known_on) {
        if let Some(p) = &f.person {
            by_person.entry(p).or_default().push(f.received);
        }
        if let Some(e) = &f.entity {
            by_issue.entry((e, &f.focus_topic, &f.focus_sub)).or_default().push(f.received);
        }
    }
    let next_within = |v: Option<&Vec<NaiveDateTime>>, t| {
        v.is_some_and(|v| {
            let i = v.partition_point(|&x| x <= t);
            i < v.len() && v[i] <= t + horizon
        })
    };
    facts
        .par_iter()
        .map(|f| {
            ((f.received + horizon).date() < known_on).then(|| {
                f.person.as_ref().is_some_and(|p| next_within(by_person.get(p), f.received))
                    || f.entity
                        .as_ref()
                        .is_some_and(|e| next_within(by_issue.get(&(e, &f.focus_topic, &f.focus_sub)), f.received))
            })
        })
        .collect()
}

/// Weight of the rule score in the reported chance of escalation. The regression learns
/// from observed labels (the same petitioner or the same entity-and-matter escalating),
/// which are noisier than the truth; leaning half on the rule score keeps a model fitted
/// on a few incidents from ranking a new kind of incident below the rules (see
/// docs/measurements.md: the blend beat the rules on every seed tried, the regression
/// alone on four of five).
pub const RULE_WEIGHT: f64 = 0.5;

/// The reported chance of escalation: the regression's probability blended with the
/// case's rule score on arrival (as a share of 100).
pub fn blend(prob: f64, rule_score: u32) -> f64 {
    (1.0 - RULE_WEIGHT) * prob + RULE_WEIGHT * f64::from(rule_score.min(100)) / 100.0
}

/// A fitted model with its feature standardisation.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EscalationModel {
    #[serde(with = "exact")]
    mean: Vec<f64>,
    #[serde(with = "exact")]
    scale: Vec<f64>,
    #[serde(with = "exact")]
    weights: Vec<f64>,
    #[serde(with = "exact")]
    intercept: f64,
    pub trained_on: usize,
    pub positives: usize,
}

/// Numbers kept as their bits, so a fit read back is the fit that was made (a decimal
/// written and parsed again may differ in the last bit). Each is 16 letters, a nibble
/// each (`a` = 0 … `p` = 15): no run of digits that the identifier scans could take for a
/// phone or an ID number.
mod exact {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    fn word(x: f64) -> String {
        let bits = x.to_bits();
        (0..16).rev().map(|i| char::from(b'a' + ((bits >> (4 * i)) & 15) as u8)).collect()
    }

    fn number(w: &str) -> Option<f64> {
        let mut bits = 0u64;
        for c in w.bytes() {
            bits = (bits << 4) | u64::from(c.checked_sub(b'a').filter(|n| *n < 16)?);
        }
        (w.len() == 16).then(|| f64::from_bits(bits))
    }

    pub trait Bits: Sized {
        fn words(&self) -> Vec<String>;
        fn from(words: Vec<String>) -> Option<Self>;
    }

    impl Bits for f64 {
        fn words(&self) -> Vec<String> {
            vec![word(*self)]
        }
        fn from(words: Vec<String>) -> Option<f64> {
            match &words[..] {
                [w] => number(w),
                _ => None,
            }
        }
    }

    impl Bits for Vec<f64> {
        fn words(&self) -> Vec<String> {
            self.iter().map(|x| word(*x)).collect()
        }
        fn from(words: Vec<String>) -> Option<Vec<f64>> {
            words.iter().map(|w| number(w)).collect()
        }
    }

    pub fn serialize<T: Bits, S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
        v.words().serialize(s)
    }

    pub fn deserialize<'de, T: Bits, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
        T::from(Vec::<String>::deserialize(d)?).ok_or_else(|| serde::de::Error::custom("not a kept number"))
    }
}

/// The rows a fit learns from: all of them up to 30,000, else every k-th, evenly over time.
/// Taking the sample first and fitting on it gives the same model as fitting on all rows.
pub fn training_sample(rows: &[usize]) -> Vec<usize> {
    rows.iter().copied().step_by(rows.len().div_ceil(MAX_TRAIN).max(1)).collect()
}

impl EscalationModel {
    /// Fit on rows of features and labels; `None` when one class is missing.
    pub fn fit<R: AsRef<[f64]>>(x: &[R], y: &[bool]) -> Result<Option<EscalationModel>> {
        let positives = y.iter().filter(|&&b| b).count();
        if x.is_empty() || positives == 0 || positives == y.len() {
            return Ok(None);
        }
        let rows = training_sample(&(0..x.len()).collect::<Vec<_>>());
        let x: Vec<&[f64]> = x.iter().map(AsRef::as_ref).collect();
        let d = x[0].len();
        let n = rows.len() as f64;
        let mut mean = vec![0.0; d];
        for &i in &rows {
            for (m, v) in mean.iter_mut().zip(x[i]) {
                *m += v / n;
            }
        }
        let mut scale = vec![0.0; d];
        for &i in &rows {
            for ((s, v), m) in scale.iter_mut().zip(x[i]).zip(&mean) {
                *s += (v - m).powi(2) / n;
            }
        }
        let scale: Vec<f64> = scale.into_iter().map(|s| if s > 1e-12 { s.sqrt() } else { 1.0 }).collect();
        let mut m = Array2::<f64>::zeros((rows.len(), d));
        for (r, &i) in rows.iter().enumerate() {
            for j in 0..d {
                m[[r, j]] = (x[i][j] - mean[j]) / scale[j];
            }
        }
        let labels: Array1<bool> = rows.iter().map(|&i| y[i]).collect();
        let kept_pos = labels.iter().filter(|&&b| b).count();
        if kept_pos == 0 || kept_pos == labels.len() {
            return Ok(None);
        }
        let fitted = LogisticRegression::default()
            .alpha(1.0)
            .gradient_tolerance(1e-4)
            .max_iterations(100)
            .fit(&Dataset::new(m, labels))
            .map_err(|e| Error::Model(format!("fitting the escalation model: {e}")))?;
        // linfa's positive class is the larger label: `true`
        let sign = if fitted.labels().pos.class { 1.0 } else { -1.0 };
        Ok(Some(EscalationModel {
            mean,
            scale,
            weights: fitted.params().iter().map(|w| w * sign).collect(),
            intercept: fitted.intercept() * sign,
            trained_on: rows.len(),
            positives: kept_pos,
        }))
    }

    pub fn prob(&self, x: &[f64]) -> f64 {
        let z: f64 = self.intercept
            + x.iter()
                .zip(&self.mean)
                .zip(&self.scale)
                .zip(&self.weights)
                .map(|(((v, m), s), w)| (v - m) / s * w)
                .sum::<f64>();
        1.0 / (1.0 + (-z).exp())
    }
}

/// Precision among the `k` highest scores, in expectation over the order of ties at the cut.
pub fn precision_at(scores: &[f64], labels: &[bool], k: usize) -> Option<f64> {
    let k = k.min(scores.len());
    if k == 0 {
        return None;
    }
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let (mut hits, mut taken, mut i) = (0.0, 0usize, 0usize);
    while taken < k {
        let mut j = i;
        while j + 1 < idx.len() && scores[idx[j + 1]] == scores[idx[i]] {
            j += 1;
        }
        let group = j - i + 1;
        let pos = idx[i..=j].iter().filter(|&&x| labels[x]).count() as f64;
        let take = group.min(k - taken);
        hits += pos * take as f64 / group as f64;
        taken += take;
        i = j + 1;
    }
    Some(hits / k as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_of_perfect_reversed_and_tied_scores() {
        let y = [false, false, true, true];
        assert_eq!(auc(&[0.1, 0.2, 0.8, 0.9], &y), Some(1.0));
        assert_eq!(auc(&[0.9, 0.8, 0.2, 0.1], &y), Some(0.0));
        assert_eq!(auc(&[0.5, 0.5, 0.5, 0.5], &y), Some(0.5));
        assert_eq!(auc(&[0.5, 0.5], &[true, true]), None);
    }

    #[test]
    fn precision_at_k_shares_ties_fairly() {
        let y = [true, false, true, false];
        assert_eq!(precision_at(&[4.0, 3.0, 2.0, 1.0], &y, 1), Some(1.0));
        assert_eq!(precision_at(&[4.0, 3.0, 2.0, 1.0], &y, 2), Some(0.5));
        // all tied: expected precision is the base rate
        assert_eq!(precision_at(&[1.0; 4], &y, 2), Some(0.5));
    }

    #[test]
    fn the_model_learns_a_planted_signal() {
        let x: Vec<Vec<f64>> = (0..400).map(|i| vec![(i % 10) as f64, ((i * 7) % 13) as f64]).collect();
        let y: Vec<bool> = x.iter().map(|r| r[0] >= 6.0).collect();
        let m = EscalationModel::fit(&x, &y).unwrap().unwrap();
        let p: Vec<f64> = x.iter().map(|r| m.prob(r)).collect();
        assert!(auc(&p, &y).unwrap() > 0.99);
        assert!(m.prob(&[9.0, 3.0]) > m.prob(&[1.0, 3.0]));
        // kept as JSON, it reads back to the last bit
        let kept = serde_json::to_string(&m).unwrap();
        assert_eq!(serde_json::from_str::<EscalationModel>(&kept).unwrap(), m);
        assert!(!crate::has_raw_identifier(&kept), "{kept}");
    }
}
