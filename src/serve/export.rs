//! The current case list as an xlsx workbook: the rows the user sees (masked as on screen),
//! stamped with who exported them, in which scope, when, and with which filters.

use rust_xlsxwriter::{Format, Workbook};
use serde_json::Value;

use super::auth::Session;
use super::pages::label;
use super::query::{CaseList, EXPORT_LIMIT, Filters};
use crate::{Error, Result};

fn xl(e: rust_xlsxwriter::XlsxError) -> Error {
    Error::Xlsx(e.to_string())
}

pub fn xlsx(list: &CaseList, columns: &[&str], who: &Session, f: &Filters, stamp: &str) -> Result<Vec<u8>> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("案件清单").map_err(xl)?;
    let bold = Format::new().set_bold();
    let filters: Vec<String> = f.pairs().iter().map(|(k, v)| format!("{k}={v}")).collect();
    let cut = if list.total > list.rows.len() {
        format!("；共 {} 件，导出前 {}（上限 {EXPORT_LIMIT}）", list.total, list.rows.len())
    } else {
        format!("；共 {} 件", list.total)
    };
    let note = format!(
        "导出人：{}（{}）；导出时间：{stamp}；筛选：{}{cut}。个人信息已脱敏，仅限工作使用。",
        who.user,
        who.scope.label(),
        if filters.is_empty() { "无".to_string() } else { filters.join("，") },
    );
    ws.write_string(0, 0, &note).map_err(xl)?;
    for (c, name) in columns.iter().enumerate() {
        ws.write_string_with_format(1, c as u16, label(name), &bold).map_err(xl)?;
    }
    for (r, row) in list.rows.iter().enumerate() {
        for (c, name) in columns.iter().enumerate() {
            let (r, c) = (r as u32 + 2, c as u16);
            match row.get(*name) {
                Some(Value::Number(n)) => {
                    ws.write_number(r, c, n.as_f64().unwrap_or_default()).map_err(xl)?;
                }
                Some(Value::String(s)) => {
                    ws.write_string(r, c, s).map_err(xl)?;
                }
                Some(Value::Null) | None => {}
                Some(other) => {
                    ws.write_string(r, c, other.to_string()).map_err(xl)?;
                }
            }
        }
    }
    ws.set_freeze_panes(2, 0).map_err(xl)?;
    wb.save_to_buffer().map_err(xl)
}
