//! How well a reply answers its case, read from the two texts.
//!
//! A reply is judged the way an inspector reads it:
//! - **explanation**: what is left once the forms are taken out (the greeting, 已收悉, 已转…
//!   处理, thanks, the date) and which parts of an answer that leaves: a finding (经查, 目前),
//!   a basis (根据《…》, 规定), an action taken (已责令, 已安排), a next step (下一步, 预计) and a
//!   contact (电话). A reply that only acknowledges or forwards leaves nothing.
//! - **relevance**: whether the reply speaks of this case's matter and not a neighbouring one.
//!   What ties a reply to its case are the specific things both name (凉塘路, 128路, 景蓉华苑),
//!   which are rare among all the cases; what betrays a reply to another case are specific
//!   things the case never names but other cases do. Both are weighed by rarity over the
//!   cases under review (character bigrams, so a name cut differently or misspelt by one
//!   character still counts), and relevance is 0.5 when the reply names nothing specific.
//! - **completeness**: the share of the case's requests (clauses with 要求, 希望, 能否, 何时, …)
//!   whose specific words come back in the reply.
//!
//! Nothing here is set per data set: the rarity bounds are shares of the cases reviewed.

use std::sync::LazyLock;

use regex::Regex;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

/// The forms of a reply that say nothing about the matter.
static FORMS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(亲爱的)?(网友|市民|同志|先生|女士|来电人|群众)?[“”\x22]?[A-Za-z]*[0-9]*[“”\x22]?[：:，,]?\s*(您|你)好[！!，,。：:]?",
        r"|(亲爱的)?(网友|市民|来电人)[：:，,]",
        r"|[“\x22][^”\x22]{0,20}[”\x22][：:，,]?",
        r"|(您|你)?(的|所)?(留言|来信|来电|信件|回信|诉求|建议|意见|问题)?(所|反映的|提出的|提的)?(问题|情况|建议|意见|诉求|留言|来信)?(我们|我办|我局)?(已|已经)?收悉[。，！!]?",
        r"|(关于)?(您|你)(在[^，。；]{0,12})?(所)?(反映|提出|提|咨询|来信反映|来电反映)的[^，。；]{0,60}?(问题|情况|建议|事项|一事)(我[局办镇街道中心]{1,3})?((已经?)?(收悉|收到))?[，,。]?",
        r"|(我办|我们|我局|我单位|我中心)?(已|已经)?(转|转交|转至|转给|交由|移交|汇报给|报送)[^。，；！]{0,30}?(调查处理|调查、核处|核查、办复|核实、办复|核实、办理|核查|办复|核实|办理|处理|核处|调查|答复|领导)[。，！]?",
        r"|(正在|正在进一步)(办理|调查|核实|处理)(中)?[。，！]?",
        r"|(已经|已)答复[。，]?(链接[：:]?)?",
        r"|(非常)?(感谢|谢谢)[^。！!]{0,40}[。！!]?|祝(您|你)[^。！!]{0,20}[。！!]?",
        r"|[0-9]{4}年[0-9]{1,2}月[0-9]{1,2}日",
        r"|现(将|就)[^。：:]{0,30}(回复|答复|函复)如下[：:]?|(此复|特此回复|特此答复)[。！]?",
        r"|高度重视[，,]?|[\s　]+|[A-Za-z]+[0-9]+",
    ))
    .expect("static regex")
});

/// Stock phrases (套话) that fill a reply without saying what was found or done.
static STOCK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(首先|再次)?(非常)?感谢[^。！!]{0,40}",
        r"|始终坚持[^，。；]{0,24}|以人民为中心[^，。；]{0,12}|切实(维护|履行|保障|做好)[^，。；]{0,20}",
        r"|不断(提升|优化|加强|完善|提高)[^，。；]{0,20}|(进一步)?(加强|强化)[^，。；]{0,8}(监管|管理|巡查|沟通|宣传|衔接|监督)",
        r"|依法依规|举一反三|(努力|共同)?营造[^，。；]{0,24}环境|关系到[^，。；]{0,24}|事关[^，。；]{0,24}",
        r"|是[^，。；]{0,20}(重要举措|重要内容|重要载体|民生问题|重要保障)|希望[^，。；]{0,30}|欢迎[^，。；]{0,24}",
        r"|请(您|你)?(多)?关注[^，。；]{0,24}|理性表达[^，。；]{0,12}|相信[^，。；]{0,30}|第一时间[^，。；]{0,12}",
        r"|(认真|积极|妥善)(研究|对待|处理|化解)[^，。；]{0,12}|(一贯|始终)[^，。；]{0,24}",
    ))
    .expect("static regex")
});

