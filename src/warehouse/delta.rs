//! Each table folder is a Delta Lake table: minqing writes the Parquet files itself (streamed,
//! as before) and commits them to the table's `_delta_log` with the `deltalake` crate, so
//! polars `read_delta`, Python `deltalake`, DuckDB `delta_scan` and Spark read the warehouse
//! as it is. Every commit carries a Delta application transaction (`txn`, app id `minqing`)
//! whose version is the minqing commit number: replaying a commit is a no-op, and the number
//! ties the tables of one batch together in `history`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use deltalake::kernel::engine::arrow_conversion::TryIntoKernel;
use deltalake::kernel::transaction::{CommitBuilder, CommitProperties};
use deltalake::kernel::{Action, Add, MetadataExt, Remove, StructType, Transaction as Txn};
use deltalake::operations::vacuum::VacuumMode;
use deltalake::protocol::{DeltaOperation, SaveMode};
use deltalake::{DeltaTable, DeltaTableBuilder, TableProperty};
use futures::TryStreamExt;
use serde_json::json;

use super::commit::TableChange;
use crate::{Error, Result};

/// The Delta application id of minqing's commits.
pub(super) const APP_ID: &str = "minqing";
const LOG: &str = "_delta_log";

/// Run `f` to completion on a runtime of its own, on a thread of its own: the callers are
/// synchronous stages, some of them called from inside another runtime.
pub(super) fn block_on<T: Send>(f: impl Future<Output = T> + Send) -> T {
    std::thread::scope(|s| {
        s.spawn(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a tokio runtime starts")
                .block_on(f)
        })
        .join()
        .expect("the Delta log thread does not panic")
    })
}

fn delta_err(dir: &Path, e: impl std::fmt::Display) -> Error {
    Error::Warehouse { path: dir.to_path_buf(), reason: format!("Delta log: {e}") }
}

pub(super) fn is_table(dir: &Path) -> bool {
    dir.join(LOG).is_dir()
}

fn url(dir: &Path) -> Result<url::Url> {
    let abs = std::path::absolute(dir).map_err(|e| Error::io(dir, e))?;
    url::Url::from_directory_path(&abs).map_err(|()| delta_err(dir, "the folder cannot be named as a file:// URL"))
}

/// The table at its latest version, or at the Delta `version`; `None` when the folder is not
/// a Delta table (no commit has written it).
pub(super) async fn load(dir: &Path, version: Option<u64>) -> Result<Option<DeltaTable>> {
    if !is_table(dir) {
        return Ok(None);
    }
    let mut b = DeltaTableBuilder::from_url(url(dir)?).map_err(|e| delta_err(dir, e))?;
    if let Some(v) = version {
        b = b.with_version(v);
    }
    b.load().await.map(Some).map_err(|e| delta_err(dir, e))
}

/// The data files of the table's snapshot, sorted by name (parts are named by commit number,
/// so this is commit order).
pub(super) fn files_of(dir: &Path, table: &DeltaTable) -> Result<Vec<PathBuf>> {
    let snap = table.snapshot().map_err(|e| delta_err(dir, e))?;
    let mut out: Vec<PathBuf> = snap.log_data().into_iter().map(|f| dir.join(f.path().as_ref())).collect();
    out.sort();
    Ok(out)
}

/// The minqing commit number of the table's snapshot (its `txn` version).
pub(super) async fn commit_number(dir: &Path, table: &DeltaTable) -> Result<Option<u64>> {
    let snap = table.snapshot().map_err(|e| delta_err(dir, e))?;
    let v = snap.transaction_version(table.log_store().as_ref(), APP_ID).await.map_err(|e| delta_err(dir, e))?;
    Ok(v.and_then(|v| u64::try_from(v).ok()))
}

/// The Delta version of the table as it was after minqing commit `seq` (the newest version
/// whose commit number is at most `seq`); `None` when the table did not exist yet.
pub(super) async fn version_at(dir: &Path, seq: u64) -> Result<Option<u64>> {
    let Some(latest) = load(dir, None).await? else { return Ok(None) };
    let mut v = latest.version().unwrap_or(0);
    loop {
        let t = if Some(v) == latest.version() { None } else { load(dir, Some(v)).await? };
        let t = t.as_ref().unwrap_or(&latest);
        match commit_number(dir, t).await? {
            Some(n) if n <= seq => return Ok(Some(v)),
            // the empty table a first commit creates has no number yet: it did not exist
            None => return Ok(None),
            _ if v == 0 => return Ok(None),
            _ => v -= 1,
        }
    }
}

