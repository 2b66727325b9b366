//! The learned text classifier: multinomial logistic regression (linfa) over TF-IDF
//! weighted terms, term bigrams and lexicon hits.
//!
//! Features of a document: its terms (title terms counted twice: a title says what a
//! letter is about), adjacent-term bigrams, and `lex:<topic>` for each lexicon word of a
//! topic — so lexicon knowledge helps with little labelled data, and the model learns how
//! much it counts for the user's own labels. Weights are sublinear TF × IDF, L2-normalised.
//! The fitted model is a JSON file: labels, vocabulary, IDF, weights, intercepts.

use rustc_hash::FxHashMap as HashMap;
use std::path::Path;

use linfa::prelude::*;
use linfa_logistic::MultiLogisticRegression;
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

use super::lexicon::Lexicon;
use crate::text::Segmenter;
use crate::{Error, Result};

/// One labelled or unlabelled document, already cut.
#[derive(Debug, Clone, Default)]
pub struct Doc {
    pub features: HashMap<String, f32>,
}

impl Doc {
    pub fn new(seg: &Segmenter, lex: &Lexicon, title: &str, content: &str) -> Doc {
        let whole = format!("{title} {content}");
        Doc::from_terms(&seg.terms(title), &seg.terms(content), &lex.hits(&whole))
    }

    /// Add character bigrams of the Chinese text (`c:欠薪`), title counted twice, each at
    /// `weight` beside a word's 1. They carry what segmentation splits or misses (place
    /// names, new words, typos); nothing is added at weight 0.
    pub fn with_chars(mut self, title: &str, content: &str, weight: f32) -> Doc {
        if weight <= 0.0 {
            return self;
        }
        for (text, w) in [(title, 2.0 * weight), (content, weight)] {
            let cs: Vec<char> = text.chars().filter(|c| ('\u{4e00}'..='\u{9fff}').contains(c)).collect();
            for g in cs.windows(2) {
                *self.features.entry(format!("{CHARS}{}{}", g[0], g[1])).or_default() += w;
            }
        }
        self
    }

    /// From terms already cut and lexicon hits already found.
    pub fn from_terms(title: &[&str], content: &[&str], hits: &[(&str, &str, &str)]) -> Doc {
        let mut features: HashMap<String, f32> = HashMap::default();
        for (terms, weight) in [(title, 2.0f32), (content, 1.0)] {
            for t in terms {
                *features.entry((*t).to_string()).or_default() += weight;
            }
            for w in terms.windows(2) {
                *features.entry(format!("{}_{}", w[0], w[1])).or_default() += weight;
            }
        }
        for (topic, _, _) in hits {
            *features.entry(format!("lex:{topic}")).or_default() += 1.0;
        }
        Doc { features }
    }
}

/// The prefix of character-bigram features.
const CHARS: &str = "c:";

/// Settings for fitting.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// Weight of character bigrams beside words (0: words only). The model keeps it, so
    /// what predicts with the model builds the same features.
    pub char_ngrams: f32,
    /// L2 penalty.
    pub alpha: f64,
    pub max_iterations: u64,
    /// A feature must occur in this many training documents.
    pub min_df: usize,
    /// At most this many features (the most frequent), and at most `max_cells` matrix cells.
    pub max_features: usize,
    pub max_cells: usize,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            char_ngrams: 0.0,
            alpha: 0.005,
            max_iterations: 150,
            min_df: 2,
            max_features: 20_000,
            max_cells: 60_000_000,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TextModel {
    pub format: String,
    pub labels: Vec<String>,
    pub vocab: Vec<String>,
    pub idf: Vec<f32>,
    /// `weights[f * labels.len() + c]`: weight of feature f for class c.
    pub weights: Vec<f32>,
    pub intercept: Vec<f32>,
    pub trained_docs: usize,
    /// Weight of character bigrams the model was fitted with (0 in models without them).
    #[serde(default)]
    pub char_ngrams: f32,
    #[serde(skip)]
    index: HashMap<String, usize>,
    /// The character-bigram features by their two characters (`c:欠薪` under ('欠', '薪')).
    #[serde(skip)]
    char_index: HashMap<(char, char), usize>,
}

/// What the model says of one document.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    pub label: String,
    pub confidence: f64,
    /// The features that pushed most towards the label, strongest first.
    pub terms: Vec<String>,
}

const FORMAT: &str = "minqing-text-model-1";

