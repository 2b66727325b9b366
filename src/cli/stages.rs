//! The stages one at a time: `enrich`, `review`, `risk`, `metrics`, `cluster`.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use clap::Args;

use super::{Ctx, Status};
use crate::warehouse::Warehouse;

#[derive(Debug, Args)]
pub(super) struct EnrichArgs {
    /// Gazetteer CSV (kind,name,town,county) [default: MODELS/gazetteer.csv if present]
    #[arg(long)]
    gazetteer: Option<PathBuf>,
    /// Run the text stages as a query, partition by partition: `local` on DataFusion in this
    /// process, or a Ballista scheduler's address (`df://host:50050`, or `standalone`) to
    /// spread them over its executors (a build with `--features ballista`; the executors must
    /// see the warehouse, models and gazetteer at the same paths). Same table as without it.
    #[arg(long, value_name = "ADDRESS")]
    scheduler: Option<String>,
    /// Enrich every case, not only those added or changed since the last enrich (the kept
    /// keyword frequencies are reused unless they drifted)
    #[arg(long, conflicts_with = "scheduler")]
    full: bool,
}

pub(super) fn enrich(ctx: &Ctx, a: EnrichArgs) -> anyhow::Result<Status> {
    let wh = Warehouse::open(&ctx.warehouse(Path::new("warehouse")))?;
    let cfg = crate::enrich::EnrichConfig::from_models_dir(&ctx.models, a.gazetteer);
    let report = if a.full {
        crate::enrich::enrich_mode(&wh, &cfg, crate::enrich::EnrichMode::Full)?
    } else {
        crate::enrich::enrich_with(&wh, &cfg, a.scheduler.as_deref())?
    };
    println!("{report}");
    Ok(Status::Ok)
}

pub(super) fn review(ctx: &Ctx) -> anyhow::Result<Status> {
    let wh = Warehouse::open(&ctx.warehouse(Path::new("warehouse")))?;
    let r = crate::review::run(&wh)?;
    println!("{r}");
    Ok(Status::Ok)
}

#[derive(Debug, Args)]
pub(super) struct RiskArgs {
    /// Score as known on this day [default: the latest day in the warehouse]
    #[arg(long, value_name = "DATE")]
    as_of: Option<NaiveDate>,
}

pub(super) fn risk(ctx: &Ctx, a: RiskArgs) -> anyhow::Result<Status> {
    let wh = Warehouse::open(&ctx.warehouse(Path::new("warehouse")))?;
    println!("{}", crate::risk::run(&wh, &ctx.models, a.as_of)?);
    Ok(Status::Ok)
}

#[derive(Debug, Args)]
pub(super) struct MetricsArgs {
    /// Measure as of this day [default: the latest day in the warehouse]
    #[arg(long, value_name = "DATE")]
    as_of: Option<NaiveDate>,
    /// Deadline policy: statutory (信访工作条例 15/60/+30, 复查复核 30) or 520 (5/20, simple 2/10)
    #[arg(long, value_enum, default_value_t = crate::metrics::Policy::Statutory)]
    policy: crate::metrics::Policy,
    /// A case is 临期 with this many days left or fewer
    #[arg(long, default_value_t = 3)]
    warn_days: i64,
    /// Town populations CSV (town,population) for volumes per 10,000 people in the ranking
    #[arg(long, value_name = "FILE")]
    populations: Option<PathBuf>,
}

pub(super) fn metrics(ctx: &Ctx, a: MetricsArgs) -> anyhow::Result<Status> {
    let wh = Warehouse::open(&ctx.warehouse(Path::new("warehouse")))?;
    let cfg = crate::metrics::MetricsConfig {
        policy: a.policy,
        warn_days: a.warn_days,
        populations: a.populations,
        ..Default::default()
    };
    println!("{}", crate::metrics::run(&wh, &cfg, a.as_of)?);
    Ok(Status::Ok)
}

#[derive(Debug, Args)]
pub(super) struct ClusterArgs {
    /// Cluster as of this day [default: the latest day in the warehouse]
    #[arg(long, value_name = "DATE")]
    as_of: Option<NaiveDate>,
    /// Folder for clusters.xlsx (类案清单)
    #[arg(long, value_name = "DIR", default_value = "reports")]
    out: PathBuf,
    /// An issue quiet this many days (or 4× its own mean interval) starts a new cluster
    #[arg(long, default_value_t = 60)]
    gap_days: i64,
    /// Fewest cases in a cluster
    #[arg(long, default_value_t = 3)]
    min_cases: usize,
    /// Group every case anew, even when the last grouping is recent enough to keep (it is
    /// kept up to 7 days and 5% of its cases new or changed; then every case is grouped anew)
    #[arg(long)]
    regroup: bool,
}

pub(super) fn cluster(ctx: &Ctx, a: ClusterArgs) -> anyhow::Result<Status> {
    let wh = Warehouse::open(&ctx.warehouse(Path::new("warehouse")))?;
    let cfg = crate::cluster::ClusterConfig {
        gap_days: a.gap_days,
        min_cases: a.min_cases,
        regroup: a.regroup,
        ..Default::default()
    };
    let (rep, clusters, facts) = crate::cluster::run(&wh, &cfg, a.as_of)?;
    println!("{rep}");
    if rep.as_of.is_some() {
        let path = a.out.join("clusters.xlsx");
        crate::cluster::xlsx::write(&path, &clusters, &facts)?;
        println!("  类案清单: {}", path.display());
    }
    Ok(Status::Ok)
}
