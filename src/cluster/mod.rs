//! Same-type cases (类案) and hot issues.
//!
//! Two levels. Near-duplicates (`minhash`): the same text sent again. Same-type clusters:
//! the cases of all four sources about one entity on one focus topic (an estate's delayed
//! delivery, a company's unpaid wages, a collapsed platform), split where the issue goes
//! quiet for `gap_days`; a group needs `min_cases` cases from at least two petitioners or
//! two sources, so individual complaints stay out. Texts sent again without a named
//! entity form `duplicate` clusters. Each cluster gets a title in the analysts' style,
//! counts per source, people, petitioners, regions, departments, weekly trend, risk
//! (from the `risk` table when scored), heat (`heat`), representative and typical cases,
//! and the suggested two-way assignment: the lead functional department of the matter
//! (`models/topics.toml`) and the localities owning each case. Writes `clusters`,
//! `cluster_members`; `xlsx` writes the 类案清单; `eval` scores clusters against truth.

pub mod eval;
pub mod heat;
pub mod kept;
pub mod minhash;
pub mod topical;
pub mod xlsx;

use std::collections::BTreeMap;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::sync::Arc;
use std::time::Instant;

use arrow::array::{
    Array, ArrayRef, AsArray, Date32Array, Float64Array, Int32Array, Int64Array, ListArray, StringArray,
    TimestampMicrosecondArray,
};
use arrow::record_batch::RecordBatch;
use chrono::{Duration, NaiveDate, NaiveDateTime};

pub use eval::evaluate;

use crate::Result;
use crate::facts::tables::RiskScores;
use crate::facts::{CaseFacts, date32, latest_day, load_facts, time_to_micros};
use crate::model::{ClusterKind, Source, entity_name};
use crate::schema::{cases, cluster_members_schema, clusters_schema, enriched, table};
use crate::warehouse::{Warehouse, read_table_columns};

/// Share of an entity cluster's cases with collective action or threat language that makes
/// it an `issue` rather than `routine` (常发: the same entity, ordinary individual complaints).
pub const ISSUE_SIGNAL: f64 = 0.05;
/// A group is quiet when no case came for this many times its mean interval (or `gap_days`).
pub const QUIET_PACES: i32 = 4;
/// Several people raising one matter at once make a hot issue without any collective or
/// threat words (a message board's posts): this many different people within
/// `BURST_DAYS`, holding at least half the group's cases.
pub const BURST_PEOPLE: usize = 3;
pub const BURST_DAYS: i64 = 30;
/// Weeks in a cluster's trend.
pub const TREND_WEEKS: usize = 12;

#[derive(Debug, Clone)]
pub struct ClusterConfig {
    /// An issue quiet this long (or four times its own mean interval, if longer) starts a
    /// new cluster.
    pub gap_days: i64,
    /// Two cases further apart than this are never compared for the topical grouping.
    pub window_days: i64,
    pub min_cases: usize,
    /// Estimated Jaccard similarity of near-duplicate texts.
    pub dup_threshold: f64,
    /// Group every case anew even when the last grouping could be kept (`kept::plan`).
    pub regroup: bool,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            gap_days: 60,
            window_days: 180,
            min_cases: 3,
            dup_threshold: minhash::THRESHOLD,
            regroup: false,
        }
    }
}

/// One cluster, its members as indices into the facts.
#[derive(Debug, Clone)]
pub struct Cluster {
    pub id: String,
    pub kind: ClusterKind,
    pub title: String,
    pub topic: String,
    pub sub: String,
    pub entity: Option<String>,
    pub members: Vec<usize>,
    pub people: i64,
    pub petitioners: usize,
    pub by_source: [usize; 4],
    pub first_source: String,
    pub first: NaiveDateTime,
    pub last: NaiveDateTime,
    pub weekly: Vec<u32>,
    pub regions: String,
    pub depts: String,
    pub risk_max: Option<i32>,
    pub red: usize,
    pub engagement: i64,
    pub heat: f64,
    pub heat_rank: usize,
    pub lead_dept: String,
    pub representative: String,
    pub typical: String,
    /// `外省 3、开福区 1`: the 户籍地 and 居住地 of members from elsewhere, the localities that
    /// assist the 问题属地 (双向交办: the place of the matter leads).
    pub co_regions: String,
}

/// What the text of a case says and how it was answered: its text for the grouping, its
/// title and reply for the typical-case library.
///
/// The text is read as `enrich` cut it: `enriched.tokens` are the pieces of
/// `title + " " + content` with the gazetteer's names and the user dictionary, so every
/// stage reads one text one way, and `enriched.sketch` is its near-duplicate sketch, so
/// only the cases enriched since are cut and sketched again. A case with no `enriched`
/// row is cut here with the built-in dictionary; one enriched by an older minqing (no
/// sketch) is sketched here.
struct Texts {
    title: Vec<String>,
    reply: Vec<Option<String>>,
    /// The bytes of each batch of `enriched.tokens`: every piece, joined (the terms are
    /// slices of these; the pieces' offsets go once the texts are cut).
    bytes: Vec<arrow::buffer::Buffer>,
    /// `title + " " + content` of the cases without an `enriched` row (empty for the rest).
    own: Vec<String>,
}

/// Where each case's pieces are in `enriched.tokens`, until the texts are cut.
struct Pieces {
    tokens: Vec<ListArray>,
    /// (batch, row) of each case in `tokens`.
    at: Vec<Option<(u32, u32)>>,
}

impl Pieces {
    /// The case's pieces: the strings of its `tokens` list and their range in them.
    fn of(&self, i: usize) -> Option<(&StringArray, std::ops::Range<usize>, usize)> {
        let (b, r) = self.at[i]?;
        let list = &self.tokens[b as usize];
        let o = list.value_offsets();
        Some((list.values().as_string::<i32>(), o[r as usize] as usize..o[r as usize + 1] as usize, b as usize))
    }

    /// `title + " " + content`: the pieces joined back (one slice of the column), or the
    /// text read for a case with no pieces.
    fn text<'t>(&'t self, texts: &'t Texts, i: usize) -> Result<&'t str> {
        let Some((s, range, _)) = self.of(i) else { return Ok(&texts.own[i]) };
        let o = s.value_offsets();
        std::str::from_utf8(&s.values()[o[range.start] as usize..o[range.end] as usize])
            .map_err(|_| crate::Error::Internal("a text in `enriched.tokens` is not UTF-8 across its pieces".into()))
    }

