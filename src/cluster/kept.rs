//! Clusters kept from one run to the next.
//!
//! A bureau runs minqing every day, and the 类案 it handed to a department on Monday should
//! be the same cluster, with the same id, on Tuesday, with Tuesday's cases in it. Grouping
//! a million cases anew every day would also cost most of a daily run. So a full grouping
//! keeps what it learned beside the `clusters` table (`clusters/_grouping-NNNNNN.json`, NNNNNN
//! its commit): the document frequencies it weighed the terms by, and each cluster's mean
//! vector. The next runs keep its clusters and add the cases stored since:
//!
//! 1. a case new or changed since the grouping (`case_versions`), or received after its
//!    day, that no cluster holds joins the kept cluster of the member its text repeats
//!    (MinHash; a duplicate cluster only from the same town), or else of its established
//!    key entity, topic and matter (as the grouping seeds an established name's cases), or
//!    else the kept cluster its vector is most like: the mean similarity to the cluster's
//!    members (the dot product with their mean vector, under the grouping's frequencies)
//!    at least `topical::LINK`, as average linkage would merge it, sharing a rare key term
//!    with them and with compatible key entities — each within the cluster's quiet gap of
//!    its first or last case;
//! 2. the cases left, with the cases of the last `window_days` no cluster holds, are
//!    grouped as the full grouping groups (under its frequencies); a group holding a new
//!    case becomes a new cluster, so an issue that starts today is found today;
//! 3. every cluster is counted anew (cases, people, trend, risk, heat, typical cases); its
//!    id, title, topic and entity stay, and a routine matter whose new cases bring
//!    collective action, threats or a burst becomes an issue.
//!
//! Every case is grouped anew when the last grouping is [`REGROUP_DAYS`] old, when more
//! than [`REGROUP_SHARE`] of its cases are new or changed since, when the settings,
//! minqing or the last full enrich changed, for an as-of day before the last run that kept
//! it, or on `--regroup`; the report says why.

use arrow::array::{Array, AsArray};
use chrono::{Duration, NaiveDate};
use rayon::prelude::*;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use serde::{Deserialize, Serialize};

use super::topical::{self, Known, Terms, Vectors};
use super::{Cluster, ClusterConfig, Words, describe, figure, group, load_texts_of, minhash, quiet, topical_texts};
use crate::facts::CaseFacts;
use crate::model::{ClusterKind, entity_name};
use crate::schema::{cases, cluster_members, clusters, table};
use crate::warehouse::{Warehouse, read_table_columns};
use crate::{Error, Result};

/// Days after which every case is grouped anew (the weekly run regroups).
pub const REGROUP_DAYS: i64 = 7;
/// Share of the grouped cases that may be new or changed before every case is grouped anew.
pub const REGROUP_SHARE: f64 = 0.05;
/// Terms kept of a cluster's mean vector (the heaviest).
const PROFILE_TERMS: usize = 64;

/// What a cluster's members are about: their mean vector's heaviest terms.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Profile {
    pub id: String,
    pub size: u32,
    pub mean: Vec<(String, f32)>,
}

impl Profile {
    /// The profile of members `m` (indices into `vecs`); its id is set once described.
    pub fn of(m: &[usize], vecs: &Vectors, terms: &Terms) -> Profile {
        let mut sum: HashMap<u32, f32> = HashMap::default();
        for &i in m {
            for &(t, w) in &vecs[i] {
                *sum.entry(t).or_default() += w;
            }
        }
        let n = m.len().max(1) as f32;
        Profile::top(String::new(), m.len() as u32, sum.into_iter().map(|(t, w)| (terms.name(t).to_string(), w / n)))
    }

    fn top(id: String, size: u32, weights: impl Iterator<Item = (String, f32)>) -> Profile {
        let mut mean: Vec<(String, f32)> = weights.collect();
        mean.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        mean.truncate(PROFILE_TERMS);
        Profile { id, size, mean }
    }

