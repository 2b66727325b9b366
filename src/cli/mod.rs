//! The command line: clap types turned into stage calls. No analysis here.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand};

use crate::generate::{Formats, GenerateConfig};
use crate::ingest::{IngestOptions, IngestReport};
use crate::normalize::{KeySource, PersonKey};
use crate::warehouse::{OutputFormat, Warehouse};

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
    Demo(DemoArgs),
    /// Write realistic sample exports for all four sources, with a truth file
    Generate(GenerateArgs),
    /// Read exports (xlsx, csv in UTF-8/GBK/GB18030, jsonl) into the warehouse
    Ingest(IngestArgs),
    /// Run a pipeline file end to end: exports → warehouse → reports/<name>-<as-of>/
    Run(RunArgs),
    /// Run SQL (DataFusion) over the warehouse tables
    Sql(SqlArgs),
    /// The warehouse's commits, newest first: time, command, each table's change, the inputs
    /// with their hashes and what each added, updated or left unchanged
    History(HistoryArgs),
    /// Erase a person (个人信息保护法 art. 47): delete their `persons` rows, blank their
    /// person_key everywhere, delete their petitioner rows, and leave no old file behind
    Forget(ForgetArgs),
    /// Delete the files of table versions older than `--keep-days` (replaced by later
    /// commits); time travel then reaches back that far only
    Vacuum(VacuumArgs),
    /// Run the text stages: segmentation, topics, entities, threat language → `enriched`
    Enrich(EnrichArgs),
    /// Score stability risk per case, petitioner and entity → `risk`, `risk_groups`
    Risk(RiskArgs),
    /// Near-duplicates and same-type clusters (类案) with heat → `clusters`, `cluster_members`, clusters.xlsx
    Cluster(ClusterArgs),
    /// Deadlines, work rates, volumes, township ranking, surges and backlog → `metrics`, `deadlines`
    Metrics(MetricsArgs),
    /// Review every reply: relevance, completeness, explanation, timeliness, a 0–100 score and
    /// the flags 敷衍, 推诿, 答非所问, 不完整, 超期答复 with their evidence → `reply_review`
    Review,
    /// Fit a text classifier on a labelled export with its own label set
    Train(TrainArgs),
    /// Measure quality against known truth
    #[command(subcommand)]
    Eval(EvalCommand),
    /// Time the weekly pipeline stage by stage on N generated records, against the floor
    /// (bare segmentation) and, with --peer, the Python peer
    Bench(BenchArgs),
    /// Start a Ballista scheduler and one executor in this process and serve until stopped:
    /// the cluster path of `minqing sql --scheduler` on one machine (needs `--features ballista`)
    BallistaLocal(BallistaLocalArgs),
    /// Serve a Ballista scheduler that knows minqing's functions, for a cluster of
    /// `minqing ballista-executor`s on several machines (needs `--features ballista`)
    BallistaScheduler(BallistaSchedulerArgs),
    /// Serve a Ballista executor with minqing's text stages for the scheduler at --scheduler
    /// (needs `--features ballista`)
    BallistaExecutor(BallistaExecutorArgs),
}

#[derive(Debug, Args)]
struct BallistaSchedulerArgs {
    /// Address to listen on
    #[arg(long, default_value = "0.0.0.0:50050")]
    bind: std::net::SocketAddr,
    /// The name executors and clients reach this machine by
    #[arg(long, default_value = "localhost")]
    external_host: String,
}

