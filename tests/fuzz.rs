//! Fuzzing the ingest readers and parsers (proptest): broken quoting, wrong encodings,
//! truncated and damaged workbooks, huge cells, control characters, impossible dates,
//! Excel serials, negative head counts, duplicate ids. Every case must end in a report
//! that reconciles (and matches what the warehouse holds) or a clear error that writes
//! nothing; a panic fails the property. `PROPTEST_CASES=N` runs a longer campaign.

use std::path::Path;

use minqing::PersonKey;
use minqing::table;
use minqing::{IngestOptions, IngestReport, ingest};
use minqing::{Warehouse, read_table};
use proptest::prelude::*;

const HEADER: &str = "信访件编号,登记时间,信访人,证件号码,联系电话,信访人数,问题属地,主要诉求,办结时间";

fn rows_of(wh: &Warehouse, t: &str) -> u64 {
    read_table(wh, t).unwrap().iter().map(|b| b.num_rows() as u64).sum()
}

/// Ingest one file into a fresh warehouse, twice, and check everything adds up.
fn check(name: &str, bytes: &[u8]) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(name);
    std::fs::write(&file, bytes).unwrap();
    let wh = Warehouse::open(&dir.path().join("wh")).unwrap();
    let key = PersonKey::from_secret(b"fuzz");
    let opts = IngestOptions { source: Some("petition".into()), ..Default::default() };
    match ingest(&wh, std::slice::from_ref(&file), &opts, &key) {
        Ok(rep) => {
            check_report(&rep)?;
            prop_assert_eq!(rows_of(&wh, table::CASES), rep.total(|f| f.added));
            prop_assert_eq!(rows_of(&wh, table::REJECTS), rep.rejected());
            // again: nothing new, and it still reconciles
            let again = ingest(&wh, &[file], &opts, &key).unwrap();
            check_report(&again)?;
            prop_assert_eq!(again.total(|f| f.added + f.rejected), 0);
            prop_assert_eq!(again.total(|f| f.rows_read), rep.total(|f| f.rows_read));
        }
        Err(e) => {
            let msg = e.to_string();
            prop_assert!(msg.len() > 20 && msg.contains(name), "unclear error: {}", msg);
            prop_assert!(wh.tables().unwrap().is_empty(), "a failed ingest wrote {:?}", wh.tables());
            leftovers(&dir.path().join("wh"))?;
        }
    }
    Ok(())
}

fn check_report(rep: &IngestReport) -> Result<(), TestCaseError> {
    for f in &rep.files {
        prop_assert!(f.reconciles(), "{:?}", f);
        prop_assert_eq!(f.rejects_by_reason.values().sum::<u64>(), f.rejected);
    }
    Ok(())
}

/// No temp part is left behind by a failed ingest.
fn leftovers(root: &Path) -> Result<(), TestCaseError> {
    for t in ["cases", "persons", "rejects"] {
        if let Ok(rd) = std::fs::read_dir(root.join(t)) {
            let names: Vec<String> = rd.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
            prop_assert!(names.is_empty(), "{t}: {names:?}");
        }
    }
    Ok(())
}

/// Field values real exports hold, good and bad.
fn field() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[\\u{4e00}-\\u{4e60}]{1,12}",
        1 => Just("2019/2/28 11:25:05".to_string()),
        1 => Just("2019/2/30".to_string()),
        1 => Just("45000.5".to_string()),
        1 => Just("-3".to_string()),
        1 => Just("38人".to_string()),
        1 => Just("1.2万".to_string()),
        1 => Just("99999999999999999999".to_string()),
        1 => Just("2026年13月1日".to_string()),
        1 => Just("430102198001011234".to_string()),
        1 => Just("13812345678".to_string()),
        1 => Just("\"带引号, 和逗号\"".to_string()),
        1 => Just("\"没有结束的引号".to_string()),
        1 => Just("第一行\r\n第二行".to_string()),
        1 => Just("\u{0}\u{7}\u{1b}[31m\u{200b}\u{feff}".to_string()),
        1 => Just("=1+1".to_string()),
        1 => Just(String::new()),
        1 => "\\PC{0,20}",
        1 => (1usize..3).prop_map(|k| "很长的诉求内容".repeat(k * 60_000)),
    ]
}

fn id() -> impl Strategy<Value = String> {
    // few distinct ids, so duplicates within one file are common
    prop_oneof![(0u8..6).prop_map(|i| format!("XF2026{i:04}")), Just(String::new())]
}

fn row() -> impl Strategy<Value = String> {
    (id(), prop::collection::vec(field(), 0..10)).prop_map(|(id, fields)| {
        let mut r = id;
        for f in fields {
            r.push(',');
            r.push_str(&f);
        }
        r
    })
}

