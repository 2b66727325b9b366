//! Real text: the truth files under tests/fixtures/real-text, written by reading real posts
//! and petitions as an analyst would, held against what minqing finds.
//!
//! Each fixture is split: `dev` is what the rules were developed on, `holdout` (and `extra`
//! for the hot groups) was written before the code and only measured. The figures print
//! with `cargo test --test real_text -- --nocapture`; docs/measurements.md keeps them.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use common::{minqing, models, ok, sql};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/real-text").join(name)
}

fn real_posts() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/message-board-posts-2000.xlsx");
    assert!(p.exists(), "the real message-board posts are expected at {}", p.display());
    p
}

fn figure(out: &str, name: &str) -> f64 {
    out.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in\n{out}"))
}

/// One graded petition of the fixture.
struct Graded {
    source: String,
    case_id: String,
    received: String,
    headcount: String,
    title: String,
    content: String,
    level: String,
}

fn graded(file: &str) -> Vec<Graded> {
    let mut r = csv::Reader::from_path(fixture(file)).unwrap();
    r.deserialize::<HashMap<String, String>>()
        .map(|x| {
            let x = x.unwrap();
            let g = |k: &str| x.get(k).cloned().unwrap_or_default();
            Graded {
                source: g("source"),
                case_id: g("case_id"),
                received: g("received_at"),
                headcount: g("headcount"),
                title: g("title"),
                content: g("content"),
                level: g("level"),
            }
        })
        .collect()
}

/// Each source's export as the systems write it: a petition register, 12345 work orders, posts.
fn write_exports(dir: &Path, rows: &[Graded]) {
    std::fs::create_dir_all(dir).unwrap();
    let layouts: [(&str, &[&str]); 3] = [
        ("petition", &["信访件编号", "登记时间", "信访人数", "标题", "主要诉求"]),
        ("hotline", &["工单编号", "来电时间", "标题", "诉求内容"]),
        ("message", &["留言编号", "留言时间", "留言主题", "留言详情"]),
    ];
    // 12345 orders and posts have no 信访人数: a group's size is only in their text
    for (source, header) in layouts {
        let mut w = csv::Writer::from_path(dir.join(format!("{source}.csv"))).unwrap();
        w.write_record(header).unwrap();
        for r in rows.iter().filter(|r| r.source == source) {
            let mut rec = vec![&r.case_id, &r.received, &r.headcount, &r.title, &r.content];
            if source != "petition" {
                rec.remove(2);
            }
            w.write_record(rec).unwrap();
        }
        w.flush().unwrap();
    }
}

fn rank(l: &str) -> usize {
    ["蓝", "黄", "橙", "红"].iter().position(|x| *x == l).unwrap_or_else(|| panic!("level {l}"))
}

/// AUC of the score for 红/橙 against 黄/蓝 (ties count half).
fn auc(pairs: &[(i64, bool)]) -> f64 {
    let pos: Vec<i64> = pairs.iter().filter(|p| p.1).map(|p| p.0).collect();
    let neg: Vec<i64> = pairs.iter().filter(|p| !p.1).map(|p| p.0).collect();
    let mut s = 0.0;
    for p in &pos {
        for n in &neg {
            s += if p > n {
                1.0
            } else if p == n {
                0.5
            } else {
                0.0
            };
        }
    }
    s / (pos.len() * neg.len()) as f64
}