    /// The terms of the case's title and of its whole text, as the grouping takes them
    /// (slices of `texts`, which outlive the pieces).
    fn terms<'t>(&self, texts: &'t Texts, i: usize, seg: &crate::text::Segmenter) -> (Vec<&'t str>, Vec<&'t str>) {
        let Some((s, range, b)) = self.of(i) else {
            return (seg.terms(&texts.title[i]), seg.terms(&texts.own[i]));
        };
        let (title, bytes, o) = (&texts.title[i], &texts.bytes[b], s.value_offsets());
        let whole = &bytes[o[range.start] as usize..o[range.end] as usize];
        // the pieces start with the title's (the space after it is a piece of its own);
        // a title changed since `enrich` ran is cut anew
        let aligned = whole.starts_with(title.as_bytes()) && whole.get(title.len()) == Some(&b' ');
        let (mut t, mut body) = (vec![], Vec::with_capacity(range.len() / 2));
        let base = o[range.start] as usize;
        for j in range {
            if seg.is_term(s.value(j)) {
                // the same bytes, borrowed from what stays
                let (start, end) = (o[j] as usize, o[j + 1] as usize);
                let p = std::str::from_utf8(&bytes[start..end]).expect("a piece of a UTF-8 column is UTF-8");
                if aligned && start - base < title.len() {
                    t.push(p);
                }
                body.push(p);
            }
        }
        body.shrink_to_fit();
        if !aligned {
            t = seg.terms(title);
        }
        (t, body)
    }
}

/// The texts of `facts`, and each case's near-duplicate group (`minhash::groups_of`).
fn load_texts(wh: &Warehouse, facts: &[CaseFacts], threshold: f64) -> Result<(Texts, Pieces, Vec<Option<usize>>)> {
    load_texts_of(wh, facts, threshold, None)
}

/// [`load_texts`], reading only the rows `only` keeps (the cases of `facts`, when they are
/// few of the warehouse's).
fn load_texts_of(
    wh: &Warehouse,
    facts: &[CaseFacts],
    threshold: f64,
    only: Option<&crate::warehouse::RowsWhere>,
) -> Result<(Texts, Pieces, Vec<Option<usize>>)> {
    use rayon::prelude::*;
    let n = facts.len();
    let read = |t: &str, cols: &[&str]| match only {
        Some(rows) => crate::warehouse::read_table_where(wh, t, cols, rows),
        None => read_table_columns(wh, t, Some(cols)),
    };
    let index: HashMap<(&str, &str), usize> =
        facts.iter().enumerate().map(|(i, f)| ((&*f.source, f.case_id.as_str()), i)).collect();
    let find = |b: &RecordBatch, src: &str, id: &str| -> Vec<(usize, usize)> {
        let s = |c: &str| b.column_by_name(c).expect("projected").as_string::<i32>();
        let (src, id) = (s(src), s(id));
        (0..b.num_rows()).filter_map(|r| Some((*index.get(&(src.value(r), id.value(r)))?, r))).collect()
    };
    // the sketches `enrich` stored (empty: a text too short for one); a case without a row,
    // or whose row has none (an older minqing's) or not one of this minqing's, is sketched here
    let mut sketch = vec![None; n];
    let mut here = vec![true; n];
    for b in read(table::ENRICHED, &[enriched::CASE_ID, enriched::SOURCE, enriched::SKETCH])? {
        let sk = b.column_by_name(enriched::SKETCH).expect("projected").as_binary::<i32>();
        for (i, r) in find(&b, enriched::SOURCE, enriched::CASE_ID) {
            if sk.is_valid(r) {
                (sketch[i], here[i]) = match sk.value(r) {
                    [] => (None, false),
                    v => {
                        let stored = minhash::from_bytes(v);
                        (stored, stored.is_none())
                    }
                };
            }
        }
    }
    // with every sketch stored, the near-duplicates are found before the pieces are read
    // (the sketches and the pieces are never held at once)
    let mut dup = (!here.contains(&true)).then(|| minhash::groups_of(&sketch, threshold));
    if dup.is_some() {
        sketch = vec![];
    }
    // the pieces `enrich` cut
    let batches = read(table::ENRICHED, &[enriched::CASE_ID, enriched::SOURCE, enriched::TOKENS])?;
    let found: Vec<Vec<(usize, usize)>> =
        batches.par_iter().map(|b| find(b, enriched::SOURCE, enriched::CASE_ID)).collect();
    let mut at = vec![None; n];
    for (bi, rows) in found.into_iter().enumerate() {
        for (i, r) in rows {
            at[i] = Some((bi as u32, r as u32));
        }
    }
    let tokens: Vec<ListArray> = batches
        .into_iter()
        .map(|b| b.column_by_name(enriched::TOKENS).expect("projected").as_list::<i32>().clone())
        .collect();
    let pieces = Pieces { tokens, at };
    // titles and replies; the whole text only for cases `enrich` has not read
    let unread = pieces.at.iter().any(Option::is_none);
    let mut cols = vec![cases::CASE_ID, cases::SOURCE, cases::TITLE, cases::REPLY];
    if unread {
        cols.push(cases::CONTENT);
    }
    type Read = (usize, String, Option<String>, Option<String>);
    let rows: Vec<Vec<Read>> = read(table::CASES, &cols)?
        .par_iter()
        .map(|b| {
            let s = |n: &str| b.column_by_name(n).expect("projected").as_string::<i32>();
            let (title, rep) = (s(cases::TITLE), s(cases::REPLY));
            find(b, cases::SOURCE, cases::CASE_ID)
                .into_iter()
                .map(|(i, r)| {
                    let t = if title.is_null(r) { "" } else { title.value(r) };
                    let reply = (!rep.is_null(r) && !rep.value(r).trim().is_empty()).then(|| rep.value(r).to_string());
                    let own = (unread && pieces.at[i].is_none()).then(|| format!("{t} {}", s(cases::CONTENT).value(r)));
                    (i, t.to_string(), reply, own)
                })
                .collect()
        })
        .collect();
    let mut texts = Texts {
        title: vec![String::new(); n],
        reply: vec![None; n],
        // copied to their length: a column reader's buffer may hold more than it read
        bytes: pieces
            .tokens
            .iter()
            .map(|l| arrow::buffer::Buffer::from(l.values().as_string::<i32>().values().as_slice()))
            .collect(),
        own: vec![String::new(); n],
    };
    for (i, t, r, own) in rows.into_iter().flatten() {
        (texts.title[i], texts.reply[i]) = (t, r);
        if let Some(x) = own {
            texts.own[i] = x;
        }
    }
    if dup.is_none() {
        sketch.par_iter_mut().zip(&here).enumerate().filter(|(_, (_, h))| **h).try_for_each(|(i, (s, _))| {
            *s = minhash::sketch(pieces.text(&texts, i)?);
            Ok::<_, crate::Error>(())
        })?;
        dup = Some(minhash::groups_of(&sketch, threshold));
    }
    Ok((texts, pieces, dup.expect("found above")))
}

