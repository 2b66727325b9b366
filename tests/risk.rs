//! Risk, deadlines and rates end to end through the binary.

mod common;

use common::{count, minqing, models, ok, sql};

/// A small petition export: a 38-person visit threatening Beijing, a negated threat, a repeat.
const PETITIONS: &str = "信访件编号,登记时间,信访人,证件号码,主要诉求,信访人数,是否集体访,责任单位,问题属地,受理时间,办结时间,满意度评价\n\
X1,2026-03-02 09:00,张三,430101198001011234,翠湖花园小区逾期交房两年，开发商失联，业主们说再不解决就去北京上访,38,是,县住建局,青溪县城关镇,2026-03-03 10:00,,\n\
X2,2026-03-05 10:00,李四,430101198102021234,单位拖欠工资三个月，我不会去北京，只希望尽快解决,1,否,县人社局,青溪县城关镇,2026-03-20 10:00,2026-03-25 10:00,满意\n\
X3,2026-03-20 11:00,张三,430101198001011234,翠湖花园交房的事还没有结果,1,否,县住建局,青溪县城关镇,,,\n";

#[test]
fn every_reason_traces_to_the_data_and_rates_are_queryable() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("p.csv"), PETITIONS).unwrap();
    let m = models();
    ok(&minqing(d, &["ingest", "--source", "petition", "--input", "p.csv"]));
    ok(&minqing(d, &["--models", &m, "enrich"]));
    let report = ok(&minqing(d, &["--models", &m, "risk", "--as-of", "2026-03-31"]));
    assert!(report.contains("scored 3 cases as of 2026-03-31"), "{report}");

    // CSV doubles the quotes inside a field
    let x1 = sql(d, "SELECT score, level, array_to_string(reasons, '|') FROM risk WHERE case_id = 'X1'")
        .replace("\"\"", "\"");
    assert!(x1.contains("集体访 38人 +25"), "{x1}");
    assert!(x1.contains("扬言\"去北京\"(进京) +20"), "{x1}");
    let x2 = sql(d, "SELECT array_to_string(reasons, '|') r FROM risk WHERE case_id = 'X2'");
    assert!(!x2.contains("进京"), "a negated threat is no reason: {x2}");
    // the points of the reasons add up to the score (below the cap)
    let row = x1.lines().nth(1).unwrap();
    let score: u32 = row.split(',').next().unwrap().parse().unwrap();
    let points: u32 = row
        .split('|')
        .filter_map(|r| r.rsplit_once('+'))
        .map(|(_, p)| p.trim_end_matches('"').parse::<u32>().unwrap())
        .sum();
    assert_eq!(score, points.min(100), "{row}");
    // the second visit of the same petitioner is a repeat, and the petitioner is a group
    let x3 = sql(d, "SELECT array_to_string(reasons, '|') FROM risk WHERE case_id = 'X3'");
    assert!(x3.contains("重复信访 90天内第2次 +4"), "{x3}");
    assert_eq!(count(d, "SELECT count(*) FROM risk_groups WHERE kind = 'petitioner' AND cases = 2"), 1);

    let report = ok(&minqing(d, &["metrics", "--as-of", "2026-03-31", "--policy", "520"]));
    // X1 accepted the next day; X2 after 15 days (limit 5); X3 never, its limit passed
    assert!(report.contains("及时受理率 33.3% (1/3)"), "{report}");
    // X3 was never accepted and its 5 days have passed; X1 is accepted and overdue (20 days)
    let dl = sql(d, "SELECT case_id, stage, state, days_left FROM deadlines ORDER BY case_id");
    assert!(dl.contains("X1,办理,逾期,-8"), "{dl}");
    assert!(dl.contains("X3,受理,逾期,-6"), "{dl}");
    let r = sql(
        d,
        "SELECT numerator, denominator FROM metrics WHERE grain = 'month' AND period = '2026-03' AND source = 'petition' \
         AND dimension = 'total' AND measure = '按期办结率'",
    );
    assert!(r.contains("1.0,2.0"), "X2 on time, X1 open past due: {r}");
}

