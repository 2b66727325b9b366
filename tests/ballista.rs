//! The cluster path: `minqing sql --scheduler` on a Ballista scheduler and executor started as
//! a separate process on localhost gives the same answers as the local engine.
//! Runs with `cargo test --features ballista --test ballista`.
#![cfg(feature = "ballista")]

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use common::{enriched_json, four_part_warehouse, minqing, ok, run_weekly, run_weekly_on};

/// The `ballista-local` process, stopped when the test ends however it ends.
struct LocalCluster {
    child: Child,
    address: String,
}

/// A server process (scheduler, executor), stopped when the test ends however it ends.
struct Server(Child);

impl Server {
    fn start(dir: &Path, args: &[&str], log: &str) -> Server {
        let log = std::fs::File::create(dir.join(log)).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_minqing"))
            .args(args)
            .current_dir(dir)
            .env("MINQING_LOG", "minqing=debug")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("the server starts");
        Server(child)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.0.kill().ok();
        self.0.wait().ok();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Cases enriched by this process, from the `minqing_enrich` lines of its debug log.
fn cases_enriched_in(log: &str) -> (usize, usize) {
    let lines: Vec<&str> = log.lines().filter(|l| l.contains("minqing_enrich: enriched a batch")).collect();
    let cases = lines
        .iter()
        .filter_map(|l| l.split_whitespace().find_map(|w| w.strip_prefix("cases=")))
        .map(|n| n.parse::<usize>().unwrap())
        .sum();
    (lines.len(), cases)
}

impl LocalCluster {
    fn start() -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_minqing"))
            .args(["ballista-local", "--slots", "2"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("ballista-local starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let address = line
            .split_whitespace()
            .find(|w| w.starts_with("df://"))
            .unwrap_or_else(|| panic!("no scheduler address in {line:?}"))
            .to_string();
        LocalCluster { child, address }
    }
}

impl Drop for LocalCluster {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

fn sql_on(dir: &Path, scheduler: Option<&str>, q: &str) -> String {
    let mut args = vec!["--warehouse", "demo/warehouse", "sql", "--format", "csv"];
    if let Some(s) = scheduler {
        args.extend(["--scheduler", s]);
    }
    args.push(q);
    let out = minqing(dir, &args);
    assert_eq!(out.status.code(), Some(0), "{q}\n{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Aggregations of the shapes the briefing and the rankings use: grouped counts, a join of two
/// tables, distinct counts, a window, a filter on a scored column. Every one is fully ordered.
const QUERIES: &[&str] = &[
    "SELECT source, count(*) AS n, sum(headcount) AS people FROM cases GROUP BY source ORDER BY source",
    "SELECT e.focus_topic, r.level, count(*) AS n, round(avg(r.score), 6) AS mean_score \
     FROM enriched e JOIN risk r ON e.case_id = r.case_id \
     GROUP BY e.focus_topic, r.level ORDER BY e.focus_topic, r.level",
    "SELECT region_town, count(DISTINCT person_key) AS petitioners FROM cases \
     WHERE region_town IS NOT NULL GROUP BY region_town ORDER BY petitioners DESC, region_town LIMIT 20",
    "SELECT case_id, score, rank() OVER (PARTITION BY source ORDER BY score DESC, case_id) AS r \
     FROM risk ORDER BY source, r, case_id LIMIT 50",
    "SELECT c.cluster_id, count(m.case_id) AS members FROM clusters c \
     JOIN cluster_members m ON c.cluster_id = m.cluster_id GROUP BY c.cluster_id ORDER BY members DESC, c.cluster_id",
];

#[test]
fn sql_on_a_local_ballista_cluster_equals_the_local_engine() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    ok(&minqing(d, &["demo", "--records", "600", "--out", "demo"]));
    let cluster = LocalCluster::start();
    for q in QUERIES {
        let local = sql_on(d, None, q);
        assert!(local.lines().count() > 1, "the query must return rows to compare: {q}\n{local}");
        let remote = sql_on(d, Some(&cluster.address), q);
        assert_eq!(local, remote, "{q}");
    }
    // a province over two county warehouses, on the cluster
    ok(&minqing(d, &["demo", "--records", "300", "--seed", "9", "--out", "other"]));
    let q = "SELECT source, count(*) AS n FROM cases GROUP BY source ORDER BY source";
    let union = |s: Option<&str>| {
        let mut args = vec!["--warehouse", "demo/warehouse", "sql", "--union", "other/warehouse", "--format", "csv"];
        if let Some(s) = s {
            args.extend(["--scheduler", s]);
        }
        args.push(q);
        ok(&minqing(d, &args))
    };
    assert_eq!(union(Some(&cluster.address)), union(None));
    assert_ne!(union(None), sql_on(d, None, q));
    // and the in-process form
    let standalone = sql_on(d, Some("standalone"), QUERIES[1]);
    assert_eq!(standalone, sql_on(d, None, QUERIES[1]));
}

#[test]
fn an_unreachable_scheduler_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    ok(&minqing(d, &["demo", "--records", "200", "--out", "demo"]));
    let out = minqing(d, &["--warehouse", "demo/warehouse", "sql", "--scheduler", "df://127.0.0.1:9", "SELECT 1"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot reach the Ballista scheduler at df://127.0.0.1:9"), "{err}");
}

#[test]
fn the_text_stages_run_on_the_executors_and_write_the_same_table() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let enrich = four_part_warehouse(d, "1200");
    let args: Vec<&str> = enrich.iter().map(String::as_str).collect();
    ok(&minqing(d, &args));
    let cases = enriched_json(d, "parts", None).lines().count();
    let sorted_local = enriched_json(d, "parts", Some("source, case_id"));

    // a scheduler and two executors, each its own process, as on three machines
    let port = free_port();
    let bind = format!("127.0.0.1:{port}");
    let _scheduler = Server::start(d, &["ballista-scheduler", "--bind", &bind], "scheduler.log");
    let executor = |n: usize| {
        let (flight, grpc) = (free_port().to_string(), free_port().to_string());
        let scheduler = format!("localhost:{port}");
        let a = [
            "ballista-executor",
            "--scheduler",
            &scheduler,
            "--bind-host",
            "127.0.0.1",
            "--external-host",
            "localhost",
            "--port",
            &flight,
            "--grpc-port",
            &grpc,
            "--slots",
            "1",
        ];
        Server::start(d, &a, &format!("executor{n}.log"))
    };
    let _executors = [executor(1), executor(2)];
    let mut on_cluster = args.clone();
    let address = format!("df://localhost:{port}");
    on_cluster.extend(["--scheduler", &address]);
    let run = || {
        let out = Command::new(env!("CARGO_BIN_EXE_minqing"))
            .args(&on_cluster)
            .current_dir(d)
            .env("MINQING_KEY", "test-key")
            .env("MINQING_LOG", "minqing=debug")
            .output()
            .unwrap();
        ok(&out);
        out
    };
    let out = run();
    // the same rows; the cluster writes them sorted by (source, case_id)
    let key = Some("source, case_id");
    assert_eq!(enriched_json(d, "parts", key), sorted_local, "the cluster's table equals the local one");
    assert_eq!(enriched_json(d, "parts", None), sorted_local, "in (source, case_id) order");
    // the text was read on the executors, not by the client
    assert_eq!(cases_enriched_in(&String::from_utf8_lossy(&out.stderr)), (0, 0));
    let logs: Vec<(usize, usize)> = (1..=2)
        .map(|n| cases_enriched_in(&std::fs::read_to_string(d.join(format!("executor{n}.log"))).unwrap()))
        .collect();
    let batches: usize = logs.iter().map(|l| l.0).sum();
    assert_eq!(logs.iter().map(|l| l.1).sum::<usize>(), cases, "every case enriched once, on an executor: {logs:?}");
    assert!(batches >= 4, "one task per part at least: {logs:?}");
    eprintln!("batches and cases per executor: {logs:?}");
    // and again: the same table, in the same order
    run();
    assert_eq!(enriched_json(d, "parts", None), sorted_local);
}

#[test]
fn the_weekly_briefing_is_the_same_with_the_text_stages_on_a_cluster() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("direct"), tmp.path().join("cluster"));
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    let cluster = LocalCluster::start();
    let direct = run_weekly(&a);
    // the cluster writes `enriched` in (source, case_id) order; everything after joins by key
    assert_eq!(run_weekly_on(&b, Some(&cluster.address)), direct);
    let risk = |d: &Path| {
        let q = "SELECT * FROM risk ORDER BY case_id";
        ok(&minqing(d, &["--warehouse", "warehouse", "sql", "--format", "json", q]))
    };
    let scores = risk(&a);
    assert!(scores.lines().count() > 1000, "{}", scores.lines().count());
    assert_eq!(risk(&b), scores);
}
