//! Making one record: time, person, text from the phrase banks, handling times, flags
//! and the occasional defect.

use chrono::{Duration, NaiveDateTime};
use rand::Rng;
use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;

use super::phrases::{self, BACKGROUND_TOPICS, DEMANDS, NOT_THREATS, OPENINGS_RESIDENT, THREATS, Topic};
use super::world::{self, COUNTY, TOWNS};
use super::{DEFECT_RATE, GenerateConfig, Incident, Rec, weekday};

/// Named values a template may use: the record's places and entities are picked once,
/// so its title and its text speak of the same estate, company or school.
pub struct Ctx {
    pub slots: std::collections::BTreeMap<&'static str, String>,
    pub n: u32,
}

impl Ctx {
    fn new(rng: &mut ChaCha8Rng, incident: Option<&Incident>, town: usize, village: usize, n: u32) -> Ctx {
        let mut slots = std::collections::BTreeMap::new();
        let lists: [(&'static str, &[&'static str]); 11] = [
            ("estate", world::ESTATES),
            ("dev", world::DEVELOPERS),
            ("contractor", world::CONTRACTORS),
            ("project", world::PROJECTS),
            ("platform", world::PLATFORMS),
            ("plant", world::PLANTS),
            ("school", world::SCHOOLS),
            ("hospital", world::HOSPITALS),
            ("road", world::ROADS),
            ("firm", world::PROPERTY_FIRMS),
            ("town", &[]),
        ];
        for (k, list) in lists {
            if !list.is_empty() {
                slots.insert(k, pick(rng, list).to_string());
            }
        }
        slots.insert("town", TOWNS[town].0.to_string());
        slots.insert("village", world::villages(town)[village].clone());
        if let Some(i) = incident {
            for (k, v) in &i.slots {
                slots.insert(k, v.clone());
            }
        }
        // people say "40多人", not "42多人"
        let n = if n >= 20 { n / 10 * 10 } else { n };
        Ctx { slots, n }
    }
}

