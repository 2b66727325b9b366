//! One row of flags per case: the periods it falls in, its dimensions, and which rate's
//! numerator and denominator it counts in under the deadline policy, as known on the
//! as-of day. Rates and volumes are sums of these columns per period and key ([`sums`]).

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::sync::Arc;

use chrono::{Duration, NaiveDate};

use super::deadlines::{accept_due, handle_due};
use super::{MetricsConfig, UNKNOWN};
use crate::facts::CaseFacts;
use crate::model::{Dimension, Grain, month_key, week_of};
use crate::{Error, Result};

/// Column names of the case frame.
pub mod col {
    pub const SOURCE: &str = "source";
    pub const DAY: &str = "day";
    pub const WEEK: &str = "week";
    pub const MONTH: &str = "month";
    pub const CHANNEL: &str = "channel";
    pub const TOPIC: &str = "topic";
    pub const TOWN: &str = "town";
    pub const DEPT: &str = "dept";
    pub const PEOPLE: &str = "people";
    /// Accepted, or past the acceptance limit (及时受理率 denominator).
    pub const ACCEPT_DUE: &str = "accept_due";
    pub const ACCEPT_ON_TIME: &str = "accept_on_time";
    pub const CLOSED_ON_TIME: &str = "closed_on_time";
    pub const CLOSED_LATE: &str = "closed_late";
    pub const OPEN_OVERDUE: &str = "open_overdue";
    pub const RATED: &str = "rated";
    pub const RATING_OVERDUE: &str = "rating_overdue";
    pub const SATISFIED: &str = "satisfied";
    pub const REPEAT: &str = "repeat";
    pub const FIRST: &str = "first";
    pub const HIGH_RISK: &str = "high_risk";
    pub const ONE: &str = "one";
}

fn rated(s: Option<&str>) -> bool {
    matches!(s, Some("满意" | "基本满意" | "不满意"))
}

/// One row per case: text columns (source, periods, dimensions) and count columns (people,
/// flags), by the names in [`col`].
#[derive(Debug, Clone, Default)]
pub struct CaseFrame {
    texts: Vec<(&'static str, Vec<Arc<str>>)>,
    counts: Vec<(&'static str, Vec<i64>)>,
}

impl CaseFrame {
    pub fn height(&self) -> usize {
        self.counts.first().map_or(0, |(_, v)| v.len())
    }

    fn text(&self, name: &str) -> Result<&[Arc<str>]> {
        self.texts
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_slice())
            .ok_or_else(|| Error::Internal(format!("the case frame has no text column `{name}`")))
    }

    fn count(&self, name: &str) -> Result<&[i64]> {
        self.counts
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_slice())
            .ok_or_else(|| Error::Internal(format!("the case frame has no count column `{name}`")))
    }
}

/// The same string once: periods repeat across cases.
fn interned(values: impl Iterator<Item = String>) -> Vec<Arc<str>> {
    let mut seen: HashMap<String, Arc<str>> = HashMap::default();
    values.map(|v| seen.entry(v).or_insert_with_key(|k| Arc::from(k.as_str())).clone()).collect()
}