/// A fact stated in figures: a number, a date, an article of a law.
static FACT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[0-9]+(\.[0-9]+)?|第[一二三四五六七八九十百零〇0-9]+条").expect("static regex"));

/// The parts of an answer, in the order they are listed in the evidence.
const PARTS: &[(&str, &str)] = &[
    ("查明", r"经查|经核实|经调查|经了解|据了解|据查|经现场|调查核实|核查发现|经核查|查明|经研究|目前|现阶段|实际情况"),
    ("依据", r"根据|按照|依据|依照|《[^》]{1,40}》|规定|政策|条例|办法|标准|文件|原则"),
    (
        "措施",
        r"已(经)?(安排|组织|责令|要求|督促|完成|开展|启动|协调|处理|整改|拆除|清理|修复|办理|发放|支付|召开|下发|约谈|立案|查处|纳入)|责令|督促|整改|约谈",
    ),
    ("下一步", r"下一步|预计|将(会)?(继续|加强|督促|协调|组织|安排|尽快|于|在)|计划|后续|争取|力争"),
    ("联系方式", r"电话|联系|热线|[0-9]{3,4}-[0-9]{7,8}"),
    (
        "答复",
        r"可以|不能|不得|无法|需要?|须|应当|符合|不符合|没有|暂无|尚未|不属于|(携带|持|凭|提供)[^，。；]{0,12}(到|向|办理|申请)|要等|待[^，。；]{0,12}(后|时)",
    ),
];
static PART_RES: LazyLock<Vec<Regex>> =
    LazyLock::new(|| PARTS.iter().map(|(_, p)| Regex::new(p).expect("static regex")).collect());

/// Sending the person elsewhere.
static DEFLECT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"不属于[^。；！]{0,12}(职责|职权|管辖|受理|范围)|非[^。；！]{0,6}(职责|管辖)范围",
        r"|(建议|请)(您|你)?(向|到|通过|咨询|与)[^。；！]{0,24}(反映|咨询|起诉|诉讼|申请|联系|协商|投诉|解决)",
        r"|(司法|法律|诉讼)(途径|程序)|(自行)(协商|解决)|请(向|到)[^。；！]{0,20}(反映|咨询)",
    ))
    .expect("static regex")
});

/// A clause that asks for something.
static REQUEST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"要求|希望|请求|恳请|建议|请|盼|能否|能不能|可否|何时|什么时候|为什么|为何|是否|怎么办|如何|[？?]")
        .expect("static regex")
});

/// A pair of characters, the unit of matching (two `char`s in one number).
type Gram = u64;

/// The character bigrams of a text's runs of CJK, letters and digits, each with a CJK
/// character (`8路`, `凉塘`: not `20` of a date or `UU` of a user name).
fn grams(text: &str) -> HashSet<Gram> {
    let mut out = HashSet::default();
    let mut prev: Option<char> = None;
    for c in text.chars() {
        let word = crate::text::is_word_char(c);
        if let (Some(p), true) = (prev, word)
            && (!p.is_ascii() || !c.is_ascii())
        {
            out.insert(((p as u64) << 32) | c as u64);
        }
        prev = word.then_some(c);
    }
    out
}

/// The bigrams inside the words of a text (jieba's cut): 情况作出 gives 情况 and 作出, not
/// 况作, which is no one's specific however rare it is.
fn word_grams(text: &str) -> HashSet<Gram> {
    let mut out = HashSet::default();
    for w in crate::text::Segmenter::builtin().cut(text) {
        out.extend(grams(w));
    }
    out
}

/// How rare each bigram is among the cases under review, and among their replies.
/// Kept between reviews (`increment`) with each count table packed.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Rarity {
    #[serde(with = "packed")]
    df: HashMap<Gram, u32>,
    n: u32,
    /// Among the replies: the words of official replies (作出, 兼顾, 核实) are in many of them
    /// and are nobody's specifics, however rarely a citizen writes them.
    #[serde(with = "packed")]
    reply_df: HashMap<Gram, u32>,
    replies: u32,
}

/// A count table as base64 of its (bigram, count) pairs in order, little-endian: a tenth
/// the size of a JSON map, no text of a case in the clear, and no run of digits that reads
/// like a phone or an ID number to the warehouse's identifier scan.
mod packed {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    use super::{Gram, HashMap};

