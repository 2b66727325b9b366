//! `minqing eval cluster --truth FILE`: clusters against known groups.
//!
//! The truth file is CSV with `case_id` and `group` (or a generator truth file, whose
//! `incident_id` is the group), optionally `source`. A case with an empty group is a
//! background case: a group of its own. Cases not in any cluster are singletons. Reported:
//! pairwise precision, recall and F1 (pairs of cases put together), adjusted Rand index,
//! normalised mutual information (arithmetic mean), the share of background cases wrongly
//! put in a cluster, and per truth group its best-matching cluster's F1.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use arrow::array::AsArray;

use crate::schema::{cluster_members, table};
use crate::warehouse::{Warehouse, read_table_columns};
use crate::{Error, Result};

#[derive(Debug, Clone, Default)]
pub struct ClusterEval {
    pub cases: usize,
    pub truth_groups: usize,
    pub clusters: usize,
    pub precision: Option<f64>,
    pub recall: Option<f64>,
    pub f1: Option<f64>,
    pub ari: Option<f64>,
    pub nmi: Option<f64>,
    pub background: usize,
    pub background_clustered: usize,
    /// (group, cases, best cluster, its F1).
    pub groups: Vec<(String, usize, String, f64)>,
}

impl std::fmt::Display for ClusterEval {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let v = |x: Option<f64>| x.map_or("—".to_string(), |x| format!("{x:.3}"));
        writeln!(f, "cases {}", self.cases)?;
        writeln!(f, "truth_groups {}", self.truth_groups)?;
        writeln!(f, "clusters {}", self.clusters)?;
        writeln!(f, "pairwise_precision {}", v(self.precision))?;
        writeln!(f, "pairwise_recall {}", v(self.recall))?;
        writeln!(f, "pairwise_f1 {}", v(self.f1))?;
        writeln!(f, "ari {}", v(self.ari))?;
        writeln!(f, "nmi {}", v(self.nmi))?;
        let share = (self.background > 0).then(|| self.background_clustered as f64 / self.background as f64);
        writeln!(f, "background_clustered {} ({} of {})", v(share), self.background_clustered, self.background)?;
        write!(f, "mean_best_f1 {}", v(self.mean_best_f1()))?;
        for (g, n, c, f1) in &self.groups {
            write!(f, "\ngroup {g} cases {n} best {c} f1 {f1:.3}")?;
        }
        Ok(())
    }
}

impl ClusterEval {
    /// The mean over truth groups of the best-matching cluster's F1.
    pub fn mean_best_f1(&self) -> Option<f64> {
        (!self.groups.is_empty()).then(|| self.groups.iter().map(|g| g.3).sum::<f64>() / self.groups.len() as f64)
    }
}

fn pairs(n: usize) -> f64 {
    (n as f64) * (n as f64 - 1.0) / 2.0
}

