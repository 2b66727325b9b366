//! Bureaus re-export their register every week: ingest is a MERGE on (source, case_id), so
//! a case closed in this week's export is closed in the warehouse, and an old export sent
//! again changes nothing (issue 17).

mod common;

use std::path::Path;

use common::{count, minqing, ok, sql};

const HEADER: &str = "信访件编号,登记时间,信访人,联系电话,主要诉求,责任单位,受理时间,限办日期,办结时间,满意度评价";

/// v1: P1 open and past its due date; v2: P1 closed, P3 new; P2 the same in both.
fn exports(d: &Path) {
    std::fs::write(
        d.join("v1.csv"),
        format!(
            "{HEADER}\n\
             P1,2026-05-06 09:00,张三,13812345678,拖欠工资八个月,县人社局,2026-05-07 09:00,2026-07-05,,\n\
             P2,2026-05-08 10:00,李四,13900001111,小区噪音扰民,县生态环境局,2026-05-08 15:00,2026-07-07,2026-06-01 10:00,满意\n"
        ),
    )
    .unwrap();
    std::fs::write(
        d.join("v2.csv"),
        format!(
            "{HEADER}\n\
             P1,2026-05-06 09:00,张三,13812345678,拖欠工资八个月,县人社局,2026-05-07 09:00,2026-07-05,2026-06-20 16:00,基本满意\n\
             P2,2026-05-08 10:00,李四,13900001111,小区噪音扰民,县生态环境局,2026-05-08 15:00,2026-07-07,2026-06-01 10:00,满意\n\
             P3,2026-06-25 11:00,王五,,道路破损,县交通局,,,,\n"
        ),
    )
    .unwrap();
}

fn overdue(d: &Path) -> String {
    ok(&minqing(d, &["metrics", "--as-of", "2026-08-01"]));
    sql(d, "SELECT case_id FROM deadlines WHERE state = '逾期' ORDER BY case_id")
}

#[test]
fn re_export_v1_v2_v1_ends_at_the_latest_state() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    exports(d);
    let r1 = ok(&minqing(d, &["ingest", "--source", "petition", "--input", "v1.csv"]));
    assert!(r1.contains("rows read        2 = added 2 + updated 0 + unchanged 0"), "{r1}");
    assert!(overdue(d).contains("P1"), "open and past due after v1");

    let r2 = ok(&minqing(d, &["ingest", "--source", "petition", "--input", "v2.csv"]));
    assert!(r2.contains("rows read        3 = added 1 + updated 1 + unchanged 1"), "{r2}");
    let p1 = sql(d, "SELECT closed_at, satisfaction FROM cases WHERE case_id = 'P1'");
    assert!(p1.contains("2026-06-20T16:00:00,基本满意"), "v2 closed P1\n{p1}");
    assert!(!overdue(d).contains("P1"), "closed in the re-export: off the overdue list");

    // last week's export again: nothing changes
    let r3 = ok(&minqing(d, &["ingest", "--source", "petition", "--input", "v1.csv"]));
    assert!(r3.contains("rows read        2 = added 0 + updated 0 + unchanged 2"), "{r3}");
    assert!(sql(d, "SELECT closed_at FROM cases WHERE case_id = 'P1'").contains("2026-06-20T16:00:00"));
    assert_eq!(count(d, "SELECT count(*) FROM cases"), 3);
    assert_eq!(count(d, "SELECT count(DISTINCT case_id) FROM cases"), 3);
    // one person row per case: an update replaces the case's persons, never adds to them
    assert_eq!(count(d, "SELECT count(*) FROM persons"), 3);
    // every stored version is kept: P1 twice, P2 and P3 once
    assert_eq!(count(d, "SELECT count(*) FROM case_versions"), 4);
    assert_eq!(count(d, "SELECT count(*) FROM case_versions WHERE case_id = 'P1'"), 2);

    // the history names each ingest's input, its hash and what it changed
    let h = ok(&minqing(d, &["history", "cases"]));
    let commits: Vec<&str> = h.lines().filter(|l| l.starts_with("commit")).collect();
    assert_eq!(commits.len(), 2, "the third ingest changed nothing in cases\n{h}");
    // copy-on-write: the one file holding P1 is rewritten with P1's new row, P3 added
    assert!(h.contains("cases            1 files rewritten into one of 3 rows"), "{h}");
    assert!(
        h.contains("input v2.csv (petition, blake3 ") && h.contains("read 3, added 1, updated 1, unchanged 1"),
        "{h}"
    );
    let all = ok(&minqing(d, &["history"]));
    assert!(all.matches("commit ").count() >= 4, "{all}");

    // time travel: the warehouse as the first ingest left it
    let first = h.lines().filter(|l| l.starts_with("commit")).last().unwrap();
    let n: String = first.split_whitespace().nth(1).unwrap().to_string();
    let then = ok(&minqing(
        d,
        &["sql", "--version", &n, "--format", "csv", "SELECT case_id, closed_at FROM cases ORDER BY case_id"],
    ));
    assert_eq!(then.lines().collect::<Vec<_>>(), ["case_id,closed_at", "P1,", "P2,2026-06-01T10:00:00"], "{then}");
    // the time `history` shows for that commit reads the same state
    let at = first.split_whitespace().nth(2).unwrap();
    let by_time = ok(&minqing(
        d,
        &["sql", "--version", at, "--format", "csv", "SELECT case_id, closed_at FROM cases ORDER BY case_id"],
    ));
    assert_eq!(by_time, then, "--version {at}");
    // and to the second, as a person would type it: the end of that second
    let second = &at[..at.find('.').unwrap()];
    let to_second =
        ok(&minqing(d, &["sql", "--version", &format!("{second}Z"), "--format", "csv", "SELECT count(*) FROM cases"]));
    assert!(to_second.lines().nth(1).is_some_and(|n| n == "2" || n == "3"), "{to_second}");
    let bad = minqing(d, &["sql", "--version", "999", "SELECT 1"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("there is no commit 999"));
}

