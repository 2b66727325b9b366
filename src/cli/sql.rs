//! `minqing sql` and `history`: reading the warehouse, now or as it was.

use std::path::{Path, PathBuf};

use clap::Args;

use super::{Ctx, Status};
use crate::warehouse::{OutputFormat, Warehouse};

#[derive(Debug, Args)]
pub(super) struct SqlArgs {
    /// One SQL statement; tables: cases, rejects, persons, …
    query: String,
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
    /// Run on a Ballista cluster: its scheduler's address (`df://host:50050`), or `standalone` for
    /// a scheduler and executor inside this process. Needs a build with `--features ballista`;
    /// the executors must see the warehouse at the same path.
    #[arg(long, value_name = "ADDRESS")]
    scheduler: Option<String>,
    /// Read this warehouse too (repeatable): each table is then the union of its rows in
    /// `--warehouse` and every `--union` (a city or province over its counties' warehouses)
    #[arg(long = "union", value_name = "DIR")]
    union: Vec<PathBuf>,
    /// Read the warehouse as it was after this commit (`minqing history` lists them), or at
    /// the end of a day (2026-10-31) or at a time (2026-10-31T18:00:00+08:00)
    #[arg(long = "version", value_name = "COMMIT|DATE|TIME", conflicts_with = "union")]
    version: Option<crate::warehouse::Version>,
}

pub(super) fn sql(ctx: &Ctx, a: SqlArgs) -> anyhow::Result<Status> {
    let root = ctx.warehouse(Path::new("warehouse"));
    let mut whs = vec![match a.version {
        Some(v) => Warehouse::open_version(&root, &v)?,
        None => Warehouse::open_read(&root)?,
    }];
    for dir in &a.union {
        whs.push(Warehouse::open_read(dir)?);
    }
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let engine = crate::warehouse::Engine::from_scheduler(a.scheduler.as_deref());
    let batches = rt.block_on(crate::warehouse::query_on(&engine, &whs, &a.query, &super::functions()))?;
    print!("{}", crate::warehouse::render(&batches, a.format)?);
    if a.format == OutputFormat::Table {
        println!();
    }
    Ok(Status::Ok)
}

#[derive(Debug, Args)]
pub(super) struct HistoryArgs {
    /// Only the commits that changed this table
    table: Option<String>,
}

pub(super) fn history(ctx: &Ctx, a: HistoryArgs) -> anyhow::Result<Status> {
    let wh = Warehouse::open_read(&ctx.warehouse(Path::new("warehouse")))?;
    print!("{}", crate::warehouse::history(&wh, a.table.as_deref())?);
    Ok(Status::Ok)
}
