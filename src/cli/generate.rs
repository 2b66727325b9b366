//! `minqing generate`: sample exports with known truth.

use std::path::PathBuf;

use anyhow::Context;
use chrono::NaiveDate;
use clap::Args;

use super::{Ctx, Status};
use crate::generate::{Formats, GenerateConfig};

#[derive(Debug, Args)]
pub(super) struct GenerateArgs {
    /// Records over all four sources
    #[arg(long, default_value_t = 20_000)]
    records: usize,
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    #[arg(long, default_value = "notebooks-data/generated")]
    out: PathBuf,
    /// First day (YYYY-MM-DD)
    #[arg(long, default_value = "2025-11-01")]
    start: NaiveDate,
    /// Last day (YYYY-MM-DD)
    #[arg(long, default_value = "2026-10-31")]
    end: NaiveDate,
    /// `native`: each source in the format its system exports; `all`: every source in
    /// xlsx, UTF-8 csv, GBK csv and jsonl
    #[arg(long, value_enum, default_value_t = Formats::Native)]
    formats: Formats,
}

pub(super) fn generate(_: &Ctx, a: GenerateArgs) -> anyhow::Result<Status> {
    let cfg = GenerateConfig { records: a.records, seed: a.seed, start: a.start, end: a.end, formats: a.formats };
    let rep = crate::generate::generate(&cfg, &a.out).context("generating sample data")?;
    println!("{rep}");
    Ok(Status::Ok)
}
