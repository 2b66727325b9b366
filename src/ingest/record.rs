//! One row of an export → a case (and its person), or a reject with a reason.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use chrono::NaiveDateTime;
use regex::Regex;

use super::mapping::Mapping;
use super::sheet::Cell;
use crate::normalize::time::{from_excel_serial, parse_common};
use crate::normalize::{
    PersonKey, clean_field, clean_text, headcount_from_text, mask_identifiers, mask_name, parse_timestamp,
};

/// A row of `cases` before it becomes Arrow.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CaseRow {
    pub case_id: String,
    pub source: String,
    pub channel: Option<String>,
    pub received_at: NaiveDateTime,
    pub title: Option<String>,
    pub content: String,
    pub person_key: Option<String>,
    pub headcount: Option<i32>,
    pub region_county: Option<String>,
    pub region_town: Option<String>,
    pub category_given: Option<String>,
    pub purpose: Option<String>,
    /// cross_level, to_beijing, to_province, collective, repeat_flag, joint, threat_flag
    pub flags: [Option<bool>; 7],
    pub reg_level: Option<String>,
    pub dept: Option<String>,
    pub accepted_at: Option<NaiveDateTime>,
    pub due_at: Option<NaiveDateTime>,
    pub closed_at: Option<NaiveDateTime>,
    pub replied_at: Option<NaiveDateTime>,
    pub satisfaction: Option<String>,
    pub reply: Option<String>,
    /// 包案领导 or 包案单位: who answers for a long-running case.
    pub owner: Option<String>,
    pub likes: Option<i64>,
    pub dislikes: Option<i64>,
    pub shares: Option<i64>,
    pub comments: Option<i64>,
    pub platform: Option<String>,
    pub ingest_file: String,
    pub ingest_row: i64,
}

/// The mapped flag fields, in `CaseRow::flags` order.
pub const FLAG_FIELDS: [&str; 7] =
    ["cross_level", "to_beijing", "to_province", "collective", "repeat_flag", "joint", "threat_flag"];

/// A row of `persons`.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonRow {
    pub person_key: String,
    pub source: String,
    pub case_id: String,
    pub name: Option<String>,
    pub id_number: Option<String>,
    pub phone: Option<String>,
    /// Where the person lives, as the export gives it.
    pub address: Option<String>,
}

/// A row of `rejects`.
#[derive(Debug, Clone, PartialEq)]
pub struct RejectRow {
    pub source: String,
    pub file: String,
    pub file_hash: String,
    pub row: i64,
    pub case_id: Option<String>,
    pub reason: String,
    pub detail: String,
    pub raw: String,
}

/// Turns rows of one sheet into cases, given its header → field matching.
pub struct RowParser<'a> {
    pub mapping: &'a Mapping,
    pub headers: &'a [String],
    pub cols: &'a BTreeMap<&'static str, usize>,
    pub key: &'a PersonKey,
    pub file: &'a str,
    pub file_hash: &'a str,
}

/// Why a row is rejected: a short reason (grouped in summaries) and the detail.
struct Bad(String, String);

const PII_FIELDS: [&str; 3] = ["name", "id_number", "phone"];

