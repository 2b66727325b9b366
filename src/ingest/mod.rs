//! Ingest: exports (xlsx, csv, jsonl) → `cases`, `persons`, `rejects`.
//!
//! Input: files in any of the four source layouts; headers matched through a mapping.
//! Output: one committed warehouse batch. Ingest is a MERGE on (source, case_id) (see
//! `merge`): every non-blank data row ends in exactly one place — a new case, an update of a
//! stored case whose content changed (a re-export with 办结时间 filled in), unchanged (the
//! stored content or any earlier version of it), a reject with file, row and reason, or a
//! row already rejected from the same file content — so `rows read = added + updated +
//! unchanged + rejected + rejected before` for every file, and re-ingesting a file, or an
//! older export, changes nothing. Raw names, ID numbers and phones go only to `persons`.

pub(crate) mod batch;
pub mod cross_region;
mod csv;
pub mod forget;
mod jsonl;
pub mod mapping;
mod merge;
pub mod people;
pub mod record;
pub mod sheet;
mod xlsx;

use std::collections::BTreeMap;

use rustc_hash::FxHashSet;
use std::fmt;
use std::path::{Path, PathBuf};

use arrow::array::{Array, AsArray};
use rayon::prelude::*;
use serde::Serialize;

pub use mapping::Mapping;
use record::{CaseRow, PersonRow, RejectRow, RowParser};
use sheet::{BadRow, Cell, Item, Table};

use crate::normalize::PersonKey;
use crate::schema::{rejects, table};
use crate::warehouse::{ParquetPart, Warehouse};
use crate::{Error, Result};

/// Rows searched for the header (title rows and merged header rows come first).
const HEADER_SEARCH_ROWS: usize = 20;
/// Largest text export (csv, jsonl) accepted; it is read as a stream, so this bounds
/// time and disk, not memory.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 64 << 30;
/// Largest workbook accepted: a workbook is read whole (Excel itself stops at 1,048,576 rows).
pub const DEFAULT_MAX_WORKBOOK_BYTES: u64 = 512 << 20;

/// What `minqing ingest` was asked to do.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// The source of every input; detected per file from its headers when `None`.
    pub source: Option<String>,
    /// A mapping file replacing the built-in mapping of its source.
    pub mapping: Option<PathBuf>,
    /// Keep no personal data at all: `persons` is not written.
    pub no_pii: bool,
    pub max_file_bytes: u64,
    pub max_workbook_bytes: u64,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            source: None,
            mapping: None,
            no_pii: false,
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            max_workbook_bytes: DEFAULT_MAX_WORKBOOK_BYTES,
        }
    }
}

/// The reconciliation of one input file.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FileReport {
    pub file: String,
    pub file_hash: String,
    pub format: String,
    pub encoding: Option<String>,
    pub sheet: Option<String>,
    pub source: String,
    pub header_row: u64,
    /// Header → canonical column, for the headers that matched.
    pub matched: BTreeMap<String, String>,
    /// Headers no mapping alias matched (their data is not kept).
    pub unmatched: Vec<String>,
    pub rows_read: u64,
    pub blank_rows: u64,
    pub added: u64,
    /// Stored cases whose content this file changed.
    pub updated: u64,
    pub rejected: u64,
    /// Rows whose content is already stored (now or as an earlier version).
    pub unchanged: u64,
    pub previously_rejected: u64,
    pub rejects_by_reason: BTreeMap<String, u64>,
}

impl FileReport {
    /// rows read = added + updated + unchanged + rejected + rejected before.
    pub fn reconciles(&self) -> bool {
        self.rows_read == self.added + self.updated + self.unchanged + self.rejected + self.previously_rejected
    }
}

/// The reconciliation of one `minqing ingest`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct IngestReport {
    pub files: Vec<FileReport>,
    pub commit: Option<u64>,
    /// People across sources after this ingest (none without `persons`).
    pub people: Option<people::LinkReport>,
}

impl IngestReport {
    pub fn total(&self, f: impl Fn(&FileReport) -> u64) -> u64 {
        self.files.iter().map(f).sum()
    }
    pub fn rejected(&self) -> u64 {
        self.total(|f| f.rejected)
    }
}