/// The problem as analysts name it, by matter.
fn problem(topic: &str, sub: &str) -> Option<String> {
    let what = match sub {
        "逾期交房" => "逾期交房",
        "烂尾" => "项目烂尾",
        "办证难" => "办证难",
        "质量" => "房屋质量",
        "物业" => "物业服务",
        "农民工工资" => "拖欠农民工工资",
        "工程款" => "拖欠工程款",
        "个人欠薪" => "拖欠工资",
        "集资诈骗" => "非法集资",
        "征地补偿" => "征地补偿",
        "拆迁" => "拆迁安置",
        "执行难" => "执行难",
        "待遇落实" => "待遇落实",
        "入学" => "入学难",
        "医疗纠纷" => "医疗纠纷",
        "污染" => "环境污染",
        "噪音扰民" => "噪音扰民",
        "社保" => "社保待遇",
        "村务公开" => "村务公开",
        _ if topic.is_empty() || topic == "其他" => return None,
        _ => topic,
    };
    Some(what.to_string())
}

/// "翠湖花园小区逾期交房问题", "宏建建筑工程有限公司拖欠农民工工资问题"; without an entity
/// the group's own key terms after its locality ("A7县凉塘路旧城改造问题"); for a matter no
/// class names, "XX相关问题" or, with nothing else, the first case's own title.
pub fn title(
    entity: Option<&str>,
    town: Option<&str>,
    topic: &str,
    sub: &str,
    phrase: Option<&str>,
    keys: &[String],
    first_title: &str,
) -> String {
    let place = town.unwrap_or("");
    let who = entity.map(entity_name);
    // the titles' own phrase, after the entity when the phrase does not hold it
    if let Some(p) = phrase.filter(|_| who.is_none() || problem(topic, sub).is_none()) {
        // "A7县" + "县东六路": the suffix jieba glued to the next word is said once
        let p =
            place.chars().next_back().and_then(|c| p.strip_prefix(c)).filter(|r| r.chars().count() >= 2).unwrap_or(p);
        return match who.filter(|w| !p.contains(*w) && !w.contains(p)) {
            Some(w) => format!("{w}{p}问题"),
            None => format!("{place}{p}问题"),
        };
    }
    // two key terms, the second not a part of the first
    let mut picked: Vec<&str> = vec![];
    for k in keys.iter().map(String::as_str) {
        if picked.len() < 2
            && !picked.iter().any(|p| p.contains(k) || k.contains(p))
            && who.is_none_or(|w| !w.contains(k))
        {
            picked.push(k);
        }
    }
    match (problem(topic, sub), who) {
        (Some(p), Some(w)) => format!("{w}{p}问题"),
        (_, None) if !picked.is_empty() => format!("{place}{}问题", picked.concat()),
        (Some(p), None) => format!("{place}{p}问题"),
        (None, Some(w)) if !picked.is_empty() => format!("{w}{}问题", picked[0]),
        (None, Some(w)) => format!("{w}相关问题"),
        (None, None) if !first_title.trim().is_empty() => {
            let t: String = first_title.trim().chars().take(24).collect();
            format!("{place}“{t}”同类诉求")
        }
        (None, None) => format!("{place}同类诉求"),
    }
}

/// Whether a group came in a burst rather than a trickle: some `BURST_DAYS` window holds at
/// least half its cases, from at least `BURST_PEOPLE` different people (a case with no
/// person known counts as its own person).
fn bursts(facts: &[CaseFacts], m: &[usize]) -> bool {
    let mut by_time: Vec<usize> = m.to_vec();
    by_time.sort_by_key(|&i| (facts[i].received, i));
    let window = Duration::days(BURST_DAYS);
    let mut lo = 0;
    for hi in 0..by_time.len() {
        while facts[by_time[hi]].received - facts[by_time[lo]].received > window {
            lo += 1;
        }
        let inside = &by_time[lo..=hi];
        if inside.len() * 2 >= m.len() {
            let people: HashSet<&str> =
                inside.iter().map(|&i| facts[i].person.as_deref().unwrap_or(&*facts[i].case_id)).collect();
            if people.len() >= BURST_PEOPLE {
                return true;
            }
        }
    }
    false
}

fn most_common<'a>(items: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let mut n: BTreeMap<&str, usize> = BTreeMap::new();
    for i in items.filter(|s| !s.is_empty()) {
        *n.entry(i).or_default() += 1;
    }
    n.into_iter().max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0))).map(|(k, _)| k)
}

/// `城关镇 12、青石镇 3` (most first).
fn tally<'a>(items: impl Iterator<Item = &'a str>) -> String {
    crate::model::Tally::of(items).encode()
}

/// How long a group of cases (sorted, in time order) may go without one before it is over:
/// `gap_days`, or `QUIET_PACES` times its own mean interval when that is longer.
fn quiet(facts: &[CaseFacts], idx: &[usize], gap_days: i64) -> Duration {
    match (idx.first(), idx.last()) {
        (Some(&a), Some(&b)) if idx.len() > 1 => {
            let pace = (facts[b].received - facts[a].received) / (idx.len() as i32 - 1);
            Duration::days(gap_days).max(pace * QUIET_PACES)
        }
        _ => Duration::days(gap_days),
    }
}

