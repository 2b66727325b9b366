//! Risk per petitioner and per entity: the cases' reasons rolled up, the escalation path
//! (县 → 市 → 省 → 京) with the dates each level was first reached, and the chance of
//! escalation from the learned model.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{Duration, NaiveDate, NaiveDateTime};
use rayon::prelude::*;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use super::config::RiskWeights;
use super::rules::Scored;
use crate::facts::{CaseFacts, LEVEL_NAMES};

#[derive(Debug, Clone, PartialEq)]
pub struct GroupRisk {
    /// `petitioner` or `entity`.
    pub kind: &'static str,
    pub key: String,
    pub cases: usize,
    pub recent_cases: usize,
    pub people: i64,
    pub petitioners: usize,
    pub first_seen: NaiveDateTime,
    pub last_seen: NaiveDateTime,
    pub score: u32,
    pub level: crate::model::Level,
    pub reasons: Vec<String>,
    pub escalation_path: String,
    pub escalation_prob: Option<f64>,
    pub top_case: String,
    /// Distinct matters: the focus topics of the cases, 其他 aside.
    pub matters: usize,
    /// 一人多诉 or 多人同诉.
    pub pattern: Option<&'static str>,
}

/// An entity with this many petitioners or more is 多人同诉.
pub const SAME_MATTER_PETITIONERS: usize = 3;

/// Groups of two cases or more, highest score first.
pub fn roll_up(
    facts: &[CaseFacts],
    scored: &[Scored],
    probs: &[Option<f64>],
    w: &RiskWeights,
    as_of: NaiveDate,
) -> Vec<GroupRisk> {
    let mut petitioners: HashMap<&Arc<str>, Vec<usize>> = HashMap::default();
    let mut entities: HashMap<&Arc<str>, Vec<usize>> = HashMap::default();
    for (i, f) in facts.iter().enumerate() {
        if f.received.date() > as_of {
            continue;
        }
        if let Some(p) = &f.person {
            petitioners.entry(p).or_default().push(i);
        }
        if let Some(e) = &f.entity {
            entities.entry(e).or_default().push(i);
        }
    }
    let mut todo: Vec<(&'static str, &Arc<str>, Vec<usize>)> = vec![];
    for (kind, groups) in [("petitioner", petitioners), ("entity", entities)] {
        todo.extend(groups.into_iter().filter(|(_, idx)| idx.len() >= 2).map(|(key, idx)| (kind, key, idx)));
    }
    todo.sort_unstable_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    let mut out: Vec<GroupRisk> =
        todo.par_iter().map(|(kind, key, idx)| group(kind, key, idx, facts, scored, probs, w, as_of)).collect();
    out.par_sort_by(|a, b| {
        b.score.cmp(&a.score).then(b.recent_cases.cmp(&a.recent_cases)).then(a.key.cmp(&b.key)).then(a.kind.cmp(b.kind))
    });
    out
}

#[allow(clippy::too_many_arguments)]
fn group(
    kind: &'static str,
    key: &Arc<str>,
    idx: &[usize],
    facts: &[CaseFacts],
    scored: &[Scored],
    probs: &[Option<f64>],
    w: &RiskWeights,
    as_of: NaiveDate,
) -> GroupRisk {
    let since = as_of - Duration::days(w.group.window_days);
    let recent: Vec<usize> = idx.iter().copied().filter(|&i| facts[i].received.date() > since).collect();
    let top =
        recent.iter().copied().max_by_key(|&i| (scored[i].score, std::cmp::Reverse(i))).unwrap_or(idx[idx.len() - 1]);
    let (score, reasons) = if recent.is_empty() {
        (0, vec![format!("{}天内无新信访", w.group.window_days)])
    } else {
        let bonus = ((recent.len() as u32 - 1) * w.group.per_recent).min(w.group.max_bonus);
        let mut reasons = vec![];
        if bonus > 0 {
            reasons.push(format!("{}天内{}件 +{bonus}", w.group.window_days, recent.len()));
        }
        // each factor once: its strongest reason, and how many recent cases carry it
        let mut by_factor: BTreeMap<&str, (u32, &str, usize)> = BTreeMap::new();
        for &i in &recent {
            for r in &scored[i].reasons {
                let e = by_factor.entry(r.factor).or_insert((r.points, &r.text, 0));
                if r.points > e.0 {
                    (e.0, e.1) = (r.points, &r.text);
                }
                e.2 += 1;
            }
        }
        let mut rolled: Vec<(u32, String)> = by_factor
            .into_values()
            .map(|(p, t, n)| (p, if n > 1 { format!("{t} ×{n}件") } else { t.to_string() }))
            .collect();
        rolled.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        reasons.extend(rolled.into_iter().map(|(_, t)| t));
        ((scored[top].score + bonus).min(100), reasons)
    };
    let horizon = as_of - Duration::days(super::model::HORIZON_DAYS);
    let escalation_prob =
        idx.iter().filter(|&&i| facts[i].received.date() > horizon).filter_map(|&i| probs[i]).reduce(f64::max);
    // a matter is a focus topic (the finer matter and the entity vary with how a case is
    // put); 其他 says nothing
    let matters = idx.iter().map(|&i| &facts[i].focus_topic).filter(|t| &***t != "其他").collect::<HashSet<_>>().len();
    let petitioners = idx.iter().filter_map(|&i| facts[i].person.as_ref()).collect::<HashSet<_>>().len();
    let pattern = match kind {
        "petitioner" if matters >= 2 => Some(crate::model::ONE_MANY),
        "entity" if petitioners >= SAME_MATTER_PETITIONERS => Some(crate::model::MANY_ONE),
        _ => None,
    };
    GroupRisk {
        kind,
        key: key.to_string(),
        cases: idx.len(),
        recent_cases: recent.len(),
        people: idx.iter().map(|&i| facts[i].people()).sum(),
        petitioners,
        first_seen: facts[idx[0]].received,
        last_seen: facts[idx[idx.len() - 1]].received,
        score,
        level: w.levels.of(score),
        reasons,
        escalation_path: escalation_path(idx.iter().map(|&i| &facts[i])),
        escalation_prob,
        top_case: facts[top].case_id.clone(),
        matters,
        pattern,
    }
}

/// `县 2026-01-03 → 市 2026-02-11 → 京 2026-04-02`: each new highest level with the day it was reached.
pub fn escalation_path<'a>(cases: impl Iterator<Item = &'a CaseFacts>) -> String {
    let mut steps: Vec<(u8, NaiveDate)> = vec![];
    for f in cases {
        if steps.last().is_none_or(|(l, _)| f.level > *l) {
            steps.push((f.level, f.received.date()));
        }
    }
    steps.iter().map(|(l, d)| format!("{} {d}", LEVEL_NAMES[*l as usize])).collect::<Vec<_>>().join(" → ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_records_each_new_level_once() {
        let c = |day: u32, level: u8| CaseFacts {
            received: NaiveDate::from_ymd_opt(2026, 1, day).unwrap().and_hms_opt(9, 0, 0).unwrap(),
            level,
            ..Default::default()
        };
        let cases = [c(3, 0), c(5, 0), c(11, 1), c(12, 0), c(20, 3)];
        assert_eq!(escalation_path(cases.iter()), "县 2026-01-03 → 市 2026-01-11 → 京 2026-01-20");
    }
}