    pub fn serialize<S: Serializer>(counts: &HashMap<Gram, u32>, s: S) -> Result<S::Ok, S::Error> {
        let mut pairs: Vec<(Gram, u32)> = counts.iter().map(|(g, n)| (*g, *n)).collect();
        pairs.sort_unstable();
        let mut bytes = Vec::with_capacity(pairs.len() * 12);
        for (g, n) in pairs {
            bytes.extend(g.to_le_bytes());
            bytes.extend(n.to_le_bytes());
        }
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<HashMap<Gram, u32>, D::Error> {
        let bytes = STANDARD.decode(String::deserialize(d)?).map_err(D::Error::custom)?;
        if bytes.len() % 12 != 0 {
            return Err(D::Error::custom("bigram counts cut short"));
        }
        Ok(bytes
            .chunks_exact(12)
            .map(|c| {
                let (g, n) = c.split_at(8);
                (
                    Gram::from_le_bytes(g.try_into().expect("8 bytes")),
                    u32::from_le_bytes(n.try_into().expect("4 bytes")),
                )
            })
            .collect())
    }
}

/// A bigram names something specific when at most this share of the cases hold it …
const SPECIFIC_SHARE: f64 = 0.025;
/// … or, among few cases, at most this many.
const SPECIFIC_MIN: u32 = 2;
/// A bigram the case lacks betrays another case when at most this share of the cases hold it …
const FOREIGN_SHARE: f64 = 0.01;
const FOREIGN_MIN: u32 = 2;
/// A reply is about another case only when it names at least this many of its specifics.
const STRANGE_MIN: usize = 4;
/// How much a foreign specific counts against a shared one (log scale).
const FOREIGN_WEIGHT: f64 = 0.5;

impl Rarity {
    /// Document frequencies over these case texts and their replies.
    pub fn of<'a>(texts: impl Iterator<Item = (&'a str, &'a str)>) -> Rarity {
        use rayon::prelude::*;
        // counted on all cores, the counts of each core added up (the order does not matter)
        let texts: Vec<(&str, &str)> = texts.collect();
        texts
            .par_iter()
            .fold(Rarity::default, |mut r, (case, reply)| {
                r.n += 1;
                for g in grams(case) {
                    *r.df.entry(g).or_default() += 1;
                }
                r.replies += 1;
                for g in grams(reply) {
                    *r.reply_df.entry(g).or_default() += 1;
                }
                r
            })
            .reduce(Rarity::default, Rarity::add)
    }

    /// Two sets of counts as one.
    fn add(self, other: Rarity) -> Rarity {
        let (mut big, small) = if self.df.len() >= other.df.len() { (self, other) } else { (other, self) };
        for (g, n) in small.df {
            *big.df.entry(g).or_default() += n;
        }
        for (g, n) in small.reply_df {
            *big.reply_df.entry(g).or_default() += n;
        }
        (big.n, big.replies) = (big.n + small.n, big.replies + small.replies);
        big
    }

    fn df(&self, g: Gram) -> u32 {
        self.df.get(&g).copied().unwrap_or(0)
    }

    fn idf(&self, g: Gram) -> f64 {
        ((1.0 + self.n as f64) / (1.0 + self.df(g) as f64)).ln() + 1.0
    }

    fn specific(&self, g: Gram) -> bool {
        self.df(g) <= SPECIFIC_MIN.max((self.n as f64 * SPECIFIC_SHARE) as u32)
    }

    fn foreign(&self, g: Gram) -> bool {
        let df = self.df(g);
        let in_replies = self.reply_df.get(&g).copied().unwrap_or(0);
        df >= 1
            && df <= FOREIGN_MIN.max((self.n as f64 * FOREIGN_SHARE) as u32)
            && in_replies <= FOREIGN_MIN.max((self.replies as f64 * FOREIGN_SHARE) as u32)
    }
}