fn pick(rng: &mut ChaCha8Rng, list: &[&'static str]) -> &'static str {
    list.choose(rng).copied().unwrap_or("")
}

/// Fill `{slot}` and `{a|b}` (nested allowed).
pub fn fill(tpl: &str, ctx: &Ctx, rng: &mut ChaCha8Rng) -> String {
    let mut out = String::with_capacity(tpl.len() + 32);
    let mut rest = tpl;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let mut depth = 1;
        let mut close = after.len();
        for (i, c) in after.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        close = i;
                        break;
                    }
                }
                _ => {}
            }
        }
        let inner = &after[..close];
        let alts = split_top(inner);
        if alts.len() > 1 {
            let choice = alts[rng.random_range(0..alts.len())];
            out.push_str(&fill(choice, ctx, rng));
        } else {
            out.push_str(&slot(inner, ctx, rng));
        }
        rest = after.get(close + 1..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

fn split_top(s: &str) -> Vec<&str> {
    let (mut parts, mut depth, mut start) = (vec![], 0, 0);
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            '|' if depth == 0 => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
}

fn slot(name: &str, ctx: &Ctx, rng: &mut ChaCha8Rng) -> String {
    if let Some(v) = ctx.slots.get(name) {
        return v.clone();
    }
    match name {
        "n" => ctx.n.to_string(),
        "amount" => {
            let v: f64 = rng.random_range(1.5..95.0);
            if v < 10.0 { format!("{v:.1}") } else { format!("{}", v as u32) }
        }
        "months" => rng.random_range(3..16).to_string(),
        "year" => rng.random_range(2018..2025).to_string(),
        "month" => rng.random_range(1..13).to_string(),
        other => other.to_string(),
    }
}

/// Where in its life cycle an incident record falls: 0 at the start, 1 at the end.
fn lifecycle(rng: &mut ChaCha8Rng, inc: &Incident) -> f64 {
    let u: f64 = rng.random();
    if inc.topic().sub == "农民工工资" { u.sqrt() } else { u.powf(0.8) }
}

pub fn make_record(
    rng: &mut ChaCha8Rng,
    cfg: &GenerateConfig,
    source: usize,
    inc: Option<&Incident>,
    incident: Option<u32>,
    people_pool: u32,
) -> Rec {
    let span_secs = ((cfg.end - cfg.start).num_days() + 1) * 86_400;
    let start = cfg.start.and_hms_opt(0, 0, 0).expect("valid");
    let (received_at, frac) = match inc {
        Some(inc) => {
            let frac = lifecycle(rng, inc);
            let t = inc.start + Duration::seconds((frac * inc.days as f64 * 86_400.0) as i64);
            (working_hours(rng, t), frac)
        }
        None => {
            // weekends are quieter: redraw most weekend days
            let mut t = start + Duration::seconds(rng.random_range(0..span_secs));
            if weekday(t) >= 5 && rng.random_bool(0.6) {
                t = start + Duration::seconds(rng.random_range(0..span_secs));
            }
            (working_hours(rng, t), 0.0)
        }
    };
    let topic: &'static Topic = match inc {
        Some(i) => i.topic(),
        None => {
            // ordinary matters, the common ones more often
            let k = (rng.random::<f64>().powf(1.6) * BACKGROUND_TOPICS.len() as f64) as usize;
            &BACKGROUND_TOPICS[k.min(BACKGROUND_TOPICS.len() - 1)]
        }
    };
    // petitioners: incident group members, or the background pool where a few write often
    let person = match inc {
        Some(i) => Some(i.group.0 + (rng.random::<f64>().powf(1.5) * i.group.1 as f64) as u32),
        None => Some((rng.random::<f64>().powf(2.2) * people_pool as f64) as u32),
    };
    let (town, village) = match inc {
        Some(i) => (i.town, i.village),
        None => (rng.random_range(0..TOWNS.len()), rng.random_range(0..6)),
    };
    // escalation: later in a big incident, higher levels and collective visits
    let level = match inc {
        Some(i) if source == 0 => {
            let cap = if i.escalates { 3 } else { 1 };
            let l: u8 = if frac < 0.35 {
                0
            } else if frac < 0.65 {
                1
            } else if frac < 0.88 {
                2
            } else {
                3
            };
            let l = if rng.random_bool(0.25) { l.saturating_sub(1) } else { l };
            l.min(cap)
        }
        None if source == 0 && rng.random_bool(0.08) => rng.random_range(1..3),
        _ => 0,
    };
    let collective = source == 0 && inc.is_some() && rng.random_bool(0.15 + 0.35 * frac);
    let n: u32 = match (inc, collective) {
        (_, true) => {
            // most collective visits are tens of people; an escalating incident brings hundreds
            let top = if inc.is_some_and(|i| i.escalates) { 300.0 } else { 80.0 };
            5 + (rng.random::<f64>().powi(3) * top) as u32
        }
        (Some(_), false) => rng.random_range(10..300),
        (None, _) => rng.random_range(2..40),
    };
    let ctx = Ctx::new(rng, inc, town, village, n);
    let title = fill(pick(rng, topic.titles), &ctx, rng);
    let mut content = String::new();
    if inc.is_none() || rng.random_bool(0.4) {
        content.push_str(&fill(pick(rng, OPENINGS_RESIDENT), &ctx, rng));
    }
    let first = rng.random_range(0..topic.bodies.len());
    content.push_str(&fill(topic.bodies[first], &ctx, rng));
    if topic.bodies.len() > 1 && rng.random_bool(0.35) {
        // a second sentence from the same matter, as long letters do
        let second = (first + rng.random_range(1..topic.bodies.len())) % topic.bodies.len();
        content.push_str(&fill(topic.bodies[second], &ctx, rng));
    }
    let threat = inc.is_some() && rng.random_bool(0.05 + 0.3 * frac);
    if threat {
        content.push_str(&fill(pick(rng, THREATS), &ctx, rng));
    } else if rng.random_bool(0.02) {
        content.push_str(pick(rng, NOT_THREATS));
    }
    content.push_str(pick(rng, DEMANDS));
    if source == 0 && rng.random_bool(0.06) {
        // the person is made only when the text quotes their number (off the hot path)
        if let Some(p) = person.map(|i| super::People::get_static(cfg.seed, i)) {
            content.push_str(&if rng.random_bool(0.5) {
                format!("联系电话：{}", p.phone)
            } else {
                format!("本人身份证号{}。", p.id_number)
            });
        }
    }
    add_noise(rng, &mut content);

    let mut r = Rec {
        source,
        case_id: String::new(),
        received_at,
        title,
        content,
        person,
        headcount: None,
        region: None,
        topic,
        incident,
        entity: inc.map(|i| i.entity().to_string()).unwrap_or_default(),
        channel: "",
        purpose: "",
        level,
        flags: [false; 7],
        dept: topic.dept.replace("{town}", TOWNS[town].0),
        accepted_at: None,
        due_at: None,
        closed_at: None,
        replied_at: None,
        satisfaction: None,
        reply: None,
        likes: 0,
        dislikes: 0,
        shares: 0,
        comments: 0,
        platform: "",
        defect: None,
        escalated_30d: false,
        date_form: rng.random_range(0..10),
    };
    let region_town = TOWNS[town].0;
    let village_name = world::villages(town)[village].clone();
    r.region = match rng.random_range(0..10) {
        0 | 1 => None,
        2..=5 => Some(format!("{COUNTY}{region_town}")),
        _ => Some(format!("{COUNTY}{region_town}{village_name}")),
    };
    let end = cfg.end.and_hms_opt(23, 59, 59).expect("valid");
    match source {
        0 => petition_fields(rng, &mut r, collective, threat, n, end),
        1 => hotline_fields(rng, &mut r, end),
        2 => message_fields(rng, &mut r, end),
        _ => opinion_fields(rng, &mut r),
    }
    if rng.random_bool(DEFECT_RATE * 4.0) {
        r.defect = Some(match (source, rng.random_range(0..4)) {
            (_, 0) => "empty text",
            (_, 1) => "bad date",
            (0, 3) => "negative headcount",
            _ => "missing id",
        });
    }
    r
}

