//! Surges (异动): a topic, town or entity whose count in the last 7 days is far above its
//! own baseline, the 8 weeks before. A key surges when all hold:
//!
//! - at least `MIN_CASES` (5) cases this week;
//! - at least twice its weekly baseline mean μ;
//! - above μ by at least 3 × max(σ, √μ, 1), σ the baseline's standard deviation
//!   (√μ: the Poisson spread, so quiet keys are not flagged on noise).
//!
//! The jump is reported as this week's count, μ, the ratio and the difference.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};

use super::Metric;
use crate::facts::CaseFacts;
use crate::model::entity_name;
use crate::model::{Dimension, Grain, Measure};

pub const BASELINE_WEEKS: usize = 8;
pub const MIN_CASES: u32 = 5;

#[derive(Debug, Clone, PartialEq)]
pub struct Surge {
    pub dimension: Dimension,
    pub key: String,
    pub count: u32,
    pub mean: f64,
    pub sd: f64,
}

impl Surge {
    pub fn describe(&self) -> String {
        let name = match self.dimension {
            Dimension::Topic => "领域",
            Dimension::Town => "属地",
            _ => "对象",
        };
        if self.mean > 0.0 {
            format!(
                "{name}「{}」近7天{}件，为前8周周均{:.1}件的{:.1}倍",
                self.key,
                self.count,
                self.mean,
                self.count as f64 / self.mean
            )
        } else {
            format!("{name}「{}」近7天{}件，前8周无", self.key, self.count)
        }
    }

    pub fn metric(&self, as_of: NaiveDate) -> Metric {
        Metric::count(
            Grain::AsOf,
            &as_of.to_string(),
            "all",
            self.dimension,
            &self.key,
            Measure::Surge,
            self.count as f64,
        )
        .over(self.mean)
        .with_note(format!(
            "近7天{}件；前{}周周均{:.1}件，标准差{:.1}；增加{:.1}件",
            self.count,
            BASELINE_WEEKS,
            self.mean,
            self.sd,
            self.count as f64 - self.mean
        ))
    }
}

/// Weekly counts ending on `as_of`: index 0 is the last 7 days, 1..=8 the weeks before.
pub fn find(facts: &[CaseFacts], as_of: NaiveDate) -> Vec<Surge> {
    let start = as_of - Duration::days(7 * (BASELINE_WEEKS as i64 + 1));
    let mut counts: BTreeMap<(Dimension, String), [u32; BASELINE_WEEKS + 1]> = BTreeMap::new();
    for f in facts {
        let d = f.received.date();
        if d <= start || d > as_of {
            continue;
        }
        let week = ((as_of - d).num_days() / 7) as usize;
        let mut add = |dim: Dimension, key: &str| {
            counts.entry((dim, key.to_string())).or_insert([0; BASELINE_WEEKS + 1])[week] += 1
        };
        if &*f.focus_topic != "其他" {
            add(Dimension::Topic, &f.focus_topic);
        }
        if let Some(t) = &f.town {
            add(Dimension::Town, t);
        }
        if let Some(e) = &f.entity {
            add(Dimension::Entity, entity_name(e));
        }
    }
    let mut out: Vec<Surge> = counts
        .into_iter()
        .filter_map(|((dimension, key), c)| {
            let base = &c[1..];
            let mean = base.iter().map(|&x| f64::from(x)).sum::<f64>() / BASELINE_WEEKS as f64;
            let sd = (base.iter().map(|&x| (f64::from(x) - mean).powi(2)).sum::<f64>() / BASELINE_WEEKS as f64).sqrt();
            let x = f64::from(c[0]);
            let surge = c[0] >= MIN_CASES && x >= 2.0 * mean && x - mean >= 3.0 * sd.max(mean.sqrt()).max(1.0);
            surge.then_some(Surge { dimension, key, count: c[0], mean, sd })
        })
        .collect();
    out.sort_by(|a, b| {
        (b.count as f64 - b.mean)
            .total_cmp(&(a.count as f64 - a.mean))
            .then_with(|| a.key.cmp(&b.key))
            .then_with(|| a.dimension.as_str().cmp(b.dimension.as_str()))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on(day: NaiveDate, topic: &str) -> CaseFacts {
        CaseFacts { received: day.and_hms_opt(9, 0, 0).unwrap(), focus_topic: topic.into(), ..Default::default() }
    }

    #[test]
    fn a_jump_over_a_steady_baseline_is_found_and_steady_topics_are_not() {
        let as_of = NaiveDate::from_ymd_opt(2026, 3, 31).unwrap();
        let mut facts = vec![];
        for w in 0..9 {
            let day = as_of - Duration::days(7 * w + 1);
            // 教育: 3 a week throughout; 欠薪: 2 a week, then 15 in the last week
            for _ in 0..3 {
                facts.push(on(day, "教育"));
            }
            for _ in 0..(if w == 0 { 15 } else { 2 }) {
                facts.push(on(day, "欠薪"));
            }
        }
        let s = find(&facts, as_of);
        assert_eq!(s.len(), 1, "{s:?}");
        assert_eq!((s[0].key.as_str(), s[0].count, s[0].mean), ("欠薪", 15, 2.0));
        assert_eq!(s[0].describe(), "领域「欠薪」近7天15件，为前8周周均2.0件的7.5倍");
    }

    #[test]
    fn a_handful_of_new_cases_is_not_a_surge() {
        let as_of = NaiveDate::from_ymd_opt(2026, 3, 31).unwrap();
        let facts: Vec<CaseFacts> = (0..4).map(|_| on(as_of, "村务")).collect();
        assert!(find(&facts, as_of).is_empty());
    }
}
