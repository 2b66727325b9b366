//! Same-type grouping by what the texts are about, with or without a named entity.
//!
//! Posts about one estate, one policy, one road or one plant share a few terms that are
//! rare in the whole collection (the name, the thing, the problem: 凉塘路 旧城改造, 兰亭湾畔
//! 餐饮 油烟) and are about nothing else much. So:
//!
//! 1. each case is a TF-IDF vector of its terms (sublinear, title terms counted three times,
//!    the key entity's name three times more, locality names left out: they say where, not
//!    what), L2-normalised;
//! 2. two cases are compared only when one of the `KEY_TERMS` heaviest terms of each is the
//!    same and that term is rare (in at most 1% of the cases, at least `MIN_RARE_DF`, at most
//!    `MAX_RARE_DF`), they arrived within `window_days` of each other, and one is among the
//!    next `MAX_NEIGHBOURS` of the other in the term's time order — so the work grows
//!    linearly with the cases, not with their square;
//! 3. average-linkage agglomeration over those pairs (a pair never compared counts as 0)
//!    merges while the mean similarity between two groups is at least `LINK`.
//!
//! Average linkage does not chain the way one-`eps` density clustering does (DBSCAN links
//! two topics through one post that mentions both), and the similarity of two groups is a
//! mean, not a density, so one threshold holds for collections of any size: nothing here is
//! set per data set.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use chrono::NaiveDateTime;
use rustc_hash::FxHashMap as HashMap;

/// Terms of a case that can pair it with another.
pub const KEY_TERMS: usize = 12;
/// The key entity's name counts as this many occurrences of a term.
const ENTITY_WEIGHT: f32 = 3.0;
/// A key entity of at least this many cases is an established name (see `groups`).
const ESTABLISHED: usize = 3;
/// Mean cosine similarity at which two groups merge.
pub const LINK: f32 = 0.15;
/// A pairing term is in at most this share of the cases …
pub const RARE_SHARE: f64 = 0.01;
/// … or, in a small collection, in at most this many.
pub const MIN_RARE_DF: usize = 20;
/// … and never in more than this many (a term in thousands of cases names no one matter).
pub const MAX_RARE_DF: usize = 1000;
/// A pairing term's postings are walked at most this far ahead in time order, so the pairs
/// grow linearly with the cases.
const MAX_NEIGHBOURS: usize = 30;

/// One case as the grouping sees it.
#[derive(Debug, Clone, Default)]
pub struct CaseText<'a> {
    /// The title's terms (slices of the text: a million cases' terms are not copied).
    pub title: Vec<&'a str>,
    /// The whole text's terms (title and body).
    pub body: Vec<&'a str>,
    /// The key entity's name, if any.
    pub entity: Option<String>,
    /// The focus topic and matter (cases of one established entity, topic and matter start
    /// as one group: an estate's delayed delivery is not its property management).
    pub topic: String,
    pub matter: String,
    pub received: NaiveDateTime,
}

/// A term that only says where (kept apart, never a reason to group).
pub use crate::text::is_locality;

/// The terms the grouping counted, kept for describing its groups (`key_terms`), so that no
/// term of a million cases is sorted or hashed as a string twice.
#[derive(Debug, Default, PartialEq)]
pub struct Terms<'a> {
    /// Each term id's term.
    names: Vec<&'a str>,
    /// How many cases have the term among their whole text's terms (`CaseText::body`).
    in_text: Vec<u32>,
    /// Each case's distinct terms by id; `OUTSIDE_TEXT` is set on a term of its title or
    /// key entity's name that is not among its text's terms.
    of_case: Vec<Vec<u32>>,
}

/// The bit of a term id in `Terms::of_case` that says the term is not among the text's.
const OUTSIDE_TEXT: u32 = 1 << 31;

pub type Vectors = Vec<Vec<(u32, f32)>>;

/// The document frequencies of an earlier grouping of the whole collection (`n` cases),
/// so that a few new cases are weighed as the whole collection weighs their terms.
pub struct Known<'k> {
    pub df: &'k HashMap<&'k str, u32>,
    pub n: usize,
}

