//! `minqing eval entities`: the names found in posts against names labelled by hand.
//!
//! The truth file is CSV with `case_id`, `entities` (`name:type|name:type`, empty when the
//! post names none) and optionally `split`. A found name matches a labelled one of the same
//! post when they are equal (exact), or when one holds the other and the shorter is at least
//! two thirds of the longer (`翠湖湾` for `翠湖湾小区`: partial). Only names count (estates,
//! companies, projects, roads, facilities, platforms, policies, villages); towns, counties,
//! amounts, dates and head counts are not entities here.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use super::{Entity, Gazetteer, extract};
use crate::{Error, Result};

/// The kinds that name a thing (not a region, amount, date or head count).
pub const NAME_KINDS: &[&str] =
    &["estate", "company", "project", "platform", "org", "road", "facility", "policy", "place"];

#[derive(Debug, Clone, Default)]
pub struct EntityEval {
    pub posts: usize,
    pub truth: usize,
    pub found: usize,
    pub exact: usize,
    pub partial: usize,
    /// (case_id, name) labelled but not found, and found but not labelled.
    pub missed: Vec<(String, String)>,
    pub spurious: Vec<(String, String)>,
}

impl EntityEval {
    pub fn precision(&self, partial: bool) -> f64 {
        let tp = if partial { self.exact + self.partial } else { self.exact };
        if self.found == 0 { 0.0 } else { tp as f64 / self.found as f64 }
    }

    pub fn recall(&self, partial: bool) -> f64 {
        let tp = if partial { self.exact + self.partial } else { self.exact };
        if self.truth == 0 { 0.0 } else { tp as f64 / self.truth as f64 }
    }
}

impl std::fmt::Display for EntityEval {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "posts {}", self.posts)?;
        writeln!(f, "labelled {} found {} exact {} partial {}", self.truth, self.found, self.exact, self.partial)?;
        writeln!(f, "precision_exact {:.3}", self.precision(false))?;
        writeln!(f, "recall_exact {:.3}", self.recall(false))?;
        writeln!(f, "precision {:.3}", self.precision(true))?;
        write!(f, "recall {:.3}", self.recall(true))?;
        for (id, n) in self.spurious.iter().take(40) {
            write!(f, "\nspurious {id} {n}")?;
        }
        for (id, n) in self.missed.iter().take(40) {
            write!(f, "\nmissed {id} {n}")?;
        }
        Ok(())
    }
}

/// The same name with or without its suffix (翠湖湾 / 翠湖湾小区), or with a short prefix
/// (A3区实验小学 / 实验小学 is not: too much is left out); a fragment from the middle is not.
fn partial_match(a: &str, b: &str) -> bool {
    let (la, lb) = (a.chars().count(), b.chars().count());
    let (short, long, ls, ll) = if la <= lb { (a, b, la, lb) } else { (b, a, lb, la) };
    (long.starts_with(short) && ls * 2 >= ll) || (long.ends_with(short) && ls * 3 >= ll * 2)
}

/// Score found names against labelled names, post by post.
pub fn score(posts: &[(String, Vec<String>, Vec<String>)]) -> EntityEval {
    let mut e = EntityEval { posts: posts.len(), ..Default::default() };
    for (id, truth, found) in posts {
        e.truth += truth.len();
        e.found += found.len();
        let mut used = vec![false; truth.len()];
        let mut unmatched: Vec<&String> = vec![];
        for f in found {
            if let Some(k) = (0..truth.len()).find(|&k| !used[k] && truth[k] == *f) {
                used[k] = true;
                e.exact += 1;
            } else {
                unmatched.push(f);
            }
        }
        for f in unmatched {
            if let Some(k) = (0..truth.len()).find(|&k| !used[k] && partial_match(&truth[k], f)) {
                used[k] = true;
                e.partial += 1;
            } else {
                e.spurious.push((id.clone(), f.clone()));
            }
        }
        e.missed.extend((0..truth.len()).filter(|&k| !used[k]).map(|k| (id.clone(), truth[k].clone())));
    }
    e
}

/// The names `extract` finds in a text, once each.
pub fn names(text: &str, gaz: &Gazetteer) -> Vec<String> {
    // towns, counties and districts are regions, not entities
    let region = |e: &Entity| e.kind == "place" && e.name.ends_with(['县', '区', '镇', '乡', '市', '省', '道']);
    let mut out: Vec<String> = extract(text, gaz)
        .into_iter()
        .filter(|e: &Entity| NAME_KINDS.contains(&e.kind) && !region(e))
        .map(|e| e.name)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Read the posts (`id_col`, then the text columns joined) and the truth file, extract and score.
pub fn evaluate(
    posts: &Path,
    id_col: &str,
    text_cols: &[String],
    truth: &Path,
    split: Option<&str>,
    gaz: &Gazetteer,
) -> Result<EntityEval> {
    let mut cols: Vec<&str> = vec![id_col];
    cols.extend(text_cols.iter().map(String::as_str));
    let rows = crate::ingest::read_columns(posts, &cols)?;
    let texts: HashMap<String, String> = rows
        .into_iter()
        .map(|r| {
            let id = r[0].trim().trim_end_matches(".0").to_string();
            (id, crate::normalize::clean_text(&r[1..].join(" ")))
        })
        .collect();
    let mut rd = csv::Reader::from_path(truth).map_err(|e| Error::input(truth, e.to_string()))?;
    let h = rd.headers().map_err(|e| Error::input(truth, e.to_string()))?.clone();
    let col = |n: &str| h.iter().position(|x| x == n);
    let (Some(c), Some(en)) = (col("case_id"), col("entities")) else {
        return Err(Error::input(truth, "needs `case_id` and `entities` columns"));
    };
    let sp = col("split");
    let mut labelled: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for rec in rd.records() {
        let rec = rec.map_err(|e| Error::input(truth, e.to_string()))?;
        if split.is_some_and(|want| sp.is_none_or(|k| rec[k].trim() != want)) {
            continue;
        }
        let names: Vec<String> = rec[en]
            .split('|')
            .filter_map(|x| x.rsplit_once(':').map(|(n, _)| n.trim().to_string()).or(Some(x.trim().to_string())))
            .filter(|n| !n.is_empty())
            .collect();
        labelled.insert(rec[c].trim().to_string(), names);
    }
    let mut scored = vec![];
    for (id, names_true) in labelled {
        let Some(text) = texts.get(&id) else {
            return Err(Error::input(truth, format!("post {id} is not in {}", posts.display())));
        };
        scored.push((id, names_true, names(text, gaz)));
    }
    Ok(score(&scored))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_partial_missed_and_spurious() {
        let v = |x: &[&str]| x.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let e = score(&[
            ("1".into(), v(&["翠湖湾小区", "城南大道"]), v(&["翠湖湾", "城南大道", "物业公司"])),
            ("2".into(), v(&["恒盛置业"]), v(&[])),
        ]);
        assert_eq!((e.truth, e.found, e.exact, e.partial), (3, 3, 1, 1));
        assert_eq!(e.spurious, vec![("1".to_string(), "物业公司".to_string())]);
        assert_eq!(e.missed, vec![("2".to_string(), "恒盛置业".to_string())]);
        assert!((e.precision(true) - 2.0 / 3.0).abs() < 1e-9);
        assert!(!partial_match("湾小区", "翠湖湾小区"), "a fragment is not a partial match");
        assert!(!partial_match("湖湾", "翠湖湾小区"));
    }
}
