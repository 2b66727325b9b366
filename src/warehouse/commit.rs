//! Commit records and crash recovery (see the module docs of `warehouse`).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use arrow::record_batch::RecordBatch;
use serde::{Deserialize, Serialize};

use super::parquet_io::ParquetPart;
use super::{Warehouse, atomic_write, delta, sync_dir, write_parquet};
use crate::{Error, Result};

/// Commits begun and not yet in every table's Delta log (normally empty).
pub(super) const PENDING: &str = "_pending";
/// In `_pending/`: an erasure committed and its vacuum not yet run.
pub(super) const VACUUM_OWED: &str = "vacuum-owed";
/// Where a warehouse of minqing before the Delta log kept its commit records.
const LEGACY: &str = "_commits";

/// How a batch changes one table. `rows` counts every row the change writes; a part split
/// into several files (`part-000012.parquet`, `part-000012_000002.parquet`, …) lists the files
/// after the first in `more`, each with its rows.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum TableChange {
    /// Adds one part; rows already there stay.
    Append {
        part: String,
        rows: u64,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        more: Vec<(String, u64)>,
    },
    /// The table becomes exactly this part (a stage that recomputes its whole output).
    Replace {
        part: String,
        rows: u64,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        more: Vec<(String, u64)>,
    },
    /// The named files go and one part comes, holding their rows that stay and the new ones
    /// (copy-on-write of the files a change touches; the other files stay as they are).
    Rewrite {
        removed: Vec<String>,
        part: String,
        rows: u64,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        more: Vec<(String, u64)>,
    },
    /// The table goes, its folder with every file and its log (`--no-pii` on a warehouse
    /// that has `persons`: personal data must leave the disk, not only the current version).
    Drop,
}

/// A batch of changes to several tables, committed together: its record sits in `_pending/`
/// from the moment it is decided until every table's Delta log has it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Commit {
    pub seq: u64,
    pub command: String,
    pub tables: BTreeMap<String, TableChange>,
    /// Free-form facts about the batch (input files and hashes, row reconciliation).
    #[serde(default)]
    pub info: serde_json::Value,
    /// When it was committed (UTC, RFC 3339); absent in records of older versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
}

pub(super) fn is_part_name(name: &str) -> bool {
    name.starts_with("part-") && name.ends_with(".parquet")
}

fn part_name(seq: u64) -> String {
    format!("part-{seq:06}.parquet")
}

fn tmp_part(dir: &Path, part: &str) -> PathBuf {
    dir.join(format!(".{part}.tmp"))
}

/// Close a part: its rows over every file, and the files after the first by their names
/// once in place (`.part-000012_000002.parquet.tmp` → `part-000012_000002.parquet`).
fn finish_part(part: ParquetPart) -> Result<(u64, Vec<(String, u64)>)> {
    let files = part.finish_files()?;
    let rows = files.iter().map(|f| f.1).sum();
    let more = files
        .iter()
        .skip(1)
        .map(|(p, n)| {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            (name.trim_start_matches('.').trim_end_matches(".tmp").to_string(), *n)
        })
        .collect();
    Ok((rows, more))
}

/// Changes staged for one commit.
pub struct Transaction<'w> {
    wh: &'w Warehouse,
    seq: u64,
    tables: BTreeMap<String, TableChange>,
    /// Tables a part writer was handed out for (their temp parts go if no commit comes).
    writing: Vec<String>,
    done: bool,
}

impl<'w> Transaction<'w> {
    pub(super) fn new(wh: &'w Warehouse, seq: u64) -> Self {
        Transaction { wh, seq, tables: BTreeMap::new(), writing: vec![], done: false }
    }

    /// The sequence number this transaction commits as.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// Stage rows to add to `table`. Empty input stages nothing.
    pub fn append(&mut self, table: &str, batches: &[RecordBatch]) -> Result<()> {
        let rows = self.stage(table, batches)?;
        if let Some(rows) = rows {
            self.tables.insert(table.into(), TableChange::Append { part: part_name(self.seq), rows, more: vec![] });
        }
        Ok(())
    }

    /// Stage the whole new content of `table` (written even when empty).
    pub fn replace(&mut self, table: &str, batches: &[RecordBatch]) -> Result<()> {
        let rows = self.stage_always(table, batches)?;
        self.tables.insert(table.into(), TableChange::Replace { part: part_name(self.seq), rows, more: vec![] });
        Ok(())
    }

