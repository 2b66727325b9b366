//! One row of flags per case: the periods it falls in, its dimensions, and which rate's
//! numerator and denominator it counts in under the deadline policy, as known on the
//! as-of day. Rates and volumes are sums of these columns (polars).

use chrono::{Datelike, Duration, NaiveDate};
use polars::prelude::*;

use super::deadlines::{accept_due, handle_due};
use super::{MetricsConfig, UNKNOWN};
use crate::Result;
use crate::pipeline::facts::CaseFacts;

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

/// `2026-W44` (ISO week).
pub fn week_of(d: NaiveDate) -> String {
    let w = d.iso_week();
    format!("{}-W{:02}", w.year(), w.week())
}

/// The period before, and the same period a year before, of a `day`/`week`/`month` key.
pub fn previous(grain: &str, period: &str) -> (Option<String>, Option<String>) {
    match grain {
        "day" => {
            let Ok(d) = NaiveDate::parse_from_str(period, "%Y-%m-%d") else { return (None, None) };
            (Some((d - Duration::days(1)).to_string()), d.with_year(d.year() - 1).map(|d| d.to_string()))
        }
        "week" => {
            let Some((y, w)) = period.split_once("-W") else { return (None, None) };
            let (Ok(y), Ok(w)) = (y.parse::<i32>(), w.parse::<u32>()) else { return (None, None) };
            let Some(monday) = NaiveDate::from_isoywd_opt(y, w, chrono::Weekday::Mon) else { return (None, None) };
            let year_ago = NaiveDate::from_isoywd_opt(y - 1, w, chrono::Weekday::Mon).map(week_of);
            (Some(week_of(monday - Duration::days(7))), year_ago)
        }
        "month" => {
            let Ok(d) = NaiveDate::parse_from_str(&format!("{period}-01"), "%Y-%m-%d") else { return (None, None) };
            let prev = if d.month() == 1 {
                format!("{}-12", d.year() - 1)
            } else {
                format!("{}-{:02}", d.year(), d.month() - 1)
            };
            (Some(prev), Some(format!("{}-{:02}", d.year() - 1, d.month())))
        }
        _ => (None, None),
    }
}

/// The first day of a `day`/`week`/`month` period key.
pub fn period_start(grain: &str, period: &str) -> Option<NaiveDate> {
    match grain {
        "day" => NaiveDate::parse_from_str(period, "%Y-%m-%d").ok(),
        "week" => {
            let (y, w) = period.split_once("-W")?;
            NaiveDate::from_isoywd_opt(y.parse().ok()?, w.parse().ok()?, chrono::Weekday::Mon)
        }
        "month" => NaiveDate::parse_from_str(&format!("{period}-01"), "%Y-%m-%d").ok(),
        _ => None,
    }
}

fn rated(s: Option<&str>) -> bool {
    matches!(s, Some("满意" | "基本满意" | "不满意"))
}

