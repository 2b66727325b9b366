//! What was known about a case's petitioner and entity at the moment it arrived: earlier
//! cases of the same person, the same entity's recent petitions (串联) and online posts.
//! Only cases received up to the case itself count, so the same figures serve the rule
//! score, the learned model's features and a time-split evaluation without leaking the
//! future. One pass per person and per entity over time-sorted cases: O(n log n).

use rustc_hash::FxHashMap as HashMap;
use std::sync::Arc;

use chrono::Duration;
use rayon::prelude::*;

use super::config::RiskWeights;
use crate::facts::CaseFacts;

/// Window for the "recent escalation around this entity/person" features.
const EVENT_WINDOW_DAYS: i64 = 90;

/// Per case: its history at arrival.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    /// Earlier cases of the same petitioner within the repeat window.
    pub person_prior: u32,
    /// Highest level of any earlier case of the same petitioner.
    pub person_prior_level: Option<u8>,
    /// Earlier 越级/集体 cases of the same petitioner within 90 days.
    pub person_events: u32,
    /// Petitions and hotline orders about the same entity and focus topic within the linked
    /// window, this one included (the entity counts below are on the same topic too).
    pub entity_cases: u32,
    /// Distinct petitioners among them.
    pub entity_people: u32,
    /// Earlier cases of any source about the entity within 90 days.
    pub entity_cases_90: u32,
    /// Earlier 越级/集体 cases about the entity within 90 days.
    pub entity_events: u32,
    /// Opinion and message posts about the entity within the online window.
    pub online_posts: u32,
    pub online_engagement: i64,
    /// Days since the first case about the same entity and topic, and cases about it so far.
    pub issue_age_days: i64,
    pub issue_cases: u32,
}

fn is_online(f: &CaseFacts) -> bool {
    matches!(&*f.source, "opinion" | "message")
}

/// History of every case; `facts` must be sorted by time (as `load_facts` returns them).
pub fn histories(facts: &[CaseFacts], w: &RiskWeights) -> Vec<History> {
    let mut out = vec![History::default(); facts.len()];
    // the petitioners' and the issues' histories are apart: each worked out on its own core
    let (person, entity) = rayon::join(|| person_histories(facts, w), || entity_histories(facts, w));
    // the issue's figures (the petitioner's left at their defaults), then the petitioner's
    for (i, e) in entity.into_iter().flatten() {
        out[i] = e;
    }
    for (i, prior, level, events) in person.into_iter().flatten() {
        let h = &mut out[i];
        (h.person_prior, h.person_prior_level, h.person_events) = (prior, level, events);
    }
    out
}

/// A case's petitioner history: (case, earlier cases in the repeat window, highest earlier
/// level, earlier escalations in 90 days).
type PersonHistory = (usize, u32, Option<u8>, u32);

/// Per petitioner, each case's [`PersonHistory`].
fn person_histories(facts: &[CaseFacts], w: &RiskWeights) -> Vec<Vec<PersonHistory>> {
    let mut by_person: HashMap<&Arc<str>, Vec<usize>> = HashMap::default();
    for (i, f) in facts.iter().enumerate() {
        if let Some(p) = &f.person {
            by_person.entry(p).or_default().push(i);
        }
    }
    let repeat = Duration::days(w.repeat.window_days);
    let events = Duration::days(EVENT_WINDOW_DAYS);
    let people: Vec<Vec<usize>> = by_person.into_values().collect();
    people
        .par_iter()
        .map(|idx| {
            let (mut lo, mut ev_lo) = (0usize, 0usize);
            let mut max_level: Option<u8> = None;
            let mut ev_prefix = vec![0u32; idx.len() + 1];
            for (k, &i) in idx.iter().enumerate() {
                ev_prefix[k + 1] = ev_prefix[k] + u32::from(facts[i].is_escalation());
            }
            let mut out = Vec::with_capacity(idx.len());
            for (k, &i) in idx.iter().enumerate() {
                let t = facts[i].received;
                while facts[idx[lo]].received < t - repeat {
                    lo += 1;
                }
                while facts[idx[ev_lo]].received < t - events {
                    ev_lo += 1;
                }
                out.push((i, (k - lo) as u32, max_level, ev_prefix[k] - ev_prefix[ev_lo.min(k)]));
                max_level = Some(max_level.map_or(facts[i].level, |m| m.max(facts[i].level)));
            }
            out
        })
        .collect()
}

