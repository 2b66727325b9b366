//! `minqing ingest`, `forget` and `vacuum`: what goes into the warehouse and what leaves it.

use std::path::{Path, PathBuf};

use clap::Args;

use super::{Ctx, Status};
use crate::ingest::IngestOptions;
use crate::warehouse::Warehouse;

#[derive(Debug, Args)]
pub(super) struct IngestArgs {
    /// petition, hotline, message or opinion [default: detected from the headers]
    #[arg(long)]
    source: Option<String>,
    /// Export files or folders of them
    #[arg(long, num_args = 1.., required = true)]
    input: Vec<PathBuf>,
    /// Header mapping file (see pipelines/mappings/)
    #[arg(long)]
    mapping: Option<PathBuf>,
    /// Keep no personal data: do not write the `persons` table
    #[arg(long)]
    no_pii: bool,
}

pub(super) fn ingest(ctx: &Ctx, a: IngestArgs) -> anyhow::Result<Status> {
    let wh = Warehouse::open(&ctx.warehouse(Path::new("warehouse")))?;
    let opts = IngestOptions { source: a.source, mapping: a.mapping, no_pii: a.no_pii, ..Default::default() };
    let rep = super::ingest(&wh, &a.input, &opts)?;
    println!("{rep}");
    Ok(if rep.rejected() > 0 { Status::Attention } else { Status::Ok })
}

#[derive(Debug, Args)]
pub(super) struct ForgetArgs {
    /// The person's key (as `risk_groups.key` or `cases.person_key` shows it); repeatable
    #[arg(long = "person-key", value_name = "KEY")]
    person_keys: Vec<String>,
    /// An ID number of the person; repeatable
    #[arg(long = "id-number", value_name = "ID")]
    id_numbers: Vec<String>,
    /// A phone number of the person; repeatable
    #[arg(long = "phone", value_name = "PHONE")]
    phones: Vec<String>,
}

pub(super) fn forget(ctx: &Ctx, a: ForgetArgs) -> anyhow::Result<Status> {
    let wh = Warehouse::open(&ctx.warehouse(Path::new("warehouse")))?;
    let who = crate::ingest::forget::Who { person_keys: a.person_keys, id_numbers: a.id_numbers, phones: a.phones };
    let report = crate::ingest::forget::forget(&wh, &super::person_key()?, &who)?;
    println!("{report}");
    Ok(Status::Ok)
}

#[derive(Debug, Args)]
pub(super) struct VacuumArgs {
    /// Keep the files every version of the last this many days reads
    #[arg(long, default_value_t = 7)]
    keep_days: u32,
}

pub(super) fn vacuum(ctx: &Ctx, a: VacuumArgs) -> anyhow::Result<Status> {
    let wh = Warehouse::open(&ctx.warehouse(Path::new("warehouse")))?;
    let n = wh.vacuum(chrono::Duration::days(i64::from(a.keep_days)))?;
    println!("{n} files deleted; versions of the last {} days stay readable", a.keep_days);
    Ok(Status::Ok)
}