#[derive(Debug, Args)]
struct BallistaExecutorArgs {
    /// The scheduler, HOST:PORT (a `df://` prefix is allowed)
    #[arg(long, value_name = "HOST:PORT")]
    scheduler: String,
    /// Host to listen on
    #[arg(long, default_value = "0.0.0.0")]
    bind_host: String,
    /// The name the scheduler and the other executors reach this machine by [default: its address]
    #[arg(long)]
    external_host: Option<String>,
    /// Arrow Flight port, for shuffle data
    #[arg(long, default_value_t = 50051)]
    port: u16,
    /// gRPC port
    #[arg(long, default_value_t = 50052)]
    grpc_port: u16,
    /// Concurrent tasks (default: the number of cores)
    #[arg(long)]
    slots: Option<usize>,
    /// Folder for shuffle files [default: a temporary folder]
    #[arg(long)]
    work_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct BallistaLocalArgs {
    /// Task slots of the executor (default: the number of cores)
    #[arg(long)]
    slots: Option<usize>,
}

#[derive(Debug, Args)]
struct BenchArgs {
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

#[derive(Debug, Args)]
struct EnrichArgs {
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

#[derive(Debug, Args)]
struct RunArgs {
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
}

#[derive(Debug, Args)]
struct RiskArgs {
    /// Score as known on this day [default: the latest day in the warehouse]
    #[arg(long, value_name = "DATE")]
    as_of: Option<NaiveDate>,
}

#[derive(Debug, Args)]
struct ClusterArgs {
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
}

#[derive(Debug, Args)]
struct EvalClusterArgs {
    /// CSV with case_id and group (or a generator truth.csv with incident_id), optionally source
    #[arg(long, value_name = "FILE")]
    truth: PathBuf,
    /// Count only clusters of these kinds (issue, routine, duplicate) [default: all]
    #[arg(long, value_delimiter = ',')]
    kinds: Vec<String>,
    /// Only the truth rows whose `split` column is this (dev, holdout, …) keep their group
    #[arg(long)]
    split: Option<String>,
}

#[derive(Debug, Args)]
struct MetricsArgs {
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

#[derive(Debug, Args)]
struct EvalRiskArgs {
    /// Generated sample folder (exports/ and truth.csv); ingested and enriched into
    /// the warehouse [default warehouse: DIR/warehouse] when that has no cases yet
    #[arg(long, value_name = "DIR")]
    input: PathBuf,
}

#[derive(Debug, Args)]
struct TrainArgs {
    /// Labelled export (xlsx, csv, jsonl)
    #[arg(long)]
    labels: PathBuf,
    /// Text column(s): the first is read as the title, the rest as the body
    #[arg(long, value_delimiter = ',', required = true)]
    text: Vec<String>,
    /// Label column
    #[arg(long)]
    label: String,
    /// Where to write the model (JSON)
    #[arg(long)]
    out: PathBuf,
    /// L2 penalty of the logistic regression
    #[arg(long, default_value_t = 0.005)]
    alpha: f64,
    /// Keep at most this many features (the most frequent)
    #[arg(long, default_value_t = 20_000)]
    max_features: usize,
    /// Weight of character bigrams beside the words (0: words only)
    #[arg(long, default_value_t = 0.5)]
    char_ngrams: f32,
}

#[derive(Debug, Subcommand)]
enum EvalCommand {
    /// Accuracy, macro-F1, per-class precision/recall and the confusion matrix
    Classify(EvalClassifyArgs),
    /// AUC and precision at the top 50 of the escalation model and the rule score, on a time split
    Risk(EvalRiskArgs),
    /// Pairwise precision/recall/F1, ARI and NMI of `clusters` against a truth file
    Cluster(EvalClusterArgs),
    /// Precision and recall of the names found in posts against names labelled by hand
    Entities(EvalEntitiesArgs),
    /// AUC of the reply review's score against a 0/1 judgement (可解释性), and of its relevance:
    /// each case's own reply against the reply of the most similar other case
    Replies(EvalRepliesArgs),
}

#[derive(Debug, Args)]
struct EvalRepliesArgs {
    /// Cases with their replies (xlsx or csv)
    #[arg(long, value_name = "FILE")]
    file: PathBuf,
    /// The columns: title, case text, reply, received, replied
    #[arg(long, value_delimiter = ',', default_value = "留言主题,留言详情,答复意见,留言时间,答复时间")]
    columns: Vec<String>,
    /// The 0/1 column saying the reply explains what was done and why
    #[arg(long, default_value = "可解释性")]
    explains: Option<String>,
    /// A 0/1 column saying the reply answers this case's matter
    #[arg(long)]
    relevant: Option<String>,
    /// Also list every reply: labels, score, relevance, completeness, explanation, title, flags
    #[arg(long)]
    rows: bool,
}

#[derive(Debug, Args)]
struct EvalEntitiesArgs {
    /// The posts (xlsx or csv)
    #[arg(long, value_name = "FILE")]
    posts: PathBuf,
    /// CSV with case_id, entities (`name:type|…`) and optionally split
    #[arg(long, value_name = "FILE")]
    truth: PathBuf,
    /// The posts' id column
    #[arg(long, default_value = "留言编号")]
    id: String,
    /// The text columns, joined
    #[arg(long, value_delimiter = ',', default_value = "留言主题,留言详情")]
    text: Vec<String>,
    /// Only truth rows whose `split` column is this
    #[arg(long)]
    split: Option<String>,
    /// Names the county knows (kind,name,town,county)
    #[arg(long, value_name = "FILE")]
    gazetteer: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct EvalClassifyArgs {
    /// A model from `minqing train`, scored on --truth
    #[arg(long, requires = "truth", conflicts_with_all = ["labels", "folds"])]
    model: Option<PathBuf>,
    /// Labelled file to score the model on
    #[arg(long)]
    truth: Option<PathBuf>,
    /// Labelled file to cross-validate on (with --folds)
    #[arg(long, requires = "folds")]
    labels: Option<PathBuf>,
    /// Stratified k-fold cross-validation
    #[arg(long)]
    folds: Option<usize>,
    #[arg(long, value_delimiter = ',', required = true)]
    text: Vec<String>,
    #[arg(long)]
    label: String,
    /// Seed of the fold assignment
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Fold of each labelled row, one number per line in row order (instead of --seed),
    /// e.g. the peer's folds from scripts/peer_folds.py
    #[arg(long, requires = "folds")]
    fold_file: Option<PathBuf>,
    #[arg(long, default_value_t = 0.005)]
    alpha: f64,
    /// Weight of character bigrams beside the words in the models fitted per fold (0: words only)
    #[arg(long, default_value_t = 0.5)]
    char_ngrams: f32,
}

#[derive(Debug, Args)]
struct DemoArgs {
    /// Generate this many records instead of using the bundled sample
    #[arg(long)]
    records: Option<usize>,
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// Output folder (sample data and warehouse go inside)
    #[arg(long, default_value = "demo")]
    out: PathBuf,
}

#[derive(Debug, Args)]
struct GenerateArgs {
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

#[derive(Debug, Args)]
struct IngestArgs {
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

#[derive(Debug, Args)]
struct ForgetArgs {
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

#[derive(Debug, Args)]
struct VacuumArgs {
    /// Keep the files every version of the last this many days reads
    #[arg(long, default_value_t = 7)]
    keep_days: u32,
}

#[derive(Debug, Args)]
struct HistoryArgs {
    /// Only the commits that changed this table
    table: Option<String>,
}

#[derive(Debug, Args)]
struct SqlArgs {
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
    /// Read the warehouse as it was after this commit (`minqing history` lists them)
    #[arg(long = "version", value_name = "COMMIT", conflicts_with = "union")]
    version: Option<u64>,
}

#[cfg(feature = "ballista")]
fn ballista_local(a: BallistaLocalArgs) -> anyhow::Result<Status> {
    let slots = a.slots.unwrap_or_else(cores);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async {
        let addr = crate::warehouse::cluster::start_local_cluster(slots).await?;
        use std::io::Write;
        println!("scheduler listening at df://localhost:{} with one executor of {slots} slots", addr.port());
        std::io::stdout().flush().ok();
        // serve until the process is stopped (Ctrl-C, SIGTERM)
        std::future::pending::<anyhow::Result<Status>>().await
    })
}

/// Task slots by default: one per core.
#[cfg(feature = "ballista")]
fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

#[cfg(feature = "ballista")]
fn ballista_scheduler(a: BallistaSchedulerArgs) -> anyhow::Result<Status> {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    eprintln!("scheduler listening on {} (reach it as df://{}:{})", a.bind, a.external_host, a.bind.port());
    rt.block_on(crate::warehouse::cluster::serve_scheduler(a.bind, a.external_host))?;
    Ok(Status::Ok)
}

#[cfg(feature = "ballista")]
fn ballista_executor(a: BallistaExecutorArgs) -> anyhow::Result<Status> {
    let addr = a.scheduler.trim_start_matches("df://").trim_start_matches("http://");
    let (host, port) = addr
        .rsplit_once(':')
        .and_then(|(h, p)| Some((h.to_string(), p.parse::<u16>().ok()?)))
        .ok_or_else(|| crate::Error::Usage(format!("--scheduler {addr}: expected HOST:PORT, e.g. node1:50050")))?;
    let options = crate::warehouse::cluster::ExecutorOptions {
        scheduler_host: host,
        scheduler_port: port,
        bind_host: a.bind_host,
        external_host: a.external_host,
        port: a.port,
        grpc_port: a.grpc_port,
        slots: a.slots.unwrap_or_else(cores),
        work_dir: a.work_dir.map(|p| p.to_string_lossy().into_owned()),
    };
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(crate::warehouse::cluster::serve_executor(options))?;
    Ok(Status::Ok)
}

#[cfg(not(feature = "ballista"))]
fn without_ballista() -> anyhow::Result<Status> {
    Err(crate::Error::Usage(
        "this minqing was built without Ballista; rebuild with `cargo build --release --features ballista`".into(),
    )
    .into())
}

#[cfg(not(feature = "ballista"))]
fn ballista_local(_: BallistaLocalArgs) -> anyhow::Result<Status> {
    without_ballista()
}

#[cfg(not(feature = "ballista"))]
fn ballista_scheduler(_: BallistaSchedulerArgs) -> anyhow::Result<Status> {
    without_ballista()
}

#[cfg(not(feature = "ballista"))]
fn ballista_executor(_: BallistaExecutorArgs) -> anyhow::Result<Status> {
    without_ballista()
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
            ExitCode::from(2)
        }
    }
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
    let warehouse = |default: &Path| cli.warehouse.clone().unwrap_or_else(|| default.to_path_buf());
    match cli.command {
        Command::BallistaLocal(a) => ballista_local(a),
        Command::BallistaScheduler(a) => ballista_scheduler(a),
        Command::BallistaExecutor(a) => ballista_executor(a),
        Command::Bench(a) => {
            let cfg = crate::bench::BenchConfig {
                records: a.records,
                data: a.data.unwrap_or_else(|| PathBuf::from("bench").join(a.records.to_string())),
                models: cli.models.clone(),
                peer_python: a.peer,
                peer_script: a.peer_script,
                scheduler: a.scheduler,
                increment: a.increment,
            };
            println!("{}", crate::bench::bench(&cfg)?);
            Ok(Status::Ok)
        }
        Command::Generate(a) => {
            let cfg =
                GenerateConfig { records: a.records, seed: a.seed, start: a.start, end: a.end, formats: a.formats };
            let rep = crate::generate::generate(&cfg, &a.out).context("generating sample data")?;
            println!("{rep}");
            Ok(Status::Ok)
        }
        Command::Ingest(a) => {
            let wh = Warehouse::open(&warehouse(Path::new("warehouse")))?;
            let opts = IngestOptions { source: a.source, mapping: a.mapping, no_pii: a.no_pii, ..Default::default() };
            let rep = ingest(&wh, &a.input, &opts)?;
            println!("{rep}");
            Ok(if rep.rejected() > 0 { Status::Attention } else { Status::Ok })
        }
        Command::Sql(a) => {
            let root = warehouse(Path::new("warehouse"));
            let mut whs = vec![match a.version {
                Some(n) => Warehouse::open_at(&root, n)?,
                None => Warehouse::open_read(&root)?,
            }];
            for dir in &a.union {
                whs.push(Warehouse::open_read(dir)?);
            }
            let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
            let engine = crate::warehouse::Engine::from_scheduler(a.scheduler.as_deref());
            let batches = rt.block_on(crate::warehouse::query_on(&engine, &whs, &a.query))?;
            print!("{}", crate::warehouse::render(&batches, a.format)?);
            if a.format == OutputFormat::Table {
                println!();
            }
            Ok(Status::Ok)
        }
        Command::Forget(a) => {
            let wh = Warehouse::open(&warehouse(Path::new("warehouse")))?;
            let who =
                crate::ingest::forget::Who { person_keys: a.person_keys, id_numbers: a.id_numbers, phones: a.phones };
            let report = crate::ingest::forget::forget(&wh, &person_key()?, &who)?;
            println!("{report}");
            Ok(Status::Ok)
        }
        Command::Vacuum(a) => {
            let wh = Warehouse::open(&warehouse(Path::new("warehouse")))?;
            let n = wh.vacuum(chrono::Duration::days(i64::from(a.keep_days)))?;
            println!("{n} files deleted; versions of the last {} days stay readable", a.keep_days);
            Ok(Status::Ok)
        }
        Command::History(a) => {
            let wh = Warehouse::open_read(&warehouse(Path::new("warehouse")))?;
            print!("{}", crate::warehouse::history(&wh, a.table.as_deref())?);
            Ok(Status::Ok)
        }
        Command::Enrich(a) => {
            let wh = Warehouse::open(&warehouse(Path::new("warehouse")))?;
            let cfg = crate::pipeline::EnrichConfig::from_models_dir(&cli.models, a.gazetteer);
            let report = if a.full {
                crate::pipeline::enrich_mode(&wh, &cfg, crate::pipeline::EnrichMode::Full)?
            } else {
                crate::pipeline::enrich_with(&wh, &cfg, a.scheduler.as_deref())?
            };
            println!("{report}");
            Ok(Status::Ok)
        }
        Command::Run(a) => {
            let mut p = crate::pipeline::config::Pipeline::load(&a.pipeline)?;
            p.scheduler = a.scheduler;
            let wh = Warehouse::open(&warehouse(Path::new("warehouse")))?;
            let key = person_key()?;
            let rep = crate::pipeline::run::run(&wh, &p, &cli.models, &key, a.as_of, &a.out)?;
            println!("{rep}");
            Ok(if rep.rejected > 0 { Status::Attention } else { Status::Ok })
        }
        Command::Risk(a) => {
            let wh = Warehouse::open(&warehouse(Path::new("warehouse")))?;
            println!("{}", crate::risk::run(&wh, &cli.models, a.as_of)?);
            Ok(Status::Ok)
        }
        Command::Cluster(a) => {
            let wh = Warehouse::open(&warehouse(Path::new("warehouse")))?;
            let cfg =
                crate::cluster::ClusterConfig { gap_days: a.gap_days, min_cases: a.min_cases, ..Default::default() };
            let (rep, clusters, facts) = crate::cluster::run(&wh, &cfg, a.as_of)?;
            println!("{rep}");
            if rep.as_of.is_some() {
                let path = a.out.join("clusters.xlsx");
                crate::cluster::xlsx::write(&path, &clusters, &facts)?;
                println!("  类案清单: {}", path.display());
            }
            Ok(Status::Ok)
        }
        Command::Eval(EvalCommand::Cluster(a)) => {
            let wh = Warehouse::open_read(&warehouse(Path::new("warehouse")))?;
            let kinds: Vec<&str> = a.kinds.iter().map(String::as_str).collect();
            let kinds = (!kinds.is_empty()).then_some(kinds.as_slice());
            println!("{}", crate::cluster::evaluate(&wh, &a.truth, kinds, a.split.as_deref())?);
            Ok(Status::Ok)
        }
        Command::Eval(EvalCommand::Replies(a)) => {
            let [title, post, reply, received, replied] = <[String; 5]>::try_from(a.columns).map_err(|c| {
                crate::Error::Usage(format!(
                    "--columns needs five names (title, text, reply, received, replied), got {}",
                    c.len()
                ))
            })?;
            let cols = crate::review::eval::Columns {
                title,
                post,
                reply,
                received,
                replied,
                explains: a.explains.filter(|e| !e.is_empty()),
                relevant: a.relevant,
            };
            let e = crate::review::eval::evaluate(&a.file, &cols)?;
            if a.rows {
                println!("labels\tscore\trel\tcompl\texpl\ttitle\tflags");
                e.rows.iter().for_each(|r| println!("{r}"));
            }
            println!("{e}");
            Ok(Status::Ok)
        }
        Command::Review => {
            let wh = Warehouse::open(&warehouse(Path::new("warehouse")))?;
            let (r, _) = crate::review::run(&wh)?;
            println!("{r}");
            Ok(Status::Ok)
        }
        Command::Eval(EvalCommand::Entities(a)) => {
            let gaz = match &a.gazetteer {
                Some(p) => crate::entities::Gazetteer::load(p)?,
                None => crate::entities::Gazetteer::default(),
            };
            let e = crate::entities::eval::evaluate(&a.posts, &a.id, &a.text, &a.truth, a.split.as_deref(), &gaz)?;
            println!("{e}");
            Ok(Status::Ok)
        }
        Command::Metrics(a) => {
            let wh = Warehouse::open(&warehouse(Path::new("warehouse")))?;
            let cfg = crate::metrics::MetricsConfig {
                policy: a.policy,
                warn_days: a.warn_days,
                populations: a.populations,
                ..Default::default()
            };
            println!("{}", crate::metrics::run(&wh, &cfg, a.as_of)?);
            Ok(Status::Ok)
        }
        Command::Eval(EvalCommand::Risk(a)) => {
            let wh = Warehouse::open(&warehouse(&a.input.join("warehouse")))?;
            if wh.parts(crate::schema::table::CASES)?.is_empty() {
                let rep = ingest(&wh, &[a.input.join("exports")], &IngestOptions::default())?;
                eprintln!("{rep}");
            }
            if wh.parts(crate::schema::table::ENRICHED)?.is_empty() {
                let gaz = Some(a.input.join("gazetteer.csv")).filter(|p| p.exists());
                let cfg = crate::pipeline::EnrichConfig::from_models_dir(&cli.models, gaz);
                eprintln!("{}", crate::pipeline::enrich(&wh, &cfg)?);
            }
            println!("{}", crate::risk::evaluate(&wh, &cli.models, &a.input.join("truth.csv"))?);
            Ok(Status::Ok)
        }
        Command::Train(a) => {
            let (docs, labels, unlabelled) =
                crate::classify::labelled_docs(&a.labels, &a.text, &a.label, a.char_ngrams)?;
            let opts = crate::classify::TrainOptions {
                alpha: a.alpha,
                max_features: a.max_features,
                char_ngrams: a.char_ngrams,
                ..Default::default()
            };
            let model = crate::classify::TextModel::train(&docs, &labels, &opts)?;
            model.save(&a.out)?;
            println!(
                "trained on {} documents ({} without a label left out): {} classes, {} features → {}",
                docs.len(),
                unlabelled,
                model.labels.len(),
                model.vocab.len(),
                a.out.display()
            );
            Ok(Status::Ok)
        }
        Command::Eval(EvalCommand::Classify(a)) => {
            let opts =
                crate::classify::TrainOptions { alpha: a.alpha, char_ngrams: a.char_ngrams, ..Default::default() };
            let (truth, predicted) = match (&a.model, &a.truth, &a.labels, a.folds) {
                (Some(model), Some(truth), _, _) => {
                    let model = crate::classify::TextModel::load(model)?;
                    let (docs, labels, _) =
                        crate::classify::labelled_docs(truth, &a.text, &a.label, model.char_ngrams)?;
                    let predicted = docs.iter().map(|d| model.predict(d).label).collect();
                    (labels, predicted)
                }
                (None, _, Some(file), Some(k)) if k >= 2 => {
                    let (docs, labels, _) = crate::classify::labelled_docs(file, &a.text, &a.label, a.char_ngrams)?;
                    let folds = match &a.fold_file {
                        Some(p) => read_folds(p, docs.len(), k)?,
                        None => crate::classify::stratified_folds(&labels, k, a.seed),
                    };
                    let predicted = crate::classify::cross_validate(&docs, &labels, &folds, k, &opts)?;
                    (labels, predicted)
                }
                _ => anyhow::bail!(crate::Error::Usage(
                    "give --model FILE --truth FILE, or --labels FILE --folds K (K ≥ 2)".into()
                )),
            };
            print!("{}", crate::classify::Scores::new(&truth, &predicted));
            Ok(Status::Ok)
        }
        Command::Demo(a) => {
            let bundled = Path::new("notebooks-data/sample");
            let sample = match a.records {
                None if bundled.is_dir() => bundled.to_path_buf(),
                records => {
                    let dir = a.out.join("sample");
                    if !dir.join("truth.csv").exists() || records.is_some() {
                        let cfg = GenerateConfig {
                            records: records.unwrap_or(2_000),
                            seed: a.seed,
                            ..GenerateConfig::default()
                        };
                        println!("{}", crate::generate::generate(&cfg, &dir)?);
                    }
                    dir
                }
            };
            let wh = Warehouse::open(&warehouse(&a.out.join("warehouse")))?;
            // the shipped weekly pipeline, pointed at the sample
            let p = crate::pipeline::config::Pipeline::weekly_for(&sample)?;
            println!("== weekly pipeline on {} ==", sample.display());
            let rep = crate::pipeline::run::run(&wh, &p, &cli.models, &person_key()?, None, &a.out.join("reports"))?;
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
    }
}

fn read_folds(path: &Path, n: usize, k: usize) -> anyhow::Result<Vec<usize>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let folds: Vec<usize> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.trim().parse::<usize>().with_context(|| format!("{}: `{l}` is not a fold number", path.display())))
        .collect::<anyhow::Result<_>>()?;
    if folds.len() != n || folds.iter().any(|&f| f >= k) {
        anyhow::bail!(crate::Error::Usage(format!(
            "{}: {} fold numbers below {k} expected (one per labelled row), found {}",
            path.display(),
            n,
            folds.len()
        )));
    }
    Ok(folds)
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
