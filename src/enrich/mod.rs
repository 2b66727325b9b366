//! The text stages over the warehouse: `cases` → `enriched`.
//!
//! Input columns: case_id, source, title, content, category_given, region_county,
//! region_town. Output: one `enriched` row per case (schema in `schema.rs`): jieba
//! tokens (joining back to `title + " " + content`), keywords (TF-IDF with document
//! frequencies from an even sample of up to 20,000 of this warehouse's cases), topic (focus topic and matter, national
//! class, confidence, deciding terms, lead department), entities and the key entity,
//! threat-language hits with spans (asserted only), and 属地 filled from the text with
//! the gazetteer where the export left it empty. Rewrites the whole table each run.

pub mod increment;
pub mod sql;

pub use sql::{enrich_with, udf};

use rustc_hash::FxHashMap as HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, Float64Array, ListBuilder, StringArray, StringBuilder};
use arrow::record_batch::RecordBatch;
use rayon::prelude::*;

use self::increment::DfState;
use crate::classify::{Lexicon, TextModel, Topics};
use crate::entities::{self, Gazetteer};
use crate::schema::{cases, enriched_schema, table};
use crate::text::{Segmenter, ThreatStatus, find_threats};
use crate::warehouse::{Warehouse, read_parts, read_table_columns};
use crate::{Error, Result};

/// Keywords kept per case.
const KEYWORDS: usize = 5;
/// Cases sampled for the document frequencies of keywords.
const DF_SAMPLE: usize = 20_000;

/// Where the text stages find their resources.
#[derive(Debug, Clone, Default)]
pub struct EnrichConfig {
    /// A focus-topic model from `minqing train`; lexicon rules alone when `None`.
    pub focus_model: Option<PathBuf>,
    /// A gazetteer CSV (kind,name,town,county).
    pub gazetteer: Option<PathBuf>,
}

impl EnrichConfig {
    /// The models folder's `focus-model.json` and `gazetteer.csv`, where present.
    pub fn from_models_dir(models: &Path, gazetteer: Option<PathBuf>) -> EnrichConfig {
        let model = models.join("focus-model.json");
        let gaz = gazetteer.or_else(|| Some(models.join("gazetteer.csv")).filter(|p| p.exists()));
        EnrichConfig { focus_model: model.exists().then_some(model), gazetteer: gaz }
    }
}

#[derive(Debug, Clone, Default)]
pub struct EnrichReport {
    pub cases: usize,
    pub seconds: f64,
    pub with_model: bool,
    pub with_gazetteer: bool,
    pub threats: usize,
    pub regions_filled: usize,
    pub topics: Vec<(String, usize)>,
    /// How much was enriched and why (first run, drift, up to date).
    pub note: Option<String>,
}

impl EnrichReport {
    /// Cases per focus topic, most first (ties by name).
    pub(crate) fn set_topics(&mut self, counts: HashMap<String, usize>) {
        self.topics = counts.into_iter().collect();
        self.topics.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    }
}

impl std::fmt::Display for EnrichReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "enriched {} cases in {:.1}s ({:.0}/s); topics by {}; gazetteer {}",
            self.cases,
            self.seconds,
            self.cases as f64 / self.seconds.max(1e-9),
            if self.with_model {
                "the focus model and lexicons"
            } else {
                "lexicons alone (no models/focus-model.json)"
            },
            if self.with_gazetteer { "used" } else { "none" }
        )?;
        writeln!(f, "  cases with threat language: {}; 属地 filled from text: {}", self.threats, self.regions_filled)?;
        let t: Vec<String> = self.topics.iter().map(|(k, n)| format!("{k} {n}")).collect();
        write!(f, "  focus topics: {}", t.join(", "))?;
        if let Some(n) = &self.note {
            write!(f, "\n  {n}")?;
        }
        Ok(())
    }
}

