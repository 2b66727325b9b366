//! Entities in the text: housing estates and buildings, companies and projects, platforms,
//! places, amounts, head counts and dates mentioned; and 属地 filled from the text.
//!
//! Known names come from the gazetteer (`kind,name,town,county`, as `minqing generate`
//! writes it and as a bureau keeps for its county); unknown ones from the shapes names
//! take (…小区, …花园, …有限公司, …项目, …镇, …村). Output labels are `kind:name`.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;

use crate::{Error, Result};

pub mod eval;
mod shape;

/// One entity found in a text.
#[derive(Debug, Clone, PartialEq)]
pub struct Entity {
    pub kind: &'static str,
    pub name: String,
    /// Character offset of the first mention.
    pub start: usize,
}

impl Entity {
    pub fn label(&self) -> String {
        crate::model::EntityKey::new(self.kind, &self.name).encode()
    }
}

/// Names the county knows, by kind, with the town each belongs to.
#[derive(Debug, Clone, Default)]
pub struct Gazetteer {
    /// (kind, name, town, county), longest names first so the longest match wins.
    entries: Vec<(String, String, String, String)>,
    /// Leftmost-longest automaton over the names, in `entries` order.
    names: Option<aho_corasick::AhoCorasick>,
}

impl Gazetteer {
    pub fn load(path: &Path) -> Result<Gazetteer> {
        let mut r = csv::Reader::from_path(path).map_err(|e| Error::input(path, e.to_string()))?;
        let mut entries = vec![];
        for (i, rec) in r.records().enumerate() {
            let rec = rec.map_err(|e| Error::input(path, format!("row {}: {e}", i + 2)))?;
            let get = |k: usize| rec.get(k).unwrap_or("").trim().to_string();
            if !get(1).is_empty() {
                entries.push((get(0), get(1), get(2), get(3)));
            }
        }
        entries.sort_by(|a, b| b.1.chars().count().cmp(&a.1.chars().count()).then(a.1.cmp(&b.1)));
        let names = aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostLongest)
            .build(entries.iter().map(|e| e.1.as_str()))
            .map_err(|e| Error::input(path, e.to_string()))?;
        Ok(Gazetteer { entries, names: Some(names) })
    }

    /// Names worth keeping whole when cutting words (not towns and villages: jieba
    /// already knows place suffixes).
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries
            .iter()
            .filter(|(k, ..)| !matches!(k.as_str(), "town" | "village" | "county"))
            .map(|(_, n, ..)| n.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The first town (and its county) the text names.
    pub fn region_in(&self, text: &str) -> Option<(String, String)> {
        let names = self.names.as_ref()?;
        names
            .find_iter(text)
            .map(|m| &self.entries[m.pattern().as_usize()])
            .find(|(k, ..)| k == "town" || k == "village")
            .map(|(_, _, town, county)| (county.clone(), town.clone()))
    }
}

fn gazetteer_kind(k: &str) -> &'static str {
    match k {
        "estate" => "estate",
        "company" => "company",
        "project" => "project",
        "platform" => "platform",
        "school" | "hospital" => "org",
        "road" => "road",
        "town" | "village" | "county" => "place",
        _ => "other",
    }
}

static BUILDING: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[0-9]{1,3}(?:栋|号楼|幢)").expect("static regex"));
static AMOUNT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"([0-9]+(?:\.[0-9]+)?)\s*(亿元|万元|千元|元|万)").expect("static regex"));
static DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[0-9]{4}年(?:[0-9]{1,2}月(?:[0-9]{1,2}日)?)?|[0-9]{1,2}月[0-9]{1,2}日").expect("static regex")
});

/// Characters that end the words before a name: "我在宏建公司" → 宏建公司.
const BOUNDARY: &[char] = &[
    '在', '被', '与', '的', '是', '到', '和', '给', '由', '向', '对', '找', '跟', '了', '说', '从', '把', '为', '将',
    '买', '住', '及', '等', '经', '其', '让', '请', '去', '于', '个', '里', '很', '些', '多', '做', '没', '因', '用',
    '占',
];
/// Words that look like a name's tail but are not names.
const NOT_NAMES: &[&str] =
    &["公司", "集团", "工厂", "项目", "小区", "该公司", "这个小区", "我们小区", "本小区", "大道", "道路", "马路"];

