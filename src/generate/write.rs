//! Laying records out in each source's export columns and writing the files.

use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;
use rust_xlsxwriter::{Format, Workbook};

use super::world::COUNTY;
use super::{BLANK_RATE, Formats, GenerateConfig, People, Rec, SOURCES};
use crate::normalize::time::to_excel_serial;
use crate::{Error, Result};

/// A cell to write.
enum Out {
    S(String),
    /// A timestamp and the form to write it in.
    T(NaiveDateTime, u8),
    I(i64),
    E,
}

fn s(v: impl Into<String>) -> Out {
    Out::S(v.into())
}
fn opt_s(v: Option<impl Into<String>>) -> Out {
    v.map_or(Out::E, |x| Out::S(x.into()))
}
fn opt_t(v: Option<NaiveDateTime>, form: u8) -> Out {
    v.map_or(Out::E, |t| Out::T(t, form))
}
fn yn(b: bool) -> Out {
    s(if b { "是" } else { "否" })
}

const PETITION: &[&str] = &[
    "信访件编号",
    "登记时间",
    "信访形式",
    "信访目的",
    "信访人",
    "证件号码",
    "联系电话",
    "信访人数",
    "问题属地",
    "标题",
    "主要诉求",
    "内容分类",
    "是否越级",
    "是否进京",
    "是否赴省",
    "是否集体访",
    "是否重复",
    "是否联名",
    "是否扬言",
    "登记机构级别",
    "责任单位",
    "受理时间",
    "限办日期",
    "办结时间",
    "答复时间",
    "满意度评价",
];
const HOTLINE: &[&str] = &[
    "工单编号",
    "来电时间",
    "来电号码",
    "诉求类型",
    "标题",
    "诉求内容",
    "所属区域",
    "承办单位",
    "办结时间",
    "回访结果",
];
const MESSAGE: &[&str] = &[
    "留言编号",
    "留言用户",
    "留言主题",
    "留言时间",
    "留言详情",
    "点赞数",
    "反对数",
    "答复意见",
    "答复时间",
    "一级分类",
];
const OPINION: &[&str] =
    &["信息编号", "发布时间", "平台", "作者", "标题", "正文", "转发数", "评论数", "点赞数", "地域"];

fn headers(source: usize) -> &'static [&'static str] {
    [PETITION, HOTLINE, MESSAGE, OPINION][source]
}

const LEVELS: [&str; 4] = ["县级", "市级", "省级", "国家级"];

fn row(r: &Rec, people: &People) -> Vec<Out> {
    let p = r.person.map(|i| people.get(i));
    let f = r.date_form;
    let id = if r.defect == Some("missing id") { Out::E } else { s(&r.case_id) };
    let received = match r.defect {
        Some("bad date") => s(if r.case_id.len() % 2 == 0 {
            format!("{}/2/30 10:15:00", r.received_at.format("%Y"))
        } else {
            "待补录".into()
        }),
        _ => Out::T(r.received_at, f),
    };
    let (title, content) = if r.defect == Some("empty text") { (Out::E, Out::E) } else { (s(&r.title), s(&r.content)) };
    match r.source {
        0 => {
            let headcount = match (r.defect, r.headcount) {
                (Some("negative headcount"), _) => Out::I(-3),
                (_, Some(n)) => Out::I(n as i64),
                (_, None) => Out::E,
            };
            let mut v = vec![
                id,
                received,
                s(r.channel),
                s(r.purpose),
                opt_s(p.as_ref().map(|p| p.name.clone())),
                opt_s(p.as_ref().map(|p| p.id_number.clone())),
                opt_s(p.as_ref().map(|p| p.phone.clone())),
                headcount,
                opt_s(r.region.clone()),
                title,
                content,
                s(r.topic.category),
            ];
            v.extend(r.flags.iter().map(|&b| yn(b)));
            v.extend([
                s(LEVELS[r.level as usize]),
                s(&r.dept),
                opt_t(r.accepted_at, f),
                opt_t(r.due_at, f % 3),
                opt_t(r.closed_at, f),
                opt_t(r.replied_at, f),
                opt_s(r.satisfaction),
            ]);
            v
        }
        1 => vec![
            id,
            received,
            opt_s(p.as_ref().map(|p| p.phone.clone())),
            s(r.purpose),
            title,
            content,
            opt_s(r.region.clone()),
            s(&r.dept),
            opt_t(r.closed_at, f),
            opt_s(r.satisfaction),
        ],
        2 => vec![
            id,
            opt_s(r.person.map(|i| format!("A{:08}", (i as u64 * 7919 + 13) % 100_000_000))),
            title,
            received,
            content,
            Out::I(r.likes),
            Out::I(r.dislikes),
            opt_s(r.reply.clone()),
            opt_t(r.replied_at, f),
            s(r.topic.legacy),
        ],
        _ => vec![
            id,
            received,
            s(r.platform),
            opt_s(r.person.map(|i| format!("青溪网友{:05}", i % 100_000))),
            title,
            content,
            count(r.shares),
            count(r.comments),
            count(r.likes),
            s(format!("湖南{COUNTY}")),
        ],
    }
}