struct Row {
    /// `title + " " + content`, and where each of jieba's pieces of it ends (bytes).
    whole: String,
    piece_ends: Vec<u32>,
    keywords: Vec<String>,
    topic: crate::classify::Topic,
    entities: Vec<String>,
    entity_key: Option<String>,
    amount: Option<f64>,
    threats: Vec<String>,
    county: Option<String>,
    town: Option<String>,
    filled: bool,
    /// The near-duplicate sketch of `whole`.
    sketch: Option<[u32; crate::cluster::minhash::K]>,
}

impl Row {
    /// Threat language, not only history (labels are `kind:term@s-e`).
    fn has_threat(&self) -> bool {
        self.threats
            .iter()
            .any(|l| crate::model::ThreatLabel::parse(l).is_some_and(|t| crate::model::is_threat_kind(t.kind)))
    }
}

/// What the text stages need besides the cases: dictionary, lexicons, topic rules, the
/// focus model, the gazetteer and the keyword document frequencies, loaded once and shared
/// by every batch (and, on a cluster, by every task of an executor).
pub struct Enricher {
    lex: Lexicon,
    topics: Topics,
    model: Option<TextModel>,
    gaz: Gazetteer,
    own_seg: Option<Segmenter>,
    df: HashMap<String, u32>,
    n_docs: u32,
}

impl Enricher {
    /// Load the resources `cfg` names; document frequencies come later from [`Enricher::with_df`].
    pub fn load(cfg: &EnrichConfig) -> Result<Enricher> {
        let model = cfg.focus_model.as_deref().map(TextModel::load).transpose()?;
        let gaz = cfg.gazetteer.as_deref().map(Gazetteer::load).transpose()?.unwrap_or_default();
        let own_seg = if gaz.is_empty() { None } else { Some(Segmenter::with_words(None, gaz.names())?) };
        Ok(Enricher {
            lex: Lexicon::builtin(),
            topics: Topics::builtin(),
            model,
            gaz,
            own_seg,
            df: HashMap::default(),
            n_docs: 0,
        })
    }

    /// Keyword document frequencies over `n_docs` sampled cases.
    pub fn with_df(mut self, df: HashMap<String, u32>, n_docs: u32) -> Enricher {
        (self.df, self.n_docs) = (df, n_docs);
        self
    }

    /// Whether a (non-empty) gazetteer is in use.
    pub fn has_gazetteer(&self) -> bool {
        self.own_seg.is_some()
    }

    pub fn segmenter(&self) -> &Segmenter {
        self.own_seg.as_ref().unwrap_or_else(|| Segmenter::builtin())
    }

