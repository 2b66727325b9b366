//! Ingest as a MERGE on (source, case_id): bureaus re-export their register every week with
//! 办结时间, 答复时间 and 满意度 filled in for cases that were open, so a stored case takes the
//! content of a newer export. A row is
//! - **added** when its (source, case_id) was never stored,
//! - **updated** when its content differs from the stored one and from every earlier
//!   version of that case (the stored row is replaced),
//! - **unchanged** when its content is the stored one or any earlier version: an old export
//!   sent again changes nothing.
//!
//! A version is the BLAKE3 of the case's content columns (all but `ingest_file` and
//! `ingest_row`, so the same row from another file is the same version); `case_versions`
//! keeps every version with the commit that stored it.

use std::path::PathBuf;
use std::sync::Arc;

use arrow::array::{ArrayRef, AsArray, BooleanArray, Int64Array, StringArray};
use arrow::compute::filter_record_batch;
use arrow::record_batch::RecordBatch;
use arrow::row::{RowConverter, SortField};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

use super::case_key;
use crate::schema::{case_versions, case_versions_schema, cases, table};
use crate::warehouse::{ParquetPart, Warehouse, read_parts, read_table_columns};
use crate::{Error, Result};

/// A new `case_versions` row: (source, case_id, version, ingest_file).
type VersionRow = (String, String, u128, String);

/// What ingest does with a parsed row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Added,
    Updated,
    Unchanged,
}

/// The versions already stored, and what this ingest changes.
#[derive(Debug, Default)]
pub struct Versions {
    /// (source, case_id) key → the current version.
    current: FxHashMap<u128, u128>,
    /// Every (key, version) ever stored.
    seen: FxHashSet<(u128, u128)>,
    /// Keys whose stored row this ingest replaces.
    pub updated: FxHashSet<u128>,
    /// Key → the version this ingest wrote last, and the versions it wrote and then replaced
    /// (a folder holding last week's export and this week's).
    written: FxHashMap<u128, u128>,
    superseded: FxHashSet<(u128, u128)>,
    /// New `case_versions` rows.
    new_rows: Vec<VersionRow>,
    /// An older warehouse without `case_versions`: its current versions are written too.
    bootstrap: Vec<VersionRow>,
}

impl Versions {
    /// The versions stored in the warehouse (computed from `cases` when an older warehouse
    /// has no `case_versions` yet).
    pub fn load(wh: &Warehouse) -> Result<Versions> {
        let mut v = Versions::default();
        if !wh.parts(table::CASE_VERSIONS)?.is_empty() {
            use case_versions::*;
            let batches = read_table_columns(wh, table::CASE_VERSIONS, Some(&[SOURCE, CASE_ID, ROW_HASH, COMMIT]))?;
            // keys and hashes worked out on all cores, then taken in the table's order
            let rows: Vec<Vec<(u128, u128, i64)>> = batches
                .par_iter()
                .map(|b| -> Result<Vec<(u128, u128, i64)>> {
                    let s = column(b, SOURCE)?.as_string::<i32>();
                    let id = column(b, CASE_ID)?.as_string::<i32>();
                    let h = column(b, ROW_HASH)?.as_string::<i32>();
                    let c = column(b, COMMIT)?.as_primitive::<arrow::datatypes::Int64Type>();
                    (0..b.num_rows())
                        .map(|i| {
                            let hash = u128::from_str_radix(h.value(i), 16).map_err(|_| {
                                Error::Schema(format!("case_versions.row_hash `{}` is not hex", h.value(i)))
                            })?;
                            Ok((case_key(s.value(i), id.value(i)), hash, c.value(i)))
                        })
                        .collect()
                })
                .collect::<Result<_>>()?;
            let n = rows.iter().map(Vec::len).sum();
            // every version seen, and each case's latest, built on a core each
            (v.seen, v.current) = rayon::join(
                || {
                    let mut seen = FxHashSet::with_capacity_and_hasher(n, Default::default());
                    seen.extend(rows.iter().flatten().map(|&(key, hash, _)| (key, hash)));
                    seen
                },
                || {
                    let mut latest: FxHashMap<u128, (i64, u128)> =
                        FxHashMap::with_capacity_and_hasher(n, Default::default());
                    for &(key, hash, commit) in rows.iter().flatten() {
                        let e = latest.entry(key).or_insert((commit, hash));
                        if commit >= e.0 {
                            *e = (commit, hash);
                        }
                    }
                    latest.into_iter().map(|(k, (_, h))| (k, h)).collect()
                },
            );
        } else {
            for b in read_table_columns(wh, table::CASES, None)? {
                let (s, id, file) = (
                    column(&b, cases::SOURCE)?.as_string::<i32>(),
                    column(&b, cases::CASE_ID)?.as_string::<i32>(),
                    column(&b, cases::INGEST_FILE)?.as_string::<i32>(),
                );
                for (i, hash) in content_hashes(&b)?.into_iter().enumerate() {
                    let key = case_key(s.value(i), id.value(i));
                    v.current.insert(key, hash);
                    v.seen.insert((key, hash));
                    v.bootstrap.push((s.value(i).into(), id.value(i).into(), hash, file.value(i).into()));
                }
            }
        }
        Ok(v)
    }