/// Per issue (an entity on a focus topic), per case: its entity and online figures.
fn entity_histories(facts: &[CaseFacts], w: &RiskWeights) -> Vec<Vec<(usize, History)>> {
    // one issue: the same entity on the same focus topic (a village's land case is not its school's)
    let mut by_entity: HashMap<(&Arc<str>, &Arc<str>), Vec<usize>> = HashMap::default();
    for (i, f) in facts.iter().enumerate() {
        if let Some(e) = &f.entity {
            by_entity.entry((e, &f.focus_topic)).or_default().push(i);
        }
    }
    let linked = Duration::days(w.linked.window_days);
    let online = Duration::days(w.online.window_days);
    let events = Duration::days(EVENT_WINDOW_DAYS);
    let issues: Vec<Vec<usize>> = by_entity.into_values().collect();
    issues
        .par_iter()
        .map(|idx| {
            let offline: Vec<usize> = idx.iter().copied().filter(|&i| !is_online(&facts[i])).collect();
            let posts: Vec<usize> = idx.iter().copied().filter(|&i| is_online(&facts[i])).collect();
            let mut eng_prefix = vec![0i64; posts.len() + 1];
            for (k, &i) in posts.iter().enumerate() {
                eng_prefix[k + 1] = eng_prefix[k] + facts[i].engagement;
            }
            let mut ev_prefix = vec![0u32; idx.len() + 1];
            for (k, &i) in idx.iter().enumerate() {
                ev_prefix[k + 1] = ev_prefix[k] + u32::from(facts[i].is_escalation());
            }
            // sliding windows, all moving forward with time
            let (mut off_hi, mut off_lo) = (0usize, 0usize);
            let (mut post_hi, mut post_lo) = (0usize, 0usize);
            let mut all_lo = 0usize;
            // cases in the linked window per petitioner, and how many named petitioners that is
            let mut people: HashMap<Option<&Arc<str>>, u32> = HashMap::default();
            let mut named = 0u32;
            let mut out = Vec::with_capacity(idx.len());
            for (k, &i) in idx.iter().enumerate() {
                let t = facts[i].received;
                // offline cases received up to this one (same time counts when earlier in order)
                while off_hi < offline.len() && offline[off_hi] <= i {
                    let p = facts[offline[off_hi]].person.as_ref();
                    let n = people.entry(p).or_default();
                    *n += 1;
                    if *n == 1 && p.is_some() {
                        named += 1;
                    }
                    off_hi += 1;
                }
                while off_lo < off_hi && facts[offline[off_lo]].received < t - linked {
                    let p = facts[offline[off_lo]].person.as_ref();
                    if let Some(n) = people.get_mut(&p) {
                        *n -= 1;
                        if *n == 0 {
                            people.remove(&p);
                            named -= u32::from(p.is_some());
                        }
                    }
                    off_lo += 1;
                }
                while post_hi < posts.len() && posts[post_hi] <= i {
                    post_hi += 1;
                }
                while post_lo < post_hi && facts[posts[post_lo]].received < t - online {
                    post_lo += 1;
                }
                while facts[idx[all_lo]].received < t - events {
                    all_lo += 1;
                }
                out.push((
                    i,
                    History {
                        entity_cases: (off_hi - off_lo) as u32,
                        entity_people: named,
                        entity_cases_90: (k - all_lo.min(k)) as u32,
                        entity_events: ev_prefix[k] - ev_prefix[all_lo.min(k)],
                        online_posts: (post_hi - post_lo) as u32,
                        online_engagement: eng_prefix[post_hi] - eng_prefix[post_lo],
                        issue_age_days: (t - facts[idx[0]].received).num_days(),
                        issue_cases: k as u32,
                        ..Default::default()
                    },
                ));
            }
            out
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn case(day: u32, source: &str, person: &str, entity: &str) -> CaseFacts {
        CaseFacts {
            case_id: format!("{source}{day}{person}"),
            source: source.into(),
            received: NaiveDate::from_ymd_opt(2026, 3, day).unwrap().and_hms_opt(9, 0, 0).unwrap(),
            person: (!person.is_empty()).then(|| person.into()),
            entity: (!entity.is_empty()).then(|| entity.into()),
            focus_topic: "房地产".into(),
            ..Default::default()
        }
    }

    #[test]
    fn counts_only_what_came_before() {
        let mut f = vec![
            case(1, "petition", "甲", "estate:翠湖花园"),
            case(2, "opinion", "", "estate:翠湖花园"),
            case(3, "petition", "乙", "estate:翠湖花园"),
            case(4, "petition", "甲", "estate:翠湖花园"),
            case(30, "petition", "甲", "estate:翠湖花园"),
        ];
        f[2].collective = true;
        f[3].level = 2;
        let h = histories(&f, &RiskWeights::builtin());
        assert_eq!(h[0].person_prior, 0);
        assert_eq!(h[0].entity_cases, 1);
        assert_eq!(h[3].person_prior, 1);
        assert_eq!(h[3].person_prior_level, Some(0));
        assert_eq!(h[3].entity_cases, 3);
        assert_eq!(h[3].entity_people, 2);
        assert_eq!(h[3].entity_events, 1, "the collective visit on day 3");
        assert_eq!(h[3].online_posts, 1);
        // day 30: days 1–4 are outside the 14-day window but inside 90 days
        assert_eq!(h[4].entity_cases, 1);
        assert_eq!(h[4].entity_people, 1);
        assert_eq!(h[4].person_prior, 2);
        assert_eq!(h[4].person_prior_level, Some(2));
        assert_eq!(h[4].online_posts, 0);
        assert_eq!(h[4].entity_cases_90, 4);
    }
}