    /// The text stages over one batch of cases (the columns of [`CASE_COLUMNS`], as Utf8).
    fn rows(&self, b: &RecordBatch) -> Result<Vec<Row>> {
        let s = |name: &str| -> Result<StringArray> {
            let c = b
                .column_by_name(name)
                .ok_or_else(|| Error::Schema(format!("the text stages need the cases column `{name}`")))?;
            Ok(arrow::compute::cast(c, &arrow::datatypes::DataType::Utf8)?.as_string::<i32>().clone())
        };
        let (title, content, given, county, town) = (
            s(cases::TITLE)?,
            s(cases::CONTENT)?,
            s(cases::CATEGORY_GIVEN)?,
            s(cases::REGION_COUNTY)?,
            s(cases::REGION_TOWN)?,
        );
        let (lex, topics, model, gaz, seg) = (&self.lex, &self.topics, &self.model, &self.gaz, self.segmenter());
        let (df, n_docs) = (&self.df, self.n_docs);
        Ok((0..b.num_rows())
            .into_par_iter()
            .map(|i| {
                let t = opt(&title, i).unwrap_or("");
                let c = opt(&content, i).unwrap_or("");
                let whole = format!("{t} {c}");
                let pieces = seg.cut(&whole);
                let title_len = t.len();
                let mut byte = 0;
                let (mut tt, mut ct) = (vec![], vec![]);
                // the pieces are kept as where they end: they join back to the text, so the
                // `tokens` column is the text itself cut at those points
                let mut piece_ends: Vec<u32> = Vec::with_capacity(pieces.len());
                for p in &pieces {
                    if seg.is_term(p) {
                        if byte < title_len { tt.push(*p) } else { ct.push(*p) }
                    }
                    byte += p.len();
                    piece_ends.push(byte as u32);
                }
                let hits = lex.hits(&whole);
                let pred = model.as_ref().map(|m| m.predict_terms(&tt, &ct, &hits, (t, c)));
                let topic = topics.decide(pred.as_ref(), &hits, opt(&given, i), &whole);
                let ents = entities::extract(&whole, gaz);
                let title_chars = t.chars().count();
                let ents_title: Vec<entities::Entity> =
                    ents.iter().filter(|e| e.start < title_chars).cloned().collect();
                let entity_key = entities::key_entity(&topic.focus_topic, &ents_title, &ents);
                let amount = ents
                    .iter()
                    .filter(|e| e.kind == "amount")
                    .filter_map(|e| e.name.parse::<f64>().ok())
                    .reduce(f64::max);
                let mut threats: Vec<String> = find_threats(&whole)
                    .into_iter()
                    .filter(|h| h.status == ThreatStatus::Asserted)
                    .map(|h| h.label())
                    .collect();
                if let Some(n) = crate::normalize::headcount_from_text(&whole).filter(|_| !threats.is_empty()) {
                    threats.push(format!("{}:{n}人@0-0", crate::text::threat::SIZE_KIND));
                }
                let (mut cty, mut twn) = (opt(&county, i).map(String::from), opt(&town, i).map(String::from));
                let mut filled = false;
                if cty.is_none()
                    && twn.is_none()
                    && let Some((cc, tw)) = gaz.region_in(&whole)
                {
                    (cty, twn, filled) = (Some(cc), Some(tw), true);
                }
                let terms: Vec<&str> = tt.iter().chain(&ct).copied().collect();
                let keywords = keywords(&terms, df, n_docs);
                drop((pieces, tt, ct, terms));
                Row {
                    sketch: crate::cluster::minhash::sketch(&whole),
                    whole,
                    piece_ends,
                    keywords,
                    topic,
                    entities: ents.iter().map(|e| e.label()).collect(),
                    entity_key,
                    amount,
                    threats,
                    county: cty,
                    town: twn,
                    filled,
                }
            })
            .collect())
    }

    /// One batch of cases → its `enriched` rows.
    pub fn enrich_batch(&self, b: &RecordBatch) -> Result<RecordBatch> {
        to_batch(b, &self.rows(b)?)
    }
}

/// The cases columns the text stages read.
pub const CASE_COLUMNS: [&str; 7] = [
    cases::CASE_ID,
    cases::SOURCE,
    cases::TITLE,
    cases::CONTENT,
    cases::CATEGORY_GIVEN,
    cases::REGION_COUNTY,
    cases::REGION_TOWN,
];

/// How much `enrich` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EnrichMode {
    /// Only cases added or changed since the last enrich, when its document frequencies go
    /// with these models and have not drifted; everything otherwise.
    #[default]
    Incremental,
    /// Every case, with the kept document frequencies unless they drifted.
    Full,
}

/// The text stages over every new or changed case ([`EnrichMode::Incremental`]).
pub fn enrich(wh: &Warehouse, cfg: &EnrichConfig) -> Result<EnrichReport> {
    enrich_mode(wh, cfg, EnrichMode::Incremental)
}

