//! The risk weights (`models/risk.toml`) and the sensitive-period calendar
//! (`models/calendar.toml`), read and checked: every problem in a file is listed at once.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::Deserialize;

use crate::model::Level;
use crate::{Error, Result};

/// `[[people or cases, points]]`, ascending: the highest tier reached applies.
pub type Tiers = Vec<[u32; 2]>;

/// The points of the highest tier `n` reaches, if any.
pub fn tier_points(tiers: &Tiers, n: u32) -> Option<u32> {
    tiers.iter().filter(|t| n >= t[0]).map(|t| t[1]).next_back()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Levels {
    pub red: u32,
    pub orange: u32,
    pub yellow: u32,
}

impl Levels {
    /// The least score of a level named in a settings file (红 → red, …; 蓝 or another name → 0).
    pub fn threshold(&self, level: &str) -> u32 {
        match Level::parse(level) {
            Some(Level::Red) => self.red,
            Some(Level::Orange) => self.orange,
            Some(Level::Yellow) => self.yellow,
            Some(Level::Blue) | None => 0,
        }
    }

    pub fn of(&self, score: u32) -> Level {
        if score >= self.red {
            Level::Red
        } else if score >= self.orange {
            Level::Orange
        } else if score >= self.yellow {
            Level::Yellow
        } else {
            Level::Blue
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Crowd {
    pub tiers: Tiers,
    pub flag_only: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelPoints {
    pub cross_level: u32,
    pub province: u32,
    pub beijing: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Repeat {
    pub window_days: i64,
    pub per_prior: u32,
    pub max: u32,
    pub escalation: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Linked {
    pub window_days: i64,
    pub min_people: u32,
    pub tiers: Tiers,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Handling {
    pub overdue_base: u32,
    pub overdue_per_days: u32,
    pub overdue_max: u32,
    pub dissatisfied: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Online {
    pub window_days: i64,
    pub tiers: Tiers,
    pub engagement: i64,
    pub engagement_points: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    pub window_days: i64,
    pub per_recent: u32,
    pub max_bonus: u32,
}

/// A mass of people with one of these kinds sets `level`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FloorMass {
    pub people: u32,
    pub kinds: Vec<String>,
    pub level: String,
}

/// `models/risk.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskWeights {
    pub levels: Levels,
    pub crowd: Crowd,
    pub level: LevelPoints,
    /// Points per threat kind, and `flag_only`.
    pub threat: BTreeMap<String, u32>,
    /// Points per kind of history the text tells (第四次反映, 已到省里反映, 涉诉多年).
    pub history_text: BTreeMap<String, u32>,
    /// The least level a single signal sets, whatever the points: a text kind, `集体访`
    /// or a focus topic → 红 / 橙 / 黄.
    pub floor: BTreeMap<String, String>,
    pub floor_mass: FloorMass,
    pub repeat: Repeat,
    pub topic: BTreeMap<String, u32>,
    pub linked: Linked,
    pub handling: Handling,
    pub online: Online,
    pub group: Group,
}

impl RiskWeights {
    pub fn load(path: &Path) -> Result<RiskWeights> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::input(path, e.to_string()))?;
        let w: RiskWeights = toml::from_str(&text).map_err(|e| config_error(path, vec![e.to_string()]))?;
        let mut problems = vec![];
        for (name, t) in
            [("crowd.tiers", &w.crowd.tiers), ("linked.tiers", &w.linked.tiers), ("online.tiers", &w.online.tiers)]
        {
            if t.windows(2).any(|p| p[0][0] >= p[1][0]) {
                problems.push(format!("{name}: tiers must be in ascending order of their first number"));
            }
        }
        let l = &w.levels;
        if !(l.red > l.orange && l.orange > l.yellow) {
            problems.push(format!("levels: need red > orange > yellow, found {} / {} / {}", l.red, l.orange, l.yellow));
        }
        for (name, days) in [
            ("repeat.window_days", w.repeat.window_days),
            ("linked.window_days", w.linked.window_days),
            ("online.window_days", w.online.window_days),
            ("group.window_days", w.group.window_days),
        ] {
            if days <= 0 {
                problems.push(format!("{name}: must be at least 1 day, found {days}"));
            }
        }
        for (kind, level) in &w.floor {
            if !["红", "橙", "黄"].contains(&level.as_str()) {
                problems.push(format!("floor.{kind}: the level must be 红, 橙 or 黄, found {level:?}"));
            }
            if !crate::text::threat::THREAT_KINDS.contains(&kind.as_str())
                && !crate::text::threat::HISTORY_KINDS.contains(&kind.as_str())
                && kind != "集体访"
                && !w.topic.contains_key(kind)
            {
                problems.push(format!(
                    "floor.{kind}: not a kind the text stage finds, 集体访, or a focus topic listed in [topic]"
                ));
            }
        }
        if !["红", "橙", "黄"].contains(&w.floor_mass.level.as_str()) {
            problems.push(format!("floor_mass.level: must be 红, 橙 or 黄, found {:?}", w.floor_mass.level));
        }
        if w.handling.overdue_per_days == 0 {
            problems.push("handling.overdue_per_days: must be at least 1".into());
        }
        if problems.is_empty() { Ok(w) } else { Err(config_error(path, problems)) }
    }

    /// The weights shipped in `models/risk.toml` (for tests).
    pub fn builtin() -> RiskWeights {
        toml::from_str(include_str!("../../models/risk.toml")).expect("models/risk.toml is valid")
    }
}

fn config_error(path: &Path, problems: Vec<String>) -> Error {
    Error::Config { path: PathBuf::from(path), problems }
}

/// One sensitive period.
#[derive(Debug, Clone)]
pub struct Event {
    pub name: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub lead_days: i64,
    pub before: u32,
    pub during: u32,
    pub topics: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEvent {
    name: String,
    start: String,
    end: String,
    lead_days: i64,
    before: u32,
    during: u32,
    #[serde(default)]
    topics: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCalendar {
    #[serde(default)]
    event: Vec<RawEvent>,
}

/// `models/calendar.toml`.
#[derive(Debug, Clone, Default)]
pub struct Calendar {
    pub events: Vec<Event>,
}

/// The reason a day carries in a sensitive period: (text, points).
impl Calendar {
    pub fn load(path: &Path) -> Result<Calendar> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::input(path, e.to_string()))?;
        Calendar::parse(&text).map_err(|p| config_error(path, p))
    }

    pub fn builtin() -> Calendar {
        Calendar::parse(include_str!("../../models/calendar.toml")).expect("models/calendar.toml is valid")
    }

    fn parse(text: &str) -> std::result::Result<Calendar, Vec<String>> {
        let raw: RawCalendar = toml::from_str(text).map_err(|e| vec![e.to_string()])?;
        let mut problems = vec![];
        let mut events = vec![];
        for (i, e) in raw.event.into_iter().enumerate() {
            let day = |s: &str, key: &str, problems: &mut Vec<String>| {
                NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .map_err(|_| {
                        problems.push(format!(
                            "event {} ({}): {key} `{s}` is not a date like 2026-03-04",
                            i + 1,
                            e.name
                        ))
                    })
                    .ok()
            };
            let (start, end) = (day(&e.start, "start", &mut problems), day(&e.end, "end", &mut problems));
            if let (Some(start), Some(end)) = (start, end) {
                if end < start {
                    problems.push(format!("event {} ({}): end {end} is before start {start}", i + 1, e.name));
                }
                events.push(Event {
                    name: e.name,
                    start,
                    end,
                    lead_days: e.lead_days.max(0),
                    before: e.before,
                    during: e.during,
                    topics: e.topics,
                });
            }
        }
        if problems.is_empty() { Ok(Calendar { events }) } else { Err(problems) }
    }

    /// The strongest period a day falls in for a topic: `("两会前7天", 8)` or `("国庆期间", 8)`.
    pub fn period(&self, day: NaiveDate, topic: &str) -> Option<(String, u32)> {
        self.events
            .iter()
            .filter(|e| e.topics.is_empty() || e.topics.iter().any(|t| t == topic))
            .filter_map(|e| {
                if day >= e.start && day <= e.end {
                    Some((format!("{}期间", e.name), e.during))
                } else if day < e.start && (e.start - day).num_days() <= e.lead_days {
                    Some((format!("{}前{}天", e.name, (e.start - day).num_days()), e.before))
                } else {
                    None
                }
            })
            .max_by_key(|(_, p)| *p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn builtin_files_parse() {
        let w = RiskWeights::builtin();
        assert_eq!(w.levels.of(80), Level::Red);
        assert_eq!(w.levels.of(79), Level::Orange);
        assert_eq!(w.levels.of(39), Level::Blue);
        assert!(!Calendar::builtin().events.is_empty());
    }

    #[test]
    fn tiers_pick_the_highest_reached() {
        let t: Tiers = vec![[5, 10], [20, 18], [30, 25]];
        assert_eq!(tier_points(&t, 4), None);
        assert_eq!(tier_points(&t, 5), Some(10));
        assert_eq!(tier_points(&t, 38), Some(25));
    }

    #[test]
    fn calendar_names_days_before_and_during() {
        let c = Calendar::builtin();
        assert_eq!(c.period(d("2026-02-25"), "房地产"), Some(("两会前7天".into(), 8)));
        assert_eq!(c.period(d("2026-03-05"), "房地产"), Some(("两会期间".into(), 10)));
        assert_eq!(c.period(d("2026-03-20"), "房地产"), None);
        // the Spring Festival entry is for wage arrears only
        assert_eq!(c.period(d("2026-01-20"), "房地产"), None);
        assert_eq!(c.period(d("2026-01-20"), "欠薪"), Some(("春节前28天".into(), 6)));
    }

    #[test]
    fn a_bad_calendar_lists_every_problem() {
        let text = r#"
[[event]]
name = "甲"
start = "2026-13-01"
end = "2026-01-01"
lead_days = 3
before = 1
during = 2
[[event]]
name = "乙"
start = "2026-03-05"
end = "2026-03-01"
lead_days = 3
before = 1
during = 2
"#;
        let problems = Calendar::parse(text).unwrap_err();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("2026-13-01"));
        assert!(problems[1].contains("before start"));
    }
}