    /// The profile with `added` vectors (their terms named) counted in.
    fn with(self, added: &[Vec<(&str, f32)>]) -> Profile {
        if added.is_empty() {
            return self;
        }
        let (old, new) = (self.size as f32, (self.size as usize + added.len()) as f32);
        let mut sum: HashMap<String, f32> = self.mean.into_iter().map(|(t, w)| (t, w * old)).collect();
        for v in added {
            for &(t, w) in v {
                *sum.entry(t.to_string()).or_default() += w;
            }
        }
        Profile::top(self.id, new as u32, sum.into_iter().map(|(t, w)| (t, w / new)))
    }
}

/// The last full grouping, as the runs after it need it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Grouping {
    /// minqing's version and the cluster settings: with others, every case is grouped anew.
    pub settings: String,
    pub as_of: NaiveDate,
    /// The day of the last run that kept it: an earlier day is grouped anew (its clusters
    /// hold cases of later days).
    #[serde(default)]
    pub last_as_of: Option<NaiveDate>,
    /// The last commit of `cases` the grouping read: cases stored after it are new or changed.
    pub cases_commit: u64,
    /// The commit whose clusters (and grouping) the runs of `last_as_of` started from: a run
    /// again on that day starts from them too, so it places that day's cases as the first
    /// run did, not into the clusters the first run made of them.
    #[serde(default)]
    pub day_from: Option<u64>,
    /// Cases grouped.
    pub cases: u64,
    /// The document frequencies the terms were weighed by (terms in two cases or more),
    /// among `n` cases.
    pub n: u64,
    pub df: Vec<(String, u32)>,
    pub profiles: Vec<Profile>,
}

/// minqing's version, the cluster settings and the last full enrich (a re-enrich of every
/// case may read topics and entities anew).
fn settings(wh: &Warehouse, cfg: &ClusterConfig) -> Result<String> {
    Ok(format!(
        "{} gap {} window {} min {} dup {} enrich {}",
        env!("CARGO_PKG_VERSION"),
        cfg.gap_days,
        cfg.window_days,
        cfg.min_cases,
        cfg.dup_threshold,
        crate::enrich::increment::fingerprint(wh)?
    ))
}

impl Grouping {
    /// A full grouping of `cases` cases starting now.
    pub fn begin(wh: &Warehouse, cfg: &ClusterConfig, as_of: NaiveDate, cases: usize) -> Result<Grouping> {
        Ok(Grouping {
            settings: settings(wh, cfg)?,
            as_of,
            last_as_of: Some(as_of),
            cases_commit: wh.last_commit_of(table::CASES)?.unwrap_or(0),
            day_from: None,
            cases: cases as u64,
            n: 0,
            df: vec![],
            profiles: vec![],
        })
    }

    /// With the frequencies and the profiles of the described clusters.
    pub fn with<'c>(
        mut self,
        terms: &Terms,
        df: &[u32],
        n: usize,
        clusters: impl Iterator<Item = (&'c Cluster, Profile)>,
    ) -> Grouping {
        self.n = n as u64;
        self.df = df
            .iter()
            .enumerate()
            .filter(|(_, d)| **d >= 2)
            .map(|(id, d)| (terms.name(id as u32).to_string(), *d))
            .collect();
        self.df.sort_unstable();
        self.profiles = clusters.map(|(c, p)| Profile { id: c.id.clone(), ..p }).collect();
        self
    }
}

/// Keep `state` for the cluster run committing as `seq` (written before that commit).
pub fn save(wh: &Warehouse, seq: u64, state: &Grouping) -> Result<()> {
    wh.save_state(table::CLUSTERS, "grouping", seq, &serde_json::to_vec(state).expect("a grouping serializes"))
}

/// Delete the groupings kept for cluster commits before `seq`, but the one its day's runs
/// start from.
pub fn prune(wh: &Warehouse, seq: u64, state: &Grouping) {
    let keep: Vec<u64> = std::iter::once(seq).chain(state.day_from).collect();
    wh.prune_states_but(table::CLUSTERS, "grouping", &keep);
}

