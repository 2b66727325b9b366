//! Name shapes — `[class]{min,max}?(suffix|suffix|…)` — found without a regex scan.
//!
//! A pattern that starts with a character class gives the regex engine nothing to skip to,
//! so each of the four shapes cost a full DFA pass over every text (a sixth of `enrich`).
//! Here one Aho–Corasick pass finds the suffixes of all shapes, and each match is built back
//! from its suffix with the regex's own leftmost-first rules: the leftmost start wins; from
//! that start the fewest class characters (the lazy `?`); at that end the first suffix in
//! the listed order. The property test below holds it to the regex on random text.

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
use regex::Regex;

/// Which characters may stand before a suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// `[\p{Han}]`
    Han,
    /// `[\p{Han}A-Za-z0-9]`
    HanAlnum,
    /// `[\p{Han}A-Za-z0-9（）()]`
    HanAlnumParens,
}

impl Class {
    fn has(self, c: char) -> bool {
        let alnum = || c.is_ascii_alphanumeric();
        match self {
            Class::Han => is_han(c),
            Class::HanAlnum => alnum() || is_han(c),
            Class::HanAlnumParens => alnum() || matches!(c, '（' | '）' | '(' | ')') || is_han(c),
        }
    }

    /// The class as the regex writes it.
    #[cfg(test)]
    fn pattern(self) -> &'static str {
        match self {
            Class::Han => r"[\p{Han}]",
            Class::HanAlnum => r"[\p{Han}A-Za-z0-9]",
            Class::HanAlnumParens => r"[\p{Han}A-Za-z0-9（）()]",
        }
    }
}

/// One name shape.
#[derive(Debug)]
pub struct Shape {
    pub kind: &'static str,
    pub class: Class,
    pub min: usize,
    pub max: usize,
    pub suffixes: &'static [&'static str],
}

impl Shape {
    /// The equivalent regex (what the tests compare against).
    #[cfg(test)]
    fn regex(&self) -> String {
        format!("{}{{{},{}}}?(?:{})", self.class.pattern(), self.min, self.max, self.suffixes.join("|"))
    }
}

pub const COMPANY: Shape = Shape {
    kind: "company",
    class: Class::HanAlnumParens,
    min: 2,
    max: 16,
    suffixes: &["有限责任公司", "股份有限公司", "有限公司", "集团", "公司", "工厂", "厂", "合作社"],
};
pub const PROJECT: Shape = Shape { kind: "project", class: Class::HanAlnum, min: 2, max: 14, suffixes: &["项目"] };
pub const ESTATE: Shape = Shape {
    kind: "estate",
    class: Class::HanAlnum,
    min: 2,
    max: 8,
    suffixes: &[
        "小区",
        "花园",
        "家园",
        "华庭",
        "华城",
        "名苑",
        "雅苑",
        "名邸",
        "丽都",
        "公寓",
        "大厦",
        "国际",
        "水岸",
        "一号",
        "新村",
        "安置区",
        "苑",
        "城",
        "湾",
        "公馆",
        "山庄",
    ],
};
/// Online lending and investment platforms as their victims name them (余易贷, 湖楚财富).
pub const PLATFORM: Shape =
    Shape {
        kind: "platform", class: Class::HanAlnum, min: 2, max: 8, suffixes: &["平台", "财富", "理财", "贷"]
    };
pub const FACILITY: Shape = Shape {
    kind: "facility",
    class: Class::HanAlnum,
    min: 2,
    max: 12,
    suffixes: &[
        "幼儿园",
        "小学",
        "中学",
        "学校",
        "学院",
        "大学",
        "医院",
        "卫生院",
        "公园",
        "广场",
        "农贸市场",
        "市场",
        "汽车站",
        "火车站",
        "高铁站",
        "地铁站",
        "体育馆",
        "图书馆",
        "文体中心",
        "变电站",
        "垃圾站",
        "加油站",
        "商场",
        "酒店",
        "工业园",
        "产业园",
        "物流园",
    ],
};
pub const ROAD: Shape = Shape {
    kind: "road",
    class: Class::HanAlnum,
    min: 1,
    max: 8,
    suffixes: &["大道", "高速", "号线", "大桥", "隧道", "路", "街"],
};
pub const PLACE: Shape = Shape {
    kind: "place",
    class: Class::Han,
    min: 1,
    max: 6,
    suffixes: &["县", "区", "镇", "乡", "街道", "村", "社区"],
};

/// How many shapes there are.
pub const N: usize = 7;
/// In the order `extract` takes them: a name found by an earlier shape blocks later ones.
pub const SHAPES: [&Shape; N] = [&COMPANY, &PROJECT, &ESTATE, &PLATFORM, &FACILITY, &ROAD, &PLACE];

/// Every suffix of every shape, as (shape, rank in its list) per pattern.
struct Suffixes {
    ac: AhoCorasick,
    owner: Vec<(usize, usize)>,
}

static SUFFIXES: LazyLock<Suffixes> = LazyLock::new(|| {
    let mut pats = vec![];
    let mut owner = vec![];
    for (s, shape) in SHAPES.iter().enumerate() {
        for (rank, suf) in shape.suffixes.iter().enumerate() {
            pats.push(*suf);
            owner.push((s, rank));
        }
    }
    Suffixes { ac: AhoCorasick::new(pats).expect("static patterns"), owner }
});

