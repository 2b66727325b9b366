//! Threat and extreme language (扬言) and the petitioner's own account of how long and how
//! high the matter has gone (重复, 越级, 涉诉) — the signals a bureau grades risk by.
//!
//! People rarely use the words of a list: a threat names a means, an act and a condition
//! ("买好了汽油，月底不给钱就到县政府门口点了"), a group announces a plan before it acts
//! ("工友们约好了下周一一起去市政府要个说法"). So besides fixed words each kind has
//! composite patterns: a means near an act, a plan word near a group word near a target.
//!
//! Each hit keeps its span (character offsets in the cleaned text) and a status:
//! `asserted` (the writer says it: "再不解决我们就去北京"), `negated` ("我们不会去北京"),
//! `reported` ("听说有人去省里反映过", or the writer's own past) or `described` (the same words for
//! something else: 车辆堵住路口, 白鹭聚集). Only asserted hits count. A conditional threat
//! ("如果再不解决，…就去北京") is asserted: that is how 扬言 is put.
//!
//! The words of a threat also describe other things, so a threat-kind hit counts only when it
//! is put as intent, a plan or a condition, or as an act the writer's side is doing now, and
//! the nearest subject before it is the writer's side (or none: Chinese drops the subject),
//! not another party (房东扬言要弄死我们), a thing (车辆堵住路口) or the past (曾经集体上访).

use std::sync::LazyLock;

use regex::Regex;

pub use crate::model::{HISTORY_KINDS, SIZE_KIND, THREAT_KINDS, is_threat_kind};

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
///
/// Chinese puts a condition as often without a conjunction as with one: "端午节前拿不到钱，我就…",
/// "谁敢再来动我的房子，我就…", "你们要是不给我恢复，…我就…".
const CONDITION: &str = r"((如果|若是|要是|假如|再不|还不|不然|否则|到时候|逼急了|大不了|实在不行|万不得已|走投无路|不给[^。！？]{0,6}的话)[^。！？]{0,16}(就|只能|只好|便|也要|非要))|((不|没|拿不到|要不回|讨不回)[^。！？]{0,12}(我|我们|俺|咱们?)(就|便|只能|只好|也要|非要))|(谁(敢|要|再|来)[^。！？]{0,14}(我|我们|俺)?就)";
/// Self-harm as an act, in any words.
const SELF_ACT: &str = r"跳下|跳河|跳江|跳楼|跳桥|跳(到|进|入)[^。！？，]{0,6}(河|江|湖|海|水库|塘|井)|喝药|吃药|服药|去死|寻死|死给|死在|一死|不活|上吊|点了自己|烧了自己|这条命|一了百了|了断|收尸|见阎王|死了算了";
/// Violence as an act, in any words.
const HARM_ACT: &str = r"炸|杀了|砍|捅|烧了|点了|点上火|点火|引爆|同归|拼了|陪葬|血溅|报复|弄死|打死|好看|上天";
/// Setting a means off: "把阀门拧开点上火".
const IGNITE: &str = r"点了|点上|点火|点着|拧开|打开阀门|引爆|炸|浇上|泼上";

