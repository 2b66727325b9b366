//! Threat and extreme language (扬言): self-harm, blocking roads, banners, going to
//! Beijing or the province, collective action, media exposure, violence.
//!
//! Each hit keeps its span (character offsets in the cleaned text) and a status:
//! `asserted` (the writer says it: "再不解决我们就去北京"), `negated` ("我们不会去北京")
//! or `reported` ("听说有人去省里反映过"). Only asserted hits count as a threat. A
//! conditional threat ("如果再不解决，…就去北京") is asserted: that is how 扬言 is put.

use std::sync::LazyLock;

use regex::Regex;

/// (kind, pattern) — kinds are the words briefings use.
const PATTERNS: &[(&str, &str)] = &[
    ("自伤", r"跳楼|跳下去|自焚|自杀|喝农药|服毒|割腕|以死相逼|死给你们看|不想活了"),
    ("暴力", r"同归于尽|报复社会|讨个公道不惜一切|拼命|砍人|炸掉"),
    ("堵路", r"堵路|堵桥|堵门|堵高速|拦车|拦路|阻断交通|封路|堵住[^，。]{0,4}大门"),
    ("横幅", r"拉横幅|打横幅|挂横幅|举牌|打标语"),
    ("进京", r"进京|去北京|到北京|上北京|赴京|北京上访|国家信访局"),
    ("赴省", r"去省里|到省里|赴省|上省里|省信访局|去省城|到省城|去省委|到省政府"),
    ("集体", r"集体上访|集体访|集体去|组织\d*多?人|一起去[^，。]{0,6}(讨说法|上访|政府)|聚集|围堵|静坐"),
    ("媒体", r"媒体曝光|找媒体|联系媒体|找记者|曝光|发到网上|上热搜|发抖音|发微博"),
];

static RULES: LazyLock<Vec<(&'static str, Regex)>> =
    LazyLock::new(|| PATTERNS.iter().map(|(k, p)| (*k, Regex::new(p).expect("static regex"))).collect());

/// Negation right before the hit in the same clause.
static NEGATED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(不会|不再|不想|不打算|不准备|不要|没有|没想|并不|绝不|决不|从未|从没|不愿|不去|不|别|未)[^，。；！？,;!?]{0,4}$")
        .expect("static regex")
});
/// A condition, not a negation: "再不解决就去北京", "不给钱的话就堵路".
static CONDITIONAL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(不|没|未)[^，。；！？,;!?]{0,8}(就|的话|便|则)[^，。；！？,;!?]{0,3}$").expect("static regex")
});
/// Hearsay earlier in the same clause or sentence.
static REPORTED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"听说|据说|传言|听别人说|听人说|网上说|新闻说|以前有人|隔壁").expect("static regex"));

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Asserted,
    Negated,
    Reported,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreatHit {
    pub kind: &'static str,
    pub term: String,
    /// Character offsets in the text.
    pub start: usize,
    pub end: usize,
    pub status: Status,
}

impl ThreatHit {
    /// `进京:去北京@12-15`, the form kept in `enriched.threats`.
    pub fn label(&self) -> String {
        format!("{}:{}@{}-{}", self.kind, self.term, self.start, self.end)
    }
}

fn clause_start(text: &str, byte: usize) -> usize {
    text[..byte]
        .rfind(['，', '。', '；', '！', '？', ',', ';', '!', '?', '\n'])
        .map_or(0, |i| i + text[i..].chars().next().map_or(1, char::len_utf8))
}

fn sentence_start(text: &str, byte: usize) -> usize {
    text[..byte]
        .rfind(['。', '！', '？', '!', '?', '\n'])
        .map_or(0, |i| i + text[i..].chars().next().map_or(1, char::len_utf8))
}

/// Every threat-language hit in the text, in order of position.
pub fn find_threats(text: &str) -> Vec<ThreatHit> {
    let mut hits = vec![];
    for (kind, re) in RULES.iter() {
        for m in re.find_iter(text) {
            // "不然/不行/不管" are not negations of what follows
            let mut before = text[clause_start(text, m.start())..m.start()].to_string();
            for not_negation in ["不然", "不行", "不管", "要不"] {
                before = before.replace(not_negation, "");
            }
            let sentence = &text[sentence_start(text, m.start())..m.start()];
            let status = if NEGATED.is_match(&before) && !CONDITIONAL.is_match(&before) {
                Status::Negated
            } else if REPORTED.is_match(sentence) {
                Status::Reported
            } else {
                Status::Asserted
            };
            let start = text[..m.start()].chars().count();
            hits.push(ThreatHit {
                kind,
                term: m.as_str().to_string(),
                start,
                end: start + m.as_str().chars().count(),
                status,
            });
        }
    }
    hits.sort_by_key(|h| (h.start, h.kind));
    hits
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asserted(t: &str) -> Vec<&'static str> {
        find_threats(t).into_iter().filter(|h| h.status == Status::Asserted).map(|h| h.kind).collect()
    }

    #[test]
    fn threats_are_found_with_spans() {
        let t = "如果再不解决，我们就集体去北京上访。";
        let hits = find_threats(t);
        assert!(
            hits.iter().any(|h| h.kind == "进京" && h.term == "去北京" && h.status == Status::Asserted),
            "{hits:?}"
        );
        let h = hits.iter().find(|h| h.kind == "进京").unwrap();
        assert_eq!(t.chars().skip(h.start).take(h.end - h.start).collect::<String>(), "去北京");
        assert_eq!(asserted("逼急了我们只能去堵路拉横幅"), vec!["堵路", "横幅"]);
        assert_eq!(asserted("已经有人说要从楼顶跳下去，出了事谁负责？"), vec!["自伤"]);
        assert_eq!(asserted("我们准备联系媒体曝光此事"), vec!["媒体", "媒体"]);
    }

    #[test]
    fn negated_and_reported_forms_do_not_count() {
        assert!(asserted("我们不会去北京闹事，只希望依法解决。").is_empty());
        assert!(asserted("我们理性维权，不会堵路。").is_empty());
        assert!(asserted("听说隔壁小区有人去省里反映过，我们还是相信县里。").is_empty());
        assert_eq!(find_threats("听说有人要去北京")[0].status, Status::Reported);
        assert_eq!(find_threats("我们没有去北京")[0].status, Status::Negated);
        // a negation in another clause does not cancel the threat
        assert_eq!(asserted("如果再不解决，我们就去省里讨说法"), vec!["赴省"]);
        assert_eq!(asserted("再拖下去不然我们就去北京"), vec!["进京"]);
        // a condition in the same clause is a threat, not a negation
        assert_eq!(asserted("业主们说再不解决就去北京上访"), vec!["进京"]);
        assert_eq!(asserted("不给钱的话我们堵路"), vec!["堵路"]);
    }

    #[test]
    fn ordinary_text_has_no_hits() {
        assert!(find_threats("小区路灯坏了半年，希望尽快维修。").is_empty());
    }
}