/// Sparse L2-normalised vectors (term id, weight), sorted by term id, the term ids'
/// document frequencies, and the terms. Term ids are given in order of first occurrence.
/// With `known`, a term's frequency is the larger of the known one and its own count here.
fn vectors<'a>(cases: &'a [CaseText], known: Option<&Known>) -> (Vectors, Vec<u32>, Terms<'a>) {
    vectors_by_chunks(cases, 16 * 1024, known)
}

fn vectors_by_chunks<'a>(cases: &'a [CaseText], chunk: usize, known: Option<&Known>) -> (Vectors, Vec<u32>, Terms<'a>) {
    use rayon::prelude::*;
    // each chunk of cases counted on its own core with ids of its own, in first-occurrence
    // order, so that taking the chunks in order gives every term the id a single pass would
    let chunks: Vec<Counted> = cases.par_chunks(chunk).map(term_counts).collect();
    let mut ids: HashMap<&str, u32> = HashMap::default();
    let mut names: Vec<&str> = vec![];
    let (mut df, mut in_text): (Vec<u32>, Vec<u32>) = (vec![], vec![]);
    let global: Vec<Vec<u32>> = chunks
        .iter()
        .map(|c| {
            let to: Vec<u32> = c
                .terms
                .iter()
                .map(|&t| {
                    let next = ids.len() as u32;
                    *ids.entry(t).or_insert_with(|| {
                        names.push(t);
                        next
                    })
                })
                .collect();
            df.resize(ids.len(), 0);
            in_text.resize(ids.len(), 0);
            for v in &c.counts {
                for (id, _) in v {
                    df[to[*id as usize] as usize] += 1;
                }
            }
            for v in &c.of_case {
                for id in v.iter().filter(|&&id| id & OUTSIDE_TEXT == 0) {
                    in_text[to[*id as usize] as usize] += 1;
                }
            }
            to
        })
        .collect();
    if let Some(k) = known {
        for (d, name) in df.iter_mut().zip(&names) {
            *d = (*d).max(k.df.get(*name).copied().unwrap_or(0));
        }
    }
    let n = known.map_or(cases.len(), |k| k.n.max(cases.len())) as f32;
    let (vecs, of_case): (Vectors, Vec<Vec<u32>>) = chunks
        .into_par_iter()
        .zip(global)
        .flat_map_iter(|(c, to)| {
            let df = &df;
            c.counts.into_iter().zip(c.of_case).map(move |(mut v, mut terms)| {
                for (id, x) in v.iter_mut() {
                    *id = to[*id as usize];
                    let idf = ((1.0 + n) / (1.0 + df[*id as usize] as f32)).ln() + 1.0;
                    *x = (1.0 + x.ln()) * idf;
                }
                v.sort_unstable_by_key(|x| x.0);
                let norm = v.iter().map(|(_, x)| x * x).sum::<f32>().sqrt();
                if norm > 0.0 {
                    v.iter_mut().for_each(|(_, x)| *x /= norm);
                }
                for id in terms.iter_mut() {
                    *id = to[(*id & !OUTSIDE_TEXT) as usize] | (*id & OUTSIDE_TEXT);
                }
                terms.sort_unstable();
                (v, terms)
            })
        })
        .unzip();
    (vecs, df, Terms { names, in_text, of_case })
}

/// A chunk's terms in order of first occurrence, each case's term counts by those terms'
/// positions, and each case's distinct terms (with `OUTSIDE_TEXT`).
struct Counted<'a> {
    terms: Vec<&'a str>,
    counts: Vectors,
    of_case: Vec<Vec<u32>>,
}

