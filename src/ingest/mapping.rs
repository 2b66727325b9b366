//! Header mappings: which export headers feed which canonical column.
//!
//! A mapping is a TOML file (`pipelines/mappings/<source>.toml`): `source`, a `[columns]`
//! table of canonical column → header aliases, and optional `[defaults]` of constant
//! values (e.g. `channel = "12345"`). The four built-in mappings are compiled in; a
//! `--mapping FILE` replaces the built-in one for its source.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::model::Source;
use crate::{Error, Result};

/// Sources minqing knows.

/// Canonical fields a mapping may fill: the `cases` columns that come from the export,
/// the personal fields that go to `persons`, and `region` (属地 as one text, split into
/// county and town).
pub const FIELDS: &[&str] = &[
    "case_id",
    "received_at",
    "channel",
    "purpose",
    "name",
    "id_number",
    "phone",
    "address",
    "headcount",
    "region",
    "region_county",
    "region_town",
    "title",
    "content",
    "category_given",
    "cross_level",
    "to_beijing",
    "to_province",
    "collective",
    "repeat_flag",
    "joint",
    "threat_flag",
    "reg_level",
    "dept",
    "accepted_at",
    "due_at",
    "closed_at",
    "replied_at",
    "satisfaction",
    "reply",
    "owner",
    "likes",
    "dislikes",
    "shares",
    "comments",
    "platform",
];

const BUILTIN: &[(&str, &str)] = &[
    ("petition", include_str!("../../pipelines/mappings/petition.toml")),
    ("hotline", include_str!("../../pipelines/mappings/hotline.toml")),
    ("message", include_str!("../../pipelines/mappings/message.toml")),
    ("opinion", include_str!("../../pipelines/mappings/opinion.toml")),
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MappingFile {
    /// One of petition, hotline, message, opinion.
    source: String,
    /// Canonical column → accepted header names.
    columns: BTreeMap<String, Vec<String>>,
    /// Canonical column → constant value used when the export has no such column.
    #[serde(default)]
    defaults: BTreeMap<String, String>,
}

/// A validated mapping.
#[derive(Debug, Clone)]
pub struct Mapping {
    pub source: String,
    /// (canonical field, normalized aliases), in `FIELDS` order.
    pub columns: Vec<(&'static str, Vec<String>)>,
    pub defaults: BTreeMap<String, String>,
}

impl Mapping {
    /// The built-in mapping of a source.
    pub fn builtin(source: &str) -> Result<Mapping> {
        let (_, text) = BUILTIN
            .iter()
            .find(|(s, _)| *s == source)
            .ok_or_else(|| Error::Usage(format!("unknown source `{source}`; known sources: {}", Source::names())))?;
        Mapping::parse(text, Path::new(&format!("<built-in {source}.toml>")))
    }

    /// Every built-in mapping.
    pub fn builtins() -> Vec<Mapping> {
        Source::ALL.iter().map(|s| Mapping::builtin(s.as_str()).expect("built-in mappings are valid")).collect()
    }

    pub fn load(path: &Path) -> Result<Mapping> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::input(path, e.to_string()))?;
        Mapping::parse(&text, path)
    }

    /// Parse and validate, listing every problem at once.
    pub fn parse(text: &str, path: &Path) -> Result<Mapping> {
        let file: MappingFile = toml::from_str(text)
            .map_err(|e| Error::Config { path: path.to_path_buf(), problems: vec![e.to_string()] })?;
        let mut problems = vec![];
        if Source::parse(&file.source).is_none() {
            problems.push(format!("source = \"{}\" is not one of {}", file.source, Source::names()));
        }
        for key in file.columns.keys().chain(file.defaults.keys()) {
            if !FIELDS.contains(&key.as_str()) {
                problems.push(format!("`{key}` is not a canonical column; valid: {}", FIELDS.join(", ")));
            }
        }
        for (key, aliases) in &file.columns {
            if aliases.iter().all(|a| normalize_header(a).is_empty()) {
                problems.push(format!("columns.{key} lists no header name"));
            }
        }
        let has = |k: &str| file.columns.contains_key(k) || file.defaults.contains_key(k);
        if !has("received_at") {
            problems.push("columns.received_at is required: every case needs a time".into());
        }
        if !has("content") && !has("title") {
            problems.push("columns.content (or columns.title) is required: every case needs text".into());
        }
        if !problems.is_empty() {
            return Err(Error::Config { path: path.to_path_buf(), problems });
        }
        let columns = FIELDS
            .iter()
            .filter_map(|f| file.columns.get(*f).map(|a| (*f, a.iter().map(|x| normalize_header(x)).collect())))
            .collect();
        Ok(Mapping { source: file.source, columns, defaults: file.defaults })
    }

    /// Match a header row: canonical field → column index. A header matches the first
    /// field that lists it; each field takes the first column that matches.
    pub fn match_headers(&self, headers: &[String]) -> BTreeMap<&'static str, usize> {
        let norm: Vec<String> = headers.iter().map(|h| normalize_header(h)).collect();
        let mut out = BTreeMap::new();
        let mut used = vec![false; norm.len()];
        for (field, aliases) in &self.columns {
            // aliases in their listed order of preference
            'alias: for a in aliases {
                for (i, h) in norm.iter().enumerate() {
                    if !used[i] && h == a {
                        out.insert(*field, i);
                        used[i] = true;
                        break 'alias;
                    }
                }
            }
        }
        out
    }
}

/// Fold a header for matching: no white space, no `*` marks, no bracketed notes
/// (`登记时间(必填)`), half-width, lower-case Latin.
pub fn normalize_header(h: &str) -> String {
    let cleaned = crate::normalize::clean_text(h);
    let mut out = String::new();
    let mut depth = 0;
    for c in cleaned.chars() {
        match c {
            '(' | '（' | '[' | '【' => depth += 1,
            ')' | '）' | ']' | '】' => depth = (depth - 1).max(0),
            '*' | '＊' | ' ' | ':' | '：' => {}
            c if depth == 0 => out.extend(c.to_lowercase()),
            _ => {}
        }
    }
    // a header that is only a bracketed note keeps its text
    if out.is_empty() { cleaned.replace(' ', "") } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_parse() {
        for m in Mapping::builtins() {
            assert!(m.columns.iter().any(|(f, _)| *f == "received_at"), "{}", m.source);
        }
    }

    #[test]
    fn every_problem_listed() {
        let err = Mapping::parse("source = \"fax\"\n[columns]\ncase = [\"编号\"]\ntitle = []\n", Path::new("m.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("\"fax\" is not one of"), "{err}");
        assert!(err.contains("`case` is not a canonical column"), "{err}");
        assert!(err.contains("columns.title lists no header name"), "{err}");
        assert!(err.contains("received_at is required"), "{err}");
    }

    #[test]
    fn headers_match_after_folding() {
        let m = Mapping::builtin("petition").unwrap();
        let headers: Vec<String> = ["*信访件编号", "登记时间（必填）", " 主要诉求 ", "问题属地", "备注"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let got = m.match_headers(&headers);
        assert_eq!(got.get("case_id"), Some(&0));
        assert_eq!(got.get("received_at"), Some(&1));
        assert_eq!(got.get("content"), Some(&2));
        assert_eq!(got.get("region"), Some(&3));
        assert_eq!(got.len(), 4);
    }
}
