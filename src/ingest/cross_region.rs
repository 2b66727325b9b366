//! Cross-region cases (三跨三分离): the matter's place (问题属地), where the petitioner is
//! registered (户籍地: the region code of the ID number) and where he lives (居住地: the county
//! an address names) are not one place. Such a case needs the localities to act together,
//! and the place of the matter leads.
//!
//! An ID number's code names a county, an export's 问题属地 names it in words, and no code
//! table ships with minqing: a county's code is read from the data itself, as the code most
//! petitioners of that county's matters carry (at least `CODE_SHARE` of them, and
//! `CODE_MIN` people). A code that is not the county's is 外县 (same city, first four digits),
//! 外市 (same province, first two) or 外省, or the county whose code it is. The code itself is
//! never stored: only the place it names.

use std::sync::{Arc, LazyLock};

use arrow::array::{ArrayRef, ListBuilder, RecordBatch, StringArray, StringBuilder};
use regex::Regex;
use rustc_hash::FxHashMap as HashMap;

use crate::Result;
use crate::schema::cross_region_schema;

/// A county's code is the code this share of its petitioners carry …
const CODE_SHARE: f64 = 0.5;
/// … counted over at least this many.
const CODE_MIN: usize = 3;

/// What one persons row says of a case (borrowed from the tables' columns).
#[derive(Debug, Clone, Default)]
pub struct Seen<'a> {
    pub source: &'a str,
    pub case_id: &'a str,
    /// 问题属地.
    pub county: Option<&'a str>,
    pub town: Option<&'a str>,
    pub id_number: Option<&'a str>,
    pub address: Option<&'a str>,
}

/// One cross-region case.
#[derive(Debug, Clone, PartialEq)]
pub struct Cross {
    pub source: String,
    pub case_id: String,
    pub county: String,
    pub town: Option<String>,
    /// 户籍地 when it differs from the 问题属地: a county, or 外县 / 外市 / 外省.
    pub household: Option<String>,
    /// 居住地 (county) when the address names one.
    pub residence: Option<String>,
    /// Which places differ: 户籍地≠问题属地, 居住地≠问题属地, 户籍地≠居住地.
    pub differs: Vec<&'static str>,
}

/// The region code of a resident ID number (18 digits, or 15 of the old form).
fn code(id: &str) -> Option<&str> {
    let id = id.trim();
    // by bytes: 18 bytes of Chinese text (six characters) are no ID number, and slicing
    // them at 17 would cut a character
    let b = id.as_bytes();
    let ok = (b.len() == 18 && b[..17].iter().all(u8::is_ascii_digit) && b[17].is_ascii())
        || (b.len() == 15 && b.iter().all(u8::is_ascii_digit));
    ok.then(|| &id[..6]).filter(|c| !c.starts_with('0'))
}

/// A county named in an address: 青溪县 in 湖南省长沙市青溪县城关镇…, 开福区 in 长沙市开福区….
static COUNTY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[^\p{P}\s\d省市县区旗镇乡村路街号]{1,6}(?:县|区|旗)").expect("static regex"));

fn county_of(address: &str) -> Option<String> {
    COUNTY.find(address).map(|m| m.as_str().to_string())
}

/// How far a code is from a county's: 外县, 外市 or 外省.
fn distance(code: &str, home: &str) -> &'static str {
    if code[..4] == home[..4] {
        "外县"
    } else if code[..2] == home[..2] {
        "外市"
    } else {
        "外省"
    }
}

/// The cross-region cases among these rows, in (source, case_id) order.
pub fn find(rows: &[Seen]) -> Vec<Cross> {
    // each county's code, from the codes of its petitioners
    let mut codes: HashMap<&str, HashMap<&str, usize>> = HashMap::default();
    for r in rows {
        if let (Some(c), Some(k)) = (r.county, r.id_number.and_then(code)) {
            *codes.entry(c).or_default().entry(k).or_default() += 1;
        }
    }
    let mut county_code: HashMap<&str, &str> = HashMap::default();
    for (county, by) in &codes {
        let n: usize = by.values().sum();
        if let Some((k, m)) = by.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
            && n >= CODE_MIN
            && *m as f64 >= CODE_SHARE * n as f64
        {
            county_code.insert(county, k);
        }
    }
    let mut by_code: HashMap<&str, Vec<&str>> = HashMap::default();
    for (county, k) in &county_code {
        by_code.entry(k).or_default().push(county);
    }
    let mut out: Vec<Cross> = vec![];
    for r in rows {
        let Some(county) = r.county else { continue };
        let home = county_code.get(county).copied();
        let id_code = r.id_number.and_then(code);
        let residence = r.address.and_then(county_of);
        let mut differs = vec![];
        let mut household = None;
        if let (Some(h), Some(k)) = (home, id_code)
            && h != k
        {
            differs.push("户籍地≠问题属地");
            household = Some(match by_code.get(k).map(Vec::as_slice) {
                Some([one]) => one.to_string(),
                _ => distance(k, h).to_string(),
            });
        }
        if residence.as_deref().is_some_and(|c| c != county) {
            differs.push("居住地≠问题属地");
        }
        if let (Some(k), Some(rc)) = (id_code, residence.as_deref().and_then(|c| county_code.get(c)))
            && k != *rc
        {
            differs.push("户籍地≠居住地");
        }
        if !differs.is_empty() {
            out.push(Cross {
                source: r.source.to_string(),
                case_id: r.case_id.to_string(),
                county: county.to_string(),
                town: r.town.map(String::from),
                household,
                residence,
                differs,
            });
        }
    }
    out.sort_by(|a, b| (&a.source, &a.case_id).cmp(&(&b.source, &b.case_id)));
    out.dedup_by(|a, b| (&a.source, &a.case_id) == (&b.source, &b.case_id));
    out
}