/// Member lists: issue clusters from the groups of cases about one matter (`topical`, each
/// sorted; `facts` are in time order), then duplicate clusters among the rest.
pub fn group(
    facts: &[CaseFacts],
    topical: &[Vec<usize>],
    dup: &[Option<usize>],
    cfg: &ClusterConfig,
) -> Vec<(ClusterKind, Vec<usize>)> {
    let issues = topical.iter().cloned();
    let enough = |m: &[usize]| {
        let people: HashSet<&str> = m.iter().filter_map(|&i| facts[i].person.as_deref()).collect();
        let sources: HashSet<&str> = m.iter().map(|&i| &*facts[i].source).collect();
        m.len() >= cfg.min_cases && (people.len() >= 2 || sources.len() >= 2)
    };
    let mut out: Vec<(ClusterKind, Vec<usize>)> = vec![];
    let mut taken = vec![false; facts.len()];
    for idx in issues {
        // quiet is relative to the group's own pace: a thousand cases a year that stop for
        // `gap_days` are two episodes; six posts over half a year are one matter
        let quiet = quiet(facts, &idx, cfg.gap_days);
        let mut run: Vec<usize> = vec![];
        for i in idx {
            if run.last().is_some_and(|&p| facts[i].received - facts[p].received > quiet) {
                if enough(&run) {
                    out.push((ClusterKind::Issue, std::mem::take(&mut run)));
                } else {
                    run.clear();
                }
            }
            run.push(i);
        }
        if enough(&run) {
            out.push((ClusterKind::Issue, run));
        }
    }
    // an entity's steady trickle of individual complaints is 常发 (routine), not a hot issue:
    // an issue shows collective action or threats in at least `ISSUE_SIGNAL` of its cases
    for (kind, m) in out.iter_mut() {
        let signals =
            m.iter().filter(|&&i| facts[i].is_collective() || facts[i].has_threat() || facts[i].threat_flag).count();
        if (signals as f64) < ISSUE_SIGNAL * m.len() as f64 && !bursts(facts, m) {
            *kind = ClusterKind::Routine;
        }
    }
    // an issue's cases read as different matters (逾期交房 / 烂尾) are still one issue:
    // merge issues of one entity and topic that run into each other
    let mut merged: Vec<(ClusterKind, Vec<usize>)> = vec![];
    let mut issues_by: BTreeMap<(&str, &str), Vec<Vec<usize>>> = BTreeMap::new();
    for (kind, m) in out {
        let f = &facts[m[0]];
        if let (true, Some(e)) = (kind == ClusterKind::Issue, f.entity.as_deref()) {
            issues_by.entry((e, &f.focus_topic)).or_default().push(m);
        } else {
            merged.push((kind, m));
        }
    }
    for mut runs in issues_by.into_values() {
        runs.sort_by_key(|m| m[0]);
        let mut cur: Vec<usize> = vec![];
        for m in runs {
            let last = cur.iter().copied().max();
            if last.is_some_and(|l| facts[m[0]].received - facts[l].received > Duration::days(cfg.gap_days)) {
                cur.sort_unstable();
                merged.push((ClusterKind::Issue, std::mem::take(&mut cur)));
            }
            cur.extend(m);
        }
        cur.sort_unstable();
        merged.push((ClusterKind::Issue, cur));
    }
    let mut out = merged;
    for (_, m) in &out {
        for &i in m {
            taken[i] = true;
        }
    }
    // the same text from one locality (a template sent from several towns is several issues)
    let mut dups: BTreeMap<(usize, &str), Vec<usize>> = BTreeMap::new();
    for (i, d) in dup.iter().enumerate() {
        if let Some(root) = d.filter(|_| !taken[i]) {
            dups.entry((root, facts[i].town.as_deref().unwrap_or(""))).or_default().push(i);
        }
    }
    out.extend(dups.into_values().filter(|m| m.len() >= cfg.min_cases).map(|m| (ClusterKind::Duplicate, m)));
    out
}

#[derive(Debug, Clone, Default)]
pub struct ClusterReport {
    pub as_of: Option<NaiveDate>,
    pub cases: usize,
    pub dup_cases: usize,
    pub dup_groups: usize,
    pub clusters: usize,
    pub clustered: usize,
    pub top: Vec<(String, usize, f64)>,
    /// Grouped anew (and why) or kept from the last grouping (and what was added).
    pub grouping: String,
    /// Which cases the near-duplicate counts are of (all, or the clusters' when kept).
    pub dup_scope: &'static str,
    pub seconds: f64,
}

impl std::fmt::Display for ClusterReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Some(as_of) = self.as_of else { return write!(f, "no cases to cluster") };
        writeln!(f, "clustered {} cases as of {as_of} in {:.1}s", self.cases, self.seconds)?;
        writeln!(f, "  {}", self.grouping)?;
        writeln!(f, "  near-duplicates{}: {} cases in {} groups", self.dup_scope, self.dup_cases, self.dup_groups)?;
        write!(f, "  类案: {} clusters holding {} cases; hottest:", self.clusters, self.clustered)?;
        for (t, n, h) in &self.top {
            write!(f, "\n    {t} — {n}件, 热度 {h:.1}")?;
        }
        Ok(())
    }
}

/// Find near-duplicates and clusters as of `as_of` (default: the latest day).
pub fn run(
    wh: &Warehouse,
    cfg: &ClusterConfig,
    as_of: Option<NaiveDate>,
) -> Result<(ClusterReport, Vec<Cluster>, Vec<CaseFacts>)> {
    let facts = load_facts(wh)?;
    let (report, clusters) = run_on(wh, cfg, as_of, &facts, &RiskScores::Stored)?;
    Ok((report, clusters, facts))
}

/// `run` over facts already loaded. Groups every case anew, or keeps the clusters of the
/// last grouping and adds the cases since (`kept`), as `kept::plan` decides.
pub fn run_on(
    wh: &Warehouse,
    cfg: &ClusterConfig,
    as_of: Option<NaiveDate>,
    facts: &[CaseFacts],
    risk: &RiskScores,
) -> Result<(ClusterReport, Vec<Cluster>)> {
    let t0 = Instant::now();
    let Some(as_of) = as_of.or_else(|| latest_day(facts)) else {
        return Ok((ClusterReport::default(), vec![]));
    };
    // the cases known by then: a prefix of the facts (in the order received), so a
    // member's index is its index in `facts` too
    let facts = crate::facts::known_by(facts, as_of);
    let plan = kept::plan(wh, cfg, as_of, &facts)?;
    if let kept::Plan::Full(why) = &plan {
        tracing::info!("cluster: every case grouped anew: {why}");
    }
    let (state, why) = match plan {
        kept::Plan::Keep(state, changed, from) => {
            let (mut clusters, dup, state, grouping) = kept::add(wh, cfg, as_of, &facts, *state, &changed, from, risk)?;
            heat::rank(&mut clusters, as_of);
            // a kept run knows the near-duplicates of the clusters' cases only
            let in_clusters: Vec<Option<usize>> = {
                let mut d = vec![None; facts.len()];
                for &i in clusters.iter().flat_map(|c| &c.members) {
                    d[i] = dup[i];
                }
                d
            };
            let report = ClusterReport {
                grouping,
                dup_scope: " among the clusters' cases",
                ..ClusterReport::of(&clusters, &facts, &in_clusters, as_of)
            };
            let mut tx = wh.begin()?;
            tx.replace(table::CLUSTERS, &[clusters_batch(&clusters, as_of)?])?;
            tx.replace(table::CLUSTER_MEMBERS, &[members_batch(&clusters, &facts, &dup)?])?;
            return finish(wh, tx, report, &state, t0).map(|r| (r, clusters));
        }
        kept::Plan::Full(why) => (kept::Grouping::begin(wh, cfg, as_of, facts.len())?, why),
    };
    // every case's text is held from here: beside a risk stage (which holds every case's
    // history and features), its scores are waited for first, on this thread (a wait on one
    // of rayon's would hold a core risk needs), so the two peaks never add up
    let handed = match risk {
        RiskScores::Coming(_) => Some(risk.of(wh, facts)?),
        _ => None,
    };
    let (texts, pieces, dup) = load_texts(wh, &facts, cfg.dup_threshold)?;
    tracing::info!("cluster: texts read, near-duplicates found at {:.2}s", t0.elapsed().as_secs_f64());
    let cut = topical_texts(&facts, &texts, pieces);
    tracing::info!("cluster: texts cut at {:.2}s", t0.elapsed().as_secs_f64());
    // the risk scores are read while the cases are grouped
    let (grouped, risk) = match handed {
        Some(scores) => (topical::groups(&cut, cfg.window_days, None), scores),
        None => {
            let (grouped, risk) = rayon::join(|| topical::groups(&cut, cfg.window_days, None), || risk.of(wh, facts));
            (grouped, risk?)
        }
    };
    tracing::info!("cluster: {} topical groups at {:.2}s", grouped.groups.len(), t0.elapsed().as_secs_f64());
    // looked up once per case (describing a cluster asks for each member's twice)
    let risk_of = |i: usize| risk[i].as_ref();
    let score = |i: usize| risk_of(i).map(|s| s.0);
    // red as `risk` graded it, by the levels of risk.toml
    let red = |i: usize| risk_of(i).is_some_and(|s| s.1 == crate::model::Level::Red);
    let groups = group(&facts, &grouped.groups, &dup, cfg);
    // what each cluster is about, kept for adding the cases of the next days; the vectors go
    let topical::Grouped { terms, vecs, df, n, .. } = grouped;
    let profiles: Vec<kept::Profile> = {
        use rayon::prelude::*;
        groups.par_iter().map(|(_, m)| kept::Profile::of(m, &vecs, &terms)).collect()
    };
    drop(vecs);
    let words = Words { cases: &cut, terms: &terms };
    // each cluster described on its own, on both cores (collected in the groups' order)
    let mut clusters: Vec<Cluster> = {
        use rayon::prelude::*;
        groups
            .into_par_iter()
            .map(|(kind, m)| describe(kind, m, &facts, &texts, &words, &dup, &score, &red, as_of))
            .collect()
    };
    let state = state.with(&terms, &df, n, clusters.iter().zip(profiles));
    heat::rank(&mut clusters, as_of);
    let report =
        ClusterReport { grouping: format!("grouped anew: {why}"), ..ClusterReport::of(&clusters, &facts, &dup, as_of) };
    let mut tx = wh.begin()?;
    // a million cases' terms let go on both cores while the tables are written
    drop(terms);
    let ((), written) = rayon::join(
        move || {
            use rayon::prelude::*;
            cut.into_par_iter().for_each(drop)
        },
        || -> Result<()> {
            tx.replace(table::CLUSTERS, &[clusters_batch(&clusters, as_of)?])?;
            tx.replace(table::CLUSTER_MEMBERS, &[members_batch(&clusters, &facts, &dup)?])
        },
    );
    written?;
    finish(wh, tx, report, &state, t0).map(|r| (r, clusters))
}

