//! `minqing eval …` and `train`: each text stage measured against a truth file.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};

use super::{Ctx, Status};
use crate::ingest::IngestOptions;
use crate::warehouse::Warehouse;

#[derive(Debug, Subcommand)]
pub(super) enum EvalCommand {
    /// Accuracy, macro-F1, per-class precision/recall and the confusion matrix
    Classify(EvalClassifyArgs),
    /// AUC and precision at the top 50 of the escalation model and the rule score, on a time split
    Risk(EvalRiskArgs),
    /// Pairwise precision/recall/F1, ARI and NMI of `clusters` against a truth file
    Cluster(EvalClusterArgs),
    /// Precision and recall of the names found in posts against names labelled by hand
    Entities(EvalEntitiesArgs),
    /// AUC of the reply review's score against a 0/1 judgement (可解释性), and of its relevance:
    /// each case's own reply against the reply of the most similar other case
    Replies(EvalRepliesArgs),
}

#[derive(Debug, Args)]
pub(super) struct EvalClassifyArgs {
    /// A model from `minqing train`, scored on --truth
    #[arg(long, requires = "truth", conflicts_with_all = ["labels", "folds"])]
    model: Option<PathBuf>,
    /// Labelled file to score the model on
    #[arg(long)]
    truth: Option<PathBuf>,
    /// Labelled file to cross-validate on (with --folds)
    #[arg(long, requires = "folds")]
    labels: Option<PathBuf>,
    /// Stratified k-fold cross-validation
    #[arg(long)]
    folds: Option<usize>,
    #[arg(long, value_delimiter = ',', required = true)]
    text: Vec<String>,
    #[arg(long)]
    label: String,
    /// Seed of the fold assignment
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Fold of each labelled row, one number per line in row order (instead of --seed),
    /// e.g. the peer's folds from scripts/peer_folds.py
    #[arg(long, requires = "folds")]
    fold_file: Option<PathBuf>,
    #[arg(long, default_value_t = 0.005)]
    alpha: f64,
    /// Weight of character bigrams beside the words in the models fitted per fold (0: words only)
    #[arg(long, default_value_t = 0.5)]
    char_ngrams: f32,
}

#[derive(Debug, Args)]
pub(super) struct EvalRiskArgs {
    /// Generated sample folder (exports/ and truth.csv); ingested and enriched into
    /// the warehouse [default warehouse: DIR/warehouse] when that has no cases yet
    #[arg(long, value_name = "DIR")]
    input: PathBuf,
}

#[derive(Debug, Args)]
pub(super) struct EvalClusterArgs {
    /// CSV with case_id and group (or a generator truth.csv with incident_id), optionally source
    #[arg(long, value_name = "FILE")]
    truth: PathBuf,
    /// Count only clusters of these kinds (issue, routine, duplicate) [default: all]
    #[arg(long, value_delimiter = ',')]
    kinds: Vec<String>,
    /// Only the truth rows whose `split` column is this (dev, holdout, …) keep their group
    #[arg(long)]
    split: Option<String>,
}