    /// Decide each row of a batch of parsed cases, in order; the mask keeps the rows to
    /// write (added or updated).
    pub fn merge(&mut self, batch: &RecordBatch) -> Result<(Vec<Change>, BooleanArray)> {
        let s = column(batch, cases::SOURCE)?.as_string::<i32>();
        let id = column(batch, cases::CASE_ID)?.as_string::<i32>();
        let file = column(batch, cases::INGEST_FILE)?.as_string::<i32>();
        let mut changes = Vec::with_capacity(batch.num_rows());
        for (i, hash) in content_hashes(batch)?.into_iter().enumerate() {
            let key = case_key(s.value(i), id.value(i));
            let change = match self.current.get(&key) {
                None => Change::Added,
                Some(_) if self.seen.contains(&(key, hash)) => Change::Unchanged,
                Some(_) => Change::Updated,
            };
            if change != Change::Unchanged {
                if change == Change::Updated {
                    self.updated.insert(key);
                }
                if let Some(before) = self.written.insert(key, hash) {
                    self.superseded.insert((key, before));
                }
                self.current.insert(key, hash);
                self.seen.insert((key, hash));
                self.new_rows.push((s.value(i).into(), id.value(i).into(), hash, file.value(i).into()));
            }
            changes.push(change);
        }
        let mask: BooleanArray = changes.iter().map(|c| Some(*c != Change::Unchanged)).collect();
        Ok((changes, mask))
    }

    /// Does the table's new part need rewriting: stored rows replaced, or rows this ingest
    /// wrote replaced by a later row of the same ingest?
    pub fn rewrites(&self) -> bool {
        !self.updated.is_empty() || !self.superseded.is_empty()
    }

    /// Is this row (of a batch this ingest wrote) one a later row replaced?
    fn is_superseded(&self, key: u128, hash: u128) -> bool {
        self.superseded.contains(&(key, hash))
    }

    /// The `case_versions` rows this ingest adds (every version it stored, and the current
    /// versions of an older warehouse seen for the first time), under commit `seq`.
    pub fn rows(&self, seq: u64) -> Result<Option<RecordBatch>> {
        let all: Vec<&VersionRow> = self.bootstrap.iter().chain(&self.new_rows).collect();
        if all.is_empty() {
            return Ok(None);
        }
        let col = |f: &dyn Fn(&VersionRow) -> String| -> ArrayRef {
            Arc::new(all.iter().map(|r| Some(f(r))).collect::<StringArray>())
        };
        Ok(Some(RecordBatch::try_new(
            case_versions_schema(),
            vec![
                col(&|r| r.0.clone()),
                col(&|r| r.1.clone()),
                col(&|r| format!("{:032x}", r.2)),
                Arc::new(Int64Array::from(vec![seq as i64; all.len()])),
                col(&|r| r.3.clone()),
            ],
        )?))
    }
}