fn term_counts<'a>(cases: &'a [CaseText]) -> Counted<'a> {
    let mut ids: HashMap<&str, u32> = HashMap::default();
    let mut terms: Vec<&str> = vec![];
    // a case's counts by term position, whether each is among the text's terms, and the
    // positions it touched (so only those are read and reset)
    let (mut weight, mut in_text, mut touched): (Vec<f32>, Vec<bool>, Vec<u32>) = (vec![], vec![], vec![]);
    let (counts, of_case) = cases
        .iter()
        .map(|c| {
            // the body holds the title too: title terms count three times
            let title = c.title.iter().map(|t| (*t, 2.0, false)).chain(c.body.iter().map(|t| (*t, 1.0, true)));
            // the key entity's name once more, as its own term (余易贷 / A2区余易贷 cut apart)
            for (t, w, text) in title.chain(c.entity.iter().map(|e| (e.as_str(), ENTITY_WEIGHT, false))) {
                if t.chars().count() < 2 || is_locality(t) {
                    continue;
                }
                let next = terms.len() as u32;
                let id = *ids.entry(t).or_insert_with(|| {
                    terms.push(t);
                    weight.push(0.0);
                    in_text.push(false);
                    next
                }) as usize;
                // every weight is positive: zero is a term not seen yet in this case
                if weight[id] == 0.0 {
                    touched.push(id as u32);
                }
                weight[id] += w;
                in_text[id] |= text;
            }
            let tf: Vec<(u32, f32)> = touched.iter().map(|&id| (id, weight[id as usize])).collect();
            let distinct =
                touched.iter().map(|&id| if in_text[id as usize] { id } else { id | OUTSIDE_TEXT }).collect();
            for id in touched.drain(..) {
                (weight[id as usize], in_text[id as usize]) = (0.0, false);
            }
            (tf, distinct)
        })
        .unzip();
    Counted { terms, counts, of_case }
}

fn cosine(a: &[(u32, f32)], b: &[(u32, f32)]) -> f32 {
    let (mut i, mut j, mut s) = (0, 0, 0.0);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            Ordering::Less => i += 1,
            Ordering::Greater => j += 1,
            Ordering::Equal => {
                s += a[i].1 * b[j].1;
                i += 1;
                j += 1;
            }
        }
    }
    s
}

/// The pairs worth comparing and their similarity.
/// The terms that can pair a case (vector `v`) with another: among its `KEY_TERMS`
/// heaviest, those rare among the `n` cases `df` counts (in two of them at least).
pub fn pairing_terms(v: &[(u32, f32)], df: &[u32], n: usize) -> Vec<u32> {
    let max_df = MIN_RARE_DF.max((RARE_SHARE * n as f64) as usize).min(MAX_RARE_DF) as u32;
    let mut top: Vec<&(u32, f32)> = v.iter().collect();
    top.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    top.into_iter().take(KEY_TERMS).map(|x| x.0).filter(|id| (2..=max_df).contains(&df[*id as usize])).collect()
}

/// `n`: the cases of the collection `df` counts.
fn candidate_pairs(
    cases: &[CaseText],
    vecs: &[Vec<(u32, f32)>],
    df: &[u32],
    n: usize,
    window_days: i64,
) -> Vec<(u32, u32, f32)> {
    let mut postings: HashMap<u32, Vec<u32>> = HashMap::default();
    for (i, v) in vecs.iter().enumerate() {
        for id in pairing_terms(v, df, n) {
            postings.entry(id).or_default().push(i as u32);
        }
    }
    let window = chrono::Duration::days(window_days);
    let mut pairs: HashMap<(u32, u32), f32> = HashMap::default();
    let mut keys: Vec<u32> = postings.keys().copied().collect();
    keys.sort_unstable();
    for k in keys {
        let mut p = postings.remove(&k).unwrap_or_default();
        p.sort_by_key(|&i| (cases[i as usize].received, i));
        for (a, &i) in p.iter().enumerate() {
            for &j in p[a + 1..].iter().take(MAX_NEIGHBOURS) {
                if cases[j as usize].received - cases[i as usize].received > window {
                    break;
                }
                let key = (i.min(j), i.max(j));
                pairs.entry(key).or_insert_with(|| cosine(&vecs[i as usize], &vecs[j as usize]));
            }
        }
    }
    let mut out: Vec<(u32, u32, f32)> = pairs.into_iter().map(|((a, b), s)| (a, b, s)).collect();
    out.sort_unstable_by_key(|p| (p.0, p.1));
    out
}

#[derive(PartialEq)]
struct Candidate(f32, u32, u32);