#[test]
fn learned_escalation_model_is_not_worse_than_the_rules() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    ok(&minqing(d, &["generate", "--records", "12000", "--seed", "7", "--out", "g"]));
    let out = ok(&minqing(d, &["--models", &models(), "eval", "risk", "--input", "g"]));
    let get = |name: &str| -> f64 {
        out.lines()
            .find_map(|l| l.strip_prefix(&format!("{name} ")))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in\n{out}"))
    };
    let (model, rules) = (get("auc"), get("auc_rules"));
    assert!(rules > 0.6, "the rule score ranks escalations: {out}");
    assert!(model >= rules, "learned {model} vs rules {rules}\n{out}");
    assert!(get("test_cases") > 1000.0, "{out}");
}

#[test]
fn the_escalation_model_is_kept_for_a_week() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let m = models();
    ok(&minqing(d, &["generate", "--records", "4000", "--seed", "3", "--out", "g"]));
    ok(&minqing(d, &["ingest", "--input", "g/exports"]));
    ok(&minqing(d, &["--models", &m, "enrich"]));
    let first = ok(&minqing(d, &["--models", &m, "risk", "--as-of", "2026-10-20"]));
    assert!(first.contains("escalation model: learned from") && !first.contains("kept"), "{first}");
    let probs = "SELECT round(sum(escalation_prob), 6) FROM risk WHERE received_at < '2026-10-20'";
    let before = sql(d, probs);
    // the next day: the same fit, so the same chance for every case known before
    let next = ok(&minqing(d, &["--models", &m, "risk", "--as-of", "2026-10-21"]));
    assert!(next.contains("fitted as of 2026-10-20 and kept"), "{next}");
    assert_eq!(sql(d, probs), before);
    // a week after the fit, a new one
    let week = ok(&minqing(d, &["--models", &m, "risk", "--as-of", "2026-10-27"]));
    assert!(week.contains("escalation model: learned from") && !week.contains("kept"), "{week}");
    let fits = std::fs::read_dir(d.join("warehouse/risk")).unwrap();
    let kept: Vec<String> = fits
        .filter_map(|e| e.ok()?.file_name().to_str().map(String::from))
        .filter(|n| n.starts_with("_model-"))
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
}

/// A pipeline hands risk's scores to metrics and cluster (cluster starts beside risk and
/// waits for them): the tables are the ones the stages write run one by one, reading
/// `risk` back.
#[test]
fn a_pipeline_hands_the_risk_scores_over_as_the_table_holds_them() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let m = models();
    ok(&minqing(d, &["generate", "--records", "3000", "--seed", "5", "--out", "g"]));
    std::fs::write(
        d.join("p.toml"),
        "name = \"p\"\ntitle = \"t\"\nissuer = \"i\"\nperiod = \"week\"\n\
         stages = [\"ingest\", \"enrich\", \"risk\", \"metrics\", \"cluster\"]\n\
         [inputs]\nexports = [\"g/exports\"]\n",
    )
    .unwrap();
    let out = ok(&minqing(d, &["--models", &m, "--warehouse", "a", "run", "p.toml", "--as-of", "2026-10-31"]));
    assert!(out.contains("(beside risk and metrics)") && out.contains("(after risk, beside cluster)"), "{out}");
    for args in [
        &["ingest", "--input", "g/exports"][..],
        &["enrich"],
        &["risk", "--as-of", "2026-10-31"],
        &["metrics", "--as-of", "2026-10-31"],
        &["cluster", "--as-of", "2026-10-31"],
    ] {
        ok(&minqing(d, &[&["--models", &m, "--warehouse", "b"][..], args].concat()));
    }
    let dump = |w: &str, q: &str| {
        let out = minqing(d, &["--warehouse", w, "sql", "--format", "json", q]);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    // red and orange cases to count, so a score handed over wrong shows
    let high = dump("a", "SELECT count(*) AS n FROM risk WHERE level IN ('红', '橙')");
    assert!(high.contains(r#""n":"#) && !high.contains(r#""n":0}"#), "{high}");
    for q in [
        "SELECT * FROM risk ORDER BY source, case_id",
        "SELECT * FROM metrics ORDER BY grain, period, source, dimension, key, measure",
        "SELECT * FROM clusters ORDER BY cluster_id",
        "SELECT * FROM cluster_members ORDER BY source, case_id, cluster_id",
    ] {
        assert_eq!(dump("a", q), dump("b", q), "{q}");
    }
}
