//! Crash safety: runs of the real binary are killed (SIGKILL) at random points during
//! ingest and during the weekly pipeline; after each kill the warehouse must open, every
//! committed part must read back whole, a report folder must be complete or absent; and a
//! rerun must give byte-identical tables and outputs to a run never interrupted.
//! `MINQING_CRASH_ITERATIONS=N` runs a longer campaign (default 4 of each).

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{models, ok};
use minqing::table;
use minqing::{Warehouse, read_table};
use rand::{Rng, SeedableRng};

const AS_OF: &str = "2026-10-31";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn exports() -> String {
    root().join("notebooks-data/sample/exports").to_string_lossy().into_owned()
}

fn pipeline(dir: &Path) -> String {
    let text = std::fs::read_to_string(root().join("pipelines/weekly.toml"))
        .unwrap()
        .replace("../notebooks-data", &root().join("notebooks-data").to_string_lossy());
    std::fs::write(dir.join("weekly.toml"), text).unwrap();
    "weekly.toml".into()
}

fn command(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_minqing"));
    c.args(["--models", &models()]).args(args).current_dir(dir).env("MINQING_KEY", "crash-test");
    // tables in files of 300 rows, so a kill can land between the files of one split part
    c.env("MINQING_PART_ROWS", "300");
    c
}

fn ingest_args() -> Vec<String> {
    vec!["ingest".into(), "--input".into(), exports()]
}

fn run_args() -> Vec<String> {
    ["run", "weekly.toml", "--as-of", AS_OF, "--out", "reports"].map(String::from).to_vec()
}

/// Run to the end; returns the seconds it took.
fn finish(dir: &Path, args: &[String]) -> f64 {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let t = Instant::now();
    ok(&command(dir, &args).output().unwrap());
    t.elapsed().as_secs_f64()
}

/// Start a run and SIGKILL it after `after`; true if it was still running.
fn kill_after(dir: &Path, args: &[String], after: Duration) -> bool {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut child = command(dir, &args).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let t = Instant::now();
    while t.elapsed() < after {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    true
}

/// What a run leaves: each table's committed parts (by content, as part numbers depend
/// on how many runs there were) and every file of the report folder.
fn state(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let wh = Warehouse::open_read(&dir.join("warehouse")).unwrap();
    for t in table::ALL {
        // the files of each table's current Delta version (replaced files stay until vacuum)
        let mut parts: Vec<Vec<u8>> = wh.parts(t).unwrap().into_iter().map(|p| std::fs::read(p).unwrap()).collect();
        parts.sort();
        for (i, p) in parts.into_iter().enumerate() {
            out.insert(format!("warehouse/{t}#{i}"), p);
        }
    }
    let reports = dir.join("reports");
    for f in files(&reports) {
        let name = f.strip_prefix(&reports).unwrap().to_string_lossy().into_owned();
        let mut bytes = std::fs::read(&f).unwrap();
        if name.ends_with("run.json") {
            // run.json logs what this invocation did: its timings, and how many rows its
            // own ingest and enrich added (none, when the killed run had committed them).
            // Everything else, the inputs' hashes and every figure reported, must match.
            let mut v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            let o = v.as_object_mut().unwrap();
            o.remove("timings_seconds");
            // a killed run's commits are numbered too: the rerun reads a later commit
            o.remove("warehouse_commit");
            for input in o["inputs"].as_array_mut().unwrap() {
                for k in ["added", "updated", "unchanged", "rejected"] {
                    input.as_object_mut().unwrap().remove(k);
                }
            }
            // what the run had to do: less after a killed run did some of it
            for k in ["ingest_added", "ingest_rejected", "enriched", "replies_reviewed"] {
                o["rows"].as_object_mut().unwrap().remove(k);
            }
            bytes = serde_json::to_vec(&v).unwrap();
        }
        out.insert(name, bytes);
    }
    out
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![];
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(d) = dirs.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else { continue };
        for e in rd {
            let p = e.unwrap().path();
            if p.is_dir() { dirs.push(p) } else { out.push(p) }
        }
    }
    out.sort();
    out
}

/// After a kill: the warehouse opens (finishing or rolling back the interrupted batch),
/// every committed part reads back, and a visible report folder is complete.
fn check_after_kill(dir: &Path, outputs: &[String]) {
    let wh = Warehouse::open(&dir.join("warehouse")).unwrap();
    for t in table::ALL {
        read_table(&wh, t).unwrap_or_else(|e| panic!("{t} unreadable after a kill: {e}"));
        if let Ok(rd) = std::fs::read_dir(wh.table_dir(t)) {
            for e in rd {
                let name = e.unwrap().file_name().to_string_lossy().into_owned();
                // data files, the Delta log, what enrich, cluster and risk keep for their
                // next run (keyword frequencies, the grouping, the escalation model's fit, the
                // reply review's bigram counts)
                let known = name.starts_with("part-")
                    || name == "_delta_log"
                    || ["_df-", "_grouping-", "_model-", "_rarity-"].iter().any(|k| name.starts_with(k));
                assert!(known, "{t}/{name} left after recovery");
            }
        }
    }
    drop(wh);
    let folder = dir.join("reports").join(format!("weekly-{AS_OF}"));
    if folder.exists() {
        for o in outputs {
            assert!(folder.join(o).exists(), "report folder visible without {o}");
        }
    }
}

