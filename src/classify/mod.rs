//! Classify: topics of each case.
//!
//! A learned linear model (multinomial logistic regression fitted with linfa) over
//! jieba terms, term bigrams and lexicon hits. `minqing train` fits one on any labelled
//! export with its own label set; `minqing eval classify` scores one on a truth file or
//! by stratified k-fold cross-validation.

pub mod eval;
pub mod lexicon;
pub mod model;
pub mod topics;

pub use eval::{Scores, cross_validate, stratified_folds};
pub use lexicon::Lexicon;
pub use model::{Doc, TextModel, TrainOptions};
pub use topics::{Topic, Topics};

use std::path::Path;

use rayon::prelude::*;

use crate::text::Segmenter;
use crate::{Error, Result};

/// Documents and labels from a labelled export. The first text column is read as the
/// title, the others as the body. Rows with an empty label are left out (and counted).
/// The documents and labels of a labelled export, with character bigrams at `char_ngrams`
/// (the weight the model is or will be fitted with).
pub fn labelled_docs(
    path: &Path,
    text_cols: &[String],
    label_col: &str,
    char_ngrams: f32,
) -> Result<(Vec<Doc>, Vec<String>, usize)> {
    if text_cols.is_empty() {
        return Err(Error::Usage("no text column named: name at least one column that holds the text".into()));
    }
    let mut cols: Vec<&str> = text_cols.iter().map(String::as_str).collect();
    cols.push(label_col);
    let rows = crate::ingest::read_columns(path, &cols)?;
    let n = text_cols.len();
    let kept: Vec<&Vec<String>> = rows.iter().filter(|r| !r[n].is_empty()).collect();
    let unlabelled = rows.len() - kept.len();
    let (seg, lex) = (Segmenter::builtin(), Lexicon::builtin());
    let docs: Vec<Doc> = kept
        .par_iter()
        .map(|r| {
            let (title, body) = if n == 1 { ("", r[0].clone()) } else { (r[0].as_str(), r[1..n].join(" ")) };
            Doc::new(seg, &lex, title, &body).with_chars(title, &body, char_ngrams)
        })
        .collect();
    let labels = kept.iter().map(|r| r[n].clone()).collect();
    Ok((docs, labels, unlabelled))
}