impl ClusterReport {
    fn of(clusters: &[Cluster], facts: &[CaseFacts], dup: &[Option<usize>], as_of: NaiveDate) -> ClusterReport {
        ClusterReport {
            as_of: Some(as_of),
            cases: facts.len(),
            dup_cases: dup.iter().filter(|d| d.is_some()).count(),
            dup_groups: dup.iter().flatten().collect::<HashSet<_>>().len(),
            clusters: clusters.len(),
            clustered: clusters.iter().map(|c| c.members.len()).sum(),
            top: clusters.iter().take(5).map(|c| (c.title.clone(), c.members.len(), c.heat)).collect(),
            ..Default::default()
        }
    }
}

/// Commit the written tables with the grouping kept for the next run.
fn finish(
    wh: &Warehouse,
    tx: crate::warehouse::Transaction<'_>,
    mut report: ClusterReport,
    state: &kept::Grouping,
    t0: Instant,
) -> Result<ClusterReport> {
    let seq = tx.seq();
    kept::save(wh, seq, state)?;
    report.seconds = t0.elapsed().as_secs_f64();
    tx.commit(
        "cluster",
        serde_json::json!({"as_of": report.as_of.map(|d| d.to_string()), "clusters": report.clusters,
            "clustered": report.clustered, "near_duplicates": report.dup_cases, "grouping": report.grouping}),
    )?;
    kept::prune(wh, seq, state);
    Ok(report)
}

/// Each case's title and whole-text terms for the topical grouping.
fn topical_texts<'a>(facts: &[CaseFacts], texts: &'a Texts, pieces: Pieces) -> Vec<topical::CaseText<'a>> {
    use rayon::prelude::*;
    let seg = crate::text::Segmenter::builtin();
    let progress = crate::progress::Progress::bar("cluster", facts.len() as u64, "cases read");
    (0..facts.len())
        .into_par_iter()
        .inspect(|_| progress.inc(1))
        .map(|i| {
            let (title, body) = pieces.terms(texts, i, seg);
            topical::CaseText {
                title,
                body,
                entity: facts[i].entity.as_deref().map(|e| entity_name(e).to_string()),
                topic: facts[i].focus_topic.to_string(),
                matter: facts[i].focus_sub.to_string(),
                received: facts[i].received,
            }
        })
        .collect()
}

/// The terms of every case as the grouping counted them, for titles from key terms.
struct Words<'a> {
    cases: &'a [topical::CaseText<'a>],
    terms: &'a topical::Terms<'a>,
}

#[allow(clippy::too_many_arguments)]
fn describe(
    kind: ClusterKind,
    m: Vec<usize>,
    facts: &[CaseFacts],
    texts: &Texts,
    words: &Words,
    dup: &[Option<usize>],
    score: &(dyn Fn(usize) -> Option<i32> + Sync),
    red: &(dyn Fn(usize) -> bool + Sync),
    as_of: NaiveDate,
) -> Cluster {
    let fs = || m.iter().map(|&i| &facts[i]);
    let topic = most_common(fs().map(|f| &*f.focus_topic)).unwrap_or("其他").to_string();
    let sub = most_common(fs().map(|f| &*f.focus_sub)).unwrap_or("").to_string();
    // the key entity when at least a third of the members (and two) name it
    let entity = most_common(fs().filter_map(|f| f.entity.as_deref()))
        .filter(|e| {
            let n = fs().filter(|f| f.entity.as_deref() == Some(e)).count();
            kind != ClusterKind::Duplicate && n >= 2 && 3 * n >= m.len()
        })
        .map(String::from);
    let town = most_common(fs().filter_map(|f| f.town.as_deref()));
    let locality = town.map(String::from).or_else(|| {
        let code = most_common(
            m.iter().flat_map(|&i| words.cases[i].title.iter().copied()).filter(|t| topical::is_locality(t)),
        )?;
        // an export's letter code is cut from its suffix ("A5" "区"): take the whole name back
        let whole = m.iter().find_map(|&i| {
            let t = &texts.title[i];
            let at = t.find(code)? + code.len();
            t[at..].chars().next().filter(|c| "市区县镇乡".contains(*c)).map(|c| format!("{code}{c}"))
        });
        Some(whole.unwrap_or_else(|| code.to_string()))
    });
    let seg = crate::text::Segmenter::builtin();
    let mut keys = topical::key_terms(words.terms, &m, facts.len());
    keys.retain(|k| seg.is_content_word(k));
    let phrase = topical::title_phrase(words.cases, &m, &keys);
    let lead = most_common(fs().filter_map(|f| f.lead_dept.as_deref())).unwrap_or("属地").to_string();
    let first = &facts[m[0]];
    let id = format!(
        "C{}",
        &blake3::hash(
            format!("{kind}|{}|{topic}|{}|{}", entity.as_deref().unwrap_or(""), first.source, first.case_id).as_bytes()
        )
        .to_hex()[..8]
    );
    let title =
        title(entity.as_deref(), locality.as_deref(), &topic, &sub, phrase.as_deref(), &keys, &texts.title[m[0]]);
    let mut c = Cluster::named(id, kind, title, topic, sub, entity, lead, m);
    figure(&mut c, facts, &texts.reply, dup, score, red, as_of);
    c
}