    /// A writer for the whole new content of `table`, for output too large to hold:
    /// write batches to it, then hand it back with `replace_with`.
    pub fn part_writer(&mut self, table: &str) -> Result<ParquetPart> {
        let dir = self.wh.table_dir(table);
        fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        self.writing.push(table.to_string());
        let part = ParquetPart::create(&tmp_part(&dir, &part_name(self.seq)), crate::schema::schema_of(table)?)?;
        // the tables later changes update in place come in files of bounded size
        Ok(if super::UPDATED_IN_PLACE.contains(&table) { part.split_every(super::part_rows()) } else { part })
    }

    /// Stage what a `part_writer` wrote as the whole new content of `table`.
    pub fn replace_with(&mut self, table: &str, part: ParquetPart) -> Result<()> {
        let (rows, more) = finish_part(part)?;
        self.tables.insert(table.into(), TableChange::Replace { part: part_name(self.seq), rows, more });
        Ok(())
    }

    /// Stage what a `part_writer` wrote as the new content of the files `removed` (names
    /// of the table's current files): they go, the part comes, the other files stay.
    pub fn rewrite_with(&mut self, table: &str, removed: Vec<String>, part: ParquetPart) -> Result<()> {
        let (rows, more) = finish_part(part)?;
        self.tables.insert(table.into(), TableChange::Rewrite { removed, part: part_name(self.seq), rows, more });
        Ok(())
    }

    /// Stage the removal of the whole table, folder and log.
    pub fn drop_table(&mut self, table: &str) {
        self.tables.insert(table.into(), TableChange::Drop);
    }

    /// Stage what a `part_writer` wrote as rows to add to `table` (nothing when it is empty).
    pub fn append_with(&mut self, table: &str, part: ParquetPart) -> Result<()> {
        let path = part.path().to_path_buf();
        let (rows, more) = finish_part(part)?;
        if rows == 0 {
            fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
        } else {
            self.tables.insert(table.into(), TableChange::Append { part: part_name(self.seq), rows, more });
        }
        Ok(())
    }

    fn stage(&mut self, table: &str, batches: &[RecordBatch]) -> Result<Option<u64>> {
        if batches.iter().all(|b| b.num_rows() == 0) {
            return Ok(None);
        }
        self.stage_always(table, batches).map(Some)
    }

    fn stage_always(&mut self, table: &str, batches: &[RecordBatch]) -> Result<u64> {
        let dir = self.wh.table_dir(table);
        fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        let schema = crate::schema::schema_of(table)?;
        let tmp = tmp_part(&dir, &part_name(self.seq));
        write_parquet(&tmp, schema, batches)
    }

    /// Make the staged changes durable and visible: the pending record first (the point
    /// after which the batch happens, whatever stops the process), then one Delta commit
    /// per table, then the record goes.
    pub fn commit(mut self, command: &str, info: serde_json::Value) -> Result<Commit> {
        let commit = Commit {
            seq: self.seq,
            command: command.into(),
            tables: std::mem::take(&mut self.tables),
            info,
            at: Some(chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        };
        if !commit.tables.is_empty() {
            let path = self.wh.root().join(PENDING).join(format!("{:06}.json", commit.seq));
            let json = serde_json::to_vec_pretty(&commit).expect("commit record serializes");
            atomic_write(&path, &json)?;
            // from here the batch happens: if applying it fails, the next open finishes it,
            // so its temp parts must stay
            self.done = true;
            apply(self.wh.root(), &commit)?;
            fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
        }
        self.done = true;
        Ok(commit)
    }
}

impl Drop for Transaction<'_> {
    fn drop(&mut self) {
        self.wh.release_seq(self.seq);
        if !self.done {
            // the part and the files it was split into: `.part-000012.parquet.tmp`, `.part-000012_000002…`
            let prefix = format!(".part-{:06}", self.seq);
            for table in self.tables.keys().chain(&self.writing) {
                let Ok(rd) = fs::read_dir(self.wh.table_dir(table)) else { continue };
                for e in rd.filter_map(|e| e.ok()) {
                    let name = e.file_name().to_string_lossy().into_owned();
                    if name.starts_with(&prefix) && name.ends_with(".tmp") {
                        let _ = fs::remove_file(e.path());
                    }
                }
            }
        }
    }
}

/// Vacuum every table (see [`Warehouse::vacuum`]).
pub(super) fn vacuum_all(root: &Path, keep: chrono::Duration) -> Result<usize> {
    let mut n = 0;
    for t in crate::schema::table::ALL {
        n += delta::block_on(delta::vacuum(&root.join(t), keep))?;
    }
    Ok(n)
}

/// The newest minqing commit number in any table's Delta log or pending record.
pub(super) fn last_commit(root: &Path) -> Result<Option<u64>> {
    let mut last = read_pending(root)?.last().map(|c| c.seq);
    for t in crate::schema::table::ALL {
        last = last.max(table_commit(root, t)?);
    }
    Ok(last)
}