impl TextModel {
    pub fn train(docs: &[Doc], labels: &[String], opts: &TrainOptions) -> Result<TextModel> {
        if docs.len() != labels.len() || docs.is_empty() {
            return Err(Error::Usage("training needs at least one labelled document".into()));
        }
        let mut classes: Vec<String> = labels.to_vec();
        classes.sort();
        classes.dedup();
        if classes.len() < 2 {
            return Err(Error::Usage(format!("training needs two labels or more; found only {:?}", classes)));
        }
        // vocabulary: features in at least min_df documents, the most frequent first
        let mut df: HashMap<&str, usize> = HashMap::default();
        for d in docs {
            for k in d.features.keys() {
                *df.entry(k.as_str()).or_default() += 1;
            }
        }
        let mut vocab: Vec<(&str, usize)> = df.into_iter().filter(|(_, n)| *n >= opts.min_df).collect();
        vocab.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let cap = opts.max_features.min(opts.max_cells / docs.len()).max(16);
        vocab.truncate(cap);
        let n = docs.len() as f32;
        let idf: Vec<f32> = vocab.iter().map(|(_, d)| ((1.0 + n) / (1.0 + *d as f32)).ln() + 1.0).collect();
        let vocab: Vec<String> = vocab.into_iter().map(|(k, _)| k.to_string()).collect();
        let mut model = TextModel {
            format: FORMAT.into(),
            labels: classes.clone(),
            index: HashMap::default(),
            char_index: HashMap::default(),
            vocab,
            idf,
            weights: vec![],
            intercept: vec![],
            trained_docs: docs.len(),
            char_ngrams: opts.char_ngrams,
        };
        model.build_index();
        let mut x = Array2::<f64>::zeros((docs.len(), model.vocab.len()));
        for (i, d) in docs.iter().enumerate() {
            for (f, v) in model.vectorize(d) {
                x[[i, f]] = v as f64;
            }
        }
        let y: Array1<usize> = labels.iter().map(|l| classes.binary_search(l).expect("label listed")).collect();
        let ds = Dataset::new(x, y);
        let fitted = MultiLogisticRegression::default()
            .alpha(opts.alpha)
            .max_iterations(opts.max_iterations)
            .fit(&ds)
            .map_err(|e| Error::Model(format!("fitting the classifier: {e}")))?;
        // linfa orders classes by its own labels; map them back to ours
        let order: Vec<usize> = fitted.classes().to_vec();
        let k = classes.len();
        let params = fitted.params();
        let mut weights = vec![0f32; model.vocab.len() * k];
        let mut intercept = vec![0f32; k];
        for (col, &class) in order.iter().enumerate() {
            intercept[class] = fitted.intercept()[col] as f32;
            for f in 0..model.vocab.len() {
                weights[f * k + class] = params[[f, col]] as f32;
            }
        }
        model.weights = weights;
        model.intercept = intercept;
        Ok(model)
    }

    /// The lookups from a feature's name (and a bigram's characters) to its number.
    fn build_index(&mut self) {
        self.index = self.vocab.iter().enumerate().map(|(i, v)| (v.clone(), i)).collect();
        self.char_index = self
            .vocab
            .iter()
            .enumerate()
            .filter_map(|(i, v)| {
                let mut cs = v.strip_prefix(CHARS)?.chars();
                let (a, b) = (cs.next()?, cs.next()?);
                cs.next().is_none().then_some(((a, b), i))
            })
            .collect();
    }

    /// Sparse TF-IDF vector of a document in this model's vocabulary.
    fn vectorize(&self, d: &Doc) -> Vec<(usize, f32)> {
        self.weigh(d.features.iter().filter_map(|(k, tf)| self.index.get(k).map(|&i| (i, *tf))))
    }

    /// Sublinear TF × IDF of (feature, count) pairs, in feature order, L2-normalised.
    fn weigh(&self, tf: impl Iterator<Item = (usize, f32)>) -> Vec<(usize, f32)> {
        let mut v: Vec<(usize, f32)> = tf.map(|(i, tf)| (i, (1.0 + tf.ln()) * self.idf[i])).collect();
        v.sort_by_key(|(i, _)| *i);
        let norm = v.iter().map(|(_, x)| x * x).sum::<f32>().sqrt();
        if norm > 0.0 {
            for (_, x) in &mut v {
                *x /= norm;
            }
        }
        v
    }

    /// What the model says of a text already cut, the same as `predict` of
    /// `Doc::from_terms(title, content, hits).with_chars(t, c, self.char_ngrams)`, without
    /// building the features the model does not know.
    pub fn predict_terms(
        &self,
        title: &[&str],
        content: &[&str],
        hits: &[(&str, &str, &str)],
        (t, c): (&str, &str),
    ) -> Prediction {
        let mut tf: HashMap<usize, f32> = HashMap::default();
        let mut key = String::with_capacity(64);
        let mut add = |key: &str, w: f32| {
            if let Some(&i) = self.index.get(key) {
                *tf.entry(i).or_default() += w;
            }
        };
        for (terms, weight) in [(title, 2.0f32), (content, 1.0)] {
            for t in terms {
                add(t, weight);
            }
            for w in terms.windows(2) {
                key.clear();
                key.push_str(w[0]);
                key.push('_');
                key.push_str(w[1]);
                add(&key, weight);
            }
        }
        for (topic, _, _) in hits {
            key.clear();
            key.push_str("lex:");
            key.push_str(topic);
            add(&key, 1.0);
        }
        if self.char_ngrams > 0.0 {
            for (text, w) in [(t, 2.0 * self.char_ngrams), (c, self.char_ngrams)] {
                let mut prev: Option<char> = None;
                for ch in text.chars().filter(|c| ('\u{4e00}'..='\u{9fff}').contains(c)) {
                    if let Some(i) = prev.and_then(|p| self.char_index.get(&(p, ch))) {
                        *tf.entry(*i).or_default() += w;
                    }
                    prev = Some(ch);
                }
            }
        }
        self.decide(self.weigh(tf.into_iter()))
    }