/// `\p{Han}` for the Basic Multilingual Plane as a bit set, taken from the regex engine's own
/// tables so the two cannot disagree; the rare characters above it ask the regex.
static HAN_BMP: LazyLock<Vec<u64>> = LazyLock::new(|| {
    let re = Regex::new(r"^\p{Han}$").expect("static regex");
    let mut bits = vec![0u64; 1024];
    let mut buf = [0u8; 4];
    for cp in 0x2E80u32..0x10000 {
        if let Some(c) = char::from_u32(cp)
            && re.is_match(c.encode_utf8(&mut buf))
        {
            bits[cp as usize / 64] |= 1 << (cp % 64);
        }
    }
    bits
});
static HAN: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^\p{Han}$").expect("static regex"));

fn is_han(c: char) -> bool {
    let cp = c as u32;
    if cp < 0x2E80 {
        false
    } else if cp < 0x10000 {
        HAN_BMP[cp as usize / 64] >> (cp % 64) & 1 == 1
    } else {
        HAN.is_match(c.encode_utf8(&mut [0u8; 4]))
    }
}

/// The matches of every shape in `text`, as byte ranges, per shape in `SHAPES` order —
/// exactly what `Regex::find_iter` of each shape's regex gives.
pub fn find_all(text: &str) -> [Vec<(usize, usize)>; N] {
    let mut out: [Vec<(usize, usize)>; N] = Default::default();
    // suffix occurrences per shape: (byte start, byte end, rank), in order of start
    let mut occ: [Vec<(usize, usize, usize)>; N] = Default::default();
    for m in SUFFIXES.ac.find_overlapping_iter(text) {
        let (s, rank) = SUFFIXES.owner[m.pattern().as_usize()];
        occ[s].push((m.start(), m.end(), rank));
    }
    if occ.iter().all(Vec::is_empty) {
        return out;
    }
    // char starts (byte offsets) and, per class, where the run of class characters ending
    // just before each char began
    let starts: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
    let char_of = |byte: usize| starts.partition_point(|&b| b < byte);
    for (s, shape) in SHAPES.iter().enumerate() {
        let occ = &mut occ[s];
        if occ.is_empty() {
            continue;
        }
        // at one start, the first suffix in the listed order wins
        occ.sort_by_key(|&(b, _, rank)| (b, rank));
        occ.dedup_by_key(|o| o.0);
        let mut run_start = Vec::with_capacity(starts.len() + 1);
        let mut r = 0;
        for (i, c) in text.chars().enumerate() {
            run_start.push(r);
            if !shape.class.has(c) {
                r = i + 1;
            }
        }
        run_start.push(r);
        let mut pos = 0; // in chars
        loop {
            // the leftmost start any suffix allows; the nearest suffix breaks a tie
            let mut best: Option<(usize, usize, usize)> = None; // (start char, suffix start byte, end byte)
            for &(b, e, _) in occ.iter() {
                let t = char_of(b);
                if t < pos + shape.min {
                    continue;
                }
                let from = pos.max(run_start[t]).max(t.saturating_sub(shape.max));
                if from + shape.min > t {
                    continue;
                }
                if best.is_none_or(|(bs, ..)| from < bs) {
                    best = Some((from, b, e));
                }
                if from == pos {
                    break;
                }
            }
            let Some((from, _, end)) = best else { break };
            out[s].push((starts[from], end));
            pos = char_of(end);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn by_regex(shape: &Shape, text: &str) -> Vec<(usize, usize)> {
        Regex::new(&shape.regex()).unwrap().find_iter(text).map(|m| (m.start(), m.end())).collect()
    }

    #[test]
    fn finds_what_the_regex_finds() {
        for t in [
            "我在永兴建筑劳务有限公司承建的县人民医院新院区项目干活",
            "我们是翡翠湾小区的业主，3号楼至今停工",
            "城关镇幸福村村民反映，（某某）公司和ABC工厂占地",
            "XX县XX镇人民路与建设大道交叉口",
            "公司公司公司有限公司集团",
            "",
            "区",
        ] {
            let got = find_all(t);
            for (s, shape) in SHAPES.iter().enumerate() {
                assert_eq!(got[s], by_regex(shape, t), "{} in {t}", shape.kind);
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        #[test]
        fn equals_the_regex_on_any_text(
            text in proptest::collection::vec(
                prop::sample::select(vec![
                    "公司", "有限", "责任", "股份", "集团", "工", "厂", "合作社", "项目", "小区", "花园", "安置", "区",
                    "一号", "新村", "县", "镇", "乡", "街道", "村", "社区", "大道", "路", "的", "在", "永兴", "城关",
                    "贷", "平台", "小学", "学", "中学", "医院", "市场", "农贸", "号线", "高速", "街", "城", "苑",
                    "A", "b", "7", "（", "）", "(", ")", "，", "。", " ", "ǅ", "𠀀", "々", "〇", "ー", "１",
                ]),
                0..40,
            ).prop_map(|v| v.concat())
        ) {
            let got = find_all(&text);
            for (s, shape) in SHAPES.iter().enumerate() {
                prop_assert_eq!(&got[s], &by_regex(shape, &text), "{} in {}", shape.kind, text);
            }
        }
    }
}