/// Words that stand before a name but are not part of it (verbs of reporting and living,
/// pointers), besides stopwords and localities.
const LEADING_NOT_NAME: &[&str] = &[
    "反映",
    "投诉",
    "举报",
    "位于",
    "地处",
    "坐落",
    "座落",
    "居住",
    "住在",
    "入住",
    "购买",
    "关于",
    "请问",
    "建议",
    "希望",
    "要求",
    "业主",
    "本人",
    "我是",
    "作为",
    "咨询",
    "询问",
    "原",
    "新建",
    "在建",
    "拟建",
    "规划",
    "承建",
    "开发",
    "附近",
    "周边",
    "旁边",
    "对面",
    "隔壁",
    "门口",
    "楼下",
    "整个",
    "所在",
    "目前",
    "现在",
    "已经",
    "一个",
    "这个",
    "那个",
    "这家",
    "那家",
    "我们",
    "我家",
    "小区",
    "甚至",
    "不如",
    "紧邻",
    "毗邻",
    "靠近",
    "沿线",
    "反应",
    "预计",
    "官宣",
    "查处",
    "严肃查处",
    "厂家",
    "原告",
    "被告",
    "交警",
    "距离",
    "落实",
    "重点",
    "家属",
    "大部分",
    "部分",
    "市民",
    "村民",
    "居民",
    "群众",
    "网友",
    "家长",
    "学生",
    "孩子",
    "老人",
];
/// Words that make a name's body generic: `物业公司`, `安置小区`, `大型小区` are no names.
const GENERIC: &[&str] = &[
    "物业",
    "物业服务",
    "物业管理",
    "安置",
    "大型",
    "老旧",
    "老",
    "新",
    "周边",
    "附近",
    "相关",
    "有关",
    "整个",
    "各",
    "其他",
    "开发",
    "建筑",
    "施工",
    "劳务",
    "房地产",
    "地产",
    "装修",
    "保安",
    "保洁",
    "培训",
    "科技",
    "商品房",
    "住宅",
    "高档",
    "高层",
    "私立",
    "公立",
    "民办",
    "公办",
    "重点",
    "附属",
    "国有",
    "私营",
    "民营",
    "城中村",
    "农村",
    "城市",
    "商业",
    "居民",
    "安置房",
    "公租房",
    "廉租房",
    "某",
    "某某",
    "该",
    "本",
    "此",
    "两个",
    "多个",
    "一些",
    "部分",
    "所有",
    "这些",
    "那些",
    "很多",
    "许多",
    "不少",
    "全",
    "总",
    "分",
    "中心",
    "一",
    "二",
    "三",
    "第一",
    "市",
    "区",
    "县",
    "镇",
    "乡",
    "村",
    "街道",
    "社区",
    "省",
    "国家",
    "政府",
    "公交",
    "地铁",
    "高铁",
    "小区",
    "道路",
    "马路",
    "公路",
    "城区",
    "老城",
    "新城",
    "县城",
    "进城",
    "市区",
    "主城",
    "主城区",
    "全市",
    "开发商",
    "电力",
    "供电",
    "自来水",
    "燃气",
    "网络",
    "快递",
    "外卖",
    "出租",
    "出租车",
    "网约车",
    "共享",
    "单车",
    "电动车",
    "汽车",
    "停车",
    "垃圾",
    "环卫",
    "绿化",
    "教育",
    "医疗",
    "卫生",
    "体育",
    "文化",
    "旅游",
    "交通",
    "金融",
    "投资",
    "理财",
    "网贷",
    "借贷",
    "小额",
    "非法",
    "正规",
    "合法",
    "违法",
    "违规",
    "黑",
    "后",
    "大",
    "同一",
    "市直",
    "中小",
    "专科",
    "综合",
    "眼科",
    "线",
    "建设",
    "备案",
    "自然",
    "人口密集",
    "国际",
    "占全",
    "整",
    "严重",
    "影响",
    "周围",
    "该校",
    "本校",
    "学校",
    "医院",
    "公园",
    "广场",
    "市场",
    "酒店",
    "家属",
];

