//! The command line: clap types turned into stage calls. No analysis here.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::ingest::{IngestOptions, IngestReport};
use crate::normalize::{KeySource, PersonKey};
use crate::warehouse::Warehouse;

mod ballista;
mod bench;
mod demo;
mod eval;
mod generate;
mod ingest;
mod run;
mod serve;
mod sql;
mod stages;
mod values;

#[derive(Debug, Parser)]
#[command(name = "minqing", version, about = "民情 — petition, hotline, message-board and public-opinion analytics", long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Warehouse folder (Delta Lake tables) [default: ./warehouse; for `demo`, OUT/warehouse]
    #[arg(long, global = true, value_name = "DIR")]
    warehouse: Option<PathBuf>,
    /// Models folder (lexicons, weights, trained models)
    #[arg(long, global = true, value_name = "DIR", default_value = "models")]
    models: PathBuf,
    /// More log lines on stderr (-v info, -vv debug)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The weekly pipeline on the bundled sample (or generated data); prints the briefing's path
    Demo(demo::DemoArgs),
    /// Write realistic sample exports for all four sources, with a truth file
    Generate(generate::GenerateArgs),
    /// Read exports (xlsx, csv in UTF-8/GBK/GB18030, jsonl) into the warehouse
    Ingest(ingest::IngestArgs),
    /// Run a pipeline file end to end: exports → warehouse → reports/<name>-<as-of>/
    Run(run::RunArgs),
    /// Run SQL (DataFusion) over the warehouse tables
    Sql(sql::SqlArgs),
    /// The warehouse's commits, newest first: time, command, each table's change, the inputs
    /// with their hashes and what each added, updated or left unchanged
    History(sql::HistoryArgs),
    /// Erase a person (个人信息保护法 art. 47): delete their `persons` rows, blank their
    /// person_key everywhere, delete their petitioner rows, and leave no old file behind
    Forget(ingest::ForgetArgs),
    /// Delete the files of table versions older than `--keep-days` (replaced by later
    /// commits); time travel then reaches back that far only
    Vacuum(ingest::VacuumArgs),
    /// Run the text stages: segmentation, topics, entities, threat language → `enriched`
    Enrich(stages::EnrichArgs),
    /// Score stability risk per case, petitioner and entity → `risk`, `risk_groups`
    Risk(stages::RiskArgs),
    /// Near-duplicates and same-type clusters (类案) with heat → `clusters`, `cluster_members`, clusters.xlsx
    Cluster(stages::ClusterArgs),
    /// Deadlines, work rates, volumes, township ranking, surges and backlog → `metrics`, `deadlines`
    Metrics(stages::MetricsArgs),
    /// Review every reply: relevance, completeness, explanation, timeliness, a 0–100 score and
    /// the flags 敷衍, 推诿, 答非所问, 不完整, 超期答复 with their evidence → `reply_review`
    Review,
    /// Fit a text classifier on a labelled export with its own label set
    Train(eval::TrainArgs),
    /// Measure quality against known truth
    #[command(subcommand)]
    Eval(eval::EvalCommand),
    /// Time the weekly pipeline stage by stage on N generated records, against the floor
    /// (bare segmentation) and, with --peer, the Python peer
    Bench(bench::BenchArgs),
    /// The leaders' dashboard on the intranet: 总览, 热点, 风险, 超期, 质效, 异动 and the cases,
    /// scoped to each user's county, township or department
    Serve(serve::ServeArgs),
    /// Dashboard users
    #[command(subcommand)]
    User(serve::UserCommand),
    /// The dashboard's audit log
    #[command(subcommand)]
    Audit(serve::AuditCommand),
    /// Load-test a running dashboard: N clients for S seconds on /api/cases; prints
    /// requests per second and latency percentiles
    Load(serve::LoadArgs),
    /// Start a Ballista scheduler and one executor in this process and serve until stopped:
    /// the cluster path of `minqing sql --scheduler` on one machine (needs `--features ballista`)
    BallistaLocal(ballista::BallistaLocalArgs),
    /// Serve a Ballista scheduler that knows minqing's functions, for a cluster of
    /// `minqing ballista-executor`s on several machines (needs `--features ballista`)
    BallistaScheduler(ballista::BallistaSchedulerArgs),
    /// Serve a Ballista executor with minqing's text stages for the scheduler at --scheduler
    /// (needs `--features ballista`)
    BallistaExecutor(ballista::BallistaExecutorArgs),
}

