//! Incremental enrich: only the cases an ingest added or changed since the last enrich.
//!
//! Keywords depend on document frequencies sampled over the warehouse's cases. A full
//! enrich saves them beside the table (`enriched/_df-NNNNNN.json`, NNNNNN its commit, with a
//! hash of the models and gazetteer they go with); the next enrich reuses them, so an
//! unchanged case keeps the same row and a new one gets the keywords a full re-enrich with
//! the same frequencies would give it. Cases new or changed since the sample are counted;
//! beyond [`DRIFT`] of the sampled cases the frequencies are sampled again and every case
//! is enriched anew (and the report says why).
//!
//! Which cases changed: `case_versions` rows of commits after the last enrich. They live in
//! the `cases` files written by those commits; the `enriched` files holding an older row of
//! a changed case are rewritten without it (copy-on-write), the others stay.

use std::path::{Path, PathBuf};

use arrow::array::{AsArray, BooleanArray};
use arrow::record_batch::RecordBatch;
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

use super::EnrichConfig;
use crate::schema::{case_versions, cases, table};
use crate::warehouse::Warehouse;
use crate::{Error, Result};

/// Share of the sampled cases that may be new or changed before the keyword document
/// frequencies are sampled again (and every case re-enriched).
pub const DRIFT: f64 = 0.10;

/// The document frequencies an enrich used, kept for the next one.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct DfState {
    /// BLAKE3 over minqing's version, the focus model and the gazetteer.
    pub resources: String,
    pub n_docs: u32,
    /// Cases in the warehouse when the frequencies were sampled.
    pub cases_at_sample: u64,
    /// Cases new or changed since then.
    pub changed_since: u64,
    pub terms: Vec<(String, u32)>,
}

impl DfState {
    pub fn new(cfg: &EnrichConfig, df: &FxHashMap<String, u32>, n_docs: u32, cases: u64) -> Result<DfState> {
        let mut terms: Vec<(String, u32)> = df.iter().map(|(t, n)| (t.clone(), *n)).collect();
        terms.sort_unstable();
        Ok(DfState { resources: resources(cfg)?, n_docs, cases_at_sample: cases, changed_since: 0, terms })
    }

    pub fn df(&self) -> FxHashMap<String, u32> {
        self.terms.iter().cloned().collect()
    }

    /// The share of sampled cases new or changed, with `more` changed now.
    pub fn drift(&self, more: usize) -> f64 {
        (self.changed_since + more as u64) as f64 / self.cases_at_sample.max(1) as f64
    }
}

/// What the frequencies were computed with: a different model or gazetteer (or minqing)
/// gives different rows, so nothing of an earlier enrich is reused.
fn resources(cfg: &EnrichConfig) -> Result<String> {
    let mut h = blake3::Hasher::new();
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    for p in [&cfg.focus_model, &cfg.gazetteer].into_iter().flatten() {
        h.update(&std::fs::read(p).map_err(|e| Error::io(p, e))?);
        h.update(b"\0");
    }
    Ok(h.finalize().to_hex()[..32].to_string())
}

/// The last enrich's commit and frequencies, when they go with `cfg`'s resources.
pub(crate) fn load_state(wh: &Warehouse, cfg: &EnrichConfig) -> Result<Option<(u64, DfState)>> {
    let Some(seq) = wh.last_commit_of(table::ENRICHED)? else { return Ok(None) };
    let path = wh.state_path(table::ENRICHED, "df", seq);
    let Ok(bytes) = std::fs::read(&path) else { return Ok(None) };
    let state: DfState = match serde_json::from_slice(&bytes) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!("{} is damaged ({e}); enriching everything", path.display());
            return Ok(None);
        }
    };
    Ok((state.resources == resources(cfg)?).then_some((seq, state)))
}

/// What the last enrich's keyword frequencies were sampled with and on (its resources and
/// sample): it changes when every case is enriched anew, not with a day's increment, so a
/// stage reading `enriched` can tell the two apart. Empty without a kept sample.
pub(crate) fn fingerprint(wh: &Warehouse) -> Result<String> {
    let Some(seq) = wh.last_commit_of(table::ENRICHED)? else { return Ok(String::new()) };
    let Ok(bytes) = std::fs::read(wh.state_path(table::ENRICHED, "df", seq)) else { return Ok(String::new()) };
    Ok(serde_json::from_slice::<DfState>(&bytes)
        .map(|s| format!("{} {} {}", s.resources, s.cases_at_sample, s.n_docs))
        .unwrap_or_default())
}

