//! The weekly pipeline end to end on the bundled sample: the briefing's numbers against
//! `minqing sql`, a snapshot of the briefing, and no raw identifier in any output.

mod common;

use std::path::Path;

use common::{count, minqing, models, ok, sql};

/// A copy of pipelines/weekly.toml pointing at the repository's bundled sample.
fn weekly(dir: &Path) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("pipelines/weekly.toml"))
        .unwrap()
        .replace("../notebooks-data", &root.join("notebooks-data").to_string_lossy());
    std::fs::write(dir.join("weekly.toml"), text).unwrap();
    "weekly.toml".into()
}

fn run_weekly(d: &Path) -> String {
    let p = weekly(d);
    ok(&minqing(d, &["--models", &models(), "run", &p, "--as-of", "2026-10-31", "--out", "reports"]));
    std::fs::read_to_string(d.join("reports/weekly-2026-10-31/briefing.md")).unwrap()
}

/// The number right after `prefix` in the text.
fn number_after(text: &str, prefix: &str) -> u64 {
    let at = text.find(prefix).unwrap_or_else(|| panic!("`{prefix}` not in\n{text}")) + prefix.len();
    text[at..].chars().take_while(char::is_ascii_digit).collect::<String>().parse().unwrap()
}

#[test]
fn briefing_numbers_match_the_tables() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let md = run_weekly(d);
    // 2026-W44 is Monday 26 October to Sunday 1 November
    let week = "received_at >= '2026-10-26' AND received_at < '2026-11-02'";
    assert_eq!(number_after(&md, "本周共登记各类诉求"), count(d, &format!("SELECT count(*) FROM cases WHERE {week}")));
    let people = count(d, &format!("SELECT CAST(sum(coalesce(headcount, 1)) AS BIGINT) FROM cases WHERE {week}"));
    assert_eq!(number_after(&md, "涉及群众"), people);
    for (name, source) in
        [("信访", "petition"), ("12345工单", "hotline"), ("网络留言", "message"), ("网络舆情", "opinion")]
    {
        let n = count(d, &format!("SELECT count(*) FROM cases WHERE {week} AND source = '{source}'"));
        assert!(md.contains(&format!("{name}{n}件")), "{name} {n}\n{md}");
    }
    let red = count(d, &format!("SELECT count(*) FROM risk WHERE level = '红' AND {week}"));
    assert_eq!(number_after(&md, "本周新登记红色风险"), red);
    let overdue = count(d, "SELECT count(*) FROM deadlines WHERE state = '逾期'");
    assert_eq!(number_after(&md, "在办件中逾期"), overdue);
    let rate = sql(
        d,
        "SELECT CAST(numerator AS BIGINT), CAST(denominator AS BIGINT) FROM metrics WHERE grain = 'month' AND period = '2026-10' \
         AND source = 'petition' AND dimension = 'total' AND measure = '及时受理率'",
    );
    let parts = rate.lines().nth(1).unwrap().replace(',', "/");
    assert!(
        md.contains(&format!("及时受理率88.6%（{parts}）")) || md.contains(&format!("（{parts}）")),
        "{parts}\n{md}"
    );
    let top = sql(d, "SELECT title, cases FROM clusters WHERE kind = 'issue' ORDER BY heat_rank LIMIT 1");
    let (title, cases) = top.lines().nth(1).unwrap().split_once(',').unwrap();
    assert!(md.contains(&format!("| {title} | {cases} |")), "{title} {cases}\n{md}");

    // run.json: inputs with hashes, rows per stage, versions, timings
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("reports/weekly-2026-10-31/run.json")).unwrap()).unwrap();
    assert_eq!(run["inputs"].as_array().unwrap().len(), 4);
    assert!(run["inputs"][0]["blake3"].as_str().unwrap().len() >= 32);
    assert!(run["rows"]["risk_cases"].as_u64().unwrap() > 1900);
    assert!(run["timings_seconds"]["enrich"].is_number());
    assert!(run["versions"]["models"]["risk.toml"].is_string());

    // a second run re-uses the text stage and gives the same briefing
    let again = run_weekly(d);
    assert_eq!(again, md);
}

#[test]
fn briefing_snapshot() {
    let tmp = tempfile::tempdir().unwrap();
    insta::assert_snapshot!("weekly_briefing_sample_2026_10_31", run_weekly(tmp.path()));
}

#[test]
fn no_raw_identifier_in_any_output() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    run_weekly(d);
    let ids = sql(d, "SELECT DISTINCT id_number FROM persons WHERE id_number IS NOT NULL");
    let phones = sql(d, "SELECT DISTINCT phone FROM persons WHERE phone IS NOT NULL");
    let raw: Vec<String> =
        ids.lines().chain(phones.lines()).skip(1).filter(|l| l.len() >= 7 && *l != "phone").map(String::from).collect();
    assert!(raw.len() > 100, "the sample has identifiers to look for: {}", raw.len());
    let folder = d.join("reports/weekly-2026-10-31");
    let mut scanned = 0;
    for e in std::fs::read_dir(&folder).unwrap() {
        let p = e.unwrap().path();
        let text = if p.extension().is_some_and(|x| x == "xlsx") {
            use calamine::Reader;
            let mut wb = calamine::open_workbook_auto(&p).unwrap();
            let mut all = String::new();
            for name in wb.sheet_names() {
                let range = wb.worksheet_range(&name).unwrap();
                for row in range.rows() {
                    for c in row {
                        all.push_str(&c.to_string());
                        all.push('\t');
                    }
                }
            }
            all
        } else {
            std::fs::read_to_string(&p).unwrap()
        };
        scanned += 1;
        for r in &raw {
            assert!(!text.contains(r.as_str()), "{} holds a raw identifier", p.display());
        }
    }
    assert_eq!(scanned, 6, "briefing.md, run.json and four xlsx lists");
}

#[test]
fn a_bad_pipeline_file_lists_every_problem() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(
        d.join("bad.toml"),
        "name = \"w\"\nperiod = \"year\"\n[inputs]\nexports = [\"nowhere\"]\n[deadlines]\npolicy = \"fast\"\n",
    )
    .unwrap();
    let out = minqing(d, &["run", "bad.toml"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    for expect in ["bad.toml", "period: `year`", "inputs.exports:", "deadlines.policy: `fast`"] {
        assert!(err.contains(expect), "{expect}\n{err}");
    }
}
