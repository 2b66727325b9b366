//! Same-type clusters end to end: generated data with known incidents.

mod common;

use common::{count, minqing, models, ok, sql};

fn figure(out: &str, name: &str) -> f64 {
    out.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in\n{out}"))
}

#[test]
fn incidents_become_clusters_and_background_stays_out() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let m = models();
    ok(&minqing(d, &["generate", "--records", "12000", "--seed", "7", "--out", "g"]));
    ok(&minqing(d, &["ingest", "--input", "g/exports"]));
    ok(&minqing(d, &["--models", &m, "enrich", "--gazetteer", "g/gazetteer.csv"]));
    ok(&minqing(d, &["--models", &m, "risk"]));
    let report = ok(&minqing(d, &["cluster", "--out", "r"]));
    assert!(report.contains("类案清单: r/clusters.xlsx"), "{report}");

    let issues = ok(&minqing(d, &["eval", "cluster", "--truth", "g/truth.csv", "--kinds", "issue"]));
    assert!(figure(&issues, "ari") > 0.7, "{issues}");
    assert!(figure(&issues, "pairwise_f1") > 0.7, "{issues}");
    assert!(figure(&issues, "background_clustered") < 0.1, "{issues}");
    let all = ok(&minqing(d, &["eval", "cluster", "--truth", "g/truth.csv"]));
    assert!(figure(&all, "pairwise_recall") >= figure(&issues, "pairwise_recall"), "{all}");

    // one cluster links the channels: the first sign is often online
    assert!(
        count(d, "SELECT count(*) FROM clusters WHERE kind = 'issue' AND petition > 0 AND opinion > 0 AND hotline > 0")
            > 0
    );
    // every member is a case; counts agree with the member table
    assert_eq!(
        count(
            d,
            "SELECT count(*) FROM cluster_members m LEFT JOIN cases c ON m.case_id = c.case_id AND m.source = c.source WHERE c.case_id IS NULL"
        ),
        0
    );
    assert_eq!(
        count(
            d,
            "SELECT count(*) FROM clusters c JOIN (SELECT cluster_id, count(*) n FROM cluster_members GROUP BY cluster_id) m \
                  ON c.cluster_id = m.cluster_id WHERE c.cases <> m.n"
        ),
        0
    );
    let top = sql(d, "SELECT heat_rank, heat = (SELECT max(heat) FROM clusters) FROM clusters WHERE heat_rank = 1");
    assert!(top.contains("1,true"), "{top}");
    let titles = sql(d, "SELECT title, lead_dept FROM clusters WHERE kind = 'issue' ORDER BY heat_rank");
    assert!(titles.lines().skip(1).all(|l| l.contains("问题,")), "{titles}");
    assert!(titles.contains("拖欠农民工工资问题,人社") || titles.contains("逾期交房问题,住建"), "{titles}");

    // the 类案清单 opens with its two sheets
    use calamine::Reader;
    let mut wb = calamine::open_workbook_auto(d.join("r/clusters.xlsx")).unwrap();
    assert_eq!(wb.sheet_names(), ["类案清单", "成员案件"]);
    let sheet = wb.worksheet_range("类案清单").unwrap();
    assert_eq!(sheet.get((0, 2)).map(|c| c.to_string()), Some("标题".into()));
    let clusters = count(d, "SELECT count(*) FROM clusters") as usize;
    assert_eq!(sheet.height(), clusters + 1);
}