fn column<'b>(b: &'b RecordBatch, name: &str) -> Result<&'b ArrayRef> {
    b.column_by_name(name).ok_or_else(|| Error::Schema(format!("column `{name}` is missing; the warehouse was edited")))
}

/// BLAKE3 (128 bits) of each row's content columns: every column but the ingest's file and row.
pub fn content_hashes(batch: &RecordBatch) -> Result<Vec<u128>> {
    let schema = batch.schema();
    let keep: Vec<usize> = (0..schema.fields().len())
        .filter(|&i| !matches!(schema.field(i).name().as_str(), cases::INGEST_FILE | cases::INGEST_ROW))
        .collect();
    let conv = RowConverter::new(keep.iter().map(|&i| SortField::new(schema.field(i).data_type().clone())).collect())?;
    let cols: Vec<ArrayRef> = keep.iter().map(|&i| batch.column(i).clone()).collect();
    let rows = conv.convert_columns(&cols)?;
    Ok((0..batch.num_rows())
        .into_par_iter()
        .map(|i| {
            let mut out = [0u8; 16];
            out.copy_from_slice(&blake3::hash(rows.row(i).as_ref()).as_bytes()[..16]);
            u128::from_le_bytes(out)
        })
        .collect())
}

/// Copy-on-write of the files an update touches: the table's files holding a row of a case
/// in `drop` (keyed by their source and case_id columns) have their other rows copied into
/// `part`; returns those files' names, for the commit to remove. Files without such a row
/// stay as they are, so a re-export that closes a few recent cases rewrites the few files
/// holding them, not the table.
pub fn copy_touched_without(
    wh: &Warehouse,
    table_name: &str,
    drop: &FxHashSet<u128>,
    part: &mut ParquetPart,
) -> Result<Vec<String>> {
    let mut touched = vec![];
    for f in wh.parts(table_name)? {
        let file = std::slice::from_ref(&f);
        let keys = read_parts(table_name, file, Some(&[cases::SOURCE, cases::CASE_ID]))?;
        let holds = keys.iter().any(|b| {
            let (s, id) = (b.column(0).as_string::<i32>(), b.column(1).as_string::<i32>());
            (0..b.num_rows()).any(|i| drop.contains(&case_key(s.value(i), id.value(i))))
        });
        if !holds {
            continue;
        }
        for b in read_parts(table_name, file, None)? {
            copy_rows(table_name, &b, part, |i, s, id| !drop.contains(&case_key(s.value(i), id.value(i))))?;
        }
        touched.push(f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default());
    }
    Ok(touched)
}

/// Each batch of a set-aside part's files, streamed.
fn each_scratch_batch(scratch: &[PathBuf], mut f: impl FnMut(RecordBatch) -> Result<()>) -> Result<()> {
    for path in scratch {
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        for b in ParquetRecordBatchReaderBuilder::try_new(file)?.with_batch_size(8192).build()? {
            f(b?)?;
        }
    }
    Ok(())
}

/// Copy the cases this ingest wrote to `scratch` into `part`, leaving out the rows a later
/// row of the same ingest replaced.
pub fn copy_written(versions: &Versions, scratch: &[PathBuf], part: &mut ParquetPart) -> Result<u64> {
    let mut kept = 0;
    each_scratch_batch(scratch, |b| {
        let hashes = content_hashes(&b)?;
        kept += copy_rows(table::CASES, &b, part, |i, s, id| {
            !versions.is_superseded(case_key(s.value(i), id.value(i)), hashes[i])
        })?;
        Ok(())
    })?;
    Ok(kept)
}

/// Copy every row of a set-aside part into `part`.
pub fn copy_all(scratch: &[PathBuf], table_name: &str, part: &mut ParquetPart) -> Result<u64> {
    let mut kept = 0;
    each_scratch_batch(scratch, |b| {
        kept += copy_rows(table_name, &b, part, |_, _, _| true)?;
        Ok(())
    })?;
    Ok(kept)
}

