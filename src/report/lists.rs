//! The xlsx lists of a run: 风险清单 (risk.xlsx), 超期清单 (overdue.xlsx), 答复质量清单
//! (replies.xlsx), metrics.xlsx.
//! Chinese headers, frozen header row, filters, set widths; written whole and renamed.

use std::path::Path;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::DataType;
use arrow::datatypes::{Date32Type, Float64Type, Int32Type, Int64Type, TimestampMicrosecondType};
use chrono::NaiveDate;
use rust_xlsxwriter::{Format, FormatAlign, Workbook};

use crate::pipeline::facts::micros_to_time;
use crate::schema::table;
use crate::warehouse::{Warehouse, atomic_write, read_table};
use crate::{Error, Result};

/// Column of a list: warehouse column, Chinese header, width.
type Col = (&'static str, &'static str, f64);

const RISK: &[Col] = &[
    ("case_id", "案件编号", 24.0),
    ("source", "来源", 9.0),
    ("received_at", "登记时间", 17.0),
    ("level", "风险等级", 8.0),
    ("score", "风险分", 7.0),
    ("focus_topic", "领域", 9.0),
    ("entity_key", "涉及对象", 20.0),
    ("region_town", "属地", 10.0),
    ("dept", "责任单位", 18.0),
    ("headcount", "人数", 6.0),
    ("reasons", "风险理由", 70.0),
    ("escalation_prob", "30天内升级概率", 12.0),
];

const OVERDUE: &[Col] = &[
    ("case_id", "案件编号", 24.0),
    ("source", "来源", 9.0),
    ("state", "状态", 7.0),
    ("days_left", "剩余天数（负为超期）", 12.0),
    ("due_at", "期限", 11.0),
    ("stage", "环节", 7.0),
    ("dept", "责任单位", 20.0),
    ("region_town", "属地", 10.0),
    ("received_at", "登记时间", 17.0),
    ("policy", "期限规则", 9.0),
];

const REPLIES: &[Col] = &[
    ("dept", "答复单位", 20.0),
    ("source", "来源", 9.0),
    ("case_id", "案件编号", 24.0),
    ("replied_at", "答复时间", 17.0),
    ("timeliness_days", "答复用时（天）", 10.0),
    ("score", "评分", 7.0),
    ("flags", "问题", 16.0),
    ("evidence", "依据", 70.0),
    ("relevance", "相关性", 8.0),
    ("completeness", "完整性", 8.0),
    ("explanation", "说明性", 8.0),
];

const METRICS: &[Col] = &[
    ("grain", "粒度", 7.0),
    ("period", "期间", 11.0),
    ("source", "来源", 9.0),
    ("dimension", "维度", 9.0),
    ("key", "项目", 22.0),
    ("measure", "指标", 14.0),
    ("numerator", "分子", 10.0),
    ("denominator", "分母", 10.0),
    ("value", "值", 10.0),
    ("note", "说明", 50.0),
];

enum Cell {
    Text(String),
    Num(f64),
    Empty,
}

fn cell(b: &RecordBatch, name: &str, i: usize) -> Cell {
    let Some(c) = b.column_by_name(name) else { return Cell::Empty };
    if c.is_null(i) {
        return Cell::Empty;
    }
    match c.data_type() {
        DataType::Utf8 => Cell::Text(c.as_string::<i32>().value(i).to_string()),
        DataType::Int32 => Cell::Num(f64::from(c.as_primitive::<Int32Type>().value(i))),
        DataType::Int64 => Cell::Num(c.as_primitive::<Int64Type>().value(i) as f64),
        DataType::Float64 => Cell::Num(c.as_primitive::<Float64Type>().value(i)),
        DataType::Date32 => {
            let d = NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")
                + chrono::Duration::days(i64::from(c.as_primitive::<Date32Type>().value(i)));
            Cell::Text(d.to_string())
        }
        DataType::Timestamp(..) => Cell::Text(
            micros_to_time(c.as_primitive::<TimestampMicrosecondType>().value(i)).format("%Y-%m-%d %H:%M").to_string(),
        ),
        DataType::List(_) => {
            let l = c.as_list::<i32>().value(i);
            let l = l.as_string::<i32>();
            Cell::Text((0..l.len()).map(|j| l.value(j)).collect::<Vec<_>>().join("；"))
        }
        _ => Cell::Empty,
    }
}

fn write(path: &Path, sheet: &str, cols: &[Col], rows: &[(&RecordBatch, usize)]) -> Result<usize> {
    let x = |e: rust_xlsxwriter::XlsxError| Error::Xlsx(format!("{}: {e}", path.display()));
    let mut wb = Workbook::new();
    let created = rust_xlsxwriter::ExcelDateTime::from_ymd(2026, 1, 1).map_err(x)?;
    wb.set_properties(&rust_xlsxwriter::DocProperties::new().set_creation_datetime(&created).set_title(sheet));
    let bold = Format::new().set_bold().set_background_color("#DDEBF7").set_align(FormatAlign::Center);
    let ws = wb.add_worksheet();
    ws.set_name(sheet).map_err(x)?;
    for (c, (_, header, width)) in cols.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *header, &bold).map_err(x)?;
        ws.set_column_width(c as u16, *width).map_err(x)?;
    }
    ws.set_freeze_panes(1, 0).map_err(x)?;
    ws.autofilter(0, 0, 0, (cols.len() - 1) as u16).map_err(x)?;
    let limit = rows.len().min(1_048_575);
    for (r, (b, i)) in rows[..limit].iter().enumerate() {
        for (c, (name, _, _)) in cols.iter().enumerate() {
            let (r, c) = (r as u32 + 1, c as u16);
            match cell(b, name, *i) {
                Cell::Text(t) if *name == "source" => {
                    ws.write_string(r, c, crate::schema::source_label(&t)).map_err(x)?
                }
                Cell::Text(t) => ws.write_string(r, c, t).map_err(x)?,
                Cell::Num(v) => ws.write_number(r, c, v).map_err(x)?,
                Cell::Empty => ws,
            };
        }
    }
    let bytes = wb.save_to_buffer().map_err(x)?;
    atomic_write(path, &bytes)?;
    Ok(limit)
}