/// (exact share, 红 graded below 橙, AUC) of the risk stage on a graded file.
fn risk_on(file: &str) -> (f64, usize, f64) {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let rows = graded(file);
    write_exports(&d.join("exports"), &rows);
    let m = models();
    let ingest = ok(&minqing(d, &["ingest", "--input", "exports"]));
    ok(&minqing(d, &["--models", &m, "enrich"]));
    // the day after the last record at the earliest: every record is scored
    let last = rows.iter().map(|r| r.received[..10].to_string()).max().unwrap();
    let as_of = last.max("2026-09-30".to_string());
    ok(&minqing(d, &["--models", &m, "risk", "--as-of", &as_of]));
    let out = sql(d, "SELECT case_id, score, level, array_to_string(reasons, '；') FROM risk");
    let got: HashMap<String, (i64, String, String)> = out
        .lines()
        .skip(1)
        .map(|l| {
            let mut r = csv::ReaderBuilder::new().has_headers(false).from_reader(l.as_bytes());
            let rec = r.records().next().unwrap().unwrap();
            (rec[0].to_string(), (rec[1].parse().unwrap(), rec[2].to_string(), rec[3].to_string()))
        })
        .collect();
    assert_eq!(got.len(), rows.len(), "every graded petition is scored:\n{ingest}\n{out}");
    let (mut exact, mut red_low) = (0, 0);
    let mut pairs = vec![];
    println!("== {file}");
    for r in &rows {
        let (score, level, reasons) = &got[&r.case_id];
        exact += usize::from(*level == r.level);
        red_low += usize::from(r.level == "红" && rank(level) < rank("橙"));
        pairs.push((*score, rank(&r.level) >= rank("橙")));
        if *level != r.level {
            println!("  {} {} graded {} got {} ({score}): {reasons}", r.case_id, r.source, r.level, level);
        }
    }
    let share = exact as f64 / rows.len() as f64;
    let a = auc(&pairs);
    println!("  exact {exact}/{} = {share:.3}; 红 below 橙 {red_low}; AUC 红橙 vs 黄蓝 {a:.3}", rows.len());
    (share, red_low, a)
}

#[test]
fn risk_levels_match_how_bureaus_grade() {
    // developed on: dev (45), and dev2 (35: measured blind at 0.571 exact with 4 红 below 橙,
    // then its misses drove the stance rules of src/text/threat.rs, so it is dev now)
    for file in ["petitions-dev.csv", "petitions-dev2.csv"] {
        let (exact, red_low, auc) = risk_on(file);
        assert_eq!(red_low, 0, "{file}: no petition an analyst grades 红 may score below 橙");
        assert!(exact >= 0.85, "{file}: exact level {exact:.3}");
        assert!(auc >= 0.95, "{file}: AUC {auc:.3}");
    }
}

/// Measured only, never tuned against: 48 petitions, calls and posts written and graded by
/// someone who had not seen the rules (2026-12-04), before anyone looked at the results.
/// The guards sit at what was measured, so a change that loses ground shows.
#[test]
fn risk_levels_on_the_blind_holdout() {
    let (exact, red_low, auc) = risk_on("petitions-holdout3.csv");
    assert!(exact >= HOLDOUT3.0 && red_low <= HOLDOUT3.1 && auc >= HOLDOUT3.2, "{exact:.3} {red_low} {auc:.3}");
}

/// (exact level, 红 below 橙, AUC) guards for `petitions-holdout3.csv`.
const HOLDOUT3: (f64, usize, f64) = (0.35, 10, 0.62);

