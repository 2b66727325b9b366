//! CSV and TSV exports in UTF-8 (with or without BOM), UTF-16 with BOM, GBK or GB18030,
//! read as a stream: memory stays bounded whatever the size of the file.

use std::fs::File;
use std::io::{self, Cursor, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use chardetng::EncodingDetector;
use encoding_rs::Encoding;
use encoding_rs_io::DecodeReaderBytesBuilder;

use super::sheet::{BadRow, Cell, Item, Table};
use crate::{Error, Result};

/// Share of characters that may fail to decode before the file is judged not to be text.
const MAX_UNDECODABLE: f64 = 0.005;
/// Bytes read from the start of a file to tell its encoding and delimiter.
const SNIFF_BYTES: usize = 1 << 20;
/// Longest record (row) accepted; a quote that never closes makes one record of the
/// rest of the file, and this stops it from being read into memory whole.
pub const MAX_RECORD_BYTES: u64 = 16 << 20;

/// The encoding of a text export from its first bytes: BOM, else valid UTF-8, else the
/// detected encoding (GBK is read as its superset GB18030).
pub fn sniff_encoding(path: &Path, prefix: &[u8], whole: bool) -> Result<&'static Encoding> {
    if prefix.iter().take(8192).any(|&b| b == 0) && Encoding::for_bom(prefix).is_none() {
        return Err(Error::input(path, "this is a binary file, not a CSV text export (it holds NUL bytes)"));
    }
    if let Some((enc, _)) = Encoding::for_bom(prefix) {
        return Ok(enc);
    }
    match std::str::from_utf8(prefix) {
        Ok(_) => return Ok(encoding_rs::UTF_8),
        // a prefix cut inside a character is still UTF-8
        Err(e) if !whole && e.error_len().is_none() => return Ok(encoding_rs::UTF_8),
        Err(_) => {}
    }
    let mut det = EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    det.feed(prefix, whole);
    let enc = det.guess(Some(b"cn"), chardetng::Utf8Detection::Allow);
    Ok(if enc == encoding_rs::GBK { encoding_rs::GB18030 } else { enc })
}

/// A text export opened for streaming: decoded to UTF-8, with its encoding's name.
pub struct Decoded {
    pub reader: Box<dyn Read + Send>,
    pub encoding: &'static Encoding,
    /// The first bytes, decoded (for sniffing the delimiter).
    pub head: String,
}

pub fn open_decoded(path: &Path) -> Result<Decoded> {
    let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut prefix = Vec::with_capacity(SNIFF_BYTES.min(1 << 16));
    file.by_ref().take(SNIFF_BYTES as u64).read_to_end(&mut prefix).map_err(|e| Error::io(path, e))?;
    if prefix.is_empty() {
        return Err(Error::input(path, "the file is empty"));
    }
    let encoding = sniff_encoding(path, &prefix, prefix.len() < SNIFF_BYTES)?;
    let head = encoding.decode_with_bom_removal(&prefix[..prefix.len().min(64 << 10)]).0.into_owned();
    let reader = DecodeReaderBytesBuilder::new()
        .encoding(Some(encoding))
        .bom_override(true)
        .build(Cursor::new(prefix).chain(file));
    Ok(Decoded { reader: Box::new(reader), encoding, head })
}

/// The delimiter that splits the first line into the most fields.
fn sniff_delimiter(text: &str) -> u8 {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    [b',', b'\t', b';', b'|'].into_iter().max_by_key(|&d| (first.matches(d as char).count(), d == b',')).unwrap_or(b',')
}

/// Fails a read once the reader runs `MAX_RECORD_BYTES` past the end of the last record.
/// Also notes when the file's end was reached.
struct Guard<R> {
    inner: R,
    read: u64,
    limit: Arc<AtomicU64>,
    eof: Arc<AtomicBool>,
}

impl<R: Read> Read for Guard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.read > self.limit.load(Ordering::Relaxed) {
            return Err(io::Error::new(io::ErrorKind::InvalidData, RECORD_TOO_LONG));
        }
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() {
            self.eof.store(true, Ordering::Relaxed);
        }
        self.read += n as u64;
        Ok(n)
    }
}

const RECORD_TOO_LONG: &str = "record too long";

pub fn open(path: &Path) -> Result<Table> {
    let d = open_decoded(path)?;
    let delimiter = sniff_delimiter(&d.head);
    let limit = Arc::new(AtomicU64::new(MAX_RECORD_BYTES));
    let eof = Arc::new(AtomicBool::new(false));
    let guard = Guard { inner: d.reader, read: 0, limit: limit.clone(), eof: eof.clone() };
    let rdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(guard);
    let rows = CsvRows {
        path: path.to_path_buf(),
        encoding: d.encoding.name(),
        rdr,
        record: csv::StringRecord::new(),
        row: 0,
        limit,
        eof,
        delimiter: delimiter as char,
        width: None,
        replaced: 0,
        chars: 0,
        done: false,
    };
    Ok(Table { name: String::new(), encoding: Some(d.encoding.name().to_string()), rows: Box::new(rows) })
}

