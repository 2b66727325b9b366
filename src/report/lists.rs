//! The xlsx lists of a run: 风险清单 (risk.xlsx), 超期清单 (overdue.xlsx), 答复质量清单
//! (replies.xlsx), metrics.xlsx.
//! Chinese headers, frozen header row, filters, set widths; written whole and renamed.

use std::path::Path;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::DataType;
use arrow::datatypes::{Date32Type, Float64Type, Int32Type, Int64Type, TimestampMicrosecondType};
use chrono::NaiveDate;
use rust_xlsxwriter::{Format, FormatAlign, Workbook};

use crate::facts::columns::{Columns, text, texts, time};
use crate::facts::micros_to_time;
use crate::model::{Grain, Level, label_of, month_key};
use crate::schema::{deadlines, metrics, risk, table};
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
            Cell::Text(crate::facts::date32_to_day(c.as_primitive::<Date32Type>().value(i)).to_string())
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
                Cell::Text(t) if *name == "source" => ws.write_string(r, c, label_of(&t)).map_err(x)?,
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

/// Every column a list shows must be in the table: a missing one is an error, never an
/// empty column that would pass for "no data".
fn check(batches: &[RecordBatch], table: &'static str, cols: &[Col]) -> Result<()> {
    for b in batches {
        let c = Columns::new(b, table);
        for (name, ..) in cols {
            c.require(name)?;
        }
    }
    Ok(())
}

/// 风险清单: red and orange cases received in [start, end], highest score first.
pub fn risk_xlsx(wh: &Warehouse, path: &Path, start: NaiveDate, end: NaiveDate) -> Result<usize> {
    let batches = read_table(wh, table::RISK)?;
    check(&batches, table::RISK, RISK)?;
    let mut rows: Vec<(&RecordBatch, usize, i64)> = vec![];
    for b in &batches {
        let c = Columns::new(b, table::RISK);
        let (level, received, score) = (c.str(risk::LEVEL)?, c.time(risk::RECEIVED_AT)?, c.int(risk::SCORE)?);
        for i in 0..b.num_rows() {
            let high = Level::parse(level.value(i)).is_some_and(Level::is_high);
            if high && time(received, i).is_some_and(|t| t.date() >= start && t.date() <= end) {
                rows.push((b, i, score.get(i).unwrap_or(0)));
            }
        }
    }
    rows.sort_by_key(|r| std::cmp::Reverse(r.2));
    let cells: Vec<(&RecordBatch, usize)> = rows.iter().map(|(b, i, _)| (*b, *i)).collect();
    write(path, "风险清单", RISK, &cells)
}

/// 超期清单: open cases 逾期, 到期 or 临期 on the as-of day, most overdue first.
pub fn overdue_xlsx(wh: &Warehouse, path: &Path) -> Result<usize> {
    let batches = read_table(wh, table::DEADLINES)?;
    check(&batches, table::DEADLINES, OVERDUE)?;
    let mut rows: Vec<(&RecordBatch, usize, i64)> = vec![];
    for b in &batches {
        let c = Columns::new(b, table::DEADLINES);
        let (state, left) = (c.str(deadlines::STATE)?, c.int(deadlines::DAYS_LEFT)?);
        for i in 0..b.num_rows() {
            if text(state, i) != Some("正常") {
                rows.push((b, i, left.get(i).unwrap_or(0)));
            }
        }
    }
    rows.sort_by_key(|r| r.2);
    let cells: Vec<(&RecordBatch, usize)> = rows.iter().map(|(b, i, _)| (*b, *i)).collect();
    write(path, "超期清单", OVERDUE, &cells)
}

/// 答复质量清单: flagged replies given in [start, end], by department, lowest score first.
pub fn replies_xlsx(wh: &Warehouse, path: &Path, start: NaiveDate, end: NaiveDate) -> Result<usize> {
    use crate::schema::reply_review as rr;
    let batches = read_table(wh, table::REPLY_REVIEW)?;
    check(&batches, table::REPLY_REVIEW, REPLIES)?;
    let mut rows: Vec<(&RecordBatch, usize, String, i64)> = vec![];
    for b in &batches {
        let c = Columns::new(b, table::REPLY_REVIEW);
        let (flags, replied, dept, score) =
            (c.list(rr::FLAGS)?, c.time(rr::REPLIED_AT)?, c.str(rr::DEPT)?, c.int(rr::SCORE)?);
        for i in 0..b.num_rows() {
            let day = time(replied, i).map(|t| t.date());
            if texts(flags, i).is_empty() || !day.is_some_and(|d| d >= start && d <= end) {
                continue;
            }
            rows.push((b, i, text(dept, i).unwrap_or("未注明").to_string(), score.get(i).unwrap_or(0)));
        }
    }
    rows.sort_by(|a, b| a.2.cmp(&b.2).then(a.3.cmp(&b.3)));
    let cells: Vec<(&RecordBatch, usize)> = rows.iter().map(|(b, i, ..)| (*b, *i)).collect();
    write(path, "答复质量清单", REPLIES, &cells)
}

/// metrics.xlsx: every figure of the period (and the as-of snapshot).
pub fn metrics_xlsx(wh: &Warehouse, path: &Path, grain: Grain, period: &str, as_of: NaiveDate) -> Result<usize> {
    let batches = read_table(wh, table::METRICS)?;
    check(&batches, table::METRICS, METRICS)?;
    let (asof, month) = (as_of.to_string(), month_key(as_of));
    let mut rows: Vec<(&RecordBatch, usize)> = vec![];
    for b in &batches {
        let c = Columns::new(b, table::METRICS);
        let (g, p) = (c.str(metrics::GRAIN)?, c.str(metrics::PERIOD)?);
        for i in 0..b.num_rows() {
            let (g, p) = (g.value(i), p.value(i));
            if (g == grain.as_str() && p == period)
                || (g == Grain::AsOf.as_str() && p == asof)
                || (g == Grain::Month.as_str() && p == month)
            {
                rows.push((b, i));
            }
        }
    }
    write(path, "指标", METRICS, &rows)
}
