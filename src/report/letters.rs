//! The draft letters of a run (三函): a 督办函 per department with overdue cases (from
//! `deadlines`) and a 风险提醒函 per red issue cluster (from `clusters`, with the entity's
//! rolled-up reasons from `risk_groups`), written as DOCX by `report::docx`.

use std::path::Path;

use chrono::NaiveDate;

use crate::schema::table;
use crate::warehouse::{Warehouse, read_table};
use crate::{Error, Result};

/// Draft letters: a 督办函 per department with overdue cases, a 风险提醒函 per red issue
/// cluster. Returns how many were written.
pub fn write_all(wh: &Warehouse, dir: &Path, issuer: &str, as_of: NaiveDate) -> Result<usize> {
    use arrow::array::{Array, AsArray};
    use arrow::datatypes::{Date32Type, Int32Type, Int64Type, TimestampMicrosecondType};
    use std::collections::BTreeMap;

    use crate::report::docx::{Overdue, risk_letter, supervision_letter};
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let s = |b: &arrow::record_batch::RecordBatch, n: &str, i: usize| -> String {
        b.column_by_name(n)
            .map(|c| c.as_string::<i32>())
            .filter(|c| !c.is_null(i))
            .map_or(String::new(), |c| c.value(i).to_string())
    };
    let as_of_text = as_of.format("%Y年%-m月%-d日").to_string();
    let mut by_dept: BTreeMap<String, Vec<Overdue>> = BTreeMap::new();
    for b in read_table(wh, table::DEADLINES)? {
        for i in 0..b.num_rows() {
            if s(&b, "state", i) != "逾期" {
                continue;
            }
            let left = b.column_by_name("days_left").map_or(0, |c| c.as_primitive::<Int32Type>().value(i));
            let due = b.column_by_name("due_at").map_or(0, |c| c.as_primitive::<Date32Type>().value(i));
            let received =
                b.column_by_name("received_at").map_or(0, |c| c.as_primitive::<TimestampMicrosecondType>().value(i));
            let dept = Some(s(&b, "dept", i)).filter(|d| !d.is_empty()).unwrap_or_else(|| "责任单位未明确".into());
            by_dept.entry(dept).or_default().push(Overdue {
                case_id: s(&b, "case_id", i),
                received: crate::pipeline::facts::micros_to_time(received).date().to_string(),
                due: (NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch") + chrono::Duration::days(i64::from(due)))
                    .to_string(),
                days_over: -i64::from(left),
                stage: s(&b, "stage", i),
            });
        }
    }
    let mut n = 0;
    for (k, (dept, mut cases)) in by_dept.into_iter().enumerate() {
        cases.sort_by(|a, b| b.days_over.cmp(&a.days_over).then_with(|| a.case_id.cmp(&b.case_id)));
        supervision_letter(
            issuer,
            &dept,
            &cases,
            &as_of_text,
            &dir.join(format!("督办函-{:02}-{}.docx", k + 1, safe(&dept))),
        )?;
        n += 1;
    }
    // reasons of each entity, from risk_groups
    let mut reasons: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for b in read_table(wh, table::RISK_GROUPS)? {
        for i in 0..b.num_rows() {
            if s(&b, "kind", i) == "entity" {
                let l = b.column_by_name("reasons").expect("reasons").as_list::<i32>().value(i);
                let l = l.as_string::<i32>();
                reasons.insert(s(&b, "key", i), (0..l.len().min(5)).map(|j| l.value(j).to_string()).collect());
            }
        }
    }
    let mut k = 0;
    for b in read_table(wh, table::CLUSTERS)? {
        for i in 0..b.num_rows() {
            // an issue with a case `risk` graded 红 (by the levels of risk.toml)
            let red = b
                .column_by_name("red_cases")
                .ok_or_else(|| Error::Schema("`clusters` has no red_cases column: run `minqing cluster` again".into()))?
                .as_primitive::<Int64Type>()
                .value(i);
            if s(&b, "kind", i) != "issue" || red == 0 {
                continue;
            }
            let num = |n: &str| b.column_by_name(n).map_or(0, |c| c.as_primitive::<Int64Type>().value(i));
            let title = s(&b, "title", i);
            let lead = s(&b, "lead_dept", i);
            let regions = s(&b, "regions", i);
            let towns: Vec<&str> = regions
                .split('、')
                .filter_map(|r| r.split(' ').next())
                .filter(|t| !t.is_empty() && *t != "未知")
                .collect();
            let to = std::iter::once(format!("县{lead}部门"))
                .chain(towns.iter().map(|t| format!("{t}党委、政府")))
                .collect::<Vec<_>>()
                .join("、");
            let why = reasons.get(&s(&b, "entity_key", i)).cloned().unwrap_or_default();
            k += 1;
            risk_letter(
                issuer,
                &to,
                &title,
                num("cases"),
                num("people"),
                &regions,
                &why,
                &as_of_text,
                &dir.join(format!("风险提醒函-{k:02}-{}.docx", safe(&title))),
            )?;
            n += 1;
        }
    }
    Ok(n)
}

/// A file-name-safe version of a name.
fn safe(s: &str) -> String {
    s.chars().map(|c| if c.is_alphanumeric() { c } else { '_' }).take(40).collect()
}