/// The grouping kept with commit `seq`, or why it cannot be used.
fn load(wh: &Warehouse, seq: u64) -> std::result::Result<Grouping, String> {
    let path = wh.state_path(table::CLUSTERS, "grouping", seq);
    let bytes = std::fs::read(&path).map_err(|_| "no earlier grouping kept".to_string())?;
    serde_json::from_slice(&bytes).map_err(|e| format!("{} is damaged ({e})", path.display()))
}

/// Group every case anew (and why), or keep the last grouping with the cases changed since.
pub enum Plan {
    Full(String),
    /// The grouping to keep, the cases changed since it, and the commit whose clusters it
    /// starts from (an earlier one when this day has been run before).
    Keep(Box<Grouping>, HashSet<String>, u64),
}

/// Whether the last grouping can be kept as of `as_of` for `facts`.
pub fn plan(wh: &Warehouse, cfg: &ClusterConfig, as_of: NaiveDate, facts: &[CaseFacts]) -> Result<Plan> {
    let full = |why: String| Ok(Plan::Full(why));
    if cfg.regroup {
        return full("asked for (--regroup)".into());
    }
    let Some(seq) = wh.last_commit_of(table::CLUSTERS)? else { return full("no earlier grouping".into()) };
    let mut state = match load(wh, seq) {
        Ok(s) => s,
        Err(why) => return full(why),
    };
    // this day run again: from the clusters its first run started from
    let mut from = seq;
    if let Some(day_from) = state.day_from.filter(|&f| f != seq && state.last_as_of == Some(as_of)) {
        let earlier = load(wh, day_from).ok().filter(|_| on_disk(wh, day_from));
        let Some(earlier) = earlier else {
            return full(format!("the clusters {as_of}'s earlier run started from are no longer kept"));
        };
        (state, from) = (earlier, day_from);
    }
    if state.settings != settings(wh, cfg)? {
        return full("the settings, minqing or the last full enrich changed since the last grouping".into());
    }
    let last = state.last_as_of.unwrap_or(state.as_of).max(state.as_of);
    if as_of < last {
        return full(format!("as of {as_of}, before the last run that kept the grouping ({last})"));
    }
    let days = (as_of - state.as_of).num_days();
    if days >= REGROUP_DAYS {
        return full(format!("the last grouping ({}) is {days} days old", state.as_of));
    }
    let changed = crate::enrich::increment::changed_keys(wh, state.cases_commit)?;
    // stored since the grouping, or received after the day it was about
    let later = facts
        .iter()
        .filter(|f| {
            f.received.date() > state.as_of && !changed.contains(&crate::enrich::increment::key(&f.source, &f.case_id))
        })
        .count();
    let share = (changed.len() + later) as f64 / state.cases.max(1) as f64;
    if share > REGROUP_SHARE {
        return full(format!(
            "{} cases ({:.1}%) new or changed since the last grouping, more than {:.0}%",
            changed.len() + later,
            100.0 * share,
            100.0 * REGROUP_SHARE
        ));
    }
    Ok(Plan::Keep(Box::new(state), changed, from))
}

/// Whether the files of `clusters` and `cluster_members` as of commit `seq` are still on
/// disk (a vacuum removes older versions' files).
fn on_disk(wh: &Warehouse, seq: u64) -> bool {
    let Ok(then) = Warehouse::open_at(wh.root(), seq) else { return false };
    [table::CLUSTERS, table::CLUSTER_MEMBERS]
        .iter()
        .all(|t| then.parts(t).is_ok_and(|parts| parts.iter().all(|p| p.exists())))
}