/// Cut a name found by its shape to the words around it: it ends where a word ends and
/// starts where a word starts (a word the shape's length cut into is taken whole), without
/// leading words that are no part of a name (stopwords, localities, verbs of reporting), and
/// its body (the name without the suffix) is not made of generic words only.
fn refine(text: &str, start: usize, end: usize, suffix: &str, words: &Words) -> Option<(usize, String)> {
    let bounds = &words.bounds;
    if bounds.binary_search(&end).is_err() {
        return None;
    }
    // the last word start at or before the shape's start
    let from = bounds[bounds.partition_point(|&b| b <= start).max(1) - 1];
    let i = bounds.partition_point(|&b| b < from);
    let j = bounds.partition_point(|&b| b < end);
    if j == 0 {
        return None;
    }
    // a name holds no verb, preposition, adverb, pronoun, particle, time or measure word:
    // it starts after the last one (the word holding the suffix aside)
    let part = |q: usize| {
        let w = &text[bounds[q]..bounds[q + 1]];
        // a number belongs to a name only right before its suffix word (805路, 3号线)
        let digits = w.chars().all(|c| c.is_ascii_digit());
        if digits { q + 2 == j } else { words.tags[q] != "m" && name_part(w, words.tags[q]) }
    };
    let mut k = (i..j - 1).rev().find(|&q| !part(q)).map_or(i, |q| q + 1);
    let seg = crate::text::Segmenter::builtin();
    let generic = |from: usize| {
        let body_end = end.saturating_sub(suffix.len());
        // a body of one character is a kind, not a name (大花园, 线路), unless digits (805路)
        let short =
            text.get(from..body_end).is_some_and(|b| b.chars().count() < 2 && !b.chars().all(|c| c.is_ascii_digit()));
        body_end <= from
            || short
            || seg
                .cut(&text[from..body_end])
                .iter()
                .all(|w| GENERIC.contains(w) || !seg.is_term(w) || crate::text::is_locality(w))
    };
    while k < j - 1 {
        let w = &text[bounds[k]..bounds[k + 1]];
        // a remnant of the place before: "A3区" cut as "A3" "区", "…路星语林小区"
        let remnant =
            matches!(w, "区" | "市" | "县" | "省" | "镇" | "乡" | "路" | "街" | "村") && glued(text, bounds[k]);
        let droppable = !seg.is_term(w)
            || remnant
            || LEADING_NOT_NAME.contains(&w)
            || (crate::text::is_locality(w)
                && (w.chars().count() > 1 || glued(text, bounds[k]))
                && !generic(bounds[k + 1]))
            || (w.chars().count() == 1 && BOUNDARY.contains(&w.chars().next().unwrap_or(' ')));
        if !droppable {
            break;
        }
        k += 1;
    }
    let mut at = bounds[k];
    // a function word jieba glued to the name's first word ("因县人民医院")
    while let Some(c) = text[at..end].chars().next().filter(|c| BOUNDARY.contains(c)) {
        at += c.len_utf8();
    }
    // a remnant jieba glued to the name's first word: "区天悦幼儿园", "路星语林小区"
    while let Some(c) = text[at..end].chars().next().filter(|c| "区市县省镇乡路街村".contains(*c) && glued(text, at))
    {
        if generic(at + c.len_utf8()) {
            break;
        }
        at += c.len_utf8();
    }
    let name = &text[at..end];
    if generic(at) || NOT_NAMES.contains(&name) {
        return None;
    }
    Some((at, name.to_string()))
}

/// Whether the text at `at` continues a word before it (a letter code, a place name), so a
/// place suffix there belongs to what stands before: "A3区天悦幼儿园", not "的县人民医院".
fn glued(text: &str, at: usize) -> bool {
    text[..at]
        .chars()
        .next_back()
        .is_some_and(|c| c.is_ascii_alphanumeric() || (c.is_alphabetic() && !BOUNDARY.contains(&c)))
}

/// The words of a text: where each starts (and the text's end), and their tags.
struct Words<'a> {
    bounds: Vec<usize>,
    tags: Vec<&'a str>,
}