/// The newest minqing commit that, with every commit before it, had finished by `at_ms`
/// (milliseconds since the epoch). Two stages side by side can finish out of order; reading
/// up to the later-numbered one alone would show the earlier one's tables before they were
/// written, a state that never was.
pub(super) fn commit_at(root: &Path, at_ms: i64) -> Result<Option<u64>> {
    Ok(logged_commits(root)?.into_iter().take_while(|(_, (_, t))| *t <= at_ms).map(|(seq, _)| seq).last())
}

/// Every minqing commit in the tables' Delta logs, with each table's change, and when it
/// finished: when the last of its tables' log entries was written (the time `history`
/// shows and `--version TIME` compares with).
fn logged_commits(root: &Path) -> Result<BTreeMap<u64, (Commit, i64)>> {
    let mut commits: BTreeMap<u64, (Commit, i64)> = BTreeMap::new();
    for t in crate::schema::table::ALL {
        for e in delta::block_on(delta::entries(&root.join(t)))? {
            let (c, finished) = commits.entry(e.seq).or_insert_with(|| {
                let c = Commit {
                    seq: e.seq,
                    command: e.command.clone(),
                    tables: BTreeMap::new(),
                    info: e.info.clone(),
                    at: None,
                };
                (c, e.at_ms)
            });
            *finished = (*finished).max(e.at_ms);
            if let Some(change) = e.change {
                c.tables.insert((*t).to_string(), change);
            }
        }
    }
    for (c, finished) in commits.values_mut() {
        c.at = chrono::DateTime::from_timestamp_millis(*finished)
            .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
    }
    Ok(commits)
}

/// The minqing commit number of a table's current version (`None`: never written).
pub(super) fn table_commit(root: &Path, table: &str) -> Result<Option<u64>> {
    let dir = root.join(table);
    delta::block_on(async {
        match delta::load(&dir, None).await? {
            Some(t) => delta::commit_number(&dir, &t).await,
            None => Ok(None),
        }
    })
}

/// The commits, newest first, that changed `table` (all when `None`), as lines to read:
/// time, command, each table's change, and for an ingest each input with its hash and what
/// it added, updated or left unchanged. Read from the tables' Delta logs.
pub fn history(wh: &Warehouse, table: Option<&str>) -> Result<String> {
    use std::fmt::Write;
    if let Some(t) = table {
        crate::schema::schema_of(t)?;
    }
    let commits: BTreeMap<u64, Commit> = logged_commits(wh.root())?.into_iter().map(|(s, (c, _))| (s, c)).collect();
    let mut out = String::new();
    for c in commits.values().rev() {
        if table.is_some_and(|t| !c.tables.contains_key(t)) {
            continue;
        }
        let _ =
            writeln!(out, "commit {:>4}  {}  {}", c.seq, c.at.as_deref().unwrap_or("(time not recorded)"), c.command);
        for (t, change) in &c.tables {
            let what = match change {
                TableChange::Append { rows, .. } => format!("+{rows} rows"),
                TableChange::Replace { rows, .. } => format!("rewritten, {rows} rows"),
                // only rows superseded within the commit itself: nothing stored was touched
                TableChange::Rewrite { removed, rows, .. } if removed.is_empty() => format!("+{rows} rows"),
                TableChange::Rewrite { removed, rows, more, .. } if more.is_empty() => {
                    format!("{} files rewritten into one of {rows} rows", removed.len())
                }
                TableChange::Rewrite { removed, rows, more, .. } => {
                    format!("{} files rewritten into {} of {rows} rows", removed.len(), more.len() + 1)
                }
                TableChange::Drop => "dropped".into(),
            };
            let _ = writeln!(out, "  {t:<16} {what}");
        }
        for f in c.info.get("files").and_then(|f| f.as_array()).into_iter().flatten() {
            let n = |k: &str| f.get(k).and_then(|v| v.as_u64()).unwrap_or(0);
            let s = |k: &str| f.get(k).and_then(|v| v.as_str()).unwrap_or("");
            let _ = writeln!(
                out,
                "  input {} ({}, blake3 {}): read {}, added {}, updated {}, unchanged {}, rejected {}",
                s("file"),
                s("source"),
                s("hash"),
                n("rows_read"),
                n("added"),
                n("updated"),
                n("unchanged"),
                n("rejected")
            );
        }
    }
    if out.is_empty() {
        out = match table {
            Some(t) => format!("no commit changed `{t}`\n"),
            None => "no commits yet\n".into(),
        };
    }
    Ok(out)
}

