//! The text stages as a DataFusion function, so they run wherever the query runs: partition
//! by partition in this process, or as tasks on the executors of a Ballista cluster.
//!
//! `minqing_enrich(plan, case_id, source, title, content, category_given, region_county,
//! region_town)` returns each case's `enriched` row as a struct. `plan` is the path of a
//! JSON file the driver writes into the warehouse — the focus model's and gazetteer's paths
//! and the keyword document frequencies of the driver's sample — so every executor builds
//! the same [`Enricher`] as the driver, once per plan, and the table equals a local
//! `minqing enrich` row for row. Executors must see the warehouse, the models and the
//! gazetteer at the same paths (a shared mount), as they already must for the Parquet parts.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Instant;

use arrow::array::{Array, AsArray, RecordBatch, StructArray};
use arrow::datatypes::{DataType, Field, Schema};
use datafusion::common::ScalarValue;
use datafusion::error::{DataFusionError, Result as DfResult};
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility};
use futures::StreamExt;
use rustc_hash::FxHashMap as HashMap;
use serde::{Deserialize, Serialize};

use super::{CASE_COLUMNS, EnrichConfig, EnrichReport, Enricher, sample_df};
use crate::schema::{cases, enriched, enriched_schema, table};
use crate::warehouse::{Engine, Warehouse, atomic_write, read_table_columns, register_all};
use crate::{Error, Result};

/// The function's name in SQL.
pub const FUNCTION: &str = "minqing_enrich";

/// Folder of the warehouse that holds the plans of running jobs.
const JOBS: &str = ".jobs";

/// What an executor needs to build the driver's [`Enricher`].
#[derive(Debug, Serialize, Deserialize)]
struct Plan {
    focus_model: Option<PathBuf>,
    gazetteer: Option<PathBuf>,
    /// Size and modification time of the model and gazetteer files: a retrained model at the
    /// same path is a new plan (with a new name), never an executor's cached one.
    stamps: Vec<Option<(u64, u128)>>,
    /// Document frequencies, sorted by term so the file (and its name) is deterministic.
    df: Vec<(String, u32)>,
    n_docs: u32,
}

impl Plan {
    fn new(cfg: &EnrichConfig, df: Vec<(String, u32)>, n_docs: u32) -> Result<Plan> {
        let absolute = |p: &Option<PathBuf>| -> Result<Option<PathBuf>> {
            p.as_ref().map(|p| std::path::absolute(p).map_err(|e| Error::io(p, e))).transpose()
        };
        let stamp = |p: &Option<PathBuf>| {
            let m = std::fs::metadata(p.as_ref()?).ok()?;
            Some((m.len(), m.modified().ok()?.duration_since(std::time::UNIX_EPOCH).ok()?.as_nanos()))
        };
        Ok(Plan {
            focus_model: absolute(&cfg.focus_model)?,
            gazetteer: absolute(&cfg.gazetteer)?,
            stamps: vec![stamp(&cfg.focus_model), stamp(&cfg.gazetteer)],
            df,
            n_docs,
        })
    }

    /// The plan's file name (from the hash of its content) and content.
    fn file(&self) -> Result<(String, Vec<u8>)> {
        let bytes = serde_json::to_vec(self).map_err(|e| Error::Internal(format!("writing the enrich plan: {e}")))?;
        let mut h = rustc_hash::FxHasher::default();
        bytes.hash(&mut h);
        Ok((format!("enrich-{:016x}.json", h.finish()), bytes))
    }

    fn enricher(&self) -> Result<Enricher> {
        let cfg = EnrichConfig { focus_model: self.focus_model.clone(), gazetteer: self.gazetteer.clone() };
        Ok(Enricher::load(&cfg)?.with_df(self.df.iter().cloned().collect(), self.n_docs))
    }
}