struct CsvRows {
    path: PathBuf,
    encoding: &'static str,
    rdr: csv::Reader<Guard<Box<dyn Read + Send>>>,
    record: csv::StringRecord,
    row: u64,
    limit: Arc<AtomicU64>,
    /// The reader reached the file's end.
    eof: Arc<AtomicBool>,
    delimiter: char,
    /// Fields of the first record (the header, or a title row).
    width: Option<usize>,
    replaced: u64,
    chars: u64,
    done: bool,
}

impl CsvRows {
    /// The first field holding line breaks followed by lines that look like rows of
    /// their own: asked of a record that ran to the end of the file, a quote opened and
    /// never closed swallowed them.
    fn swallowed_lines(&self) -> Option<(usize, usize)> {
        let width = self.width.unwrap_or(0);
        if width < 4 {
            return None;
        }
        let need = (width - 1).max(3);
        self.record.iter().enumerate().find_map(|(col, f)| {
            let rowlike = f.split('\n').skip(1).filter(|l| l.matches(self.delimiter).count() >= need).count();
            (rowlike > 0).then(|| (col + 1, f.matches('\n').count()))
        })
    }

    fn undecodable(&self) -> Option<Error> {
        (self.replaced > 0 && self.replaced as f64 / self.chars.max(1) as f64 > MAX_UNDECODABLE).then(|| {
            Error::input(
                &self.path,
                format!(
                    "{} of {} characters cannot be decoded as {}: not a text export, or in an encoding minqing does not know; save it as UTF-8 or GB18030 CSV",
                    self.replaced, self.chars, self.encoding
                ),
            )
        })
    }
}

impl Iterator for CsvRows {
    type Item = Result<Item>;

