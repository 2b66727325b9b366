//! Timestamps as real exports write them.
//!
//! Accepts `2019/2/28 11:25:05`, `2019-02-28 11:25`, `2019.2.28`, `2019年2月28日`,
//! `2019年2月28日 11时25分`, ISO `2019-02-28T11:25:05.123`, compact `20190228` and
//! `20190228112505`, and Excel serial day numbers (`43524.47`), as text or as numbers.
//! Impossible dates (`2019/2/30`) are errors, never silently moved.

use std::sync::LazyLock;

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use regex::Regex;

static DATE_TIME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:(?:\s+|T|\s*)(\d{1,2})\s*[:：时時点點]\s*(\d{1,2})\s*分?(?:\s*[:：]?\s*(\d{1,2})(?:\.(\d{1,9}))?\s*秒?)?)?\s*$",
    )
    .expect("static regex")
});
static COMPACT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2})?)?$").expect("static regex"));
static SERIAL: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^\d{1,7}(?:\.\d+)?$").expect("static regex"));

/// Smallest and largest Excel serial accepted as a date (1950-01-01 .. 2100-12-31):
/// a number outside is far more likely a wrong column than a date.
const SERIAL_MIN: f64 = 18264.0;
const SERIAL_MAX: f64 = 73415.0;

/// Why a value is not a timestamp, in words for the rejects table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeError(pub String);

impl std::fmt::Display for TimeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The forms registers write most — `2019-02-28 11:25:05`, `2019-02-28 11:25`,
/// `2019-02-28`, with `/` or `-`, a space or `T` — read byte by byte without the regex; the
/// same value (or error) as [`parse_timestamp`] gives. `None` for any other form. A text
/// in one of these forms is all ASCII digits and separators, so cleaning would not change it.
pub fn parse_common(s: &str) -> Option<Result<NaiveDateTime, TimeError>> {
    let b = s.trim().as_bytes();
    if !matches!(b.len(), 10 | 16 | 19) {
        return None;
    }
    let digits = |from: usize, to: usize| b[from..to].iter().all(u8::is_ascii_digit);
    let num = |from: usize, to: usize| b[from..to].iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0'));
    let sep = b[4];
    if !matches!(sep, b'-' | b'/') || b[7] != sep || !digits(0, 4) || !digits(5, 7) || !digits(8, 10) {
        return None;
    }
    let (mut h, mut mi, mut sec) = (0, 0, 0);
    if b.len() >= 16 {
        if !matches!(b[10], b' ' | b'T') || b[13] != b':' || !digits(11, 13) || !digits(14, 16) {
            return None;
        }
        (h, mi) = (num(11, 13), num(14, 16));
        if b.len() == 19 {
            if b[16] != b':' || !digits(17, 19) {
                return None;
            }
            sec = num(17, 19);
        }
    }
    Some(build(s.trim(), num(0, 4) as i32, num(5, 7), num(8, 10), h, mi, sec, 0))
}

/// Parse one cleaned text cell (digits already half-width).
pub fn parse_timestamp(text: &str) -> Result<NaiveDateTime, TimeError> {
    let s = text.trim();
    if s.is_empty() {
        return Err(TimeError("empty".into()));
    }
    parse_common(s).unwrap_or_else(|| parse_forms(s))
}

/// Every accepted form, by the regexes.
fn parse_forms(s: &str) -> Result<NaiveDateTime, TimeError> {
    if let Some(c) = DATE_TIME.captures(s) {
        let num = |i: usize| c.get(i).map(|m| m.as_str().parse::<u32>().unwrap_or(u32::MAX));
        let frac = c.get(7).map(|m| {
            let digits = &m.as_str()[..m.as_str().len().min(6)];
            digits.parse::<u32>().unwrap_or(0) * 10u32.pow(6 - digits.len() as u32)
        });
        return build(
            s,
            num(1).unwrap_or(0) as i32,
            num(2).unwrap_or(0),
            num(3).unwrap_or(0),
            num(4).unwrap_or(0),
            num(5).unwrap_or(0),
            num(6).unwrap_or(0),
            frac.unwrap_or(0),
        );
    }
    if let Some(c) = COMPACT.captures(s) {
        let num = |i: usize| c.get(i).map_or(0, |m| m.as_str().parse::<u32>().unwrap_or(u32::MAX));
        return build(s, num(1) as i32, num(2), num(3), num(4), num(5), num(6), 0);
    }
    if SERIAL.is_match(s) {
        let v: f64 = s.parse().map_err(|_| TimeError(format!("`{s}` is not a number")))?;
        return from_excel_serial(v);
    }
    Err(TimeError(format!("`{}` is not a date and time in any known form", truncate(s, 40))))
}

#[allow(clippy::too_many_arguments)]
fn build(s: &str, y: i32, mo: u32, d: u32, h: u32, mi: u32, sec: u32, micros: u32) -> Result<NaiveDateTime, TimeError> {
    let date = NaiveDate::from_ymd_opt(y, mo, d)
        .ok_or_else(|| TimeError(format!("`{}` is not a real calendar date", truncate(s, 40))))?;
    let time = NaiveTime::from_hms_micro_opt(h, mi, sec, micros)
        .ok_or_else(|| TimeError(format!("`{}` has an impossible time of day", truncate(s, 40))))?;
    Ok(NaiveDateTime::new(date, time))
}

