//! Threat and extreme language (扬言) and the petitioner's own account of how long and how
//! high the matter has gone (重复, 越级, 涉诉) — the signals a bureau grades risk by.
//!
//! People rarely use the words of a list: a threat names a means, an act and a condition
//! ("买好了汽油，月底不给钱就到县政府门口点了"), a group announces a plan before it acts
//! ("工友们约好了下周一一起去市政府要个说法"). So besides fixed words each kind has
//! composite patterns: a means near an act, a plan word near a group word near a target.
//!
//! Each hit keeps its span (character offsets in the cleaned text) and a status:
//! `asserted` (the writer says it: "再不解决我们就去北京"), `negated` ("我们不会去北京")
//! or `reported` ("听说有人去省里反映过"). Only asserted hits count. A conditional threat
//! ("如果再不解决，…就去北京") is asserted: that is how 扬言 is put.

use std::sync::LazyLock;

use regex::Regex;

/// Threat kinds: what the writer says he or the group will do (or is doing).
pub const THREAT_KINDS: &[&str] =
    &["自伤", "暴力", "极端", "堵路", "横幅", "花圈", "医闹", "进京", "赴省", "集体", "媒体"];
/// History kinds: what the writer says has happened before (第四次反映, 已到省里反映).
pub const HISTORY_KINDS: &[&str] = &["重复", "已到市", "已赴省", "涉诉"];

/// The kind of the label that carries the largest head count the text names ("二百余户业主"),
/// kept beside the threats so the risk stage can weigh a group's plan by its size.
pub const SIZE_KIND: &str = "规模";

/// Is this a threat kind (not a history kind)?
pub fn is_threat_kind(kind: &str) -> bool {
    THREAT_KINDS.contains(&kind)
}

/// A span of text between two clause marks, for composite patterns.
const C: &str = r"[^，。；！？,;!?\n]";
/// Means of self-harm or violence (汽油, 农药, 煤气罐, …).
const MEANS: &str =
    r"汽油|柴油|煤油|农药|百草枯|敌敌畏|老鼠药|耗子药|安眠药|煤气罐|液化气罐|炸药|雷管|硫酸|菜刀|尖刀|绳子";
/// What a group does together.
const GROUP: &str = r"一起|集体|全体|所有人|大家|一块|一同|工友们|业主们|村民们|家属们|老乡们|[二三四五六七八九十百几两\d]+[十百]?多?[个名位户人]";
/// Where a group goes to be seen.
const TARGET: &str = r"北京|省城|省里|高速|政府|市委|县委|区委|镇里|信访局|门口|大门|现场|售楼部|工地|广场|讨说法|要说法|讨个说法|上访|讨薪|讨要|维权|拉横幅|静坐";

/// A condition and the step to an act: "实在不行就…", "月底前再不给钱，我就…".
const CONDITION: &str = r"(如果|若是|要是|再不|还不|不然|否则|到时候|逼急了|大不了|实在不行|万不得已|走投无路|不给[^。！？]{0,6}的话)[^。！？]{0,16}(就|只能|只好|便|也要|非要)";
/// Self-harm as an act, in any words.
const SELF_ACT: &str =
    r"跳下|跳河|跳江|跳楼|跳桥|喝药|吃药|服药|去死|寻死|死给|死在|一死|不活|上吊|点了自己|烧了自己|这条命";
/// Violence as an act, in any words.
const HARM_ACT: &str = r"炸|杀了|砍|捅|烧了|点了|同归|拼了|陪葬|血溅|报复|弄死|打死|好看";

