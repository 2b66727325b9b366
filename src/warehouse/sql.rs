//! `minqing sql`: DataFusion over the warehouse tables, in this process or on a Ballista
//! cluster (`--scheduler df://host:50050`, built with `--features ballista`).

use arrow::record_batch::RecordBatch;
use std::sync::Arc;

use datafusion::datasource::file_format::options::ReadOptions;
use datafusion::datasource::listing::{ListingTable, ListingTableConfig, ListingTableUrl};
use datafusion::logical_expr::ScalarUDF;
use datafusion::prelude::{ParquetReadOptions, SessionContext};

use super::Warehouse;
use crate::Result;

/// How query results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    Table,
    Csv,
    Json,
}

/// Register every table that has data files, under its own name, in this minqing's schema
/// (files of an older minqing read their missing columns as null). With several warehouses
/// (a province over its counties'), each table reads the files of all of them. The files are
/// named one by one, from each table's Delta snapshot: a folder also holds replaced files.
pub async fn register_all(ctx: &SessionContext, whs: &[Warehouse]) -> Result<Vec<String>> {
    let mut tables: Vec<String> = vec![];
    // each table's files read once: a stage committing beside this one (a pipeline links
    // people while enrich queries) may replace or drop a table between two reads
    for t in crate::schema::table::ALL {
        let mut urls = vec![];
        for wh in whs {
            for part in wh.parts(t)? {
                urls.push(ListingTableUrl::parse(part.to_string_lossy())?);
            }
        }
        if urls.is_empty() {
            continue;
        }
        let options = ParquetReadOptions::default()
            .file_extension(".parquet")
            .to_listing_options(&ctx.copied_config(), ctx.copied_table_options());
        let config = ListingTableConfig::new_with_multi_paths(urls)
            .with_listing_options(options)
            .with_schema(crate::schema::schema_of(t)?);
        ctx.register_table(*t, Arc::new(ListingTable::try_new(config)?))?;
        tables.push((*t).to_string());
    }
    Ok(tables)
}

/// Register every other known table as empty, in its schema: `SELECT * FROM rejects` on a
/// warehouse with no rejects returns no rows, not "table not found".
pub fn register_empty(ctx: &SessionContext, registered: &[String]) -> Result<()> {
    for t in crate::schema::table::ALL.iter().filter(|t| !registered.iter().any(|r| r == *t)) {
        let schema = crate::schema::schema_of(t)?;
        ctx.register_table(*t, Arc::new(datafusion::datasource::MemTable::try_new(schema, vec![vec![]])?))?;
    }
    Ok(())
}

/// Functions a query may call beyond DataFusion's own (the caller's: the warehouse knows
/// none of the stages).
#[derive(Debug, Clone, Default)]
pub struct Functions(Vec<Arc<ScalarUDF>>);

impl Functions {
    pub fn new(udfs: impl IntoIterator<Item = ScalarUDF>) -> Self {
        Functions(udfs.into_iter().map(Arc::new).collect())
    }

    pub fn iter(&self) -> impl Iterator<Item = &Arc<ScalarUDF>> {
        self.0.iter()
    }
}

/// Where a query runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Engine {
    /// DataFusion in this process, on all cores.
    Local,
    /// A Ballista scheduler (`df://host:port`): the plan is cut into stages that its executors
    /// run. Executors read the Parquet parts themselves, so they must see the warehouse at the
    /// same path (a shared mount).
    Ballista(String),
    /// A scheduler and one executor started inside this process: the distributed plan, no cluster.
    BallistaStandalone,
}

impl Engine {
    /// `None` or `"local"` → this process; `"standalone"` → in-process Ballista; anything else
    /// is a scheduler address.
    pub fn from_scheduler(addr: Option<&str>) -> Self {
        match addr {
            None | Some("local") => Engine::Local,
            Some("standalone") => Engine::BallistaStandalone,
            Some(a) => Engine::Ballista(a.to_string()),
        }
    }

    /// A session on this engine with the caller's functions and no tables yet.
    pub async fn context(&self, functions: &Functions) -> Result<SessionContext> {
        let ctx = match self {
            Engine::Local => SessionContext::new(),
            #[cfg(feature = "ballista")]
            Engine::Ballista(url) => {
                use ballista::prelude::SessionContextExt;
                let url = if url.contains("://") { url.clone() } else { format!("df://{url}") };
                SessionContext::remote(&url).await?
            }
            #[cfg(feature = "ballista")]
            Engine::BallistaStandalone => {
                use ballista::prelude::SessionContextExt;
                SessionContext::standalone_with_state(super::cluster::session_state(Default::default(), functions)?)
                    .await?
            }
            #[cfg(not(feature = "ballista"))]
            Engine::Ballista(_) | Engine::BallistaStandalone => {
                return Err(crate::Error::Usage(
                    "this minqing was built without Ballista; rebuild with `cargo build --release --features \
                     ballista` to run on a cluster"
                        .into(),
                ));
            }
        };
        for f in functions.iter() {
            ctx.register_udf(f.as_ref().clone());
        }
        Ok(ctx)
    }

    /// A query's error, with what to do when the scheduler cannot be reached.
    pub fn explain(&self, e: datafusion::error::DataFusionError) -> crate::Error {
        match self {
            Engine::Ballista(url) if e.to_string().contains("ConnectError") => crate::Error::Service(format!(
                "cannot reach the Ballista scheduler at {url} ({e}); is it running, and is the address right? \
                 `minqing ballista-local` starts one on this machine"
            )),
            _ => e.into(),
        }
    }
}

/// Run one SQL statement on `engine` over one or more warehouses, with `functions`
/// callable from it, and collect the result.
pub async fn query_on(
    engine: &Engine,
    whs: &[Warehouse],
    sql: &str,
    functions: &Functions,
) -> Result<Vec<RecordBatch>> {
    let ctx = engine.context(functions).await?;
    let tables = register_all(&ctx, whs).await?;
    if *engine == Engine::Local {
        register_empty(&ctx, &tables)?;
    }
    let run = async { ctx.sql(sql).await?.collect().await };
    run.await.map_err(|e| engine.explain(e))
}

/// Render batches in the chosen format.
pub fn render(batches: &[RecordBatch], format: OutputFormat) -> Result<String> {
    Ok(match format {
        OutputFormat::Table => arrow::util::pretty::pretty_format_batches(batches)?.to_string(),
        OutputFormat::Csv => {
            let mut buf = vec![];
            {
                let mut w = arrow::csv::WriterBuilder::new().with_header(true).build(&mut buf);
                for b in batches {
                    w.write(b)?;
                }
            }
            String::from_utf8_lossy(&buf).into_owned()
        }
        OutputFormat::Json => {
            let mut w = arrow::json::LineDelimitedWriter::new(vec![]);
            for b in batches {
                w.write(b)?;
            }
            w.finish()?;
            String::from_utf8_lossy(&w.into_inner()).into_owned()
        }
    })
}
