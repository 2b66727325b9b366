//! End-to-end tests of the real binary, each in a fresh temp folder.

use std::path::Path;
use std::process::Command;

use minqing::has_raw_identifier;

mod common;
use common::*;

#[test]
fn every_layout_in_every_format_reconciles_and_reingest_adds_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    ok(&minqing(d, &["generate", "--records", "800", "--seed", "7", "--out", "gen", "--formats", "all"]));
    let exports = d.join("gen/exports");
    for s in ["petition", "hotline", "message", "opinion"] {
        for f in ["xlsx", "utf8.csv", "gbk.csv", "jsonl"] {
            assert!(exports.join(format!("{s}.{f}")).exists(), "{s}.{f}");
        }
    }
    let out = minqing(d, &["ingest", "--input", "gen/exports"]);
    assert_eq!(out.status.code(), Some(1), "rejected rows make exit code 1");
    let report = ok(&out);
    assert!(!report.contains("DOES NOT RECONCILE"), "{report}");
    let (read, added, updated, rejected, skipped) = totals(&report);
    assert_eq!(read, added + updated + rejected + skipped);
    // some CSV rows carry a date where the workbook has date and time: a later, fuller version
    assert!(updated < read / 10, "{report}");

    // the truth file says which rows are malformed: each shows up as a reject in every format
    let t = truth(&d.join("gen/truth.csv"));
    let defects = t.iter().filter(|r| !r[7].is_empty() && r[7] != "duplicate").count() as u64;
    let dups = t.iter().filter(|r| r[7] == "duplicate").count() as u64;
    let good = t.len() as u64 - defects - dups;
    assert_eq!(added, good, "each good record stored once across the four formats\n{report}");
    assert_eq!(
        rejected,
        4 * defects,
        "each format's copy of a malformed row is rejected, with its own file and row\n{report}"
    );
    assert_eq!(read, 4 * t.len() as u64);
    assert_eq!(count(d, "SELECT count(*) FROM cases"), good);
    assert!(report.contains("gb18030"), "GBK csv detected\n{report}");

    // every source present, every header mapped
    for s in ["petition", "hotline", "message", "opinion"] {
        assert!(count(d, &format!("SELECT count(*) FROM cases WHERE source = '{s}'")) > 50, "{s}");
    }
    assert!(!report.contains("headers not mapped"), "{report}");

    let again = ok(&minqing(d, &["ingest", "--input", "gen/exports"]));
    let (read2, added2, updated2, rejected2, skipped2) = totals(&again);
    assert_eq!((added2, updated2, rejected2), (0, 0, 0), "{again}");
    assert_eq!(read2, skipped2);
    assert_eq!(count(d, "SELECT count(*) FROM cases"), good);
    assert_eq!(count(d, "SELECT count(*) FROM rejects"), 4 * defects);
}

#[test]
fn no_raw_phone_or_id_number_in_cases_or_rejects() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    ok(&minqing(d, &["generate", "--records", "1500", "--seed", "3", "--out", "gen"]));
    ok(&minqing(d, &["ingest", "--input", "gen/exports"]));
    let persons = sql(d, "SELECT id_number, phone FROM persons WHERE id_number IS NOT NULL LIMIT 50");
    let ids: Vec<String> = persons.lines().skip(1).filter_map(|l| l.split(',').next().map(String::from)).collect();
    assert!(ids.len() >= 10, "persons keeps the raw identifiers apart");
    let cases = sql(d, "SELECT title, content, reply FROM cases");
    let rejects = sql(d, "SELECT raw, detail FROM rejects");
    for text in [&cases, &rejects] {
        assert!(!has_raw_identifier(text), "a raw identifier leaked");
        for id in &ids {
            assert!(!text.contains(id.as_str()), "raw ID number {id} found");
        }
    }
    // the text did carry identifiers: they were masked, not lost
    assert!(cases.contains("****"), "masked phones and ID numbers stay readable as masks");
    let keys = count(d, "SELECT count(DISTINCT person_key) FROM cases WHERE source = 'petition'");
    let rows = count(d, "SELECT count(*) FROM cases WHERE source = 'petition'");
    assert!(keys < rows, "repeat petitioners share a person_key ({keys} keys, {rows} rows)");
}