impl Cluster {
    /// A cluster with its name and members, its figures still to be counted (`figure`).
    #[allow(clippy::too_many_arguments)]
    fn named(
        id: String,
        kind: ClusterKind,
        title: String,
        topic: String,
        sub: String,
        entity: Option<String>,
        lead_dept: String,
        members: Vec<usize>,
    ) -> Cluster {
        Cluster {
            id,
            kind,
            title,
            topic,
            sub,
            entity,
            members,
            people: 0,
            petitioners: 0,
            by_source: [0; 4],
            first_source: String::new(),
            first: NaiveDateTime::default(),
            last: NaiveDateTime::default(),
            weekly: vec![],
            regions: String::new(),
            depts: String::new(),
            risk_max: None,
            red: 0,
            engagement: 0,
            heat: 0.0,
            heat_rank: 0,
            lead_dept,
            representative: String::new(),
            typical: String::new(),
            co_regions: String::new(),
        }
    }
}

/// Count a cluster's figures from its members (sorted, in time order) as of `as_of`:
/// people, sources, first and last case, weekly trend, regions, risk, the representative
/// cases and the typical-case library. Everything but its name, so that a cluster kept
/// from an earlier grouping (`kept`) is counted anew each day.
fn figure(
    c: &mut Cluster,
    facts: &[CaseFacts],
    reply: &[Option<String>],
    dup: &[Option<usize>],
    score: &(dyn Fn(usize) -> Option<i32> + Sync),
    red: &(dyn Fn(usize) -> bool + Sync),
    as_of: NaiveDate,
) {
    let members = std::mem::take(&mut c.members);
    let m = &members;
    let fs = || m.iter().map(|&i| &facts[i]);
    let mut by_source = [0usize; 4];
    for f in fs() {
        if let Some(k) = Source::ALL.iter().position(|s| s.as_str() == &*f.source) {
            by_source[k] += 1;
        }
    }
    let first = &facts[m[0]];
    let last = &facts[m[m.len() - 1]];
    let mut weekly = vec![0u32; TREND_WEEKS];
    for f in fs() {
        let back = (as_of - f.received.date()).num_days() / 7;
        if (0..TREND_WEEKS as i64).contains(&back) {
            weekly[TREND_WEEKS - 1 - back as usize] += 1;
        }
    }
    let scores: Vec<Option<i32>> = m.iter().map(|&i| score(i)).collect();
    let top_risk =
        m.iter().zip(&scores).filter_map(|(&i, s)| s.map(|s| (s, i))).max_by_key(|(s, i)| (*s, std::cmp::Reverse(*i)));
    // the wording sent most often: the member of the largest near-duplicate group
    let mut dup_n: HashMap<usize, usize> = HashMap::default();
    for &i in m {
        if let Some(d) = dup[i] {
            *dup_n.entry(d).or_default() += 1;
        }
    }
    let typical_text = dup_n
        .iter()
        .max_by_key(|(d, n)| (**n, std::cmp::Reverse(**d)))
        .map(|(&d, _)| m.iter().copied().find(|&i| dup[i] == Some(d)).expect("a member of the group"));
    let mut rep = vec![format!("首发 {}（{}）", first.case_id, first.source)];
    if let Some((s, i)) = top_risk {
        rep.push(format!("风险最高 {}（{}分）", facts[i].case_id, s));
    }
    if let Some(i) = typical_text {
        rep.push(format!("典型表述 {}（{}件同文）", facts[i].case_id, dup_n[&dup[i].expect("grouped")]));
    }
    // typical-case library: resolved and answered, the hardest (highest risk) first
    let mut resolved: Vec<(i32, usize)> = m
        .iter()
        .zip(&scores)
        .filter(|(i, _)| {
            let f = &facts[**i];
            f.closed.is_some_and(|c| c.date() <= as_of)
                && matches!(f.satisfaction.as_deref(), Some("满意" | "基本满意"))
                && reply[**i].is_some()
        })
        .map(|(&i, s)| (s.unwrap_or(0), i))
        .collect();
    resolved.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let typical: Vec<String> = resolved
        .iter()
        .take(2)
        .map(|&(_, i)| {
            let r: String = reply[i].as_deref().unwrap_or("").chars().take(80).collect();
            format!("{}（{}）：{r}", facts[i].case_id, facts[i].satisfaction.as_deref().unwrap_or(""))
        })
        .collect();
    c.people = fs().map(|f| f.people()).sum();
    c.petitioners = fs().filter_map(|f| f.person.as_deref()).collect::<HashSet<_>>().len();
    c.by_source = by_source;
    c.first_source = first.source.to_string();
    (c.first, c.last) = (first.received, last.received);
    c.weekly = weekly;
    c.regions = tally(fs().map(|f| f.town.as_deref().unwrap_or("未知")));
    c.depts = tally(fs().filter_map(|f| f.dept.as_deref()));
    c.risk_max = top_risk.map(|(s, _)| s);
    c.red = m.iter().filter(|&&i| red(i)).count();
    c.engagement = fs().map(|f| f.engagement).sum();
    c.representative = rep.join("；");
    c.typical = typical.join("；");
    c.co_regions = tally(fs().flat_map(|f| f.elsewhere.iter().map(|p| &**p)));
    c.members = members;
}

fn i64s(v: impl Iterator<Item = i64>) -> ArrayRef {
    Arc::new(Int64Array::from_iter_values(v))
}

fn strs<'a>(v: impl Iterator<Item = &'a str>) -> ArrayRef {
    Arc::new(v.map(Some).collect::<StringArray>())
}