fn working_hours(rng: &mut ChaCha8Rng, t: NaiveDateTime) -> NaiveDateTime {
    let date = t.date();
    let (h, m, s) = (rng.random_range(8..18), rng.random_range(0..60), rng.random_range(0..60));
    date.and_hms_opt(h, m, s).expect("valid")
}

fn add_noise(rng: &mut ChaCha8Rng, s: &mut String) {
    if rng.random_bool(0.05) {
        let (right, wrong) = phrases::TYPOS[rng.random_range(0..phrases::TYPOS.len())];
        *s = s.replacen(right, wrong, 1);
    }
    if rng.random_bool(0.02) {
        *s = s.chars().map(|c| phrases::TRADITIONAL.iter().find(|(a, _)| *a == c).map_or(c, |(_, b)| *b)).collect();
    }
    if rng.random_bool(0.06) {
        *s = s
            .chars()
            .map(|c| if c.is_ascii_digit() { char::from_u32(c as u32 + 0xFEE0).unwrap_or(c) } else { c })
            .collect();
    }
    if rng.random_bool(0.08) {
        s.insert_str(0, "\n\t\t\t\u{3000}\u{3000}");
        s.push_str("\n\t\t");
    }
}

fn petition_fields(rng: &mut ChaCha8Rng, r: &mut Rec, collective: bool, threat: bool, n: u32, end: NaiveDateTime) {
    r.channel = match rng.random_range(0..20) {
        0..=5 => "来信",
        6..=12 => "来访",
        13..=17 => "网信",
        _ => "电话",
    };
    r.purpose = match rng.random_range(0..10) {
        0..=5 => "申诉",
        6..=7 => "求决",
        8 => "检举控告",
        _ => "意见建议",
    };
    if collective {
        r.channel = "来访";
    }
    // 信访人数: 1 for a single writer, the crowd for a collective visit; sometimes left empty
    r.headcount = if rng.random_bool(0.12) {
        None
    } else if collective {
        Some(n as i32)
    } else {
        Some(1)
    };
    let (to_b, to_p) = (r.level >= 3, r.level == 2);
    r.flags = [
        r.level >= 2 && rng.random_bool(0.7),
        to_b,
        to_p,
        collective,
        rng.random_bool(0.2),
        collective && rng.random_bool(0.3),
        threat,
    ];
    let accept_days = if rng.random_bool(0.06) { rng.random_range(16..30) } else { rng.random_range(0..12) };
    let accepted = r.received_at + Duration::days(accept_days) + Duration::hours(rng.random_range(0..6));
    let due = accepted + Duration::days(60);
    let handle_days = if rng.random_bool(0.1) { rng.random_range(61..110) } else { rng.random_range(8..60) };
    let closed = accepted + Duration::days(handle_days);
    if accepted <= end {
        r.accepted_at = Some(accepted);
        r.due_at = Some(due);
    }
    if closed <= end {
        r.closed_at = Some(closed);
        r.replied_at = Some(closed + Duration::hours(rng.random_range(0..48)));
        r.satisfaction = Some(match rng.random_range(0..20) {
            0..=10 => "满意",
            11..=15 => "基本满意",
            16..=17 => "不满意",
            _ => "未评价",
        });
    }
}

