//! Statutory and local deadlines, and the state of each open case on a day.
//!
//! 信访工作条例: register and route within 15 days; handle within 60 days of acceptance,
//! extendable by up to 30; 复查 and 复核 30 days each. The fast local policy 520/210:
//! accept in 5 days and handle in 20; simple matters (咨询, 求助, 建议) 2 and 10. Days are
//! calendar days counted from the day after the start; a case is due on the day its limit
//! ends and overdue the day after. Holidays are not skipped (the regulation's rule for a
//! limit ending on a holiday is left to the analyst).

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::facts::CaseFacts;

/// A deadline policy, by name in pipeline files: `statutory` or `520`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Policy {
    /// 信访工作条例: 15 days to register/route, 60 to handle (+30 extension), 复查/复核 30.
    #[serde(rename = "statutory")]
    Statutory,
    /// Local 520/210: 5 days to accept and 20 to handle; simple procedure 2 and 10.
    #[serde(rename = "520")]
    Fast520,
}

impl Policy {
    pub const ALL: [Policy; 2] = [Policy::Statutory, Policy::Fast520];

    /// What the policy allows, in a line.
    pub fn describe(self) -> &'static str {
        match self {
            Policy::Statutory => "信访工作条例: 15 days to register/route, 60 to handle (+30 extension), 复查/复核 30",
            Policy::Fast520 => "local 520/210: 5 days to accept and 20 to handle; simple procedure 2 and 10",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Policy::Statutory => "statutory",
            Policy::Fast520 => "520",
        }
    }

    /// Days allowed to register/accept a case.
    pub fn accept_days(self, f: &CaseFacts) -> i64 {
        match self {
            Policy::Statutory => 15,
            Policy::Fast520 if is_simple(f) => 2,
            Policy::Fast520 => 5,
        }
    }

    /// Days allowed to handle a case once accepted.
    pub fn handle_days(self, f: &CaseFacts) -> i64 {
        match self {
            Policy::Statutory if is_review(f) => 30,
            Policy::Statutory => 60,
            Policy::Fast520 if is_simple(f) => 10,
            Policy::Fast520 => 20,
        }
    }

    /// The most a granted extension may add (an export's later 限办日期 within it is honoured).
    pub fn extension_days(self) -> i64 {
        match self {
            Policy::Statutory => 30,
            Policy::Fast520 => 0,
        }
    }
}

/// 咨询, 求助, 建议: matters the simple procedure covers.
fn is_simple(f: &CaseFacts) -> bool {
    f.purpose.as_deref().is_some_and(|p| p.contains("咨询") || p.contains("求助") || p.contains("建议"))
}

/// 复查 or 复核 requests.
fn is_review(f: &CaseFacts) -> bool {
    f.purpose.as_deref().is_some_and(|p| p.contains("复查") || p.contains("复核"))
}

/// Which limit a case is running against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// 受理: waiting to be registered / accepted.
    Accept,
    /// 办理: accepted, being handled.
    Handle,
}

impl Stage {
    pub fn name(self) -> &'static str {
        match self {
            Stage::Accept => "受理",
            Stage::Handle => "办理",
        }
    }
}

/// 正常, 临期, 到期, 逾期.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum State {
    Normal,
    DueSoon,
    DueToday,
    Overdue,
}

impl State {
    pub fn name(self) -> &'static str {
        match self {
            State::Normal => "正常",
            State::DueSoon => "临期",
            State::DueToday => "到期",
            State::Overdue => "逾期",
        }
    }

    /// The state `days_left` days before the due date; 临期 within `warn_days`.
    pub fn of(days_left: i64, warn_days: i64) -> State {
        if days_left < 0 {
            State::Overdue
        } else if days_left == 0 {
            State::DueToday
        } else if days_left <= warn_days {
            State::DueSoon
        } else {
            State::Normal
        }
    }
}

/// The due day a case's handling runs against under a policy. Petitions and hotline orders
/// have deadlines; message-board and opinion posts have none (`None`).
pub fn handle_due(policy: Policy, f: &CaseFacts) -> Option<NaiveDate> {
    match &*f.source {
        "petition" => {
            let start = f.accepted?.date();
            let due = start + Duration::days(policy.handle_days(f));
            // an export's later 限办日期 within the allowed extension is an extension granted
            let given =
                f.due.map(|d| d.date()).filter(|&g| g > due && g <= due + Duration::days(policy.extension_days()));
            Some(given.unwrap_or(due))
        }
        // a work order is accepted when the call is taken; its own 限办日期 wins when given
        "hotline" => Some(f.due.map(|d| d.date()).unwrap_or(f.received.date() + Duration::days(policy.handle_days(f)))),
        _ => None,
    }
}

/// The day a petition had to be accepted by.
pub fn accept_due(policy: Policy, f: &CaseFacts) -> NaiveDate {
    f.received.date() + Duration::days(policy.accept_days(f))
}