/// Scores of a predicted labelling against a truth labelling (both `Some(group)` or a singleton `None`).
pub fn score(truth: &[Option<String>], predicted: &[Option<String>]) -> ClusterEval {
    let n = truth.len();
    // singletons get labels of their own
    let t: Vec<String> =
        truth.iter().enumerate().map(|(i, g)| g.clone().unwrap_or_else(|| format!("\u{0}t{i}"))).collect();
    let p: Vec<String> =
        predicted.iter().enumerate().map(|(i, g)| g.clone().unwrap_or_else(|| format!("\u{0}p{i}"))).collect();
    let mut cells: HashMap<(&str, &str), usize> = HashMap::new();
    let mut a: HashMap<&str, usize> = HashMap::new();
    let mut b: HashMap<&str, usize> = HashMap::new();
    for i in 0..n {
        *cells.entry((&t[i], &p[i])).or_default() += 1;
        *a.entry(&t[i]).or_default() += 1;
        *b.entry(&p[i]).or_default() += 1;
    }
    let tp: f64 = cells.values().map(|&c| pairs(c)).sum();
    let ta: f64 = a.values().map(|&c| pairs(c)).sum();
    let pb: f64 = b.values().map(|&c| pairs(c)).sum();
    let precision = (pb > 0.0).then(|| tp / pb);
    let recall = (ta > 0.0).then(|| tp / ta);
    let f1 = match (precision, recall) {
        (Some(p), Some(r)) if p + r > 0.0 => Some(2.0 * p * r / (p + r)),
        _ => None,
    };
    let total = pairs(n);
    let expected = if total > 0.0 { ta * pb / total } else { 0.0 };
    let max = (ta + pb) / 2.0;
    let ari = (max - expected != 0.0).then(|| (tp - expected) / (max - expected));
    let nf = n as f64;
    let h = |m: &HashMap<&str, usize>| -m.values().map(|&c| c as f64 / nf).map(|q| q * q.ln()).sum::<f64>();
    let (ht, hp) = (h(&a), h(&b));
    let mi: f64 = cells
        .iter()
        .map(|(&(x, y), &c)| {
            let c = c as f64;
            c / nf * (c * nf / (a[x] as f64 * b[y] as f64)).ln()
        })
        .sum();
    let nmi = (ht + hp > 0.0).then(|| 2.0 * mi / (ht + hp));
    let mut groups: Vec<(String, usize, String, f64)> = vec![];
    let mut by_group: BTreeMap<&str, Vec<(&str, usize)>> = BTreeMap::new();
    for (&(x, y), &c) in &cells {
        if !x.starts_with('\u{0}') {
            by_group.entry(x).or_default().push((y, c));
        }
    }
    for (g, v) in by_group {
        let best = v
            .iter()
            .filter(|(y, _)| !y.starts_with('\u{0}'))
            .map(|&(y, c)| (y, 2.0 * c as f64 / (a[g] + b[y]) as f64))
            .max_by(|x, y| x.1.total_cmp(&y.1).then(y.0.cmp(x.0)));
        let (name, f) = best.map_or(("—".to_string(), 0.0), |(y, f)| (y.to_string(), f));
        groups.push((g.to_string(), a[g], name, f));
    }
    let background = truth.iter().filter(|g| g.is_none()).count();
    let background_clustered = truth.iter().zip(predicted).filter(|(t, p)| t.is_none() && p.is_some()).count();
    ClusterEval {
        cases: n,
        truth_groups: a.keys().filter(|k| !k.starts_with('\u{0}')).count(),
        clusters: b.keys().filter(|k| !k.starts_with('\u{0}')).count(),
        precision,
        recall,
        f1,
        ari,
        nmi,
        background,
        background_clustered,
        groups,
    }
}