/// Large counts as monitoring tools print them ("1.2万").
fn count(n: i64) -> Out {
    if n >= 10_000 { s(format!("{:.1}万", n as f64 / 10_000.0)) } else { Out::I(n) }
}

/// Text forms of a timestamp: most like real exports, some 年月日, some Excel serials.
fn time_text(t: NaiveDateTime, form: u8) -> String {
    match form {
        0..=5 => t.format("%Y/%-m/%-d %-H:%M:%S").to_string(),
        6 => t.format("%Y年%-m月%-d日").to_string(),
        7 => t.format("%Y-%m-%d %H:%M").to_string(),
        8 => t.format("%Y-%m-%d %H:%M:%S").to_string(),
        _ => format!("{:.6}", to_excel_serial(t)),
    }
}

fn text_of(o: &Out) -> String {
    match o {
        Out::S(v) => v.clone(),
        Out::T(t, f) => time_text(*t, *f),
        Out::I(i) => i.to_string(),
        Out::E => String::new(),
    }
}

/// Whether a blank row follows this record (stable per case id).
fn blank_after(r: &Rec) -> bool {
    let h = blake3::hash(r.case_id.as_bytes());
    (u16::from_le_bytes([h.as_bytes()[0], h.as_bytes()[1]]) as f64) < BLANK_RATE * 65_536.0
}

/// Write one source in the chosen formats; returns (path, rows, blank rows).
pub fn write_source(
    dir: &Path,
    source: usize,
    recs: &[Rec],
    people: &People,
    cfg: &GenerateConfig,
    xlsx_max: usize,
) -> Result<Vec<(PathBuf, usize, usize)>> {
    let name = SOURCES[source].0;
    let kinds: Vec<&str> = match (cfg.formats, source) {
        (Formats::All, _) => vec!["xlsx", "utf8.csv", "gbk.csv", "jsonl"],
        (Formats::Native, 0) if recs.len() <= xlsx_max => vec!["xlsx"],
        (Formats::Native, 0) => vec!["utf8.csv"],
        (Formats::Native, 1) => vec!["gbk.csv"],
        (Formats::Native, 2) => vec!["utf8.csv"],
        (Formats::Native, _) => vec!["jsonl"],
    };
    let rows: Vec<(Vec<Out>, bool)> = recs.iter().map(|r| (row(r, people), blank_after(r))).collect();
    let blanks = rows.iter().filter(|(_, b)| *b).count();
    let mut out = vec![];
    for kind in kinds {
        let path = dir.join(format!("{name}.{kind}"));
        let tmp = crate::warehouse::tmp_sibling(&path);
        match kind {
            "xlsx" => write_xlsx(&tmp, source, &rows)?,
            "jsonl" => std::fs::write(&tmp, jsonl(source, &rows)).map_err(|e| Error::io(&tmp, e))?,
            "gbk.csv" => {
                let text = csv_text(source, &rows)?;
                let (bytes, _, _) = encoding_rs::GBK.encode(&text);
                std::fs::write(&tmp, bytes).map_err(|e| Error::io(&tmp, e))?
            }
            _ => {
                let mut bytes = vec![0xEF, 0xBB, 0xBF];
                bytes.extend_from_slice(csv_text(source, &rows)?.as_bytes());
                std::fs::write(&tmp, bytes).map_err(|e| Error::io(&tmp, e))?
            }
        }
        std::fs::rename(&tmp, &path).map_err(|e| Error::io(&path, e))?;
        out.push((path, recs.len(), blanks));
    }
    Ok(out)
}

fn csv_text(source: usize, rows: &[(Vec<Out>, bool)]) -> Result<String> {
    let mut w = csv::WriterBuilder::new().flexible(true).from_writer(vec![]);
    let err = |e: csv::Error| Error::Output(format!("writing csv: {e}"));
    w.write_record(headers(source)).map_err(err)?;
    let empty = vec![""; headers(source).len()];
    for (cells, blank) in rows {
        w.write_record(cells.iter().map(text_of)).map_err(err)?;
        if *blank {
            w.write_record(&empty).map_err(err)?;
        }
    }
    let bytes = w.into_inner().map_err(|e| Error::Output(format!("writing csv: {e}")))?;
    Ok(String::from_utf8(bytes).expect("csv of strings is UTF-8"))
}

