//! Helpers for the end-to-end tests: run the real binary in a temp folder.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub fn minqing(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_minqing"))
        .args(args)
        .current_dir(dir)
        .env("MINQING_KEY", "test-key")
        .output()
        .expect("binary runs")
}

pub fn ok(out: &Output) -> String {
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "exit {:?}\nstdout:\n{text}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

pub fn sql(dir: &Path, q: &str) -> String {
    let out = minqing(dir, &["sql", "--format", "csv", q]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The single number a `SELECT count(*) …` returns.
pub fn count(dir: &Path, q: &str) -> u64 {
    sql(dir, q).lines().nth(1).and_then(|l| l.trim().parse().ok()).unwrap_or_else(|| panic!("no count from {q}"))
}

/// `rows read N = added A + rejected R + … skipped S` from the total line.
/// (read, added, updated, rejected, skipped) from an ingest report's `total:` line.
pub fn totals(report: &str) -> (u64, u64, u64, u64, u64) {
    let line = report.lines().find(|l| l.starts_with("total:")).expect("total line");
    let nums: Vec<u64> = line.split(|c: char| !c.is_ascii_digit()).filter_map(|s| s.parse().ok()).collect();
    (nums[0], nums[1], nums[2], nums[3], nums[4])
}

pub fn truth(path: &Path) -> Vec<Vec<String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    r.records().map(|x| x.unwrap().iter().map(String::from).collect()).collect()
}

pub fn shared_data() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/message-board-labelled-495.xlsx");
    assert!(p.exists(), "the real message-board export is expected at {}", p.display());
    p
}

/// The project's models folder.
pub fn models() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("models").to_string_lossy().into_owned()
}

/// A warehouse of the demo sample's four exports, each ingested in its own commit, so
/// `cases` has four parts (four partitions for a query), and the flags that enrich it with
/// the project's focus model and the sample's gazetteer.
pub fn four_part_warehouse(dir: &Path, records: &str) -> Vec<String> {
    ok(&minqing(dir, &["demo", "--records", records, "--seed", "4", "--out", "demo"]));
    for f in ["petition.xlsx", "hotline.gbk.csv", "message.utf8.csv", "opinion.jsonl"] {
        let input = format!("demo/sample/exports/{f}");
        ok(&minqing(dir, &["--warehouse", "parts", "ingest", "--input", &input]));
    }
    let parts = std::fs::read_dir(dir.join("parts/cases"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().starts_with("part-"))
        .count();
    assert_eq!(parts, 4, "one part per export");
    ["--models", &models(), "--warehouse", "parts", "enrich", "--gazetteer", "demo/sample/gazetteer.csv"]
        .map(String::from)
        .to_vec()
}

/// The whole `enriched` table as JSON lines, in table order, or `ORDER BY order` if given.
pub fn enriched_json(dir: &Path, warehouse: &str, order: Option<&str>) -> String {
    let q = format!("SELECT * FROM enriched{}", order.map(|o| format!(" ORDER BY {o}")).unwrap_or_default());
    let out = minqing(dir, &["--warehouse", warehouse, "sql", "--format", "json", &q]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A copy of pipelines/weekly.toml pointing at the repository's bundled sample.
pub fn weekly(dir: &Path) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("pipelines/weekly.toml"))
        .unwrap()
        .replace("../notebooks-data", &root.join("notebooks-data").to_string_lossy());
    std::fs::write(dir.join("weekly.toml"), text).unwrap();
    "weekly.toml".into()
}

/// The weekly pipeline on the bundled sample as of 2026-10-31; its briefing.
pub fn run_weekly(d: &Path) -> String {
    run_weekly_on(d, None)
}

/// The same, with the text stages as a query on `scheduler`.
pub fn run_weekly_on(d: &Path, scheduler: Option<&str>) -> String {
    let p = weekly(d);
    let m = models();
    let mut args = vec!["--models", &m, "run", &p, "--as-of", "2026-10-31", "--out", "reports"];
    if let Some(s) = scheduler {
        args.extend(["--scheduler", s]);
    }
    let out = ok(&minqing(d, &args));
    assert!(out.contains("enrich"), "{out}");
    std::fs::read_to_string(d.join("reports/weekly-2026-10-31/briefing.md")).unwrap()
}

/// `minqing user add` with the password on stdin.
pub fn add_user(dir: &Path, users: &str, name: &str, role: &str, scope: &str, password: &str) -> std::process::Output {
    let mut args = vec!["user", "add", "--users", users, name, "--role", role];
    if !scope.is_empty() {
        args.extend(["--scope", scope]);
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_minqing"))
        .args(&args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(format!("{password}\n").as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}