/// (kind, pattern) — kinds are the words briefings use; patterns are put together at start.
fn patterns() -> Vec<(&'static str, String)> {
    vec![
        ("自伤", format!(r"({CONDITION})[^。！？]{{0,12}}({SELF_ACT})")),
        ("暴力", format!(r"({CONDITION})[^。！？]{{0,12}}({HARM_ACT})")),
        (
            "自伤",
            format!(
                r"跳楼|跳下去|跳下来|自焚|自杀|轻生|寻短见|喝农药|服毒|割腕|上吊|吊死|卧轨|跳河|跳江|跳桥|一死了之|以死相逼|以死明志|以命相搏|死给[^，。]{{0,4}}看|死在{C}{{0,8}}(门口|面前|政府|大楼|大厅|这里|那里)|不想活|不活了|活不下去|没法活|结束{C}{{0,3}}生命|了结{C}{{0,2}}自己|点了自己|把自己{C}{{0,3}}(点|烧)|(楼顶|天台|楼上|桥上|塔吊|吊塔){C}{{0,8}}(跳|下去|下来)|(爬上|站上|上了){C}{{0,3}}(塔吊|楼顶|天台)|({MEANS}){C}{{0,8}}(点了|点火|烧了|浇|泼|喝了|喝下|吃了|吞|备下|备好|准备好|买好|带来|带着|揣着)|(这条|这|我的)命{C}{{0,6}}(还回去|还给|交代|搭上|豁出去|不要了)|不要(这条)?命了|(浇|泼|喝|吃|吞|买好|备好|准备好?|带着|带上|揣着|拎着)[了一桶瓶包把]{{0,3}}({MEANS})"
            ),
        ),
        (
            "暴力",
            format!(
                r"同归于尽|报复社会|玉石俱焚|鱼死网破|陪葬|垫背|陪我{C}{{0,3}}死|一起死|血溅|拼了这条|跟他们拼了|豁出去|不惜一切|弄死|杀了(你|他|她)|杀人|砍人|砍死|捅死|炸掉|炸了(你们|他|政府|大楼|公司|办公楼)|炸毁|炸平|放火|烧了(你们|他|她|公司|工地|政府|厂)|以暴制暴|(拿|带|动|持)刀|一命换一命|一命抵一命|(跟|和)(他|她|他们|你们)拼了|(把|将){C}{{0,8}}炸(了|掉|毁|平)"
            ),
        ),
        ("极端", r"极端(方式|手段|行为|措施|行动|的事)|过激(行为|行动|的事)|后果自负|闹出人命".replace("{C}", C)),
        (
            "堵路",
            format!(
                r"堵路|堵桥|堵高速|堵国道|拦车|拦路|阻断交通|封路|(堵|封|围|拦){C}{{0,3}}(大门|厂门|校门|路口|工地|售楼部|政府|马路|公路|院门|医院)|躺(在)?(马路|路上|车前|路中间)|(高速|路口|入口|出口|收费站|便道|大门|厂门|校门|院门|公路|马路|门口){C}{{0,4}}(堵住|堵上|堵了|堵死|封住|封了|锁上|堵着)|(占领|霸占|围住)(售楼部|工地|厂区)"
            ),
        ),
        ("横幅", r"拉横幅|打横幅|挂横幅|拉条幅|举牌|打标语|举标语|拉起?(了)?横幅".to_string()),
        ("花圈", r"花圈|灵堂|摆灵|设灵|停灵|抬棺|挽联|披麻戴孝|烧纸钱|摆(放)?遗像|停尸|抬尸".to_string()),
        ("医闹", format!(r"(医院|卫生院|诊所){C}{{0,12}}(闹|围堵|堵门|静坐|讨说法|不走)|(家属|亲属){C}{{0,8}}(围堵|占据|占着|守在)")),
        (
            "进京",
            format!(
                r"进京|去北京|到北京|上北京|赴京|北京上访|国家信访局|中南海|天安门|(去|到|上)首都|北京{C}{{0,4}}(上访|告状|讨说法|反映)"
            ),
        ),
        (
            "赴省",
            r"去省里|到省里|赴省|上省里|省信访局|去省城|到省城|去省委|到省政府|去省政府|(去|到|上)省{1}(里|委|政府|信访)".to_string(),
        ),
        (
            "集体",
            format!(
                r"集体上访|集体访|集体去|集体讨薪|集体维权|组织\d*多?人|一起去{C}{{0,6}}(讨说法|上访|政府)|聚集|围堵|静坐|(约好|约定|相约|商量好|商量着|说好|定了|定好|准备|组织|召集|号召|计划|打算|决定)(了)?{C}{{0,10}}({GROUP}){C}{{0,10}}(去|到|上|来){C}{{0,10}}({TARGET})|(业主群|微信群|工友群|村民群|群里){C}{{0,10}}(商量|约|组织|号召|召集)"
            ),
        ),
        ("媒体", r"媒体曝光|找媒体|联系媒体|找记者|曝光|发到网上|上热搜|发抖音|发微博|发朋友圈".to_string()),
        (
            "重复",
            format!(
                r"第[二三四五六七八九十两0-9２-９]{{1,3}}次{C}{{0,6}}(反映|上访|来访|信访|投诉|来电|打电话|找|到|去|写信|留言)|(反映|上访|投诉|来电|留言|写信){C}{{0,3}}第[二三四五六七八九十两0-9２-９]{{1,3}}次|(多次|反复|屡次|一再|再三|三番五次|无数次|几十次|十几次|好几次|N次|多年来|多年){C}{{0,8}}(反映|上访|投诉|信访|找|到|去|来电|打电话|写信|求助|留言)|(上访|信访|反映|投诉)(了)?(多年|[一二三四五六七八九十两0-9]+年)|(几|多|[一二三四五六七八九十两0-9]+)年来{C}{{0,8}}(反映|上访|投诉|找)"
            ),
        ),
        (
            "已到市",
            format!(r"(已|已经|曾|曾经|也|都|先后|还)[^。；！？]{{0,6}}(到|去|向|找)(过)?[^。；！？]{{0,8}}(市里|市信访局|市政府|市委|市12345|市长信箱)[^。；！？]{{0,8}}(反映|上访|投诉|信访|来访)?"),
        ),
        (
            "已赴省",
            format!(r"(已|已经|曾|曾经|也|都|先后|还)[^。；！？]{{0,6}}(到|去|向|找)(过)?[^。；！？]{{0,8}}(省里|省信访局|省政府|省委|北京|国家信访局|省城)[^。；！？]{{0,8}}(反映|上访|投诉|信访|来访)?"),
        ),
        (
            "涉诉",
            format!(
                r"(多次|反复|一直|多年|屡次|几次){C}{{0,6}}(到|去|找|向)?{C}{{0,4}}(法院|检察院|政法委|公安局|派出所){C}{{0,8}}(反映|申诉|起诉|上诉|执行|讨说法|信访)?|(判决|裁定|调解书){C}{{0,12}}(不执行|没执行|未执行|执行不了|执行难|迟迟不|至今未|仍未|一直未)|(申诉|再审){C}{{0,8}}(多次|多年|无果|被驳回)"
            ),
        ),
    ]
}