/// Excel's 1900 date system: day 1 is 1900-01-01 and day 60 the non-existent 1900-02-29,
/// so from day 61 on the epoch is 1899-12-30. The fraction is the time of day.
pub fn from_excel_serial(v: f64) -> Result<NaiveDateTime, TimeError> {
    if !v.is_finite() || !(SERIAL_MIN..=SERIAL_MAX).contains(&v) {
        return Err(TimeError(format!("{v} is outside the Excel dates 1950–2100")));
    }
    let epoch = NaiveDate::from_ymd_opt(1899, 12, 30).expect("valid").and_hms_opt(0, 0, 0).expect("valid");
    // round to the second: Excel stores times as binary fractions of a day
    let secs = (v * 86_400.0).round() as i64;
    Ok(epoch + Duration::seconds(secs))
}

/// The Excel serial of a timestamp, rounded to the second (for writing sample exports).
pub fn to_excel_serial(t: NaiveDateTime) -> f64 {
    let epoch = NaiveDate::from_ymd_opt(1899, 12, 30).expect("valid").and_hms_opt(0, 0, 0).expect("valid");
    (t - epoch).num_seconds() as f64 / 86_400.0
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n { s.to_string() } else { s.chars().take(n).collect::<String>() + "…" }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn dt(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    /// The byte-by-byte reading of the usual forms gives what the regexes give, for real,
    /// impossible and malformed values alike.
    #[test]
    fn the_common_forms_read_as_the_regexes_read_them() {
        let mut n = 0;
        for y in ["2019", "2024", "0000"] {
            for mo in ["01", "02", "12", "13", "00"] {
                for d in ["01", "28", "29", "30", "31", "32"] {
                    for sep in ['-', '/'] {
                        for time in [
                            "",
                            " 00:00",
                            " 23:59",
                            " 24:00",
                            " 11:60",
                            "T11:25",
                            " 11:25:05",
                            " 11:25:60",
                            "T07:08:09",
                        ] {
                            let s = format!("{y}{sep}{mo}{sep}{d}{time}");
                            let fast = parse_common(&s).unwrap_or_else(|| panic!("{s} is a common form"));
                            assert_eq!(fast, parse_forms(&s), "{s}");
                            n += 1;
                        }
                    }
                }
            }
        }
        assert!(n > 1000);
        for other in [
            "2019-2-28",
            "2019.02.28",
            "2019-02/28",
            "2019-02-28 11:25:5",
            "2019-02-28  11:25",
            "20190228",
            "2019-02-28 11:25:05.1",
        ] {
            assert!(parse_common(other).is_none(), "{other}");
        }
    }

    #[test]
    fn forms_seen_in_real_exports() {
        let t = dt("2019-02-28 11:25:05");
        for s in [
            "2019/2/28 11:25:05",
            "2019-02-28 11:25:05",
            "2019-02-28T11:25:05",
            "2019.2.28 11:25:05",
            "2019年2月28日 11:25:05",
            "2019年2月28日11时25分5秒",
            "20190228112505",
        ] {
            assert_eq!(parse_timestamp(s), Ok(t), "{s}");
        }
        assert_eq!(parse_timestamp("2019年2月28日"), Ok(dt("2019-02-28 00:00:00")));
        assert_eq!(parse_timestamp("2019/2/28 7:13"), Ok(dt("2019-02-28 07:13:00")));
        assert_eq!(parse_timestamp("20190228"), Ok(dt("2019-02-28 00:00:00")));
    }

    #[test]
    fn excel_serials() {
        assert_eq!(parse_timestamp("43524"), Ok(dt("2019-02-28 00:00:00")));
        assert_eq!(parse_timestamp("45000.5"), Ok(dt("2023-03-15 12:00:00")));
        assert!(parse_timestamp("12").is_err());
        assert!(parse_timestamp("9999999").is_err());
    }

    #[test]
    fn impossible_dates_are_errors() {
        assert!(parse_timestamp("2019/2/30").unwrap_err().0.contains("not a real calendar date"));
        assert!(parse_timestamp("2019/13/1").is_err());
        assert!(parse_timestamp("2019/2/28 25:00").is_err());
        assert!(parse_timestamp("2020/2/29").is_ok());
        assert!(parse_timestamp("二〇一九年").is_err());
        assert!(parse_timestamp("").is_err());
    }

    proptest! {
        #[test]
        fn round_trips_every_written_form(secs in 0i64..(150 * 365 * 86_400), form in 0usize..6) {
            let t = dt("1950-01-01 00:00:00") + Duration::seconds(secs);
            let s = match form {
                0 => t.format("%Y/%-m/%-d %-H:%M:%S").to_string(),
                1 => t.format("%Y-%m-%d %H:%M:%S").to_string(),
                2 => t.format("%Y年%-m月%-d日 %H:%M:%S").to_string(),
                3 => t.format("%Y%m%d%H%M%S").to_string(),
                4 => t.format("%Y-%m-%dT%H:%M:%S").to_string(),
                _ => format!("{}", to_excel_serial(t)),
            };
            prop_assert_eq!(parse_timestamp(&s), Ok(t));
        }

        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            let _ = parse_timestamp(&s);
        }
    }
}