#[derive(Debug, Args)]
pub(super) struct EvalEntitiesArgs {
    /// The posts (xlsx or csv)
    #[arg(long, value_name = "FILE")]
    posts: PathBuf,
    /// CSV with case_id, entities (`name:type|…`) and optionally split
    #[arg(long, value_name = "FILE")]
    truth: PathBuf,
    /// The posts' id column
    #[arg(long, default_value = "留言编号")]
    id: String,
    /// The text columns, joined
    #[arg(long, value_delimiter = ',', default_value = "留言主题,留言详情")]
    text: Vec<String>,
    /// Only truth rows whose `split` column is this
    #[arg(long)]
    split: Option<String>,
    /// Names the county knows (kind,name,town,county)
    #[arg(long, value_name = "FILE")]
    gazetteer: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(super) struct EvalRepliesArgs {
    /// Cases with their replies (xlsx or csv)
    #[arg(long, value_name = "FILE")]
    file: PathBuf,
    /// The columns: title, case text, reply, received, replied
    #[arg(long, value_delimiter = ',', default_value = "留言主题,留言详情,答复意见,留言时间,答复时间")]
    columns: Vec<String>,
    /// The 0/1 column saying the reply explains what was done and why
    #[arg(long, default_value = "可解释性")]
    explains: Option<String>,
    /// A 0/1 column saying the reply answers this case's matter
    #[arg(long)]
    relevant: Option<String>,
    /// Also list every reply: labels, score, relevance, completeness, explanation, title, flags
    #[arg(long)]
    rows: bool,
}

pub(super) fn eval(ctx: &Ctx, command: EvalCommand) -> anyhow::Result<Status> {
    match command {
        EvalCommand::Classify(a) => {
            let opts =
                crate::classify::TrainOptions { alpha: a.alpha, char_ngrams: a.char_ngrams, ..Default::default() };
            let (truth, predicted) = match (&a.model, &a.truth, &a.labels, a.folds) {
                (Some(model), Some(truth), _, _) => {
                    let model = crate::classify::TextModel::load(model)?;
                    let (docs, labels, _) =
                        crate::classify::labelled_docs(truth, &a.text, &a.label, model.char_ngrams)?;
                    let predicted = docs.iter().map(|d| model.predict(d).label).collect();
                    (labels, predicted)
                }
                (None, _, Some(file), Some(k)) if k >= 2 => {
                    let (docs, labels, _) = crate::classify::labelled_docs(file, &a.text, &a.label, a.char_ngrams)?;
                    let folds = match &a.fold_file {
                        Some(p) => read_folds(p, docs.len(), k)?,
                        None => crate::classify::stratified_folds(&labels, k, a.seed),
                    };
                    let predicted = crate::classify::cross_validate(&docs, &labels, &folds, k, &opts)?;
                    (labels, predicted)
                }
                _ => anyhow::bail!(crate::Error::Usage(
                    "give --model FILE --truth FILE, or --labels FILE --folds K (K ≥ 2)".into()
                )),
            };
            print!("{}", crate::classify::Scores::new(&truth, &predicted));
            Ok(Status::Ok)
        }
        EvalCommand::Risk(a) => {
            let wh = Warehouse::open(&ctx.warehouse(&a.input.join("warehouse")))?;
            if wh.parts(crate::schema::table::CASES)?.is_empty() {
                let rep = super::ingest(&wh, &[a.input.join("exports")], &IngestOptions::default())?;
                eprintln!("{rep}");
            }
            if wh.parts(crate::schema::table::ENRICHED)?.is_empty() {
                let gaz = Some(a.input.join("gazetteer.csv")).filter(|p| p.exists());
                let cfg = crate::enrich::EnrichConfig::from_models_dir(&ctx.models, gaz);
                eprintln!("{}", crate::enrich::enrich(&wh, &cfg)?);
            }
            println!("{}", crate::risk::evaluate(&wh, &ctx.models, &a.input.join("truth.csv"))?);
            Ok(Status::Ok)
        }
        EvalCommand::Cluster(a) => {
            let wh = Warehouse::open_read(&ctx.warehouse(Path::new("warehouse")))?;
            let kinds: Vec<&str> = a.kinds.iter().map(String::as_str).collect();
            let kinds = (!kinds.is_empty()).then_some(kinds.as_slice());
            println!("{}", crate::cluster::evaluate(&wh, &a.truth, kinds, a.split.as_deref())?);
            Ok(Status::Ok)
        }
        EvalCommand::Entities(a) => {
            let gaz = match &a.gazetteer {
                Some(p) => crate::entities::Gazetteer::load(p)?,
                None => crate::entities::Gazetteer::default(),
            };
            let e = crate::entities::eval::evaluate(&a.posts, &a.id, &a.text, &a.truth, a.split.as_deref(), &gaz)?;
            println!("{e}");
            Ok(Status::Ok)
        }
        EvalCommand::Replies(a) => {
            let [title, post, reply, received, replied] = <[String; 5]>::try_from(a.columns).map_err(|c| {
                crate::Error::Usage(format!(
                    "--columns needs five names (title, text, reply, received, replied), got {}",
                    c.len()
                ))
            })?;
            let cols = crate::review::eval::Columns {
                title,
                post,
                reply,
                received,
                replied,
                explains: a.explains.filter(|e| !e.is_empty()),
                relevant: a.relevant,
            };
            let e = crate::review::eval::evaluate(&a.file, &cols)?;
            if a.rows {
                println!("labels\tscore\trel\tcompl\texpl\ttitle\tflags");
                e.rows.iter().for_each(|r| println!("{r}"));
            }
            println!("{e}");
            Ok(Status::Ok)
        }
    }
}

#[derive(Debug, Args)]
pub(super) struct TrainArgs {
    /// Labelled export (xlsx, csv, jsonl)
    #[arg(long)]
    labels: PathBuf,
    /// Text column(s): the first is read as the title, the rest as the body
    #[arg(long, value_delimiter = ',', required = true)]
    text: Vec<String>,
    /// Label column
    #[arg(long)]
    label: String,
    /// Where to write the model (JSON)
    #[arg(long)]
    out: PathBuf,
    /// L2 penalty of the logistic regression
    #[arg(long, default_value_t = 0.005)]
    alpha: f64,
    /// Keep at most this many features (the most frequent)
    #[arg(long, default_value_t = 20_000)]
    max_features: usize,
    /// Weight of character bigrams beside the words (0: words only)
    #[arg(long, default_value_t = 0.5)]
    char_ngrams: f32,
}

pub(super) fn train(_: &Ctx, a: TrainArgs) -> anyhow::Result<Status> {
    let (docs, labels, unlabelled) = crate::classify::labelled_docs(&a.labels, &a.text, &a.label, a.char_ngrams)?;
    let opts = crate::classify::TrainOptions {
        alpha: a.alpha,
        max_features: a.max_features,
        char_ngrams: a.char_ngrams,
        ..Default::default()
    };
    let model = crate::classify::TextModel::train(&docs, &labels, &opts)?;
    model.save(&a.out)?;
    println!(
        "trained on {} documents ({} without a label left out): {} classes, {} features → {}",
        docs.len(),
        unlabelled,
        model.labels.len(),
        model.vocab.len(),
        a.out.display()
    );
    Ok(Status::Ok)
}

fn read_folds(path: &Path, n: usize, k: usize) -> anyhow::Result<Vec<usize>> {
    let text = std::fs::read_to_string(path).map_err(|e| crate::Error::input(path, e.to_string()))?;
    let folds: Vec<usize> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            l.trim().parse::<usize>().map_err(|_| crate::Error::input(path, format!("`{l}` is not a fold number")))
        })
        .collect::<Result<_, _>>()?;
    if folds.len() != n || folds.iter().any(|&f| f >= k) {
        anyhow::bail!(crate::Error::Usage(format!(
            "{}: {} fold numbers below {k} expected (one per labelled row), found {}",
            path.display(),
            n,
            folds.len()
        )));
    }
    Ok(folds)
}
