//! The rule score: each factor of DESIGN.md's risk section adds points with a reason a
//! person can check against the case (`集体访 38人 +25`, `扬言"去北京" +20`).

use chrono::NaiveDate;

use super::config::{Calendar, RiskWeights, tier_points};
use super::history::History;
use crate::facts::{CaseFacts, LEVEL_NAMES};
use crate::model::entity_name;

/// One reason and its points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    /// Stable name of the factor (rolled up per group): 集体访, 进京访, 扬言, 重复信访, …
    pub factor: &'static str,
    /// What a reader sees, points included.
    pub text: String,
    pub points: u32,
}

impl Reason {
    fn new(factor: &'static str, detail: String, points: u32) -> Reason {
        let text =
            if detail.is_empty() { format!("{factor} +{points}") } else { format!("{factor} {detail} +{points}") };
        Reason { factor, text, points }
    }
}

/// A case's score (0–100) and reasons, largest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scored {
    pub score: u32,
    pub reasons: Vec<Reason>,
}

/// What a case's handling shows on a day: the days it is overdue, if it is, and whether a
/// 不满意 rating is known. It is the only part of `score` that depends on the day, so two
/// days with the same handling give the same score.
pub fn handling_on(f: &CaseFacts, known_on: NaiveDate) -> (Option<u32>, bool) {
    let closed_by = f.closed.is_some_and(|c| c.date() <= known_on);
    let overdue = f
        .due
        .map(|d| d.date())
        .filter(|&due| !closed_by && due < known_on)
        .map(|due| (known_on - due).num_days() as u32);
    let rated_by = f.closed.or(f.replied).is_some_and(|c| c.date() <= known_on);
    (overdue, rated_by && f.satisfaction.as_deref() == Some("不满意"))
}