fn iterations() -> usize {
    std::env::var("MINQING_CRASH_ITERATIONS").ok().and_then(|s| s.parse().ok()).unwrap_or(4)
}

fn campaign(label: &str, args: fn() -> Vec<String>, seed: u64) {
    let reference = tempfile::tempdir().unwrap();
    pipeline(reference.path());
    let full = finish(reference.path(), &args());
    let want = state(reference.path());
    let outputs: Vec<String> = ["briefing.md", "briefing.html", "briefing.docx", "run.json", "clusters.xlsx"]
        .iter()
        .filter(|o| label == "ingest" || want.contains_key(&format!("weekly-{AS_OF}/{o}")))
        .map(|s| s.to_string())
        .collect();
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut killed = 0;
    for i in 0..iterations() {
        let d = tempfile::tempdir().unwrap();
        pipeline(d.path());
        // one or two kills at random points, then a run to the end
        for _ in 0..rng.random_range(1..=2) {
            let at = Duration::from_secs_f64(rng.random_range(0.0..full * 1.1));
            if kill_after(d.path(), &args(), at) {
                killed += 1;
                check_after_kill(d.path(), &outputs);
            }
        }
        finish(d.path(), &args());
        let got = state(d.path());
        assert_eq!(got.keys().collect::<Vec<_>>(), want.keys().collect::<Vec<_>>(), "{label} iteration {i}");
        for (k, v) in &want {
            if k.ends_with(".json") || k.ends_with(".md") {
                let (g, w) = (String::from_utf8_lossy(&got[k]), String::from_utf8_lossy(v));
                assert_eq!(g, w, "{label} iteration {i}: {k} differs from the uninterrupted run");
            }
            assert!(got[k] == *v, "{label} iteration {i}: {k} differs from the uninterrupted run");
        }
    }
    eprintln!("{label}: {} iterations, {killed} runs killed mid-way, full run {full:.1}s", iterations());
    assert!(killed > 0, "no run was killed mid-way");
}

#[test]
fn killed_ingest_recovers_and_reruns_identically() {
    campaign("ingest", ingest_args, 8);
}

#[test]
fn killed_pipeline_run_recovers_and_reruns_identically() {
    campaign("pipeline", run_args, 2026);
}

/// Each table's current files by content, and how many files its folder holds.
fn tables(dir: &Path) -> (BTreeMap<String, Vec<u8>>, usize) {
    let mut out = BTreeMap::new();
    let wh = Warehouse::open_read(&dir.join("warehouse")).unwrap();
    let mut on_disk = 0;
    for t in table::ALL {
        let mut parts: Vec<Vec<u8>> = wh.parts(t).unwrap().into_iter().map(|p| std::fs::read(p).unwrap()).collect();
        parts.sort();
        for (i, p) in parts.into_iter().enumerate() {
            out.insert(format!("{t}#{i}"), p);
        }
        on_disk += files(&wh.table_dir(t)).iter().filter(|p| p.extension().is_some_and(|e| e == "parquet")).count();
    }
    (out, on_disk)
}

/// `vacuum` killed at random points: every table still reads as it did (the files the
/// current versions need are never deleted before the log stops naming them), and a
/// vacuum run to the end after the kills deletes what the first would have.
#[test]
fn killed_vacuum_leaves_every_table_whole() {
    // a warehouse with replaced files: the weekly run twice (the second rewrites the
    // stages' tables) and a re-export
    let base = tempfile::tempdir().unwrap();
    pipeline(base.path());
    finish(base.path(), &run_args());
    finish(base.path(), &run_args());
    let (want, before) = tables(base.path());
    let vacuum: Vec<String> = ["vacuum", "--keep-days", "0"].map(String::from).to_vec();
    // the uninterrupted vacuum, for its time and what it leaves
    let reference = tempfile::tempdir().unwrap();
    let copy = |to: &Path| {
        assert!(Command::new("cp").arg("-r").arg(base.path().join("warehouse")).arg(to).status().unwrap().success());
    };
    copy(reference.path());
    let full = finish(reference.path(), &vacuum);
    let (got, after) = tables(reference.path());
    assert_eq!(got, want, "vacuum changes no table");
    assert!(after < before, "{before} parquet files before vacuum, {after} after: nothing replaced was deleted");
    let mut rng = rand::rngs::StdRng::seed_from_u64(47);
    let mut killed = 0;
    for i in 0..iterations() * 2 {
        let d = tempfile::tempdir().unwrap();
        copy(d.path());
        let at = Duration::from_secs_f64(rng.random_range(0.0..full * 1.2));
        if kill_after(d.path(), &vacuum, at) {
            killed += 1;
            let wh = Warehouse::open(&d.path().join("warehouse")).unwrap();
            for t in table::ALL {
                read_table(&wh, t)
                    .unwrap_or_else(|e| panic!("iteration {i}: {t} unreadable after a killed vacuum: {e}"));
            }
            drop(wh);
            assert_eq!(tables(d.path()).0, want, "iteration {i}: a killed vacuum changed a table");
        }
        finish(d.path(), &vacuum);
        assert_eq!(tables(d.path()), (want.clone(), after), "iteration {i}: vacuum after a kill");
    }
    eprintln!("vacuum: {} iterations, {killed} killed mid-way, full vacuum {full:.2}s", iterations() * 2);
    assert!(killed > 0, "no vacuum was killed mid-way");
}