/// What one minqing commit did to one table, as `history` reads it back.
pub(super) struct Entry {
    pub seq: u64,
    pub at_ms: i64,
    pub command: String,
    pub change: Option<TableChange>,
    pub info: serde_json::Value,
}

/// The minqing commits in a table's Delta log, newest first.
pub(super) async fn entries(dir: &Path) -> Result<Vec<Entry>> {
    let Some(t) = load(dir, None).await? else { return Ok(vec![]) };
    let infos: Vec<_> = t.history(None).try_collect().await.map_err(|e| delta_err(dir, e))?;
    let mut out = vec![];
    for ci in infos {
        let Some(seq) = ci.info.get("minqing.commit").and_then(|v| v.as_u64()) else { continue };
        out.push(Entry {
            seq,
            at_ms: ci.timestamp.unwrap_or(0),
            command: ci.info.get("minqing.command").and_then(|v| v.as_str()).unwrap_or("").to_string(),
            change: ci.info.get("minqing.change").and_then(|v| serde_json::from_value(v.clone()).ok()),
            info: ci.info.get("minqing.info").cloned().unwrap_or(serde_json::Value::Null),
        });
    }
    out.sort_by_key(|e| std::cmp::Reverse(e.seq));
    Ok(out)
}

/// Commit minqing commit `seq`'s change of one table: add its new part (already in place),
/// remove every current file when it replaces the table, widen the table's schema
/// when this minqing knows more columns than the log does. A table already at `seq` is left
/// alone, so recovery can replay a commit; a table already past `seq` is an error.
pub(super) async fn commit_table(
    dir: &Path,
    table: &str,
    change: &TableChange,
    parts: &[(String, u64)],
    seq: u64,
    command: &str,
    info: &serde_json::Value,
) -> Result<()> {
    let arrow_schema = crate::schema::schema_of(table)?;
    let schema: StructType = arrow_schema.as_ref().try_into_kernel().map_err(|e| delta_err(dir, e))?;
    let t = match load(dir, None).await? {
        Some(t) => t,
        None => DeltaTable::try_from_url(url(dir)?)
            .await
            .map_err(|e| delta_err(dir, e))?
            .create()
            .with_table_name(table)
            .with_columns(schema.fields().cloned())
            // no per-column min/max in the log: it would copy names and phones out of the
            // data files, where `forget` could not reach them
            .with_configuration_property(TableProperty::DataSkippingNumIndexedCols, Some("0"))
            .await
            .map_err(|e| delta_err(dir, e))?,
    };
    match commit_number(dir, &t).await? {
        // recovery replaying a commit that had reached this table
        Some(n) if n == seq => return Ok(()),
        // a later commit already wrote this table: applying this one now would put an older
        // state on top of a newer one (two stages side by side must write tables of their own)
        Some(n) if n > seq => {
            return Err(Error::Warehouse {
                path: dir.to_path_buf(),
                reason: format!(
                    "`{table}` already holds commit {n}, later than commit {seq} being written; two stages running side by side wrote the same table"
                ),
            });
        }
        _ => {}
    }
    let snap = t.snapshot().map_err(|e| delta_err(dir, e))?;
    let now = chrono::Utc::now().timestamp_millis();
    let mut actions = vec![];
    if *snap.schema() != schema {
        let widened = snap.metadata().clone().with_schema(&schema).map_err(|e| delta_err(dir, e))?;
        actions.push(Action::Metadata(widened));
    }
    let overwrite = matches!(change, TableChange::Replace { .. } | TableChange::Drop);
    let goes = |path: &str| match change {
        TableChange::Rewrite { removed, .. } => removed.iter().any(|r| r == path),
        _ => overwrite,
    };
    {
        for f in snap.log_data().into_iter().filter(|f| goes(f.path().as_ref())) {
            actions.push(Action::Remove(Remove {
                path: f.path().to_string(),
                data_change: true,
                deletion_timestamp: Some(now),
                extended_file_metadata: Some(true),
                partition_values: Some(HashMap::new()),
                size: Some(f.size()),
                ..Default::default()
            }));
        }
    }
    for (part, rows) in parts {
        let path = dir.join(part);
        let size = std::fs::metadata(&path).map_err(|e| Error::io(&path, e))?.len();
        actions.push(Action::Add(Add {
            path: part.clone(),
            partition_values: HashMap::new(),
            size: size as i64,
            modification_time: now,
            data_change: true,
            stats: Some(json!({ "numRecords": rows }).to_string()),
            ..Default::default()
        }));
    }
    let props = CommitProperties::default()
        .with_metadata([
            ("minqing.commit".to_string(), json!(seq)),
            ("minqing.command".to_string(), json!(command)),
            ("minqing.change".to_string(), serde_json::to_value(change).expect("a table change serializes")),
            ("minqing.info".to_string(), info.clone()),
        ])
        .with_application_transaction(Txn::new(APP_ID, seq as i64));
    let op = match change {
        TableChange::Rewrite { .. } => DeltaOperation::Update { predicate: None },
        _ => DeltaOperation::Write {
            mode: if overwrite { SaveMode::Overwrite } else { SaveMode::Append },
            partition_by: None,
            predicate: None,
        },
    };
    let done = CommitBuilder::from(props)
        .with_actions(actions)
        .build(Some(snap), t.log_store(), op)
        .await
        .map_err(|e| delta_err(dir, e))?;
    // the object store writes the log entry without fsync: make it durable before the
    // batch's pending record (which could replay it) goes
    let entry = dir.join(LOG).join(format!("{:020}.json", done.version()));
    if let Ok(f) = std::fs::File::open(&entry) {
        f.sync_all().map_err(|e| Error::io(&entry, e))?;
    }
    super::sync_dir(&dir.join(LOG));
    Ok(())
}