impl RowParser<'_> {
    pub fn parse(&self, row: u64, cells: &[Cell]) -> Result<(CaseRow, Option<PersonRow>), RejectRow> {
        self.parse_inner(row, cells).map_err(|Bad(reason, detail)| RejectRow {
            source: self.mapping.source.clone(),
            file: self.file.to_string(),
            file_hash: self.file_hash.to_string(),
            row: row as i64,
            case_id: self.text(cells, "case_id"),
            reason,
            detail,
            raw: self.raw(cells),
        })
    }

    fn parse_inner(&self, row: u64, cells: &[Cell]) -> Result<(CaseRow, Option<PersonRow>), Bad> {
        let width = self.headers.len();
        if cells.len() > width && cells[width..].iter().any(|c| !c.is_empty()) {
            return Err(Bad(
                "extra fields".into(),
                format!("row has {} fields but the header has {width}: a stray delimiter or quote?", cells.len()),
            ));
        }
        let received_at = self
            .time(cells, "received_at")?
            .ok_or_else(|| Bad("missing received_at".into(), format!("{} is empty", self.header_of("received_at"))))?;
        let name = self.text(cells, "name");
        let mask = |t: String| mask_name(&mask_identifiers(&t), name.as_deref()).into_owned();
        let mut title = self.text(cells, "title").map(mask);
        let content = self.text(cells, "content").map(mask);
        let content = match (content, &title) {
            (Some(c), _) => c,
            (None, Some(t)) => t.clone(),
            (None, None) => {
                return Err(Bad("empty text".into(), "both title and content are empty".into()));
            }
        };
        if title.as_deref() == Some(content.as_str()) && !self.cols.contains_key("content") {
            title = None;
        }
        let id_number = self.text(cells, "id_number");
        let phone = self.text(cells, "phone");
        let address = self.text(cells, "address");
        let (region_county, region_town) = self.region(cells);
        let person_key =
            self.key.person_key(id_number.as_deref(), phone.as_deref(), name.as_deref(), region_county.as_deref());
        let case_id = match self.text(cells, "case_id") {
            Some(id) => id,
            None if self.cols.contains_key("case_id") => {
                return Err(Bad("missing case_id".into(), format!("{} is empty", self.header_of("case_id"))));
            }
            // no id column in this export: a stable id from what identifies the post
            None => {
                let mut h = blake3::Hasher::new();
                for part in [
                    self.mapping.source.as_str(),
                    &received_at.to_string(),
                    self.text(cells, "platform").as_deref().unwrap_or(""),
                    name.as_deref().unwrap_or(""),
                    title.as_deref().unwrap_or(""),
                    &content,
                ] {
                    h.update(part.as_bytes());
                    h.update(b"\x1f");
                }
                format!("H{}", &h.finalize().to_hex()[..15])
            }
        };
        let headcount = match self.int(cells, "headcount")? {
            Some(n) if n > 100_000 => {
                return Err(Bad(
                    "bad headcount".into(),
                    format!("{} = {n} is not a plausible head count", self.header_of("headcount")),
                ));
            }
            Some(n) => Some(n as i32),
            // only exports that have 信访人数 count visitors; a hotline caller who mentions
            // "上百户业主" is still one caller
            None if self.cols.contains_key("headcount") => {
                headcount_from_text(&format!("{} {}", title.as_deref().unwrap_or(""), content))
            }
            None => None,
        };
        let mut flags = [None; 7];
        for (slot, field) in flags.iter_mut().zip(FLAG_FIELDS) {
            *slot = self.flag(cells, field)?;
        }
        let case = CaseRow {
            source: self.mapping.source.clone(),
            channel: self.text(cells, "channel"),
            received_at,
            title,
            content,
            person_key: person_key.clone(),
            headcount,
            region_county,
            region_town,
            category_given: self.text(cells, "category_given"),
            purpose: self.text(cells, "purpose"),
            flags,
            reg_level: self.text(cells, "reg_level"),
            dept: self.text(cells, "dept"),
            accepted_at: self.time(cells, "accepted_at")?,
            due_at: self.time(cells, "due_at")?,
            closed_at: self.time(cells, "closed_at")?,
            replied_at: self.time(cells, "replied_at")?,
            satisfaction: self.text(cells, "satisfaction"),
            reply: self.text(cells, "reply").map(mask),
            owner: self.text(cells, "owner"),
            likes: self.int(cells, "likes")?,
            dislikes: self.int(cells, "dislikes")?,
            shares: self.int(cells, "shares")?,
            comments: self.int(cells, "comments")?,
            platform: self.text(cells, "platform"),
            ingest_file: self.file.to_string(),
            ingest_row: row as i64,
            case_id,
        };
        let person = person_key.map(|k| PersonRow {
            person_key: k,
            source: case.source.clone(),
            case_id: case.case_id.clone(),
            name,
            id_number,
            phone,
            address,
        });
        Ok((case, person))
    }

    fn cell<'c>(&self, cells: &'c [Cell], field: &str) -> Option<&'c Cell> {
        self.cols.get(field).and_then(|&i| cells.get(i)).filter(|c| !c.is_empty())
    }

    fn header_of(&self, field: &str) -> String {
        self.cols.get(field).and_then(|&i| self.headers.get(i)).map_or(field.to_string(), |h| format!("`{h}`"))
    }

    /// Cleaned text of a field, or its default.
    fn text(&self, cells: &[Cell], field: &str) -> Option<String> {
        match self.cell(cells, field) {
            Some(c) => clean_field(&c.to_text()),
            None => self.mapping.defaults.get(field).cloned(),
        }
    }

    fn time(&self, cells: &[Cell], field: &str) -> Result<Option<NaiveDateTime>, Bad> {
        let bad = |e: String| Bad(format!("bad {field}"), format!("{}: {e}", self.header_of(field)));
        match self.cell(cells, field) {
            None => Ok(None),
            Some(Cell::DateTime(t)) => Ok(Some(*t)),
            Some(Cell::Number(f)) => from_excel_serial(*f).map(Some).map_err(|e| bad(e.0)),
            Some(Cell::Int(i)) => from_excel_serial(*i as f64).map(Some).map_err(|e| bad(e.0)),
            // the usual form is read as it stands (cleaning would not change it)
            Some(c) => match c {
                Cell::Text(t) => parse_common(t),
                _ => None,
            }
            .unwrap_or_else(|| parse_timestamp(&clean_text(&c.to_text())))
            .map(Some)
            .map_err(|e| bad(e.0)),
        }
    }

    /// Counts: `38`, `38人`, `1.2万`, `3k`; negative or non-numeric values are errors.
    fn int(&self, cells: &[Cell], field: &str) -> Result<Option<i64>, Bad> {
        let bad = |v: String| Bad(format!("bad {field}"), format!("{} = `{v}` is not a count", self.header_of(field)));
        let Some(c) = self.cell(cells, field) else {
            return Ok(None);
        };
        let value = match c {
            Cell::Int(i) => *i as f64,
            Cell::Number(f) => *f,
            other => {
                let t = clean_text(&other.to_text()).replace([',', ' '], "");
                static NUM: LazyLock<Regex> = LazyLock::new(|| {
                    Regex::new(r"^(-?\d+(?:\.\d+)?)\s*(万|w|W|千|k|K)?\s*(?:人|名|户|位|次|条)?\+?$")
                        .expect("static regex")
                });
                let caps = NUM.captures(&t).ok_or_else(|| bad(t.clone()))?;
                let base: f64 = caps[1].parse().map_err(|_| bad(t.clone()))?;
                base * match caps.get(2).map(|m| m.as_str()) {
                    Some("万" | "w" | "W") => 10_000.0,
                    Some("千" | "k" | "K") => 1_000.0,
                    _ => 1.0,
                }
            }
        };
        if !value.is_finite() || value < 0.0 || value > 1e12 {
            return Err(Bad(
                format!("bad {field}"),
                format!("{} = {value} is negative or out of range", self.header_of(field)),
            ));
        }
        Ok(Some(value.round() as i64))
    }

    fn flag(&self, cells: &[Cell], field: &str) -> Result<Option<bool>, Bad> {
        let Some(c) = self.cell(cells, field) else {
            return Ok(None);
        };
        if let Cell::Bool(b) = c {
            return Ok(Some(*b));
        }
        let t = clean_text(&c.to_text());
        match t.to_lowercase().as_str() {
            "是" | "有" | "y" | "yes" | "true" | "1" | "√" | "✓" => Ok(Some(true)),
            "否" | "无" | "n" | "no" | "false" | "0" | "×" | "✗" | "-" => Ok(Some(false)),
            _ => Err(Bad(format!("bad {field}"), format!("{} = `{t}` is not 是/否", self.header_of(field)))),
        }
    }

    /// 属地 from the county/town columns, else split from one region text.
    fn region(&self, cells: &[Cell]) -> (Option<String>, Option<String>) {
        let county = self.text(cells, "region_county");
        let town = self.text(cells, "region_town");
        if county.is_some() || town.is_some() {
            return (county, town);
        }
        match self.text(cells, "region") {
            Some(r) => split_region(&r),
            None => (None, None),
        }
    }

    /// The row as text for the rejects table, without personal fields.
    fn raw(&self, cells: &[Cell]) -> String {
        let pii: Vec<usize> = PII_FIELDS.iter().filter_map(|f| self.cols.get(f).copied()).collect();
        let joined =
            cells
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    if pii.contains(&i) && !c.is_empty() {
                        "«personal»".to_string()
                    } else {
                        clean_text(&c.to_text())
                    }
                })
                .collect::<Vec<_>>()
                .join(" | ");
        let masked = mask_identifiers(&joined);
        masked.chars().take(500).collect()
    }
}

static COUNTY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[^省市县区旗镇乡\s]{1,10}?(?:县|区|旗)").expect("static regex"));
static TOWN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[^省市县区旗镇乡\s]{1,10}?(?:镇|乡|街道)").expect("static regex"));

/// "湘江县青石镇桃源村" → (湘江县, 青石镇); a bare "青石镇" → (None, 青石镇).
pub fn split_region(r: &str) -> (Option<String>, Option<String>) {
    let county = COUNTY.find(r);
    let rest = county.map_or(r, |m| &r[m.end()..]);
    let town = TOWN.find(rest).map(|m| m.as_str().to_string());
    match (county, town) {
        (None, None) => (Some(r.to_string()), None),
        (c, t) => (c.map(|m| m.as_str().to_string()), t),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_regions() {
        assert_eq!(split_region("湘江县青石镇桃源村"), (Some("湘江县".into()), Some("青石镇".into())));
        assert_eq!(split_region("青石镇"), (None, Some("青石镇".into())));
        assert_eq!(split_region("某省某市湘江县城关街道"), (Some("湘江县".into()), Some("城关街道".into())));
        assert_eq!(split_region("A3区"), (Some("A3区".into()), None));
    }
}