    pub fn predict(&self, d: &Doc) -> Prediction {
        self.decide(self.vectorize(d))
    }

    /// The label, its confidence and the strongest features of a weighed vector.
    fn decide(&self, v: Vec<(usize, f32)>) -> Prediction {
        let k = self.labels.len();
        let mut scores: Vec<f64> = self.intercept.iter().map(|&b| b as f64).collect();
        for &(f, x) in &v {
            for c in 0..k {
                scores[c] += (self.weights[f * k + c] * x) as f64;
            }
        }
        let max = scores.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let exp: Vec<f64> = scores.iter().map(|s| (s - max).exp()).collect();
        let sum: f64 = exp.iter().sum();
        let best = (0..k).max_by(|&a, &b| scores[a].total_cmp(&scores[b]).then(b.cmp(&a))).unwrap_or(0);
        let mut contrib: Vec<(f32, &str)> = v
            .iter()
            .map(|&(f, x)| (self.weights[f * k + best] * x, self.vocab[f].as_str()))
            .filter(|(c, name)| *c > 0.0 && !name.starts_with("lex:") && name.chars().count() > 1)
            .collect();
        contrib.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
        Prediction {
            label: self.labels[best].clone(),
            confidence: exp[best] / sum,
            terms: contrib.into_iter().take(5).map(|(_, t)| t.trim_start_matches(CHARS).replace('_', "")).collect(),
        }
    }

    pub fn save(&self, path: &Path) -> Result<()> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        let json = serde_json::to_vec(self).map_err(|e| Error::Model(e.to_string()))?;
        crate::warehouse::atomic_write(path, &json)
    }

    pub fn load(path: &Path) -> Result<TextModel> {
        let bytes = std::fs::read(path).map_err(|e| Error::input(path, e.to_string()))?;
        Self::from_json(&bytes).map_err(|e| Error::Model(format!("{}: {e}", path.display())))
    }

    pub fn from_json(bytes: &[u8]) -> std::result::Result<TextModel, String> {
        let mut m: TextModel = serde_json::from_slice(bytes).map_err(|e| format!("not a minqing model file ({e})"))?;
        if m.format != FORMAT {
            return Err(format!(
                "model format `{}`, this minqing reads `{FORMAT}`; retrain with `minqing train`",
                m.format
            ));
        }
        if m.weights.len() != m.vocab.len() * m.labels.len()
            || m.idf.len() != m.vocab.len()
            || m.intercept.len() != m.labels.len()
        {
            return Err("model file is inconsistent (sizes of vocab, idf, weights differ)".into());
        }
        m.build_index();
        Ok(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predicting_from_terms_is_predicting_the_doc() {
        let seg = Segmenter::builtin();
        let lex = Lexicon::builtin();
        let texts = [
            ("翡翠湾小区逾期交房", "我们是翡翠湾小区的业主，开发商承诺2024年6月交房，至今停工，要求退还首付"),
            ("", "来电人称其在永兴建筑劳务有限公司打工，老板拖欠工资三个月共计2.5万元，要求帮助讨薪"),
            ("投资平台暴雷", "聚财宝平台无法提现，本人投入20万元养老钱，要求公安立案追赃"),
            ("小区停工", "翡翠湾小区停工两年，业主要求交房"),
            ("", ""),
        ];
        let bundled =
            TextModel::load(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/models/focus-model.json"))).unwrap();
        // and a model with character bigrams, fitted on the texts themselves
        let docs: Vec<Doc> = texts[..4].iter().map(|(t, c)| Doc::new(seg, &lex, t, c).with_chars(t, c, 0.5)).collect();
        let labels: Vec<String> = ["房地产", "欠薪", "非法集资", "房地产"].map(String::from).to_vec();
        let opts = TrainOptions { char_ngrams: 0.5, min_df: 1, ..TrainOptions::default() };
        let with_chars = TextModel::train(&docs, &labels, &opts).unwrap();
        assert!(with_chars.vocab.iter().any(|v| v.starts_with(CHARS)));
        for model in [&bundled, &with_chars] {
            for (t, c) in texts {
                let (tt, ct) = (seg.terms(t), seg.terms(c));
                let hits = lex.hits(&format!("{t} {c}"));
                let doc = Doc::from_terms(&tt, &ct, &hits).with_chars(t, c, model.char_ngrams);
                assert_eq!(model.predict_terms(&tt, &ct, &hits, (t, c)), model.predict(&doc), "{t} {c}");
            }
        }
    }
}
