//! `minqing demo`: the weekly pipeline on the bundled sample (or a generated one).

use std::path::{Path, PathBuf};

use clap::Args;

use super::{Ctx, Status};
use crate::generate::GenerateConfig;
use crate::warehouse::Warehouse;

#[derive(Debug, Args)]
pub(super) struct DemoArgs {
    /// Generate this many records instead of using the bundled sample
    #[arg(long)]
    records: Option<usize>,
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// Output folder (sample data and warehouse go inside)
    #[arg(long, default_value = "demo")]
    out: PathBuf,
}

pub(super) fn demo(ctx: &Ctx, a: DemoArgs) -> anyhow::Result<Status> {
    let bundled = Path::new("notebooks-data/sample");
    let sample = match a.records {
        None if bundled.is_dir() => bundled.to_path_buf(),
        records => {
            let dir = a.out.join("sample");
            if !dir.join("truth.csv").exists() || records.is_some() {
                let cfg =
                    GenerateConfig { records: records.unwrap_or(2_000), seed: a.seed, ..GenerateConfig::default() };
                println!("{}", crate::generate::generate(&cfg, &dir)?);
            }
            dir
        }
    };
    let wh = Warehouse::open(&ctx.warehouse(&a.out.join("warehouse")))?;
    // the shipped weekly pipeline, pointed at the sample
    let p = crate::pipeline::config::Pipeline::weekly_for(&sample)?;
    println!("== weekly pipeline on {} ==", sample.display());
    let rep = crate::pipeline::run::run(&wh, &p, &ctx.models, &super::person_key()?, None, &a.out.join("reports"))?;
    println!("{rep}");
    println!("\n== warehouse {} ==", wh.root().display());
    println!("{}", crate::report::summarize(&wh)?);
    println!(
        "\nquery it: minqing sql --warehouse {} \"SELECT source, count(*) FROM cases GROUP BY source\"",
        wh.root().display()
    );
    println!("\nbriefing: {}", rep.folder.join("briefing.md").display());
    Ok(Status::Ok)
}
