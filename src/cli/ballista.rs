//! `minqing ballista-local`, `ballista-scheduler`, `ballista-executor`: a Ballista cluster with minqing's functions (`--features ballista`).

use std::path::PathBuf;

use clap::Args;

use super::Status;

#[derive(Debug, Args)]
pub(super) struct BallistaLocalArgs {
    /// Task slots of the executor (default: the number of cores)
    #[arg(long)]
    slots: Option<usize>,
}

#[derive(Debug, Args)]
pub(super) struct BallistaSchedulerArgs {
    /// Address to listen on
    #[arg(long, default_value = "0.0.0.0:50050")]
    bind: std::net::SocketAddr,
    /// The name executors and clients reach this machine by
    #[arg(long, default_value = "localhost")]
    external_host: String,
}

#[derive(Debug, Args)]
pub(super) struct BallistaExecutorArgs {
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

#[cfg(feature = "ballista")]
pub(super) fn ballista_local(a: BallistaLocalArgs) -> anyhow::Result<Status> {
    let slots = a.slots.unwrap_or_else(cores);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async {
        let addr = crate::warehouse::cluster::start_local_cluster(slots, super::functions()).await?;
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
pub(super) fn ballista_scheduler(a: BallistaSchedulerArgs) -> anyhow::Result<Status> {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    eprintln!("scheduler listening on {} (reach it as df://{}:{})", a.bind, a.external_host, a.bind.port());
    rt.block_on(crate::warehouse::cluster::serve_scheduler(a.bind, a.external_host, super::functions()))?;
    Ok(Status::Ok)
}

#[cfg(feature = "ballista")]
pub(super) fn ballista_executor(a: BallistaExecutorArgs) -> anyhow::Result<Status> {
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
    rt.block_on(crate::warehouse::cluster::serve_executor(options, super::functions()))?;
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
pub(super) fn ballista_local(_: BallistaLocalArgs) -> anyhow::Result<Status> {
    without_ballista()
}

#[cfg(not(feature = "ballista"))]
pub(super) fn ballista_scheduler(_: BallistaSchedulerArgs) -> anyhow::Result<Status> {
    without_ballista()
}

#[cfg(not(feature = "ballista"))]
pub(super) fn ballista_executor(_: BallistaExecutorArgs) -> anyhow::Result<Status> {
    without_ballista()
}