impl Eq for Candidate {}
impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> Ordering {
        // highest similarity first; ties by the lower ids, so the result is deterministic
        self.0.total_cmp(&other.0).then_with(|| (other.1, other.2).cmp(&(self.1, self.2)))
    }
}

/// The name without the suffix its kind takes (翠湖湾小区 → 翠湖湾).
fn name_body(name: &str) -> &str {
    const SUFFIXES: &[&str] =
        &["有限责任公司", "股份有限公司", "有限公司", "集团", "公司", "小区", "花园", "家园", "项目", "平台", "社区"];
    SUFFIXES.iter().find_map(|s| name.strip_suffix(s)).filter(|b| b.chars().count() >= 2).unwrap_or(name)
}

/// Two key entities that can be one matter's: the same name, or one holds the other
/// (魅力之城 / 万科魅力之城小区). 翠湖花园 and 锦绣华庭 are two matters however alike their texts.
pub fn compatible(a: &str, b: &str) -> bool {
    let (x, y) = (name_body(a), name_body(b));
    a == b || x.contains(y) || y.contains(x)
}

/// Average-linkage agglomeration over a sparse similarity graph: groups of two or more
/// cases, each sorted, in order of their first case. Two groups whose key entities are all
/// incompatible (`compatible`) never merge.
/// `seed[i]` is the case that case i starts grouped with (itself when alone).
pub fn average_linkage(
    n: usize,
    pairs: &[(u32, u32, f32)],
    link: f32,
    entity: &[Option<&str>],
    seed: &[usize],
) -> Vec<Vec<usize>> {
    let rep = |i: usize| seed.get(i).copied().unwrap_or(i);
    // per live group: size, and the summed similarity to each neighbouring group
    let mut size = vec![0usize; n];
    let mut alive = vec![false; n];
    let mut members: Vec<Vec<usize>> = vec![vec![]; n];
    let mut names: Vec<Vec<&str>> = vec![vec![]; n];
    for i in 0..n {
        let r = rep(i);
        size[r] += 1;
        alive[r] = true;
        members[r].push(i);
        if let Some(e) = entity.get(i).copied().flatten().filter(|e| !names[r].contains(e)) {
            names[r].push(e);
        }
    }
    let mut sums: Vec<HashMap<u32, f32>> = vec![HashMap::default(); n];
    for &(a, b, s) in pairs {
        let (a, b) = (rep(a as usize), rep(b as usize));
        if a != b {
            *sums[a].entry(b as u32).or_default() += s;
            *sums[b].entry(a as u32).or_default() += s;
        }
    }
    let mut heap = BinaryHeap::new();
    for a in 0..n {
        for (&b, &s) in &sums[a] {
            let avg = s / (size[a] * size[b as usize]) as f32;
            if (a as u32) < b && avg >= link {
                heap.push(Candidate(avg, a as u32, b));
            }
        }
    }
    let may_merge =
        |a: &[&str], b: &[&str]| a.is_empty() || b.is_empty() || a.iter().any(|x| b.iter().any(|y| compatible(x, y)));
    while let Some(Candidate(s, a, b)) = heap.pop() {
        let (a, b) = (a as usize, b as usize);
        if !alive[a] || !alive[b] {
            continue;
        }
        let now = sums[a].get(&(b as u32)).copied().unwrap_or(0.0) / (size[a] * size[b]) as f32;
        if (now - s).abs() > 1e-6 {
            if now >= link {
                heap.push(Candidate(now, a as u32, b as u32));
            }
            continue;
        }
        if !may_merge(&names[a], &names[b]) {
            continue;
        }
        // merge the smaller into the larger
        let (keep, gone) = if size[a] >= size[b] { (a, b) } else { (b, a) };
        alive[gone] = false;
        let gone_sums = std::mem::take(&mut sums[gone]);
        sums[keep].remove(&(gone as u32));
        for (c, s) in gone_sums {
            if c as usize == keep {
                continue;
            }
            *sums[keep].entry(c).or_default() += s;
            let cs = &mut sums[c as usize];
            cs.remove(&(gone as u32));
            *cs.entry(keep as u32).or_default() += s;
        }
        size[keep] += size[gone];
        let moved = std::mem::take(&mut members[gone]);
        members[keep].extend(moved);
        let moved = std::mem::take(&mut names[gone]);
        for e in moved {
            if !names[keep].contains(&e) {
                names[keep].push(e);
            }
        }
        let mut next: Vec<(u32, f32)> = sums[keep].iter().map(|(&c, &s)| (c, s)).collect();
        next.sort_unstable_by_key(|x| x.0);
        for (c, s) in next {
            let avg = s / (size[keep] * size[c as usize]) as f32;
            if avg >= link {
                let (x, y) = (keep.min(c as usize) as u32, keep.max(c as usize) as u32);
                heap.push(Candidate(avg, x, y));
            }
        }
    }
    let mut out: Vec<Vec<usize>> = members
        .into_iter()
        .zip(alive)
        .filter(|(m, a)| *a && m.len() > 1)
        .map(|(mut m, _)| {
            m.sort_unstable();
            m
        })
        .collect();
    out.sort_by_key(|m| m[0]);
    out
}