fn jsonl(source: usize, rows: &[(Vec<Out>, bool)]) -> String {
    let mut out = String::new();
    for (cells, blank) in rows {
        let mut obj = serde_json::Map::new();
        for (h, c) in headers(source).iter().zip(cells) {
            let v = match c {
                Out::E => serde_json::Value::Null,
                Out::I(i) => (*i).into(),
                other => text_of(other).into(),
            };
            obj.insert((*h).to_string(), v);
        }
        out.push_str(&serde_json::Value::Object(obj).to_string());
        out.push('\n');
        if *blank {
            out.push('\n');
        }
    }
    out
}

fn write_xlsx(path: &Path, source: usize, rows: &[(Vec<Out>, bool)]) -> Result<()> {
    let x = |e: rust_xlsxwriter::XlsxError| Error::Xlsx(format!("{}: {e}", path.display()));
    let mut wb = Workbook::new();
    // a fixed creation time: the same seed gives the same bytes
    let created = rust_xlsxwriter::ExcelDateTime::from_ymd(2026, 1, 1).map_err(x)?;
    wb.set_properties(&rust_xlsxwriter::DocProperties::new().set_creation_datetime(&created));
    let ws = wb.add_worksheet();
    ws.set_name(["信访事项", "工单", "留言", "舆情"][source]).map_err(x)?;
    let date_fmt = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    let bold = Format::new().set_bold();
    let h = headers(source);
    // a merged title row above the header, as registers printed from the system have
    let title = format!("{COUNTY}{}台账", ["信访事项登记", "12345工单", "网民留言", "网络舆情监测"][source]);
    ws.merge_range(0, 0, 0, (h.len() - 1) as u16, &title, &bold).map_err(x)?;
    for (c, name) in h.iter().enumerate() {
        ws.write_string_with_format(1, c as u16, *name, &bold).map_err(x)?;
    }
    let mut r = 2u32;
    for (cells, blank) in rows {
        for (c, cell) in cells.iter().enumerate() {
            let c = c as u16;
            match cell {
                Out::E => {}
                Out::I(i) => {
                    ws.write_number(r, c, *i as f64).map_err(x)?;
                }
                // most dates are real date cells; some were typed as text
                Out::T(t, f) if *f <= 6 => {
                    ws.write_number_with_format(r, c, to_excel_serial(*t), &date_fmt).map_err(x)?;
                }
                other => {
                    ws.write_string(r, c, text_of(other)).map_err(x)?;
                }
            }
        }
        r += 1 + u32::from(*blank);
    }
    wb.save(path).map_err(x)?;
    Ok(())
}

/// labelled.csv: text with its focus topic, for `minqing train` and `eval classify`
/// (defective and duplicate rows left out).
pub fn write_labelled(path: &Path, recs: &[Vec<Rec>]) -> Result<()> {
    let mut w = csv::Writer::from_writer(vec![]);
    let err = |e: csv::Error| Error::Output(format!("writing labelled: {e}"));
    w.write_record(["source", "case_id", "title", "content", "focus_topic", "sub_topic"]).map_err(err)?;
    for r in recs.iter().flatten().filter(|r| r.defect.is_none()) {
        let content = crate::normalize::mask_identifiers(&crate::normalize::clean_text(&r.content)).into_owned();
        w.write_record([SOURCES[r.source].0, &r.case_id, &r.title, &content, r.topic.focus, r.topic.sub])
            .map_err(err)?;
    }
    let bytes = w.into_inner().map_err(|e| Error::Output(format!("writing labelled: {e}")))?;
    crate::warehouse::atomic_write(path, &bytes)
}

/// truth.csv: what each generated row really is.
pub fn write_truth(path: &Path, recs: &[Vec<Rec>]) -> Result<()> {
    let mut w = csv::Writer::from_writer(vec![]);
    let err = |e: csv::Error| Error::Output(format!("writing truth: {e}"));
    w.write_record([
        "source",
        "case_id",
        "focus_topic",
        "sub_topic",
        "incident_id",
        "entity",
        "escalated_30d",
        "defect",
    ])
    .map_err(err)?;
    for r in recs.iter().flatten() {
        w.write_record([
            SOURCES[r.source].0,
            &r.case_id,
            r.topic.focus,
            r.topic.sub,
            &r.incident.map(|k| format!("INC{:03}", k + 1)).unwrap_or_default(),
            &r.entity,
            if r.escalated_30d { "1" } else { "0" },
            r.defect.unwrap_or(""),
        ])
        .map_err(err)?;
    }
    let bytes = w.into_inner().map_err(|e| Error::Output(format!("writing truth: {e}")))?;
    crate::warehouse::atomic_write(path, &bytes)
}
