//! Classifier evaluation: accuracy, macro-F1, per-class precision and recall, confusion
//! matrix; on a truth file or by stratified k-fold cross-validation.

use std::fmt;

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use super::model::{Doc, TextModel, TrainOptions};
use crate::Result;

/// Scores of predictions against the truth.
#[derive(Debug, Clone, PartialEq)]
pub struct Scores {
    pub labels: Vec<String>,
    /// confusion[truth][predicted]
    pub confusion: Vec<Vec<u64>>,
}

impl Scores {
    pub fn new(truth: &[String], predicted: &[String]) -> Scores {
        let mut labels: Vec<String> = truth.iter().chain(predicted).cloned().collect();
        labels.sort();
        labels.dedup();
        let idx = |l: &String| labels.binary_search(l).expect("listed");
        let mut confusion = vec![vec![0u64; labels.len()]; labels.len()];
        for (t, p) in truth.iter().zip(predicted) {
            confusion[idx(t)][idx(p)] += 1;
        }
        Scores { labels, confusion }
    }

    pub fn accuracy(&self) -> f64 {
        let total: u64 = self.confusion.iter().flatten().sum();
        let right: u64 = (0..self.labels.len()).map(|i| self.confusion[i][i]).sum();
        if total == 0 { 0.0 } else { right as f64 / total as f64 }
    }

    /// (precision, recall, f1, support) of class i; 0 where undefined.
    pub fn class(&self, i: usize) -> (f64, f64, f64, u64) {
        let tp = self.confusion[i][i] as f64;
        let predicted: u64 = self.confusion.iter().map(|r| r[i]).sum();
        let support: u64 = self.confusion[i].iter().sum();
        let p = if predicted == 0 { 0.0 } else { tp / predicted as f64 };
        let r = if support == 0 { 0.0 } else { tp / support as f64 };
        let f = if p + r == 0.0 { 0.0 } else { 2.0 * p * r / (p + r) };
        (p, r, f, support)
    }

    /// Mean F1 over the classes present in the truth (as scikit-learn's macro average over
    /// true labels).
    pub fn macro_f1(&self) -> f64 {
        let present: Vec<usize> = (0..self.labels.len()).filter(|&i| self.class(i).3 > 0).collect();
        if present.is_empty() {
            return 0.0;
        }
        present.iter().map(|&i| self.class(i).2).sum::<f64>() / present.len() as f64
    }
}

impl fmt::Display for Scores {
    /// `name value` lines first (scripts read them), then the per-class table and the
    /// confusion matrix.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "accuracy {:.3}", self.accuracy())?;
        writeln!(f, "macro_f1 {:.3}", self.macro_f1())?;
        writeln!(f, "\n{:<16} {:>9} {:>9} {:>9} {:>8}", "class", "precision", "recall", "f1", "support")?;
        for (i, l) in self.labels.iter().enumerate() {
            let (p, r, f1, s) = self.class(i);
            writeln!(f, "{l:<16} {p:>9.3} {r:>9.3} {f1:>9.3} {s:>8}")?;
        }
        writeln!(f, "\nconfusion (rows: truth, columns: predicted, in the order above)")?;
        for (i, row) in self.confusion.iter().enumerate() {
            let cells: Vec<String> = row.iter().map(|n| format!("{n:>5}")).collect();
            writeln!(f, "{:<16}{}", self.labels[i], cells.join(""))?;
        }
        Ok(())
    }
}

/// Stratified k-fold folds: each class's documents are shuffled (seeded) and dealt out in
/// turn, so every fold holds every class in proportion.
pub fn stratified_folds(labels: &[String], k: usize, seed: u64) -> Vec<usize> {
    let mut fold = vec![0; labels.len()];
    let mut classes: Vec<&String> = labels.iter().collect();
    classes.sort();
    classes.dedup();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut offset = 0;
    for c in classes {
        let mut idx: Vec<usize> = (0..labels.len()).filter(|&i| &labels[i] == c).collect();
        idx.shuffle(&mut rng);
        for (j, i) in idx.into_iter().enumerate() {
            fold[i] = (j + offset) % k;
        }
        offset += 1;
    }
    fold
}

/// Out-of-fold predictions of a k-fold cross-validation; `folds[i]` is row i's fold.
pub fn cross_validate(
    docs: &[Doc],
    labels: &[String],
    folds: &[usize],
    k: usize,
    opts: &TrainOptions,
) -> Result<Vec<String>> {
    let per_fold: Vec<Result<Vec<(usize, String)>>> = (0..k)
        .into_par_iter()
        .map(|f| {
            let train: Vec<usize> = (0..docs.len()).filter(|&i| folds[i] != f).collect();
            let docs_t: Vec<Doc> = train.iter().map(|&i| docs[i].clone()).collect();
            let labels_t: Vec<String> = train.iter().map(|&i| labels[i].clone()).collect();
            let model = TextModel::train(&docs_t, &labels_t, opts)?;
            Ok((0..docs.len()).filter(|&i| folds[i] == f).map(|i| (i, model.predict(&docs[i]).label)).collect())
        })
        .collect();
    let mut out = vec![String::new(); docs.len()];
    for r in per_fold {
        for (i, l) in r? {
            out[i] = l;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn scores_by_hand() {
        // truth a a a b b c ; predicted a a b b c c
        let sc = Scores::new(&s(&["a", "a", "a", "b", "b", "c"]), &s(&["a", "a", "b", "b", "c", "c"]));
        assert!((sc.accuracy() - 4.0 / 6.0).abs() < 1e-12);
        // a: p 1, r 2/3, f 0.8 ; b: p 1/2, r 1/2, f 0.5 ; c: p 1/2, r 1, f 2/3
        let f = (0.8 + 0.5 + 2.0 / 3.0) / 3.0;
        assert!((sc.macro_f1() - f).abs() < 1e-12, "{}", sc.macro_f1());
        assert_eq!(sc.confusion, vec![vec![2, 1, 0], vec![0, 1, 1], vec![0, 0, 1]]);
    }

    #[test]
    fn folds_are_stratified_and_seeded() {
        let labels: Vec<String> = (0..50).map(|i| if i % 5 == 0 { "rare".into() } else { "common".into() }).collect();
        let f = stratified_folds(&labels, 5, 0);
        for k in 0..5 {
            let rare = (0..50).filter(|&i| f[i] == k && labels[i] == "rare").count();
            assert_eq!(rare, 2);
        }
        assert_eq!(f, stratified_folds(&labels, 5, 0));
        assert_ne!(f, stratified_folds(&labels, 5, 1));
    }
}
