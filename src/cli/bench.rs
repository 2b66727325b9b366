//! `minqing bench`: the whole job against the Python peer, on the same exports.

use std::path::PathBuf;

use clap::Args;

use super::{Ctx, Status};

#[derive(Debug, Args)]
pub(super) struct BenchArgs {
    /// Records over all four sources
    #[arg(long, default_value_t = 100_000)]
    records: usize,
    /// Folder for the generated data, warehouse and reports [default: bench/<records>]
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    /// A Python with the peer's libraries (`./scripts/peer-setup.sh` makes one and prints it)
    #[arg(long, value_name = "PYTHON")]
    peer: Option<PathBuf>,
    /// The peer pipeline
    #[arg(long, value_name = "FILE", default_value = "../shared/peer/peer_pipeline.py")]
    peer_script: PathBuf,
    /// Time the text stages as a partitioned query: `local`, or a Ballista scheduler's address
    #[arg(long, value_name = "ADDRESS")]
    scheduler: Option<String>,
    /// Then time a daily increment: this share of the records closed in a hotline re-export
    /// and as many new (e.g. 0.01)
    #[arg(long, value_name = "SHARE", default_value_t = 0.0)]
    increment: f64,
}

pub(super) fn bench(ctx: &Ctx, a: BenchArgs) -> anyhow::Result<Status> {
    let cfg = crate::bench::BenchConfig {
        records: a.records,
        data: a.data.unwrap_or_else(|| PathBuf::from("bench").join(a.records.to_string())),
        models: ctx.models.clone(),
        peer_python: a.peer,
        peer_script: a.peer_script,
        scheduler: a.scheduler,
        increment: a.increment,
    };
    println!("{}", crate::bench::bench(&cfg)?);
    Ok(Status::Ok)
}
