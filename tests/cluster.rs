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

    // the next day: the hotline re-exports 60 calls again under new work-order numbers
    let before = sql(d, "SELECT cluster_id, case_id FROM cluster_members ORDER BY cluster_id, case_id");
    let last_day = sql(d, "SELECT CAST(max(received_at) AS DATE) FROM cases");
    let last_day = chrono::NaiveDate::parse_from_str(last_day.lines().nth(1).unwrap().trim(), "%Y-%m-%d").unwrap();
    let next = last_day + chrono::Duration::days(1);
    let again = next_day_calls(&d.join("g/exports/hotline.gbk.csv"), &d.join("day2.csv"), 60, next);
    ok(&minqing(d, &["ingest", "--input", "day2.csv"]));
    ok(&minqing(d, &["--models", &m, "enrich", "--gazetteer", "g/gazetteer.csv"]));
    ok(&minqing(d, &["--models", &m, "risk"]));
    let report = ok(&minqing(d, &["cluster", "--out", "r"]));
    assert!(report.contains("kept the grouping of"), "{report}");
    // every cluster of yesterday is there under its id, with every case it had
    let after = sql(d, "SELECT cluster_id, case_id FROM cluster_members ORDER BY cluster_id, case_id");
    let now: std::collections::HashSet<&str> = after.lines().collect();
    assert!(before.lines().all(|l| now.contains(l)), "a kept cluster lost a case");
    // the same day run again makes the same clusters: it starts from the clusters the
    // first run started from, not from those the first run made of the day's cases
    let clusters_q = "SELECT cluster_id, kind, title, cases, people, heat, heat_rank FROM clusters ORDER BY cluster_id";
    let members_q = "SELECT cluster_id, case_id, dup_of FROM cluster_members ORDER BY cluster_id, case_id";
    let (first_clusters, first_members) = (sql(d, clusters_q), sql(d, members_q));
    let again_report = ok(&minqing(d, &["cluster", "--out", "r"]));
    assert_eq!(sql(d, members_q), first_members, "{again_report}");
    assert_eq!(sql(d, clusters_q), first_clusters, "{again_report}");
    assert_eq!(again_report.lines().nth(1), report.lines().nth(1), "the same day, the same account of it");
    // a call made again joins the cluster of the call it repeats (when that one has one),
    // about as often as grouping every case anew puts them together (below)
    let (repeats, joined) = repeats_joined(&after, &again);
    assert!(repeats >= 20 && joined * 10 >= repeats * 7, "{joined} of {repeats} repeated calls joined their cluster");
    let kept = ok(&minqing(d, &["eval", "cluster", "--truth", "g/truth.csv", "--kinds", "issue"]));
    assert!(figure(&kept, "ari") > 0.7, "{kept}");
    // a week after the grouping, or when asked, every case is grouped anew
    let week = (last_day + chrono::Duration::days(7)).to_string();
    let later = ok(&minqing(d, &["cluster", "--out", "r", "--as-of", &week]));
    assert!(later.contains("grouped anew: the last grouping") && later.contains("is 7 days old"), "{later}");
    let asked = ok(&minqing(d, &["cluster", "--out", "r", "--regroup"]));
    assert!(asked.contains("grouped anew: asked for (--regroup)"), "{asked}");
    let regrouped = ok(&minqing(d, &["eval", "cluster", "--truth", "g/truth.csv", "--kinds", "issue"]));
    assert!((figure(&regrouped, "ari") - figure(&kept, "ari")).abs() < 0.05, "{kept}\n{regrouped}");
    let anew = sql(d, "SELECT cluster_id, case_id FROM cluster_members ORDER BY cluster_id, case_id");
    let (r, j) = repeats_joined(&anew, &again);
    assert!(joined as f64 / repeats as f64 + 0.1 >= j as f64 / r as f64, "kept {joined} of {repeats}, anew {j} of {r}");
}

/// Of the repeated calls (old, new) whose first call is in a cluster (`cluster_id,case_id`
/// lines), how many, and how many of them are in the same cluster.
fn repeats_joined(members: &str, again: &[(String, String)]) -> (usize, usize) {
    let member_of: std::collections::HashMap<&str, &str> =
        members.lines().skip(1).filter_map(|l| l.split_once(',')).map(|(c, k)| (k, c)).collect();
    let (mut repeats, mut joined) = (0, 0);
    for (old, new) in again {
        if let Some(c) = member_of.get(old.as_str()) {
            repeats += 1;
            joined += usize::from(member_of.get(new.as_str()) == Some(c));
        }
    }
    (repeats, joined)
}

/// `n` calls of the last 30 days of a hotline export made again on `day` under new
/// work-order numbers (`-D2`), written as a UTF-8 export; returns (old, new) numbers.
fn next_day_calls(
    export: &std::path::Path,
    out: &std::path::Path,
    n: usize,
    day: chrono::NaiveDate,
) -> Vec<(String, String)> {
    let bytes = std::fs::read(export).unwrap();
    let (text, _, _) = encoding_rs::GB18030.decode(&bytes);
    let mut r = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
    let headers: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap_or_else(|| panic!("no {name} in {headers:?}"));
    let (id, received) = (col("工单编号"), col("来电时间"));
    let mut w = csv::WriterBuilder::new().flexible(true).from_path(out).unwrap();
    w.write_record(&headers).unwrap();
    let mut pairs = vec![];
    let recent = (day - chrono::Duration::days(30)).to_string();
    let rows = r.records().map(|rec| rec.unwrap().iter().map(String::from).collect::<Vec<String>>());
    for mut v in rows.filter(|v| v[received].get(..10).is_some_and(|d| d >= recent.as_str())).take(n) {
        let old = v[id].clone();
        v[id] = format!("{old}-D2");
        v[received] = format!("{day} 09:30:00");
        pairs.push((old, v[id].clone()));
        w.write_record(&v).unwrap();
    }
    w.flush().unwrap();
    pairs
}