/// Records of commits that were begun and not yet committed to every table, oldest first.
fn read_pending(root: &Path) -> Result<Vec<Commit>> {
    read_records(&root.join(PENDING))
}

fn read_records(dir: &Path) -> Result<Vec<Commit>> {
    let mut out = vec![];
    let rd = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(Error::io(dir, e)),
    };
    for e in rd.filter_map(|e| e.ok()) {
        let p = e.path();
        let is_record = p.extension().is_some_and(|x| x == "json")
            && !p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.'));
        if !is_record {
            continue;
        }
        // a stage committing beside this one may have finished and removed its record
        let bytes = match fs::read(&p) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(Error::io(&p, e)),
        };
        let c: Commit = serde_json::from_slice(&bytes).map_err(|e| Error::Warehouse {
            path: p.clone(),
            reason: format!("commit record is damaged ({e}); restore it from backup or delete it and its parts"),
        })?;
        out.push(c);
    }
    out.sort_by_key(|c| c.seq);
    Ok(out)
}

/// Put a commit's parts in place and commit each table to its Delta log; idempotent.
fn apply(root: &Path, commit: &Commit) -> Result<()> {
    for (table, change) in &commit.tables {
        let dir = root.join(table);
        if let TableChange::Drop = change {
            // renamed aside first (atomic), so a crash never leaves a log naming deleted files
            if dir.exists() {
                let gone = root.join(format!(".{table}.dropped-{}", commit.seq));
                fs::rename(&dir, &gone).map_err(|e| Error::io(&dir, e))?;
                fs::remove_dir_all(&gone).map_err(|e| Error::io(&gone, e))?;
            }
            continue;
        }
        let mut parts = vec![];
        if let TableChange::Append { part, rows, more }
        | TableChange::Replace { part, rows, more }
        | TableChange::Rewrite { part, rows, more, .. } = change
        {
            let first = rows - more.iter().map(|m| m.1).sum::<u64>();
            parts.push((part.clone(), first));
            parts.extend(more.iter().cloned());
            let mut renamed = false;
            for (part, _) in &parts {
                let tmp = tmp_part(&dir, part);
                if tmp.exists() {
                    fs::rename(&tmp, dir.join(part)).map_err(|e| Error::io(dir.join(part), e))?;
                    renamed = true;
                }
            }
            if renamed {
                sync_dir(&dir);
            }
        }
        fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        delta::block_on(delta::commit_table(&dir, table, change, &parts, commit.seq, &commit.command, &commit.info))?;
    }
    Ok(())
}

/// Finish begun commits, drop uncommitted temp parts and temp files, and turn the tables of
/// a warehouse written before the Delta log (plain part files and `_commits/`) into Delta
/// tables.
pub(super) fn recover(root: &Path) -> Result<()> {
    legacy_roll_forward(root)?;
    for c in read_pending(root)? {
        apply(root, &c)?;
        let path = root.join(PENDING).join(format!("{:06}.json", c.seq));
        fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
    }
    let owed = root.join(PENDING).join(VACUUM_OWED);
    if owed.exists() {
        tracing::info!("finishing an erasure: deleting every older version");
        vacuum_all(root, chrono::Duration::zero())?;
        fs::remove_file(&owed).map_err(|e| Error::io(&owed, e))?;
    }
    for table in crate::schema::table::ALL {
        let dir = root.join(table);
        let Ok(rd) = fs::read_dir(&dir) else { continue };
        for e in rd.filter_map(|e| e.ok()) {
            let name = e.file_name().to_string_lossy().to_string();
            if name.starts_with('.') && name.contains(".tmp") {
                tracing::info!("removing unfinished write {}", e.path().display());
                fs::remove_file(e.path()).map_err(|err| Error::io(e.path(), err))?;
            }
        }
    }
    if let Ok(rd) = fs::read_dir(root) {
        for e in rd.filter_map(|e| e.ok()) {
            let name = e.file_name().to_string_lossy().to_string();
            if name.starts_with('.') && name.contains(".dropped-") {
                fs::remove_dir_all(e.path()).map_err(|err| Error::io(e.path(), err))?;
            }
        }
    }
    for d in [PENDING, LEGACY] {
        if let Ok(rd) = fs::read_dir(root.join(d)) {
            for e in rd.filter_map(|e| e.ok()) {
                if e.file_name().to_string_lossy().starts_with('.') {
                    let _ = fs::remove_file(e.path());
                }
            }
        }
    }
    convert_legacy(root)
}