/// The case frame. `high_risk[i]`: case i is 红 or 橙 in the `risk` table.
pub fn case_frame(facts: &[CaseFacts], high_risk: &[bool], cfg: &MetricsConfig, as_of: NaiveDate) -> CaseFrame {
    let n = facts.len();
    let mut seen_petitioner: HashSet<&str> = HashSet::default();
    let (mut acc_due, mut acc_ok, mut on_time, mut late, mut overdue) =
        (vec![0i64; n], vec![0i64; n], vec![0i64; n], vec![0i64; n], vec![0i64; n]);
    let (mut rated_v, mut rating_over, mut satisfied, mut repeat, mut first) =
        (vec![0i64; n], vec![0i64; n], vec![0i64; n], vec![0i64; n], vec![0i64; n]);
    for (i, f) in facts.iter().enumerate() {
        let closed = f.closed.map(|c| c.date()).filter(|&c| c <= as_of);
        if &*f.source == "petition" {
            let limit = accept_due(cfg.policy, f);
            let accepted = f.accepted.map(|a| a.date()).filter(|&a| a <= as_of);
            if accepted.is_some() || limit < as_of {
                acc_due[i] = 1;
                acc_ok[i] = i64::from(accepted.is_some_and(|a| a <= limit));
            }
            // 初信初访: the petitioner's first petition in the warehouse; the export's 是否重复 wins when given
            let earlier = f.person.as_deref().is_some_and(|p| !seen_petitioner.insert(p));
            let is_repeat = f.repeat_flag.unwrap_or(earlier);
            repeat[i] = i64::from(is_repeat);
            first[i] = i64::from(!is_repeat);
        }
        if let Some(due) = handle_due(cfg.policy, f) {
            match closed {
                Some(c) if c <= due => on_time[i] = 1,
                Some(_) => late[i] = 1,
                None if due < as_of => overdue[i] = 1,
                None => {}
            }
        }
        if matches!(&*f.source, "petition" | "hotline") {
            let sat = f.satisfaction.as_deref().filter(|_| closed.is_some());
            if rated(sat) {
                rated_v[i] = 1;
                satisfied[i] = i64::from(matches!(sat, Some("满意" | "基本满意")));
            } else if closed.is_some_and(|c| c + Duration::days(cfg.rating_days) < as_of) {
                rating_over[i] = 1;
            }
        }
    }
    let unknown: Arc<str> = Arc::from(UNKNOWN);
    let text = |get: &dyn Fn(&CaseFacts) -> Option<&Arc<str>>| -> Vec<Arc<str>> {
        facts.iter().map(|f| get(f).unwrap_or(&unknown).clone()).collect()
    };
    let day = |f: &CaseFacts| f.received.date();
    CaseFrame {
        texts: vec![
            (col::SOURCE, text(&|f| Some(&f.source))),
            (col::DAY, interned(facts.iter().map(|f| day(f).to_string()))),
            (col::WEEK, interned(facts.iter().map(|f| week_of(day(f))))),
            (col::MONTH, interned(facts.iter().map(|f| month_key(day(f))))),
            (col::CHANNEL, text(&|f| f.channel.as_ref())),
            (col::TOPIC, text(&|f| Some(&f.focus_topic))),
            (col::TOWN, text(&|f| f.town.as_ref())),
            (col::DEPT, text(&|f| f.dept.as_ref())),
        ],
        counts: vec![
            (col::PEOPLE, facts.iter().map(|f| f.people()).collect()),
            (col::ACCEPT_DUE, acc_due),
            (col::ACCEPT_ON_TIME, acc_ok),
            (col::CLOSED_ON_TIME, on_time),
            (col::CLOSED_LATE, late),
            (col::OPEN_OVERDUE, overdue),
            (col::RATED, rated_v),
            (col::RATING_OVERDUE, rating_over),
            (col::SATISFIED, satisfied),
            (col::REPEAT, repeat),
            (col::FIRST, first),
            (col::HIGH_RISK, high_risk.iter().map(|&b| i64::from(b)).collect()),
            (col::ONE, vec![1; n]),
        ],
    }
}

/// Sum `columns` per (period, key) over the rows of `source` (all sources when `None`);
/// the key is "全部" for the `total` dimension. Returns (period, key, sums) sorted. The
/// frame's period columns are named as the grains are (`day`, `week`, `month`).
pub fn sums(
    frame: &CaseFrame,
    source: Option<&str>,
    grain: Grain,
    dimension: Dimension,
    columns: &[&str],
) -> Result<Vec<(String, String, Vec<f64>)>> {
    let periods = frame.text(grain.as_str())?;
    // the frame's text columns are named as the dimensions are
    let keys = if dimension == Dimension::Total { None } else { Some(frame.text(dimension.as_str())?) };
    let sources = frame.text(col::SOURCE)?;
    let counts: Vec<&[i64]> = columns.iter().map(|c| frame.count(c)).collect::<Result<_>>()?;
    let mut groups: HashMap<(&str, &str), Vec<i64>> = HashMap::default();
    for i in 0..frame.height() {
        if source.is_some_and(|s| &*sources[i] != s) {
            continue;
        }
        let key = keys.map_or("全部", |k| &*k[i]);
        let sum = groups.entry((&*periods[i], key)).or_insert_with(|| vec![0; counts.len()]);
        for (s, c) in sum.iter_mut().zip(&counts) {
            *s += c[i];
        }
    }
    let mut out: Vec<(String, String, Vec<f64>)> = groups
        .into_iter()
        .map(|((p, k), v)| (p.to_string(), k.to_string(), v.into_iter().map(|x| x as f64).collect()))
        .collect();
    out.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_group_by_period_and_key_in_order() {
        let frame = CaseFrame {
            texts: vec![
                (col::SOURCE, ["petition", "hotline", "petition"].map(Arc::from).to_vec()),
                (col::MONTH, ["2026-03", "2026-03", "2026-02"].map(Arc::from).to_vec()),
                (col::TOWN, ["青石镇", "城关镇", "青石镇"].map(Arc::from).to_vec()),
            ],
            counts: vec![(col::ONE, vec![1, 1, 1]), (col::PEOPLE, vec![5, 1, 2])],
        };
        let all = sums(&frame, None, Grain::Month, Dimension::Town, &[col::ONE, col::PEOPLE]).unwrap();
        assert_eq!(
            all,
            vec![
                ("2026-02".into(), "青石镇".into(), vec![1.0, 2.0]),
                ("2026-03".into(), "城关镇".into(), vec![1.0, 1.0]),
                ("2026-03".into(), "青石镇".into(), vec![1.0, 5.0]),
            ]
        );
        let petitions = sums(&frame, Some("petition"), Grain::Month, Dimension::Total, &[col::PEOPLE]).unwrap();
        assert_eq!(
            petitions,
            vec![("2026-02".into(), "全部".into(), vec![2.0]), ("2026-03".into(), "全部".into(), vec![5.0])]
        );
        assert!(matches!(sums(&frame, None, Grain::Week, Dimension::Town, &[col::ONE]), Err(Error::Internal(_))));
    }
}
