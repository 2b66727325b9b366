//! `clusters.xlsx` (类案清单): one sheet of clusters by heat, one of their member cases,
//! Chinese headers, frozen header row, set column widths. Written whole to a temporary
//! file and renamed, so a crash never leaves half a workbook.

use std::path::Path;

use rust_xlsxwriter::{Format, FormatAlign, Workbook, Worksheet};

use super::Cluster;
use crate::facts::CaseFacts;
use crate::warehouse::atomic_write;
use crate::{Error, Result};

/// Member rows in the workbook: the hottest clusters' cases, far more than anyone hands
/// to a department; the rest (1M records give ~870k member rows, 10 s of xlsx writing)
/// stay in the `cluster_members` table, named in a closing row.
const MAX_ROWS: u32 = 100_000;

fn header(
    ws: &mut Worksheet,
    cols: &[(&str, f64)],
    bold: &Format,
) -> std::result::Result<(), rust_xlsxwriter::XlsxError> {
    for (c, (name, width)) in cols.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *name, bold)?;
        ws.set_column_width(c as u16, *width)?;
    }
    ws.set_freeze_panes(1, 0)?;
    ws.autofilter(0, 0, 0, (cols.len() - 1) as u16)?;
    Ok(())
}

pub fn write(path: &Path, clusters: &[Cluster], facts: &[CaseFacts]) -> Result<()> {
    let x = |e: rust_xlsxwriter::XlsxError| Error::Xlsx(format!("{}: {e}", path.display()));
    let mut wb = Workbook::new();
    let created = rust_xlsxwriter::ExcelDateTime::from_ymd(2026, 1, 1).map_err(x)?;
    wb.set_properties(&rust_xlsxwriter::DocProperties::new().set_creation_datetime(&created).set_title("类案清单"));
    let bold = Format::new().set_bold().set_background_color("#DDEBF7").set_align(FormatAlign::Center);
    let wrap = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    let ws = wb.add_worksheet();
    ws.set_name("类案清单").map_err(x)?;
    let cols = [
        ("热度排名", 8.0),
        ("类案编号", 11.0),
        ("标题", 34.0),
        ("领域", 9.0),
        ("事项", 10.0),
        ("件数", 7.0),
        ("人次", 7.0),
        ("信访人数", 8.0),
        ("信访", 6.0),
        ("12345", 6.0),
        ("留言", 6.0),
        ("舆情", 6.0),
        ("首现渠道", 8.0),
        ("首次", 11.0),
        ("最近", 11.0),
        ("近12周件数", 26.0),
        ("属地", 24.0),
        ("责任单位", 24.0),
        ("最高风险分", 9.0),
        ("红色件数", 8.0),
        ("热度", 7.0),
        ("建议牵头部门", 14.0),
        ("代表性案件", 40.0),
        ("典型案例（已化解）", 50.0),
        ("协办属地（户籍地、居住地）", 24.0),
    ];
    header(ws, &cols, &bold).map_err(x)?;
    for (r, c) in clusters.iter().enumerate() {
        let r = r as u32 + 1;
        let nums = [
            c.heat_rank as f64,
            c.members.len() as f64,
            c.people as f64,
            c.petitioners as f64,
            c.by_source[0] as f64,
            c.by_source[1] as f64,
            c.by_source[2] as f64,
            c.by_source[3] as f64,
        ];
        let texts: [(u16, String); 14] = [
            (1, c.id.clone()),
            (2, c.title.clone()),
            (3, c.topic.clone()),
            (4, c.sub.clone()),
            (12, crate::model::label_of(&c.first_source).to_string()),
            (13, c.first.date().to_string()),
            (14, c.last.date().to_string()),
            (15, c.weekly.iter().map(u32::to_string).collect::<Vec<_>>().join(",")),
            (16, c.regions.clone()),
            (17, c.depts.clone()),
            (21, c.lead_dept.clone()),
            (22, c.representative.clone()),
            (23, c.typical.clone()),
            (24, c.co_regions.clone()),
        ];
        for (col, v) in [0u16, 5, 6, 7, 8, 9, 10, 11].into_iter().zip(nums) {
            ws.write_number(r, col, v).map_err(x)?;
        }
        for (col, v) in texts {
            ws.write_string_with_format(r, col, &v, &wrap).map_err(x)?;
        }
        if let Some(s) = c.risk_max {
            ws.write_number(r, 18, f64::from(s)).map_err(x)?;
        }
        ws.write_number(r, 19, c.red as f64).map_err(x)?;
        ws.write_number(r, 20, c.heat).map_err(x)?;
    }
    let ws = wb.add_worksheet();
    ws.set_name("成员案件").map_err(x)?;
    let cols = [
        ("类案编号", 11.0),
        ("类案标题", 30.0),
        ("案件编号", 24.0),
        ("来源", 7.0),
        ("渠道", 8.0),
        ("登记时间", 18.0),
        ("属地", 10.0),
        ("责任单位", 18.0),
        ("人数", 6.0),
        ("办结", 11.0),
        ("满意度", 9.0),
    ];
    header(ws, &cols, &bold).map_err(x)?;
    let mut r = 1u32;
    let total: usize = clusters.iter().map(|c| c.members.len()).sum();
    'rows: for c in clusters {
        for &i in &c.members {
            if r >= MAX_ROWS {
                let note = format!(
                    "……其余{}件见仓库 cluster_members 表（minqing sql \"SELECT * FROM cluster_members\"）",
                    total + 1 - r as usize
                );
                ws.write_string(r, 0, note).map_err(x)?;
                break 'rows;
            }
            let f = &facts[i];
            let cells = [
                c.id.as_str(),
                c.title.as_str(),
                f.case_id.as_str(),
                crate::model::label_of(&f.source),
                f.channel.as_deref().unwrap_or(""),
                &f.received.format("%Y-%m-%d %H:%M").to_string(),
                f.town.as_deref().unwrap_or(""),
                f.dept.as_deref().unwrap_or(""),
            ]
            .map(String::from);
            for (col, v) in cells.iter().enumerate() {
                ws.write_string(r, col as u16, v).map_err(x)?;
            }
            ws.write_number(r, 8, f.people() as f64).map_err(x)?;
            if let Some(cl) = f.closed {
                ws.write_string(r, 9, cl.date().to_string()).map_err(x)?;
            }
            ws.write_string(r, 10, f.satisfaction.as_deref().unwrap_or("")).map_err(x)?;
            r += 1;
        }
    }
    let bytes = wb.save_to_buffer().map_err(x)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    atomic_write(path, &bytes)
}
