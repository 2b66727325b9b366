//! Readers outside minqing: every warehouse table read with the Python `deltalake` package and
//! with polars `read_delta` (from the venv `scripts/readers-setup.sh` makes) gives the rows
//! `minqing sql` gives: the same count and the same checksum.

mod common;
use common::*;
use std::path::Path;
use std::process::Command;

const READ: &str = r#"
import json, sys, os
import polars as pl
from deltalake import DeltaTable
out = {}
for t in sorted(os.listdir(sys.argv[1])):
    d = os.path.join(sys.argv[1], t)
    if not os.path.isdir(os.path.join(d, "_delta_log")):
        continue
    a = DeltaTable(d).to_pyarrow_table()
    p = pl.read_delta(d)
    col = sys.argv[2] if sys.argv[2] in p.columns else None
    s = p[col].cast(pl.Utf8).str.len_chars().sum() if col else None
    out[t] = {"delta_rows": a.num_rows, "polars_rows": p.height, "chars": s, "columns": p.columns}
print(json.dumps(out))
"#;

fn python() -> String {
    let setup = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/readers-setup.sh");
    let out = Command::new(setup).output().expect("readers-setup.sh runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn python_deltalake_and_polars_read_every_table_as_minqing_does() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    ok(&minqing(d, &["demo", "--records", "600", "--seed", "3", "--out", "demo"]));
    // the demo's warehouse, then a re-export and a forget: updates and removes in the logs
    let wh = d.join("demo/warehouse");
    let wh_arg = wh.to_string_lossy().into_owned();
    ok(&minqing(d, &["--warehouse", &wh_arg, "ingest", "--input", "demo/sample/exports/petition.xlsx"]));
    let py = python();
    let out = Command::new(&py).args(["-c", READ, &wh_arg, "case_id"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let got: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let tables = got.as_object().unwrap();
    for t in ["cases", "enriched", "risk", "clusters", "cluster_members", "metrics", "case_versions"] {
        assert!(tables.contains_key(t), "{t} is not a Delta table: {tables:?}");
    }
    for (t, v) in tables {
        let q = |sql: &str| {
            let out = minqing(d, &["--warehouse", &wh_arg, "sql", "--format", "csv", sql]);
            assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
            String::from_utf8_lossy(&out.stdout).lines().nth(1).unwrap_or("").trim().to_string()
        };
        let rows = q(&format!("SELECT count(*) FROM {t}"));
        assert_eq!(v["delta_rows"].to_string(), rows, "{t}: deltalake vs minqing sql");
        assert_eq!(v["polars_rows"].to_string(), rows, "{t}: polars vs minqing sql");
        if v["chars"].is_number() {
            let chars = q(&format!("SELECT coalesce(sum(character_length(CAST(case_id AS VARCHAR))), 0) FROM {t}"));
            assert_eq!(v["chars"].to_string(), chars, "{t}: checksum of case_id");
        }
        let mine: Vec<String> = sql_columns(d, &wh_arg, t);
        let theirs: Vec<String> =
            v["columns"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_string()).collect();
        assert_eq!(theirs, mine, "{t}: columns");
    }
}

fn sql_columns(d: &Path, wh: &str, t: &str) -> Vec<String> {
    let out = minqing(d, &["--warehouse", wh, "sql", "--format", "csv", &format!("DESCRIBE {t}")]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).lines().skip(1).map(|l| l.split(',').next().unwrap().to_string()).collect()
}
