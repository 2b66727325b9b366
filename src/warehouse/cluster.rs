//! minqing's own Ballista scheduler and executor (`--features ballista`). They are stock
//! Ballista with the caller's functions (minqing's `minqing_enrich`) in every session, so the plans of
//! `minqing enrich --scheduler` decode on the scheduler and run on the executors; a stock
//! `ballista-executor` would not know the text stages.

use std::net::SocketAddr;
use std::sync::Arc;

use ballista::prelude::SessionConfigExt;
use ballista_core::serde::BallistaCodec;
use ballista_core::serde::protobuf::scheduler_grpc_client::SchedulerGrpcClient;
use datafusion::execution::{FunctionRegistry, SessionState};
use datafusion::prelude::SessionConfig;

use super::sql::Functions;
use crate::{Error, Result};

/// A Ballista session with the caller's functions, on the given configuration.
pub fn session_state(config: SessionConfig, functions: &Functions) -> datafusion::common::Result<SessionState> {
    let mut state = ballista_core::utils::default_session_builder(config.upgrade_for_ballista())?;
    for f in functions.iter() {
        state.register_udf(f.clone())?;
    }
    Ok(state)
}

/// [`session_state`] as the session builder Ballista's scheduler calls.
fn builder(
    functions: Functions,
) -> Arc<dyn Fn(SessionConfig) -> datafusion::common::Result<SessionState> + Send + Sync> {
    Arc::new(move |config| session_state(config, &functions))
}

fn cluster_error(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Service(format!("{what}: {e}"))
}

/// Start a scheduler on `localhost` and one executor with `slots` task slots, both in this
/// process; returns the scheduler's address. They live as long as the current tokio runtime.
pub async fn start_local_cluster(slots: usize, functions: Functions) -> Result<SocketAddr> {
    let err = |e: String| cluster_error("starting a local Ballista cluster", e);
    let addr = ballista_scheduler::standalone::new_standalone_scheduler_with_builder(
        builder(functions.clone()),
        Arc::new(ballista_core::utils::default_config_producer),
        BallistaCodec::default(),
    )
    .await
    .map_err(|e| err(e.to_string()))?;
    let url = format!("http://localhost:{}", addr.port());
    let mut tries = 0;
    let client = loop {
        match SchedulerGrpcClient::connect(url.clone()).await {
            Ok(c) => break c,
            Err(e) if tries >= 100 => return Err(err(e.to_string())),
            Err(_) => {
                tries += 1;
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    };
    let state = session_state(SessionConfig::new_with_ballista(), &functions).map_err(|e| err(e.to_string()))?;
    ballista_executor::new_standalone_executor_from_state(client, slots.max(1), &state)
        .await
        .map_err(|e| err(e.to_string()))?;
    Ok(addr)
}

/// Serve a scheduler on `bind` (`0.0.0.0:50050`) until the process is stopped; `external_host`
/// is the name executors and clients reach it by.
pub async fn serve_scheduler(bind: SocketAddr, external_host: String, functions: Functions) -> Result<()> {
    use ballista_scheduler::cluster::BallistaCluster;
    use ballista_scheduler::config::SchedulerConfig;
    let config = SchedulerConfig {
        bind_host: bind.ip().to_string(),
        bind_port: bind.port(),
        external_host,
        scheduling_policy: ballista_core::config::TaskSchedulingPolicy::PullStaged,
        override_session_builder: Some(builder(functions)),
        ..Default::default()
    };
    let err = |e: String| cluster_error(&format!("serving a Ballista scheduler on {bind}"), e);
    let cluster = BallistaCluster::new_from_config(&config).await.map_err(|e| err(e.to_string()))?;
    ballista_scheduler::scheduler_process::start_server(cluster, bind, Arc::new(config))
        .await
        .map_err(|e| err(e.to_string()))
}

/// Where an executor listens and which scheduler it serves.
#[derive(Debug, Clone)]
pub struct ExecutorOptions {
    pub scheduler_host: String,
    pub scheduler_port: u16,
    pub bind_host: String,
    /// The name the scheduler and other executors reach this one by.
    pub external_host: Option<String>,
    /// Arrow Flight port (shuffle data).
    pub port: u16,
    pub grpc_port: u16,
    pub slots: usize,
    /// Where shuffle files go.
    pub work_dir: Option<String>,
}

/// Serve an executor until the process is stopped (or the scheduler tells it to stop).
pub async fn serve_executor(o: ExecutorOptions, functions: Functions) -> Result<()> {
    use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};
    let state = session_state(SessionConfig::new_with_ballista(), &functions)
        .map_err(|e| cluster_error("building the executor's session", e))?;
    let what = format!("serving a Ballista executor for the scheduler at {}:{}", o.scheduler_host, o.scheduler_port);
    let config = ExecutorProcessConfig {
        bind_host: o.bind_host,
        external_host: o.external_host,
        port: o.port,
        grpc_port: o.grpc_port,
        scheduler_host: o.scheduler_host,
        scheduler_port: o.scheduler_port,
        scheduler_connect_timeout_seconds: 30,
        vcores: o.slots,
        task_scheduling_policy: ballista_core::config::TaskSchedulingPolicy::PullStaged,
        work_dir: o.work_dir,
        override_function_registry: Some(Arc::new((&state).into())),
        ..Default::default()
    };
    start_executor_process(Arc::new(config)).await.map_err(|e| cluster_error(&what, e))
}
