//! The reply review (issue 18): the table after `run`, and its figures against people's
//! judgements. `dev.csv` was written to develop on; `holdout.csv` was written before the
//! scorer existed and is only measured (see tests/fixtures/reply-review/README.md).

use std::path::{Path, PathBuf};

mod common;
use common::*;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/reply-review").join(name)
}

/// The figure after `label` on its line of the eval output.
fn figure(out: &str, label: &str) -> f64 {
    let line = out.lines().find(|l| l.starts_with(label)).unwrap_or_else(|| panic!("no `{label}` in\n{out}"));
    line[label.len()..].trim_start_matches([':', ' ']).split_whitespace().next().unwrap().parse().unwrap()
}

fn eval(file: &Path, fixture_columns: bool) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let f = file.to_str().unwrap();
    let mut args = vec!["eval", "replies", "--file", f];
    if fixture_columns {
        args.extend([
            "--columns",
            "title,post,reply,received_at,replied_at",
            "--explains",
            "explains",
            "--relevant",
            "relevant",
        ]);
    }
    let out = ok(&minqing(tmp.path(), &args));
    println!("{}:\n{out}", file.display());
    out
}

#[test]
fn review_beats_the_baselines_on_the_dev_and_holdout_replies() {
    let dev = eval(&fixture("dev.csv"), true);
    let holdout = eval(&fixture("holdout.csv"), true);
    for (out, score, relevance) in [(&dev, 0.93, 0.90), (&holdout, 0.90, 0.90)] {
        let s = figure(out, "score AUC against the explains label");
        let len = out.split("reply length alone: ").nth(1).unwrap()[..5].parse::<f64>().unwrap();
        assert!(s >= score && s > len, "score AUC {s} (length {len})\n{out}");
        let r = figure(out, "relevance AUC, own reply vs the most similar other case's reply");
        let cos = out.split("TF-IDF cosine: ").nth(1).unwrap()[..5].parse::<f64>().unwrap();
        assert!(r >= relevance && r > cos, "relevance AUC {r} (cosine {cos})\n{out}");
    }
}

#[test]
fn review_on_the_real_replies() {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/message-board-replies-200.xlsx");
    assert!(p.exists(), "the real replies are expected at {}", p.display());
    let out = eval(&p, false);
    assert!(figure(&out, "replies") >= 200.0, "{out}");
    let s = figure(&out, "score AUC against the explains label");
    let len = out.split("reply length alone: ").nth(1).unwrap()[..5].parse::<f64>().unwrap();
    assert!(s >= 0.985 && s > len, "score AUC {s} (length {len})\n{out}");
    let r = figure(&out, "relevance AUC, own reply vs the most similar other case's reply");
    assert!(r >= 0.90, "{out}");
}

#[test]
fn run_reviews_every_reply_and_names_no_one() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    ok(&minqing(d, &["demo", "--records", "400", "--out", "demo"]));
    let q = |s: &str| ok(&minqing(d, &["--warehouse", "demo/warehouse", "sql", "--format", "csv", s]));
    let n = q("SELECT count(*) AS n FROM reply_review");
    let replies = q("SELECT count(*) AS n FROM cases WHERE reply IS NOT NULL AND trim(reply) <> ''");
    assert_eq!(n, replies);
    assert!(n.lines().nth(1).unwrap().parse::<u64>().unwrap() > 0, "{n}");
    let bad =
        q("SELECT count(*) AS n FROM reply_review WHERE score < 0 OR score > 100 OR relevance < 0 OR relevance > 1 \
                 OR completeness < 0 OR completeness > 1 OR explanation < 0 OR explanation > 1 \
                 OR cardinality(flags) <> cardinality(evidence)");
    assert_eq!(bad.lines().nth(1), Some("0"), "{bad}");
    let flags = q("SELECT DISTINCT unnest(flags) AS f FROM reply_review ORDER BY f");
    for f in flags.lines().skip(1) {
        assert!(["敷衍", "推诿", "答非所问", "不完整", "超期答复"].contains(&f), "{flags}");
    }
    let evidence = q("SELECT unnest(evidence) AS e FROM reply_review");
    assert!(!minqing::has_raw_identifier(&evidence), "a raw identifier in the evidence");
}