#[test]
fn real_message_board_export_is_fully_accounted_for() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let file = shared_data();
    let report = ok(&minqing(d, &["ingest", "--source", "message", "--input", file.to_str().unwrap()]));
    // 495 posts; one post (37042) appears twice with two different labels: the later row wins
    assert!(
        report.contains("rows read      495 = added 494 + updated 1 + unchanged 0 + rejected 0 + rejected before 0"),
        "{report}"
    );
    assert_eq!(count(d, "SELECT count(*) FROM cases"), 494);
    let row = sql(d, "SELECT case_id, received_at, title, category_given FROM cases WHERE case_id = '24'");
    assert!(row.contains("24,2020-01-06T12:09:38,A市西湖建筑集团占道施工有安全隐患,城乡建设"), "{row}");
    // text cleaned: no tabs or newlines left from the export
    assert_eq!(count(d, "SELECT count(*) FROM cases WHERE content LIKE '%\t%' OR content LIKE '%\n%'"), 0);
    let span = sql(d, "SELECT min(received_at), max(received_at) FROM cases");
    assert!(span.contains("2011") || span.contains("2012"), "{span}");
    let labels = count(d, "SELECT count(DISTINCT category_given) FROM cases");
    assert_eq!(labels, 7);
    // source detection from headers alone gives the same
    let tmp2 = tempfile::tempdir().unwrap();
    let auto = ok(&minqing(tmp2.path(), &["ingest", "--input", file.to_str().unwrap()]));
    assert!(auto.contains("message"), "{auto}");
}

#[test]
fn unreadable_inputs_are_clear_errors_not_panics() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let cases: [(&str, Vec<u8>, &str); 5] = [
        ("garbage.csv", (0..4096u32).map(|i| (i * 7919 % 251) as u8).collect(), "cannot read"),
        ("truncated.xlsx", b"PK\x03\x04\x14\x00\x06\x00truncated".to_vec(), "not a readable Excel workbook"),
        ("empty.csv", vec![], "empty"),
        ("noheader.csv", "a,b,c\n1,2,3\n".as_bytes().to_vec(), "no header row"),
        ("binary.jsonl", vec![0u8, 1, 2, 3, 0, 0, 255], "binary"),
    ];
    for (name, bytes, expect) in cases {
        std::fs::write(d.join(name), bytes).unwrap();
        let out = minqing(d, &["ingest", "--input", name]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert!(err.contains(expect), "{name}: {err}");
        assert!(!err.contains("panicked"), "{name}: {err}");
    }
    // nothing half-written after the failures
    assert!(!d.join("warehouse/cases").exists() || std::fs::read_dir(d.join("warehouse/cases")).unwrap().count() == 0);
}

#[test]
fn title_rows_blank_rows_serial_dates_and_bad_rows() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let csv = "青溪县信访事项登记台账,,,,\n,,,,\n信访件编号,登记时间,信访人,联系电话,主要诉求,信访人数\n\
               X1,43524.5,张三,13812345678,拖欠工资，电话13812345678,\n\
               ,,,,,\n\
               X2,2019年2月28日,李四,,30多名农民工讨薪,\n\
               X3,2019/2/30 10:00,王五,,日期不存在,\n\
               X4,2019-03-01 08:00,赵六,,人数为负,-3\n\
               X1,2019-03-02 08:00,张三,,重复编号,\n\
               X5,2019-03-03 08:00,,,,\n\
               X6,2019-03-04 09:00,孙七,,多了一列,1,extra\n";
    std::fs::write(d.join("p.csv"), csv).unwrap();
    let report = ok(&minqing(d, &["ingest", "--source", "petition", "--input", "p.csv"]));
    assert!(report.contains("header on row 3"), "{report}");
    // X1 twice: the later row is a newer version of the case
    assert!(
        report.contains("rows read        7 = added 2 + updated 1 + unchanged 0 + rejected 4 + rejected before 0"),
        "{report}"
    );
    assert!(report.contains("blank rows ignored 1"), "{report}");
    let rows = sql(d, "SELECT case_id, received_at, headcount, content FROM cases ORDER BY case_id");
    assert!(rows.contains("X1,2019-03-02T08:00:00,,重复编号"), "the later row of X1 is stored\n{rows}");
    assert!(rows.contains("X2,2019-02-28T00:00:00,30,30多名农民工讨薪"), "{rows}");
    let rejects = sql(d, "SELECT row, reason FROM rejects ORDER BY row");
    for expect in ["7,bad received_at", "8,bad headcount", "10,empty text", "11,extra fields"] {
        assert!(rejects.contains(expect), "{expect}\n{rejects}");
    }
    let detail = sql(d, "SELECT detail FROM rejects WHERE row = 7");
    assert!(detail.contains("`登记时间`") && detail.contains("not a real calendar date"), "{detail}");
}

