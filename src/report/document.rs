//! A briefing as a document: blocks in reading order, built once from the figures and
//! rendered three ways (Markdown here, HTML in `html`, DOCX in `docx`). No renderer reads
//! another's output.

use std::path::PathBuf;

/// One block of a document.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// The document's title (红头).
    Title(String),
    /// A section heading (一、总体情况).
    Heading(String),
    Paragraph(String),
    /// A table: a header row and body rows of as many cells.
    Table {
        header: Vec<String>,
        rows: Vec<Vec<String>>,
    },
    Bullets(Vec<String>),
    Numbered(Vec<String>),
    /// A chart: its name and its PNG, relative to the report folder (`charts/trend.png`).
    Figure {
        name: String,
        path: PathBuf,
    },
}

/// A document: blocks in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Document {
    pub blocks: Vec<Block>,
}

impl Document {
    pub fn push(&mut self, b: Block) {
        self.blocks.push(b);
    }

    pub fn title(&mut self, t: impl Into<String>) {
        self.push(Block::Title(t.into()));
    }

    pub fn heading(&mut self, t: impl Into<String>) {
        self.push(Block::Heading(t.into()));
    }

    pub fn paragraph(&mut self, t: impl Into<String>) {
        self.push(Block::Paragraph(t.into()));
    }

    pub fn table(&mut self, header: &[&str], rows: Vec<Vec<String>>) {
        self.push(Block::Table { header: header.iter().map(|h| h.to_string()).collect(), rows });
    }

    /// The title: the first [`Block::Title`], or nothing.
    pub fn title_text(&self) -> &str {
        self.blocks.iter().find_map(|b| if let Block::Title(t) = b { Some(t.as_str()) } else { None }).unwrap_or("")
    }

    /// The document as Markdown: blocks separated by one blank line.
    pub fn to_markdown(&self) -> String {
        let parts: Vec<String> = self.blocks.iter().map(markdown_block).collect();
        parts.join("\n")
    }
}

fn row(cells: &[String]) -> String {
    format!("| {} |\n", cells.join(" | "))
}

/// One block's lines, each ending with a newline.
fn markdown_block(b: &Block) -> String {
    match b {
        Block::Title(t) => format!("# {t}\n"),
        Block::Heading(t) => format!("## {t}\n"),
        Block::Paragraph(t) => format!("{t}\n"),
        Block::Table { header, rows } => {
            let mut s = row(header);
            s += &format!("|{}\n", "---|".repeat(header.len()));
            for r in rows {
                s += &row(r);
            }
            s
        }
        Block::Bullets(items) => items.iter().map(|i| format!("- {i}\n")).collect(),
        Block::Numbered(items) => items.iter().enumerate().map(|(k, i)| format!("{}. {i}\n", k + 1)).collect(),
        Block::Figure { name, path } => format!("![{name}]({})\n", path.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_of_every_block() {
        let mut d = Document::default();
        d.title("标题");
        d.heading("一、总体情况");
        d.paragraph("段落。");
        d.table(&["a", "b"], vec![vec!["1".into(), "2".into()]]);
        d.push(Block::Bullets(vec!["甲".into()]));
        d.push(Block::Figure { name: "trend".into(), path: "charts/trend.png".into() });
        d.push(Block::Numbered(vec!["一".into(), "二".into()]));
        assert_eq!(
            d.to_markdown(),
            "# 标题\n\n## 一、总体情况\n\n段落。\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n- 甲\n\n\
             ![trend](charts/trend.png)\n\n1. 一\n2. 二\n"
        );
        assert_eq!(d.title_text(), "标题");
    }
}