/// The kept clusters (named, members as indices into `facts`) and each member's
/// near-duplicate group, from `clusters` and `cluster_members`.
fn read_kept(
    wh: &Warehouse,
    facts: &[CaseFacts],
    index: &HashMap<(&str, &str), usize>,
) -> Result<(Vec<Cluster>, Vec<Option<usize>>)> {
    let mut kept: Vec<Cluster> = vec![];
    let mut at: HashMap<String, usize> = HashMap::default();
    use clusters as c;
    let cols = [c::CLUSTER_ID, c::KIND, c::TITLE, c::FOCUS_TOPIC, c::FOCUS_SUB, c::ENTITY_KEY, c::LEAD_DEPT];
    for b in read_table_columns(wh, table::CLUSTERS, Some(&cols))? {
        let s = |n: &str| b.column_by_name(n).expect("projected").as_string::<i32>().clone();
        let (id, kind, title, topic, sub, entity, lead) =
            (s(cols[0]), s(cols[1]), s(cols[2]), s(cols[3]), s(cols[4]), s(cols[5]), s(cols[6]));
        for r in 0..b.num_rows() {
            let kind = ClusterKind::parse(kind.value(r))
                .ok_or_else(|| Error::Schema(format!("cluster kind `{}` is not one minqing writes", kind.value(r))))?;
            at.insert(id.value(r).to_string(), kept.len());
            kept.push(Cluster::named(
                id.value(r).to_string(),
                kind,
                title.value(r).to_string(),
                topic.value(r).to_string(),
                sub.value(r).to_string(),
                entity.is_valid(r).then(|| entity.value(r).to_string()),
                lead.value(r).to_string(),
                vec![],
            ));
        }
    }
    let mut roots: Vec<(usize, String)> = vec![];
    use cluster_members as m;
    for b in read_table_columns(wh, table::CLUSTER_MEMBERS, Some(&[m::CLUSTER_ID, m::CASE_ID, m::SOURCE, m::DUP_OF]))? {
        let s = |n: &str| b.column_by_name(n).expect("projected").as_string::<i32>();
        let (cid, case, source, dup) = (s(m::CLUSTER_ID), s(m::CASE_ID), s(m::SOURCE), s(m::DUP_OF));
        for r in 0..b.num_rows() {
            // a case erased or no longer known by the as-of day leaves its cluster
            let (Some(&i), Some(&k)) = (index.get(&(source.value(r), case.value(r))), at.get(cid.value(r))) else {
                continue;
            };
            kept[k].members.push(i);
            if dup.is_valid(r) {
                roots.push((i, dup.value(r).to_string()));
            }
        }
    }
    // a near-duplicate group is named by its first case's id
    let wanted: HashSet<&str> = roots.iter().map(|(_, r)| r.as_str()).collect();
    let mut by_id: HashMap<&str, usize> = HashMap::default();
    for (i, f) in facts.iter().enumerate() {
        if wanted.contains(f.case_id.as_str()) {
            by_id.entry(f.case_id.as_str()).or_insert(i);
        }
    }
    let mut dup = vec![None; facts.len()];
    for (i, r) in &roots {
        dup[*i] = by_id.get(r.as_str()).copied();
    }
    kept.retain(|c| !c.members.is_empty());
    for c in &mut kept {
        c.members.sort_unstable();
        c.members.dedup();
    }
    Ok((kept, dup))
}

/// The clusters with the day's cases added, each case's near-duplicate group, the grouping
/// kept for the next run and what was done.
pub type Added = (Vec<Cluster>, Vec<Option<usize>>, Grouping, String);