pub fn enrich_mode(wh: &Warehouse, cfg: &EnrichConfig, mode: EnrichMode) -> Result<EnrichReport> {
    let t0 = Instant::now();
    let enricher = Enricher::load(cfg)?;
    let prev = increment::load_state(wh, cfg)?;
    let note;
    let kept = match prev {
        Some((since, state)) => {
            let keys = increment::changed_keys(wh, since)?;
            if state.drift(keys.len()) > increment::DRIFT {
                note = Some(format!(
                    "document frequencies sampled again: {:.1}% of the cases sampled are new or changed since (bound {:.0}%)",
                    100.0 * state.drift(keys.len()),
                    100.0 * increment::DRIFT
                ));
                None
            } else if mode == EnrichMode::Incremental {
                let enricher = enricher.with_df(state.df(), state.n_docs);
                if let Some(report) = enrich_changed(wh, cfg, &enricher, since, &state, &keys, t0)? {
                    return Ok(report);
                }
                let state = DfState { changed_since: state.changed_since + keys.len() as u64, ..state };
                let mut report = enrich_all(wh, cfg, Enricher::load(cfg)?, Some(state), t0)?;
                report.note =
                    Some("enriched and cases disagreed on which cases exist: every case enriched again".into());
                return Ok(report);
            } else {
                note = None;
                Some(DfState { changed_since: state.changed_since + keys.len() as u64, ..state })
            }
        }
        None => {
            note = Some(if wh.last_commit_of(table::ENRICHED)?.is_some() {
                "the models or gazetteer changed since the last enrich (or it kept no frequencies): everything enriched"
                    .into()
            } else {
                "first enrich: every case".into()
            });
            None
        }
    };
    let mut report = enrich_all(wh, cfg, enricher, kept, t0)?;
    report.note = note;
    Ok(report)
}

/// Every case, with `kept` document frequencies or freshly sampled ones.
fn enrich_all(
    wh: &Warehouse,
    cfg: &EnrichConfig,
    enricher: Enricher,
    kept: Option<DfState>,
    t0: Instant,
) -> Result<EnrichReport> {
    let batches = read_table_columns(wh, table::CASES, Some(&CASE_COLUMNS))?;
    let mut report = EnrichReport {
        with_model: cfg.focus_model.is_some(),
        with_gazetteer: enricher.has_gazetteer(),
        ..Default::default()
    };
    let total: usize = batches.iter().map(|b| b.num_rows()).sum();
    let state = match kept {
        Some(s) => s,
        None => {
            let (df, n_docs) = sample_df(&batches, enricher.segmenter(), total);
            DfState::new(cfg, &df, n_docs, total as u64)?
        }
    };
    let enricher = enricher.with_df(state.df(), state.n_docs);
    let mut tx = wh.begin()?;
    let writer = tx.part_writer(table::ENRICHED)?.in_background(background_batch);
    let mut topic_counts: HashMap<String, usize> = HashMap::default();
    let progress = crate::progress::Progress::bar("enrich", total as u64, "cases");
    for b in &batches {
        if !enrich_into(&enricher, b, &writer, &mut report, &mut topic_counts)? {
            break; // the writer stopped on an error, which `finish` reports
        }
        progress.inc(b.num_rows() as u64);
    }
    drop(progress);
    let part = writer.finish()?;
    tx.replace_with(table::ENRICHED, part)?;
    increment::save_state(wh, tx.seq(), &state)?;
    let seq = tx.seq();
    tx.commit(
        "enrich",
        serde_json::json!({ "cases": report.cases, "focus_model": cfg.focus_model, "gazetteer": cfg.gazetteer }),
    )?;
    increment::prune_states(wh, seq);
    report.set_topics(topic_counts);
    report.seconds = t0.elapsed().as_secs_f64();
    Ok(report)
}

type Pending = (RecordBatch, Vec<Row>);

// Arrow building and Parquet encoding run on their own thread, so both cores stay on the text
fn background_batch((b, rows): Pending) -> Result<RecordBatch> {
    to_batch(&b, &rows)
}

