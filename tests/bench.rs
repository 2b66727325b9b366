//! `minqing bench`: the stage table, the floor and the peer's figures, from the real binary.
//! The peer here is a stand-in script with known timings, so the parsing and the
//! per-record ratio can be checked without Python.

mod common;

use common::{minqing, models, ok};

/// The numeric cells of a table row that starts with `| label`.
fn row(out: &str, label: &str) -> Vec<f64> {
    let line =
        out.lines().find(|l| l.starts_with(&format!("| {label}"))).unwrap_or_else(|| panic!("no {label} row:\n{out}"));
    line.split('|').skip(2).filter_map(|c| c.trim().trim_matches('*').split_whitespace().next()?.parse().ok()).collect()
}

#[test]
fn bench_times_every_stage_against_the_floor_and_the_peer() {
    let dir = tempfile::tempdir().unwrap();
    let peer = dir.path().join("peer.sh");
    // prints what peer_pipeline.py prints; called once per csv/xlsx export
    std::fs::write(
        &peer,
        "echo 'stage read         0.50 s'\necho 'stage segment      2.00 s'\necho 'total 2.50 s for 1000 rows'\n",
    )
    .unwrap();
    let out = ok(&minqing(
        dir.path(),
        &[
            "--models",
            &models(),
            "bench",
            "--records",
            "1200",
            "--data",
            "b",
            "--peer",
            "sh",
            "--peer-script",
            "peer.sh",
        ],
    ));
    for stage in ["ingest", "enrich", "risk", "metrics", "cluster", "report"] {
        let r = row(&out, stage);
        assert!(r[0] > 0.0 && r[1] > 0.0, "{stage}: {r:?}\n{out}");
    }
    let total = row(&out, "**whole pipeline**");
    let floor = row(&out, "bare jieba-rs");
    assert!(floor[1] > total[1], "the floor is faster than the pipeline: {floor:?} vs {total:?}");
    // three exports the stand-in "reads" (hotline csv, message csv, petition xlsx): 3000 rows
    assert!(out.contains("peer stages: read 1.5s, segment 6.0s"), "{out}");
    assert!(out.contains("(3000 rows vs"), "{out}");
    // a second bench reuses the generated data and starts from an empty warehouse
    let again = ok(&minqing(dir.path(), &["--models", &models(), "bench", "--records", "1200", "--data", "b"]));
    assert!(!again.contains("generated"), "{again}");
    let cases = |s: &str| s.lines().find(|l| l.contains("cases stored")).map(String::from);
    assert_eq!(cases(&out), cases(&again));
}
