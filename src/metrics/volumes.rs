//! Volumes in 批次 (cases) and 人次 (head count) per day, week and month, by channel,
//! source, topic, town and department, with 环比 (against the period before) and 同比
//! (against the same period a year before, for weeks and months). A change row's
//! numerator is the change, its denominator the earlier figure, its value the change as a
//! share (null when the earlier figure is 0); no change row when the earlier period starts
//! before the data does (a partly covered base would make the change meaningless).

use rustc_hash::FxHashMap as HashMap;

use super::Metric;
use super::frame::{CaseFrame, col, sums};
use crate::Result;
use crate::model::{Dimension, Grain, Measure, period_start, previous};

pub const GRAINS: [Grain; 3] = [Grain::Day, Grain::Week, Grain::Month];
pub const DIMENSIONS: [Dimension; 6] =
    [Dimension::Total, Dimension::Source, Dimension::Channel, Dimension::Topic, Dimension::Town, Dimension::Dept];

pub fn volumes(df: &CaseFrame) -> Result<Vec<Metric>> {
    let mut out = vec![];
    // a base period must lie wholly inside the data: a week the data starts in the middle of is no base
    let first_day = sums(df, None, Grain::Day, Dimension::Total, &[col::ONE])?.into_iter().map(|r| r.0).min();
    let Some(first_day) = first_day.and_then(|d| period_start(Grain::Day, &d)) else { return Ok(out) };
    for grain in GRAINS {
        for dim in DIMENSIONS {
            let rows = sums(df, None, grain, dim, &[col::ONE, col::PEOPLE])?;
            let by: HashMap<(&str, &str), &Vec<f64>> =
                rows.iter().map(|(p, k, v)| ((p.as_str(), k.as_str()), v)).collect();
            for (period, key, v) in &rows {
                out.push(Metric::count(grain, period, "all", dim, key, Measure::Cases, v[0]));
                out.push(Metric::count(grain, period, "all", dim, key, Measure::People, v[1]));
                let (prev, year_ago) = previous(grain, period);
                let changes = [
                    (Measure::CasesVsPrevious, Measure::PeopleVsPrevious, prev),
                    (Measure::CasesVsYearAgo, Measure::PeopleVsYearAgo, year_ago.filter(|_| grain != Grain::Day)),
                ];
                for (m_cases, m_people, base) in changes {
                    let Some(base) = base.filter(|b| period_start(grain, b).is_some_and(|s| s >= first_day)) else {
                        continue;
                    };
                    let b = by.get(&(base.as_str(), key.as_str())).map_or([0.0, 0.0], |v| [v[0], v[1]]);
                    out.push(Metric::count(grain, period, "all", dim, key, m_cases, v[0] - b[0]).over(b[0]));
                    out.push(Metric::count(grain, period, "all", dim, key, m_people, v[1] - b[1]).over(b[1]));
                }
            }
        }
    }
    Ok(out)
}