/// (kind, pattern) — kinds are the words briefings use; patterns are put together at start.
/// A pattern finds a candidate; whether the writer asserts it is decided by [`stance`].
fn patterns() -> Vec<(&'static str, String)> {
    vec![
        ("自伤", format!(r"({CONDITION})[^。！？]{{0,12}}({SELF_ACT})")),
        ("暴力", format!(r"({CONDITION})[^。！？]{{0,12}}({HARM_ACT})")),
        // a means in the sentence and the act that sets it off: "店里有两个煤气罐，…我就把阀门拧开点上火"
        ("暴力", format!(r"({MEANS})[^。！？]{{0,40}}({IGNITE})[^。！？，]{{0,12}}(他们|你们|一块|一起|一同|上天|同归)")),
        (
            "自伤",
            format!(
                r"跳楼|跳下去|跳下来|自焚|自杀|轻生|寻短见|喝农药|服毒|割腕|上吊|吊死|卧轨|跳河|跳江|跳桥|一死了之|一了百了|以死相逼|以死明志|以命相搏|死给[^，。]{{0,4}}看|死在{C}{{0,8}}(门口|面前|政府|大楼|大厅|这里|那里)|不想活|不活了|活不下去|没法活|结束{C}{{0,3}}生命|了结{C}{{0,2}}自己|点了自己|把自己{C}{{0,3}}(点|烧)|遗书|绝笔信|(交代|安排)(好)?(了)?后事|后事{C}{{0,4}}(交代|安排)|(楼顶|天台|桥上|塔吊|吊塔){C}{{0,8}}(跳|下去|下来)|(爬上|站上|上了){C}{{0,3}}(塔吊|楼顶|天台)|({MEANS}){C}{{0,8}}(点了|点火|烧了|浇|泼|喝了|喝下|吃了|吞|备下|备好|准备好|买好|带来|带着|揣着)|(这条|这|我的)命{C}{{0,6}}(还回去|还给|交代|搭上|豁出去|不要了)|不要(这条)?命了|(浇|泼|喝|吞|买好|备好|准备好?|带着|带上|揣着|拎着)[了一桶瓶包把]{{0,3}}({MEANS})|(吃|吞)(了)?(一|整|半)?(瓶|把|板|盒)[^。！？，]{{0,2}}(安眠药|药)"
            ),
        ),
        (
            "暴力",
            format!(
                r"同归于尽|报复社会|玉石俱焚|鱼死网破|陪葬|垫背|陪我{C}{{0,3}}死|一起死|血溅|拼了这条|跟他们拼了|豁出去|不惜一切|弄死|杀了(你|他|她)|杀人|砍人|砍死|捅死|炸掉|炸了(你们|他|政府|大楼|公司|办公楼)|炸毁|炸平|放火|烧了(你们|他|她|公司|工地|政府|厂)|以暴制暴|(拿|带|动|持)刀|一命换一命|一命抵一命|(跟|和)(他|她|他们|你们)拼了|(把|将){C}{{0,8}}炸(了|掉|毁|平)|(跟|和|拉着?)(他|她|他们|你们){C}{{0,4}}(一起|一块儿?|一同)(死|上天|完蛋|玩完)"
            ),
        ),
        (
            "极端",
            r"极端(方式|手段|行为|措施|行动|的事)|过激(行为|行动|的事)|后果自负|闹出人命|最后一次{C}{0,6}(正常|合法)?(渠道|途径)".replace("{C}", C),
        ),
        (
            "堵路",
            format!(
                r"堵路|堵桥|堵高速|堵国道|拦车|拦路|阻断交通|封路|(堵|封|围|拦){C}{{0,3}}(大门|厂门|校门|路口|工地|售楼部|政府|马路|公路|院门|医院)|躺(在)?(马路|路上|车前|路中间)|(高速|路口|入口|出口|收费站|便道|大门|厂门|校门|院门|公路|马路|门口|道口|通道){C}{{0,4}}(堵住|堵上|堵了|堵死|封住|封了|锁上|堵着|挡住|拦住)|(占领|霸占|围住)(售楼部|工地|厂区)"
            ),
        ),
        ("横幅", r"拉横幅|打横幅|挂横幅|拉条幅|举牌|打标语|举标语|拉起?(了)?横幅".to_string()),
        (
            "花圈",
            r"花圈|灵堂|摆灵|设灵|停灵|抬棺|挽联|披麻戴孝|烧纸钱|摆(放)?遗像|停尸|抬尸|不(把人|把遗体|把尸体)(拉走|运走|火化)".to_string(),
        ),
        (
            "医闹",
            format!(
                r"(医院|卫生院|诊所){C}{{0,12}}(闹|围堵|堵门|静坐|讨说法|不走|不离开)|(家属|亲属){C}{{0,8}}(围堵|占据|占着|守在)|(守|待|坐|躺|围)(在)?{C}{{0,4}}(医院|卫生院|太平间|急诊|病房)"
            ),
        ),
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
                r"集体上访|集体访|集体去|集体讨薪|集体维权|组织\d*多?人|一起去{C}{{0,6}}(讨说法|上访|政府)|聚集|围堵|静坐|(约好|约定|相约|商量好|商量着|说好|定了|定好|准备|组织|召集|号召|计划|打算|决定)(了)?{C}{{0,10}}({GROUP}){C}{{0,10}}(去|到|上|来){C}{{0,10}}({TARGET})|({GROUP}){C}{{0,12}}(约好|约定|相约|商量好|说好|定好|决定)(了)?{C}{{0,12}}(去|到|上|停运|罢工|罢课|罢市|停工|停业)|(全部|集体|统一|一起|一律)(停运|罢工|罢课|罢市|停工|停业|罢运)|(业主群|微信群|工友群|村民群|群里){C}{{0,10}}(商量|约|组织|号召|召集)|(铺盖|被褥|被子){C}{{0,10}}(搬|拿|带){C}{{0,10}}(信访局|政府|大门|门口|大厅)|(吃住|住|睡)(都)?在{C}{{0,8}}(信访局|政府|大门|门口|大厅)"
            ),
        ),
        (
            "媒体",
            format!(r"媒体曝光|找媒体|联系媒体|找记者|曝光|发到网上|上热搜|发抖音|发微博|发朋友圈|(联系|找|叫|请|约)(了)?{C}{{0,10}}(记者|电视台|报社|栏目)"),
        ),
        (
            "重复",
            format!(
                r"第[二三四五六七八九十两0-9２-９]{{1,3}}次{C}{{0,6}}(反映|上访|来访|信访|投诉|来电|打电话|找|到|去|写信|留言)|(反映|上访|投诉|来电|留言|写信){C}{{0,3}}第[二三四五六七八九十两0-9２-９]{{1,3}}次|(多次|反复|屡次|一再|再三|三番五次|无数次|几十次|十几次|好几次|N次|多年来|多年){C}{{0,8}}(反映|上访|投诉|信访|找|到|去|来电|打电话|写信|求助|留言)|(上访|信访|反映|投诉)(了)?(多年|[一二三四五六七八九十两0-9]+年)|(几|多|[一二三四五六七八九十两0-9]+)年来{C}{{0,8}}(反映|上访|投诉|找)|(反映|投诉|来电|上访|打电话|留言|举报|信访|求助)(过|了)(已经)?[二三四五六七八九十两几0-9]+(次|回)|(已|已经|曾|之前|此前|上次|前次)[^。；！？]{{0,10}}(反映|来电|投诉|留言|打电话)过?(一次|一回)"
            ),
        ),
        (
            "已到市",
            format!(r"(已|已经|曾|曾经|也|都|先后|还)[^。；！？]{{0,6}}(到|去|向|找)(过)?[^。；！？]{{0,16}}(市里|市信访局|市政府|市委|市12345|市长信箱)[^。；！？]{{0,8}}(反映|上访|投诉|信访|来访)?"),
        ),
        (
            "已赴省",
            format!(r"(已|已经|曾|曾经|也|都|先后|还)[^。；！？]{{0,6}}(到|去|向|找)(过)?[^。；！？]{{0,16}}(省里|省信访局|省政府|省委|北京|国家信访局|省城)[^。；！？]{{0,8}}(反映|上访|投诉|信访|来访)?"),
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

/// The literals a rule's every match ends with (regex-syntax's suffix extraction), in one
/// Aho-Corasick automaton: one pass over a text says which rules can match at all, and
/// only those are searched. Most texts hold no threat, so most rules are skipped; a rule
/// whose endings cannot be listed is always searched. It skips only searches that would
/// find nothing, so the hits are the same.
struct Gate {
    endings: aho_corasick::AhoCorasick,
    /// pattern id → the rules it opens
    opens: Vec<Vec<usize>>,
    always: Vec<usize>,
}

static GATE: LazyLock<Gate> = LazyLock::new(|| {
    use regex_syntax::hir::literal::{ExtractKind, Extractor};
    let (mut literals, mut opens, mut always) = (vec![], vec![], vec![]);
    for (i, (_, p)) in patterns().into_iter().enumerate() {
        let seq = regex_syntax::parse(&p)
            .ok()
            .map(|hir| Extractor::new().kind(ExtractKind::Suffix).extract(&without_optional_tail(&hir)));
        match seq
            .as_ref()
            .and_then(|s| s.literals())
            .filter(|l| !l.is_empty() && l.iter().all(|x| !x.as_bytes().is_empty()))
        {
            Some(lits) => {
                for l in lits {
                    literals.push(l.as_bytes().to_vec());
                    opens.push(vec![i]);
                }
            }
            None => always.push(i),
        }
    }
    let endings = aho_corasick::AhoCorasick::new(&literals).expect("the rules' endings build an automaton");
    Gate { endings, opens, always }
});

/// A pattern every match of `h` begins with a match of: what may match nothing at the end of
/// a concatenation is cut, in every branch ("…(市里|市政府)[^。]{0,8}(反映|上访)?" → "…(市里|
/// 市政府)"). A rule whose tail is optional then still has endings to be gated by: a text
/// that holds a match of the rule holds a match of the cut pattern, so one of its endings.
fn without_optional_tail(h: &regex_syntax::hir::Hir) -> regex_syntax::hir::Hir {
    use regex_syntax::hir::{Hir, HirKind};
    match h.kind() {
        HirKind::Capture(c) => without_optional_tail(&c.sub),
        HirKind::Alternation(branches) => Hir::alternation(branches.iter().map(without_optional_tail).collect()),
        HirKind::Concat(items) => {
            let mut items = items.clone();
            while items.len() > 1 && items.last().is_some_and(|x| x.properties().minimum_len() == Some(0)) {
                items.pop();
            }
            if let Some(last) = items.pop() {
                items.push(without_optional_tail(&last));
            }
            Hir::concat(items)
        }
        _ => h.clone(),
    }
}

/// `MINQING_THREAT_GATE=off` searches every rule in every text (to measure the gate).
static GATED: LazyLock<bool> = LazyLock::new(|| std::env::var_os("MINQING_THREAT_GATE").is_none_or(|v| v != "off"));

/// Which rules can match somewhere in `text`.
fn open_rules(text: &str) -> Vec<bool> {
    if !*GATED {
        return vec![true; RULES.len()];
    }
    let g = &*GATE;
    let mut open = vec![false; RULES.len()];
    for &i in &g.always {
        open[i] = true;
    }
    for m in g.endings.find_overlapping_iter(text) {
        for &i in &g.opens[m.pattern().as_usize()] {
            open[i] = true;
        }
    }
    open
}

/// What may follow a match and makes it something else: 北京路 is a street, 跳楼价 a sale.
const NOT_FOLLOWED_BY: &[(&str, &[&str])] = &[
    ("进京", &["路", "街", "大道", "东路", "西路", "南路", "北路", "中路", "大街", "饭店", "时间", "烤鸭"]),
    ("自伤", &["价", "甩卖", "大甩卖", "清仓"]),
    ("暴力", &["品", "门", "犯", "案"]),
    ("花圈", &["店", "铺"]),
    ("集体", &["员"]),
];
/// What may precede a match and makes it a figure of speech: 一哭二闹三上吊.
const NOT_PRECEDED_BY: &[(&str, &[&str])] = &[("自伤", &["二闹三", "闹三"]), ("堵路", &["拥"])];
/// Words that name a crowd or a blockage and also describe one (摊贩聚集, 车辆围堵): they count
/// only with the writer's side named as the subject or a plan put into words.
const DESCRIPTIVE: &[&str] = &["聚集", "围堵", "静坐", "堵路", "封路", "拦路", "拦车"];

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
static HYPOTHETICAL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"万一|以免|以防|防止|避免|担心|害怕|生怕|一旦|会不会|可能会|极易|容易|易发|导致|造成")
        .expect("static regex")
});
/// Hearsay or someone else's matter earlier in the same sentence.
static REPORTED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"听说|据说|传言|听别人说|听人说|网上说|新闻说|以前有人|去年有人|曾经有人|有人曾|隔壁|别的(小区|村|地方)|其他(小区|村|地方)")
        .expect("static regex")
});
/// The writer's own past: what was done then is history, not a threat.
static PAST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"去年|前年|曾经|曾|以前|当年|那年|那次|上次|上回|早年|年前|又去|又到").expect("static regex")
});
/// Done before: "上访过", "集体上访了两次", "又去省信访求助".
static DONE_AFTER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[^，。；！？]{0,4}(过|了[一二两三四五六七八九十几\d]+[次回趟])").expect("static regex")
});

