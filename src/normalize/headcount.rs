//! Head counts written in words: "30多名农民工", "上百户业主", "二十余人", "几十名".
//!
//! Used when the export's 信访人数 is empty. Vague amounts take their lower bound
//! (几十 → 20, 上百 → 100), so a count from text never overstates the field.

use std::sync::LazyLock;

use regex::Regex;

static COUNT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(\d{1,5}|[一二两三四五六七八九十百千几数上近]{1,5})\s*(?:多|余|来)?\s*(?:名|位|户|人(?:次)?)(?:[^民大身员]|大[^代常会]|$)").expect("static regex")
});

/// The largest head count the text names, if any.
pub fn headcount_from_text(text: &str) -> Option<i32> {
    COUNT.captures_iter(text).filter_map(|c| number(c.get(1)?.as_str())).filter(|n| (2..=100_000).contains(n)).max()
}

/// Arabic or Chinese numerals, with the vague forms at their lower bound.
fn number(s: &str) -> Option<i32> {
    if let Ok(n) = s.parse() {
        return Some(n);
    }
    match s {
        "几十" | "数十" => return Some(20),
        "上百" | "近百" | "数百" | "几百" => {
            return Some(if s.starts_with('数') || s.starts_with('几') { 200 } else { 100 });
        }
        "上千" | "近千" => return Some(1000),
        "数千" | "几千" => return Some(2000),
        _ => {}
    }
    let digit = |c: char| "零一二三四五六七八九".find(c).map(|i| (i / 3) as i32).or((c == '两').then_some(2));
    let (mut total, mut cur) = (0i32, 0i32);
    for c in s.chars() {
        match c {
            '十' => {
                total += if cur == 0 { 10 } else { cur * 10 };
                cur = 0;
            }
            '百' => {
                total += if cur == 0 { 100 } else { cur * 100 };
                cur = 0;
            }
            '千' => {
                total += if cur == 0 { 1000 } else { cur * 1000 };
                cur = 0;
            }
            c => cur = digit(c)?,
        }
    }
    Some(total + cur)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_in_words() {
        assert_eq!(headcount_from_text("我们30多名农民工被拖欠工资"), Some(30));
        assert_eq!(headcount_from_text("上百户业主至今未能收房"), Some(100));
        assert_eq!(headcount_from_text("二十余人聚集在镇政府门口"), Some(20));
        assert_eq!(headcount_from_text("一百二十三名职工"), Some(123));
        assert_eq!(headcount_from_text("几十名投资人"), Some(20));
        assert_eq!(headcount_from_text("38人到县信访局集体上访，其中5人情绪激动"), Some(38));
        assert_eq!(headcount_from_text("群里三百多人大多是退休老人"), Some(300));
        assert_eq!(headcount_from_text("五人大代表"), None);
    }

    #[test]
    fn not_people() {
        assert_eq!(headcount_from_text("人民政府不作为"), None);
        assert_eq!(headcount_from_text("拖欠工资12万元"), None);
        assert_eq!(headcount_from_text("我一个人来反映"), None);
        assert_eq!(headcount_from_text("30人民币"), None);
    }
}