impl fmt::Display for IngestReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for r in &self.files {
            let sheet = r.sheet.as_ref().map(|s| format!(" [{s}]")).unwrap_or_default();
            let enc = r.encoding.as_ref().map(|e| format!(", {e}")).unwrap_or_default();
            writeln!(f, "{}{sheet} ({}{enc}, {}; header on row {})", r.file, r.format, r.source, r.header_row)?;
            writeln!(
                f,
                "  rows read {:>8} = added {} + updated {} + unchanged {} + rejected {} + rejected before {}{}",
                r.rows_read,
                r.added,
                r.updated,
                r.unchanged,
                r.rejected,
                r.previously_rejected,
                if r.reconciles() { "" } else { "  ← DOES NOT RECONCILE" }
            )?;
            if r.blank_rows > 0 {
                writeln!(f, "  blank rows ignored {}", r.blank_rows)?;
            }
            for (reason, n) in &r.rejects_by_reason {
                writeln!(f, "  rejected: {reason:<24} {n}")?;
            }
            if !r.unmatched.is_empty() {
                writeln!(f, "  headers not mapped (not kept): {}", r.unmatched.join(", "))?;
            }
        }
        let t = |g: fn(&FileReport) -> u64| self.total(g);
        write!(
            f,
            "total: rows read {} = added {} + updated {} + rejected {} + skipped {}",
            t(|r| r.rows_read),
            t(|r| r.added),
            t(|r| r.updated),
            t(|r| r.rejected),
            t(|r| r.unchanged + r.previously_rejected)
        )?;
        if let Some(p) = &self.people {
            write!(f, "\n{p}")?;
        }
        Ok(())
    }
}

/// Ingest files into the warehouse in one commit, then link people across sources in a
/// second (`people`).
pub fn ingest(wh: &Warehouse, inputs: &[PathBuf], opts: &IngestOptions, key: &PersonKey) -> Result<IngestReport> {
    let mut report = ingest_cases(wh, inputs, opts, key)?;
    report.people = link_after(wh, key, &report)?;
    Ok(report)
}

/// Link people after an ingest's commit, or after an earlier run that stopped between its
/// two commits; `None` when there is nothing to link. A pipeline runs it beside enrich,
/// which reads only `cases`.
pub fn link_after(wh: &Warehouse, key: &PersonKey, report: &IngestReport) -> Result<Option<people::LinkReport>> {
    if report.commit.is_some() || people::is_stale(wh)? {
        tracing::debug!("ingest: linking people");
        people::link(wh, key)
    } else {
        Ok(None)
    }
}

