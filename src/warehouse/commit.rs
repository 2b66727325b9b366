//! Commit records and crash recovery (see the module docs of `warehouse`).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use arrow::record_batch::RecordBatch;
use serde::{Deserialize, Serialize};

use super::parquet_io::ParquetPart;
use super::{Warehouse, atomic_write, sync_dir, write_parquet};
use crate::{Error, Result};

pub(super) const COMMITS: &str = "_commits";

/// How a batch changes one table.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum TableChange {
    /// Adds one part; rows already there stay.
    Append { part: String, rows: u64 },
    /// The table becomes exactly this part (a stage that recomputes its whole output).
    Replace { part: String, rows: u64 },
    /// The table goes, every part of it (`--no-pii` on a warehouse that has `persons`).
    Drop,
}

impl TableChange {
    fn part(&self) -> Option<&str> {
        match self {
            TableChange::Append { part, .. } | TableChange::Replace { part, .. } => Some(part),
            TableChange::Drop => None,
        }
    }
}

/// The record that makes a batch durable; also the warehouse's history (`_commits/`).
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
    pub(super) fn new(wh: &'w Warehouse) -> Result<Self> {
        let seq = read_commits(wh.root())?.last().map_or(1, |c| c.seq + 1);
        Ok(Transaction { wh, seq, tables: BTreeMap::new(), writing: vec![], done: false })
    }

    /// The sequence number this transaction commits as.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// Stage rows to add to `table`. Empty input stages nothing.
    pub fn append(&mut self, table: &str, batches: &[RecordBatch]) -> Result<()> {
        let rows = self.stage(table, batches)?;
        if let Some(rows) = rows {
            self.tables.insert(table.into(), TableChange::Append { part: part_name(self.seq), rows });
        }
        Ok(())
    }

    /// Stage the whole new content of `table` (written even when empty).
    pub fn replace(&mut self, table: &str, batches: &[RecordBatch]) -> Result<()> {
        let rows = self.stage_always(table, batches)?;
        self.tables.insert(table.into(), TableChange::Replace { part: part_name(self.seq), rows });
        Ok(())
    }

    /// A writer for the whole new content of `table`, for output too large to hold:
    /// write batches to it, then hand it back with `replace_with`.
    pub fn part_writer(&mut self, table: &str) -> Result<ParquetPart> {
        let dir = self.wh.table_dir(table);
        fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        self.writing.push(table.to_string());
        ParquetPart::create(&tmp_part(&dir, &part_name(self.seq)), crate::schema::schema_of(table)?)
    }

    /// Stage what a `part_writer` wrote as the whole new content of `table`.
    pub fn replace_with(&mut self, table: &str, part: ParquetPart) -> Result<()> {
        let rows = part.finish()?;
        self.tables.insert(table.into(), TableChange::Replace { part: part_name(self.seq), rows });
        Ok(())
    }

    /// Stage the removal of the whole table.
    pub fn drop_table(&mut self, table: &str) {
        self.tables.insert(table.into(), TableChange::Drop);
    }

    /// Stage what a `part_writer` wrote as rows to add to `table` (nothing when it is empty).
    pub fn append_with(&mut self, table: &str, part: ParquetPart) -> Result<()> {
        let path = part.path().to_path_buf();
        let rows = part.finish()?;
        if rows == 0 {
            fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
        } else {
            self.tables.insert(table.into(), TableChange::Append { part: part_name(self.seq), rows });
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

    /// Make the staged changes durable and visible.
    pub fn commit(mut self, command: &str, info: serde_json::Value) -> Result<Commit> {
        let commit = Commit {
            seq: self.seq,
            command: command.into(),
            tables: std::mem::take(&mut self.tables),
            info,
            at: Some(chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        };
        if !commit.tables.is_empty() {
            let path = self.wh.root().join(COMMITS).join(format!("{:06}.json", commit.seq));
            let json = serde_json::to_vec_pretty(&commit).expect("commit record serializes");
            atomic_write(&path, &json)?;
            apply(self.wh.root(), &commit)?;
        }
        self.done = true;
        Ok(commit)
    }
}

impl Drop for Transaction<'_> {
    fn drop(&mut self) {
        if !self.done {
            let part = part_name(self.seq);
            for table in self.tables.keys().chain(&self.writing) {
                let _ = fs::remove_file(tmp_part(&self.wh.table_dir(table), &part));
            }
        }
    }
}

/// The commits, newest first, that changed `table` (all when `None`), as lines to read:
/// time, command, each table's change, and for an ingest each input with its hash and what
/// it added, updated or left unchanged.
pub fn history(wh: &Warehouse, table: Option<&str>) -> Result<String> {
    use std::fmt::Write;
    if let Some(t) = table {
        crate::schema::schema_of(t)?;
    }
    let mut out = String::new();
    for c in read_commits(wh.root())?.iter().rev() {
        if table.is_some_and(|t| !c.tables.contains_key(t)) {
            continue;
        }
        let _ =
            writeln!(out, "commit {:>4}  {}  {}", c.seq, c.at.as_deref().unwrap_or("(time not recorded)"), c.command);
        for (t, change) in &c.tables {
            let what = match change {
                TableChange::Append { rows, .. } => format!("+{rows} rows"),
                TableChange::Replace { rows, .. } => format!("rewritten, {rows} rows"),
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

/// All commit records, oldest first.
pub fn read_commits(root: &Path) -> Result<Vec<Commit>> {
    let dir = root.join(COMMITS);
    let mut out = vec![];
    let rd = match fs::read_dir(&dir) {
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
        let bytes = fs::read(&p).map_err(|e| Error::io(&p, e))?;
        let c: Commit = serde_json::from_slice(&bytes).map_err(|e| Error::Warehouse {
            path: p.clone(),
            reason: format!("commit record is damaged ({e}); restore it from backup or delete it and its parts"),
        })?;
        out.push(c);
    }
    out.sort_by_key(|c| c.seq);
    Ok(out)
}

/// Put a committed batch's parts in place; idempotent.
fn apply(root: &Path, commit: &Commit) -> Result<()> {
    for (table, change) in &commit.tables {
        let dir = root.join(table);
        let Some(part) = change.part() else {
            // Drop: every part older than this commit goes. Recovery replays every commit
            // on open, so parts a later commit wrote (persons written again after a
            // `--no-pii` run) must stay.
            remove_parts_before(&dir, &part_name(commit.seq))?;
            if fs::read_dir(&dir).is_ok_and(|mut rd| rd.next().is_none()) {
                fs::remove_dir(&dir).map_err(|e| Error::io(&dir, e))?;
            }
            continue;
        };
        let tmp = tmp_part(&dir, part);
        let dst = dir.join(part);
        if tmp.exists() {
            fs::rename(&tmp, &dst).map_err(|e| Error::io(&dst, e))?;
        }
        if let TableChange::Replace { .. } = change {
            // parts older than this commit are superseded
            remove_parts_before(&dir, part)?;
        }
        sync_dir(&dir);
    }
    Ok(())
}

/// Remove a table's parts named before `part` (parts are named by commit sequence).
fn remove_parts_before(dir: &Path, part: &str) -> Result<()> {
    let rd = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io(dir, e)),
    };
    for e in rd.filter_map(|e| e.ok()) {
        let name = e.file_name().to_string_lossy().to_string();
        if is_part_name(&name) && name.as_str() < part {
            fs::remove_file(e.path()).map_err(|e| Error::io(dir, e))?;
        }
    }
    sync_dir(dir);
    Ok(())
}

/// Finish committed batches and drop uncommitted temp parts and temp files.
pub(super) fn recover(root: &Path) -> Result<()> {
    let commits = read_commits(root)?;
    for c in &commits {
        apply(root, c)?;
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
    let commits_dir = root.join(COMMITS);
    if let Ok(rd) = fs::read_dir(&commits_dir) {
        for e in rd.filter_map(|e| e.ok()) {
            if e.file_name().to_string_lossy().starts_with('.') {
                let _ = fs::remove_file(e.path());
            }
        }
    }
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
        RecordBatch::try_new(persons_schema(), vec![col("k"), col("s"), col("c"), col("n"), col("i"), col("p")])
            .unwrap()
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
        let rec = Commit {
            seq: 2,
            command: "test".into(),
            tables: [(table::PERSONS.to_string(), TableChange::Append { part: part_name(2), rows: 2 })].into(),
            info: serde_json::Value::Null,
            at: None,
        };
        fs::write(dir.path().join(COMMITS).join("000002.json"), serde_json::to_vec(&rec).unwrap()).unwrap();
        // and a crash while writing a part that never got its commit record
        write_parquet(&tmp_part(&tdir, &part_name(3)), persons_schema(), &[batch(7)]).unwrap();
        fs::write(tdir.join(".part-000004.parquet.tmp"), b"half a file").unwrap();
        // a lock left by a process that no longer runs
        fs::write(dir.path().join(".lock"), "4194303").unwrap();

        let wh = Warehouse::open(dir.path()).unwrap();
        assert_eq!(rows(&wh), 5);
        let names: Vec<String> =
            fs::read_dir(&tdir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into()).collect();
        assert_eq!(names.len(), 2, "{names:?}");
        assert!(names.iter().all(|n| is_part_name(n)));
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
    fn one_writer_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let _wh = Warehouse::open(dir.path()).unwrap();
        let err = Warehouse::open(dir.path()).unwrap_err().to_string();
        assert!(err.contains("another minqing process"), "{err}");
    }
}