fn clusters_batch(c: &[Cluster], as_of: NaiveDate) -> Result<RecordBatch> {
    let cols: Vec<ArrayRef> = vec![
        strs(c.iter().map(|c| c.id.as_str())),
        strs(c.iter().map(|c| c.kind.as_str())),
        strs(c.iter().map(|c| c.title.as_str())),
        strs(c.iter().map(|c| c.topic.as_str())),
        strs(c.iter().map(|c| c.sub.as_str())),
        Arc::new(c.iter().map(|c| c.entity.as_deref()).collect::<StringArray>()),
        i64s(c.iter().map(|c| c.members.len() as i64)),
        i64s(c.iter().map(|c| c.people)),
        i64s(c.iter().map(|c| c.petitioners as i64)),
        i64s(c.iter().map(|c| c.by_source[0] as i64)),
        i64s(c.iter().map(|c| c.by_source[1] as i64)),
        i64s(c.iter().map(|c| c.by_source[2] as i64)),
        i64s(c.iter().map(|c| c.by_source[3] as i64)),
        strs(c.iter().map(|c| c.first_source.as_str())),
        Arc::new(TimestampMicrosecondArray::from_iter_values(c.iter().map(|c| time_to_micros(c.first)))),
        Arc::new(TimestampMicrosecondArray::from_iter_values(c.iter().map(|c| time_to_micros(c.last)))),
        Arc::new(
            c.iter()
                .map(|c| Some(c.weekly.iter().map(u32::to_string).collect::<Vec<_>>().join(",")))
                .collect::<StringArray>(),
        ),
        strs(c.iter().map(|c| c.regions.as_str())),
        strs(c.iter().map(|c| c.depts.as_str())),
        Arc::new(c.iter().map(|c| c.risk_max).collect::<Int32Array>()),
        i64s(c.iter().map(|c| c.red as i64)),
        i64s(c.iter().map(|c| c.engagement)),
        Arc::new(Float64Array::from_iter_values(c.iter().map(|c| c.heat))),
        Arc::new(Int32Array::from_iter_values(c.iter().map(|c| c.heat_rank as i32))),
        strs(c.iter().map(|c| c.lead_dept.as_str())),
        strs(c.iter().map(|c| c.representative.as_str())),
        strs(c.iter().map(|c| c.typical.as_str())),
        Arc::new(Date32Array::from(vec![date32(as_of); c.len()])),
        Arc::new(
            c.iter().map(|c| (!c.co_regions.is_empty()).then_some(c.co_regions.as_str())).collect::<StringArray>(),
        ),
    ];
    Ok(RecordBatch::try_new(clusters_schema(), cols)?)
}

