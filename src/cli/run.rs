//! `minqing run PIPELINE.toml`: the stages in order, and the report folder.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use clap::Args;

use super::{Ctx, Status};
use crate::warehouse::Warehouse;

#[derive(Debug, Args)]
pub(super) struct RunArgs {
    /// Pipeline file (pipelines/daily.toml, weekly.toml, monthly.toml or your own)
    pipeline: PathBuf,
    /// The day the run is as of [default: the latest day in the warehouse]
    #[arg(long, value_name = "DATE")]
    as_of: Option<NaiveDate>,
    /// Reports folder
    #[arg(long, value_name = "DIR", default_value = "reports")]
    out: PathBuf,
    /// Run the text stages as a partitioned query: `local`, or a Ballista scheduler's
    /// address to spread them over its executors (as `enrich --scheduler`)
    #[arg(long, value_name = "ADDRESS")]
    scheduler: Option<String>,
    /// Make the reports again from the warehouse as it was after this commit (the
    /// `warehouse_commit` of a run.json; `minqing history` lists them), or as it was at the
    /// end of a day (2026-10-31) or at a time (2026-10-31T18:00:00+08:00). Nothing is
    /// written to the warehouse: only the report stage runs, on the tables of that state
    #[arg(long, value_name = "COMMIT|DATE|TIME", conflicts_with = "scheduler")]
    version: Option<crate::warehouse::Version>,
}

pub(super) fn run(ctx: &Ctx, a: RunArgs) -> anyhow::Result<Status> {
    let mut p = crate::pipeline::config::Pipeline::load(&a.pipeline)?;
    p.scheduler = a.scheduler;
    let root = ctx.warehouse(Path::new("warehouse"));
    let wh = match a.version {
        Some(v) => {
            // time travel reads only: the stages that write are left out
            p.stages.retain(|s| s == "report");
            Warehouse::open_version(&root, &v)?
        }
        None => Warehouse::open(&root)?,
    };
    let key = super::person_key()?;
    let rep = crate::pipeline::run::run(&wh, &p, &ctx.models, &key, a.as_of, &a.out)?;
    println!("{rep}");
    Ok(if rep.rejected > 0 { Status::Attention } else { Status::Ok })
}