/// The writer's side: the petitioner, the caller whose words a call-taker relays, the group
/// they speak for.
static OURS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"我|俺|咱|本人|全家|一家|家属|亲属|家人|大家|来电人|来电者|业主|村民|工友|工人|农民工|司机|家长|投资人|职工|群众|住户们|居民们|[几十百千\d]+[多余来]?[名位户个口]")
        .expect("static regex")
});
/// Someone else as the subject: the other party, a bystander, a thing.
static OTHERS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"他们|她们|他|她|对方|房东|老板|开发商|物业|公司|保安|城管|执法人员|别人|车辆|车子|电动车|摊贩|商贩|小偷|歹徒|儿童|孩子们|学生|人流|人员|患者|员工")
        .expect("static regex")
});
/// Who an object pronoun belongs to: "跟他们一块儿", "让他们给我收尸" — not a subject.
const PREPOSITIONS: &[&str] = &[
    "跟", "和", "与", "给", "让", "叫", "把", "将", "找", "对", "向", "被", "拉着", "带着", "其", "禁止", "防止",
    "不让", "不准", "通知", "要求",
];
/// Intent, a plan or a condition: the writer says what will be done.
static INTENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"就|便|要|(我|们|俺|家|民|主|人)将|不[^，。；！？]{0,6}将|会|的话|不如|干脆|索性|提议|准备|打算|决定|计划|约好|约定|相约|商量|说好|定了|定好|只能|只好|只有|非得|非要|一定|必须|宁可|宁愿|大不了|再不|还不|如果|假如|要是|否则|不然|到时|下周|下个月|明天|后天|月底前|年底前|月底之前|年底之前|本月底|这个月底|节前|马上|立即|立刻|随时|迟早|早晚|豁出去|扬言|威胁")
        .expect("static regex")
});
/// Words that hold an intent marker without meaning one: 要求, 社会, 就是, 方便.
const NOT_INTENT: &[&str] = &[
    "要求",
    "需要",
    "主要",
    "重要",
    "只要",
    "要么",
    "社会",
    "会议",
    "业委会",
    "委员会",
    "协会",
    "机会",
    "学会",
    "不会",
    "要不是",
    "就是",
    "就业",
    "就近",
    "就医",
    "就读",
    "就诊",
    "成就",
    "早就",
    "方便",
    "便民",
    "便利",
    "随便",
    "顺便",
    "将近",
];
/// Happening now or just done by the writer's side: "现在我们一家守在医院", "已经把路口挡住了".
static ONGOING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"正在|现在|目前|此刻|已经|今天|今早|昨天|昨晚|刚才|刚刚|还在|这几天|连续|了").expect("static regex")
});
/// A trip with another purpose: "去北京的医院做检查" is no 进京访.
static TRIP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[^，。；！？]{0,10}(医院|看病|治病|检查|手术|就医|复查|旅游|出差|上学|读书|打工|务工|开会|培训|探亲|学习|比赛)")
        .expect("static regex")
});

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// The writer says it will be done, or his side is doing it.
    Asserted,
    /// "我们不会去北京".
    Negated,
    /// Hearsay, a worry, someone else's act or the writer's own past.
    Reported,
    /// The words describe something else: vehicles blocking a junction, birds gathering.
    Described,
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
        crate::model::ThreatLabel::encode(self.kind, &self.term, self.start, self.end)
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

