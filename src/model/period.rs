//! Periods: the one a briefing covers ([`Period`]) and the grains the `metrics` table
//! counts in ([`Grain`]), with their keys (`2026-10-31`, `2026-W44`, `2026-10`) and the
//! calendar arithmetic between them (chrono's ISO weeks and `Months`).

use chrono::{Datelike, Days, Months, NaiveDate, Weekday};

/// The period a briefing covers, ending on the as-of day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Day,
    Week,
    Month,
}

impl Period {
    /// The `metrics` grain of this period.
    pub fn grain(self) -> Grain {
        match self {
            Period::Day => Grain::Day,
            Period::Week => Grain::Week,
            Period::Month => Grain::Month,
        }
    }

    /// 本日 / 本周 / 本月.
    pub fn name(self) -> &'static str {
        match self {
            Period::Day => "本日",
            Period::Week => "本周",
            Period::Month => "本月",
        }
    }

    /// The period holding `as_of`: its key in `metrics` and its first and last days.
    pub fn range(self, as_of: NaiveDate) -> (String, NaiveDate, NaiveDate) {
        let grain = self.grain();
        let start = period_start(grain, &grain.key(as_of)).unwrap_or(as_of);
        let end = match self {
            Period::Day => as_of,
            Period::Week => start + Days::new(6),
            Period::Month => start + Months::new(1) - Days::new(1),
        };
        (grain.key(as_of), start, end)
    }
}

/// What a `metrics` row counts over: a day, an ISO week, a month, or the state on the
/// as-of day (`asof`: open cases, deadlines, surges).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Grain {
    Day,
    Week,
    Month,
    AsOf,
}

impl Grain {
    /// The name stored in `metrics.grain`.
    pub fn as_str(self) -> &'static str {
        match self {
            Grain::Day => "day",
            Grain::Week => "week",
            Grain::Month => "month",
            Grain::AsOf => "asof",
        }
    }

    pub fn parse(s: &str) -> Option<Grain> {
        [Grain::Day, Grain::Week, Grain::Month, Grain::AsOf].into_iter().find(|g| g.as_str() == s)
    }

    /// The key of the period holding `d`: `2026-10-31`, `2026-W44`, `2026-10` (the day for `asof`).
    pub fn key(self, d: NaiveDate) -> String {
        match self {
            Grain::Day | Grain::AsOf => d.to_string(),
            Grain::Week => week_of(d),
            Grain::Month => month_key(d),
        }
    }
}

impl std::fmt::Display for Grain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `2026-W44` (ISO week).
pub fn week_of(d: NaiveDate) -> String {
    let w = d.iso_week();
    format!("{}-W{:02}", w.year(), w.week())
}

/// `2026-10`.
pub fn month_key(d: NaiveDate) -> String {
    d.format("%Y-%m").to_string()
}

/// The first day of a `day`/`week`/`month` period key.
pub fn period_start(grain: Grain, period: &str) -> Option<NaiveDate> {
    match grain {
        Grain::Day | Grain::AsOf => NaiveDate::parse_from_str(period, "%Y-%m-%d").ok(),
        Grain::Week => {
            let (y, w) = period.split_once("-W")?;
            NaiveDate::from_isoywd_opt(y.parse().ok()?, w.parse().ok()?, Weekday::Mon)
        }
        Grain::Month => NaiveDate::parse_from_str(&format!("{period}-01"), "%Y-%m-%d").ok(),
    }
}

/// The period before, and the same period a year before, of a `day`/`week`/`month` key.
pub fn previous(grain: Grain, period: &str) -> (Option<String>, Option<String>) {
    let Some(start) = period_start(grain, period) else { return (None, None) };
    match grain {
        Grain::Day => {
            (start.pred_opt().map(|d| d.to_string()), start.with_year(start.year() - 1).map(|d| d.to_string()))
        }
        Grain::Week => {
            let w = start.iso_week();
            let year_ago = NaiveDate::from_isoywd_opt(w.year() - 1, w.week(), Weekday::Mon).map(week_of);
            (start.checked_sub_days(Days::new(7)).map(week_of), year_ago)
        }
        Grain::Month => (
            start.checked_sub_months(Months::new(1)).map(month_key),
            start.checked_sub_months(Months::new(12)).map(month_key),
        ),
        Grain::AsOf => (None, None),
    }
}

/// The keys of the `n` months ending with `as_of`'s, oldest first.
pub fn months_back(as_of: NaiveDate, n: u32) -> Vec<String> {
    let first = as_of.with_day(1).unwrap_or(as_of);
    (0..n).rev().filter_map(|k| first.checked_sub_months(Months::new(k))).map(month_key).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn ranges_of_a_briefing() {
        assert_eq!(Period::Week.range(d("2026-10-31")), ("2026-W44".into(), d("2026-10-26"), d("2026-11-01")));
        assert_eq!(Period::Month.range(d("2024-02-10")), ("2024-02".into(), d("2024-02-01"), d("2024-02-29")));
        assert_eq!(Period::Month.range(d("2026-12-31")), ("2026-12".into(), d("2026-12-01"), d("2026-12-31")));
        assert_eq!(Period::Day.range(d("2026-10-31")), ("2026-10-31".into(), d("2026-10-31"), d("2026-10-31")));
    }

    #[test]
    fn previous_periods() {
        assert_eq!(previous(Grain::Month, "2026-01"), (Some("2025-12".into()), Some("2025-01".into())));
        assert_eq!(previous(Grain::Week, "2026-W01"), (Some("2025-W52".into()), Some("2025-W01".into())));
        assert_eq!(previous(Grain::Day, "2024-03-01"), (Some("2024-02-29".into()), Some("2023-03-01".into())));
        assert_eq!(previous(Grain::Day, "2024-02-29"), (Some("2024-02-28".into()), None));
        assert_eq!(previous(Grain::Month, "junk"), (None, None));
        assert_eq!(week_of(d("2027-01-01")), "2026-W53");
    }

    #[test]
    fn twelve_months_back() {
        let m = months_back(d("2026-03-31"), 12);
        assert_eq!((m.len(), m[0].as_str(), m[11].as_str()), (12, "2025-04", "2026-03"));
        for g in [Grain::Day, Grain::Week, Grain::Month, Grain::AsOf] {
            assert_eq!(Grain::parse(g.as_str()), Some(g));
        }
    }
}