/// An older minqing's batches whose record exists but whose parts were not all put in place
/// (a crash during its commit): finish them as it would have (rename the temp parts, remove
/// the parts a replace or drop superseded), before temp files are cleaned up and the tables
/// converted.
fn legacy_roll_forward(root: &Path) -> Result<()> {
    for c in read_records(&root.join(LEGACY))? {
        for (table, change) in &c.tables {
            let dir = root.join(table);
            let part = match change {
                TableChange::Append { part, .. } | TableChange::Replace { part, .. } => {
                    let tmp = tmp_part(&dir, part);
                    if tmp.exists() {
                        fs::rename(&tmp, dir.join(part)).map_err(|e| Error::io(&tmp, e))?;
                    }
                    part.clone()
                }
                TableChange::Drop | TableChange::Rewrite { .. } => part_name(c.seq),
            };
            if matches!(change, TableChange::Append { .. }) {
                continue;
            }
            let Ok(rd) = fs::read_dir(&dir) else { continue };
            for e in rd.filter_map(|e| e.ok()) {
                let name = e.file_name().to_string_lossy().to_string();
                if is_part_name(&name) && name < part {
                    fs::remove_file(e.path()).map_err(|err| Error::io(e.path(), err))?;
                }
            }
        }
    }
    Ok(())
}