/// The last `n` characters of `s`.
fn tail(s: &str, n: usize) -> &str {
    let skip = s.chars().count().saturating_sub(n);
    s.char_indices().nth(skip).map_or("", |(i, _)| &s[i..])
}

/// The first `n` characters of `s`.
fn head(s: &str, n: usize) -> &str {
    s.char_indices().nth(n).map_or(s, |(i, _)| &s[..i])
}

/// The last writer-side and other-side subject in `window`: (position, is ours).
/// The last writer-side or other-side subject in the last `n` characters of `sentence`:
/// (byte position, is ours). A pronoun after a preposition is an object, before 家/小区/村/的
/// a possessive: neither is the subject.
fn last_subject(sentence: &str, n: usize) -> Option<(usize, bool)> {
    let from = sentence.len() - tail(sentence, n).len();
    let object = |m: &regex::Match| PREPOSITIONS.iter().any(|p| sentence[..m.start()].ends_with(p));
    let possessive = |m: &regex::Match| {
        let rest = sentence[m.end()..].trim_start_matches('们');
        ["家", "小区", "村", "的", "单位", "公司", "楼"].iter().any(|w| rest.starts_with(w))
    };
    let ours = OURS
        .find_iter(sentence)
        .filter(|m| m.start() >= from && !object(m) && !possessive(m))
        .map(|m| (m.start(), true))
        .last();
    let others = OTHERS
        .find_iter(sentence)
        .filter(|m| m.start() >= from && !object(m) && !sentence[m.end()..].starts_with('人'))
        .map(|m| (m.start(), false))
        .last();
    ours.into_iter().chain(others).max_by_key(|&(at, _)| at)
}