impl<'a> Words<'a> {
    /// The words of the whole text.
    #[cfg(test)]
    fn of(text: &'a str) -> Words<'a> {
        Words::around(text, [(0, text.len())])
    }

    /// The words of the runs of the text that hold these spans, the same words as those of
    /// the whole text: jieba cuts each run of CJK and ASCII letters and digits on its own.
    /// The text between the runs stands as one word tagged `x`, which no name reaches into.
    fn around(text: &'a str, spans: impl IntoIterator<Item = (usize, usize)>) -> Words<'a> {
        let mut runs: Vec<(usize, usize)> =
            spans.into_iter().map(|(s, e)| (run_start(text, s), run_end(text, e))).collect();
        runs.sort_unstable();
        let (mut bounds, mut tags) = (vec![], vec![]);
        let mut at = 0;
        for (a, b) in runs {
            let a = a.max(at);
            if b <= a {
                continue;
            }
            if a > at {
                bounds.push(at);
                tags.push("x");
            }
            let mut w_at = a;
            for (w, t) in crate::text::Segmenter::builtin().tagged(&text[a..b]) {
                bounds.push(w_at);
                tags.push(t);
                w_at += w.len();
            }
            at = b;
        }
        if at < text.len() {
            bounds.push(at);
            tags.push("x");
        }
        bounds.push(text.len());
        Words { bounds, tags }
    }
}

/// A character jieba cuts within a run (its default class: CJK ideographs, ASCII letters
/// and digits, `+#&._%-`); any other character ends a run.
fn in_run(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(c, '+' | '#' | '&' | '.' | '_' | '%' | '-')
        || matches!(c,
            '\u{4E00}'..='\u{9FFF}'
            | '\u{3400}'..='\u{4DBF}'
            | '\u{F900}'..='\u{FAFF}'
            | '\u{20000}'..='\u{2A6DF}'
            | '\u{2A700}'..='\u{2B73F}'
            | '\u{2B740}'..='\u{2B81F}'
            | '\u{2B820}'..='\u{2CEAF}'
            | '\u{2CEB0}'..='\u{2EBEF}'
            | '\u{2F800}'..='\u{2FA1F}')
}

/// Where the run holding byte `at` starts.
fn run_start(text: &str, at: usize) -> usize {
    text[..at].char_indices().rev().take_while(|&(_, c)| in_run(c)).last().map_or(at, |(i, _)| i)
}

/// Where the run holding the character before byte `at` ends.
fn run_end(text: &str, at: usize) -> usize {
    text[at..].char_indices().find(|&(_, c)| !in_run(c)).map_or(text.len(), |(i, _)| at + i)
}

/// Whether a word can stand inside a name, by its part of speech.
fn name_part(word: &str, tag: &str) -> bool {
    if word == "之" || word.chars().all(|c| c.is_ascii_alphanumeric()) {
        return true;
    }
    if !word.chars().any(char::is_alphanumeric) || LEADING_NOT_NAME.contains(&word) {
        return false;
    }
    let head = tag.chars().next().unwrap_or('x');
    tag == "vn" || !matches!(head, 'v' | 'p' | 'd' | 'r' | 'c' | 'u' | 'y' | 'e' | 'o' | 'f' | 't' | 'q' | 'w')
}

fn trim_name(s: &str, suffix_chars: usize) -> Option<String> {
    let chars: Vec<char> = s.chars().collect();
    let body_end = chars.len().saturating_sub(suffix_chars);
    let cut = chars[..body_end].iter().rposition(|c| BOUNDARY.contains(c)).map_or(0, |i| i + 1);
    let mut name: String = chars[cut..].iter().collect();
    // "隔壁小区", "我们公司": a pointer, not a name
    for p in ["隔壁", "对面", "附近", "我们", "我家", "这个", "那个", "这家", "那家", "本", "该", "此"]
    {
        if let Some(rest) = name.strip_prefix(p) {
            name = rest.to_string();
        }
    }
    (name.chars().count() > suffix_chars && !NOT_NAMES.contains(&name.as_str())).then_some(name)
}

/// Find entities; gazetteer names first, then name shapes for the ones it does not know.
pub fn extract(text: &str, gaz: &Gazetteer) -> Vec<Entity> {
    let mut found: BTreeMap<(&'static str, String), usize> = BTreeMap::new();
    let mut taken: Vec<(usize, usize)> = vec![];
    let char_at = |byte: usize| text[..byte].chars().count();
    if let Some(names) = &gaz.names {
        for m in names.find_iter(text) {
            let (kind, name, ..) = &gaz.entries[m.pattern().as_usize()];
            taken.push((m.start(), m.end()));
            found.entry((gazetteer_kind(kind), name.clone())).or_insert(char_at(m.start()));
        }
    }
    let found_shapes = shape::find_all(text);
    let words = Words::around(text, found_shapes.iter().flatten().copied());
    for (shape, matches) in shape::SHAPES.iter().zip(found_shapes) {
        for (m_start, mut m_end) in matches {
            // the shortest match stops at the first suffix: 翡翠湾|小区 goes on to the second
            while let Some(more) =
                shape.suffixes.iter().filter(|x| text[m_end..].starts_with(*x)).max_by_key(|x| x.len())
            {
                m_end += more.len();
            }
            // a name found before may sit at the front of this match: keep what follows it
            let mut s = m_start;
            let mut clash = false;
            for &(a, b) in &taken {
                if a < m_end && s < b {
                    if a <= s && b < m_end { s = b } else { clash = true }
                }
            }
            if clash {
                continue;
            }
            let piece = &text[s..m_end];
            let Some(suffix) = shape.suffixes.iter().filter(|x| piece.ends_with(*x)).max_by_key(|x| x.len()) else {
                continue;
            };
            let Some(cut) = trim_name(piece, suffix.chars().count()) else { continue };
            if let Some((start, name)) = refine(text, m_end - cut.len(), m_end, suffix, &words) {
                taken.push((start, m_end));
                found.entry((shape.kind, name)).or_insert(char_at(start));
            }
        }
    }
    // buildings, amounts and dates all start with an ASCII digit (`clean_text` has folded
    // full-width ones); a text without one is spared three regex passes
    if text.bytes().any(|b| b.is_ascii_digit()) {
        for m in BUILDING.find_iter(text) {
            found.entry(("building", m.as_str().to_string())).or_insert(char_at(m.start()));
        }
        for c in AMOUNT.captures_iter(text) {
            let v: f64 = c[1].parse().unwrap_or(0.0);
            let yuan = v * match &c[2] {
                "亿元" => 1e8,
                "万元" | "万" => 1e4,
                "千元" => 1e3,
                _ => 1.0,
            };
            found.entry(("amount", format!("{}", yuan.round() as i64))).or_insert(char_at(c.get(0).unwrap().start()));
        }
    }
    if let Some(n) = crate::normalize::headcount_from_text(text) {
        found.entry(("people", n.to_string())).or_insert(0);
    }
    for m in DATE.find_iter(text) {
        found.entry(("date", m.as_str().to_string())).or_insert(char_at(m.start()));
    }
    let mut out: Vec<Entity> = found.into_iter().map(|((kind, name), start)| Entity { kind, name, start }).collect();
    out.sort_by(|a, b| a.start.cmp(&b.start).then(a.kind.cmp(b.kind)));
    out
}

/// The entity a case is about, for grouping: for land and village matters the village,
/// for housing the estate; otherwise a platform, else a company, estate or project — the kind that stands highest
/// wins, and the title breaks ties before the text.
pub fn key_entity(focus_topic: &str, ents_title: &[Entity], ents_text: &[Entity]) -> Option<String> {
    let village_first = matches!(focus_topic, "征地拆迁" | "村务");
    let estate_first = focus_topic == "房地产";
    let rank = |e: &Entity| match e.kind {
        "place" if village_first && e.name.ends_with('村') => 0,
        "estate" if estate_first => 0,
        "platform" => 1,
        "company" => 2,
        "estate" => 3,
        "project" => 4,
        "facility" => 5,
        "road" => 6,
        _ => 9,
    };
    let in_title = |e: &Entity| ents_title.iter().any(|t| t.kind == e.kind && t.name == e.name);
    ents_text.iter().filter(|e| rank(e) < 9).min_by_key(|e| (rank(e), !in_title(e), e.start)).map(|e| e.name.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(t: &str) -> Vec<String> {
        extract(t, &Gazetteer::default()).iter().map(Entity::label).collect()
    }

    /// Every shape match refined with the words of the runs around it, as `extract` does,
    /// and with the words of the whole text.
    fn refined_both_ways(text: &str) -> (Vec<Option<(usize, String)>>, Vec<Option<(usize, String)>>) {
        let shapes = shape::find_all(text);
        let (whole, runs) = (Words::of(text), Words::around(text, shapes.iter().flatten().copied()));
        let mut a = vec![];
        let mut b = vec![];
        for (shape, matches) in shape::SHAPES.iter().zip(&shapes) {
            for &(s, e) in matches {
                for suffix in shape.suffixes.iter().filter(|x| text[..e].ends_with(*x)) {
                    a.push(refine(text, s, e, suffix, &whole));
                    b.push(refine(text, s, e, suffix, &runs));
                }
            }
        }
        (a, b)
    }

    #[test]
    fn words_around_the_names_are_the_whole_texts_words() {
        for t in [
            "我在永兴建筑劳务有限公司承建的县人民医院新院区项目干活，拖欠工资12.5万元",
            "城关镇幸福村村民反映，（某某）公司和ABC工厂占地；A3区天悦幼儿园旁的805路公交站",
            "来电人称：其在星沙凉塘路旧城改造项目的房子\r\n被强拆，要求湖南某某（集团）有限公司赔偿",
        ] {
            let (whole, runs) = refined_both_ways(t);
            assert!(!whole.is_empty());
            assert_eq!(whole, runs, "{t}");
        }
    }

    mod any_text {
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]
            #[test]
            fn words_around_any_name_are_the_whole_texts_words(
                text in proptest::collection::vec(
                    prop::sample::select(vec![
                        "公司", "有限", "集团", "工厂", "项目", "小区", "花园", "区", "县", "镇", "村", "路", "的",
                        "在", "永兴", "城关", "我们", "反映", "业主", "平台", "医院", "号线", "A3", "805", "（", "）",
                        "(", ")", "，", "。", " ", "\r\n", "·", "-", "翡翠湾", "被", "去", "幼儿园",
                    ]),
                    0..40,
                ).prop_map(|v| v.concat())
            ) {
                let (whole, runs) = super::refined_both_ways(&text);
                prop_assert_eq!(whole, runs, "{}", text);
            }
        }
    }

    #[test]
    fn names_by_their_shape() {
        let l = labels("我在永兴建筑劳务有限公司承建的县人民医院新院区项目干活，拖欠工资12.5万元");
        assert!(l.contains(&"company:永兴建筑劳务有限公司".to_string()), "{l:?}");
        assert!(l.contains(&"project:县人民医院新院区项目".to_string()), "{l:?}");
        assert!(l.contains(&"amount:125000".to_string()), "{l:?}");
        let l = labels("我们是翡翠湾小区的业主，3号楼至今停工，上百户业主2024年6月就该交房");
        assert!(l.contains(&"estate:翡翠湾小区".to_string()), "{l:?}");
        assert!(l.contains(&"building:3号楼".to_string()), "{l:?}");
        assert!(l.contains(&"people:100".to_string()), "{l:?}");
        assert!(l.contains(&"date:2024年6月".to_string()), "{l:?}");
        let l = labels("青石镇桃源村的村干部侵占集体收入");
        assert!(l.contains(&"place:青石镇".to_string()) && l.contains(&"place:桃源村".to_string()), "{l:?}");
        let l = labels("听说隔壁小区有人去省里反映过，我们公司也欠薪");
        assert!(!l.iter().any(|x| x.starts_with("estate:") || x.starts_with("company:")), "{l:?}");
    }

    #[test]
    fn gazetteer_names_win_and_fill_the_region() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("g.csv");
        std::fs::write(&p, "kind,name,town,county\ntown,青石镇,青石镇,青溪县\nvillage,桃源村,青石镇,青溪县\nplatform,聚财宝,城关镇,青溪县\nestate,锦绣华庭,城关镇,青溪县\n").unwrap();
        let g = Gazetteer::load(&p).unwrap();
        let e = extract("聚财宝暴雷了，锦绣华庭的业主也有人投了钱", &g);
        let l: Vec<String> = e.iter().map(Entity::label).collect();
        assert!(l.contains(&"platform:聚财宝".to_string()) && l.contains(&"estate:锦绣华庭".to_string()), "{l:?}");
        assert_eq!(key_entity("非法集资", &[], &e), Some("聚财宝".to_string()));
        let land = extract("桃源村因县人民医院新院区项目被征收耕地", &g);
        assert_eq!(key_entity("征地拆迁", &[], &land), Some("桃源村".to_string()));
        assert_eq!(key_entity("其他", &[], &land), Some("县人民医院新院区项目".to_string()));
        assert_eq!(g.region_in("我是桃源村村民"), Some(("青溪县".into(), "青石镇".into())));
        assert_eq!(g.region_in("没有地名"), None);
    }
}
