//! One person across sources (issue 18): an ID number and a phone on one petition tie the
//! counter to 12345, so the person's cases count together.

mod common;
use common::*;

/// 张三 at the counter (ID number and phone) and on 12345 (the phone), 王五 at the counter,
/// 李四 on 12345.
fn counter_and_hotline(d: &std::path::Path) {
    std::fs::write(
        d.join("petition.csv"),
        "信访件编号,登记时间,信访人,身份证号,联系电话,所属县区,所属乡镇,标题,主要诉求\n\
         P-1,2026-09-01 09:00,张三,430102198001011234,13812345678,青溪县,城关镇,工资,永兴建筑劳务有限公司拖欠工资三个月，要求支付\n\
         P-2,2026-09-03 10:00,王五,430102198502023456,,青溪县,城关镇,路灯,幸福路路灯坏了一个月\n",
    )
    .unwrap();
    std::fs::write(
        d.join("hotline.csv"),
        "工单编号,来电时间,来电号码,来电人,所属区域,标题,诉求内容\n\
         H-1,2026-09-10 08:00,13812345678,张先生,城关镇,欠薪,来电人称永兴建筑劳务有限公司仍未支付工资\n\
         H-2,2026-09-20 08:00,138-1234-5678,,城关镇,欠薪,来电人第三次反映永兴建筑劳务有限公司欠薪\n\
         H-3,2026-09-21 08:00,13987654321,李四,城关镇,噪音,夜间施工噪音扰民\n\
         H-4,2026-09-25 08:00,13812345678,张先生,城关镇,噪音,幸福路工地夜间施工噪音扰民，要求环保部门查处\n",
    )
    .unwrap();
}

/// 张三's four cases are one petitioner's: P-1 by ID number, H-1, H-2 and H-4 by phone;
/// wages and noise are two matters: 一人多诉.
fn zhang_san_is_one_petitioner(d: &std::path::Path) {
    let groups = sql(d, "SELECT cases, matters, pattern FROM risk_groups WHERE kind = 'petitioner'");
    assert_eq!(groups.lines().skip(1).collect::<Vec<_>>(), ["4,2,一人多诉"], "{groups}");
    assert_eq!(
        count(d, "SELECT count(DISTINCT person_key) FROM risk WHERE case_id IN ('P-1', 'H-1', 'H-2', 'H-4')"),
        1
    );
}

#[test]
fn a_petitioner_at_the_counter_and_on_12345_is_one_person() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    counter_and_hotline(d);
    let out = ok(&minqing(d, &["ingest", "--source", "petition", "--input", "petition.csv"]));
    assert!(out.contains("people: 2 person keys are 2 people (0 people"), "{out}");
    let out = ok(&minqing(d, &["ingest", "--source", "hotline", "--input", "hotline.csv"]));
    // keys: 张三's ID number, 王五's, 张三's phone, 李四's phone → three people
    assert!(out.contains("people: 4 person keys are 3 people (1 people known by two identifiers or more)"), "{out}");
    assert_eq!(count(d, "SELECT count(*) FROM person_links"), 1);
    // the link is keyed, never raw
    let links = sql(d, "SELECT person_key, person_id FROM person_links");
    assert!(!links.contains("13812345678") && !links.contains("430102198001011234"), "{links}");

    let m = models();
    ok(&minqing(d, &["--models", &m, "enrich"]));
    ok(&minqing(d, &["--models", &m, "risk", "--as-of", "2026-09-30"]));
    zhang_san_is_one_petitioner(d);

    // forgetting 张三 by phone forgets the person, links included
    ok(&minqing(d, &["forget", "--phone", "13812345678"]));
    assert_eq!(count(d, "SELECT count(*) FROM person_links"), 0);
    assert_eq!(count(d, "SELECT count(*) FROM persons WHERE case_id IN ('P-1', 'H-1', 'H-2', 'H-4')"), 0);

    // --no-pii keeps no personal data and no links
    ok(&minqing(d, &["ingest", "--no-pii", "--source", "hotline", "--input", "hotline.csv"]));
    assert_eq!(count(d, "SELECT count(*) FROM person_links"), 0);
}

