//! The work rates bureaus are ranked on, each with its numerator and denominator, per
//! week and month, in total, per department and per town (DESIGN.md):
//!
//! - 及时受理率 = accepted within the limit / (accepted + past the limit unaccepted)
//! - 按期办结率 = closed by the due day / (on time + late + open past due)
//! - 参评率 = rated / (rated + closed over `rating_days` ago and unrated)
//! - 满意率 = (满意 + 基本满意) / rated
//! - 重复信访率 = repeat petitions / petitions (the export's 是否重复, else an earlier petition
//!   of the same person_key in the warehouse)
//! - 初信初访占比 = first petitions / petitions
//!
//! A case counts in the period it was received. An empty denominator gives no value ("—").

use super::Metric;
use super::frame::{CaseFrame, col, sums};
use crate::Result;
use crate::model::{Dimension, Grain, Measure};

/// The rates of petitions (信访事项), in the order reports list them.
pub const PETITION_RATES: &[Measure] = Measure::PETITION_RATES;
const HOTLINE_RATES: &[Measure] = &[Measure::ClosedOnTime, Measure::Rated, Measure::Satisfied];

const COLUMNS: &[&str] = &[
    col::ONE,
    col::ACCEPT_DUE,
    col::ACCEPT_ON_TIME,
    col::CLOSED_ON_TIME,
    col::CLOSED_LATE,
    col::OPEN_OVERDUE,
    col::RATED,
    col::RATING_OVERDUE,
    col::SATISFIED,
    col::REPEAT,
    col::FIRST,
];

/// (numerator, denominator) of a rate from the sums in `COLUMNS` order.
pub fn parts(rate: Measure, v: &[f64]) -> (f64, f64) {
    let [n, acc_due, acc_ok, on_time, late, overdue, rated, rating_over, satisfied, repeat, first] =
        v.try_into().expect("one sum per column");
    match rate {
        Measure::AcceptedOnTime => (acc_ok, acc_due),
        Measure::ClosedOnTime => (on_time, on_time + late + overdue),
        Measure::Rated => (rated, rated + rating_over),
        Measure::Satisfied => (satisfied, rated),
        Measure::Repeat => (repeat, n),
        Measure::FirstTime => (first, n),
        other => unreachable!("{other} is no rate"),
    }
}

