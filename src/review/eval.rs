//! `minqing eval replies`: the reply review against people's judgements.
//!
//! - **score**: AUC of `score` against a 0/1 judgement whether the reply explains what was
//!   done and why (可解释性), beside the AUC of the reply's length;
//! - **relevance**: each case's own reply against the reply of the most similar other case
//!   (TF-IDF cosine of the case texts): AUC of `relevance` telling them apart, beside the
//!   AUC of the TF-IDF cosine between case and reply;
//! - with a 0/1 `relevant` column, the AUC of `relevance` against it.

use std::path::Path;

use rustc_hash::FxHashMap as HashMap;

use super::score::{self, Rarity};
use crate::model::auc;
use crate::{Error, Result};

/// Which columns of the file hold what.
#[derive(Debug, Clone)]
pub struct Columns {
    pub title: String,
    pub post: String,
    pub reply: String,
    pub received: String,
    pub replied: String,
    /// 0/1: the reply explains (可解释性).
    pub explains: Option<String>,
    /// 0/1: the reply answers this case's matter.
    pub relevant: Option<String>,
}

/// The measured figures.
#[derive(Debug, Default)]
pub struct ReplyEval {
    pub replies: usize,
    pub score_auc: Option<f64>,
    pub length_auc: Option<f64>,
    pub relevance_swap_auc: Option<f64>,
    pub cosine_swap_auc: Option<f64>,
    pub relevance_auc: Option<f64>,
    pub flags: Vec<(String, usize)>,
    /// Each row: label(s), score, relevance, completeness, explanation, flags, title.
    pub rows: Vec<String>,
}

impl std::fmt::Display for ReplyEval {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let a = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{v:.3}"));
        writeln!(f, "replies: {}", self.replies)?;
        writeln!(
            f,
            "score AUC against the explains label: {} (reply length alone: {})",
            a(self.score_auc),
            a(self.length_auc)
        )?;
        writeln!(
            f,
            "relevance AUC, own reply vs the most similar other case's reply: {} (TF-IDF cosine: {})",
            a(self.relevance_swap_auc),
            a(self.cosine_swap_auc)
        )?;
        if self.relevance_auc.is_some() {
            writeln!(f, "relevance AUC against the relevant label: {}", a(self.relevance_auc))?;
        }
        let flags: Vec<String> = self.flags.iter().map(|(k, n)| format!("{k} {n}")).collect();
        write!(f, "flags: {}", if flags.is_empty() { "none".to_string() } else { flags.join(", ") })
    }
}

/// TF-IDF vectors (sublinear, L2) of texts over their terms.
fn tfidf(texts: &[String]) -> Vec<HashMap<String, f64>> {
    let seg = crate::text::Segmenter::builtin();
    let terms: Vec<Vec<&str>> = texts.iter().map(|t| seg.terms(t)).collect();
    let mut df: HashMap<&str, f64> = HashMap::default();
    for t in &terms {
        let mut u = t.clone();
        u.sort_unstable();
        u.dedup();
        for w in u {
            *df.entry(w).or_default() += 1.0;
        }
    }
    let n = texts.len() as f64;
    terms
        .iter()
        .map(|t| {
            let mut tf: HashMap<String, f64> = HashMap::default();
            for w in t {
                *tf.entry(w.to_string()).or_default() += 1.0;
            }
            for (w, x) in tf.iter_mut() {
                *x = (1.0 + x.ln()) * (((1.0 + n) / (1.0 + df[w.as_str()])).ln() + 1.0);
            }
            let norm = tf.values().map(|x| x * x).sum::<f64>().sqrt().max(1e-12);
            tf.values_mut().for_each(|x| *x /= norm);
            tf
        })
        .collect()
}

fn cosine(a: &HashMap<String, f64>, b: &HashMap<String, f64>) -> f64 {
    a.iter().filter_map(|(k, x)| b.get(k).map(|y| x * y)).sum()
}

fn label(s: &str) -> Option<bool> {
    match s.trim().trim_end_matches(".0") {
        "1" => Some(true),
        "0" => Some(false),
        _ => None,
    }
}