/// Copy the rows of `b` that `keep(row, source, case_id)` keeps into `part`, in the table's
/// column order.
fn copy_rows(
    table_name: &str,
    b: &RecordBatch,
    part: &mut ParquetPart,
    keep: impl Fn(usize, &StringArray, &StringArray) -> bool,
) -> Result<u64> {
    let s = column(b, cases::SOURCE)?.as_string::<i32>();
    let id = column(b, cases::CASE_ID)?.as_string::<i32>();
    let mask: BooleanArray = (0..b.num_rows()).map(|i| Some(keep(i, s, id))).collect();
    let b = filter_record_batch(b, &mask)?;
    if b.num_rows() == 0 {
        return Ok(0);
    }
    let schema = crate::schema::schema_of(table_name)?;
    let cols = schema.fields().iter().map(|f| column(&b, f.name()).cloned()).collect::<Result<Vec<_>>>()?;
    part.write(&RecordBatch::try_new(schema, cols)?)?;
    Ok(b.num_rows() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(rows: &[(&str, &str, &str)]) -> RecordBatch {
        // (case_id, content, ingest_file)
        let cr: Vec<crate::ingest::record::CaseRow> = rows
            .iter()
            .enumerate()
            .map(|(i, (id, content, file))| crate::ingest::record::CaseRow {
                case_id: (*id).into(),
                source: "petition".into(),
                received_at: chrono::NaiveDate::from_ymd_opt(2026, 1, 2).unwrap().and_hms_opt(9, 0, 0).unwrap(),
                content: (*content).into(),
                ingest_file: (*file).into(),
                ingest_row: i as i64 + 2,
                ..Default::default()
            })
            .collect();
        super::super::batch::cases_batch(&cr).unwrap()
    }

    #[test]
    fn the_same_content_from_another_file_or_row_is_the_same_version() {
        let a = content_hashes(&batch(&[("1", "欠薪", "a.xlsx")])).unwrap();
        let b = content_hashes(&batch(&[("0", "x", "b.xlsx"), ("1", "欠薪", "b.xlsx")])).unwrap();
        assert_eq!(a[0], b[1]);
        assert_ne!(b[0], b[1]);
    }

    #[test]
    fn v1_v2_v1_ends_at_v2() {
        let mut v = Versions::default();
        let (c, m) = v.merge(&batch(&[("1", "未办结", "v1"), ("2", "b", "v1")])).unwrap();
        assert_eq!(c, vec![Change::Added, Change::Added]);
        assert_eq!(m.true_count(), 2);
        let (c, _) = v.merge(&batch(&[("1", "已办结", "v2"), ("2", "b", "v2")])).unwrap();
        assert_eq!(c, vec![Change::Updated, Change::Unchanged]);
        // the old export again: nothing changes
        let (c, m) = v.merge(&batch(&[("1", "未办结", "v1"), ("2", "b", "v1")])).unwrap();
        assert_eq!(c, vec![Change::Unchanged, Change::Unchanged]);
        assert_eq!(m.true_count(), 0);
        assert_eq!(v.rows(7).unwrap().unwrap().num_rows(), 3);
    }

    #[test]
    fn a_case_twice_in_one_batch_keeps_its_last_row() {
        let mut v = Versions::default();
        let b = batch(&[("1", "a", "f"), ("1", "b", "f"), ("1", "a", "f")]);
        let (c, m) = v.merge(&b).unwrap();
        assert_eq!(c, vec![Change::Added, Change::Updated, Change::Unchanged]);
        assert_eq!(m.iter().map(|x| x.unwrap()).collect::<Vec<_>>(), vec![true, true, false]);
        // both were written; the first is superseded by the second, the current version
        let h = content_hashes(&b).unwrap();
        let key = case_key("petition", "1");
        assert!(v.rewrites() && v.is_superseded(key, h[0]) && !v.is_superseded(key, h[1]));
    }
}