    fn next(&mut self) -> Option<Result<Item>> {
        if self.done {
            return None;
        }
        match self.rdr.read_record(&mut self.record) {
            Ok(false) => {
                self.done = true;
                self.undecodable().map(Err)
            }
            Ok(true) => {
                self.row += 1;
                let end = self.rdr.position().byte();
                self.limit.store(end + MAX_RECORD_BYTES, Ordering::Relaxed);
                self.width.get_or_insert(self.record.len());
                for f in self.record.iter() {
                    self.chars += f.len() as u64;
                    self.replaced += f.matches('\u{FFFD}').count() as u64;
                }
                // judge the encoding early on a large file, not after reading all of it
                if self.row == 10_000 {
                    if let Some(e) = self.undecodable() {
                        self.done = true;
                        return Some(Err(e));
                    }
                }
                // RFC 4180 lets a quoted cell hold line breaks, commas and blank lines: a
                // quote is unbalanced only when it never closes, so its record runs to the end
                // of the file (or past the record bound, below)
                let ran_to_end = self.eof.load(Ordering::Relaxed);
                if let Some((col, lines)) = self.swallowed_lines().filter(|_| ran_to_end) {
                    let raw: String = self.record.iter().collect::<Vec<_>>().join(",").chars().take(300).collect();
                    return Some(Ok(Item::Bad(BadRow {
                        row: self.row,
                        reason: "unbalanced quote".into(),
                        detail: format!(
                            "field {col} opens a quote (\") that never closes, swallowing the {lines} lines after it to the end of the file; fix the quoting of this row and ingest again"
                        ),
                        raw,
                    })));
                }
                let cells = self
                    .record
                    .iter()
                    .map(|f| if f.trim().is_empty() { Cell::Empty } else { Cell::Text(f.to_string()) })
                    .collect();
                Some(Ok(Item::Row(self.row, cells)))
            }
            Err(e) => {
                let too_long = matches!(e.kind(), csv::ErrorKind::Io(io) if io.to_string() == RECORD_TOO_LONG);
                if too_long || matches!(e.kind(), csv::ErrorKind::Io(_)) {
                    self.done = true;
                    let msg = if too_long {
                        format!(
                            "row {} runs on past {} MB: a quote (\") probably opens a field that never closes; fix the quoting after row {} and ingest again",
                            self.row + 1,
                            MAX_RECORD_BYTES >> 20,
                            self.row
                        )
                    } else {
                        format!("reading stopped after row {}: {e}", self.row)
                    };
                    return Some(Err(Error::input(&self.path, msg)));
                }
                self.row += 1;
                Some(Ok(Item::Bad(BadRow {
                    row: self.row,
                    reason: "unreadable row".into(),
                    detail: e.to_string(),
                    raw: String::new(),
                })))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(bytes: &[u8]) -> (Option<String>, Vec<Result<Item>>) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.csv");
        std::fs::write(&p, bytes).unwrap();
        let t = open(&p).unwrap();
        (t.encoding, t.rows.collect())
    }

    fn cells(items: &[Result<Item>]) -> Vec<Vec<Cell>> {
        items
            .iter()
            .filter_map(|i| match i {
                Ok(Item::Row(_, c)) => Some(c.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn detects_gbk_and_bom() {
        let (gbk, _, _) = encoding_rs::GBK.encode("信访件编号,登记时间\nA1,2019年2月28日\n");
        let (enc, items) = read(&gbk);
        assert_eq!(enc.as_deref(), Some("gb18030"));
        assert_eq!(cells(&items)[0][0], Cell::Text("信访件编号".into()));
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice("编号,时间\n".as_bytes());
        let (enc, items) = read(&bom);
        assert_eq!((enc.as_deref(), cells(&items)[0][0].clone()), (Some("UTF-8"), Cell::Text("编号".into())));
    }

    #[test]
    fn binary_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.csv");
        std::fs::write(&p, [0x50, 0x4B, 0x03, 0x04, 0, 0, 0xFF, 0xFE, 0x00]).unwrap();
        let err = open(&p).err().unwrap().to_string();
        assert!(err.contains("binary"), "{err}");
    }

    #[test]
    fn tabs_and_quoted_newlines() {
        let (_, items) = read("编号\t内容\nA1\t\"第一行\n第二行\"\n\nA2\tx\n".as_bytes());
        let c = cells(&items);
        assert_eq!(c.len(), 3);
        assert_eq!(c[1][1], Cell::Text("第一行\n第二行".into()));
    }

    #[test]
    fn quoted_cells_may_span_lines_with_commas_and_blank_lines() {
        // as a GB18030 message-board export writes long posts: RFC 4180, read whole
        let text = "留言编号,留言用户,留言主题,留言时间,留言详情\n\
            1,A001,\"路灯, 不亮\",2019/1/2,\"尊敬的领导：\n\n小区门口,路灯,坏了,三个月,没人修,\n\n请尽快处理。\"\n\
            2,A002,噪音,2019/1/3,\"晚上施工,吵得,睡不着,怎么办,\n谢谢\"\n\
            3,A003,停水,2019/1/4,无水\n";
        let (bytes, _, _) = encoding_rs::GB18030.encode(text);
        let (_, items) = read(&bytes);
        let c = cells(&items);
        assert_eq!(c.len(), 4, "{items:?}");
        assert_eq!(c[1][4], Cell::Text("尊敬的领导：\n\n小区门口,路灯,坏了,三个月,没人修,\n\n请尽快处理。".into()));
        assert_eq!(c[3][0], Cell::Text("3".into()));
    }

    #[test]
    fn a_quote_that_swallows_rows_is_named() {
        let text =
            "编号,时间,地点,内容\nA1,2026-01-01,青石镇,\"漏水\nA2,2026-01-02,青石镇,欠薪\nA3,2026-01-03,青石镇,噪音\n";
        let (_, items) = read(text.as_bytes());
        let bad: Vec<&BadRow> = items
            .iter()
            .filter_map(|i| match i {
                Ok(Item::Bad(b)) => Some(b),
                _ => None,
            })
            .collect();
        assert_eq!(bad.len(), 1, "{items:?}");
        assert_eq!((bad[0].row, bad[0].reason.as_str()), (2, "unbalanced quote"));
    }

    #[test]
    fn a_quote_that_never_closes_stops_with_the_row() {
        let mut text = "编号,内容\nA1,ok\nA2,\"".to_string();
        let line = "这一行没有结束的引号，".repeat(100);
        while (text.len() as u64) < MAX_RECORD_BYTES + (2 << 20) {
            text.push_str(&line);
        }
        let (_, items) = read(text.as_bytes());
        let err = items.last().unwrap().as_ref().err().unwrap().to_string();
        assert!(err.contains("row 3 runs on past 16 MB"), "{err}");
        assert_eq!(cells(&items).len(), 2);
    }

    #[test]
    fn mostly_undecodable_bytes_are_an_error() {
        let mut bytes = vec![0xEF, 0xBB, 0xBF];
        bytes.extend_from_slice("编号,内容\n".as_bytes());
        for i in 0..2000u32 {
            bytes.extend_from_slice(format!("A{i},").as_bytes());
            bytes.extend_from_slice(&[0xFF, 0xFE, 0x81, 0xFF, b'\n']);
        }
        let (_, items) = read(&bytes);
        assert!(items.iter().any(|i| i.as_ref().is_err_and(|e| e.to_string().contains("cannot be decoded"))));
    }
}