/// Read the file and measure.
pub fn evaluate(path: &Path, c: &Columns) -> Result<ReplyEval> {
    let mut cols: Vec<&str> = vec![&c.title, &c.post, &c.reply, &c.received, &c.replied];
    cols.extend(c.explains.as_deref());
    cols.extend(c.relevant.as_deref());
    let rows = crate::ingest::read_columns(path, &cols)?;
    if rows.len() < 2 {
        return Err(Error::input(path, "needs two replies or more"));
    }
    let clean = crate::normalize::clean_text;
    let titles: Vec<String> = rows.iter().map(|r| clean(&r[0])).collect();
    let posts: Vec<String> = rows.iter().map(|r| clean(&r[1])).collect();
    let replies: Vec<String> = rows.iter().map(|r| clean(&r[2])).collect();
    let days: Vec<Option<i64>> = rows
        .iter()
        .map(|r| {
            let t = |s: &str| {
                let s = s.trim();
                crate::normalize::time::parse_timestamp(s)
                    .ok()
                    .or_else(|| s.parse::<f64>().ok().and_then(|v| crate::normalize::time::from_excel_serial(v).ok()))
            };
            t(&r[3]).zip(t(&r[4])).map(|(a, b)| (b - a).num_days())
        })
        .collect();
    let cases: Vec<String> = titles.iter().zip(&posts).map(|(t, p)| format!("{t} {p}")).collect();
    let rarity = Rarity::of(cases.iter().map(String::as_str).zip(replies.iter().map(String::as_str)));
    let n = rows.len();
    let review = |i: usize, reply: &str| score::review(&titles[i], &posts[i], reply, &rarity);
    let own: Vec<score::TextReview> = (0..n).map(|i| review(i, &replies[i])).collect();
    let scores: Vec<f64> = (0..n).map(|i| super::score(&own[i], days[i], super::REPLY_DAYS) as f64).collect();
    let mut e = ReplyEval { replies: n, ..Default::default() };
    for t in &own {
        for (k, _) in &t.flags {
            match e.flags.iter_mut().find(|(f, _)| f == k) {
                Some((_, m)) => *m += 1,
                None => e.flags.push((k.to_string(), 1)),
            }
        }
    }
    // the label columns follow the five text and date columns, in the order asked
    let explains_col = c.explains.as_ref().map(|_| 5);
    let relevant_col = c.relevant.as_ref().map(|_| 5 + usize::from(explains_col.is_some()));
    let against = |col: usize, value: &dyn Fn(usize) -> f64| -> Option<f64> {
        let (s, y): (Vec<f64>, Vec<bool>) = (0..n).filter_map(|i| label(&rows[i][col]).map(|y| (value(i), y))).unzip();
        auc(&s, &y)
    };
    if let Some(k) = explains_col {
        e.score_auc = against(k, &|i| scores[i]);
        e.length_auc = against(k, &|i| replies[i].chars().count() as f64);
    }
    if let Some(k) = relevant_col {
        e.relevance_auc = against(k, &|i| own[i].relevance);
    }
    // own reply against the reply of the most similar other case
    let both: Vec<String> = cases.iter().chain(&replies).cloned().collect();
    let mut v = tfidf(&both);
    let vr = v.split_off(n);
    let vc = v;
    let (mut rel, mut cos, mut y) = (vec![], vec![], vec![]);
    for i in 0..n {
        let other = (0..n)
            .filter(|&j| j != i)
            .max_by(|&a, &b| cosine(&vc[i], &vc[a]).total_cmp(&cosine(&vc[i], &vc[b])).then(b.cmp(&a)))
            .expect("two rows or more");
        rel.extend([own[i].relevance, review(i, &replies[other]).relevance]);
        cos.extend([cosine(&vc[i], &vr[i]), cosine(&vc[i], &vr[other])]);
        y.extend([true, false]);
    }
    e.relevance_swap_auc = auc(&rel, &y);
    e.cosine_swap_auc = auc(&cos, &y);
    e.flags.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let extra = rows[0].len() - 5;
    e.rows = (0..n)
        .map(|i| {
            let t = &own[i];
            let flags: Vec<String> = t.flags.iter().map(|(k, v)| format!("{k}: {v}")).collect();
            format!(
                "{}\t{}\t{:.2}\t{:.2}\t{:.2}\t{}\t{}",
                rows[i][5..5 + extra].join("/"),
                scores[i],
                t.relevance,
                t.completeness,
                t.explanation,
                titles[i],
                flags.join(" | ")
            )
        })
        .collect();
    Ok(e)
}