/// Keep the last grouping's clusters and add the cases since (see the module's notes):
/// the clusters (figures counted, heat not yet ranked), each case's near-duplicate group,
/// the grouping to keep for the next run, and what was done.
pub fn add(
    wh: &Warehouse,
    cfg: &ClusterConfig,
    as_of: NaiveDate,
    facts: &[CaseFacts],
    state: Grouping,
    changed: &HashSet<String>,
    from: u64,
    risk: &crate::facts::tables::RiskScores,
) -> Result<Added> {
    let t0 = std::time::Instant::now();
    let index: HashMap<(&str, &str), usize> =
        facts.iter().enumerate().map(|(i, f)| ((&*f.source, f.case_id.as_str()), i)).collect();
    // the clusters as the commit `from` left them (this day run again: as before its first run)
    let (mut kept, mut dup) = if wh.last_commit_of(table::CLUSTERS)? == Some(from) {
        read_kept(wh, facts, &index)?
    } else {
        read_kept(&Warehouse::open_at(wh.root(), from)?, facts, &index)?
    };
    const NONE: u32 = u32::MAX;
    let mut cluster_of = vec![NONE; facts.len()];
    for (k, c) in kept.iter().enumerate() {
        for &i in &c.members {
            cluster_of[i] = k as u32;
        }
    }
    // not grouped then: stored since, or received after the day the grouping was about
    let mut fresh: Vec<bool> = facts.iter().map(|f| f.received.date() > state.as_of).collect();
    for (source, case_id) in changed.iter().filter_map(|k| crate::enrich::increment::unkey(k)) {
        if let Some(&i) = index.get(&(source, case_id)) {
            fresh[i] = true;
        }
    }
    for (f, &k) in fresh.iter_mut().zip(&cluster_of) {
        *f &= k == NONE;
    }
    // the new cases and the recent ones no cluster holds, read and weighed as the grouping did
    let since = as_of.and_hms_opt(0, 0, 0).expect("midnight") - Duration::days(cfg.window_days);
    let sub: Vec<usize> =
        (0..facts.len()).filter(|&i| fresh[i] || (cluster_of[i] == NONE && facts[i].received >= since)).collect();
    tracing::info!("cluster: kept clusters read at {:.2}s", t0.elapsed().as_secs_f64());
    // (first case, last case, quiet gap): a case joins only within the gap of either end
    type Span = (chrono::NaiveDateTime, chrono::NaiveDateTime, Duration);
    let spans: Vec<Span> = kept
        .iter()
        .map(|c| {
            let (first, last) = (c.members[0], *c.members.last().expect("kept"));
            (facts[first].received, facts[last].received, quiet(facts, &c.members, cfg.gap_days))
        })
        .collect();
    let within = |k: usize, f: &CaseFacts| {
        let (first, last, gap) = spans[k];
        f.received - last <= gap && first - f.received <= gap
    };
    // a copy joins the cluster of a member it repeats: a duplicate cluster from its town,
    // another within its quiet gap
    let may_join = |j: usize, m: usize| {
        let (f, k) = (&facts[sub[j]], cluster_of[m] as usize);
        match kept[k].kind {
            ClusterKind::Duplicate => facts[m].town == f.town,
            _ => within(k, f),
        }
    };
    let copies = near_duplicates_of_members(wh, &index, &sub, &fresh, &cluster_of, &may_join, cfg.dup_threshold)?;
    let sub_facts: Vec<CaseFacts> = sub.iter().map(|&i| facts[i].clone()).collect();
    tracing::info!("cluster: copies of members found at {:.2}s", t0.elapsed().as_secs_f64());
    // only these cases' rows are decoded (a day's cases and the recent ones, of a million)
    let only = crate::warehouse::keyed(sub_facts.iter().map(|f| (&*f.source, f.case_id.as_str())));
    let (texts, pieces, sub_dup) = load_texts_of(wh, &sub_facts, cfg.dup_threshold, Some(&only))?;
    let cut = topical_texts(&sub_facts, &texts, pieces);
    let df: HashMap<&str, u32> = state.df.iter().map(|(t, n)| (t.as_str(), *n)).collect();
    let new_cases = fresh.iter().filter(|&&f| f).count();
    let known = Known { df: &df, n: state.n as usize + new_cases };
    let grouped = topical::groups(&cut, cfg.window_days, Some(&known));
    tracing::info!(
        "cluster: {} kept clusters, {} new cases, {} read at {:.2}s",
        kept.len(),
        new_cases,
        sub.len(),
        t0.elapsed().as_secs_f64()
    );

    // 1. new cases join the kept cluster they belong to
    let profiles: HashMap<&str, &Profile> = state.profiles.iter().map(|p| (p.id.as_str(), p)).collect();
    let mut postings: HashMap<&str, Vec<(u32, f32)>> = HashMap::default();
    for (k, c) in kept.iter().enumerate() {
        for (t, w) in profiles.get(c.id.as_str()).map_or(&[][..], |p| &p.mean[..]) {
            postings.entry(t.as_str()).or_default().push((k as u32, *w));
        }
    }
    let mut established: HashMap<&str, usize> = HashMap::default();
    for f in facts.iter().filter_map(|f| f.entity.as_deref()) {
        *established.entry(f).or_default() += 1;
    }
    let mut by_entity: HashMap<(&str, &str, &str), usize> = HashMap::default();
    for (k, c) in kept.iter().enumerate() {
        if let (Some(e), true) = (c.entity.as_deref(), c.kind != ClusterKind::Duplicate) {
            let e = by_entity.entry((e, c.topic.as_str(), c.sub.as_str())).or_insert(k);
            if kept[*e].members.last() < c.members.last() {
                *e = k;
            }
        }
    }
    let mut joined: Vec<Option<usize>> = vec![None; sub.len()];
    let mut as_copy = vec![false; sub.len()];
    let mut acc = vec![0f32; kept.len()];
    let mut pairs_with = vec![false; kept.len()];
    let mut touched: Vec<u32> = vec![];
    // joined as a copy, by its name, by its likeness
    let mut ways = [0usize; 3];
    for (j, &i) in sub.iter().enumerate() {
        if !fresh[i] {
            continue;
        }
        let f = &facts[i];
        // the same text sent again joins the cluster of the text it repeats (`may_join`)
        if let Some((m, k)) = copies[j].map(|m| (m, cluster_of[m] as usize)) {
            let root = *dup[m].get_or_insert(m);
            dup[i] = Some(root);
            (joined[j], as_copy[j]) = (Some(k), true);
            ways[0] += 1;
            continue;
        }
        // an established name's cases on one topic are one matter
        let by_name = f
            .entity
            .as_deref()
            .filter(|e| established.get(e).is_some_and(|&n| n >= 3))
            .and_then(|e| by_entity.get(&(e, &*f.focus_topic, &*f.focus_sub)).copied())
            .filter(|&k| within(k, f));
        // else the cluster whose members it is most like, among those it shares a rare key
        // term with (as two cases are compared only through one)
        let best = by_name.or_else(|| {
            for t in topical::pairing_terms(&grouped.vecs[j], &grouped.df, grouped.n) {
                for &(k, _) in postings.get(grouped.terms.name(t)).map_or(&[][..], |v| &v[..]) {
                    pairs_with[k as usize] = true;
                }
            }
            for &(t, w) in &grouped.vecs[j] {
                for &(k, cw) in postings.get(grouped.terms.name(t)).map_or(&[][..], |v| &v[..]) {
                    if acc[k as usize] == 0.0 {
                        touched.push(k);
                    }
                    acc[k as usize] += w * cw;
                }
            }
            let mut best: Option<(f32, usize)> = None;
            for k in touched.drain(..) {
                let (k, s) = (k as usize, std::mem::take(&mut acc[k as usize]));
                if !std::mem::take(&mut pairs_with[k]) {
                    continue;
                }
                let names_agree = match (f.entity.as_deref(), kept[k].entity.as_deref()) {
                    (Some(a), Some(b)) => topical::compatible(entity_name(a), entity_name(b)),
                    _ => true,
                };
                if s >= topical::LINK
                    && names_agree
                    && within(k, f)
                    && best.is_none_or(|(b, bk)| s > b || (s == b && k < bk))
                {
                    best = Some((s, k));
                }
            }
            best.map(|(_, k)| k)
        });
        if best.is_some() {
            ways[if by_name.is_some() { 1 } else { 2 }] += 1;
        }
        joined[j] = best;
    }
    let mut added: Vec<Vec<Vec<(&str, f32)>>> = vec![vec![]; kept.len()];
    let mut joins = 0;
    for (j, k) in joined.iter().enumerate() {
        if let Some(k) = *k {
            kept[k].members.push(sub[j]);
            added[k].push(grouped.vecs[j].iter().map(|&(t, w)| (grouped.terms.name(t), w)).collect());
            joins += 1;
        }
    }
    // the near-duplicate groups among the cases read: one root each, the kept one when a
    // member of the group joined as a copy
    let mut root_of: HashMap<usize, usize> = HashMap::default();
    for (j, d) in sub_dup.iter().enumerate() {
        if let (Some(d), true) = (d, as_copy[j]) {
            root_of.entry(*d).or_insert(dup[sub[j]].expect("a copy has its root"));
        }
    }
    for (j, d) in sub_dup.iter().enumerate() {
        if let (Some(d), false) = (d, as_copy[j]) {
            let root = *root_of.entry(*d).or_insert(sub[*d]);
            dup[sub[j]] = Some(root);
        }
    }
    for c in &mut kept {
        c.members.sort_unstable();
    }
    // a routine matter whose new cases bring collective action, threats or a burst is an
    // issue from today (as the grouping would now judge it); an issue stays one for the week
    for (k, c) in kept.iter_mut().enumerate() {
        if c.kind == ClusterKind::Routine && !added[k].is_empty() {
            let signals = c
                .members
                .iter()
                .filter(|&&i| facts[i].is_collective() || facts[i].has_threat() || facts[i].threat_flag)
                .count();
            if signals as f64 >= super::ISSUE_SIGNAL * c.members.len() as f64 || super::bursts(facts, &c.members) {
                c.kind = ClusterKind::Issue;
            }
        }
    }

    // 2. the rest grouped with the recent cases no cluster holds; a group with a new case is new
    let left: Vec<Vec<usize>> = grouped
        .groups
        .iter()
        .map(|g| g.iter().copied().filter(|&j| joined[j].is_none()).collect::<Vec<_>>())
        .filter(|g| g.len() > 1)
        .collect();
    let sub_dup_left: Vec<Option<usize>> =
        sub_dup.iter().enumerate().map(|(j, d)| d.filter(|_| joined[j].is_none())).collect();
    let fresh_in = |m: &[usize]| m.iter().any(|&j| fresh[sub[j]]);
    let risk = risk.of(wh, facts)?;
    let score = |i: usize| risk[i].as_ref().map(|s| s.0);
    let red = |i: usize| risk[i].as_ref().is_some_and(|s| s.1 == crate::model::Level::Red);
    let sub_score = |j: usize| score(sub[j]);
    let sub_red = |j: usize| red(sub[j]);
    let words = Words { cases: &cut, terms: &grouped.terms };
    let ids: HashSet<String> = kept.iter().map(|c| c.id.clone()).collect();
    let mut new_profiles = vec![];
    let mut fresh_clusters = 0;
    for (kind, m) in group(&sub_facts, &left, &sub_dup_left, cfg).into_iter().filter(|(_, m)| fresh_in(m)) {
        let p = Profile::of(&m, &grouped.vecs, &grouped.terms);
        let mut c = describe(kind, m, &sub_facts, &texts, &words, &sub_dup_left, &sub_score, &sub_red, as_of);
        if ids.contains(&c.id) {
            continue;
        }
        for j in &mut c.members {
            *j = sub[*j];
        }
        new_profiles.push(Profile { id: c.id.clone(), ..p });
        kept.push(c);
        fresh_clusters += 1;
    }
    tracing::info!("cluster: {joins} joined, {fresh_clusters} new clusters at {:.2}s", t0.elapsed().as_secs_f64());

    // 3. every cluster counted anew
    let mut wanted = vec![false; facts.len()];
    for c in &kept {
        for &i in &c.members {
            wanted[i] = true;
        }
    }
    let reply = replies(wh, &index, &wanted)?;
    tracing::info!("cluster: replies read at {:.2}s", t0.elapsed().as_secs_f64());
    kept.par_iter_mut().for_each(|c| figure(c, facts, &reply, &dup, &score, &red, as_of));

    // the grouping kept for the next run, with the joined cases in its profiles
    let mut next = Grouping { profiles: vec![], last_as_of: Some(as_of), day_from: Some(from), ..state.clone() };
    let mut old: HashMap<String, Profile> = state.profiles.into_iter().map(|p| (p.id.clone(), p)).collect();
    for (k, c) in kept.iter().enumerate().take(kept.len() - fresh_clusters) {
        if let Some(p) = old.remove(&c.id) {
            next.profiles.push(p.with(&added[k]));
        }
    }
    next.profiles.extend(new_profiles);
    let what = format!(
        "kept the grouping of {} ({} cases): of {new_cases} cases since that no cluster held, {joins} joined its clusters ({} as copies, {} by name, {} by likeness), {fresh_clusters} new clusters",
        state.as_of, state.cases, ways[0], ways[1], ways[2]
    );
    Ok((kept, dup, next, what))
}