/// Enrich one batch of cases and hand it to the writer; false when the writer stopped.
fn enrich_into(
    enricher: &Enricher,
    b: &RecordBatch,
    writer: &crate::warehouse::BackgroundPart<Pending>,
    report: &mut EnrichReport,
    topic_counts: &mut HashMap<String, usize>,
) -> Result<bool> {
    let rows = enricher.rows(b)?;
    for r in &rows {
        *topic_counts.entry(r.topic.focus_topic.clone()).or_default() += 1;
        report.threats += usize::from(r.has_threat());
        report.regions_filled += usize::from(r.filled);
    }
    report.cases += rows.len();
    Ok(writer.write((b.clone(), rows)))
}

/// Only the cases in `keys` (added or changed after commit `since`), with the kept
/// frequencies; the `enriched` files holding older rows of them are rewritten without those
/// rows. `None` when the tables disagree on which cases exist (the caller re-enriches all).
fn enrich_changed(
    wh: &Warehouse,
    cfg: &EnrichConfig,
    enricher: &Enricher,
    since: u64,
    state: &DfState,
    keys: &rustc_hash::FxHashSet<String>,
    t0: Instant,
) -> Result<Option<EnrichReport>> {
    let mut report = EnrichReport {
        with_model: cfg.focus_model.is_some(),
        with_gazetteer: enricher.has_gazetteer(),
        ..Default::default()
    };
    let case_files = wh.parts(table::CASES)?;
    let enriched_files = wh.parts(table::ENRICHED)?;
    if keys.is_empty() {
        if increment::rows_in(&case_files)? != increment::rows_in(&enriched_files)? {
            return Ok(None);
        }
        report.note = Some("up to date: no case added or changed since the last enrich".into());
        report.seconds = t0.elapsed().as_secs_f64();
        return Ok(Some(report));
    }
    // the new and changed cases are in the files the commits after `since` wrote
    let newer: Vec<PathBuf> =
        case_files.iter().filter(|p| increment::part_commit(p).is_none_or(|n| n > since)).cloned().collect();
    let mut changed = vec![];
    for b in read_parts(table::CASES, &newer, Some(&CASE_COLUMNS))? {
        let b = increment::filter_keys(&b, keys, true)?;
        if b.num_rows() > 0 {
            changed.push(b);
        }
    }
    // enriched files holding an older row of a changed case
    let mut touched = vec![];
    for f in &enriched_files {
        let kb = read_parts(table::ENRICHED, std::slice::from_ref(f), Some(&[cases::SOURCE, cases::CASE_ID]))?;
        if kb.iter().map(|b| increment::holds_any(b, keys)).collect::<Result<Vec<_>>>()?.into_iter().any(|x| x) {
            touched.push(f.clone());
        }
    }
    let mut tx = wh.begin()?;
    let mut kept_rows = 0u64;
    let mut part = tx.part_writer(table::ENRICHED)?;
    for b in read_parts(table::ENRICHED, &touched, None)? {
        let b = increment::filter_keys(&b, keys, false)?;
        kept_rows += b.num_rows() as u64;
        part.write(&b)?;
    }
    let writer = part.in_background(background_batch);
    let mut topic_counts: HashMap<String, usize> = HashMap::default();
    let progress = crate::progress::Progress::bar(
        "enrich",
        changed.iter().map(|b| b.num_rows() as u64).sum(),
        "new or changed cases",
    );
    for b in &changed {
        if !enrich_into(&enricher, b, &writer, &mut report, &mut topic_counts)? {
            break;
        }
        progress.inc(b.num_rows() as u64);
    }
    drop(progress);
    let part = writer.finish()?;
    // every case once: untouched files + kept rows + enriched now = cases
    let untouched: Vec<PathBuf> = enriched_files.iter().filter(|f| !touched.contains(f)).cloned().collect();
    let after = increment::rows_in(&untouched)? + kept_rows + report.cases as u64;
    if after != increment::rows_in(&case_files)? {
        return Ok(None); // the transaction is dropped: its part goes
    }
    let removed = touched.iter().filter_map(|f| f.file_name().map(|n| n.to_string_lossy().into_owned())).collect();
    tx.rewrite_with(table::ENRICHED, removed, part)?;
    let state = DfState { changed_since: state.changed_since + keys.len() as u64, ..state.clone() };
    increment::save_state(wh, tx.seq(), &state)?;
    let seq = tx.seq();
    tx.commit(
        "enrich",
        serde_json::json!({ "cases": report.cases, "incremental": true, "files_rewritten": touched.len(),
            "focus_model": cfg.focus_model, "gazetteer": cfg.gazetteer }),
    )?;
    increment::prune_states(wh, seq);
    report.note = Some(format!(
        "incremental: {} cases new or changed since commit {since}, {} enriched files rewritten, document frequencies {:.1}% drifted (bound {:.0}%)",
        keys.len(),
        touched.len(),
        100.0 * state.drift(0),
        100.0 * increment::DRIFT
    ));
    report.set_topics(topic_counts);
    report.seconds = t0.elapsed().as_secs_f64();
    Ok(Some(report))
}