/// Keep `state` for the enrich committing as `seq` (written before that commit).
pub(crate) fn save_state(wh: &Warehouse, seq: u64, state: &DfState) -> Result<()> {
    wh.save_state(table::ENRICHED, "df", seq, &serde_json::to_vec(state).expect("frequencies serialize"))
}

/// Delete the frequencies of enrich commits before `seq`.
pub(crate) fn prune_states(wh: &Warehouse, seq: u64) {
    wh.prune_states(table::ENRICHED, "df", seq);
}

pub(crate) fn key(source: &str, case_id: &str) -> String {
    format!("{source}\u{1f}{case_id}")
}

/// The (source, case_id) of a `key`.
pub(crate) fn unkey(key: &str) -> Option<(&str, &str)> {
    key.split_once('\u{1f}')
}

/// Cases stored by commits after `since`: added or changed since then.
pub(crate) fn changed_keys(wh: &Warehouse, since: u64) -> Result<FxHashSet<String>> {
    use case_versions as v;
    let mut out = FxHashSet::default();
    for b in crate::warehouse::read_table_columns(wh, table::CASE_VERSIONS, Some(&[v::SOURCE, v::CASE_ID, v::COMMIT]))?
    {
        let s = b.column(0).as_string::<i32>();
        let c = b.column(1).as_string::<i32>();
        let n = b.column(2).as_primitive::<arrow::datatypes::Int64Type>();
        for i in 0..b.num_rows() {
            if u64::try_from(n.value(i)).is_ok_and(|n| n > since) {
                out.insert(key(s.value(i), c.value(i)));
            }
        }
    }
    Ok(out)
}

/// Rows of `b` whose (source, case_id) is (`keep` = true) or is not in `keys`.
pub(crate) fn filter_keys(b: &RecordBatch, keys: &FxHashSet<String>, keep: bool) -> Result<RecordBatch> {
    let col = |name: &str| {
        b.column_by_name(name)
            .map(|c| c.as_string::<i32>().clone())
            .ok_or_else(|| Error::Schema(format!("no `{name}` column where the changed cases are looked for")))
    };
    let (s, c) = (col(cases::SOURCE)?, col(cases::CASE_ID)?);
    let mask: BooleanArray =
        (0..b.num_rows()).map(|i| Some(keys.contains(&key(s.value(i), c.value(i))) == keep)).collect();
    Ok(arrow::compute::filter_record_batch(b, &mask)?)
}

/// Whether any row of `b` is a case in `keys`.
pub(crate) fn holds_any(b: &RecordBatch, keys: &FxHashSet<String>) -> Result<bool> {
    Ok(filter_keys(b, keys, true)?.num_rows() > 0)
}

/// The commit that wrote a part file (`part-NNNNNN.parquet`).
pub(crate) fn part_commit(path: &Path) -> Option<u64> {
    let name = path.file_name()?.to_str()?;
    // `part-000012.parquet`, or a later file of a split part: `part-000012_000002.parquet`
    name.strip_prefix("part-")?.strip_suffix(".parquet")?.split('_').next()?.parse().ok()
}

/// Rows in the files' Parquet footers (no data read).
pub(crate) fn rows_in(files: &[PathBuf]) -> Result<u64> {
    let mut n = 0;
    for f in files {
        let file = std::fs::File::open(f).map_err(|e| Error::io(f, e))?;
        let reader = parquet::file::serialized_reader::SerializedFileReader::new(file)?;
        n += parquet::file::reader::FileReader::metadata(&reader).file_metadata().num_rows() as u64;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_numbers_and_drift() {
        assert_eq!(part_commit(Path::new("x/part-000012.parquet")), Some(12));
        assert_eq!(part_commit(Path::new("x/part-000012_000003.parquet")), Some(12));
        assert_eq!(part_commit(Path::new("x/_df-000012.json")), None);
        let s =
            DfState { resources: String::new(), n_docs: 10, cases_at_sample: 1000, changed_since: 60, terms: vec![] };
        assert!(s.drift(40) <= DRIFT && s.drift(41) > DRIFT);
    }
}