/// Ingest files into the warehouse in one commit, people not linked yet ([`link_after`]).
/// Files are read as streams and written in chunks of `CHUNK_ROWS`, so memory stays
/// bounded whatever their size; nothing is visible until the one commit at the end.
pub fn ingest_cases(wh: &Warehouse, inputs: &[PathBuf], opts: &IngestOptions, key: &PersonKey) -> Result<IngestReport> {
    let files = expand_inputs(inputs)?;
    let custom = opts.mapping.as_deref().map(Mapping::load).transpose()?;
    if let (Some(m), Some(s)) = (&custom, &opts.source) {
        if &m.source != s {
            return Err(Error::Usage(format!(
                "the mapping is for source `{}` but the export was named as source `{s}`",
                m.source
            )));
        }
    }
    let candidates: Vec<Mapping> = match (&custom, &opts.source) {
        (Some(m), _) => vec![m.clone()],
        (None, Some(s)) => vec![Mapping::builtin(s)?],
        (None, None) => Mapping::builtins(),
    };

    let t = std::time::Instant::now();
    let mut versions = merge::Versions::load(wh)?;
    tracing::debug!("ingest: stored versions read at {:.2?}", t.elapsed());
    let mut seen_persons: FxHashSet<u128> = FxHashSet::default();
    let mut seen_rejects = existing_reject_keys(wh)?;
    let mut report = IngestReport::default();
    let mut tx = wh.begin()?;
    let out = Outputs::new(&mut tx, opts.no_pii)?.spawn();
    let progress = crate::progress::Progress::counter("ingest", "rows");

    for path in &files {
        let (format, tables) = open_tables(path, opts)?;
        let file_hash = hash_file(path)?;
        let file_name =
            path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
        let many = tables.len() > 1;
        let (table, head, head_bad, mapping, header_idx) = pick_table(path, tables, &candidates)?;
        let ingest_file = if many { format!("{file_name}#{}", table.name) } else { file_name.clone() };
        let (headers, cols) = header_of(&head, header_idx, mapping);
        let header_row = head[header_idx].0;
        let mut rep = FileReport {
            file: ingest_file.clone(),
            file_hash: file_hash.clone(),
            format: format.into(),
            encoding: table.encoding.clone(),
            sheet: (format == "xlsx").then(|| table.name.clone()),
            source: mapping.source.clone(),
            header_row,
            matched: cols.iter().map(|(f, &i)| (headers[i].clone(), (*f).to_string())).collect(),
            unmatched: headers
                .iter()
                .enumerate()
                .filter(|(i, h)| !h.trim().is_empty() && !cols.values().any(|v| v == i))
                .map(|(_, h)| h.clone())
                .collect(),
            ..Default::default()
        };
        let parser =
            RowParser { mapping, headers: &headers, cols: &cols, key, file: &ingest_file, file_hash: &file_hash };
        let reader_reject = |b: BadRow| RejectRow {
            source: mapping.source.clone(),
            file: ingest_file.clone(),
            file_hash: file_hash.clone(),
            row: b.row as i64,
            case_id: None,
            reason: b.reason,
            detail: b.detail,
            raw: crate::normalize::mask_identifiers(&b.raw).into_owned(),
        };
        progress.message(ingest_file.clone());
        let items = head_bad
            .into_iter()
            .map(|b| Ok(Item::Bad(b)))
            .chain(head.into_iter().skip(header_idx + 1).map(|(r, c)| Ok(Item::Row(r, c))))
            .chain(table.rows);
        // the file is read and decoded on a thread of its own, a chunk ahead of the parsing
        let (chunks, reader) = read_ahead(items);
        for chunk in chunks.iter() {
            let chunk = chunk?;
            let parsed: Vec<Option<Outcome>> = chunk
                .into_par_iter()
                .map(|item| match item {
                    Item::Bad(b) => Some(Err(reader_reject(b))),
                    Item::Row(_, cells) if cells.iter().all(Cell::is_empty) => None,
                    Item::Row(row, cells) => Some(match oversized_cell(&cells, &headers) {
                        Some(b) => Err(reader_reject(BadRow { row, ..b })),
                        None => parser.parse(row, &cells),
                    }),
                })
                .collect();
            let (mut cases, mut people, mut rejects) = (vec![], vec![], vec![]);
            for p in parsed {
                let Some(outcome) = p else {
                    rep.blank_rows += 1;
                    continue;
                };
                rep.rows_read += 1;
                match outcome {
                    Ok((case, person)) => {
                        cases.push(case);
                        people.push(person);
                    }
                    Err(rej) => {
                        if seen_rejects.insert(reject_key(&rej.file_hash, rej.row)) {
                            rep.rejected += 1;
                            *rep.rejects_by_reason.entry(rej.reason.clone()).or_default() += 1;
                            rejects.push(rej);
                        } else {
                            rep.previously_rejected += 1;
                        }
                    }
                }
            }
            progress.inc((cases.len() + rejects.len()) as u64);
            let (cases, persons) = merge_chunk(&mut versions, &mut seen_persons, &mut rep, &cases, people)?;
            if !out.write((cases, persons, rejects)) {
                return Err(out.finish().err().unwrap_or_else(|| Error::Internal("the ingest writer stopped".into())));
            }
        }
        // the chunks ended: at the end of the file, or because the reader panicked (a file
        // cut short must not be committed)
        if let Err(panic) = reader.join() {
            std::panic::resume_unwind(panic);
        }
        tracing::info!("{}: {} rows, {} added", rep.file, rep.rows_read, rep.added);
        report.files.push(rep);
    }

    drop(progress);
    tracing::debug!("ingest: rows read at {:.2?}", t.elapsed());
    out.finish()?.stage(wh, &mut tx, !wh.parts(table::PERSONS)?.is_empty(), &versions)?;
    if let Some(b) = versions.rows(tx.seq())? {
        tx.append(table::CASE_VERSIONS, &[b])?;
    }
    let info = serde_json::json!({ "files": report.files.iter().map(|f| serde_json::json!({
        "file": f.file, "hash": f.file_hash, "source": f.source, "rows_read": f.rows_read,
        "added": f.added, "updated": f.updated, "unchanged": f.unchanged, "rejected": f.rejected,
        "skipped": f.unchanged + f.previously_rejected,
    })).collect::<Vec<_>>() });
    let commit = tx.commit("ingest", info)?;
    report.commit = (!commit.tables.is_empty()).then_some(commit.seq);
    // persons and person_links are two commits: a run stopped between them links next
    tracing::debug!("ingest: committed at {:.2?}", t.elapsed());
    Ok(report)
}