/// The review of one reply, before timeliness.
#[derive(Debug, Clone, PartialEq)]
pub struct TextReview {
    pub relevance: f64,
    pub completeness: f64,
    pub explanation: f64,
    /// Flags with their evidence: (敷衍 | 推诿 | 答非所问 | 不完整, evidence).
    pub flags: Vec<(&'static str, String)>,
}

/// What is left of a reply once its forms are taken out.
pub fn substance(reply: &str) -> String {
    let kept = FORMS.replace_all(reply, "");
    STOCK.replace_all(&kept, "").into_owned()
}

/// Characters of a text that carry words (CJK, letters, digits).
fn word_chars(s: &str) -> usize {
    s.chars().filter(|c| c.is_alphanumeric()).count()
}

/// The first `n` characters of `s`, with … when cut.
fn clip(s: &str, n: usize) -> String {
    let mut out: String = s.chars().take(n).collect();
    if s.chars().count() > n {
        out.push('…');
    }
    out
}

/// The evidence that ties a reply to its case and that betrays another case: the summed
/// rarity of the specific bigrams both name, and of the specific bigrams only other cases
/// name, with the latter's bigrams, rarest first.
/// The whole reply counts for what it shares (a quoted title too), its substance for what
/// it names of other cases (not a greeting's 网友).
fn ties(post: &HashSet<Gram>, reply: &HashSet<Gram>, kept: &HashSet<Gram>, rarity: &Rarity) -> (f64, f64, Vec<Gram>) {
    let own: f64 = reply.iter().filter(|g| post.contains(*g) && rarity.specific(**g)).map(|g| rarity.idf(*g)).sum();
    let mut foreign = 0.0;
    let mut strange = vec![];
    for &g in kept {
        if !post.contains(&g) && rarity.foreign(g) {
            foreign += rarity.idf(g);
            strange.push(g);
        }
    }
    strange.sort_by(|a, b| rarity.df(*a).cmp(&rarity.df(*b)).then(a.cmp(b)));
    (own, foreign, strange)
}

fn gram_text(g: Gram) -> String {
    [(g >> 32) as u32, g as u32].iter().filter_map(|&c| char::from_u32(c)).collect()
}

/// Review a reply to a case (`title`, `post`) against the rarity of the cases reviewed.
pub fn review(title: &str, post: &str, reply: &str, rarity: &Rarity) -> TextReview {
    let case = format!("{title} {post}");
    let case_grams = grams(&case);
    let kept = substance(reply);
    let content = word_chars(&kept);
    let mut flags = vec![];

    // explanation: how much substance, and which parts of an answer it has
    let parts: Vec<&str> =
        PARTS.iter().zip(PART_RES.iter()).filter(|(_, re)| re.is_match(&kept)).map(|((name, _), _)| *name).collect();
    let facts = FACT.find_iter(&kept).count();
    let explanation = 0.45 * (content as f64 / 120.0).min(1.0)
        + 0.3 * (parts.len() as f64 / PARTS.len() as f64)
        + 0.25 * (facts as f64 / 3.0).min(1.0);
    let found = |name: &str| parts.contains(&name);

    // relevance: specific things both name, against specific things only other cases name
    let reply_grams = grams(&kept);
    let whole = grams(reply);
    let (own, foreign, _) = ties(&case_grams, &whole, &reply_grams, rarity);
    let evidence = own.ln_1p() - FOREIGN_WEIGHT * foreign.ln_1p();
    let relevance = 1.0 / (1.0 + (-evidence).exp());

    // completeness: each request whose specific words come back in the reply
    let (mut asked, mut answered) = (0, 0);
    let mut missing: Option<String> = None;
    for clause in case.split(['。', '！', '!', '；', ';', '\n', '？', '?']).filter(|c| REQUEST.is_match(c)) {
        let specific: Vec<Gram> = grams(clause).into_iter().filter(|g| rarity.specific(*g)).collect();
        if specific.is_empty() {
            continue;
        }
        asked += 1;
        if specific.iter().any(|g| reply_grams.contains(g)) {
            answered += 1;
        } else if missing.is_none() {
            missing = Some(clip(clause.trim(), 40));
        }
    }
    let completeness = if asked == 0 { 1.0 } else { answered as f64 / asked as f64 };

    let forms: Vec<&str> = FORMS.find_iter(reply).map(|m| m.as_str().trim()).filter(|s| !s.is_empty()).collect();
    let forwarded = forms.iter().find(|f| f.contains('转') || f.contains("汇报") || f.contains("正在"));
    let deflect = DEFLECT.find(&kept);
    if let Some(m) = deflect.filter(|_| !found("查明") && !found("措施")) {
        flags.push(("推诿", format!("「{}」，未见查明的情况", m.as_str())));
    } else if content < 15 || (facts == 0 && parts.is_empty()) {
        let said = forwarded.map_or_else(|| clip(reply.trim(), 30), |f| f.to_string());
        flags.push(("敷衍", format!("只有「{said}」，未见查明的情况、依据或措施")));
    }
    // the flag asks for whole words of other cases, not bigrams across two words
    let (_, foreign_words, strange) = ties(&case_grams, &whole, &word_grams(&kept), rarity);
    if relevance < 0.25 && strange.len() >= STRANGE_MIN && foreign_words > 2.0 * own {
        let names: Vec<String> = strange.iter().take(3).map(|g| gram_text(*g)).collect();
        flags.push(("答非所问", format!("答复所说「{}」不见于本件，见于其他来件", names.join("、"))));
    }
    if let Some(m) = missing.filter(|_| completeness < 1.0 && content >= 20) {
        flags.push(("不完整", format!("未答复「{m}」")));
    }
    TextReview { relevance, completeness, explanation, flags }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rarity(extra: &[&str]) -> Rarity {
        // a small collection: the cases under review and some neighbours on the same topics
        let mut texts = vec![
            "凉塘路旧城改造拆迁补偿 要求公开补偿标准",
            "翡翠湾小区逾期交房 要求开发商尽快交房",
            "128路公交车次太少 希望增加车次",
            "32路公交车不按时发车 32路早晚高峰间隔不均 配车太少 全程要等很久",
            "锦绣华庭物业乱收停车费 要求退还",
            "城关镇幸福村修路占地 要求补偿",
        ];
        texts.extend_from_slice(extra);
        Rarity::of(texts.into_iter().map(|t| (t, "")))
    }

    #[test]
    fn forwarding_only_is_perfunctory() {
        let r = rarity(&[]);
        let t = review(
            "128路公交车次太少",
            "希望增加车次",
            "网友您好！您的留言已收悉，已转市交通运输局调查处理。感谢您的关注！",
            &r,
        );
        assert!(t.explanation < 0.1, "{t:?}");
        assert_eq!(t.flags.iter().map(|f| f.0).collect::<Vec<_>>(), ["敷衍"], "{t:?}");
        assert!(t.flags[0].1.contains("已转市交通运输局调查处理"), "{t:?}");
    }

    #[test]
    fn a_finding_with_basis_and_next_step_explains() {
        let r = rarity(&[]);
        let reply = "您好！经查，128路公交线原配车17辆，根据线路客流情况，公司已于10月将营运车辆增加到25辆，\
                     高峰时段发车间隔7分钟。下一步将继续监测客流，如有疑问请致电0731-88886666。";
        let t = review("128路公交车次太少", "128路等车要半小时，希望增加车次", reply, &r);
        assert!(t.explanation > 0.7, "{t:?}");
        assert!(t.relevance > 0.7, "{t:?}");
        assert!(t.flags.is_empty(), "{t:?}");
    }

    #[test]
    fn a_reply_about_another_case_on_the_same_topic_is_not_relevant() {
        let r = rarity(&[]);
        let other = "经查，32路线路全程31公里，配车20台，早晚高峰道路拥堵造成间隔不均，公司已调整32路排班。";
        let own = "经查，128路公交线已将营运车辆增加到25辆，128路高峰发车间隔7分钟。";
        let a = review("128路公交车次太少", "希望增加128路车次", own, &r);
        let b = review("128路公交车次太少", "希望增加128路车次", other, &r);
        assert!(a.relevance > b.relevance + 0.3, "{a:?} {b:?}");
        assert!(b.flags.iter().any(|f| f.0 == "答非所问" && f.1.contains("全程")), "{b:?}");
    }

    #[test]
    fn sending_the_person_elsewhere_is_deflection() {
        let r = rarity(&[]);
        let t = review(
            "锦绣华庭物业乱收停车费",
            "要求退还停车费",
            "您好，此事不属于我局职责范围，建议您向法院起诉或与物业自行协商解决。",
            &r,
        );
        assert!(t.flags.iter().any(|f| f.0 == "推诿" && f.1.contains("不属于我局职责")), "{t:?}");
    }

    #[test]
    fn an_unanswered_request_makes_it_incomplete() {
        let r = rarity(&[]);
        let t = review(
            "凉塘路旧城改造",
            "凉塘路旧城改造拆迁补偿太低。要求公开补偿标准。希望尽快安排翡翠湾安置房",
            "经查，凉塘路旧城改造补偿标准已在区政府网站公开，依据《国有土地上房屋征收与补偿条例》制定。",
            &r,
        );
        assert!(t.completeness < 1.0, "{t:?}");
        assert!(t.flags.iter().any(|f| f.0 == "不完整" && f.1.contains("安置房")), "{t:?}");
    }
}
