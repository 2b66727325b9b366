//! Word segmentation with jieba-rs and the domain dictionary.
//!
//! `cut` returns every piece of the text — words, punctuation, spaces — so the tokens of
//! a text always join back to it; `terms` keeps the pieces that carry meaning (no
//! stopwords, punctuation, spaces or lone digits) for features and keywords.

use rustc_hash::FxHashSet as HashSet;
use std::io::BufReader;
use std::path::Path;
use std::sync::LazyLock;

use jieba_rs::Jieba;

use crate::{Error, Result};

const USER_DICT: &str = include_str!("../../models/userdict.txt");
const STOPWORDS: &str = include_str!("../../models/stopwords.txt");

/// A segmenter: jieba's dictionary plus the domain words, and the stopword list.
pub struct Segmenter {
    jieba: Jieba,
    /// Looked up for every piece of every text: hashed with Fx, not SipHash.
    stop: HashSet<String>,
}

static BUILTIN: LazyLock<Segmenter> = LazyLock::new(|| Segmenter::new(None).expect("built-in dictionary loads"));

impl Segmenter {
    /// The built-in segmenter, loaded once per process.
    pub fn builtin() -> &'static Segmenter {
        &BUILTIN
    }

    /// jieba's dictionary, the built-in domain words, then an optional user dictionary
    /// (jieba format: `word [freq] [tag]` per line).
    pub fn new(user_dict: Option<&Path>) -> Result<Segmenter> {
        let mut jieba = Jieba::new();
        jieba
            .load_dict(&mut BufReader::new(USER_DICT.as_bytes()))
            .map_err(|e| Error::input("models/userdict.txt", e.to_string()))?;
        if let Some(p) = user_dict {
            let f = std::fs::File::open(p).map_err(|e| Error::io(p, e))?;
            jieba
                .load_dict(&mut BufReader::new(f))
                .map_err(|e| Error::input(p, format!("not a jieba dictionary: {e}")))?;
        }
        let stop = STOPWORDS.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect();
        Ok(Segmenter { jieba, stop })
    }

    /// A segmenter that also keeps these names whole (gazetteer estates, companies, …).
    pub fn with_words<'w>(user_dict: Option<&Path>, words: impl IntoIterator<Item = &'w str>) -> Result<Segmenter> {
        let mut s = Segmenter::new(user_dict)?;
        for w in words {
            s.jieba.add_word(w, Some(2000), Some("nz"));
        }
        Ok(s)
    }

    /// Every piece of the text, in order; `cut(t).concat() == t`.
    pub fn cut<'a>(&self, text: &'a str) -> Vec<&'a str> {
        self.jieba.cut(text, true).into_iter().map(|t| t.word).collect()
    }

    /// Every word of the text with its part-of-speech tag (jieba's: n, v, p, d, r, …), in
    /// order; the words join back to the text.
    pub fn tagged<'a>(&'a self, text: &'a str) -> Vec<(&'a str, &'a str)> {
        self.jieba.tag(text, true).into_iter().map(|t| (t.word, t.tag)).collect()
    }

    /// Whether a piece carries meaning.
    pub fn is_term(&self, piece: &str) -> bool {
        // common Chinese characters are letters: answered before Unicode's slow tables
        let hanzi = |c: char| ('\u{4E00}'..='\u{9FA5}').contains(&c);
        let mut chars = piece.chars();
        let Some(first) = chars.next() else { return false };
        // most pieces open with one: a letter, so only the stopword list can refuse them
        if hanzi(first) {
            return !self.stop.contains(piece);
        }
        let single = chars.next().is_none();
        if single && !(hanzi(first) || first.is_alphabetic()) {
            return false;
        }
        if piece.chars().all(|c| c.is_ascii_digit() || c == '.') {
            return false;
        }
        if !piece.chars().any(super::is_word_char) {
            return false;
        }
        !self.stop.contains(piece)
    }

    /// Whether a term can name what a group of cases is about in a title: a dictionary
    /// word that is a noun, a verb or an idiom (噪音, 停水, 旧城, 不分昼夜), or a name jieba
    /// does not know of three characters or more (魅力之城). Function words and words of
    /// time, place-direction, degree or manner (何时, 以南, 半夜, 特立) are not, nor a short
    /// unknown word, which is usually two characters glued across a word boundary (压给, 极低).
    pub fn is_content_word(&self, word: &str) -> bool {
        let tags = self.jieba.tag(word, false);
        match tags.as_slice() {
            [t] if t.word == word => {
                let tag = t.tag;
                !matches!(
                    tag.chars().next(),
                    Some('c' | 'f' | 'b' | 'm' | 't' | 'd' | 'r' | 'p' | 'u' | 'q' | 'y' | 'e' | 'o' | 'z')
                ) && tag != "a"
                    && tag != "ad"
            }
            _ => word.chars().count() >= 3 || word.chars().all(|c| c.is_ascii_alphanumeric()),
        }
    }

    /// The meaningful pieces of a text.
    pub fn terms<'a>(&self, text: &'a str) -> Vec<&'a str> {
        // not collected in place: that would keep jieba's token buffer (every piece, at
        // twice the size) alive behind the few terms, a gigabyte per million texts
        let pieces = self.jieba.cut(text, true);
        let mut out = Vec::with_capacity(pieces.len() / 2);
        out.extend(pieces.iter().map(|t| t.word).filter(|t| self.is_term(t)));
        out.shrink_to_fit();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn content_words_name_a_matter() {
        let s = Segmenter::builtin();
        for w in ["噪音", "停水", "消防栓", "一卡通", "魅力之城", "逾期交房"] {
            assert!(s.is_content_word(w), "{w}");
        }
        for w in ["何时", "以南", "半夜", "特立", "压给", "极低", "夜晚"] {
            assert!(!s.is_content_word(w), "{w}");
        }
    }

    #[test]
    fn domain_words_stay_whole() {
        let s = Segmenter::builtin();
        let t = s.terms("我们30多名农民工被拖欠农民工工资，开发商逾期交房，还要去进京访");
        for w in ["农民工工资", "逾期交房", "进京访"] {
            assert!(t.contains(&w), "{w} in {t:?}");
        }
        let t = s.terms("平台涉嫌非法集资和集资诈骗，烂尾楼的不动产证办不下来");
        for w in ["非法集资", "集资诈骗", "烂尾楼", "不动产证"] {
            assert!(t.contains(&w), "{w} in {t:?}");
        }
    }

    #[test]
    fn terms_drop_noise() {
        let s = Segmenter::builtin();
        let t = s.terms("我们的问题，2019年 12345 反映了。");
        assert!(!t.iter().any(|w| ["我们", "的", "，", " ", "。", "问题"].contains(w)), "{t:?}");
    }

    proptest! {
        #[test]
        fn tokens_join_back_to_the_text(s in "[\\PC]{0,80}|[一-龥0-9a-z，。 ]{0,80}") {
            let text = crate::normalize::clean_text(&s);
            prop_assert_eq!(Segmenter::builtin().cut(&text).concat(), text);
        }
    }
}