#[test]
fn both_weeks_in_one_folder_store_the_later_version() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::create_dir(d.join("in")).unwrap();
    exports(&d.join("in"));
    // files are read in name order: v1.csv, then v2.csv
    let r = ok(&minqing(d, &["ingest", "--source", "petition", "--input", "in"]));
    assert!(r.contains("total: rows read 5 = added 3 + updated 1"), "{r}");
    assert_eq!(count(d, "SELECT count(*) FROM cases"), 3);
    assert!(sql(d, "SELECT closed_at FROM cases WHERE case_id = 'P1'").contains("2026-06-20T16:00:00"));
    assert_eq!(count(d, "SELECT count(*) FROM persons"), 3);
}

#[test]
fn a_warehouse_without_case_versions_learns_them_on_the_next_ingest() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    exports(d);
    ok(&minqing(d, &["ingest", "--source", "petition", "--input", "v1.csv"]));
    // as an older minqing left it: no case_versions
    std::fs::remove_dir_all(d.join("warehouse/case_versions")).unwrap();
    let r = ok(&minqing(d, &["ingest", "--source", "petition", "--input", "v2.csv"]));
    assert!(r.contains("rows read        3 = added 1 + updated 1 + unchanged 1"), "{r}");
    assert_eq!(count(d, "SELECT count(*) FROM case_versions"), 4);
}