static RULES: LazyLock<Vec<(&'static str, Regex)>> =
    LazyLock::new(|| patterns().into_iter().map(|(k, p)| (k, Regex::new(&p).expect("static regex"))).collect());

/// What may follow a match and makes it something else: 北京路 is a street, 跳楼价 a sale.
const NOT_FOLLOWED_BY: &[(&str, &[&str])] = &[
    ("进京", &["路", "街", "大道", "东路", "西路", "南路", "北路", "中路", "大街", "饭店", "时间", "烤鸭"]),
    ("自伤", &["价", "甩卖", "大甩卖", "清仓"]),
    ("花圈", &["店", "铺"]),
];

/// Negation right before the hit in the same clause.
static NEGATED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(不会|不再|不想|不打算|不准备|不要|没有|没想|并不|绝不|决不|从未|从没|不愿|不去|不|别|未|没)[^，。；！？,;!?]{0,4}$")
        .expect("static regex")
});
/// A condition, not a negation: "再不解决就去北京", "不给钱的话就堵路".
static CONDITIONAL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(不|没|未)[^，。；！？,;!?]{0,8}(就|的话|便|则)[^，。；！？,;!?]{0,3}$|(不|没|未)[^，。；！？,;!?]{1,8}(将|会)[^，。；！？,;!?]{0,3}$")
        .expect("static regex")
});
/// A worry or a hypothesis in the same clause: "万一有孩子跳下去怎么办".
static HYPOTHETICAL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"万一|以免|以防|防止|避免|担心|害怕|生怕|一旦|会不会|可能会").expect("static regex"));
/// Hearsay or someone else's past earlier in the same sentence.
static REPORTED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"听说|据说|传言|听别人说|听人说|网上说|新闻说|以前有人|隔壁|去年有人|曾经有人|有人曾|别的(小区|村|地方)",
    )
    .expect("static regex")
});

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
            let after = &text[m.end()..];
            if NOT_FOLLOWED_BY.iter().any(|(k, tails)| k == kind && tails.iter().any(|t| after.starts_with(t))) {
                continue;
            }
            // "不然/不行/不管" are not negations of what follows
            let mut before = text[clause_start(text, m.start())..m.start()].to_string();
            for not_negation in ["不然", "不行", "不管", "要不"] {
                before = before.replace(not_negation, "");
            }
            let sentence = &text[sentence_start(text, m.start())..m.start()];
            let status = if NEGATED.is_match(&before) && !CONDITIONAL.is_match(&before) {
                Status::Negated
            } else if REPORTED.is_match(sentence) || HYPOTHETICAL.is_match(&before) {
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
    // "已经到省里反映过" is history, not a threat to go there
    let told: Vec<(usize, usize)> =
        hits.iter().filter(|h| h.kind == "已赴省" || h.kind == "已到市").map(|h| (h.start, h.end)).collect();
    hits.retain(|h| !matches!(h.kind, "进京" | "赴省") || !told.iter().any(|&(s, e)| h.start < e && s < h.end));
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
        assert!(find_threats("北京路与人民路交叉口红绿灯时间太短。").is_empty());
        assert!(find_threats("商场门口天天喇叭喊跳楼价，吵得睡不着。").is_empty());
    }

    #[test]
    fn threats_without_list_words_name_a_means_an_act_and_a_condition() {
        assert!(asserted("我已经买好了一桶汽油，月底前再不给钱就到县政府门口点了").contains(&"自伤"));
        assert!(asserted("实在不行我就从桥上跳下去").contains(&"自伤"));
        assert!(asserted("如果不修，迟早会出人命").is_empty(), "a hazard is no threat");
        assert_eq!(asserted("到时候我就从你们大楼楼顶下去"), vec!["自伤"]);
        assert!(asserted("逼急了就让他们陪我一起死").contains(&"暴力"));
        assert_eq!(asserted("来电人情绪激动，称如不解决将采取极端方式"), vec!["极端"]);
        assert!(asserted("家属在医院门口摆了花圈，设了灵堂").contains(&"花圈"));
    }

    #[test]
    fn a_group_announces_a_plan_before_it_acts() {
        assert_eq!(asserted("工友们约好了下周一一起去市政府门口要个说法"), vec!["集体"]);
        assert_eq!(asserted("业主群里已经在商量拉横幅"), vec!["集体", "横幅"]);
        assert!(asserted("物业通知大家到物业办公室登记").is_empty());
    }

    #[test]
    fn history_is_read_from_the_text() {
        let kinds = |t: &str| asserted(t);
        assert_eq!(kinds("这是我第四次反映这个问题"), vec!["重复"]);
        assert!(kinds("我多次到法院和政法委反映，判决至今未执行").contains(&"涉诉"));
        assert_eq!(kinds("此事已经到省里反映过"), vec!["已赴省"]);
        assert!(kinds("我们没有到省里反映过").is_empty());
        assert!(THREAT_KINDS.iter().all(|k| is_threat_kind(k)) && !is_threat_kind("重复"));
    }
}