#[test]
fn demo_runs_end_to_end_and_sql_speaks_csv_and_json() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let out = ok(&minqing(d, &["demo", "--records", "400", "--out", "demo"]));
    assert!(out.contains("== warehouse"), "{out}");
    for s in ["petition", "hotline", "message", "opinion"] {
        assert!(out.contains(s), "{s}\n{out}");
    }
    assert!(out.contains("rejects:"), "{out}");
    let briefing = out.lines().find_map(|l| l.strip_prefix("briefing: ")).expect("the briefing's path");
    let md = std::fs::read_to_string(d.join(briefing)).unwrap();
    assert!(md.contains("## 一、总体情况") && md.contains("## 七、工作建议"), "{md}");
    let json = minqing(
        d,
        &[
            "--warehouse",
            "demo/warehouse",
            "sql",
            "--format",
            "json",
            "SELECT source, count(*) AS n FROM cases GROUP BY source ORDER BY source",
        ],
    );
    let text = String::from_utf8_lossy(&json.stdout);
    assert_eq!(text.lines().count(), 4, "{text}");
    assert!(text.lines().all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok()), "{text}");
    let bad = minqing(d, &["--warehouse", "demo/warehouse", "sql", "SELECT nope FROM cases"]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn generator_is_deterministic_for_a_seed() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    ok(&minqing(d, &["generate", "--records", "500", "--seed", "11", "--out", "a"]));
    ok(&minqing(d, &["generate", "--records", "500", "--seed", "11", "--out", "b"]));
    ok(&minqing(d, &["generate", "--records", "500", "--seed", "12", "--out", "c"]));
    for f in [
        "truth.csv",
        "exports/hotline.gbk.csv",
        "exports/opinion.jsonl",
        "exports/message.utf8.csv",
        "exports/petition.xlsx",
    ] {
        assert_eq!(std::fs::read(d.join("a").join(f)).unwrap(), std::fs::read(d.join("b").join(f)).unwrap(), "{f}");
    }
    assert_ne!(std::fs::read(d.join("a/truth.csv")).unwrap(), std::fs::read(d.join("c/truth.csv")).unwrap());
    let t = truth(&d.join("a/truth.csv"));
    let incidents: std::collections::BTreeSet<&str> =
        t.iter().map(|r| r[4].as_str()).filter(|s| !s.is_empty()).collect();
    assert!(incidents.len() >= 6, "{incidents:?}");
    let escalated = t.iter().filter(|r| r[6] == "1").count();
    assert!(escalated > 0 && escalated < t.len() / 2, "{escalated} of {}", t.len());
}