/// Delete the files of a table that no version newer than `keep` ago reads, and any file the
/// log never named; returns how many went.
pub(super) async fn vacuum(dir: &Path, keep: chrono::Duration) -> Result<usize> {
    let Some(t) = load(dir, None).await? else { return Ok(0) };
    let (_, m) = t
        .vacuum()
        .with_retention_period(keep)
        .with_enforce_retention_duration(false)
        .with_mode(VacuumMode::Full)
        .await
        .map_err(|e| delta_err(dir, e))?;
    Ok(m.files_deleted.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::table;

    #[test]
    fn a_table_of_an_older_minqing_gains_the_new_columns_on_its_next_commit() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join(table::PERSONS);
        std::fs::create_dir_all(&dir).unwrap();
        let full: StructType = crate::schema::persons_schema().as_ref().try_into_kernel().unwrap();
        // an older minqing's table: no `phone` column yet
        let old: Vec<_> = full.fields().filter(|f| f.name() != "phone").cloned().collect();
        block_on(async {
            DeltaTable::try_from_url(url(&dir).unwrap()).await.unwrap().create().with_columns(old).await.unwrap();
        });
        let schema =
            |dir: &Path| block_on(async { load(dir, None).await.unwrap().unwrap().snapshot().unwrap().schema() });
        assert!(schema(&dir).field("phone").is_none());
        let change = TableChange::Append { part: "part-000001.parquet".into(), rows: 0, more: vec![] };
        crate::warehouse::write_parquet(&dir.join("part-000001.parquet"), crate::schema::persons_schema(), &[])
            .unwrap();
        block_on(commit_table(
            &dir,
            table::PERSONS,
            &change,
            &[("part-000001.parquet".into(), 0)],
            1,
            "test",
            &serde_json::Value::Null,
        ))
        .unwrap();
        assert_eq!(*schema(&dir), full);
    }

    #[test]
    fn a_replayed_commit_is_skipped_and_an_older_one_after_a_newer_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join(table::PERSONS);
        std::fs::create_dir_all(&dir).unwrap();
        let commit = |seq: u64| {
            let part = format!("part-{seq:06}.parquet");
            crate::warehouse::write_parquet(&dir.join(&part), crate::schema::persons_schema(), &[]).unwrap();
            let change = TableChange::Append { part: part.clone(), rows: 0, more: vec![] };
            block_on(commit_table(&dir, table::PERSONS, &change, &[(part, 0)], seq, "test", &serde_json::Value::Null))
        };
        let version = || block_on(async { load(&dir, None).await.unwrap().unwrap().version() });
        commit(2).unwrap();
        let v = version();
        // recovery replaying commit 2: nothing new in the log
        commit(2).unwrap();
        assert_eq!(version(), v);
        // commit 1 landing after commit 2 on the same table
        let e = commit(1).unwrap_err().to_string();
        assert!(e.contains("already holds commit 2"), "{e}");
        assert_eq!(version(), v);
    }
}