/// Every file under `dir`, read whole.
fn all_bytes(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = vec![];
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else {
                out.push((p.display().to_string(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out
}

fn files_holding(dir: &Path, needle: &str) -> Vec<String> {
    all_bytes(dir)
        .into_iter()
        .filter(|(_, b)| b.windows(needle.len()).any(|w| w == needle.as_bytes()))
        .map(|(p, _)| p)
        .collect()
}

#[test]
fn forget_leaves_no_byte_of_the_person_and_an_old_export_does_not_bring_them_back() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let header = "信访件编号,登记时间,信访人,证件号码,联系电话,主要诉求,信访人数";
    std::fs::write(
        d.join("p.csv"),
        format!(
            "{header}\n\
             F1,2026-05-06 09:00,欧阳某某,110105198001011234,13812345678,拖欠工资八个月,1\n\
             F2,2026-06-06 09:00,欧阳某某,,13812345678,工资还是没有拿到,1\n\
             F3,2026-06-07 09:00,司马某,110105199002022345,13900001111,小区噪音扰民,1\n"
        ),
    )
    .unwrap();
    ok(&minqing(d, &["ingest", "--source", "petition", "--input", "p.csv"]));
    ok(&minqing(d, &["risk", "--as-of", "2026-07-01"]));
    let wh = d.join("warehouse");
    // the test can fail: before, the raw identifiers are on disk
    for raw in ["110105198001011234", "13812345678"] {
        assert!(!files_holding(&wh, raw).is_empty(), "{raw} stored before forget");
    }
    assert_eq!(count(d, "SELECT count(DISTINCT person_key) FROM cases WHERE person_key IS NOT NULL"), 3);

    // by ID number: the ID's key, and the phone's key that persons holds beside it (F2)
    let out = ok(&minqing(d, &["forget", "--id-number", "110105198001011234"]));
    assert!(out.contains("person keys looked for: 2"), "{out}");
    for raw in ["110105198001011234", "13812345678", "欧阳某某"] {
        assert!(files_holding(&wh, raw).is_empty(), "{raw} left in {:?}", files_holding(&wh, raw));
    }
    assert!(!files_holding(&wh, "13900001111").is_empty(), "the other person stays");
    assert_eq!(count(d, "SELECT count(*) FROM persons"), 1);
    assert_eq!(count(d, "SELECT count(*) FROM cases WHERE person_key IS NULL"), 2);
    assert_eq!(count(d, "SELECT count(*) FROM cases"), 3, "the cases stay, without the person");

    // the same export again: versions already seen, so the person is not stored again
    let r = ok(&minqing(d, &["ingest", "--source", "petition", "--input", "p.csv"]));
    assert!(r.contains("unchanged 3"), "{r}");
    assert!(files_holding(&wh, "110105198001011234").is_empty());
}

#[test]
fn every_table_exists_even_when_empty() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    exports(d);
    // no rejects, and no persons with --no-pii
    ok(&minqing(d, &["ingest", "--no-pii", "--source", "petition", "--input", "v1.csv"]));
    for t in ["rejects", "persons", "risk", "clusters", "deadlines"] {
        assert_eq!(count(d, &format!("SELECT count(*) FROM {t}")), 0, "{t}");
    }
    // in their schemas: columns can be named
    assert_eq!(count(d, "SELECT count(*) FROM rejects WHERE reason IS NOT NULL AND raw IS NULL"), 0);
    assert_eq!(count(d, "SELECT count(*) FROM persons WHERE phone IS NOT NULL"), 0);
}

/// A register of `n` petitions (P1…Pn) on five matters; `closed` of them closed, `changed`
/// given another matter.
fn register(n: usize, closed: &[usize], changed: &[usize]) -> String {
    const MATTERS: [&str; 5] = [
        "某建筑公司拖欠农民工工资八个月，多次讨要未果",
        "小区开发商逾期交房两年，业主要求退还首付款",
        "村里征地补偿款被挪用，村民要求公开账目",
        "工厂夜间排放刺鼻废气，附近居民无法入睡",
        "孩子入学被拒，要求按学区就近入学",
    ];
    let mut out = format!("{HEADER}\n");
    for i in 1..=n {
        let m = if changed.contains(&i) {
            "县医院误诊导致病情加重，家属要求医院赔偿"
        } else {
            MATTERS[i % 5]
        };
        let done = if closed.contains(&i) { "2026-06-20 16:00,满意" } else { "," };
        out += &format!(
            "P{i},2026-05-{:02} 09:00,张{i},,{m}（第{i}件）,县信访局,2026-05-07 09:00,2026-07-05,{done}\n",
            1 + i % 28
        );
    }
    out
}

fn enriched_rows(d: &Path) -> String {
    ok(&minqing(d, &["sql", "--format", "json", "SELECT * FROM enriched ORDER BY source, case_id"]))
}

#[test]
fn enrich_after_a_re_export_reads_only_new_and_changed_cases_and_equals_a_full_enrich() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let m = common::models();
    std::fs::write(d.join("w1.csv"), register(50, &[], &[])).unwrap();
    ok(&minqing(d, &["ingest", "--source", "petition", "--input", "w1.csv"]));
    let first = ok(&minqing(d, &["--models", &m, "enrich"]));
    assert!(first.contains("enriched 50 cases") && first.contains("first enrich"), "{first}");

    // week 2: two cases closed, one given another matter, one new
    std::fs::write(d.join("w2.csv"), register(51, &[3, 4], &[5])).unwrap();
    ok(&minqing(d, &["ingest", "--source", "petition", "--input", "w2.csv"]));
    let inc = ok(&minqing(d, &["--models", &m, "enrich"]));
    assert!(inc.contains("enriched 4 cases") && inc.contains("incremental: 4 cases new or changed"), "{inc}");
    assert_eq!(count(d, "SELECT count(*) FROM enriched"), 51);
    assert_eq!(count(d, "SELECT count(DISTINCT case_id) FROM enriched"), 51);
    let p5 = ok(&minqing(d, &["sql", "--format", "json", "SELECT tokens FROM enriched WHERE case_id = 'P5'"]));
    assert!(p5.contains("误诊"), "P5's new text is read\n{p5}");
    let incremental = enriched_rows(d);
    // nothing new: nothing to do
    let again = ok(&minqing(d, &["--models", &m, "enrich"]));
    assert!(again.contains("up to date"), "{again}");
    // the same table as enriching every case with the same document frequencies
    let full = ok(&minqing(d, &["--models", &m, "enrich", "--full"]));
    assert!(full.contains("enriched 51 cases"), "{full}");
    assert_eq!(enriched_rows(d), incremental, "incremental and full enrich differ");

    // week 3: 8 new cases, 12 of the 50 sampled new or changed, is beyond the 10% bound: frequencies sampled again
    std::fs::write(d.join("w3.csv"), register(59, &[3, 4], &[5])).unwrap();
    ok(&minqing(d, &["ingest", "--source", "petition", "--input", "w3.csv"]));
    let drifted = ok(&minqing(d, &["--models", &m, "enrich"]));
    assert!(drifted.contains("enriched 59 cases") && drifted.contains("sampled again"), "{drifted}");
}

/// `cases`, `persons` and `enriched` are written in files of a bounded size, in the order
/// the cases came: a re-export that closes a few cases rewrites only the files holding them,
/// and the tables still equal a full enrich.
#[test]
fn an_increment_rewrites_only_the_files_holding_its_cases() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let m = common::models();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_minqing"))
            .args(args)
            .current_dir(d)
            .env("MINQING_KEY", "test-key")
            .env("MINQING_PART_ROWS", "16")
            .output()
            .unwrap();
        ok(&out)
    };
    // the files of a table's current version, from its Delta log (replaced files stay on
    // disk for time travel)
    let files = |table: &str| {
        let log = d.join("warehouse").join(table).join("_delta_log");
        let mut commits: Vec<_> = std::fs::read_dir(&log)
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        commits.sort();
        let mut live = std::collections::BTreeSet::new();
        for c in commits {
            for line in std::fs::read_to_string(c).unwrap().lines() {
                let a: serde_json::Value = serde_json::from_str(line).unwrap();
                if let Some(p) = a["add"]["path"].as_str() {
                    live.insert(p.to_string());
                }
                if let Some(p) = a["remove"]["path"].as_str() {
                    live.remove(p);
                }
            }
        }
        live.into_iter().collect::<Vec<String>>()
    };
    std::fs::write(d.join("w1.csv"), register(50, &[], &[])).unwrap();
    run(&["ingest", "--source", "petition", "--input", "w1.csv"]);
    run(&["--models", &m, "enrich"]);
    let first: Vec<Vec<String>> = ["cases", "persons", "enriched"].map(files).into();
    for f in &first {
        assert_eq!(f.len(), 4, "50 rows in files of 16: {f:?}");
    }

    // P3 and P4 closed and P5 rewritten (all in the first file), one new case
    std::fs::write(d.join("w2.csv"), register(51, &[3, 4], &[5])).unwrap();
    let ing = run(&["ingest", "--source", "petition", "--input", "w2.csv"]);
    assert!(ing.contains("added 1 + updated 3"), "{ing}");
    let inc = run(&["--models", &m, "enrich"]);
    assert!(
        inc.contains("incremental: 4 cases new or changed") && inc.contains(" 1 enriched files rewritten"),
        "{inc}"
    );
    for (t, before) in ["cases", "persons", "enriched"].iter().zip(&first) {
        let after = files(t);
        // the three files without a changed case are read as they were
        for f in &before[1..] {
            assert!(after.contains(f), "{t}: {f} was rewritten: {after:?}");
        }
        assert!(!after.contains(&before[0]), "{t}: the file holding P3–P5 is rewritten: {after:?}");
    }
    assert_eq!(count(d, "SELECT count(*) FROM cases"), 51);
    assert_eq!(count(d, "SELECT count(*) FROM persons"), 51);
    assert_eq!(count(d, "SELECT count(*) FROM enriched"), 51);
    assert_eq!(count(d, "SELECT count(*) FROM cases WHERE case_id IN ('P3', 'P4') AND closed_at IS NOT NULL"), 2);
    let h = ok(&minqing(d, &["history", "enriched"]));
    assert!(h.contains("1 files rewritten into 2 of 17 rows"), "{h}");
    let incremental = enriched_rows(d);
    run(&["--models", &m, "enrich", "--full"]);
    assert_eq!(enriched_rows(d), incremental, "incremental and full enrich differ");
}

