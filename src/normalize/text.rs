//! Cleaning of free text and short fields.
//!
//! Exports carry tabs, newlines, non-breaking and ideographic spaces, zero-width marks,
//! control characters and full-width digits and Latin letters. `clean_text` folds all
//! white space to single ASCII spaces, drops invisible characters, turns full-width
//! digits and Latin letters into half-width ones, and trims. Chinese punctuation is kept.

/// Clean one cell. Idempotent: `clean_text(clean_text(s)) == clean_text(s)`.
pub fn clean_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    let mut prev_digit = false;
    for c in s.chars() {
        let c = half_width(c, prev_digit);
        if c.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        if c.is_control() || is_invisible(c) {
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(c);
        prev_digit = c.is_ascii_digit();
    }
    out
}

/// Full-width digits and Latin letters to ASCII; the full-width point and percent sign
/// too when they follow a digit (`１２．５％` → `12.5%`).
fn half_width(c: char, prev_digit: bool) -> char {
    match c {
        '０'..='９' | 'Ａ'..='Ｚ' | 'ａ'..='ｚ' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '．' | '％' if prev_digit => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}')
}

/// Clean a short field; `None` when nothing is left.
pub fn clean_field(s: &str) -> Option<String> {
    let c = clean_text(s);
    if c.is_empty() { None } else { Some(c) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn folds_export_noise() {
        let raw = "\n\t\t\t\t\t\n\t\t\t\t\t\u{3000}\u{3000}南门街 前段时间\r\n拖欠工资１２．５万元，共３０多名\u{200B}工人\t\t";
        assert_eq!(clean_text(raw), "南门街 前段时间 拖欠工资12.5万元，共30多名工人");
        assert_eq!(clean_text("ＡＢＣ小区３栋"), "ABC小区3栋");
        assert_eq!(clean_text("你好．谢谢"), "你好．谢谢", "a full-width point after text stays");
        assert_eq!(clean_text(" \t\n "), "");
    }

    proptest! {
        #[test]
        fn idempotent_and_tidy(s in "\\PC{0,60}|[\\t\\n \u{3000}０-９ａ-ｚ一-龥]{0,60}") {
            let once = clean_text(&s);
            prop_assert_eq!(clean_text(&once), once.clone());
            prop_assert!(!once.contains("  "));
            prop_assert!(!once.starts_with(' ') && !once.ends_with(' '));
            prop_assert!(!once.chars().any(|c| c.is_control() || ('０'..='９').contains(&c) || (c.is_whitespace() && c != ' ')));
        }
    }
}
