//! `briefing.docx` and the draft letters (三函: 督办函 for overdue cases per department,
//! 风险提醒函 for each red cluster), in the house style of official documents (GB/T 9704):
//! A4, margins 37/35/28/26 mm, title in 小标宋/黑体 22 pt, headings 黑体 16 pt, body
//! 仿宋 16 pt with a two-character first-line indent; charts as pictures. Letters are
//! drafts for a person to edit, sign and seal.

use std::path::Path;

use docx_rs::{
    AlignmentType, Docx, PageMargin, Paragraph, Pic, Run, RunFonts, SpecialIndentType, Table, TableCell, TableRow,
};

use super::document::{Block, Document};
use crate::warehouse::atomic_write;
use crate::{Error, Result};

const BODY: &str = "仿宋_GB2312";
const BODY_FALLBACK: &str = "仿宋";
const HEADING: &str = "黑体";
const TITLE: &str = "方正小标宋简体";
/// Chart width on the page: 15.5 cm in EMU.
const PIC_WIDTH_EMU: u32 = 5_580_000;

fn fonts(name: &str) -> RunFonts {
    RunFonts::new().east_asia(name).ascii(if name == BODY { BODY_FALLBACK } else { name }).hi_ansi("Times New Roman")
}

fn run(text: &str, font: &str, half_points: usize) -> Run {
    Run::new().add_text(text).fonts(fonts(font)).size(half_points)
}

fn title(text: &str) -> Paragraph {
    Paragraph::new().add_run(run(text, TITLE, 44).color("C00000")).align(AlignmentType::Center)
}

fn heading(text: &str) -> Paragraph {
    Paragraph::new().add_run(run(text, HEADING, 32))
}

fn body(text: &str) -> Paragraph {
    Paragraph::new().add_run(run(text, BODY, 32)).indent(None, Some(SpecialIndentType::FirstLine(640)), None, None)
}

fn plain(text: &str, align: AlignmentType) -> Paragraph {
    Paragraph::new().add_run(run(text, BODY, 32)).align(align)
}

fn table(rows: &[Vec<String>]) -> Table {
    Table::new(
        rows.iter()
            .enumerate()
            .map(|(i, r)| {
                TableRow::new(
                    r.iter()
                        .map(|c| {
                            let mut cell_run = run(c, if i == 0 { HEADING } else { BODY }, 21);
                            if i == 0 {
                                cell_run = cell_run.bold();
                            }
                            TableCell::new().add_paragraph(Paragraph::new().add_run(cell_run))
                        })
                        .collect(),
                )
            })
            .collect(),
    )
}

fn a4() -> Docx {
    // twips: 1 mm = 56.7
    Docx::new().page_size(11906, 16838).page_margin(PageMargin::new().top(2098).bottom(1984).left(1588).right(1474))
}

fn save(doc: Docx, path: &Path) -> Result<()> {
    let mut buf = std::io::Cursor::new(Vec::new());
    doc.pack(&mut buf).map_err(|e| Error::Output(format!("writing {}: {e}", path.display())))?;
    atomic_write(path, &buf.into_inner())
}

/// The briefing document as a DOCX; figures are read from `dir`.
pub fn briefing(d: &Document, dir: &Path, path: &Path) -> Result<()> {
    let mut doc = a4();
    for b in &d.blocks {
        doc = match b {
            Block::Title(t) => doc.add_paragraph(title(t)),
            Block::Heading(h) => doc.add_paragraph(heading(h)),
            Block::Paragraph(t) => doc.add_paragraph(body(t)),
            Block::Table { header, rows } => {
                let all: Vec<Vec<String>> = std::iter::once(header.clone()).chain(rows.iter().cloned()).collect();
                doc.add_table(table(&all))
            }
            Block::Bullets(items) => items.iter().fold(doc, |doc, i| doc.add_paragraph(body(&format!("· {i}")))),
            Block::Numbered(items) => {
                items.iter().enumerate().fold(doc, |doc, (k, i)| doc.add_paragraph(body(&format!("{}. {i}", k + 1))))
            }
            Block::Figure { path, .. } => {
                let p = dir.join(path);
                let bytes = std::fs::read(&p).map_err(|e| Error::io(&p, e))?;
                let (w, h) = super::charts::SIZE;
                let pic = Pic::new_with_dimensions(bytes, w, h).size(PIC_WIDTH_EMU, PIC_WIDTH_EMU / w * h);
                doc.add_paragraph(Paragraph::new().add_run(Run::new().add_image(pic)).align(AlignmentType::Center))
            }
        };
    }
    save(doc, path)
}