/// Compare the warehouse's `cluster_members` with a truth file; with `kinds`, only
/// clusters of those kinds count (members of others are treated as unclustered). Cases the
/// truth file does not list are background (a file of hot groups lists only their posts);
/// with `split`, only the truth rows whose `split` column says so keep their group.
pub fn evaluate(wh: &Warehouse, truth: &Path, kinds: Option<&[&str]>, split: Option<&str>) -> Result<ClusterEval> {
    let mut kind_of: HashMap<String, String> = HashMap::new();
    for b in read_table_columns(wh, table::CLUSTERS, Some(&["cluster_id", "kind"]))? {
        let (id, k) = (
            b.column_by_name("cluster_id").expect("projected").as_string::<i32>().clone(),
            b.column_by_name("kind").expect("projected").as_string::<i32>().clone(),
        );
        for i in 0..b.num_rows() {
            kind_of.insert(id.value(i).to_string(), k.value(i).to_string());
        }
    }
    let wanted = |cl: &str| kinds.is_none_or(|ks| kind_of.get(cl).is_some_and(|k| ks.contains(&k.as_str())));
    let mut rd = csv::Reader::from_path(truth).map_err(|e| Error::input(truth, e.to_string()))?;
    let h = rd.headers().map_err(|e| Error::input(truth, e.to_string()))?.clone();
    let col = |names: &[&str]| h.iter().position(|x| names.contains(&x));
    let (Some(c), Some(g)) = (col(&["case_id"]), col(&["group", "incident_id", "cluster"])) else {
        return Err(Error::input(truth, "needs `case_id` and `group` (or `incident_id`) columns"));
    };
    let s = col(&["source"]);
    let sp = col(&["split"]);
    if split.is_some() && sp.is_none() {
        return Err(Error::input(truth, "a split was asked for, but the file has no `split` column"));
    }
    let mut members: HashMap<(String, String), String> = HashMap::new();
    let mut member_ids: HashMap<String, String> = HashMap::new();
    for b in read_table_columns(wh, table::CLUSTER_MEMBERS, None)? {
        let get = |n: &str| b.column_by_name(n).map(|c| c.as_string::<i32>().clone());
        let (Some(cl), Some(id), Some(src)) =
            (get(cluster_members::CLUSTER_ID), get(cluster_members::CASE_ID), get(cluster_members::SOURCE))
        else {
            continue;
        };
        for i in (0..b.num_rows()).filter(|&i| wanted(cl.value(i))) {
            members.insert((src.value(i).to_string(), id.value(i).to_string()), cl.value(i).to_string());
            member_ids.insert(id.value(i).to_string(), cl.value(i).to_string());
        }
    }
    // only cases the warehouse holds: ids from the cases table
    let known: std::collections::HashSet<(String, String)> = {
        let mut k = std::collections::HashSet::new();
        for b in read_table_columns(wh, table::CASES, Some(&["case_id", "source"]))? {
            let (id, src) = (
                b.column_by_name("case_id").expect("projected").as_string::<i32>().clone(),
                b.column_by_name("source").expect("projected").as_string::<i32>().clone(),
            );
            for i in 0..b.num_rows() {
                k.insert((src.value(i).to_string(), id.value(i).to_string()));
            }
        }
        k
    };
    let known_ids: std::collections::HashSet<&str> = known.iter().map(|(_, id)| id.as_str()).collect();
    let (mut t, mut p) = (vec![], vec![]);
    let mut seen = std::collections::HashSet::new();
    for rec in rd.records() {
        let rec = rec.map_err(|e| Error::input(truth, e.to_string()))?;
        let id = rec[c].to_string();
        let (held, pred) = match s {
            Some(s) => {
                let key = (rec[s].to_string(), id.clone());
                (known.contains(&key), members.get(&key).cloned())
            }
            None => (known_ids.contains(id.as_str()), member_ids.get(&id).cloned()),
        };
        if !held || !seen.insert((s.map(|s| rec[s].to_string()), id)) {
            continue;
        }
        let group = rec[g].trim();
        let in_split = match (split, sp) {
            (Some(want), Some(k)) => rec[k].trim() == want,
            _ => true,
        };
        t.push((!group.is_empty() && in_split).then(|| group.to_string()));
        p.push(pred);
    }
    // every other case of the warehouse is background
    let mut rest: Vec<&(String, String)> =
        known.iter().filter(|(src, id)| !seen.contains(&(s.map(|_| src.clone()), id.clone()))).collect();
    if s.is_none() {
        let listed: std::collections::HashSet<&str> = seen.iter().map(|(_, id)| id.as_str()).collect();
        rest.retain(|(_, id)| !listed.contains(id.as_str()));
    }
    rest.sort();
    for (src, id) in rest {
        t.push(None);
        p.push(members.get(&(src.clone(), id.clone())).cloned());
    }
    if t.is_empty() {
        return Err(Error::Usage(
            "no case of the truth file is in the warehouse: ingest the same exports first".into(),
        ));
    }
    Ok(score(&t, &p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(v: &[&str]) -> Vec<Option<String>> {
        v.iter().map(|s| (!s.is_empty()).then(|| s.to_string())).collect()
    }

    #[test]
    fn perfect_clustering_scores_one() {
        let t = labels(&["a", "a", "a", "b", "b", "", ""]);
        let p = labels(&["x", "x", "x", "y", "y", "", ""]);
        let e = score(&t, &p);
        assert_eq!((e.precision, e.recall, e.f1), (Some(1.0), Some(1.0), Some(1.0)));
        assert!((e.ari.unwrap() - 1.0).abs() < 1e-12);
        assert!((e.nmi.unwrap() - 1.0).abs() < 1e-12);
        assert_eq!(e.background_clustered, 0);
    }

    #[test]
    fn hand_computed_pairs_and_ari() {
        // truth {0,1,2} {3,4}; predicted {0,1} {2,3,4}
        let t = labels(&["a", "a", "a", "b", "b"]);
        let p = labels(&["x", "x", "y", "y", "y"]);
        let e = score(&t, &p);
        // same-truth pairs 3 + 1 = 4; predicted pairs 1 + 3 = 4; shared: (0,1) and (3,4) = 2
        assert_eq!((e.precision, e.recall), (Some(0.5), Some(0.5)));
        // ARI = (2 − 4·4/10) / (4 − 1.6) = 0.4 / 2.4
        assert!((e.ari.unwrap() - 0.4 / 2.4).abs() < 1e-12);
        assert_eq!(e.groups[0], ("a".into(), 3, "x".into(), 0.8));
    }

    #[test]
    fn background_put_in_a_cluster_is_counted() {
        let t = labels(&["a", "a", "", ""]);
        let p = labels(&["x", "x", "x", ""]);
        let e = score(&t, &p);
        assert_eq!((e.background, e.background_clustered), (2, 1));
        assert!(e.precision.unwrap() < 1.0);
    }
}