fn opt(a: &StringArray, i: usize) -> Option<&str> {
    (!a.is_null(i)).then(|| a.value(i))
}

/// Document frequencies of terms over an even sample of the cases.
pub(crate) fn sample_df(batches: &[RecordBatch], seg: &Segmenter, total: usize) -> (HashMap<String, u32>, u32) {
    let step = total.div_ceil(DF_SAMPLE).max(1);
    let mut texts = vec![];
    let mut i = 0usize;
    for b in batches {
        let t = b.column_by_name(cases::TITLE).expect("projected").as_string::<i32>();
        let c = b.column_by_name(cases::CONTENT).expect("projected").as_string::<i32>();
        for r in 0..b.num_rows() {
            if i.is_multiple_of(step) {
                texts.push(format!("{} {}", opt(t, r).unwrap_or(""), opt(c, r).unwrap_or("")));
            }
            i += 1;
        }
    }
    let sets: Vec<Vec<String>> = texts
        .par_iter()
        .map(|t| {
            let mut v: Vec<String> = seg.terms(t).into_iter().map(String::from).collect();
            v.sort_unstable();
            v.dedup();
            v
        })
        .collect();
    let mut df: HashMap<String, u32> = HashMap::default();
    for set in &sets {
        for t in set {
            *df.entry(t.clone()).or_default() += 1;
        }
    }
    (df, sets.len() as u32)
}

/// The top terms by TF × IDF (ties by first appearance); single characters left out.
fn keywords(terms: &[&str], df: &HashMap<String, u32>, n: u32) -> Vec<String> {
    let mut tf: Vec<(&str, f64, usize)> = vec![];
    let mut at: HashMap<&str, usize> = HashMap::default();
    for (pos, &t) in terms.iter().enumerate() {
        if t.chars().count() < 2 {
            continue;
        }
        match at.get(t) {
            Some(&k) => tf[k].1 += 1.0,
            None => {
                at.insert(t, tf.len());
                tf.push((t, 1.0, pos));
            }
        }
    }
    let mut scored: Vec<(f64, usize, &str)> = tf
        .into_iter()
        .map(|(w, f, pos)| (f * ((1.0 + n as f64) / (1.0 + *df.get(w).unwrap_or(&0) as f64)).ln(), pos, w))
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.into_iter().take(KEYWORDS).map(|(_, _, w)| w.to_string()).collect()
}

/// A list-of-strings column, appended from borrowed strings (no copy per token).
fn list<'a>(values: impl Iterator<Item = &'a [String]>) -> ArrayRef {
    let mut b = ListBuilder::new(StringBuilder::new());
    for v in values {
        for s in v {
            b.values().append_value(s);
        }
        b.append(true);
    }
    Arc::new(b.finish())
}