/// Rows parsed and written at a time.
const CHUNK_ROWS: usize = 32 * 1024;

/// Chunks of `CHUNK_ROWS` items, read on their own thread one chunk ahead; ends after the
/// first error. Dropping the receiver stops the thread at its next chunk; the handle tells
/// a panic of the reader from the end of the file.
fn read_ahead(
    mut items: impl Iterator<Item = Result<Item>> + Send + 'static,
) -> (std::sync::mpsc::Receiver<Result<Vec<Item>>>, std::thread::JoinHandle<()>) {
    let (send, recv) = std::sync::mpsc::sync_channel(1);
    let reader = std::thread::spawn(move || {
        loop {
            let chunk: Result<Vec<Item>> = items.by_ref().take(CHUNK_ROWS).collect();
            match chunk {
                Ok(c) if c.is_empty() => break,
                Ok(c) => {
                    if send.send(Ok(c)).is_err() {
                        break;
                    }
                }
                Err(e) => {
                    let _ = send.send(Err(e));
                    break;
                }
            }
        }
    });
    (recv, reader)
}
/// Largest cell accepted; a longer one rejects its row (no petition is a megabyte long).
pub const MAX_CELL_BYTES: usize = 1 << 20;

type Outcome = std::result::Result<(CaseRow, Option<PersonRow>), RejectRow>;

/// Merge one chunk of parsed cases into the warehouse's versions: the cases to write (added
/// and updated) and their persons (each distinct person row once per ingest).
fn merge_chunk(
    versions: &mut merge::Versions,
    seen_persons: &mut FxHashSet<u128>,
    rep: &mut FileReport,
    cases: &[CaseRow],
    people: Vec<Option<PersonRow>>,
) -> Result<(Option<arrow::record_batch::RecordBatch>, Vec<PersonRow>)> {
    if cases.is_empty() {
        return Ok((None, vec![]));
    }
    let batch = batch::cases_batch(cases)?;
    let (changes, mask) = versions.merge(&batch)?;
    let mut persons = vec![];
    for (change, person) in changes.iter().zip(people) {
        match change {
            merge::Change::Added => rep.added += 1,
            merge::Change::Updated => rep.updated += 1,
            merge::Change::Unchanged => rep.unchanged += 1,
        }
        if let Some(p) = person.filter(|_| *change != merge::Change::Unchanged) {
            let fields = [&p.person_key, &p.source, &p.case_id];
            let id = [p.name.as_deref(), p.id_number.as_deref(), p.phone.as_deref()]
                .map(|x| x.unwrap_or("\0"))
                .join("\u{1f}");
            if seen_persons.insert(key128(&fields.map(|f| f.as_str()).join("\u{1f}"), id.as_bytes())) {
                persons.push(p);
            }
        }
    }
    let batch = arrow::compute::filter_record_batch(&batch, &mask)?;
    Ok(((batch.num_rows() > 0).then_some(batch), persons))
}