#[test]
fn hot_issues_on_real_posts() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let m = models();
    let posts = real_posts();
    ok(&minqing(d, &["ingest", "--source", "message", "--input", posts.to_str().unwrap()]));
    ok(&minqing(d, &["--models", &m, "enrich"]));
    ok(&minqing(d, &["--models", &m, "risk"]));
    // a message board is mostly ordinary requests: the words of a threat there mostly describe
    // something else (车辆堵住路口, 白鹭聚集, 曾经集体上访). Read by hand, 2 or 3 of the 2,000 posts
    // carry a threat or a group's plan; before the stance rules 55 were graded 红/橙 (3 rightly).
    let high = sql(d, "SELECT count(*) FROM risk WHERE level IN ('红', '橙')");
    let high: usize = high.lines().nth(1).unwrap().parse().unwrap();
    println!("== risk on the real posts: {high} graded 红/橙");
    assert!(high <= 6, "{high} real posts graded 红/橙");
    ok(&minqing(d, &["cluster", "--out", "r"]));
    let truth = fixture("hot-groups.csv");
    let mut means = HashMap::new();
    for split in ["dev", "holdout", "extra"] {
        let out = ok(&minqing(d, &["eval", "cluster", "--truth", truth.to_str().unwrap(), "--split", split]));
        let mean = figure(&out, "mean_best_f1");
        println!("== hot groups, {split}: mean best-match F1 {mean:.3}");
        // each truth group's best cluster and where it ranks by heat
        for l in out.lines().filter(|l| l.starts_with("group ")) {
            let best = l.split_whitespace().nth(5).unwrap_or("—");
            let rank = sql(d, &format!("SELECT heat_rank, title FROM clusters WHERE cluster_id = '{best}'"));
            println!("  {l}  rank/title {}", rank.lines().nth(1).unwrap_or("—"));
        }
        means.insert(split, mean);
    }
    let top = sql(d, "SELECT heat_rank, cases, title FROM clusters ORDER BY heat_rank LIMIT 20");
    println!("== top 20 by heat\n{top}");
    // measured 0.822 / 0.750 / 0.627; TF-IDF + DBSCAN at its best eps on dev (0.80): 0.733 / 0.699 / 0.429
    assert!(means["dev"] >= 0.78, "dev mean best-match F1 {}", means["dev"]);
    assert!(means["holdout"] >= 0.7, "holdout mean best-match F1 {}", means["holdout"]);
    assert!(means["extra"] >= 0.5, "extra mean best-match F1 {}", means["extra"]);
    // titles come from the groups' own terms, never a sentence fragment of one post
    let titles = sql(d, "SELECT title FROM clusters");
    assert!(titles.lines().skip(1).all(|t| t.ends_with("问题") || t.ends_with("同类诉求")), "{titles}");
}

#[test]
fn entities_on_real_posts() {
    let posts = real_posts();
    let truth = fixture("entities.csv");
    let mut got = HashMap::new();
    for split in ["dev", "holdout"] {
        let out = ok(&minqing(
            Path::new(env!("CARGO_MANIFEST_DIR")),
            &[
                "eval",
                "entities",
                "--posts",
                posts.to_str().unwrap(),
                "--truth",
                truth.to_str().unwrap(),
                "--split",
                split,
            ],
        ));
        println!("== entities, {split}\n{}", out.lines().take(7).collect::<Vec<_>>().join("\n"));
        got.insert(split, (figure(&out, "precision"), figure(&out, "recall")));
    }
    // guards at what was measured (dev 0.540 / 0.495, holdout 0.561 / 0.478), not goals
    let (p, r) = got["dev"];
    assert!(p >= 0.5 && r >= 0.45, "dev precision {p:.3} recall {r:.3}");
    let (p, r) = got["holdout"];
    assert!(p >= 0.5 && r >= 0.43, "holdout precision {p:.3} recall {r:.3}");
}

/// (accuracy, macro-F1) of the built-in focus topics against `focus-topics.csv` rows of `kind`,
/// joined on case_id with what `enrich` stored.
fn focus_scores(d: &Path, kind: &str) -> (f64, f64, usize) {
    let mut r = csv::Reader::from_path(fixture("focus-topics.csv")).unwrap();
    let truth: HashMap<String, String> = r
        .deserialize::<HashMap<String, String>>()
        .map(|x| x.unwrap())
        .filter(|x| x["kind"] == kind)
        .map(|x| (x["id"].trim().to_string(), x["focus_topic"].trim().to_string()))
        .collect();
    let got: HashMap<String, String> = sql(d, "SELECT case_id, focus_topic FROM enriched")
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(',').map(|(a, b)| (a.to_string(), b.to_string())))
        .collect();
    let (mut t, mut p) = (vec![], vec![]);
    let mut ids: Vec<&String> = truth.keys().collect();
    ids.sort();
    for id in ids {
        let g = got.get(id).unwrap_or_else(|| panic!("{kind} {id} not enriched"));
        t.push(truth[id].clone());
        p.push(g.clone());
    }
    let s = minqing::Scores::new(&t, &p);
    println!("== focus topics, {kind}s ({} labelled by hand)\n{s}", t.len());
    (s.accuracy(), s.macro_f1(), t.len())
}