/// The functions SQL may call here and on a cluster: the text stages as `minqing_enrich`.
fn functions() -> crate::warehouse::Functions {
    crate::warehouse::Functions::new([crate::enrich::udf()])
}

/// What a finished command reports: all well, or done but something needs a look.
enum Status {
    Ok,
    Attention,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose);
    match run(cli) {
        Ok(Status::Ok) => ExitCode::SUCCESS,
        Ok(Status::Attention) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(exit_code(&e))
        }
    }
}

/// 2 when nothing was done because of what the user gave (usage, an input, a settings
/// file, a warehouse of another version); 3 when something failed inside minqing or on
/// the machine (I/O, a service, a bug). Either way no table was half-written.
fn exit_code(e: &anyhow::Error) -> u8 {
    let bad_input = e.chain().any(|c| c.downcast_ref::<crate::Error>().is_some_and(crate::Error::is_bad_input));
    if bad_input { 2 } else { 3 }
}

fn init_logging(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("MINQING_LOG")
        .unwrap_or_else(|_| format!("minqing={level}").into());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr())) // no escape codes in log files
        .without_time()
        .try_init();
}

fn run(cli: Cli) -> anyhow::Result<Status> {
    let ctx = Ctx { warehouse: cli.warehouse, models: cli.models };
    // one stage alone is one stage: its freed pages stay for its next batch
    if matches!(
        cli.command,
        Command::Ingest(_)
            | Command::Enrich(_)
            | Command::Risk(_)
            | Command::Cluster(_)
            | Command::Review
            | Command::Metrics(_)
    ) {
        crate::mem::stage_begin();
    }
    match cli.command {
        Command::BallistaLocal(a) => ballista::ballista_local(a),
        Command::BallistaScheduler(a) => ballista::ballista_scheduler(a),
        Command::BallistaExecutor(a) => ballista::ballista_executor(a),
        Command::Bench(a) => bench::bench(&ctx, a),
        Command::Generate(a) => generate::generate(&ctx, a),
        Command::Ingest(a) => ingest::ingest(&ctx, a),
        Command::Sql(a) => sql::sql(&ctx, a),
        Command::Forget(a) => ingest::forget(&ctx, a),
        Command::Vacuum(a) => ingest::vacuum(&ctx, a),
        Command::History(a) => sql::history(&ctx, a),
        Command::Enrich(a) => stages::enrich(&ctx, a),
        Command::Run(a) => run::run(&ctx, a),
        Command::Risk(a) => stages::risk(&ctx, a),
        Command::Cluster(a) => stages::cluster(&ctx, a),
        Command::Review => stages::review(&ctx),
        Command::Metrics(a) => stages::metrics(&ctx, a),
        Command::Eval(c) => eval::eval(&ctx, c),
        Command::Train(a) => eval::train(&ctx, a),
        Command::Demo(a) => demo::demo(&ctx, a),
        Command::Serve(a) => serve::serve(&ctx, a),
        Command::User(c) => serve::user(c),
        Command::Audit(c) => serve::audit(c),
        Command::Load(a) => serve::load(a),
    }
}

/// What every command gets from the global options.
pub(super) struct Ctx {
    warehouse: Option<PathBuf>,
    models: PathBuf,
}

impl Ctx {
    /// The warehouse folder: `--warehouse`, else the command's default.
    fn warehouse(&self, default: &Path) -> PathBuf {
        self.warehouse.clone().unwrap_or_else(|| default.to_path_buf())
    }
}

fn ingest(wh: &Warehouse, inputs: &[PathBuf], opts: &IngestOptions) -> anyhow::Result<IngestReport> {
    Ok(crate::ingest::ingest(wh, inputs, opts, &person_key()?)?)
}

/// The person key, saying where it came from.
fn person_key() -> anyhow::Result<PersonKey> {
    let (key, from) = PersonKey::load()?;
    match from {
        KeySource::Created(p) => eprintln!(
            "note: created a new person key at {} (keep it: person_key links repeat petitioners across runs)",
            p.display()
        ),
        KeySource::File(p) => tracing::info!("person key from {}", p.display()),
        KeySource::Env => tracing::info!("person key from MINQING_KEY"),
    }
    Ok(key)
}