/// 风险清单: red and orange cases received in [start, end], highest score first.
pub fn risk_xlsx(wh: &Warehouse, path: &Path, start: NaiveDate, end: NaiveDate) -> Result<usize> {
    let batches = read_table(wh, table::RISK)?;
    let mut rows: Vec<(&RecordBatch, usize)> = vec![];
    for b in &batches {
        for i in 0..b.num_rows() {
            let level = b.column_by_name("level").map(|c| c.as_string::<i32>().value(i).to_string());
            let day = b
                .column_by_name("received_at")
                .map(|c| micros_to_time(c.as_primitive::<TimestampMicrosecondType>().value(i)).date());
            if matches!(level.as_deref(), Some("红" | "橙")) && day.is_some_and(|d| d >= start && d <= end) {
                rows.push((b, i));
            }
        }
    }
    let score = |(b, i): &(&RecordBatch, usize)| {
        b.column_by_name("score").map_or(0, |c| c.as_primitive::<Int32Type>().value(*i))
    };
    rows.sort_by_key(|r| std::cmp::Reverse(score(r)));
    write(path, "风险清单", RISK, &rows)
}

/// 超期清单: open cases 逾期, 到期 or 临期 on the as-of day, most overdue first.
pub fn overdue_xlsx(wh: &Warehouse, path: &Path) -> Result<usize> {
    let batches = read_table(wh, table::DEADLINES)?;
    let mut rows: Vec<(&RecordBatch, usize)> = vec![];
    for b in &batches {
        for i in 0..b.num_rows() {
            if b.column_by_name("state").is_some_and(|c| c.as_string::<i32>().value(i) != "正常") {
                rows.push((b, i));
            }
        }
    }
    let left = |(b, i): &(&RecordBatch, usize)| {
        b.column_by_name("days_left").map_or(0, |c| c.as_primitive::<Int32Type>().value(*i))
    };
    rows.sort_by_key(left);
    write(path, "超期清单", OVERDUE, &rows)
}

/// 答复质量清单: flagged replies given in [start, end], by department, lowest score first.
pub fn replies_xlsx(wh: &Warehouse, path: &Path, start: NaiveDate, end: NaiveDate) -> Result<usize> {
    use crate::schema::reply_review as rr;
    let batches = read_table(wh, table::REPLY_REVIEW)?;
    let mut rows: Vec<(&RecordBatch, usize, String, i32)> = vec![];
    for b in &batches {
        let col =
            |n: &str| b.column_by_name(n).ok_or_else(|| Error::Schema(format!("reply_review has no column `{n}`")));
        let (flags, replied, dept, score) = (
            col(rr::FLAGS)?.as_list::<i32>(),
            col(rr::REPLIED_AT)?.as_primitive::<TimestampMicrosecondType>(),
            col(rr::DEPT)?.as_string::<i32>(),
            col(rr::SCORE)?.as_primitive::<Int32Type>(),
        );
        for i in 0..b.num_rows() {
            let day = replied.is_valid(i).then(|| micros_to_time(replied.value(i)).date());
            if flags.value(i).is_empty() || !day.is_some_and(|d| d >= start && d <= end) {
                continue;
            }
            let d = if dept.is_valid(i) { dept.value(i).to_string() } else { "未注明".to_string() };
            rows.push((b, i, d, score.value(i)));
        }
    }
    rows.sort_by(|a, b| a.2.cmp(&b.2).then(a.3.cmp(&b.3)));
    let cells: Vec<(&RecordBatch, usize)> = rows.iter().map(|(b, i, ..)| (*b, *i)).collect();
    write(path, "答复质量清单", REPLIES, &cells)
}

/// metrics.xlsx: every figure of the period (and the as-of snapshot).
pub fn metrics_xlsx(wh: &Warehouse, path: &Path, grain: &str, period: &str, as_of: NaiveDate) -> Result<usize> {
    let batches = read_table(wh, table::METRICS)?;
    let asof = as_of.to_string();
    let month = as_of.format("%Y-%m").to_string();
    let mut rows: Vec<(&RecordBatch, usize)> = vec![];
    for b in &batches {
        let (g, p) = (
            b.column_by_name("grain").map(|c| c.as_string::<i32>().clone()),
            b.column_by_name("period").map(|c| c.as_string::<i32>().clone()),
        );
        let (Some(g), Some(p)) = (g, p) else { continue };
        for i in 0..b.num_rows() {
            if (g.value(i) == grain && p.value(i) == period)
                || (g.value(i) == "asof" && p.value(i) == asof)
                || (g.value(i) == "month" && p.value(i) == month)
            {
                rows.push((b, i));
            }
        }
    }
    write(path, "指标", METRICS, &rows)
}