/// A reject for a row with a cell over `MAX_CELL_BYTES` (row number filled in by the caller).
fn oversized_cell(cells: &[Cell], headers: &[String]) -> Option<BadRow> {
    let (i, len) = cells.iter().enumerate().find_map(|(i, c)| match c {
        Cell::Text(t) if t.len() > MAX_CELL_BYTES => Some((i, t.len())),
        _ => None,
    })?;
    let head = headers.get(i).map_or_else(|| format!("column {}", i + 1), |h| format!("`{h}`"));
    Some(BadRow {
        row: 0,
        reason: "cell too large".into(),
        detail: format!("{head} holds {len} bytes; the limit is {} MB per cell", MAX_CELL_BYTES >> 20),
        raw: cells.iter().map(|c| c.to_text().chars().take(40).collect::<String>()).collect::<Vec<_>>().join(","),
    })
}

/// The part files an ingest writes, one per table, filled chunk by chunk.
struct Outputs {
    cases: ParquetPart,
    persons: Option<ParquetPart>,
    rejects: ParquetPart,
}

impl Outputs {
    fn new(tx: &mut crate::warehouse::Transaction<'_>, no_pii: bool) -> Result<Outputs> {
        Ok(Outputs {
            cases: tx.part_writer(table::CASES)?,
            persons: if no_pii { None } else { Some(tx.part_writer(table::PERSONS)?) },
            rejects: tx.part_writer(table::REJECTS)?,
        })
    }

    fn write(
        &mut self,
        cases: Option<&arrow::record_batch::RecordBatch>,
        persons: &[PersonRow],
        rejects: &[RejectRow],
    ) -> Result<()> {
        if let Some(b) = cases {
            self.cases.write(b)?;
        }
        if let (Some(w), false) = (&mut self.persons, persons.is_empty()) {
            w.write(&batch::persons_batch(persons)?)?;
        }
        if !rejects.is_empty() {
            self.rejects.write(&batch::rejects_batch(rejects)?)?;
        }
        Ok(())
    }

    /// Move the writing to its own thread, so reading and parsing go on while a chunk is
    /// encoded to Parquet.
    fn spawn(self) -> OutputThread {
        let (send, recv) = std::sync::mpsc::sync_channel::<Chunk>(2);
        let handle = std::thread::spawn(move || -> Result<Outputs> {
            let mut out = self;
            for (cases, persons, rejects) in recv {
                out.write(cases.as_ref(), &persons, &rejects)?;
            }
            Ok(out)
        });
        OutputThread { send, handle }
    }

    /// Stage the parts: appended, or — when stored cases were updated — each table's whole
    /// new content (the stored rows an update replaces left out).
    fn stage(
        self,
        wh: &Warehouse,
        tx: &mut crate::warehouse::Transaction<'_>,
        had_persons: bool,
        versions: &merge::Versions,
    ) -> Result<()> {
        if versions.rewrites() {
            let scratch = set_aside(self.cases)?;
            let mut part = tx.part_writer(table::CASES)?;
            let removed = merge::copy_touched_without(wh, table::CASES, &versions.updated, &mut part)?;
            merge::copy_written(versions, &scratch, &mut part)?;
            remove_all(&scratch)?;
            tx.rewrite_with(table::CASES, removed, part)?;
        } else {
            tx.append_with(table::CASES, self.cases)?;
        }
        match self.persons {
            Some(w) if !versions.updated.is_empty() && had_persons => {
                let scratch = set_aside(w)?;
                let mut part = tx.part_writer(table::PERSONS)?;
                let removed = merge::copy_touched_without(wh, table::PERSONS, &versions.updated, &mut part)?;
                merge::copy_all(&scratch, table::PERSONS, &mut part)?;
                remove_all(&scratch)?;
                tx.rewrite_with(table::PERSONS, removed, part)?;
            }
            Some(w) => tx.append_with(table::PERSONS, w)?,
            // --no-pii: no personal data at all, including what earlier ingests kept
            None if had_persons => tx.drop_table(table::PERSONS),
            None => {}
        }
        tx.append_with(table::REJECTS, self.rejects)
    }
}

type Chunk = (Option<arrow::record_batch::RecordBatch>, Vec<PersonRow>, Vec<RejectRow>);

