//! The dashboard's reading of the warehouse: every table registered in one DataFusion
//! session, plus `v`, the case view (one row per case: its own fields with the topic,
//! 属地, risk and deadline the stages found), built once per warehouse state and kept in
//! memory. A request checks the tables' Delta logs (a directory listing, at most once a
//! second) and rebuilds when `run` or `ingest` has committed since: the dashboard shows
//! a new run without a restart.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow::datatypes::DataType;
use chrono::NaiveDate;
use datafusion::common::JoinType;
use datafusion::datasource::MemTable;
use datafusion::functions::expr_fn::coalesce;
use datafusion::functions_aggregate::expr_fn::max;
use datafusion::logical_expr::{cast, when};
use datafusion::prelude::{DataFrame, Expr, SessionConfig, SessionContext, col, lit};

use crate::schema::{self, table};
use crate::warehouse::{Warehouse, register_all};
use crate::{Error, Result};

/// Columns of the case view `v`.
pub const SOURCE: &str = "source";
pub const CASE_ID: &str = "case_id";
pub const RECEIVED_AT: &str = "received_at";
/// The day received (Date32), for trends and period filters.
pub const DAY: &str = "day";
pub const TITLE: &str = "title";
pub const CHANNEL: &str = "channel";
pub const REGION_COUNTY: &str = "region_county";
/// 问题属地: the export's, else what the text named, else 未知.
pub const REGION_TOWN: &str = "region_town";
/// The department the case is assigned to.
pub const DEPT: &str = "dept";
pub const FOCUS_TOPIC: &str = "focus_topic";
pub const FOCUS_SUB: &str = "focus_sub";
pub const LEVEL: &str = "level";
pub const SCORE: &str = "score";
pub const PERSON_KEY: &str = "person_key";
/// 人次: the head count, 1 when unknown.
pub const PEOPLE: &str = "people";
/// 正常, 临期, 到期, 逾期 (open cases with a deadline only).
pub const DEADLINE: &str = "deadline";
pub const DAYS_LEFT: &str = "days_left";
pub const DUE_ON: &str = "due_on";
pub const CLOSED_AT: &str = "closed_at";
pub const SATISFACTION: &str = "satisfaction";
pub const LEAD_DEPT: &str = "lead_dept";
pub const ENTITY_KEY: &str = "entity_key";

/// One reading of the warehouse.
pub struct Snapshot {
    pub ctx: SessionContext,
    /// The newest day any case was received: "today" for default periods.
    pub latest: Option<NaiveDate>,
    root: PathBuf,
    /// `metrics`, read once per snapshot when a page first asks (质效, 异动).
    metrics: tokio::sync::OnceCell<Arc<Vec<crate::model::Metric>>>,
}

impl Snapshot {
    /// Every figure of `metrics` in this reading of the warehouse.
    pub async fn metrics(&self) -> Result<Arc<Vec<crate::model::Metric>>> {
        self.metrics
            .get_or_try_init(|| async {
                let root = self.root.clone();
                let read = tokio::task::spawn_blocking(move || {
                    crate::facts::tables::read_metrics(&Warehouse::open_read(&root)?)
                });
                let m = read.await.map_err(|e| Error::Internal(format!("metrics reader: {e}")))??;
                Ok(Arc::new(m))
            })
            .await
            .cloned()
    }

    /// The case view, unscoped: only [`super::scope::Scope::cases`] may call this.
    pub(super) async fn view(&self) -> Result<DataFrame> {
        Ok(self.ctx.table("v").await?)
    }

    /// A warehouse table (empty in its schema when the warehouse has none yet).
    pub async fn table(&self, name: &str) -> Result<DataFrame> {
        Ok(self.ctx.table(name).await?)
    }
}

/// The warehouse behind the dashboard, with the snapshot of its last state.
pub struct Data {
    root: PathBuf,
    state: tokio::sync::Mutex<Cached>,
}

#[derive(Default)]
struct Cached {
    stamp: Option<u64>,
    checked: Option<Instant>,
    snapshot: Option<Arc<Snapshot>>,
}

impl Data {
    pub fn new(root: &Path) -> Result<Self> {
        Warehouse::open_read(root)?;
        Ok(Data { root: root.to_path_buf(), state: Default::default() })
    }

    /// The current snapshot, rebuilt when the warehouse changed since the last one.
    pub async fn snapshot(&self) -> Result<Arc<Snapshot>> {
        let mut st = self.state.lock().await;
        let fresh = st.checked.is_some_and(|t| t.elapsed() < Duration::from_secs(1));
        if let (true, Some(s)) = (fresh, &st.snapshot) {
            return Ok(s.clone());
        }
        let stamp = log_stamp(&self.root)?;
        st.checked = Some(Instant::now());
        if st.stamp == Some(stamp)
            && let Some(s) = &st.snapshot
        {
            return Ok(s.clone());
        }
        let root = self.root.clone();
        let snap = Arc::new(build(&root).await?);
        tracing::info!("dashboard: read the warehouse at {}", root.display());
        st.stamp = Some(stamp);
        st.snapshot = Some(snap.clone());
        Ok(snap)
    }
}

/// A fingerprint of every table's Delta log (file names and sizes): changes with each commit.
fn log_stamp(root: &Path) -> Result<u64> {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for t in table::ALL {
        let log = root.join(t).join("_delta_log");
        let Ok(rd) = std::fs::read_dir(&log) else { continue };
        let mut names: Vec<(String, u64)> = rd
            .filter_map(|e| e.ok())
            .map(|e| (e.file_name().to_string_lossy().into_owned(), e.metadata().map(|m| m.len()).unwrap_or(0)))
            .collect();
        names.sort();
        (t, names).hash(&mut h);
    }
    if !root.is_dir() {
        return Err(Error::Warehouse { path: root.to_path_buf(), reason: "the warehouse folder is gone".into() });
    }
    Ok(h.finish())
}