/// A grouping: the groups of cases about one matter (two or more cases each, in order of
/// their first case), and what was counted on the way: the terms, each case's vector and
/// each term id's document frequency among `n` cases.
pub struct Grouped<'a> {
    pub groups: Vec<Vec<usize>>,
    pub terms: Terms<'a>,
    pub vecs: Vectors,
    pub df: Vec<u32>,
    pub n: usize,
}

impl Terms<'_> {
    /// The term of an id.
    pub fn name(&self, id: u32) -> &str {
        self.names[id as usize]
    }
}

/// Group the cases by what they are about (see the module's notes); with `known`, weigh
/// their terms by an earlier grouping's frequencies (`Known`).
pub fn groups<'a>(cases: &'a [CaseText], window_days: i64, known: Option<&Known>) -> Grouped<'a> {
    let t0 = std::time::Instant::now();
    let (vecs, df, terms) = vectors(cases, known);
    let n = known.map_or(cases.len(), |k| k.n.max(cases.len()));
    tracing::info!("topical: {} vectors, {} terms at {:.2}s", vecs.len(), df.len(), t0.elapsed().as_secs_f64());
    let pairs = candidate_pairs(cases, &vecs, &df, n, window_days);
    tracing::info!("topical: {} pairs compared at {:.2}s", pairs.len(), t0.elapsed().as_secs_f64());
    // only names that key several cases keep two matters apart: a name seen once or twice
    // may be how one post put it (星光大厦 for the 老地方美食广场 in it)
    let mut seen: HashMap<&str, usize> = HashMap::default();
    for e in cases.iter().filter_map(|c| c.entity.as_deref()) {
        *seen.entry(e).or_default() += 1;
    }
    let entity: Vec<Option<&str>> =
        cases.iter().map(|c| c.entity.as_deref().filter(|e| seen[e] >= ESTABLISHED)).collect();
    // the cases of one established name on one topic and matter are one group from the start
    let mut first: HashMap<(&str, &str, &str), usize> = HashMap::default();
    let seed: Vec<usize> = (0..cases.len())
        .map(|i| match entity[i] {
            Some(e) => *first.entry((e, cases[i].topic.as_str(), cases[i].matter.as_str())).or_insert(i),
            None => i,
        })
        .collect();
    let groups = average_linkage(cases.len(), &pairs, LINK, &entity, &seed);
    Grouped { groups, terms, vecs, df, n }
}