/// Finish a part and move it aside (still a hidden temp file, so a crash before the commit
/// leaves nothing behind), to be copied into the table's rewritten part.
fn set_aside(part: ParquetPart) -> Result<Vec<PathBuf>> {
    let mut out = vec![];
    for (path, _) in part.finish_files()? {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let scratch = path.with_file_name(format!("{name}.merge.tmp"));
        std::fs::rename(&path, &scratch).map_err(|e| Error::io(&scratch, e))?;
        out.push(scratch);
    }
    Ok(out)
}

fn remove_all(files: &[PathBuf]) -> Result<()> {
    for f in files {
        std::fs::remove_file(f).map_err(|e| Error::io(f, e))?;
    }
    Ok(())
}

struct OutputThread {
    send: std::sync::mpsc::SyncSender<Chunk>,
    handle: std::thread::JoinHandle<Result<Outputs>>,
}

impl OutputThread {
    /// False once the writer has stopped on an error (which `finish` returns).
    fn write(&self, chunk: Chunk) -> bool {
        self.send.send(chunk).is_ok()
    }

    fn finish(self) -> Result<Outputs> {
        drop(self.send);
        self.handle.join().map_err(|_| Error::Internal("the ingest writer panicked".into()))?
    }
}

/// BLAKE3 of a file, read as a stream.
fn hash_file(path: &Path) -> Result<String> {
    let mut h = blake3::Hasher::new();
    let f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    h.update_reader(f).map_err(|e| Error::io(path, e))?;
    Ok(h.finalize().to_hex()[..32].to_string())
}

/// Files named directly, and the export files inside named folders (sorted).
fn expand_inputs(inputs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = vec![];
    for p in inputs {
        if p.is_dir() {
            let mut inside: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| Error::io(p, e))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| {
                    f.extension().and_then(|x| x.to_str()).is_some_and(|x| {
                        matches!(
                            x.to_lowercase().as_str(),
                            "xlsx" | "xlsm" | "xls" | "xlsb" | "ods" | "csv" | "tsv" | "jsonl" | "ndjson"
                        )
                    })
                })
                .collect();
            inside.sort();
            out.extend(inside);
        } else if p.exists() {
            out.push(p.clone());
        } else {
            return Err(Error::input(p, "no such file or folder"));
        }
    }
    if out.is_empty() {
        return Err(Error::Usage("no export files to ingest (xlsx, xls, csv, tsv, jsonl)".into()));
    }
    Ok(out)
}

fn check_size(path: &Path, max: u64, what: &str) -> Result<u64> {
    let len = std::fs::metadata(path).map_err(|e| Error::io(path, e))?.len();
    if len > max {
        return Err(Error::input(
            path,
            format!(
                "{len} bytes is over the {max}-byte limit for one {what}; split it into smaller files{}",
                if what == "workbook" { " or save it as CSV (UTF-8), which is read as a stream" } else { "" }
            ),
        ));
    }
    if len == 0 {
        return Err(Error::input(path, "the file is empty"));
    }
    Ok(len)
}

/// The format of a file by extension, else by its first bytes.
fn format_of(path: &Path) -> Result<&'static str> {
    let ext = path.extension().and_then(|x| x.to_str()).unwrap_or("").to_lowercase();
    Ok(match ext.as_str() {
        "xlsx" | "xlsm" | "xls" | "xlsb" | "ods" => "xlsx",
        "jsonl" | "ndjson" => "jsonl",
        "csv" | "tsv" | "txt" => "csv",
        _ => {
            let mut first = [0u8; 64];
            let n = std::io::Read::read(&mut std::fs::File::open(path).map_err(|e| Error::io(path, e))?, &mut first)
                .map_err(|e| Error::io(path, e))?;
            let first = &first[..n];
            if first.starts_with(b"PK\x03\x04") || first.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
                "xlsx"
            } else if first.trim_ascii_start().starts_with(b"{") {
                "jsonl"
            } else {
                "csv"
            }
        }
    })
}