async fn build(root: &Path) -> Result<Snapshot> {
    // filters pushed into the Parquet scan: one case's text is read without decoding every
    // other case's
    let config = SessionConfig::new().set_bool("datafusion.execution.parquet.pushdown_filters", true);
    let ctx = SessionContext::new_with_config(config);
    let wh = Warehouse::open_read(root)?;
    let registered = tokio::task::block_in_place(|| {
        tokio::runtime::Handle::current().block_on(register_all(&ctx, std::slice::from_ref(&wh)))
    })?;
    crate::warehouse::register_empty(&ctx, &registered)?;
    // newest first, as every list shows them: a list's sort and limit then read only the
    // rows they return
    let order =
        || vec![col(RECEIVED_AT).sort(false, true), col(SOURCE).sort(true, true), col(CASE_ID).sort(true, true)];
    let view = case_view(&ctx).await?.sort(order())?;
    let schema = Arc::new(view.schema().as_arrow().clone());
    let batches = view.collect().await?;
    let table = MemTable::try_new(schema, vec![batches])?.with_sort_order(vec![order()]);
    ctx.register_table("v", Arc::new(table))?;
    let latest = latest_day(&ctx.table("v").await?).await?;
    Ok(Snapshot { ctx, latest, root: root.to_path_buf(), metrics: Default::default() })
}

async fn latest_day(view: &DataFrame) -> Result<Option<NaiveDate>> {
    let b = view.clone().aggregate(vec![], vec![max(col(DAY)).alias("d")])?.collect().await?;
    Ok(b.first().and_then(|b| {
        use arrow::array::{Array, AsArray};
        let a = b.column(0).as_primitive::<arrow::datatypes::Date32Type>();
        (a.len() > 0 && !a.is_null(0)).then(|| a.value_as_date(0)).flatten()
    }))
}

/// Rename every column of `df` but the join keys with a prefix, so a join has no clash.
fn prefixed(df: DataFrame, prefix: &str, keep: &[&str]) -> Result<DataFrame> {
    let exprs: Vec<Expr> = df
        .schema()
        .fields()
        .iter()
        .filter(|f| keep.contains(&f.name().as_str()))
        .map(|f| col(f.name()).alias(format!("{prefix}{}", f.name())))
        .collect();
    Ok(df.select(exprs)?)
}

/// cases ⟕ enriched ⟕ risk ⟕ deadlines on (source, case_id), narrowed to what the pages show.
async fn case_view(ctx: &SessionContext) -> Result<DataFrame> {
    use schema::{cases as c, deadlines as d, enriched as e, risk as r};
    let keys = [c::SOURCE, c::CASE_ID];
    let cases = ctx.table(table::CASES).await?;
    let enriched = prefixed(
        ctx.table(table::ENRICHED).await?,
        "e_",
        &[e::SOURCE, e::CASE_ID, e::FOCUS_TOPIC, e::FOCUS_SUB, e::REGION_TOWN, e::LEAD_DEPT, e::ENTITY_KEY],
    )?;
    let risk = prefixed(ctx.table(table::RISK).await?, "r_", &[r::SOURCE, r::CASE_ID, r::LEVEL, r::SCORE])?;
    let deadlines = prefixed(
        ctx.table(table::DEADLINES).await?,
        "d_",
        &[d::SOURCE, d::CASE_ID, d::STATE, d::DAYS_LEFT, d::DUE_AT],
    )?;
    let on = |p: &str| [format!("{p}{}", c::SOURCE), format!("{p}{}", c::CASE_ID)];
    let join = |l: DataFrame, r: DataFrame, p: &str| -> Result<DataFrame> {
        let rk = on(p);
        Ok(l.join(r, JoinType::Left, &keys, &[rk[0].as_str(), rk[1].as_str()], None)?)
    };
    let df = join(join(join(cases, enriched, "e_")?, risk, "r_")?, deadlines, "d_")?;
    let headcount = col(c::HEADCOUNT);
    // the columns every filter compares, dictionary-encoded: a comparison over a million
    // cases then looks at a few dozen distinct names, not a million strings
    let dict = |e: Expr, name: &str| {
        cast(e, DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))).alias(name)
    };
    Ok(df.select(vec![
        dict(col(c::SOURCE), SOURCE),
        col(c::CASE_ID),
        col(c::RECEIVED_AT),
        cast(col(c::RECEIVED_AT), DataType::Date32).alias(DAY),
        col(c::TITLE),
        dict(col(c::CHANNEL), CHANNEL),
        dict(col(c::REGION_COUNTY), REGION_COUNTY),
        dict(coalesce(vec![col(c::REGION_TOWN), col("e_region_town"), lit(crate::model::UNKNOWN)]), REGION_TOWN),
        dict(col(c::DEPT), DEPT),
        dict(coalesce(vec![col("e_focus_topic"), lit("其他")]), FOCUS_TOPIC),
        dict(col("e_focus_sub"), FOCUS_SUB),
        dict(col("r_level"), LEVEL),
        col("r_score").alias(SCORE),
        col(c::PERSON_KEY),
        when(headcount.clone().gt(lit(0)), cast(headcount, DataType::Int64)).otherwise(lit(1i64))?.alias(PEOPLE),
        dict(col("d_state"), DEADLINE),
        col("d_days_left").alias(DAYS_LEFT),
        col("d_due_at").alias(DUE_ON),
        col(c::CLOSED_AT).alias(CLOSED_AT),
        dict(col(c::SATISFACTION), SATISFACTION),
        dict(col("e_lead_dept"), LEAD_DEPT),
        col("e_entity_key").alias(ENTITY_KEY),
    ])?)
}