/// A pipeline links the people and runs metrics beside cluster, each stage in its own
/// commit: every stage's table is written, and run.json times the whole run.
#[test]
fn a_pipeline_links_the_people_and_runs_metrics_beside_cluster() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::create_dir(d.join("exports")).unwrap();
    counter_and_hotline(&d.join("exports"));
    std::fs::write(
        d.join("p.toml"),
        "name = \"p\"\ntitle = \"t\"\nissuer = \"i\"\nperiod = \"day\"\n\
         stages = [\"ingest\", \"enrich\", \"review\", \"risk\", \"metrics\", \"cluster\", \"report\"]\n\
         outputs = [\"briefing.md\"]\n[inputs]\nexports = [\"exports\"]\n",
    )
    .unwrap();
    let m = models();
    let out = ok(&minqing(d, &["--models", &m, "run", "p.toml", "--as-of", "2026-09-30", "--out", "reports"]));
    assert!(out.contains("(beside risk and metrics)") && out.contains("beside cluster)"), "{out}");
    assert_eq!(count(d, "SELECT count(*) FROM person_links"), 1);
    zhang_san_is_one_petitioner(d);
    for t in ["enriched", "reply_review", "metrics", "deadlines", "clusters", "cluster_members", "cross_region"] {
        assert!(d.join("warehouse").join(t).join("_delta_log").is_dir(), "{t} not written\n{out}");
    }
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("reports/p-2026-09-30/run.json")).unwrap()).unwrap();
    let t = &run["timings_seconds"];
    assert!(t["whole"].is_number() && t["metrics"].is_number(), "{t}");
    // each commit its own number: the history lists ingest, link, enrich, review, risk,
    // metrics and cluster once each
    let history = ok(&minqing(d, &["history"]));
    for command in ["ingest", "link", "enrich", "review", "risk", "metrics", "cluster"] {
        assert_eq!(
            history.lines().filter(|l| l.starts_with("commit") && l.split_whitespace().nth(3) == Some(command)).count(),
            1,
            "{command}\n{history}"
        );
    }
}

#[test]
fn cases_whose_matter_registration_and_home_differ_are_counted_per_township() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    // three of 青溪县's own people (code 431122), one registered in another province, one
    // local who lives in 开福区
    std::fs::write(
        d.join("petition.csv"),
        "信访件编号,登记时间,信访人,身份证号,住址,所属县区,所属乡镇,标题,主要诉求\n\
         P-1,2026-09-01 09:00,甲,431122198001011234,青溪县城关镇幸福村,青溪县,城关镇,路灯,幸福路路灯坏了\n\
         P-2,2026-09-02 09:00,乙,431122197502021118,,青溪县,城关镇,噪音,工地夜间施工\n\
         P-3,2026-09-03 09:00,丙,431122199003033336,青溪县青石镇,青溪县,青石镇,修路,村道破损\n\
         P-4,2026-09-04 09:00,丁,110105196001010017,,青溪县,城关镇,欠薪,永兴公司拖欠工资\n\
         P-5,2026-09-05 09:00,戊,431122198506064444,湖南省长沙市开福区某某小区,青溪县,青石镇,征地,征地补偿太低\n",
    )
    .unwrap();
    let out = ok(&minqing(d, &["ingest", "--source", "petition", "--input", "petition.csv"]));
    assert!(out.contains("; 2 cases cross regions"), "{out}");
    let rows = sql(
        d,
        "SELECT case_id, household, residence, array_to_string(differs, '|') FROM cross_region ORDER BY case_id",
    );
    assert_eq!(
        rows.lines().skip(1).collect::<Vec<_>>(),
        ["P-4,外省,,户籍地≠问题属地", "P-5,,开福区,居住地≠问题属地"],
        "{rows}"
    );
    // never the code itself
    assert!(!rows.contains("110105"), "{rows}");
    let m = models();
    ok(&minqing(d, &["--models", &m, "enrich"]));
    ok(&minqing(d, &["--models", &m, "metrics", "--as-of", "2026-09-30"]));
    let by_town = sql(
        d,
        "SELECT key, CAST(value AS BIGINT), CAST(denominator AS BIGINT), note FROM metrics \
         WHERE measure = '三跨三分离件数' ORDER BY key",
    );
    assert_eq!(
        by_town.lines().skip(1).collect::<Vec<_>>(),
        ["城关镇,1,3,户籍地≠问题属地 1", "青石镇,1,2,居住地≠问题属地 1"],
        "{by_town}"
    );
}

#[test]
fn a_cluster_names_the_localities_of_petitioners_from_elsewhere() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let mut csv = String::from("信访件编号,登记时间,信访人,身份证号,所属县区,所属乡镇,标题,主要诉求\n");
    let locals = ["431122198001011234", "431122197502021118", "431122199003033336", "431122198506064444"];
    for (i, id) in locals.iter().enumerate() {
        csv += &format!(
            "P-{i},2026-09-0{} 09:00,工友{i},{id},青溪县,城关镇,永兴建筑劳务有限公司拖欠工资,\
             我们在永兴建筑劳务有限公司承建的工地干活，公司拖欠工资三个月，要求支付\n",
            i + 1
        );
    }
    csv += "P-9,2026-09-06 09:00,外地工友,110105196001010017,青溪县,城关镇,永兴建筑劳务有限公司拖欠工资,\
            我在永兴建筑劳务有限公司承建的工地干活，公司拖欠工资三个月，要求支付\n";
    std::fs::write(d.join("petition.csv"), csv).unwrap();
    ok(&minqing(d, &["ingest", "--source", "petition", "--input", "petition.csv"]));
    let m = models();
    for stage in ["enrich", "risk", "cluster"] {
        ok(&minqing(d, &["--models", &m, stage]));
    }
    let c = sql(d, "SELECT cases, regions, co_regions FROM clusters WHERE co_regions IS NOT NULL");
    assert_eq!(c.lines().skip(1).collect::<Vec<_>>(), ["5,城关镇 5,外省 1"], "{c}");
}