/// The `minqing_enrich` function, for registering in a session.
pub fn udf() -> ScalarUDF {
    ScalarUDF::new_from_impl(EnrichUdf { signature: Signature::any(1 + CASE_COLUMNS.len(), Volatility::Immutable) })
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct EnrichUdf {
    signature: Signature,
}

/// Enrichers by plan path; plans are named by the hash of their content, so a path never
/// changes meaning. A few are kept for an executor that serves several warehouses.
type Loaded = Vec<(String, Arc<Enricher>)>;
static LOADED: LazyLock<Mutex<Loaded>> = LazyLock::new(Mutex::default);
const KEEP_LOADED: usize = 4;

fn remember(plan_path: &str, e: Arc<Enricher>) {
    remember_in(&mut LOADED.lock().unwrap_or_else(|p| p.into_inner()), plan_path, e);
}

fn remember_in(loaded: &mut Loaded, plan_path: &str, e: Arc<Enricher>) {
    loaded.retain(|(p, _)| p != plan_path);
    loaded.insert(0, (plan_path.to_string(), e));
    loaded.truncate(KEEP_LOADED);
}

fn enricher_for(plan_path: &str) -> Result<Arc<Enricher>> {
    // held while loading, so the tasks of one executor load a plan once
    let mut loaded = LOADED.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((_, e)) = loaded.iter().find(|(p, _)| p == plan_path) {
        return Ok(e.clone());
    }
    let bytes = std::fs::read(plan_path).map_err(|e| {
        Error::Usage(format!(
            "executor on {}: cannot read the enrich plan {plan_path} ({e}); every executor must see the warehouse, \
             the models folder and the gazetteer at the same paths as the client (a shared mount)",
            hostname()
        ))
    })?;
    let plan: Plan = serde_json::from_slice(&bytes)
        .map_err(|e| Error::Usage(format!("{plan_path} is not a minqing enrich plan: {e}")))?;
    let e = Arc::new(plan.enricher()?);
    remember_in(&mut loaded, plan_path, e.clone());
    Ok(e)
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname").map_or_else(|_| "this machine".into(), |h| h.trim().into())
}

fn external(e: Error) -> DataFusionError {
    DataFusionError::External(Box::new(e))
}

impl ScalarUDFImpl for EnrichUdf {
    fn name(&self) -> &str {
        FUNCTION
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> DfResult<DataType> {
        Ok(DataType::Struct(enriched_schema().fields().clone()))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let plan = match &args.args[0] {
            ColumnarValue::Scalar(
                ScalarValue::Utf8(Some(p)) | ScalarValue::Utf8View(Some(p)) | ScalarValue::LargeUtf8(Some(p)),
            ) => p.clone(),
            other => {
                return Err(DataFusionError::Plan(format!(
                    "{FUNCTION}: the first argument is the path of an enrich plan, a string literal, not {}",
                    other.data_type()
                )));
            }
        };
        let enricher = enricher_for(&plan).map_err(external)?;
        let arrays = ColumnarValue::values_to_arrays(&args.args[1..])?;
        let fields: Vec<Field> =
            CASE_COLUMNS.iter().zip(&arrays).map(|(n, a)| Field::new(*n, a.data_type().clone(), true)).collect();
        let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)?;
        let out = enricher.enrich_batch(&batch).map_err(external)?;
        tracing::debug!(cases = out.num_rows(), pid = std::process::id(), "{FUNCTION}: enriched a batch");
        Ok(ColumnarValue::Array(Arc::new(StructArray::from(out))))
    }
}

/// The text stages in this process (`scheduler` `None`) or as a query on the engine it names
/// (`local`, `standalone`, a Ballista scheduler's address): `enrich` and `run --scheduler`.
pub fn enrich_with(wh: &Warehouse, cfg: &EnrichConfig, scheduler: Option<&str>) -> Result<EnrichReport> {
    let Some(addr) = scheduler else { return super::enrich(wh, cfg) };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Internal(format!("starting the query runtime: {e}")))?;
    rt.block_on(enrich_on(&Engine::from_scheduler(Some(addr)), wh, cfg))
}