#[test]
fn killed_ingest_leaves_the_old_warehouse_or_the_new_one_never_half() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    ok(&minqing(d, &["generate", "--records", "12000", "--seed", "5", "--out", "gen"]));
    // what a run that is never interrupted ends with
    ok(&minqing(d, &["--warehouse", "clean", "ingest", "--input", "gen/exports/message.utf8.csv"]));
    ok(&minqing(d, &["--warehouse", "clean", "ingest", "--input", "gen/exports"]));
    let full = {
        let out = minqing(d, &["--warehouse", "clean", "sql", "--format", "csv", "SELECT count(*) FROM cases"]);
        String::from_utf8_lossy(&out.stdout).lines().nth(1).unwrap().parse::<u64>().unwrap()
    };
    // the warehouse already holds one export; the second one is killed at points through its run
    ok(&minqing(d, &["ingest", "--input", "gen/exports/message.utf8.csv"]));
    let before = count(d, "SELECT count(*) FROM cases");
    for delay_ms in [5u64, 40, 120, 250, 400, 700, 1000, 1500] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_minqing"))
            .args(["ingest", "--input", "gen/exports"])
            .current_dir(d)
            .env("MINQING_KEY", "test-key")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let n = count(d, "SELECT count(*) FROM cases");
        assert!(n == before || n == full, "after a kill at {delay_ms} ms: {n} cases, expected {before} or {full}");
        if n == full {
            break;
        }
    }
    // finish the job: the next run recovers, adds what is missing, and all reconciles
    let report = ok(&minqing(d, &["ingest", "--input", "gen/exports"]));
    assert!(!report.contains("DOES NOT RECONCILE"), "{report}");
    assert_eq!(count(d, "SELECT count(*) FROM cases"), full);
    assert_eq!(count(d, "SELECT count(*) FROM (SELECT DISTINCT source, case_id FROM cases)"), full);
    let hidden: Vec<String> = std::fs::read_dir(d.join("warehouse/cases"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(hidden.is_empty(), "temp parts left behind: {hidden:?}");
}

#[test]
fn no_pii_keeps_no_personal_data_and_drops_what_was_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    ok(&minqing(d, &["generate", "--records", "600", "--seed", "3", "--out", "gen"]));
    // a warehouse started without personal data never has a persons table
    ok(&minqing(d, &["--warehouse", "clean", "ingest", "--no-pii", "--input", "gen/exports/petition.xlsx"]));
    assert!(!d.join("clean/persons").exists());
    let cases = |wh: &str| {
        let out = minqing(d, &["--warehouse", wh, "sql", "--format", "csv", "SELECT count(*) FROM cases"]);
        String::from_utf8_lossy(&out.stdout).lines().nth(1).unwrap().parse::<u64>().unwrap()
    };
    assert!(cases("clean") > 100);

    // one that kept it loses it at the next --no-pii ingest, even one that adds no rows
    ok(&minqing(d, &["ingest", "--input", "gen/exports"]));
    assert!(count(d, "SELECT count(*) FROM persons") > 100);
    let before = count(d, "SELECT count(*) FROM cases");
    ok(&minqing(d, &["ingest", "--no-pii", "--input", "gen/exports/petition.xlsx"]));
    assert!(!d.join("warehouse/persons").exists(), "persons still on disk");
    // the table still exists for queries, empty
    assert_eq!(count(d, "SELECT count(*) FROM persons"), 0, "persons rows still queryable");
    assert_eq!(count(d, "SELECT count(*) FROM cases"), before, "cases untouched");
    // and person_key still links repeat petitioners without it
    assert!(count(d, "SELECT count(DISTINCT person_key) FROM cases WHERE person_key IS NOT NULL") > 100);
}