/// A warehouse of an older minqing: every table folder holds its committed `part-*.parquet`
/// files (older parts already removed by the commit that replaced them) and `_commits/`
/// holds the records. Each table becomes a Delta table with those parts, at the number of
/// the last record; the records move to `_commits.pre-delta/`.
fn convert_legacy(root: &Path) -> Result<()> {
    let legacy = root.join(LEGACY);
    if !legacy.is_dir() {
        return Ok(());
    }
    let records = read_records(&legacy)?;
    let seq = records.last().map_or(1, |c| c.seq);
    for table in crate::schema::table::ALL {
        let dir = root.join(table);
        // a table whose log already has this number was converted (a crash can come
        // between creating its log and committing its parts)
        if table_commit(root, table)?.is_some_and(|n| n >= seq) {
            continue;
        }
        let Ok(rd) = fs::read_dir(&dir) else { continue };
        let mut names: Vec<String> = rd
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().to_string())
            .filter(|n| is_part_name(n))
            .collect();
        names.sort();
        let mut parts = vec![];
        for n in names {
            let path = dir.join(&n);
            let file = fs::File::open(&path).map_err(|e| Error::io(&path, e))?;
            let rows = parquet::file::reader::FileReader::metadata(
                &parquet::file::serialized_reader::SerializedFileReader::new(file)?,
            )
            .file_metadata()
            .num_rows();
            parts.push((n, rows as u64));
        }
        let rows = parts.iter().map(|p| p.1).sum();
        let change = TableChange::Replace { part: String::new(), rows, more: vec![] };
        tracing::info!("{table}: {} parts of an older minqing committed to a Delta log", parts.len());
        delta::block_on(delta::commit_table(
            &dir,
            table,
            &change,
            &parts,
            seq,
            "convert to Delta Lake",
            &serde_json::Value::Null,
        ))?;
    }
    let moved = root.join(format!("{LEGACY}.pre-delta"));
    fs::rename(&legacy, &moved).map_err(|e| Error::io(&moved, e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{persons_schema, table};
    use arrow::array::StringArray;
    use std::sync::Arc;

    fn batch(n: usize) -> RecordBatch {
        let col = |p: &str| Arc::new((0..n).map(|i| Some(format!("{p}{i}"))).collect::<StringArray>()) as _;
        RecordBatch::try_new(
            persons_schema(),
            vec![col("k"), col("s"), col("c"), col("n"), col("i"), col("p"), col("a")],
        )
        .unwrap()
    }

    /// A commit record of `persons` in `dir` (`_pending/` or an older minqing's `_commits/`).
    fn record(dir: &Path, seq: u64, change: TableChange) {
        let rec = Commit {
            seq,
            command: "test".into(),
            tables: [(table::PERSONS.to_string(), change)].into(),
            info: serde_json::Value::Null,
            at: None,
        };
        fs::create_dir_all(dir).unwrap();
        fs::write(dir.join(format!("{seq:06}.json")), serde_json::to_vec(&rec).unwrap()).unwrap();
    }

    fn rows(wh: &Warehouse) -> usize {
        super::super::read_table(wh, table::PERSONS).unwrap().iter().map(|b| b.num_rows()).sum()
    }

    #[test]
    fn commits_append_and_replace() {
        let dir = tempfile::tempdir().unwrap();
        let wh = Warehouse::open(dir.path()).unwrap();
        let mut tx = wh.begin().unwrap();
        tx.append(table::PERSONS, &[batch(3)]).unwrap();
        tx.commit("test", serde_json::Value::Null).unwrap();
        let mut tx = wh.begin().unwrap();
        tx.append(table::PERSONS, &[batch(2)]).unwrap();
        tx.commit("test", serde_json::Value::Null).unwrap();
        assert_eq!(rows(&wh), 5);
        let mut tx = wh.begin().unwrap();
        tx.replace(table::PERSONS, &[batch(4)]).unwrap();
        tx.commit("test", serde_json::Value::Null).unwrap();
        assert_eq!(rows(&wh), 4);
        assert_eq!(wh.parts(table::PERSONS).unwrap().len(), 1);
    }

    /// Two transactions open at once (two stages side by side) get their own numbers and
    /// both land, in either order; the next one follows both.
    #[test]
    fn two_transactions_open_at_once_both_commit() {
        let dir = tempfile::tempdir().unwrap();
        let wh = Warehouse::open(dir.path()).unwrap();
        let (mut a, mut b) = (wh.begin().unwrap(), wh.begin().unwrap());
        assert_eq!((a.seq(), b.seq()), (1, 2));
        a.append(table::PERSONS, &[batch(3)]).unwrap();
        b.replace(table::PERSON_LINKS, &[RecordBatch::new_empty(crate::schema::person_links_schema())]).unwrap();
        b.commit("second", serde_json::Value::Null).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        let between = chrono::Utc::now().timestamp_millis();
        std::thread::sleep(std::time::Duration::from_millis(20));
        a.commit("first", serde_json::Value::Null).unwrap();
        assert_eq!(rows(&wh), 3);
        // between the two, commit 2 had landed and commit 1 had not: read by time, that is the
        // state before both (reading up to 2 would show 1's rows before they were written)
        assert_eq!(commit_at(dir.path(), between).unwrap(), None);
        assert_eq!(commit_at(dir.path(), chrono::Utc::now().timestamp_millis()).unwrap(), Some(2));
        assert_eq!(wh.last_commit_of(table::PERSONS).unwrap(), Some(1));
        assert_eq!(wh.last_commit_of(table::PERSON_LINKS).unwrap(), Some(2));
        assert_eq!(wh.begin().unwrap().seq(), 3);
        // a transaction dropped unused leaves no gap
        assert_eq!(wh.begin().unwrap().seq(), 3);
        // a new process numbers on from the logs
        drop(wh);
        assert_eq!(Warehouse::open(dir.path()).unwrap().begin().unwrap().seq(), 3);
    }

    /// A part split into files of 2 rows commits as three files of one version; rewriting
    /// one of them leaves the others; an abandoned split part leaves no temp file; a
    /// pending record of a split part is rolled forward whole.
    #[test]
    fn a_split_part_commits_as_several_files() {
        let dir = tempfile::tempdir().unwrap();
        let wh = Warehouse::open(dir.path()).unwrap();
        let mut tx = wh.begin().unwrap();
        let mut part = tx.part_writer(table::PERSONS).unwrap().split_every(2);
        part.write(&batch(3)).unwrap();
        part.write(&batch(2)).unwrap();
        tx.replace_with(table::PERSONS, part).unwrap();
        let c = tx.commit("test", serde_json::Value::Null).unwrap();
        assert_eq!(
            c.tables[table::PERSONS],
            TableChange::Replace {
                part: part_name(1),
                rows: 5,
                more: vec![("part-000001_000002.parquet".into(), 2), ("part-000001_000003.parquet".into(), 1)]
            }
        );
        let names = |wh: &Warehouse| -> Vec<String> {
            wh.parts(table::PERSONS)
                .unwrap()
                .iter()
                .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
                .collect()
        };
        assert_eq!(names(&wh), ["part-000001.parquet", "part-000001_000002.parquet", "part-000001_000003.parquet"]);
        assert_eq!(rows(&wh), 5);

        let mut tx = wh.begin().unwrap();
        let mut part = tx.part_writer(table::PERSONS).unwrap().split_every(3);
        part.write(&batch(4)).unwrap();
        tx.rewrite_with(table::PERSONS, vec!["part-000001_000002.parquet".into()], part).unwrap();
        tx.commit("test", serde_json::Value::Null).unwrap();
        assert_eq!(rows(&wh), 7);
        assert_eq!(
            names(&wh),
            ["part-000001.parquet", "part-000001_000003.parquet", "part-000002.parquet", "part-000002_000002.parquet"]
        );
        assert!(history(&wh, Some(table::PERSONS)).unwrap().contains("1 files rewritten into 2 of 4 rows"));

        {
            let mut tx = wh.begin().unwrap();
            let mut part = tx.part_writer(table::PERSONS).unwrap().split_every(1);
            part.write(&batch(3)).unwrap();
            drop(part);
            // dropped without commit
        }
        let tmp: Vec<_> = fs::read_dir(wh.table_dir(table::PERSONS))
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(tmp.is_empty(), "{tmp:?}");
        drop(wh);

        // a crash after the record of a split part was written, before its files were renamed
        let tdir = dir.path().join(table::PERSONS);
        write_parquet(&tmp_part(&tdir, &part_name(3)), persons_schema(), &[batch(1)]).unwrap();
        write_parquet(&tmp_part(&tdir, "part-000003_000002.parquet"), persons_schema(), &[batch(2)]).unwrap();
        record(
            &dir.path().join(PENDING),
            3,
            TableChange::Append { part: part_name(3), rows: 3, more: vec![("part-000003_000002.parquet".into(), 2)] },
        );
        let wh = Warehouse::open(dir.path()).unwrap();
        assert_eq!(rows(&wh), 10);
        assert!(names(&wh).ends_with(&["part-000003.parquet".to_string(), "part-000003_000002.parquet".to_string()]));
    }

    #[test]
    fn an_uncommitted_batch_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let wh = Warehouse::open(dir.path()).unwrap();
        {
            let mut tx = wh.begin().unwrap();
            tx.append(table::PERSONS, &[batch(3)]).unwrap();
            // dropped without commit, as when a later step fails
        }
        assert_eq!(rows(&wh), 0);
        assert_eq!(fs::read_dir(wh.table_dir(table::PERSONS)).unwrap().count(), 0);
    }

    #[test]
    fn recovery_rolls_committed_batches_forward_and_the_rest_back() {
        let dir = tempfile::tempdir().unwrap();
        {
            let wh = Warehouse::open(dir.path()).unwrap();
            let mut tx = wh.begin().unwrap();
            tx.append(table::PERSONS, &[batch(3)]).unwrap();
            tx.commit("test", serde_json::Value::Null).unwrap();
        }
        let tdir = dir.path().join(table::PERSONS);
        // a crash after the commit record was written but before the rename
        write_parquet(&tmp_part(&tdir, &part_name(2)), persons_schema(), &[batch(2)]).unwrap();
        record(&dir.path().join(PENDING), 2, TableChange::Append { part: part_name(2), rows: 2, more: vec![] });
        // and a crash while writing a part that never got its commit record
        write_parquet(&tmp_part(&tdir, &part_name(3)), persons_schema(), &[batch(7)]).unwrap();
        fs::write(tdir.join(".part-000004.parquet.tmp"), b"half a file").unwrap();
        // a lock left by a process that no longer runs
        fs::write(dir.path().join(".lock"), "4194303").unwrap();

        let wh = Warehouse::open(dir.path()).unwrap();
        assert_eq!(rows(&wh), 5);
        let names: Vec<String> = fs::read_dir(&tdir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into())
            .filter(|n: &String| n != "_delta_log")
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
        assert!(names.iter().all(|n| is_part_name(n)));
        assert!(fs::read_dir(dir.path().join(PENDING)).unwrap().next().is_none(), "the record goes once applied");
        // the next batch continues the sequence
        let tx = wh.begin().unwrap();
        assert_eq!(tx.seq, 3);
    }

    #[test]
    fn a_drop_replayed_on_open_keeps_what_later_commits_wrote() {
        // ingest, ingest --no-pii (drops persons), ingest again (persons written anew),
        // then any later open: the replayed drop once deleted the new rows
        let dir = tempfile::tempdir().unwrap();
        {
            let wh = Warehouse::open(dir.path()).unwrap();
            let mut tx = wh.begin().unwrap();
            tx.append(table::PERSONS, &[batch(3)]).unwrap();
            tx.commit("ingest", serde_json::Value::Null).unwrap();
            let mut tx = wh.begin().unwrap();
            tx.drop_table(table::PERSONS);
            tx.commit("ingest --no-pii", serde_json::Value::Null).unwrap();
            assert_eq!(rows(&wh), 0);
            let mut tx = wh.begin().unwrap();
            tx.append(table::PERSONS, &[batch(2)]).unwrap();
            tx.commit("ingest", serde_json::Value::Null).unwrap();
            assert_eq!(rows(&wh), 2);
        }
        for _ in 0..2 {
            let wh = Warehouse::open(dir.path()).unwrap();
            assert_eq!(rows(&wh), 2);
        }
    }

    #[test]
    fn a_warehouse_of_an_older_minqing_becomes_delta_tables() {
        let dir = tempfile::tempdir().unwrap();
        let tdir = dir.path().join(table::PERSONS);
        fs::create_dir_all(&tdir).unwrap();
        // the first part from a minqing that did not know `phone` yet
        let old = batch(3).project(&[0, 1, 2, 3, 4]).unwrap();
        write_parquet(&tdir.join(part_name(1)), old.schema(), &[old]).unwrap();
        write_parquet(&tdir.join(part_name(4)), persons_schema(), &[batch(2)]).unwrap();
        record(&dir.path().join(LEGACY), 4, TableChange::Append { part: part_name(4), rows: 2, more: vec![] });
        let wh = Warehouse::open(dir.path()).unwrap();
        assert_eq!(rows(&wh), 5);
        let phones = super::super::read_table_columns(&wh, table::PERSONS, Some(&["phone"])).unwrap();
        let nulls: usize = phones.iter().map(|b| b.column(0).null_count()).sum();
        assert_eq!(nulls, 3, "the old part's rows read as null phones");
        assert!(delta::is_table(&tdir));
        assert!(!dir.path().join(LEGACY).exists());
        assert_eq!(wh.begin().unwrap().seq, 5, "numbers go on from the old records");
    }

    #[test]
    fn an_older_minqing_s_unfinished_replace_is_finished_before_conversion() {
        let dir = tempfile::tempdir().unwrap();
        let tdir = dir.path().join(table::PERSONS);
        fs::create_dir_all(&tdir).unwrap();
        // part 1 committed; commit 2 replaced the table, its record written, its part not yet renamed
        write_parquet(&tdir.join(part_name(1)), persons_schema(), &[batch(3)]).unwrap();
        write_parquet(&tmp_part(&tdir, &part_name(2)), persons_schema(), &[batch(2)]).unwrap();
        record(&dir.path().join(LEGACY), 2, TableChange::Replace { part: part_name(2), rows: 2, more: vec![] });
        let wh = Warehouse::open(dir.path()).unwrap();
        assert_eq!(rows(&wh), 2, "the replace finished, not rolled back, and the old part gone");
    }

    #[test]
    fn an_erasure_stopped_before_its_vacuum_is_vacuumed_on_the_next_open() {
        let dir = tempfile::tempdir().unwrap();
        let tdir = dir.path().join(table::PERSONS);
        {
            let wh = Warehouse::open(dir.path()).unwrap();
            let mut tx = wh.begin().unwrap();
            tx.append(table::PERSONS, &[batch(3)]).unwrap();
            tx.commit("ingest", serde_json::Value::Null).unwrap();
            wh.owe_vacuum().unwrap();
            let mut tx = wh.begin().unwrap();
            tx.replace(table::PERSONS, &[batch(2)]).unwrap();
            tx.commit("forget", serde_json::Value::Null).unwrap();
            // stopped here: the replaced file, with the person in it, is still on disk
            assert!(tdir.join(part_name(1)).exists());
        }
        let wh = Warehouse::open(dir.path()).unwrap();
        assert!(!tdir.join(part_name(1)).exists(), "the owed vacuum ran on open");
        assert_eq!(rows(&wh), 2);
    }

    #[test]
    fn time_travel_reads_a_table_as_it_was_after_a_commit() {
        let dir = tempfile::tempdir().unwrap();
        let wh = Warehouse::open(dir.path()).unwrap();
        for (n, replace) in [(3, false), (2, false), (4, true)] {
            let mut tx = wh.begin().unwrap();
            if replace {
                tx.replace(table::PERSONS, &[batch(n)]).unwrap();
            } else {
                tx.append(table::PERSONS, &[batch(n)]).unwrap();
            }
            tx.commit("test", serde_json::Value::Null).unwrap();
        }
        let at = |seq| rows(&Warehouse::open_at(dir.path(), seq).unwrap());
        assert_eq!((at(1), at(2), at(3)), (3, 5, 4));
        assert!(Warehouse::open_at(dir.path(), 4).is_err());
        let h = history(&wh, Some(table::PERSONS)).unwrap();
        assert!(h.contains("commit    3") && h.contains("rewritten, 4 rows") && h.contains("+2 rows"), "{h}");
        // vacuum keeps what the current version reads, and time travel stops there
        assert_eq!(wh.vacuum(chrono::Duration::zero()).unwrap(), 2);
        assert_eq!(rows(&wh), 4);
        assert!(super::super::read_table(&Warehouse::open_at(dir.path(), 2).unwrap(), table::PERSONS).is_err());
    }

    #[test]
    fn one_writer_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let _wh = Warehouse::open(dir.path()).unwrap();
        let err = Warehouse::open(dir.path()).unwrap_err().to_string();
        assert!(err.contains("another minqing process"), "{err}");
    }
}
