//! Text: segmentation (jieba-rs with the domain dictionary), terms and threat language.

pub mod segment;
pub mod threat;

pub use segment::Segmenter;

/// `c.is_alphanumeric()`, with the common Chinese characters (all letters) answered before
/// Unicode's slow tables.
pub fn is_word_char(c: char) -> bool {
    ('\u{4E00}'..='\u{9FA5}').contains(&c) || c.is_alphanumeric()
}

/// A word that only says where: `A市`, `A3区`, `青溪县`, `城关镇` (an anonymised export's
/// letter codes, or a short name with a county, town or city suffix).
pub fn is_locality(term: &str) -> bool {
    let t = term.trim_end_matches(['市', '区', '县', '镇', '乡', '省']);
    let ascii_code = !t.is_empty() && t.chars().all(|c| c.is_ascii_alphanumeric());
    // a function word glued to a suffix ("因县", "在市") is no place name
    let function_first = t.starts_with([
        '因', '在', '从', '到', '往', '向', '对', '把', '被', '的', '了', '和', '与', '及', '或', '由', '经',
    ]);
    ascii_code
        || (term.chars().count() <= 4 && term != t && !function_first && term.ends_with(['市', '县', '省', '镇', '乡']))
}
pub use threat::{Status as ThreatStatus, find_threats};