/// Does `s` carry a marker of intent, once words that only contain one are taken out?
fn has_intent(s: &str) -> bool {
    let mut s = s.to_string();
    for w in NOT_INTENT {
        s = s.replace(w, "　");
    }
    INTENT.is_match(&s)
}

/// Whether the writer asserts a threat-kind hit: a threat is put as intent, a plan or a
/// condition ("再不解决我们就去北京"), or is an act the writer's side is doing now
/// ("我们一家守在医院门口"). Words for the same acts also describe other things (车辆堵住路口,
/// 白鹭聚集, 去北京的医院), someone else's acts (房东扬言要弄死我们) and the past (曾经集体上访).
fn stance(text: &str, kind: &str, start: usize, end: usize) -> Status {
    let before_clause = &text[clause_start(text, start)..start];
    let mut before = before_clause.to_string();
    // "不然/不行/不管" are not negations of what follows
    for not_negation in ["不然", "不行", "不管", "要不"] {
        before = before.replace(not_negation, "");
    }
    let sentence = &text[sentence_start(text, start)..start];
    let window = tail(sentence, 24);
    let hit = &text[start..end];
    let after = &text[end..];
    if NEGATED.is_match(&before) && !CONDITIONAL.is_match(&before) {
        return Status::Negated;
    }
    if HYPOTHETICAL.is_match(&before) || REPORTED.is_match(sentence) {
        return Status::Reported;
    }
    if !is_threat_kind(kind) {
        return Status::Asserted;
    }
    if PAST.is_match(window) || DONE_AFTER.is_match(after) {
        return Status::Reported;
    }
    // done to the writer, not by him: "入口都被铁板堵死"
    if before.contains('被') {
        return Status::Described;
    }
    if matches!(kind, "进京" | "赴省") && TRIP.is_match(after) {
        return Status::Described;
    }
    let subject = last_subject(sentence, 24);
    if subject.is_some_and(|(_, ours)| !ours) {
        return Status::Reported;
    }
    let near = tail(sentence, 16);
    if DESCRIPTIVE.contains(&hit) && subject.is_none() && !has_intent(hit) {
        return Status::Described;
    }
    if hit.starts_with("封闭") {
        return Status::Described; // an administrative closure: "封闭一些路口"
    }
    if has_intent(near) || has_intent(hit) {
        return Status::Asserted;
    }
    // an act now: the writer's side named in the sentence, and a marker of now or done
    if subject.is_some() && (ONGOING.is_match(window) || ONGOING.is_match(hit) || ONGOING.is_match(head(after, 6))) {
        return Status::Asserted;
    }
    Status::Described
}