pub fn rates(df: &CaseFrame) -> Result<Vec<Metric>> {
    let mut out = vec![];
    for (source, list) in [("petition", PETITION_RATES), ("hotline", HOTLINE_RATES)] {
        for grain in [Grain::Week, Grain::Month] {
            for dim in [Dimension::Total, Dimension::Dept, Dimension::Town] {
                for (period, key, v) in sums(df, Some(source), grain, dim, COLUMNS)? {
                    for &rate in list {
                        let (num, den) = parts(rate, &v);
                        out.push(Metric::count(grain, &period, source, dim, &key, rate, num).over(den));
                    }
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::facts::CaseFacts;
    use crate::metrics::deadlines::Policy;
    use crate::metrics::{MetricsConfig, frame::case_frame};

    fn at(s: &str) -> chrono::NaiveDateTime {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap().and_hms_opt(9, 0, 0).unwrap()
    }

    #[allow(clippy::too_many_arguments)]
    fn petition(
        received: &str,
        accepted: Option<&str>,
        closed: Option<&str>,
        sat: Option<&str>,
        person: Option<&str>,
        dept: &str,
    ) -> CaseFacts {
        CaseFacts {
            source: "petition".into(),
            received: at(received),
            accepted: accepted.map(at),
            closed: closed.map(at),
            satisfaction: sat.map(Into::into),
            person: person.map(Into::into),
            dept: Some(dept.into()),
            purpose: Some("申诉".into()),
            ..Default::default()
        }
    }

    /// The fixture, by hand under the 520 policy on 2026-03-31 (accept in 5 days, handle in 20):
    ///
    /// | case | received | accepted | closed | rating | person | dept |
    /// |---|---|---|---|---|---|---|
    /// | G | 02-01 | 02-02 ✓ | 02-10 on time | none, 30 days passed | p5 | 人社 |
    /// | A | 03-01 | 03-03 ✓ | 03-15 on time | 满意 | p1 | 住建 |
    /// | E | 03-01 | 03-02 ✓ | open, due 03-22: overdue | — | p3, export says repeat | 人社 |
    /// | B | 03-02 | 03-09 ✗ | 03-30, due 03-29: late | 不满意 | p1 again | 住建 |
    /// | C | 03-03 | no, limit 03-08 passed ✗ | — | — | p2 | 人社 |
    /// | F | 03-05 | 03-06 ✓ | 03-06 on time | none, within 30 days | p4 | 人社 |
    /// | D | 03-28 | no, limit 04-02 not reached | — | — | none | 人社 |
    fn fixture() -> Vec<Metric> {
        let mut e = petition("2026-03-01", Some("2026-03-02"), None, None, Some("p3"), "人社");
        e.repeat_flag = Some(true);
        e.received += chrono::Duration::hours(1);
        let facts = vec![
            petition("2026-02-01", Some("2026-02-02"), Some("2026-02-10"), Some("未评价"), Some("p5"), "人社"),
            petition("2026-03-01", Some("2026-03-03"), Some("2026-03-15"), Some("满意"), Some("p1"), "住建"),
            e,
            petition("2026-03-02", Some("2026-03-09"), Some("2026-03-30"), Some("不满意"), Some("p1"), "住建"),
            petition("2026-03-03", None, None, None, Some("p2"), "人社"),
            petition("2026-03-05", Some("2026-03-06"), Some("2026-03-06"), None, Some("p4"), "人社"),
            petition("2026-03-28", None, None, None, None, "人社"),
        ];
        let cfg = MetricsConfig { policy: Policy::Fast520, ..Default::default() };
        let as_of = NaiveDate::from_ymd_opt(2026, 3, 31).unwrap();
        let df = case_frame(&facts, &vec![false; facts.len()], &cfg, as_of);
        rates(&df).unwrap()
    }

    fn get<'a>(m: &'a [Metric], period: &str, dim: &str, key: &str, rate: &str) -> &'a Metric {
        m.iter()
            .find(|x| {
                x.grain == Grain::Month
                    && x.period == period
                    && x.dimension.as_str() == dim
                    && x.key == key
                    && x.measure.as_str() == rate
            })
            .unwrap_or_else(|| panic!("{period} {dim} {key} {rate} missing"))
    }

    #[test]
    fn rates_match_hand_counts() {
        let m = fixture();
        let want = [
            ("及时受理率", 3.0, 5.0),
            ("按期办结率", 2.0, 4.0),
            ("参评率", 2.0, 2.0),
            ("满意率", 1.0, 2.0),
            ("重复信访率", 2.0, 6.0),
            ("初信初访占比", 4.0, 6.0),
        ];
        for (rate, num, den) in want {
            let x = get(&m, "2026-03", "total", "全部", rate);
            assert_eq!((x.numerator, x.denominator), (Some(num), Some(den)), "{rate}");
            assert_eq!(x.value, Some(num / den), "{rate}");
        }
        let x = get(&m, "2026-03", "dept", "住建", "按期办结率");
        assert_eq!((x.numerator, x.denominator), (Some(1.0), Some(2.0)));
        let x = get(&m, "2026-03", "dept", "人社", "及时受理率");
        assert_eq!((x.numerator, x.denominator), (Some(2.0), Some(3.0)));
        // February: one closed case never rated
        let x = get(&m, "2026-02", "total", "全部", "参评率");
        assert_eq!((x.numerator, x.denominator, x.value), (Some(0.0), Some(1.0), Some(0.0)));
    }

    #[test]
    fn empty_denominators_have_no_value_and_show_a_dash() {
        let m = fixture();
        let x = get(&m, "2026-03", "dept", "人社", "参评率");
        assert_eq!((x.numerator, x.denominator, x.value), (Some(0.0), Some(0.0), None));
        let x = get(&m, "2026-02", "total", "全部", "满意率");
        assert_eq!(x.value, None);
        assert_eq!(crate::model::percent(x.value), "—");
        assert_eq!(crate::model::percent(Some(0.5)), "50.0%");
    }
}