/// Open a file's tables: a workbook is read whole (within `max_workbook_bytes`), text
/// exports as streams (within `max_file_bytes`).
fn open_tables(path: &Path, opts: &IngestOptions) -> Result<(&'static str, Vec<Table>)> {
    let format = format_of(path)?;
    let tables = match format {
        "xlsx" => {
            check_size(path, opts.max_workbook_bytes, "workbook")?;
            let bytes = std::fs::read(path).map_err(|e| Error::input(path, e.to_string()))?;
            xlsx::read(path, &bytes)?.into_iter().map(Table::from).collect()
        }
        "jsonl" => {
            check_size(path, opts.max_file_bytes, "export")?;
            vec![jsonl::open(path)?]
        }
        _ => {
            check_size(path, opts.max_file_bytes, "export")?;
            vec![csv::open(path)?]
        }
    };
    Ok((format, tables))
}

/// The first rows of a table (where its header is looked for), and the reader's rejects
/// among them.
fn head_of(table: &mut Table) -> Result<(Vec<(u64, Vec<Cell>)>, Vec<BadRow>)> {
    let (mut rows, mut bad) = (vec![], vec![]);
    while rows.len() < HEADER_SEARCH_ROWS {
        match table.rows.next().transpose()? {
            Some(Item::Row(r, c)) => rows.push((r, c)),
            Some(Item::Bad(b)) => bad.push(b),
            None => break,
        }
    }
    Ok((rows, bad))
}

type Head = Vec<(u64, Vec<Cell>)>;

/// The first table with a header row any candidate mapping recognizes, with its first
/// rows (reader rejects among them first), the best mapping for it and the header's index.
fn pick_table<'m>(
    path: &Path,
    tables: Vec<Table>,
    candidates: &'m [Mapping],
) -> Result<(Table, Head, Vec<BadRow>, &'m Mapping, usize)> {
    let mut seen: Vec<String> = vec![];
    for mut table in tables {
        let (head, bad) = head_of(&mut table)?;
        let best = candidates
            .iter()
            .filter_map(|m| find_header(&head, m).map(|(idx, score)| (score, idx, m)))
            .max_by_key(|(score, _, _)| *score);
        if let Some((_, idx, m)) = best {
            return Ok((table, head, bad, m, idx));
        }
        seen.extend(
            head.iter().take(3).flat_map(|(_, cells)| cells.iter().map(Cell::to_text)).filter(|t| !t.trim().is_empty()),
        );
    }
    seen.truncate(12);
    let which = if candidates.len() == 1 {
        format!("the {} mapping", candidates[0].source)
    } else {
        "any built-in mapping".into()
    };
    Err(Error::input(
        path,
        format!(
            "no header row matching {which} in its first {HEADER_SEARCH_ROWS} rows (seen: {}); name the source of the export or give a mapping file",
            if seen.is_empty() { "nothing".into() } else { seen.join(", ") }
        ),
    ))
}

/// The header row index and its score (matched columns), if the rows have one that maps
/// a time and some text.
fn find_header(head: &[(u64, Vec<Cell>)], mapping: &Mapping) -> Option<(usize, usize)> {
    let mut best: Option<(usize, usize)> = None;
    for idx in 0..head.len().min(HEADER_SEARCH_ROWS) {
        let (_, cols) = header_of(head, idx, mapping);
        let has = |f: &str| cols.contains_key(f) || mapping.defaults.contains_key(f);
        if cols.len() >= 2
            && has("received_at")
            && (has("content") || has("title"))
            && best.is_none_or(|(_, s)| cols.len() > s)
        {
            best = Some((idx, cols.len()));
        }
    }
    best
}

/// Header names of row `idx`; an empty header takes the text of the row above (a
/// header cell merged downward from a two-row header).
fn header_of(head: &[(u64, Vec<Cell>)], idx: usize, mapping: &Mapping) -> (Vec<String>, BTreeMap<&'static str, usize>) {
    let row = &head[idx].1;
    let above = idx.checked_sub(1).map(|i| &head[i].1);
    let headers: Vec<String> = row
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let t = c.to_text();
            if t.trim().is_empty() { above.and_then(|a| a.get(i)).map(Cell::to_text).unwrap_or_default() } else { t }
        })
        .collect();
    let cols = mapping.match_headers(&headers);
    (headers, cols)
}

