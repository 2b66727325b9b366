//! The draft letters of a run (三函): a 督办函 per department with overdue cases (from
//! `deadlines`) and a 风险提醒函 per red issue cluster (from `clusters`, with the entity's
//! rolled-up reasons from `risk_groups`), written as DOCX by `report::docx`.

use std::path::Path;

use chrono::NaiveDate;

use std::collections::BTreeMap;

use crate::facts::tables::{read_clusters, read_deadlines, read_groups};
use crate::model::ClusterKind;
use crate::report::docx::{Overdue, risk_letter, supervision_letter};
use crate::warehouse::Warehouse;
use crate::{Error, Result};

/// Draft letters: a 督办函 per department with overdue cases, a 风险提醒函 per red issue
/// cluster. Returns how many were written.
pub fn write_all(wh: &Warehouse, dir: &Path, issuer: &str, as_of: NaiveDate) -> Result<usize> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let as_of_text = as_of.format("%Y年%-m月%-d日").to_string();
    let mut by_dept: BTreeMap<String, Vec<Overdue>> = BTreeMap::new();
    for d in read_deadlines(wh)?.into_iter().filter(|d| d.state == "逾期") {
        let dept = d.dept.filter(|d| !d.is_empty()).unwrap_or_else(|| "责任单位未明确".into());
        by_dept.entry(dept).or_default().push(Overdue {
            case_id: d.case_id,
            received: d.received.date().to_string(),
            due: d.due.map(|d| d.to_string()).unwrap_or_default(),
            days_over: -d.days_left,
            stage: d.stage,
        });
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
    let reasons: BTreeMap<String, Vec<String>> = read_groups(wh)?
        .into_iter()
        .filter(|g| g.kind == "entity")
        .map(|g| (g.key, g.reasons.into_iter().take(5).collect()))
        .collect();
    let mut k = 0;
    // an issue with a case `risk` graded 红 (by the levels of risk.toml)
    for c in read_clusters(wh)?.iter().filter(|c| c.kind == ClusterKind::Issue && c.red_cases > 0) {
        let to = std::iter::once(format!("县{}部门", c.lead_dept))
            .chain(c.towns().iter().map(|t| format!("{t}党委、政府")))
            .collect::<Vec<_>>()
            .join("、");
        let why = c.entity_key.as_ref().and_then(|e| reasons.get(e)).cloned().unwrap_or_default();
        k += 1;
        risk_letter(
            issuer,
            &to,
            &c.title,
            c.cases,
            c.people,
            &c.regions,
            &why,
            &as_of_text,
            &dir.join(format!("风险提醒函-{k:02}-{}.docx", safe(&c.title))),
        )?;
        n += 1;
    }
    Ok(n)
}

/// A file-name-safe version of a name.
fn safe(s: &str) -> String {
    s.chars().map(|c| if c.is_alphanumeric() { c } else { '_' }).take(40).collect()
}