#[cfg(not(feature = "ballista"))]
#[test]
fn a_scheduler_without_the_ballista_build_says_how_to_get_it() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    ok(&minqing(d, &["demo", "--records", "200", "--out", "demo"]));
    let out = minqing(d, &["--warehouse", "demo/warehouse", "sql", "--scheduler", "df://localhost:50050", "SELECT 1"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--features ballista"), "{err}");
    let out = minqing(d, &["ballista-local"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn sql_reads_several_warehouses_as_one() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    ok(&minqing(d, &["demo", "--records", "300", "--seed", "1", "--out", "a"]));
    ok(&minqing(d, &["demo", "--records", "200", "--seed", "2", "--out", "b"]));
    let n = |args: &[&str]| -> u64 {
        let out = minqing(d, args);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).lines().nth(1).and_then(|l| l.trim().parse().ok()).unwrap()
    };
    let q = "SELECT count(*) FROM cases";
    let a = n(&["--warehouse", "a/warehouse", "sql", "--format", "csv", q]);
    let b = n(&["--warehouse", "b/warehouse", "sql", "--format", "csv", q]);
    assert!(a > 0 && b > 0);
    assert_eq!(n(&["--warehouse", "a/warehouse", "sql", "--union", "b/warehouse", "--format", "csv", q]), a + b);
    // a table only one of them has is still there
    let e = "SELECT count(*) FROM enriched";
    assert!(n(&["--warehouse", "a/warehouse", "sql", "--union", "b/warehouse", "--format", "csv", e]) > 0);
    let missing = minqing(d, &["--warehouse", "a/warehouse", "sql", "--union", "nowhere", q]);
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn enrich_as_a_partitioned_query_writes_the_same_table() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let enrich = four_part_warehouse(d, "1200");
    let args: Vec<&str> = enrich.iter().map(String::as_str).collect();
    let direct_report = ok(&minqing(d, &args));
    let direct = enriched_json(d, "parts", None);
    let mut query = args.clone();
    query.extend(["--scheduler", "local"]);
    let query_report = ok(&minqing(d, &query));
    assert_eq!(enriched_json(d, "parts", None), direct);
    assert!(direct.lines().count() > 1000, "{}", direct.lines().count());
    // the same counts, whatever the timing (the last line says how much was enriched and why)
    let counts = |r: &str| r.lines().skip(1).take(2).map(String::from).collect::<Vec<_>>();
    assert_eq!(counts(&query_report), counts(&direct_report));
    assert!(direct_report.contains("the focus model") && direct_report.contains("gazetteer used"), "{direct_report}");
    // the job's plan file is gone
    assert!(!d.join("parts/.jobs").exists());
}

#[test]
fn exit_codes_tell_bad_input_from_a_failure() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    ok(&minqing(d, &["demo", "--records", "200", "--out", "demo"]));
    let wh = ["--warehouse", "demo/warehouse"];
    let code = |args: &[&str]| {
        let out = minqing(d, &[&wh[..], args].concat());
        (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    // 2: what the user gave (a query that does not plan, an unknown column in a pipeline run's
    // warehouse name, a pipeline file that is not there)
    assert_eq!(code(&["sql", "SELECT nope FROM cases"]).0, Some(2));
    assert_eq!(code(&["run", "no-such-pipeline.toml"]).0, Some(2));
    // 3: a failure on the machine: the reports folder cannot be made (a file is in the way)
    std::fs::write(d.join("blocked"), "a file, not a folder").unwrap();
    let pipeline = Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines/weekly.toml");
    let (c, err) = code(&["run", pipeline.to_str().unwrap(), "--out", "blocked/reports"]);
    assert_eq!(c, Some(3), "{err}");
    assert!(err.contains("blocked"), "the error names the path: {err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn progress_is_drawn_only_on_a_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    // stderr is a pipe here: no bar, no carriage returns, only the report
    let out = minqing(d, &["demo", "--records", "300", "--out", "demo"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains('\r') && !err.contains(" left)"), "{err}");
    // on a terminal (util-linux `script` gives the command a pseudo-terminal) the stages draw
    if std::process::Command::new("script").arg("--version").output().is_ok_and(|o| o.status.success()) {
        let cmd = format!("MINQING_KEY=test-key {} --warehouse demo/warehouse risk", env!("CARGO_BIN_EXE_minqing"));
        let tty =
            std::process::Command::new("script").args(["-qec", &cmd, "/dev/null"]).current_dir(d).output().unwrap();
        let shown = String::from_utf8_lossy(&tty.stdout);
        assert!(tty.status.success(), "{shown}");
        assert!(shown.contains("risk") && shown.contains("cases"), "no progress on a terminal: {shown}");
    }
}