/// 16 bytes of BLAKE3 per seen key: the dedupe sets cost ~32 bytes per row however long
/// the ids are (16M rows ≈ 0.5 GB), and a collision is as likely as guessing a 128-bit key.
fn key128(a: &str, b: &[u8]) -> u128 {
    let mut h = blake3::Hasher::new();
    h.update(&(a.len() as u64).to_le_bytes()).update(a.as_bytes()).update(b);
    let mut out = [0u8; 16];
    out.copy_from_slice(&h.finalize().as_bytes()[..16]);
    u128::from_le_bytes(out)
}

fn case_key(source: &str, case_id: &str) -> u128 {
    key128(source, case_id.as_bytes())
}

fn reject_key(file_hash: &str, row: i64) -> u128 {
    key128(file_hash, &row.to_le_bytes())
}

fn existing_reject_keys(wh: &Warehouse) -> Result<FxHashSet<u128>> {
    let mut out = FxHashSet::default();
    for b in crate::warehouse::read_table_columns(wh, table::REJECTS, Some(&[rejects::FILE_HASH, rejects::ROW]))? {
        let h = b.column_by_name(rejects::FILE_HASH).expect("projected").as_string::<i32>();
        let r = b.column_by_name(rejects::ROW).expect("projected").as_primitive::<arrow::datatypes::Int64Type>();
        for i in 0..b.num_rows() {
            if !r.is_null(i) {
                out.insert(reject_key(h.value(i), r.value(i)));
            }
        }
    }
    Ok(out)
}

/// The named columns of any export (xlsx, csv, jsonl), for labelled training files and
/// truth files: the first sheet and header row (within the first rows) that has them all.
/// Blank rows are skipped; cells are cleaned text.
pub fn read_columns(path: &Path, columns: &[&str]) -> Result<Vec<Vec<String>>> {
    let (_, tables) = open_tables(path, &IngestOptions::default())?;
    let want: Vec<String> = columns.iter().map(|c| mapping::normalize_header(c)).collect();
    let mut first_rows = vec![];
    for mut table in tables {
        let (head, _) = head_of(&mut table)?;
        for (h, (_, cells)) in head.iter().enumerate() {
            let headers: Vec<String> = cells.iter().map(|c| mapping::normalize_header(&c.to_text())).collect();
            let Some(idx) = want.iter().map(|w| headers.iter().position(|x| x == w)).collect::<Option<Vec<usize>>>()
            else {
                continue;
            };
            let rest = table.rows.filter_map(|i| match i {
                Ok(Item::Row(_, c)) => Some(Ok(c)),
                Ok(Item::Bad(_)) => None,
                Err(e) => Some(Err(e)),
            });
            let mut out = vec![];
            for cells in head[h + 1..].iter().map(|(_, c)| Ok(c.clone())).chain(rest) {
                let cells = cells?;
                if cells.iter().all(Cell::is_empty) {
                    continue;
                }
                out.push(
                    idx.iter()
                        .map(|&i| cells.get(i).map(|c| crate::normalize::clean_text(&c.to_text())).unwrap_or_default())
                        .collect(),
                );
            }
            return Ok(out);
        }
        first_rows.extend(head.first().into_iter().flat_map(|(_, c)| c.iter().map(Cell::to_text)));
    }
    first_rows.truncate(15);
    Err(Error::input(
        path,
        format!("no header row with all of {} (first row: {})", columns.join(", "), first_rows.join(", ")),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oversized_input_is_a_clear_error_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("big.csv");
        std::fs::write(&file, "信访件编号,登记时间,主要诉求\nX1,2026-01-02,内容\n").unwrap();
        let wh = Warehouse::open(&dir.path().join("wh")).unwrap();
        let opts = IngestOptions { max_file_bytes: 16, ..Default::default() };
        let err = ingest(&wh, &[file.clone()], &opts, &PersonKey::from_secret(b"k")).unwrap_err().to_string();
        assert!(err.contains("over the 16-byte limit") && err.contains("split it"), "{err}");
        assert!(wh.tables().unwrap().is_empty());
        // within the limit the same file goes in
        let rep = ingest(&wh, &[file], &IngestOptions::default(), &PersonKey::from_secret(b"k")).unwrap();
        assert_eq!((rep.total(|f| f.added), rep.files[0].source.as_str()), (1, "petition"));
    }
}