fn members_batch(c: &[Cluster], facts: &[CaseFacts], dup: &[Option<usize>]) -> Result<RecordBatch> {
    let rows: Vec<(&str, usize)> = c.iter().flat_map(|c| c.members.iter().map(move |&i| (c.id.as_str(), i))).collect();
    let cols = crate::facts::columns_in_parallel(&[
        &|| strs(rows.iter().map(|r| r.0)),
        &|| strs(rows.iter().map(|r| facts[r.1].case_id.as_str())),
        &|| strs(rows.iter().map(|r| &*facts[r.1].source)),
        &|| Arc::new(rows.iter().map(|r| dup[r.1].map(|d| facts[d].case_id.as_str())).collect::<StringArray>()),
    ]);
    Ok(RecordBatch::try_new(cluster_members_schema(), cols)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_read_like_an_analyst_wrote_them() {
        let none: &[String] = &[];
        assert_eq!(title(Some("翠湖花园小区"), None, "房地产", "逾期交房", None, none, ""), "翠湖花园小区逾期交房问题");
        assert_eq!(
            title(Some("宏建建筑工程有限公司"), None, "欠薪", "农民工工资", None, none, ""),
            "宏建建筑工程有限公司拖欠农民工工资问题"
        );
        assert_eq!(title(None, Some("城关镇"), "退役军人", "待遇落实", None, none, ""), "城关镇待遇落实问题");
        assert_eq!(title(Some("estate:江南丽都"), None, "房地产", "物业", None, none, ""), "江南丽都物业服务问题");
        assert_eq!(title(Some("出租车公司"), None, "其他", "其他", None, none, "的哥投诉"), "出租车公司相关问题");
        assert_eq!(title(None, None, "其他", "", None, none, "请修好公园门球场"), "“请修好公园门球场”同类诉求");
        // without an entity: the group's own key terms after its locality
        let keys: Vec<String> = ["凉塘路", "旧城改造", "凉塘路旧城"].map(String::from).to_vec();
        assert_eq!(title(None, Some("A7县"), "房地产", "拆迁", None, &keys, ""), "A7县凉塘路旧城改造问题");
        // the phrase the titles use, after the entity
        assert_eq!(title(Some("凉塘路"), Some("A7县"), "其他", "", Some("旧城改造"), &keys, ""), "凉塘路旧城改造问题");
        assert_eq!(title(None, Some("A7县"), "其他", "", Some("县东六路"), &keys, ""), "A7县东六路问题");
    }

    fn case(day: u32, person: &str, source: &str, entity: Option<&str>) -> CaseFacts {
        CaseFacts {
            case_id: format!("{source}-{day}-{person}"),
            source: source.into(),
            received: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap().and_hms_opt(9, 0, 0).unwrap()
                + Duration::days(day as i64),
            person: Some(person.into()),
            entity: entity.map(Into::into),
            focus_topic: "房地产".into(),
            ..Default::default()
        }
    }

    #[test]
    fn the_text_is_read_as_enrich_cut_it_stored_sketch_or_not() {
        use crate::enrich::{EnrichConfig, Enricher};
        use crate::ingest::record::CaseRow;
        let tmp = tempfile::tempdir().unwrap();
        let wh = Warehouse::open(tmp.path()).unwrap();
        let texts = [
            (Some("翠湖花园逾期交房"), "开发商逾期交房两年，业主多次反映，请督促尽快交房。"),
            (Some("宏建公司拖欠工资"), "宏建公司拖欠我们三十多名农民工工资共计四十万元。"),
            (None, "工地夜间施工 噪音扰民，居民无法休息"),
            (None, "好"),
            (Some("翠湖花园逾期交房"), "开发商逾期交房两年，业主多次反映，请督促尽快交房。"),
            (Some("宏建公司拖欠工资"), "宏建公司拖欠我们三十多名农民工工资共计四十万元。"),
        ];
        let mut rows: Vec<CaseRow> = texts
            .iter()
            .enumerate()
            .map(|(i, (t, c))| CaseRow {
                case_id: format!("P{i}"),
                source: "petition".into(),
                received_at: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap().and_hms_opt(9, 0, 0).unwrap(),
                title: t.map(String::from),
                content: c.to_string(),
                ..Default::default()
            })
            .collect();
        // enriched with a gazetteer that keeps 翠湖花园 whole (the built-in dictionary cuts it)
        let gaz = tmp.path().join("gazetteer.csv");
        std::fs::write(&gaz, "kind,name,town,county\nestate,翠湖花园,城关镇,青溪县\n").unwrap();
        let e = Enricher::load(&EnrichConfig { gazetteer: Some(gaz), ..Default::default() }).unwrap();
        // the first case sent again (4) not enriched yet; the second as an older minqing
        // wrote it (no sketch), its copy (5) with one
        let picked: Vec<CaseRow> = rows.iter().enumerate().filter(|(i, _)| *i != 4).map(|(_, r)| r.clone()).collect();
        let enriched = e.enrich_batch(&crate::ingest::batch::cases_batch(&picked).unwrap()).unwrap();
        let col = enriched.schema().index_of(crate::schema::enriched::SKETCH).unwrap();
        let mut cols = enriched.columns().to_vec();
        let stored = cols[col].as_binary::<i32>().clone();
        cols[col] = Arc::new(
            (0..stored.len()).map(|r| (r != 1).then(|| stored.value(r))).collect::<arrow::array::BinaryArray>(),
        );
        // and the first case's title changed since it was enriched
        rows[0].title = Some("翠湖花园办证难".into());
        let mut tx = wh.begin().unwrap();
        tx.replace(table::CASES, &[crate::ingest::batch::cases_batch(&rows).unwrap()]).unwrap();
        tx.replace(table::ENRICHED, &[RecordBatch::try_new(enriched.schema(), cols).unwrap()]).unwrap();
        tx.commit("test", serde_json::Value::Null).unwrap();

        let facts: Vec<CaseFacts> = rows
            .iter()
            .map(|r| CaseFacts { case_id: r.case_id.clone(), source: r.source.as_str().into(), ..Default::default() })
            .collect();
        let (got, pieces, dup) = load_texts(&wh, &facts, minhash::THRESHOLD).unwrap();
        let mut wholes = vec![];
        for (i, (t, c)) in texts.iter().enumerate() {
            let whole = format!("{} {c}", t.unwrap_or(""));
            assert_eq!(pieces.text(&got, i).unwrap(), whole, "case {i}");
            assert_eq!(pieces.at[i].is_some(), i != 4, "case {i}");
            // the stored pieces, or the built-in dictionary's for the case not enriched
            let seg = if i == 4 { crate::text::Segmenter::builtin() } else { e.segmenter() };
            let title = rows[i].title.as_deref().unwrap_or("");
            assert_eq!(pieces.terms(&got, i, seg), (seg.terms(title), seg.terms(&whole)), "case {i}");
            wholes.push(whole);
        }
        // cluster passes the built-in segmenter: the name comes whole from the stored pieces
        let builtin = crate::text::Segmenter::builtin();
        assert!(!builtin.terms(&wholes[0]).contains(&"翠湖花园"));
        assert!(pieces.terms(&got, 0, builtin).1.contains(&"翠湖花园"));
        // the near-duplicates of the texts themselves, whichever way each was sketched
        let refs: Vec<&str> = wholes.iter().map(String::as_str).collect();
        assert_eq!(dup, minhash::groups(&refs, minhash::THRESHOLD));
        assert_eq!((dup[0], dup[4], dup[1], dup[5]), (Some(0), Some(0), Some(1), Some(1)));

        // every sketch stored (the noise case's given the first case's): they are what is read
        let mut cols = enriched.columns().to_vec();
        cols[col] = Arc::new(
            (0..stored.len())
                .map(|r| Some(stored.value(if r == 2 { 0 } else { r })))
                .collect::<arrow::array::BinaryArray>(),
        );
        let mut tx = wh.begin().unwrap();
        tx.replace(table::ENRICHED, &[RecordBatch::try_new(enriched.schema(), cols).unwrap()]).unwrap();
        tx.commit("test", serde_json::Value::Null).unwrap();
        let enriched_facts: Vec<CaseFacts> =
            facts.iter().enumerate().filter(|(i, _)| *i != 4).map(|(_, f)| f.clone()).collect();
        let (_, _, dup) = load_texts(&wh, &enriched_facts, minhash::THRESHOLD).unwrap();
        assert_eq!(dup, [Some(0), Some(1), Some(0), None, Some(1)]);
        assert_eq!(got.title[0], "翠湖花园办证难");
    }

    #[test]
    fn issues_need_several_voices_and_split_when_quiet() {
        let e = Some("翠湖花园");
        let mut facts = vec![
            case(0, "甲", "petition", e),
            case(3, "乙", "petition", e),
            case(5, "甲", "opinion", e),
            // quiet for over 60 days (and 4× the group's pace), then one lone complaint: not a cluster
            case(100, "丙", "hotline", e),
            // one person writing three times about another estate: not a cluster
            case(1, "丁", "petition", Some("江南丽都")),
            case(2, "丁", "petition", Some("江南丽都")),
            case(4, "丁", "petition", Some("江南丽都")),
            // the same two people again and again
            case(1, "乙", "hotline", e),
            case(2, "甲", "message", e),
            case(4, "乙", "petition", e),
        ];
        // in time order, as `facts` are
        let topical = vec![vec![0, 7, 8, 1, 9, 2, 3], vec![4, 5, 6]];
        let cfg = ClusterConfig { gap_days: 60, ..Default::default() };
        let g = group(&facts, &topical, &vec![None; facts.len()], &cfg);
        assert_eq!(g.len(), 1, "{g:?}");
        assert_eq!(
            g[0],
            (ClusterKind::Routine, vec![0, 7, 8, 1, 9, 2]),
            "individual complaints about one estate: 常发"
        );
        facts[1].headcount = Some(30);
        let g = group(&facts, &topical, &vec![None; facts.len()], &cfg);
        assert_eq!(g, vec![(ClusterKind::Issue, vec![0, 1, 2, 7, 8, 9])], "a collective visit makes it an issue");
        // a slow matter (a post a month) is not split by a quiet of 100 days
        let slow: Vec<CaseFacts> = [0, 30, 60, 160, 190, 220]
            .iter()
            .enumerate()
            .map(|(k, &d)| case(d, ["甲", "乙", "丙", "丁", "戊", "己"][k], "message", None))
            .collect();
        let g = group(&slow, &[vec![0, 1, 2, 3, 4, 5]], &vec![None; 6], &cfg);
        assert_eq!(g, vec![(ClusterKind::Routine, vec![0, 1, 2, 3, 4, 5])]);
        // the same posts from three people within a month: a burst, so a hot issue
        let burst: Vec<CaseFacts> = [0, 10, 20, 25, 190, 220]
            .iter()
            .enumerate()
            .map(|(k, &d)| case(d, ["甲", "乙", "丙", "丁", "戊", "己"][k], "message", None))
            .collect();
        let g = group(&burst, &[vec![0, 1, 2, 3, 4, 5]], &vec![None; 6], &cfg);
        assert_eq!(g, vec![(ClusterKind::Issue, vec![0, 1, 2, 3, 4, 5])]);
        // two people within the month are not enough
        let two: Vec<CaseFacts> = [0, 10, 20, 25, 190, 220]
            .iter()
            .enumerate()
            .map(|(k, &d)| case(d, ["甲", "乙", "甲", "乙", "戊", "己"][k], "message", None))
            .collect();
        assert_eq!(group(&two, &[vec![0, 1, 2, 3, 4, 5]], &vec![None; 6], &cfg)[0].0, ClusterKind::Routine);
    }
}
