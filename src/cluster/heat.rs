//! Heat (热度): one number to rank hot issues by, 0–100.
//!
//! heat = 100 × (0.25·volume + 0.15·people + 0.15·engagement + 0.15·recency + 0.15·growth + 0.15·risk)
//!
//! - volume = ln(1 + cases) / ln(1 + the largest cluster's cases)
//! - people = ln(1 + 人次) / ln(1 + the largest 人次)
//! - engagement = ln(1 + likes + shares + comments) / ln(1 + the largest), 0 when none has any
//! - recency = exp(−days since the last case / 14)
//! - growth = cases in the last 14 days against the 14 before: (new − old) / max(old, 1),
//!   clamped to 0…3, divided by 3
//! - risk = the highest risk score of a member / 100 (0 before `minqing risk` has run)
//!
//! Clusters are ranked by heat, ties by cases then title.

use chrono::NaiveDate;

use super::Cluster;

pub const WEIGHTS: [f64; 6] = [0.25, 0.15, 0.15, 0.15, 0.15, 0.15];

fn log_share(v: f64, max: f64) -> f64 {
    if max > 0.0 { (1.0 + v).ln() / (1.0 + max).ln() } else { 0.0 }
}

/// Heat from the parts, given the largest volume, 人次 and engagement among all clusters.
pub fn heat(c: &Cluster, max: (f64, f64, f64), as_of: NaiveDate) -> f64 {
    let days_since = (as_of - c.last.date()).num_days().max(0) as f64;
    // the last 4 weeks of the trend: two fortnights
    let w = &c.weekly;
    let n = w.len();
    let new: u32 = w[n.saturating_sub(2)..].iter().sum();
    let old: u32 = w[n.saturating_sub(4)..n.saturating_sub(2)].iter().sum();
    let growth = ((f64::from(new) - f64::from(old)) / f64::from(old.max(1))).clamp(0.0, 3.0) / 3.0;
    let parts = [
        log_share(c.members.len() as f64, max.0),
        log_share(c.people as f64, max.1),
        log_share(c.engagement as f64, max.2),
        (-days_since / 14.0).exp(),
        growth,
        f64::from(c.risk_max.unwrap_or(0).clamp(0, 100)) / 100.0,
    ];
    let h = 100.0 * parts.iter().zip(WEIGHTS).map(|(p, w)| p * w).sum::<f64>();
    (h * 10.0).round() / 10.0
}

/// Set heat and heat_rank, and sort the clusters hottest first.
pub fn rank(clusters: &mut [Cluster], as_of: NaiveDate) {
    let max = clusters.iter().fold((0.0f64, 0.0f64, 0.0f64), |m, c| {
        (m.0.max(c.members.len() as f64), m.1.max(c.people as f64), m.2.max(c.engagement as f64))
    });
    for c in clusters.iter_mut() {
        c.heat = heat(c, max, as_of);
    }
    clusters.sort_by(|a, b| {
        b.heat.total_cmp(&a.heat).then(b.members.len().cmp(&a.members.len())).then_with(|| a.title.cmp(&b.title))
    });
    for (i, c) in clusters.iter_mut().enumerate() {
        c.heat_rank = i + 1;
    }
}