/// Score a case with what was known on `known_on` (the run's as-of date; or, in a time-split
/// evaluation, the day the case arrived, when nothing about its handling is known yet).
pub fn score(f: &CaseFacts, h: &History, w: &RiskWeights, cal: &Calendar, known_on: NaiveDate) -> Scored {
    let mut r: Vec<Reason> = vec![];
    // the group the text speaks for ("二百余户业主"), when it also plans or threatens something
    let told: Option<i32> = f
        .threats
        .iter()
        .find(|(k, _)| k == crate::text::threat::SIZE_KIND)
        .and_then(|(_, n)| n.trim_end_matches('人').parse().ok())
        .filter(|_| f.has_threat());
    // head count and collective visits
    if !f.is_collective()
        && let Some(n) = told.filter(|&n| n >= 5)
        && let Some(p) = tier_points(&w.crowd.tiers, n as u32)
    {
        r.push(Reason::new("集体访", format!("文中{n}人"), p));
    }
    if f.is_collective() {
        match f.headcount.filter(|&n| n > 0).and_then(|n| tier_points(&w.crowd.tiers, n as u32).map(|p| (n, p))) {
            Some((n, p)) => r.push(Reason::new("集体访", format!("{n}人"), p)),
            None => r.push(Reason::new("集体访", String::new(), w.crowd.flag_only)),
        }
    }
    // where it was lodged
    let lodged = if f.to_beijing || f.level >= 3 {
        Some(("进京访", w.level.beijing))
    } else if f.to_province || f.level == 2 {
        Some(("赴省访", w.level.province))
    } else if f.cross_level {
        Some(("越级访", w.level.cross_level))
    } else {
        None
    };
    if let Some((name, p)) = lodged {
        r.push(Reason::new(name, String::new(), p));
    }
    // threat language: the two strongest kinds
    let mut threats: Vec<Reason> = vec![];
    for (kind, term) in &f.threats {
        let Some(&p) = w.threat.get(kind.as_str()) else { continue };
        if threats.iter().all(|t| !t.text.contains(&format!("({kind})"))) {
            threats.push(Reason { factor: "扬言", text: format!("扬言\"{term}\"({kind}) +{p}"), points: p });
        }
    }
    threats.sort_by(|a, b| b.points.cmp(&a.points).then_with(|| a.text.cmp(&b.text)));
    threats.truncate(2);
    if threats.is_empty() && f.threat_flag {
        threats.push(Reason::new("扬言", "(登记标注)".into(), w.threat.get("flag_only").copied().unwrap_or(0)));
    }
    r.extend(threats);
    // history as the text tells it; a repeat on record counts instead of a repeat told
    for (kind, term) in &f.threats {
        let Some(&p) = w.history_text.get(kind.as_str()) else { continue };
        if kind == "重复" && h.person_prior > 0 {
            continue;
        }
        if r.iter().all(|x| !x.text.contains(&format!("({kind})"))) {
            r.push(Reason { factor: "自述访史", text: format!("自述访史\"{term}\"({kind}) +{p}"), points: p });
        }
    }
    // the same petitioner again, and higher than before
    if h.person_prior > 0 {
        let p = (h.person_prior * w.repeat.per_prior).min(w.repeat.max);
        r.push(Reason::new("重复信访", format!("{}天内第{}次", w.repeat.window_days, h.person_prior + 1), p));
    }
    if let Some(prev) = h.person_prior_level.filter(|&l| f.level > l) {
        r.push(Reason::new(
            "逐级升级",
            format!("{}→{}", LEVEL_NAMES[prev as usize], LEVEL_NAMES[f.level as usize]),
            w.repeat.escalation,
        ));
    }
    // focus topic
    if let Some(&p) = w.topic.get(&*f.focus_topic) {
        r.push(Reason::new("重点领域", f.focus_topic.to_string(), p));
    }
    // sensitive periods, by the day the case arrived
    if let Some((name, p)) = cal.period(f.received.date(), &f.focus_topic) {
        r.push(Reason::new("敏感节点", name, p));
    }
    // 串联: many petitions about one entity from several people
    if h.entity_people >= w.linked.min_people {
        if let Some(p) = tier_points(&w.linked.tiers, h.entity_cases) {
            let name = f.entity.as_deref().map_or("", entity_name);
            r.push(Reason::new(
                "串联",
                format!("{}天内涉{}信访{}件{}人", w.linked.window_days, name, h.entity_cases, h.entity_people),
                p,
            ));
        }
    }
    // handling, as known on the day
    let (overdue, dissatisfied) = handling_on(f, known_on);
    if let Some(over) = overdue {
        let p = (w.handling.overdue_base + over / w.handling.overdue_per_days).min(w.handling.overdue_max);
        r.push(Reason::new("逾期未办结", format!("{over}天"), p));
    }
    if dissatisfied {
        r.push(Reason::new("不满意", String::new(), w.handling.dissatisfied));
    }
    // amplification online
    if let Some(p) = tier_points(&w.online.tiers, h.online_posts) {
        let extra = if h.online_engagement >= w.online.engagement { w.online.engagement_points } else { 0 };
        r.push(Reason::new(
            "网上发酵",
            format!("{}天内网上{}条 互动{}", w.online.window_days, h.online_posts, h.online_engagement),
            p + extra,
        ));
    }
    let mut score = r.iter().map(|x| x.points).sum::<u32>().min(100);
    // floors: one extreme signal sets the least level, whatever the points add up to
    let mut floors: Vec<(u32, String, String)> = vec![];
    let mut floor = |level: &str, why: String| floors.push((w.levels.threshold(level), level.to_string(), why));
    for (kind, term) in &f.threats {
        if let Some(l) = w.floor.get(kind.as_str()) {
            floor(l, format!("\"{term}\" {kind}"));
        }
        let m = &w.floor_mass;
        let people = f.headcount.unwrap_or(0).max(told.unwrap_or(0));
        if m.kinds.contains(kind) && people >= m.people as i32 {
            floor(&m.level, format!("{people}人 \"{term}\" {kind}"));
        }
    }
    if f.is_collective()
        && let Some(l) = w.floor.get("集体访")
    {
        floor(l, "集体访".into());
    }
    if let Some(l) = w.floor.get(&*f.focus_topic) {
        floor(l, format!("重点领域 {}", f.focus_topic));
    }
    floors.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.2.cmp(&b.2)));
    if let Some((least, level, why)) = floors.into_iter().next().filter(|fl| fl.0 > score) {
        r.push(Reason {
            factor: "底线",
            text: format!("底线 {level}({why}) +{}", least - score),
            points: least - score,
        });
        score = least;
    }
    r.sort_by(|a, b| b.points.cmp(&a.points).then_with(|| a.text.cmp(&b.text)));
    Scored { score, reasons: r }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn case() -> CaseFacts {
        CaseFacts {
            case_id: "XF1".into(),
            source: "petition".into(),
            received: day("2026-05-12").and_hms_opt(10, 0, 0).unwrap(),
            focus_topic: "其他".into(),
            ..Default::default()
        }
    }

    #[test]
    fn thirty_eight_people_and_beijing_both_count() {
        let mut f = case();
        f.headcount = Some(38);
        f.collective = true;
        f.threats = vec![("进京".into(), "去北京".into())];
        let s = score(&f, &History::default(), &RiskWeights::builtin(), &Calendar::default(), day("2026-05-12"));
        let texts: Vec<&str> = s.reasons.iter().map(|r| r.text.as_str()).collect();
        assert_eq!(texts, ["集体访 38人 +25", "扬言\"去北京\"(进京) +20", "底线 橙(\"去北京\" 进京) +15"]);
        assert_eq!(s.score, 60);
    }

    #[test]
    fn five_people_make_a_collective_visit_without_the_flag() {
        let mut f = case();
        f.headcount = Some(5);
        let s = score(&f, &History::default(), &RiskWeights::builtin(), &Calendar::default(), day("2026-05-12"));
        assert!(s.reasons.iter().any(|r| r.text == "集体访 5人 +10"), "{s:?}");
        assert_eq!(RiskWeights::builtin().levels.of(s.score), crate::model::Level::Yellow, "a 集体访 is at least 黄");
        f.headcount = Some(4);
        let s = score(&f, &History::default(), &RiskWeights::builtin(), &Calendar::default(), day("2026-05-12"));
        assert!(s.reasons.is_empty());
    }

    #[test]
    fn repeat_escalation_overdue_and_period() {
        let mut f = case();
        f.received = day("2026-02-25").and_hms_opt(9, 0, 0).unwrap();
        f.level = 2;
        f.to_province = true;
        f.focus_topic = "非法集资".into();
        f.due = Some(day("2026-04-01").and_hms_opt(0, 0, 0).unwrap());
        let h = History { person_prior: 3, person_prior_level: Some(0), ..Default::default() };
        let s = score(&f, &h, &RiskWeights::builtin(), &Calendar::builtin(), day("2026-04-13"));
        let texts: Vec<&str> = s.reasons.iter().map(|r| r.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "赴省访 +15",
                "重复信访 90天内第4次 +12",
                "逐级升级 县→省 +10",
                "重点领域 非法集资 +10",
                "敏感节点 两会前7天 +8",
                "逾期未办结 12天 +6"
            ]
        );
        assert_eq!(s.score, 15 + 12 + 10 + 10 + 8 + 6);
        // the same case on the day it arrived: nothing about handling is known
        let s = score(&f, &h, &RiskWeights::builtin(), &Calendar::builtin(), day("2026-02-25"));
        assert!(s.reasons.iter().all(|r| r.factor != "逾期未办结"));
    }

    #[test]
    fn one_extreme_signal_sets_a_floor_with_its_reason() {
        let mut f = case();
        f.threats = vec![("自伤".into(), "买好了一桶汽油".into())];
        let s = score(&f, &History::default(), &RiskWeights::builtin(), &Calendar::default(), day("2026-05-12"));
        let w = RiskWeights::builtin();
        assert_eq!(w.levels.of(s.score), crate::model::Level::Red, "{s:?}");
        assert!(s.reasons.iter().any(|r| r.factor == "底线" && r.text.contains("自伤")), "{s:?}");
        assert_eq!(s.reasons.iter().map(|r| r.points).sum::<u32>(), s.score, "the reasons add up to the score");
        f.threats = vec![("横幅".into(), "拉横幅".into())];
        let s = score(&f, &History::default(), &w, &Calendar::default(), day("2026-05-12"));
        assert_eq!(w.levels.of(s.score), crate::model::Level::Orange);
        // history told in the text counts, unless the record already shows it
        f.threats = vec![("重复".into(), "第四次反映".into())];
        let s = score(&f, &History::default(), &w, &Calendar::default(), day("2026-05-12"));
        assert!(s.reasons.iter().any(|r| r.factor == "自述访史"), "{s:?}");
        let h = History { person_prior: 3, ..Default::default() };
        let s = score(&f, &h, &w, &Calendar::default(), day("2026-05-12"));
        assert!(s.reasons.iter().all(|r| r.factor != "自述访史"), "{s:?}");
    }

    proptest::proptest! {
        /// The score on arrival is the score of a later day whenever the case's handling
        /// shows the same on both (what `risk` relies on to score each case once).
        #[test]
        fn equal_handling_gives_an_equal_score(
            due in proptest::option::of(0i64..120),
            closed in proptest::option::of(0i64..120),
            replied in proptest::option::of(0i64..120),
            unhappy in proptest::bool::ANY,
            later in 0i64..150,
        ) {
            let at = |d: i64| day("2026-03-01").and_hms_opt(9, 0, 0).unwrap() + chrono::Duration::days(d);
            let mut f = case();
            f.received = at(0);
            (f.due, f.closed, f.replied) = (due.map(at), closed.map(at), replied.map(at));
            f.satisfaction = unhappy.then(|| "不满意".into());
            f.headcount = Some(6);
            let (w, cal, h) = (RiskWeights::builtin(), Calendar::builtin(), History::default());
            let (on, then) = (f.received.date(), at(later).date());
            if handling_on(&f, on) == handling_on(&f, then) {
                proptest::prop_assert_eq!(score(&f, &h, &w, &cal, on), score(&f, &h, &w, &cal, then));
            }
        }
    }

    #[test]
    fn score_is_capped_at_100() {
        let mut f = case();
        f.headcount = Some(300);
        f.to_beijing = true;
        f.focus_topic = "非法集资".into();
        f.threats = vec![("自伤".into(), "跳楼".into()), ("暴力".into(), "同归于尽".into())];
        let s = score(&f, &History::default(), &RiskWeights::builtin(), &Calendar::default(), day("2026-05-12"));
        assert_eq!(s.score, 100);
        assert!(s.reasons.iter().map(|r| r.points).sum::<u32>() > 100);
    }
}
