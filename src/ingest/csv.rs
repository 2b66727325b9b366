//! CSV and TSV exports in UTF-8 (with or without BOM), UTF-16 with BOM, GBK or GB18030.

use std::path::Path;

use chardetng::EncodingDetector;

use super::sheet::{Cell, Sheet};
use crate::{Error, Result};

/// Share of characters that may fail to decode before the file is judged not to be text.
const MAX_UNDECODABLE: f64 = 0.005;

/// Decode the bytes of a text export: BOM, else valid UTF-8, else the detected encoding
/// (GBK is read as its superset GB18030). Returns the text and the encoding's name.
pub fn decode(path: &Path, bytes: &[u8]) -> Result<(String, String)> {
    if bytes.iter().take(8192).any(|&b| b == 0) && encoding_rs::Encoding::for_bom(bytes).is_none() {
        return Err(Error::input(path, "this is a binary file, not a CSV text export (it holds NUL bytes)"));
    }
    if let Some((enc, bom_len)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, had_errors) = enc.decode_without_bom_handling(&bytes[bom_len..]);
        return check(path, text.into_owned(), had_errors, enc.name());
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok((s.to_string(), "UTF-8".into()));
    }
    let mut det = EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    det.feed(bytes, true);
    let mut enc = det.guess(Some(b"cn"), chardetng::Utf8Detection::Allow);
    if enc == encoding_rs::GBK {
        enc = encoding_rs::GB18030;
    }
    let (text, _, had_errors) = enc.decode(bytes);
    check(path, text.into_owned(), had_errors, enc.name())
}

fn check(path: &Path, text: String, had_errors: bool, name: &str) -> Result<(String, String)> {
    if had_errors {
        let bad = text.chars().filter(|&c| c == '\u{FFFD}').count();
        let total = text.chars().count().max(1);
        if bad as f64 / total as f64 > MAX_UNDECODABLE {
            return Err(Error::input(
                path,
                format!(
                    "{bad} of {total} characters cannot be decoded as {name}: not a text export, or in an encoding minqing does not know; save it as UTF-8 or GB18030 CSV"
                ),
            ));
        }
    }
    Ok((text, name.to_string()))
}

/// The delimiter that splits the first line into the most fields.
fn sniff_delimiter(text: &str) -> u8 {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    [b',', b'\t', b';', b'|'].into_iter().max_by_key(|&d| (first.matches(d as char).count(), d == b',')).unwrap_or(b',')
}

pub fn read(path: &Path, bytes: &[u8]) -> Result<Sheet> {
    let (text, encoding) = decode(path, bytes)?;
    let delimiter = sniff_delimiter(&text);
    let mut rdr =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(text.as_bytes());
    let mut sheet = Sheet { encoding: Some(encoding), ..Default::default() };
    let mut record = csv::StringRecord::new();
    let mut row = 0u64;
    loop {
        match rdr.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                row += 1;
                let cells = record
                    .iter()
                    .map(|f| if f.trim().is_empty() { Cell::Empty } else { Cell::Text(f.to_string()) })
                    .collect();
                sheet.rows.push((row, cells));
            }
            Err(e) => {
                row += 1;
                sheet.bad_rows.push(super::sheet::BadRow {
                    row,
                    reason: "unreadable row".into(),
                    detail: e.to_string(),
                    raw: String::new(),
                });
            }
        }
    }
    Ok(sheet)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_gbk_and_bom() {
        let (gbk, _, _) = encoding_rs::GBK.encode("信访件编号,登记时间\nA1,2019年2月28日\n");
        let (text, enc) = decode(Path::new("x.csv"), &gbk).unwrap();
        assert_eq!(enc, "gb18030");
        assert!(text.starts_with("信访件编号"));
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice("编号,时间\n".as_bytes());
        assert_eq!(decode(Path::new("x.csv"), &bom).unwrap(), ("编号,时间\n".to_string(), "UTF-8".to_string()));
    }

    #[test]
    fn binary_is_a_clear_error() {
        let err = decode(Path::new("x.csv"), &[0x50, 0x4B, 0x03, 0x04, 0, 0, 0xFF, 0xFE, 0x00]).unwrap_err();
        assert!(err.to_string().contains("binary"), "{err}");
    }

    #[test]
    fn tabs_and_quoted_newlines() {
        let s = read(Path::new("x.tsv"), "编号\t内容\nA1\t\"第一行\n第二行\"\n\nA2\tx\n".as_bytes()).unwrap();
        assert_eq!(s.rows.len(), 3);
        assert_eq!(s.rows[1].1[1], Cell::Text("第一行\n第二行".into()));
    }
}
