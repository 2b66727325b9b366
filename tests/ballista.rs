//! The cluster path: `minqing sql --scheduler` on a Ballista scheduler and executor started as
//! a separate process on localhost gives the same answers as the local engine.
//! Runs with `cargo test --features ballista --test ballista`.
#![cfg(feature = "ballista")]

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use common::{minqing, ok};

/// The `ballista-local` process, stopped when the test ends however it ends.
struct LocalCluster {
    child: Child,
    address: String,
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