/// A briefing is reproducible from its run.json: `run --version N` makes the reports again
/// from the warehouse as it was after commit N, after later exports changed it.
#[test]
fn a_briefing_is_made_again_from_the_commit_its_run_json_names() {
    let d = tempfile::tempdir().unwrap();
    let first = common::run_weekly(d.path());
    let run: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.path().join("reports/weekly-2026-10-31/run.json")).unwrap()).unwrap();
    let commit = run["warehouse_commit"].as_u64().unwrap().to_string();
    // a moment after the run and before the late export: the warehouse as it was then
    std::thread::sleep(std::time::Duration::from_millis(20));
    let between = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    std::thread::sleep(std::time::Duration::from_millis(20));
    // new petitions in the briefing's week change it
    std::fs::write(
        d.path().join("late.csv"),
        format!(
            "{HEADER}\n\
             L1,2026-10-28 09:00,赵六,13700001234,拖欠工资三个月，老板失联,县人社局,2026-10-28 10:00,2026-12-27,,\n\
             L2,2026-10-29 10:00,钱七,13700005678,拖欠工资三个月，老板失联,县人社局,2026-10-29 11:00,2026-12-28,,\n"
        ),
    )
    .unwrap();
    ok(&minqing(d.path(), &["ingest", "--input", "late.csv"]));
    let second = common::run_weekly(d.path());
    assert_ne!(first, second, "the later export changes the week's briefing");
    let m = common::models();
    let out = ok(&minqing(
        d.path(),
        &["--models", &m, "run", "weekly.toml", "--as-of", "2026-10-31", "--version", &commit, "--out", "replay"],
    ));
    assert!(!out.contains("ingest") && !out.contains("enrich"), "time travel writes nothing: {out}");
    let again = std::fs::read_to_string(d.path().join("replay/weekly-2026-10-31/briefing.md")).unwrap();
    assert_eq!(again, first, "the briefing of commit {commit}, made again");
    let replay: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.path().join("replay/weekly-2026-10-31/run.json")).unwrap()).unwrap();
    assert_eq!(replay["warehouse_commit"].as_u64().unwrap().to_string(), commit);
    // by time: the newest commit made by then is the run's
    ok(&minqing(
        d.path(),
        &["--models", &m, "run", "weekly.toml", "--as-of", "2026-10-31", "--version", &between, "--out", "by-time"],
    ));
    let by_time = std::fs::read_to_string(d.path().join("by-time/weekly-2026-10-31/briefing.md")).unwrap();
    assert_eq!(by_time, first, "the briefing of the warehouse as it was at {between}");
    let then = ok(&minqing(
        d.path(),
        &["sql", "--version", &between, "--format", "csv", "SELECT count(*) FROM cases WHERE case_id LIKE 'L%'"],
    ));
    assert_eq!(then.lines().nth(1), Some("0"), "the late export came after {between}: {then}");
    // a day before any commit is bad input, with a reason
    let out = minqing(d.path(), &["sql", "--version", "2001-01-01", "SELECT 1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no commit was made by"), "{out:?}");
    // a commit that does not exist is bad input
    let out = minqing(d.path(), &["--models", &m, "run", "weekly.toml", "--version", "9999", "--out", "replay"]);
    assert_eq!(out.status.code(), Some(2));
}