fn csv_text() -> impl Strategy<Value = String> {
    prop::collection::vec(row(), 0..40).prop_map(|rows| {
        let mut t = format!("{HEADER}\n");
        for r in rows {
            t.push_str(&r);
            t.push('\n');
        }
        t
    })
}

/// The text in one of the encodings exports come in, maybe cut short.
fn encode(text: &str, enc: u8, cut: Option<usize>) -> Vec<u8> {
    let mut bytes = match enc {
        0 => text.as_bytes().to_vec(),
        1 => [&[0xEF, 0xBB, 0xBF][..], text.as_bytes()].concat(),
        2 => encoding_rs::GBK.encode(text).0.into_owned(),
        _ => {
            let mut b = vec![0xFF, 0xFE];
            b.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
            b
        }
    };
    if let Some(c) = cut {
        bytes.truncate(c.min(bytes.len()).max(1));
    }
    bytes
}

fn workbook(rows: &[Vec<String>]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in HEADER.split(',').enumerate() {
        ws.write_string(0, c as u16, h).unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            match v.parse::<f64>() {
                Ok(n) if n.is_finite() => ws.write_number(r as u32 + 1, c as u16, n).unwrap(),
                _ => ws.write_string(r as u32 + 1, c as u16, v.chars().take(32_000).collect::<String>()).unwrap(),
            };
        }
    }
    wb.save_to_buffer().unwrap()
}

/// 64 cases per property by default keeps the suite quick; `PROPTEST_CASES=N` for a campaign.
fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(64);
    ProptestConfig { cases, ..ProptestConfig::default() }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn csv_exports(text in csv_text(), enc in 0u8..4, cut in prop::option::of(0usize..4000)) {
        check("台账.csv", &encode(&text, enc, cut))?;
    }

    #[test]
    fn jsonl_exports(rows in prop::collection::vec((id(), field(), field(), field()), 0..30), junk in "\\PC{0,40}") {
        let mut t = String::new();
        for (i, (id, when, who, what)) in rows.iter().enumerate() {
            if i % 7 == 3 {
                t.push_str(&junk);
            } else {
                let obj = serde_json::json!({"信访件编号": id, "登记时间": when, "信访人": who, "主要诉求": what, "信访人数": if i % 5 == 0 { serde_json::json!(-2) } else { serde_json::json!(i) }});
                t.push_str(&obj.to_string());
            }
            t.push('\n');
        }
        check("舆情.jsonl", t.as_bytes())?;
    }

    #[test]
    fn damaged_workbooks(rows in prop::collection::vec(prop::collection::vec(field(), 0..9), 0..20),
                         damage in 0u8..3, at in 0.0f64..1.0, byte in any::<u8>()) {
        let mut bytes = workbook(&rows);
        let pos = ((bytes.len() as f64) * at) as usize;
        match damage {
            0 => {}
            1 => bytes.truncate(pos.max(1)),
            _ => { if pos < bytes.len() { bytes[pos] ^= byte | 1; } }
        }
        check("台账.xlsx", &bytes)?;
    }

    #[test]
    fn arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 1..3000), ext in 0u8..3) {
        let name = ["x.csv", "x.jsonl", "x.xlsx"][ext as usize];
        check(name, &bytes)?;
    }
}

#[test]
fn the_named_cases_land_where_they_should() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("台账.csv");
    let text = format!(
        "{HEADER}\n\
         A1,2019/2/30,张三,,,3,青溪县,工资被拖欠,\n\
         A2,45000.5,李四,,,3,青溪县,工资被拖欠,\n\
         A3,2019/2/28,王五,,,-3,青溪县,工资被拖欠,\n\
         A2,45000.5,李四,,,3,青溪县,工资被拖欠,\n\
         A4,2019/3/1,赵六,,,2,青溪县,{},\n",
        "长".repeat(400_000)
    );
    std::fs::write(&file, text).unwrap();
    let wh = Warehouse::open(&dir.path().join("wh")).unwrap();
    let rep = ingest(&wh, &[file], &IngestOptions::default(), &PersonKey::from_secret(b"k")).unwrap();
    let f = &rep.files[0];
    // A2 twice with the same content: the second row is unchanged
    assert_eq!((f.rows_read, f.added, f.updated, f.rejected, f.unchanged), (5, 1, 0, 3, 1), "{f:?}");
    let reasons: Vec<&str> = f.rejects_by_reason.keys().map(String::as_str).collect();
    assert_eq!(reasons, ["bad headcount", "bad received_at", "cell too large"]);
    // 45000.5 is an Excel serial: 2023-03-15 12:00
    let got = minqing::read_table_columns(&wh, table::CASES, Some(&["received_at"])).unwrap();
    let got = arrow::util::pretty::pretty_format_batches(&got).unwrap().to_string();
    assert!(got.contains("2023-03-15T12:00:00"), "{got}");
}