#[test]
fn the_built_in_focus_model_on_real_text() {
    let m = models();
    // real posts
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    ok(&minqing(d, &["ingest", "--source", "message", "--input", real_posts().to_str().unwrap()]));
    ok(&minqing(d, &["--models", &m, "enrich"]));
    let (acc_posts, f1_posts, n) = focus_scores(d, "post");
    assert!(n >= 60, "{n} posts labelled");
    // the petitions, 12345 notes and posts written in real style
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let mut rows = graded("petitions-dev.csv");
    rows.extend(graded("petitions-dev2.csv"));
    write_exports(&d.join("exports"), &rows);
    ok(&minqing(d, &["ingest", "--input", "exports"]));
    ok(&minqing(d, &["--models", &m, "enrich"]));
    let (acc_pet, f1_pet, n) = focus_scores(d, "petition");
    assert_eq!(n, 80);
    // guards at what was measured, not goals (docs/measurements.md)
    assert!(
        acc_posts >= FOCUS_POSTS.0
            && f1_posts >= FOCUS_POSTS.1
            && acc_pet >= FOCUS_PETITIONS.0
            && f1_pet >= FOCUS_PETITIONS.1,
        "posts {acc_posts:.3}/{f1_posts:.3}, petitions {acc_pet:.3}/{f1_pet:.3}"
    );
}

/// (accuracy, macro-F1) of the built-in focus model on the hand-labelled posts (measured
/// 0.746 / 0.502, 67 posts) and petitions (0.750 / 0.777, 80): guards, not goals.
const FOCUS_POSTS: (f64, f64) = (0.72, 0.45);
const FOCUS_PETITIONS: (f64, f64) = (0.72, 0.75);

/// The 2,000 real posts as a GB18030 CSV export writes them (RFC 4180: a post's line
/// breaks, blank lines and ASCII commas inside its quoted cell) are read whole: every row
/// stored, none rejected, each text as the xlsx export gave it.
#[test]
fn a_gb18030_csv_of_real_posts_with_multi_line_cells_is_read_whole() {
    use calamine::{Reader, open_workbook_auto};
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let xlsx = real_posts();
    // the export's own cells, line breaks and all
    let mut book = open_workbook_auto(&xlsx).unwrap();
    let sheet = book.worksheet_range_at(0).unwrap().unwrap();
    let mut w = csv::Writer::from_writer(vec![]);
    for row in sheet.rows() {
        w.write_record(row.iter().map(|c| c.to_string())).unwrap();
    }
    let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
    let multi_line = sheet.rows().skip(1).filter(|r| r.iter().any(|c| c.to_string().contains('\n'))).count();
    let with_commas = sheet.rows().skip(1).filter(|r| r.iter().any(|c| c.to_string().contains(','))).count();
    println!("{multi_line} posts with line breaks, {with_commas} with ASCII commas");
    assert!(multi_line > 100 && with_commas > 10, "posts with multi-line cells to read");
    let (bytes, _, unmappable) = encoding_rs::GB18030.encode(&text);
    assert!(!unmappable);
    std::fs::write(d.join("posts.csv"), &bytes).unwrap();
    let ingest =
        |w: &str, input: &str| ok(&minqing(d, &["--warehouse", w, "ingest", "--source", "message", "--input", input]));
    let report = ingest("csv", "posts.csv");
    assert!(report.contains("gb18030"), "{report}");
    assert!(report.contains("rows read     2000 = added 2000 + updated 0 + unchanged 0 + rejected 0"), "{report}");
    // the same cases as from the xlsx
    ingest("xlsx", xlsx.to_str().unwrap());
    let dump = |w: &str| {
        let q = "SELECT case_id, received_at, title, content FROM cases ORDER BY case_id";
        let out = minqing(d, &["--warehouse", w, "sql", "--format", "csv", q]);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(dump("csv"), dump("xlsx"));
}