fn hotline_fields(rng: &mut ChaCha8Rng, r: &mut Rec, end: NaiveDateTime) {
    r.channel = "12345";
    r.purpose = match rng.random_range(0..20) {
        0..=8 => "投诉",
        9..=12 => "求助",
        13..=16 => "咨询",
        17 => "建议",
        _ => "举报",
    };
    let days = if rng.random_bool(0.08) { rng.random_range(6..20) } else { rng.random_range(0..5) };
    let closed = r.received_at + Duration::days(days) + Duration::hours(rng.random_range(1..10));
    r.due_at = Some(r.received_at + Duration::days(5));
    if closed <= end {
        r.closed_at = Some(closed);
        r.satisfaction = Some(match rng.random_range(0..20) {
            0..=11 => "满意",
            12..=15 => "基本满意",
            16..=17 => "不满意",
            _ => "未回访",
        });
    }
}

fn message_fields(rng: &mut ChaCha8Rng, r: &mut Rec, end: NaiveDateTime) {
    r.channel = "留言板";
    let hot = r.incident.is_some();
    r.likes = if hot { rng.random_range(5..800) } else { rng.random_range(0..30) };
    r.dislikes = rng.random_range(0..5);
    let replied = r.received_at + Duration::days(rng.random_range(3..30));
    if rng.random_bool(0.8) && replied <= end {
        r.replied_at = Some(replied);
        r.reply = Some(format!(
            "网友您好！您反映的问题已转{}调查处理，{}。感谢您对我们工作的关心和支持！",
            r.dept,
            ["相关情况正在核实", "已责成相关单位限期整改", "后续进展将及时公开"][rng.random_range(0..3)]
        ));
    }
}

fn opinion_fields(rng: &mut ChaCha8Rng, r: &mut Rec) {
    r.platform = ["微博", "抖音", "微信公众号", "今日头条", "本地论坛", "快手"][rng.random_range(0..6)];
    r.channel = r.platform;
    let hot = r.incident.is_some();
    let scale = if hot { rng.random::<f64>().powf(3.0) * 30_000.0 } else { rng.random::<f64>().powf(4.0) * 800.0 };
    r.shares = scale as i64;
    r.comments = (scale * rng.random_range(0.2..1.5)) as i64;
    r.likes = (scale * rng.random_range(1.0..6.0)) as i64;
}