/// The terms that say what a group is about, most telling first: in many of its members
/// and rare elsewhere (`n` cases in all).
pub fn key_terms(terms: &Terms, members: &[usize], n: usize) -> Vec<String> {
    // term → members with it, and whether one has it only in its title or entity's name
    let mut inside: HashMap<u32, (usize, bool)> = HashMap::default();
    for &i in members {
        for &id in &terms.of_case[i] {
            let e = inside.entry(id & !OUTSIDE_TEXT).or_default();
            e.0 += 1;
            e.1 |= id & OUTSIDE_TEXT != 0;
        }
    }
    let mut scored: Vec<(f64, &str)> = inside
        .into_iter()
        .filter(|(_, (k, _))| *k * 2 >= members.len())
        .map(|(id, (k, outside))| {
            let df = terms.in_text[id as usize].max(1);
            let idf = ((1.0 + n as f64) / (1.0 + df as f64)).ln();
            (k as f64 * idf * if outside { 1.5 } else { 1.0 }, terms.names[id as usize])
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    scored.into_iter().map(|(_, t)| t.to_string()).collect()
}

/// The phrase the members' titles use for the matter: the run of adjacent key terms found
/// in most titles (longest on a tie), e.g. 旧城改造 from 凉塘路的旧城改造要拖到何时; `None`
/// when no two key terms stand together in any title.
pub fn title_phrase(cases: &[CaseText], members: &[usize], keys: &[String]) -> Option<String> {
    let keys: Vec<&str> = keys.iter().take(8).map(String::as_str).collect();
    // phrase → how many titles use it
    let mut runs: HashMap<String, usize> = HashMap::default();
    for &i in members {
        let t = &cases[i].title;
        let mut seen: Vec<String> = vec![];
        let mut k = 0;
        while k < t.len() {
            let mut e = k;
            while e < t.len() && keys.contains(&t[e]) {
                e += 1;
            }
            if e - k >= 2 {
                seen.push(t[k..e].concat());
            }
            k = e.max(k + 1);
        }
        seen.sort();
        seen.dedup();
        for s in seen {
            *runs.entry(s).or_default() += 1;
        }
    }
    let mut v: Vec<(String, usize)> = runs.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(b.0.chars().count().cmp(&a.0.chars().count())).then(a.0.cmp(&b.0)));
    v.into_iter().next().map(|(s, _)| s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn case<'a>(day: i64, title: &'a str, body: &'a str) -> CaseText<'a> {
        let s = crate::text::Segmenter::builtin();
        CaseText {
            title: s.terms(title),
            body: s.terms(body),
            entity: None,
            topic: String::new(),
            matter: String::new(),
            received: NaiveDate::from_ymd_opt(2019, 3, 1).unwrap().and_hms_opt(9, 0, 0).unwrap()
                + chrono::Duration::days(day),
        }
    }

    #[test]
    fn chunks_give_the_ids_and_weights_of_one_pass() {
        let cases = vec![
            case(0, "翠湖花园逾期交房", "开发商逾期交房两年，业主多次反映"),
            case(1, "噪音扰民", "工地夜间施工噪音扰民，居民无法休息"),
            case(2, "翠湖花园办证难", "业主交房三年仍未办理不动产证"),
            case(3, "拖欠工资", "宏建公司拖欠农民工工资，工地夜间停工"),
            case(4, "开发商逾期交房", "业主要求开发商尽快交房"),
        ];
        let whole = vectors_by_chunks(&cases, usize::MAX, None);
        // ids in order of first occurrence, over the whole collection
        let mut seen: Vec<&str> = vec![];
        for c in &cases {
            for t in c.title.iter().chain(&c.body) {
                if t.chars().count() >= 2 && !is_locality(t) && !seen.contains(t) {
                    seen.push(t);
                }
            }
        }
        assert_eq!(whole.1.len(), seen.len());
        assert_eq!(whole.2.names, seen);
        for chunk in [1, 2, 3] {
            assert_eq!(vectors_by_chunks(&cases, chunk, None), whole, "chunks of {chunk}");
        }
    }

    #[test]
    fn localities_are_not_topics() {
        for t in ["A市", "A3区", "A7县", "青溪县", "城关镇"] {
            assert!(is_locality(t), "{t}");
        }
        for t in ["凉塘路", "旧城改造", "805路", "兰亭湾畔", "城关镇中学"] {
            assert!(!is_locality(t), "{t}");
        }
    }

    #[test]
    fn posts_about_one_matter_group_without_an_entity_and_others_stay_apart() {
        let mut cases = vec![
            case(0, "A7县凉塘路的旧城改造要拖到何时才能动工", "凉塘路旧城改造说了好几年，居民一直在等。"),
            case(9, "A7县星沙街道凉塘路旧城改造什么时候会启动", "请问凉塘路旧城改造什么时候启动？"),
            case(30, "凉塘路旧城改造何时可以开始", "凉塘路棚户区居民盼望旧城改造早日开始。"),
            case(3, "兰亭湾畔小区违规开餐饮", "兰亭湾畔小区底层商铺违规开餐饮，油烟扰民。"),
            case(5, "兰亭湾畔违法开餐厅", "兰亭湾畔小区楼下餐厅油烟直排，请查处。"),
            case(8, "A3区兰亭湾畔小区违规开餐饮没有人管", "投诉多次，兰亭湾畔餐饮油烟没人管。"),
        ];
        // filler: the rest of a city's posts, each about something else
        let other = ["公交", "路灯", "学位", "医保", "停车", "垃圾", "噪音", "供水", "燃气", "绿化"];
        for (k, w) in other.iter().enumerate() {
            for d in 0..5 {
                // the terms borrow their text: these live as long as the test
                let title: &'static str = Box::leak(format!("{w}问题{d}").into_boxed_str());
                let body: &'static str = Box::leak(format!("反映第{d}处{w}问题，请处理。").into_boxed_str());
                cases.push(case(k as i64 * 7 + d, title, body));
            }
        }
        let Grouped { groups: g, terms, .. } = groups(&cases, 180, None);
        assert!(g.contains(&vec![0, 1, 2]), "{g:?}");
        // what the group is about, from the terms counted while grouping
        let keys = key_terms(&terms, &[0, 1, 2], cases.len());
        assert!(["凉塘路", "旧城", "改造"].iter().all(|k| keys[..4].contains(&k.to_string())), "{keys:?}");
        assert!(g.contains(&vec![3, 4, 5]), "{g:?}");
        // out of the time window: not compared
        cases[2].received += chrono::Duration::days(400);
        let g = groups(&cases, 180, None).groups;
        assert!(g.iter().all(|m| !m.contains(&2)), "{g:?}");
    }

    #[test]
    fn the_phrase_most_titles_use() {
        let cases = vec![
            case(0, "A7县凉塘路的旧城改造要拖到何时", ""),
            case(1, "凉塘路旧城改造什么时候启动", ""),
            case(2, "星沙凉塘路旧城改造何时开始", ""),
        ];
        let keys: Vec<String> = ["凉塘路", "旧城", "改造"].map(String::from).to_vec();
        let p = title_phrase(&cases, &[0, 1, 2], &keys).unwrap();
        assert!(p.contains("旧城改造"), "{p}");
        assert_eq!(title_phrase(&cases, &[0], &["凉塘路".to_string()]), None);
    }

    #[test]
    fn average_linkage_does_not_chain() {
        // 0-1 and 1-2 alike, 0-2 never compared: a chain of two links is not one group at 0.6
        let pairs = vec![(0, 1, 0.9), (1, 2, 0.9), (3, 4, 0.7)];
        let alone: Vec<usize> = (0..5).collect();
        assert_eq!(average_linkage(5, &pairs, 0.6, &[], &alone), vec![vec![0, 1], vec![3, 4]]);
        // at a lower threshold the mean 0.6 of {0,1} and 2 joins them
        assert_eq!(average_linkage(5, &pairs, 0.4, &[], &alone), vec![vec![0, 1, 2], vec![3, 4]]);
        // two estates' posts stay apart however alike; a name variant joins
        let e = [Some("翠湖花园"), Some("锦绣华庭"), None, Some("万科魅力之城"), Some("魅力之城小区")];
        assert_eq!(average_linkage(5, &[(0, 1, 0.9), (3, 4, 0.9)], 0.4, &e, &alone), vec![vec![3, 4]]);
        // cases seeded together start as one group, compared by their mean
        assert_eq!(average_linkage(5, &[(0, 2, 0.5)], 0.4, &[], &[0, 0, 2, 3, 4]), vec![vec![0, 1]]);
        assert!(
            compatible("东路魅力之城", "魅力之城小区") && !compatible("宏建建筑工程有限公司", "广厦建筑工程有限公司")
        );
    }
}