/// The rows of `cross_region`.
pub fn batch(rows: &[Cross]) -> Result<RecordBatch> {
    let mut differs = ListBuilder::new(StringBuilder::new());
    for r in rows {
        for d in &r.differs {
            differs.values().append_value(d);
        }
        differs.append(true);
    }
    let s = |f: &dyn Fn(&Cross) -> Option<&str>| -> ArrayRef { Arc::new(rows.iter().map(f).collect::<StringArray>()) };
    let cols: Vec<ArrayRef> = vec![
        s(&|r| Some(&r.source)),
        s(&|r| Some(&r.case_id)),
        s(&|r| Some(&r.county)),
        s(&|r| r.town.as_deref()),
        s(&|r| r.household.as_deref()),
        s(&|r| r.residence.as_deref()),
        Arc::new(differs.finish()),
    ];
    Ok(RecordBatch::try_new(cross_region_schema(), cols)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by `tests/fuzz.rs` (damaged workbooks): an ID cell of six Chinese characters
    /// is 18 bytes long.
    #[test]
    fn a_region_code_is_read_from_digits_only() {
        assert_eq!(code("丰乏丯义乔丠"), None);
        assert_eq!(code("43012119900101123X"), Some("430121"));
        assert_eq!(code("430121900101123"), Some("430121"));
        assert_eq!(code("4301211990010112"), None);
    }

    fn seen<'a>(case: &'a str, county: &'a str, id: &'a str, address: &'a str) -> Seen<'a> {
        let o = |s: &'a str| (!s.is_empty()).then_some(s);
        Seen {
            source: "petition",
            case_id: case,
            county: o(county),
            town: Some("城关镇"),
            id_number: o(id),
            address: o(address),
        }
    }

    #[test]
    fn the_place_of_the_matter_the_registration_and_the_home_are_compared() {
        let local = "431122198001011234";
        let rows = vec![
            // 青溪县's own people: its code is 431122
            seen("P1", "青溪县", local, "湖南省永州市青溪县城关镇幸福村"),
            seen("P2", "青溪县", "431122197502021111", ""),
            seen("P3", "青溪县", "431122199003033333", "青溪县青石镇"),
            // 东安县's people: its code is 431125
            seen("E1", "东安县", "431125198001010000", ""),
            seen("E2", "东安县", "431125198101010000", ""),
            seen("E3", "东安县", "431125198201010000", ""),
            // registered in 东安县, the matter in 青溪县: 户籍地≠问题属地, named
            seen("X1", "青溪县", "431125196001010000", ""),
            // registered in another province, living in 开福区, the matter in 青溪县
            seen("X2", "青溪县", "110105196001010000", "长沙市开福区某某小区"),
            // local, living elsewhere in the county's city
            seen("X3", "青溪县", local, "永州市冷水滩区某某街道"),
            // no 问题属地: nothing to compare
            seen("N1", "", "110105196001010000", ""),
        ];
        let got = find(&rows);
        let short: Vec<(&str, Option<&str>, Option<&str>, Vec<&str>)> = got
            .iter()
            .map(|c| (c.case_id.as_str(), c.household.as_deref(), c.residence.as_deref(), c.differs.clone()))
            .collect();
        assert_eq!(
            short,
            vec![
                ("X1", Some("东安县"), None, vec!["户籍地≠问题属地"]),
                ("X2", Some("外省"), Some("开福区"), vec!["户籍地≠问题属地", "居住地≠问题属地"]),
                ("X3", None, Some("冷水滩区"), vec!["居住地≠问题属地"]),
            ]
        );
        assert_eq!(county_of("湖南省长沙市青溪县城关镇"), Some("青溪县".to_string()));
        assert_eq!(county_of("城关镇幸福村8组"), None);
    }
}