/// `minqing enrich --scheduler …`: the text stages as one query on `engine`, each partition of
/// `cases` enriched where it is scanned; the driver samples the keyword frequencies and
/// writes the table. Same result as [`super::enrich`].
pub async fn enrich_on(engine: &Engine, wh: &Warehouse, cfg: &EnrichConfig) -> Result<EnrichReport> {
    if wh.parts(table::CASES)?.is_empty() {
        return super::enrich(wh, cfg); // nothing to spread: an empty table, as without --scheduler
    }
    let t0 = Instant::now();
    let local = Enricher::load(cfg)?;
    let texts = read_table_columns(wh, table::CASES, Some(&[cases::TITLE, cases::CONTENT]))?;
    let total: usize = texts.iter().map(|b| b.num_rows()).sum();
    let (df_map, n_docs) = sample_df(&texts, local.segmenter(), total);
    drop(texts);
    let mut df: Vec<(String, u32)> = df_map.iter().map(|(t, n)| (t.clone(), *n)).collect();
    df.sort_unstable();
    let plan = Plan::new(cfg, df, n_docs)?;
    let (name, bytes) = plan.file()?;
    let root = std::path::absolute(wh.root()).map_err(|e| Error::io(wh.root(), e))?;
    let jobs = root.join(JOBS);
    std::fs::create_dir_all(&jobs).map_err(|e| Error::io(&jobs, e))?;
    let plan_path = jobs.join(name);
    atomic_write(&plan_path, &bytes)?;
    let has_gazetteer = local.has_gazetteer();
    // the frequencies stay beside the table, so the next enrich can be incremental
    let state = super::increment::DfState::new(cfg, &df_map, n_docs, total as u64)?;
    // tasks in this process (`local`, `standalone`) use the driver's enricher, not a second load
    remember(&plan_path.to_string_lossy(), Arc::new(local.with_df(df_map, n_docs)));
    let result = run_plan(engine, wh, &plan_path, &state).await;
    let _ = std::fs::remove_file(&plan_path);
    let _ = std::fs::remove_dir(&jobs); // only when no other job's plan is there
    let mut report = result?;
    report.with_model = cfg.focus_model.is_some();
    report.with_gazetteer = has_gazetteer;
    report.note = Some(
        "every case, as a partitioned query (a run without a scheduler enriches only new and changed cases)".into(),
    );
    report.seconds = t0.elapsed().as_secs_f64();
    Ok(report)
}

