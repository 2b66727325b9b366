//! `briefing.html`: the document in the house style of official documents (黑体 headings,
//! 仿宋 body), one self-contained file with the charts inlined as PNG data. The page is a
//! template (`templates/briefing.html`, escaped as HTML) filled from the document's blocks.

use std::path::Path;

use base64::Engine;
use minijinja::{Environment, Value, context};
use serde::Serialize;

use super::document::{Block, Document};
use crate::{Error, Result};

const TEMPLATE: &str = include_str!("templates/briefing.html");

const STYLE: &str = "body{max-width:210mm;margin:0 auto;padding:20mm 18mm;font-family:FangSong,'FangSong_GB2312',STFangsong,'WenQuanYi Micro Hei','Noto Sans CJK SC',serif;font-size:16pt;line-height:1.75;color:#000;background:#fff}\
h1{font-family:'SimHei','Heiti SC','WenQuanYi Micro Hei','Noto Sans CJK SC',sans-serif;font-size:22pt;text-align:center;color:#c00000;border-bottom:2px solid #c00000;padding-bottom:8pt}\
h2{font-family:'SimHei','Heiti SC','WenQuanYi Micro Hei','Noto Sans CJK SC',sans-serif;font-size:16pt;margin:18pt 0 6pt}\
p{text-indent:2em;margin:6pt 0}table{border-collapse:collapse;width:100%;font-size:11pt;margin:8pt 0}\
th,td{border:1px solid #555;padding:3pt 5pt;text-align:left}th{background:#ddebf7}img{width:100%;margin:6pt 0}li{margin:3pt 0}";

/// One block as the template reads it.
#[derive(Serialize, Clone)]
struct Item<'a> {
    kind: &'static str,
    text: &'a str,
    header: &'a [String],
    rows: &'a [Vec<String>],
    items: &'a [String],
    name: &'a str,
    /// A figure's PNG as a `data:` URL (marked safe: base64 needs no escaping).
    src: Value,
}

fn render_error(e: minijinja::Error) -> Error {
    Error::Output(format!("briefing.html: {e:#}"))
}

/// The document as one self-contained HTML page; figures are read from `dir`.
pub fn to_html(doc: &Document, dir: &Path) -> Result<String> {
    let empty = Item { kind: "", text: "", header: &[], rows: &[], items: &[], name: "", src: Value::UNDEFINED };
    let mut items = vec![];
    for b in &doc.blocks {
        items.push(match b {
            Block::Title(t) => Item { kind: "title", text: t, ..empty.clone() },
            Block::Heading(t) => Item { kind: "heading", text: t, ..empty.clone() },
            Block::Paragraph(t) => Item { kind: "paragraph", text: t, ..empty.clone() },
            Block::Table { header, rows } => Item { kind: "table", header, rows, ..empty.clone() },
            Block::Bullets(items) => Item { kind: "bullets", items, ..empty.clone() },
            Block::Numbered(items) => Item { kind: "numbered", items, ..empty.clone() },
            Block::Figure { name, path } => {
                let p = dir.join(path);
                let bytes = std::fs::read(&p).map_err(|e| Error::io(&p, e))?;
                let data = base64::engine::general_purpose::STANDARD.encode(bytes);
                let src = Value::from_safe_string(format!("data:image/png;base64,{data}"));
                Item { kind: "figure", name, src, ..empty.clone() }
            }
        });
    }
    let mut env = Environment::new();
    env.add_template("briefing.html", TEMPLATE).map_err(render_error)?;
    let page = env
        .get_template("briefing.html")
        .and_then(|t| {
            t.render(
                context! { title => doc.title_text(), style => Value::from_safe_string(STYLE.into()), blocks => items },
            )
        })
        .map_err(render_error)?;
    Ok(page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_block_becomes_escaped_html() {
        let mut d = Document::default();
        d.title("标题");
        d.paragraph("段落<b>");
        d.table(&["a", "b"], vec![vec!["1".into(), "<2>".into()]]);
        d.push(Block::Numbered(vec!["一".into(), "二".into()]));
        d.push(Block::Bullets(vec!["甲".into()]));
        let html = to_html(&d, Path::new(".")).unwrap();
        assert!(html.contains("<title>标题</title>"), "{html}");
        assert!(html.contains("<h1>标题</h1>"));
        assert!(html.contains("<p>段落&lt;b&gt;</p>"));
        assert!(html.contains("<tr><th>a</th><th>b</th></tr>\n<tr><td>1</td><td>&lt;2&gt;</td></tr>"), "{html}");
        assert!(html.contains("<ol>\n<li>一</li>\n<li>二</li>\n</ol>\n<ul>\n<li>甲</li>\n</ul>"), "{html}");
        assert!(html.contains("th,td{border:1px solid #555"), "the style is not escaped");
    }

    #[test]
    fn a_figure_is_inlined_and_a_missing_one_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("charts")).unwrap();
        std::fs::write(dir.path().join("charts/trend.png"), b"\x89PNG").unwrap();
        let mut d = Document::default();
        d.push(Block::Figure { name: "trend".into(), path: "charts/trend.png".into() });
        let html = to_html(&d, dir.path()).unwrap();
        assert!(html.contains("<img alt=\"trend\" src=\"data:image/png;base64,iVBORw==\">"), "{html}");
        d.push(Block::Figure { name: "rates".into(), path: "charts/rates.png".into() });
        assert!(to_html(&d, dir.path()).unwrap_err().to_string().contains("rates.png"));
    }
}