/// The `tokens` column: each row's text cut where its pieces end (no copy per piece).
fn pieces_list(rows: &[Row]) -> Result<ArrayRef> {
    use arrow::buffer::{Buffer, OffsetBuffer, ScalarBuffer};
    let too_big = || Error::Internal("a batch of texts over 2 GB: cannot be one Arrow column".into());
    let mut bytes: Vec<u8> = Vec::with_capacity(rows.iter().map(|r| r.whole.len()).sum());
    let mut ends: Vec<i32> = Vec::with_capacity(1 + rows.iter().map(|r| r.piece_ends.len()).sum::<usize>());
    let mut lists: Vec<i32> = Vec::with_capacity(rows.len() + 1);
    ends.push(0);
    lists.push(0);
    for r in rows {
        if r.piece_ends.last().map_or(0, |&e| e as usize) != r.whole.len() {
            return Err(Error::Internal("jieba's pieces of a text do not join back to it".into()));
        }
        let base = bytes.len();
        bytes.extend_from_slice(r.whole.as_bytes());
        for &e in &r.piece_ends {
            ends.push(i32::try_from(base + e as usize).map_err(|_| too_big())?);
        }
        lists.push(i32::try_from(ends.len() - 1).map_err(|_| too_big())?);
    }
    let strings = StringArray::try_new(OffsetBuffer::new(ScalarBuffer::from(ends)), Buffer::from_vec(bytes), None)?;
    let field = Arc::new(arrow::datatypes::Field::new_list_field(arrow::datatypes::DataType::Utf8, true));
    Ok(Arc::new(arrow::array::ListArray::try_new(
        field,
        OffsetBuffer::new(ScalarBuffer::from(lists)),
        Arc::new(strings),
        None,
    )?))
}

fn to_batch(cases_batch: &RecordBatch, rows: &[Row]) -> Result<RecordBatch> {
    let col = |n: &str| -> Result<ArrayRef> {
        let c = cases_batch
            .column_by_name(n)
            .ok_or_else(|| Error::Schema(format!("the text stages need the cases column `{n}`")))?;
        Ok(arrow::compute::cast(c, &arrow::datatypes::DataType::Utf8)?)
    };
    let s = |f: &dyn Fn(&Row) -> Option<&str>| -> ArrayRef { Arc::new(rows.iter().map(f).collect::<StringArray>()) };
    let cols: Vec<ArrayRef> = vec![
        col(cases::CASE_ID)?,
        col(cases::SOURCE)?,
        pieces_list(rows)?,
        list(rows.iter().map(|r| r.keywords.as_slice())),
        s(&|r| Some(r.topic.l1.as_str())),
        s(&|r| Some(r.topic.l2.as_str())),
        s(&|r| Some(r.topic.focus_topic.as_str())),
        s(&|r| Some(r.topic.focus_sub.as_str())),
        Arc::new(rows.iter().map(|r| Some((r.topic.confidence * 1000.0).round() / 1000.0)).collect::<Float64Array>()),
        list(rows.iter().map(|r| r.topic.terms.as_slice())),
        s(&|r| Some(r.topic.lead.as_str())),
        list(rows.iter().map(|r| r.entities.as_slice())),
        s(&|r| r.entity_key.as_deref()),
        Arc::new(rows.iter().map(|r| r.amount).collect::<Float64Array>()),
        list(rows.iter().map(|r| r.threats.as_slice())),
        Arc::new(rows.iter().map(|r| Some(r.has_threat())).collect::<BooleanArray>()),
        s(&|r| r.county.as_deref()),
        s(&|r| r.town.as_deref()),
        Arc::new(
            rows.iter()
                // empty for a text too short to sketch (null is a row no sketch was made for)
                .map(|r| Some(r.sketch.as_ref().map(crate::cluster::minhash::to_bytes).unwrap_or_default()))
                .collect::<arrow::array::BinaryArray>(),
        ),
    ];
    Ok(RecordBatch::try_new(enriched_schema(), cols)?)
}