async fn run_plan(
    engine: &Engine,
    wh: &Warehouse,
    plan_path: &Path,
    state: &super::increment::DfState,
) -> Result<EnrichReport> {
    let ctx = engine.context(&crate::warehouse::Functions::new([udf()])).await?;
    // plain Utf8 text, as the text stages read it, rather than views they would copy
    ctx.sql("SET datafusion.execution.parquet.schema_force_view_types = false").await?;
    // each partition reads only its own files, so taking the partitions in order gives the
    // rows in the order of `cases` (an idle partition would otherwise read a sibling's)
    ctx.sql("SET datafusion.execution.enable_file_stream_work_stealing = false").await?;
    register_all(&ctx, std::slice::from_ref(wh)).await?;
    // In this process the partitions come back in the order of `cases`, so the table is the
    // direct stage's row for row. A cluster returns them as its tasks finish: sorted there by
    // (source, case_id), the table is the same on every run (and `facts` joins by that key).
    let order = match engine {
        Engine::Local => String::new(),
        _ => format!(" ORDER BY {}, {}", cases::SOURCE, cases::CASE_ID),
    };
    let sql = format!(
        "SELECT {FUNCTION}('{}', {}) AS e, ({} IS NULL AND {} IS NULL) AS unplaced FROM {}{order}",
        plan_path.to_string_lossy().replace('\'', "''"),
        CASE_COLUMNS.join(", "),
        cases::REGION_COUNTY,
        cases::REGION_TOWN,
        table::CASES
    );
    let frame = ctx.sql(&sql).await.map_err(|e| engine.explain(e))?;
    let task = Arc::new(frame.task_ctx());
    let plan = frame.create_physical_plan().await.map_err(|e| engine.explain(e))?;
    tracing::debug!("enrich plan:\n{}", datafusion::physical_plan::displayable(plan.as_ref()).indent(true));
    let streams = datafusion::physical_plan::execute_stream_partitioned(plan, task).map_err(|e| engine.explain(e))?;
    let mut tx = wh.begin()?;
    // Parquet encoding on its own thread, while the next batch is enriched
    let writer = tx.part_writer(table::ENRICHED)?.in_background(Ok);
    let mut report = EnrichReport::default();
    let mut topic_counts: HashMap<String, usize> = HashMap::default();
    // every partition runs at once, each at most two batches ahead of the writer; the batches
    // are taken in partition order
    let mut partitions = vec![];
    for mut stream in streams {
        let (tx, rx) = tokio::sync::mpsc::channel(2);
        tokio::spawn(async move {
            while let Some(b) = stream.next().await {
                let failed = b.is_err();
                if tx.send(b).await.is_err() || failed {
                    break;
                }
            }
        });
        partitions.push(rx);
    }
    'read: for mut partition in partitions {
        while let Some(b) = partition.recv().await {
            let b = b.map_err(|e| engine.explain(e))?;
            let e: &StructArray = b.column(0).as_struct();
            let out = RecordBatch::try_new(enriched_schema(), e.columns().to_vec())?;
            let unplaced = b.column(1).as_boolean();
            let topic = out.column_by_name(enriched::FOCUS_TOPIC).expect("schema").as_string::<i32>();
            let threat = out.column_by_name(enriched::THREAT_TEXT).expect("schema").as_boolean();
            let county = out.column_by_name(enriched::REGION_COUNTY).expect("schema");
            let town = out.column_by_name(enriched::REGION_TOWN).expect("schema");
            for i in 0..out.num_rows() {
                *topic_counts.entry(topic.value(i).to_string()).or_default() += 1;
                report.threats += usize::from(threat.value(i));
                report.regions_filled += usize::from(unplaced.value(i) && (county.is_valid(i) || town.is_valid(i)));
            }
            report.cases += out.num_rows();
            if !writer.write(out) {
                break 'read; // the writer stopped on an error, which `finish` reports
            }
        }
    }
    let part = writer.finish()?;
    tx.replace_with(table::ENRICHED, part)?;
    super::increment::save_state(wh, tx.seq(), state)?;
    let seq = tx.seq();
    tx.commit("enrich", serde_json::json!({ "cases": report.cases, "engine": format!("{engine:?}") }))?;
    super::increment::prune_states(wh, seq);
    report.set_topics(topic_counts);
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_the_executor_cannot_see_says_why() {
        let err = enricher_for("/nonexistent/warehouse/.jobs/enrich-0.json").err().unwrap().to_string();
        assert!(err.contains("cannot read the enrich plan") && err.contains("same paths"), "{err}");
    }

    #[test]
    fn a_changed_model_file_is_a_new_plan() {
        let tmp = tempfile::tempdir().unwrap();
        let model = tmp.path().join("focus-model.json");
        std::fs::write(&model, "{}").unwrap();
        let cfg = EnrichConfig { focus_model: Some(model.clone()), gazetteer: None };
        let df = || vec![("工资".to_string(), 3)];
        let name = || Plan::new(&cfg, df(), 10).unwrap().file().unwrap().0;
        let first = name();
        assert_eq!(name(), first, "the same inputs name the same plan");
        std::fs::write(&model, "{\"retrained\": true}").unwrap();
        assert_ne!(name(), first, "a retrained model at the same path");
        assert_ne!(Plan::new(&cfg, df(), 11).unwrap().file().unwrap().0, name(), "other frequencies");
    }
}