/// One overdue case for a 督办函.
#[derive(Debug, Clone)]
pub struct Overdue {
    pub case_id: String,
    pub received: String,
    pub due: String,
    pub days_over: i64,
    pub stage: String,
}

/// 督办函 to one department about its overdue cases.
pub fn supervision_letter(issuer: &str, dept: &str, cases: &[Overdue], as_of: &str, path: &Path) -> Result<()> {
    let mut rows = vec![vec![
        "序号".into(),
        "案件编号".into(),
        "登记时间".into(),
        "办理期限".into(),
        "超期天数".into(),
        "环节".into(),
    ]];
    for (i, c) in cases.iter().enumerate() {
        rows.push(vec![
            (i + 1).to_string(),
            c.case_id.clone(),
            c.received.clone(),
            c.due.clone(),
            c.days_over.to_string(),
            c.stage.clone(),
        ]);
    }
    let doc = a4()
        .add_paragraph(title("信访事项督办函"))
        .add_paragraph(plain("（草稿，请核实后签发）", AlignmentType::Center))
        .add_paragraph(plain(&format!("{dept}："), AlignmentType::Left))
        .add_paragraph(body(&format!(
            "经系统核查，截至{as_of}，你单位承办的下列{}件信访事项已超过办理期限，最长超期{}天。根据《信访工作条例》有关规定，请你单位高度重视，于收到本函之日起5个工作日内办结，并将办理情况书面报送我单位。确有特殊情况需要延期的，请按规定程序办理延期手续。",
            cases.len(),
            cases.iter().map(|c| c.days_over).max().unwrap_or(0)
        )))
        .add_table(table(&rows))
        .add_paragraph(plain("", AlignmentType::Left))
        .add_paragraph(plain(issuer, AlignmentType::Right))
        .add_paragraph(plain(&format!("{as_of}（盖章）"), AlignmentType::Right));
    save(doc, path)
}

/// 风险提醒函 about one red cluster, to its lead department and localities.
#[allow(clippy::too_many_arguments)]
pub fn risk_letter(
    issuer: &str,
    to: &str,
    title_text: &str,
    cases: i64,
    people: i64,
    regions: &str,
    reasons: &[String],
    as_of: &str,
    path: &Path,
) -> Result<()> {
    let mut doc = a4()
        .add_paragraph(title("信访稳定风险提醒函"))
        .add_paragraph(plain("（草稿，请核实后签发）", AlignmentType::Center))
        .add_paragraph(plain(&format!("{to}："), AlignmentType::Left))
        .add_paragraph(body(&format!(
            "经综合研判，{title_text}目前已累计信访{cases}件、涉及群众{people}人次，属地分布为{regions}，稳定风险等级为红色。主要风险点如下："
        )));
    for (i, r) in reasons.iter().enumerate() {
        doc = doc.add_paragraph(body(&format!("{}. {r}", i + 1)));
    }
    doc = doc
        .add_paragraph(body("请你单位会同相关属地落实包案责任，开展类案批量化解，做好矛盾化解和稳控工作，防止问题升级或越级进京，并于5个工作日内报送工作进展。"))
        .add_paragraph(plain("", AlignmentType::Left))
        .add_paragraph(plain(issuer, AlignmentType::Right))
        .add_paragraph(plain(&format!("{as_of}（盖章）"), AlignmentType::Right));
    save(doc, path)
}