/// The case frame. `high_risk[i]`: case i is 红 or 橙 in the `risk` table.
pub fn case_frame(facts: &[CaseFacts], high_risk: &[bool], cfg: &MetricsConfig, as_of: NaiveDate) -> Result<DataFrame> {
    let n = facts.len();
    let mut seen_petitioner: std::collections::HashSet<&str> = std::collections::HashSet::new();
    let (mut acc_due, mut acc_ok, mut on_time, mut late, mut overdue) =
        (vec![0i32; n], vec![0i32; n], vec![0i32; n], vec![0i32; n], vec![0i32; n]);
    let (mut rated_v, mut rating_over, mut satisfied, mut repeat, mut first) =
        (vec![0i32; n], vec![0i32; n], vec![0i32; n], vec![0i32; n], vec![0i32; n]);
    for (i, f) in facts.iter().enumerate() {
        let closed = f.closed.map(|c| c.date()).filter(|&c| c <= as_of);
        if &*f.source == "petition" {
            let limit = accept_due(cfg.policy, f);
            let accepted = f.accepted.map(|a| a.date()).filter(|&a| a <= as_of);
            if accepted.is_some() || limit < as_of {
                acc_due[i] = 1;
                acc_ok[i] = i32::from(accepted.is_some_and(|a| a <= limit));
            }
            // 初信初访: the petitioner's first petition in the warehouse; the export's 是否重复 wins when given
            let earlier = f.person.as_deref().is_some_and(|p| !seen_petitioner.insert(p));
            let is_repeat = f.repeat_flag.unwrap_or(earlier);
            repeat[i] = i32::from(is_repeat);
            first[i] = i32::from(!is_repeat);
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
                satisfied[i] = i32::from(matches!(sat, Some("满意" | "基本满意")));
            } else if closed.is_some_and(|c| c + Duration::days(cfg.rating_days) < as_of) {
                rating_over[i] = 1;
            }
        }
    }
    let strs = |get: &dyn Fn(&CaseFacts) -> Option<&str>| -> Vec<String> {
        facts.iter().map(|f| get(f).unwrap_or(UNKNOWN).to_string()).collect()
    };
    let cols = vec![
        Column::new(col::SOURCE.into(), strs(&|f| Some(&f.source))),
        Column::new(col::DAY.into(), facts.iter().map(|f| f.received.date().to_string()).collect::<Vec<_>>()),
        Column::new(col::WEEK.into(), facts.iter().map(|f| week_of(f.received.date())).collect::<Vec<_>>()),
        Column::new(
            col::MONTH.into(),
            facts.iter().map(|f| f.received.format("%Y-%m").to_string()).collect::<Vec<_>>(),
        ),
        Column::new(col::CHANNEL.into(), strs(&|f| f.channel.as_deref())),
        Column::new(col::TOPIC.into(), strs(&|f| Some(&f.focus_topic))),
        Column::new(col::TOWN.into(), strs(&|f| f.town.as_deref())),
        Column::new(col::DEPT.into(), strs(&|f| f.dept.as_deref())),
        Column::new(col::PEOPLE.into(), facts.iter().map(|f| f.people()).collect::<Vec<i64>>()),
        Column::new(col::ACCEPT_DUE.into(), acc_due),
        Column::new(col::ACCEPT_ON_TIME.into(), acc_ok),
        Column::new(col::CLOSED_ON_TIME.into(), on_time),
        Column::new(col::CLOSED_LATE.into(), late),
        Column::new(col::OPEN_OVERDUE.into(), overdue),
        Column::new(col::RATED.into(), rated_v),
        Column::new(col::RATING_OVERDUE.into(), rating_over),
        Column::new(col::SATISFIED.into(), satisfied),
        Column::new(col::REPEAT.into(), repeat),
        Column::new(col::FIRST.into(), first),
        Column::new(col::HIGH_RISK.into(), high_risk.iter().map(|&b| i32::from(b)).collect::<Vec<_>>()),
        Column::new(col::ONE.into(), vec![1i32; n]),
    ];
    Ok(DataFrame::new_infer_height(cols)?)
}

/// Sum `columns` per (period, key) over the rows of `source` (all sources when `None`);
/// the key is "全部" for the `total` dimension. Returns (period, key, sums) sorted.
pub fn sums(
    df: &DataFrame,
    source: Option<&str>,
    grain: &str,
    dimension: &str,
    columns: &[&str],
) -> Result<Vec<(String, String, Vec<f64>)>> {
    let mut lf = df.clone().lazy();
    if let Some(s) = source {
        lf = lf.filter(polars::prelude::col(col::SOURCE).eq(lit(s)));
    }
    let key = if dimension == "total" { lit("全部") } else { polars::prelude::col(dimension) };
    let aggs: Vec<Expr> =
        columns.iter().map(|c| polars::prelude::col(*c).cast(DataType::Float64).sum().alias(*c)).collect();
    let out = lf
        .with_column(key.alias("key"))
        .group_by([polars::prelude::col(grain), polars::prelude::col("key")])
        .agg(aggs)
        .sort([grain, "key"], SortMultipleOptions::default())
        .collect()?;
    let periods = out.column(grain)?.str()?.clone();
    let keys = out.column("key")?.str()?.clone();
    let values: Vec<Float64Chunked> =
        columns.iter().map(|c| out.column(c).and_then(|s| s.f64().cloned())).collect::<PolarsResult<_>>()?;
    Ok((0..out.height())
        .map(|i| {
            (
                periods.get(i).unwrap_or_default().to_string(),
                keys.get(i).unwrap_or_default().to_string(),
                values.iter().map(|v| v.get(i).unwrap_or(0.0)).collect(),
            )
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn previous_periods() {
        assert_eq!(previous("month", "2026-01"), (Some("2025-12".into()), Some("2025-01".into())));
        assert_eq!(previous("week", "2026-W01"), (Some("2025-W52".into()), Some("2025-W01".into())));
        assert_eq!(previous("day", "2028-03-01"), (Some("2028-02-29".into()), Some("2027-03-01".into())));
        assert_eq!(previous("day", "2028-02-29").1, None, "no 29 February a year before");
        assert_eq!(week_of(NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()), "2026-W53");
    }
}