/// Every threat-language hit in the text, in order of position.
pub fn find_threats(text: &str) -> Vec<ThreatHit> {
    find_with(text, &open_rules(text))
}

/// The hits of the rules marked open.
fn find_with(text: &str, open: &[bool]) -> Vec<ThreatHit> {
    let mut hits = vec![];
    for (kind, re) in RULES.iter().zip(open).filter(|(_, o)| **o).map(|(r, _)| (&r.0, &r.1)) {
        for m in re.find_iter(text) {
            let (head, after) = (&text[..m.start()], &text[m.end()..]);
            if NOT_FOLLOWED_BY.iter().any(|(k, tails)| k == kind && tails.iter().any(|t| after.starts_with(t)))
                || NOT_PRECEDED_BY.iter().any(|(k, heads)| k == kind && heads.iter().any(|h| head.ends_with(h)))
            {
                continue;
            }
            let status = stance(text, kind, m.start(), m.end());
            let start = head.chars().count();
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

    /// The gate skips only rules that would find nothing: over the graded petitions, the
    /// 12345 notes and posts of the fixtures and random mixes of the rules' own words, the
    /// hits are those of every rule searched.
    #[test]
    fn the_gate_changes_no_hit() {
        let all = vec![true; RULES.len()];
        let same = |t: &str| assert_eq!(find_threats(t), find_with(t, &all), "{t}");
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/real-text");
        let mut n = 0;
        for f in std::fs::read_dir(&dir).unwrap().filter_map(|e| e.ok()).map(|e| e.path()) {
            if f.extension().is_some_and(|x| x == "csv") {
                for line in std::fs::read_to_string(&f).unwrap().lines() {
                    same(line);
                    n += usize::from(!find_threats(line).is_empty());
                }
            }
        }
        assert!(n > 20, "the fixtures hold threats ({n} lines)");
        eprintln!(
            "threat gate: {} of {} rules gated by {} endings",
            RULES.len() - GATE.always.len(),
            RULES.len(),
            GATE.opens.len()
        );
        // an optional tail is cut before the endings are listed, so every rule is gated
        assert!(GATE.always.is_empty(), "rules searched in every text: {:?}", GATE.always);
        use rand::{Rng, SeedableRng};
        let pieces = [
            "我们",
            "就",
            "要",
            "如果",
            "再不解决",
            "跳楼",
            "去北京",
            "上访",
            "拉横幅",
            "堵路",
            "，",
            "。",
            "全体业主",
            "准备",
            "明天",
            "煤气罐",
            "点火",
            "同归于尽",
            "不会",
            "听说",
            "去年",
            "已经到省里反映过",
            "进京",
            "讨说法",
            "自焚",
            "汽油",
            "也",
            "曾经",
            "找过",
            "市政府",
            "市信访局",
            "反映",
            "多次",
            "法院",
            "申诉",
            "判决",
            "至今未",
            "执行",
        ];
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for _ in 0..3000 {
            let t: String = (0..rng.random_range(1..14)).map(|_| pieces[rng.random_range(0..pieces.len())]).collect();
            same(&t);
        }
    }

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
    fn the_same_words_describing_something_else_do_not_count() {
        // things, bystanders and the other party as the subject
        assert!(asserted("菜市场旁边出口经常被前来买菜的车辆堵住路口，无法通行").is_empty());
        assert!(asserted("无数违规载客电动车堵住了路口，行人出入很不方便").is_empty());
        assert!(asserted("这里聚集着成千上万只白鹭，是远近闻名的栖息地").is_empty());
        assert!(asserted("房东甚至出言要弄死我们，此话都有录音证据").is_empty());
        assert!(asserted("现在入睡需带耳塞，吃安眠药，迫切需要有关部门关注").is_empty());
        assert!(asserted("要我们百姓一哭二闹三上吊才有奶吃吗").is_empty());
        assert!(asserted("防火门就会变成杀人门").is_empty());
        assert!(asserted("一到下午五六点南门就聚集七八个摊贩").is_empty());
        assert!(asserted("小恶人又故意用胶将我家的大门彻底封堵死了").is_empty());
        assert!(asserted("我们小区的住改商目前集体抱团，暴力围堵小区出入口").is_empty());
        assert!(asserted("要提高通行能力，就只能封闭一些路口").is_empty());
        assert!(asserted("这条每天必经的拥堵路线").is_empty());
        assert!(asserted("物业禁止业主扔垃圾，还把每层楼的消防通道门全部都锁上了").is_empty());
        // a trip, and the past
        assert!(asserted("家里准备下个月带老人去北京的医院做检查").is_empty());
        assert_eq!(asserted("尿毒症患者集体上访了两次，但是却基本没什么改变"), vec!["重复"]);
        assert!(asserted("前年村里有几户为这事去省城上访过，后来也没下文").is_empty());
        assert_eq!(asserted("为此我们曾经集体去市政府上访"), vec!["已到市"]);
    }

    #[test]
    fn a_condition_needs_no_conjunction() {
        assert!(asserted("端午节前拿不到钱，我就抱着孙子一起跳到河里，一了百了").contains(&"自伤"));
        assert!(asserted("店里有两个煤气罐，谁敢再来拆，我就把阀门拧开点上火，跟他们一块儿上天").contains(&"暴力"));
        assert!(asserted("来电人称遗书已经写好放在桌上了").contains(&"自伤"));
        assert!(asserted("你们要是不给我恢复，从明天起我就把铺盖卷搬到信访局门口来住").contains(&"集体"));
        assert!(asserted("现在我们一家十几口人守在医院太平间门口，不把人拉走").contains(&"医闹"));
        assert!(asserted("村民们气不过，已经用石头把运材道口挡住了").contains(&"堵路"));
        assert!(asserted("全市一千多名出租车司机已经约好下周三全部停运").contains(&"集体"));
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
        assert_eq!(kinds("同一问题已通过12345反映过三次"), vec!["重复"]);
        assert_eq!(kinds("已先后到区信访局、市信访局、省信访局当面反映过六次"), vec!["已到市", "已赴省", "重复"]);
        assert!(kinds("我们没有到省里反映过").is_empty());
        assert!(THREAT_KINDS.iter().all(|k| is_threat_kind(k)) && !is_threat_kind("重复"));
    }
}