/// An open case's deadline on `as_of`: (stage, due day, days left). Closed cases and
/// sources without deadlines give `None`.
pub fn open_deadline(policy: Policy, f: &CaseFacts, as_of: NaiveDate) -> Option<(Stage, NaiveDate, i64)> {
    if f.closed.is_some_and(|c| c.date() <= as_of) || f.received.date() > as_of {
        return None;
    }
    let (stage, due) = match &*f.source {
        "petition" if f.accepted.is_none_or(|a| a.date() > as_of) => (Stage::Accept, accept_due(policy, f)),
        "petition" | "hotline" => (Stage::Handle, handle_due(policy, f)?),
        _ => return None,
    };
    Some((stage, due, (due - as_of).num_days()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn petition(received: &str, accepted: Option<&str>) -> CaseFacts {
        CaseFacts {
            source: "petition".into(),
            received: day(received).and_hms_opt(10, 30, 0).unwrap(),
            accepted: accepted.map(|a| day(a).and_hms_opt(9, 0, 0).unwrap()),
            purpose: Some("申诉".into()),
            ..Default::default()
        }
    }

    #[test]
    fn states_around_the_due_day() {
        assert_eq!(State::of(10, 3), State::Normal);
        assert_eq!(State::of(3, 3), State::DueSoon);
        assert_eq!(State::of(1, 3), State::DueSoon);
        assert_eq!(State::of(0, 3), State::DueToday);
        assert_eq!(State::of(-1, 3), State::Overdue);
    }

    #[test]
    fn sixty_days_across_month_ends_and_a_leap_day() {
        // accepted 2028-01-15: 60 days later crosses 29 February 2028
        let f = petition("2028-01-10", Some("2028-01-15"));
        assert_eq!(handle_due(Policy::Statutory, &f), Some(day("2028-03-15")));
        // the same in a common year lands a day later in March
        let f = petition("2027-01-10", Some("2027-01-15"));
        assert_eq!(handle_due(Policy::Statutory, &f), Some(day("2027-03-16")));
        // 520: 20 days from 31 January 2028 → 20 February; from 10 February → 1 March (leap year)
        let f = petition("2028-01-30", Some("2028-01-31"));
        assert_eq!(handle_due(Policy::Fast520, &f), Some(day("2028-02-20")));
        let f = petition("2028-02-09", Some("2028-02-10"));
        assert_eq!(handle_due(Policy::Fast520, &f), Some(day("2028-03-01")));
        let f = petition("2027-02-09", Some("2027-02-10"));
        assert_eq!(handle_due(Policy::Fast520, &f), Some(day("2027-03-02")));
    }

    #[test]
    fn acceptance_limits_by_policy_and_procedure() {
        let f = petition("2026-12-20", None);
        assert_eq!(
            open_deadline(Policy::Statutory, &f, day("2026-12-31")),
            Some((Stage::Accept, day("2027-01-04"), 4))
        );
        assert_eq!(open_deadline(Policy::Fast520, &f, day("2026-12-31")), Some((Stage::Accept, day("2026-12-25"), -6)));
        let mut simple = petition("2026-12-30", None);
        simple.purpose = Some("咨询".into());
        assert_eq!(
            open_deadline(Policy::Fast520, &simple, day("2026-12-31")),
            Some((Stage::Accept, day("2027-01-01"), 1))
        );
    }

    #[test]
    fn extensions_reviews_closed_cases_and_hotline_orders() {
        let mut f = petition("2026-01-01", Some("2026-01-02"));
        // 限办日期 extended by 30 days is honoured; beyond the extension it is not
        f.due = Some(day("2026-04-02").and_hms_opt(0, 0, 0).unwrap());
        assert_eq!(handle_due(Policy::Statutory, &f), Some(day("2026-04-02")));
        f.due = Some(day("2026-06-01").and_hms_opt(0, 0, 0).unwrap());
        assert_eq!(handle_due(Policy::Statutory, &f), Some(day("2026-03-03")));
        f.purpose = Some("复查申请".into());
        assert_eq!(handle_due(Policy::Statutory, &f), Some(day("2026-02-01")));
        f.closed = Some(day("2026-01-20").and_hms_opt(0, 0, 0).unwrap());
        assert_eq!(open_deadline(Policy::Statutory, &f, day("2026-03-01")), None);
        let order = CaseFacts {
            source: "hotline".into(),
            received: day("2026-02-27").and_hms_opt(8, 0, 0).unwrap(),
            ..Default::default()
        };
        assert_eq!(
            open_deadline(Policy::Fast520, &order, day("2026-03-20")),
            Some((Stage::Handle, day("2026-03-19"), -1))
        );
        let post = CaseFacts { source: "message".into(), ..order };
        assert_eq!(open_deadline(Policy::Fast520, &post, day("2026-03-20")), None);
    }
}