/// For each case of `sub` that is `fresh`, the kept member (a case some cluster holds) its
/// text repeats and whose cluster it `may_join` (its place in `sub`, the member), if any:
/// the members' stored sketches streamed past the new cases'.
fn near_duplicates_of_members(
    wh: &Warehouse,
    index: &HashMap<(&str, &str), usize>,
    sub: &[usize],
    fresh: &[bool],
    cluster_of: &[u32],
    may_join: &dyn Fn(usize, usize) -> bool,
    threshold: f64,
) -> Result<Vec<Option<usize>>> {
    use crate::schema::enriched as e;
    let batches = read_table_columns(wh, table::ENRICHED, Some(&[e::CASE_ID, e::SOURCE, e::SKETCH]))?;
    let at: HashMap<usize, usize> = sub.iter().enumerate().filter(|(_, i)| fresh[**i]).map(|(j, &i)| (i, j)).collect();
    // each batch's rows as (case, sketch), on both cores
    let rows: Vec<Vec<(usize, [u32; minhash::K])>> = batches
        .par_iter()
        .map(|b| {
            let s = |n: &str| b.column_by_name(n).expect("projected").as_string::<i32>();
            let (id, source) = (s(e::CASE_ID), s(e::SOURCE));
            let sk = b.column_by_name(e::SKETCH).expect("projected").as_binary::<i32>();
            (0..b.num_rows())
                .filter(|&r| sk.is_valid(r))
                .filter_map(|r| Some((*index.get(&(source.value(r), id.value(r)))?, minhash::from_bytes(sk.value(r))?)))
                .collect()
        })
        .collect();
    drop(batches);
    // the new cases' sketches, then the members' streamed past them in the table's order
    let mut sketches = vec![None; sub.len()];
    for (i, s) in rows.iter().flatten() {
        if let Some(&j) = at.get(i) {
            sketches[j] = Some(*s);
        }
    }
    let mut probes = minhash::Probes::new(&sketches, threshold);
    for (i, s) in rows.iter().flatten().filter(|(i, _)| cluster_of[*i] != u32::MAX) {
        probes.offer(*i, s, may_join);
    }
    Ok(probes.best.iter().map(|b| b.map(|(_, i)| i)).collect())
}

/// The replies of the cases marked `wanted` (the typical-case library).
fn replies(wh: &Warehouse, index: &HashMap<(&str, &str), usize>, wanted: &[bool]) -> Result<Vec<Option<String>>> {
    let mut out = vec![None; wanted.len()];
    for b in read_table_columns(wh, table::CASES, Some(&[cases::SOURCE, cases::CASE_ID, cases::REPLY]))? {
        let s = |n: &str| b.column_by_name(n).expect("projected").as_string::<i32>();
        let (source, id, reply) = (s(cases::SOURCE), s(cases::CASE_ID), s(cases::REPLY));
        for r in 0..b.num_rows() {
            if let Some(&i) = index.get(&(source.value(r), id.value(r))).filter(|&&i| wanted[i]) {
                out[i] = (reply.is_valid(r) && !reply.value(r).trim().is_empty()).then(|| reply.value(r).to_string());
            }
        }
    }
    Ok(out)
}
