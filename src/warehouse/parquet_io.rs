//! Reading and writing Parquet parts with arrow-rs.

use std::fs;
use std::path::Path;

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::arrow_writer::{ArrowColumnWriter, ArrowRowGroupWriterFactory, compute_leaves};
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::ColumnPath;
use rayon::prelude::*;

use super::Warehouse;
use crate::{Error, Result};

/// Rows per row group: large enough for fast scans, small enough to stream.
const ROW_GROUP: usize = 128 * 1024;

/// A Parquet file being written batch by batch; split into several files of about
/// `split` rows each when [`ParquetPart::split_every`] asks for it.
pub struct ParquetPart {
    path: std::path::PathBuf,
    writer: Encoder,
    rows: u64,
    schema: SchemaRef,
    split: Option<u64>,
    /// Files already closed, before the current one, with their rows.
    done: Vec<(std::path::PathBuf, u64)>,
}

fn open_writer(path: &Path, schema: SchemaRef) -> Result<Encoder> {
    let file = fs::File::create(path).map_err(|e| Error::io(path, e))?;
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(ROW_GROUP))
        .set_created_by(format!("minqing {}", env!("CARGO_PKG_VERSION")))
        // MinHash sketches are random bytes: neither a dictionary nor compression finds
        // anything in them, and trying costs a pass over a quarter of a gigabyte per million
        .set_column_dictionary_enabled(ColumnPath::from(crate::schema::enriched::SKETCH), false)
        .set_column_compression(ColumnPath::from(crate::schema::enriched::SKETCH), Compression::UNCOMPRESSED)
        .build();
    // the ArrowWriter sets the file up (the Arrow schema in its metadata); the row groups
    // are then encoded here, a column per core
    let (file, factory) = ArrowWriter::try_new(file, schema.clone(), Some(props))?.into_serialized_writer()?;
    Ok(Encoder { file, factory, schema, group: None })
}

/// One Parquet file's writer that encodes the columns of a row group in parallel: a
/// million-row table (`risk`, `cluster_members`, `deadlines`) is written between stages,
/// where one core would otherwise wait (arrow-rs's `ArrowColumnWriter` example).
struct Encoder {
    file: SerializedFileWriter<fs::File>,
    factory: ArrowRowGroupWriterFactory,
    schema: SchemaRef,
    /// The row group being filled: its column writers and rows.
    group: Option<(Vec<ArrowColumnWriter>, usize)>,
}

impl Encoder {
    fn write(&mut self, b: &RecordBatch) -> Result<()> {
        let mut at = 0;
        while at < b.num_rows() {
            let (writers, rows) = match &mut self.group {
                Some(g) => g,
                g => g.insert((self.factory.create_column_writers(self.file.flushed_row_groups().len())?, 0)),
            };
            let take = (ROW_GROUP - *rows).min(b.num_rows() - at);
            let part = b.slice(at, take);
            let mut leaves = vec![];
            for (field, column) in self.schema.fields().iter().zip(part.columns()) {
                leaves.extend(compute_leaves(field, column)?);
            }
            if leaves.len() != writers.len() {
                return Err(Error::Schema(format!(
                    "a batch of {} columns written to a Parquet file of {}",
                    leaves.len(),
                    writers.len()
                )));
            }
            writers.par_iter_mut().zip(leaves.par_iter()).try_for_each(|(w, leaf)| w.write(leaf))?;
            *rows += take;
            at += take;
            if *rows >= ROW_GROUP {
                self.flush()?;
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        let Some((writers, _)) = self.group.take() else { return Ok(()) };
        let chunks: Vec<_> = writers.into_par_iter().map(|w| w.close()).collect::<std::result::Result<_, _>>()?;
        let mut group = self.file.next_row_group()?;
        for c in chunks {
            c.append_to_row_group(&mut group)?;
        }
        group.close()?;
        Ok(())
    }

    /// The footer written; the file, to fsync.
    fn into_inner(mut self) -> Result<fs::File> {
        self.flush()?;
        Ok(self.file.into_inner()?)
    }
}

/// The `k`th file of a split part: `.part-000012.parquet.tmp` → `.part-000012_000002.parquet.tmp`
/// (`_` sorts after `.`, and six digits keep `_000010` after `_000009`: a table's files in
/// name order keep its rows' order).
fn split_path(first: &Path, k: usize) -> std::path::PathBuf {
    let name = first.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let name = match name.find(".parquet") {
        Some(at) => format!("{}_{k:06}{}", &name[..at], &name[at..]),
        None => format!("{name}_{k:06}"),
    };
    first.with_file_name(name)
}

impl ParquetPart {
    pub fn create(path: &Path, schema: SchemaRef) -> Result<ParquetPart> {
        Ok(ParquetPart {
            path: path.to_path_buf(),
            writer: open_writer(path, schema.clone())?,
            rows: 0,
            schema,
            split: None,
            done: vec![],
        })
    }

    /// Start another file once this one holds `rows` rows, so a later change rewrites only
    /// the files holding the rows it changes.
    pub fn split_every(mut self, rows: u64) -> ParquetPart {
        self.split = Some(rows.max(1));
        self
    }

    /// The first file (while nothing is split, the only one).
    pub fn path(&self) -> &Path {
        self.done.first().map_or(&self.path, |(p, _)| p)
    }

    pub fn write(&mut self, b: &RecordBatch) -> Result<()> {
        let Some(n) = self.split else {
            self.rows += b.num_rows() as u64;
            return self.writer.write(b);
        };
        let mut at = 0;
        while at < b.num_rows() {
            if self.rows >= n {
                let next = split_path(self.path(), self.done.len() + 2);
                let writer = std::mem::replace(&mut self.writer, open_writer(&next, self.schema.clone())?);
                let file = writer.into_inner()?;
                file.sync_all().map_err(|e| Error::io(&self.path, e))?;
                let closed = std::mem::replace(&mut self.path, next);
                self.done.push((closed, std::mem::take(&mut self.rows)));
            }
            let take = ((n - self.rows) as usize).min(b.num_rows() - at);
            self.writer.write(&b.slice(at, take))?;
            self.rows += take as u64;
            at += take;
        }
        Ok(())
    }

    /// Close and fsync; returns the row count over every file.
    pub fn finish(self) -> Result<u64> {
        Ok(self.finish_files()?.iter().map(|f| f.1).sum())
    }

    /// Close and fsync; every file with its rows, in order.
    pub fn finish_files(mut self) -> Result<Vec<(std::path::PathBuf, u64)>> {
        let file = self.writer.into_inner()?;
        file.sync_all().map_err(|e| Error::io(&self.path, e))?;
        self.done.push((self.path, self.rows));
        Ok(self.done)
    }
}

impl ParquetPart {
    /// Write this part on its own thread, so the caller goes on with the next batch while one
    /// is built (`to_batch`) and encoded. At most two items wait.
    pub fn in_background<T: Send + 'static>(
        self,
        to_batch: impl Fn(T) -> Result<RecordBatch> + Send + 'static,
    ) -> BackgroundPart<T> {
        let (send, recv) = std::sync::mpsc::sync_channel::<T>(2);
        let handle = std::thread::spawn(move || -> Result<ParquetPart> {
            let mut part = self;
            for item in recv {
                part.write(&to_batch(item)?)?;
            }
            Ok(part)
        });
        BackgroundPart { send, handle }
    }
}

/// A [`ParquetPart`] being written on its own thread.
pub struct BackgroundPart<T> {
    send: std::sync::mpsc::SyncSender<T>,
    handle: std::thread::JoinHandle<Result<ParquetPart>>,
}

impl<T> BackgroundPart<T> {
    /// False once the writer has stopped on an error (which `finish` returns).
    pub fn write(&self, item: T) -> bool {
        self.send.send(item).is_ok()
    }

    /// Wait for the writes; the part, ready to stage.
    pub fn finish(self) -> Result<ParquetPart> {
        drop(self.send);
        self.handle.join().map_err(|_| Error::Internal("the writer of a Parquet part panicked".into()))?
    }
}

/// Write batches to one Parquet file (fsynced); returns the row count.
pub fn write_parquet(path: &Path, schema: SchemaRef, batches: &[RecordBatch]) -> Result<u64> {
    let mut part = ParquetPart::create(path, schema)?;
    for b in batches {
        part.write(b)?;
    }
    part.finish()
}

/// Every committed row of a table.
pub fn read_table(wh: &Warehouse, table: &str) -> Result<Vec<RecordBatch>> {
    read_table_columns(wh, table, None)
}

/// The named columns (all when `None`) of every committed row of a table, in this minqing's
/// schema of the table: a column that a file of an older minqing lacks reads as null when the
/// schema lets it be null (schema evolution), and is an error otherwise.
pub fn read_table_columns(wh: &Warehouse, table: &str, columns: Option<&[&str]>) -> Result<Vec<RecordBatch>> {
    read_parts(table, &wh.parts(table)?, columns)
}

/// [`read_table_columns`] over some of a table's files.
///
/// The files are decoded on all cores; the batches come back in the files' order.
pub fn read_parts(table: &str, parts: &[std::path::PathBuf], columns: Option<&[&str]>) -> Result<Vec<RecordBatch>> {
    read_parts_where(table, parts, columns, None)
}

/// Which rows to read: `keep` looks at the columns `on` alone (in that order), a batch at a
/// time, and the other columns are decoded only for the rows it keeps (Parquet's row
/// filter). The columns must be in every file.
#[derive(Clone)]
pub struct RowsWhere {
    pub on: &'static [&'static str],
    pub keep: std::sync::Arc<dyn Fn(&RecordBatch) -> arrow::array::BooleanArray + Send + Sync>,
}

/// The rows of a table whose text column `on` holds something other than blanks: a
/// stage that reads the cases with a reply decodes no other case's text.
pub fn non_blank(on: &'static [&'static str; 1]) -> RowsWhere {
    use arrow::array::{Array, AsArray};
    RowsWhere {
        on,
        keep: std::sync::Arc::new(|b| {
            // a column that is no text keeps every row: the stage's own reading says what is wrong
            let Ok(c) = arrow::compute::cast(b.column(0), &arrow::datatypes::DataType::Utf8) else {
                return vec![Some(true); b.num_rows()].into();
            };
            let s = c.as_string::<i32>();
            (0..s.len()).map(|i| Some(s.is_valid(i) && !s.value(i).trim().is_empty())).collect()
        }),
    }
}

/// The rows of a table keyed (source, case_id) by one of `keys`.
pub fn keyed<'a>(keys: impl IntoIterator<Item = (&'a str, &'a str)>) -> RowsWhere {
    use arrow::array::{Array, AsArray};
    // by case id, then source: looked up with the batch's own strings, no key built per row
    let mut by_id: rustc_hash::FxHashMap<String, Vec<String>> = Default::default();
    for (source, id) in keys {
        let sources = by_id.entry(id.to_string()).or_default();
        if !sources.iter().any(|s| s == source) {
            sources.push(source.to_string());
        }
    }
    RowsWhere {
        on: &[crate::schema::cases::SOURCE, crate::schema::cases::CASE_ID],
        keep: std::sync::Arc::new(move |b| {
            let (Some(s), Some(c)) = (b.column(0).as_string_opt::<i32>(), b.column(1).as_string_opt::<i32>()) else {
                return vec![Some(true); b.num_rows()].into();
            };
            (0..b.num_rows())
                .map(|i| {
                    let hit = s.is_valid(i)
                        && c.is_valid(i)
                        && by_id.get(c.value(i)).is_some_and(|sources| sources.iter().any(|x| x == s.value(i)));
                    Some(hit)
                })
                .collect()
        }),
    }
}

/// [`read_table_columns`], only the rows `rows` keeps.
pub fn read_table_where(wh: &Warehouse, table: &str, columns: &[&str], rows: &RowsWhere) -> Result<Vec<RecordBatch>> {
    read_parts_where(table, &wh.parts(table)?, Some(columns), Some(rows))
}

fn read_parts_where(
    table: &str,
    parts: &[std::path::PathBuf],
    columns: Option<&[&str]>,
    rows: Option<&RowsWhere>,
) -> Result<Vec<RecordBatch>> {
    let known = crate::schema::schema_of(table).ok();
    let each: Vec<Vec<RecordBatch>> =
        parts.par_iter().map(|part| read_part(part, columns, known.as_ref(), rows)).collect::<Result<_>>()?;
    Ok(each.into_iter().flatten().collect())
}

/// One file's batches, with the columns asked for (absent nullable ones as nulls).
fn read_part(
    part: &Path,
    columns: Option<&[&str]>,
    known: Option<&arrow::datatypes::SchemaRef>,
    rows: Option<&RowsWhere>,
) -> Result<Vec<RecordBatch>> {
    let mut out = vec![];
    let file = fs::File::open(part).map_err(|e| Error::io(part, e))?;
    let mut builder = ParquetRecordBatchReaderBuilder::try_new(file)?;
    if let Some(w) = rows {
        let mut at: Vec<usize> =
            w.on.iter()
                .map(|c| builder.schema().index_of(c).map_err(|_| missing(part, c, builder.schema())))
                .collect::<Result<_>>()?;
        // the filter sees its columns in the file's order: put them in the order asked for
        let order: Vec<usize> = {
            let mut sorted = at.clone();
            sorted.sort_unstable();
            at.iter().map(|i| sorted.iter().position(|j| j == i).expect("one of them")).collect()
        };
        at.sort_unstable();
        let keep = w.keep.clone();
        let predicate = parquet::arrow::arrow_reader::ArrowPredicateFn::new(
            ProjectionMask::roots(builder.parquet_schema(), at),
            move |b: RecordBatch| Ok(keep(&b.project(&order)?)),
        );
        builder = builder.with_row_filter(parquet::arrow::arrow_reader::RowFilter::new(vec![Box::new(predicate)]));
    }
    let have = builder.schema().clone();
    // the columns to return: those asked for, or every column of the table
    let target: Vec<arrow::datatypes::FieldRef> = match (columns, known) {
        (Some(cols), _) => cols
            .iter()
            .map(|c| {
                let field =
                    known.as_ref().and_then(|k| k.field_with_name(c).ok()).or_else(|| have.field_with_name(c).ok());
                field.map(|f| std::sync::Arc::new(f.clone())).ok_or_else(|| missing(part, c, &have))
            })
            .collect::<Result<_>>()?,
        (None, Some(k)) => k.fields().iter().cloned().collect(),
        (None, None) => have.fields().iter().cloned().collect(),
    };
    let mut idx = vec![];
    for f in &target {
        match have.index_of(f.name()) {
            Ok(i) => idx.push(i),
            Err(_) if f.is_nullable() => {}
            Err(_) => return Err(missing(part, f.name(), &have)),
        }
    }
    idx.sort_unstable();
    let mask = ProjectionMask::roots(builder.parquet_schema(), idx);
    let out_schema = std::sync::Arc::new(arrow::datatypes::Schema::new(target.clone()));
    // 8k rows a batch: stages hand each batch to all cores, and 1k-row batches left
    // them waiting on the per-batch steps in between
    for b in builder.with_projection(mask).with_batch_size(8192).build()? {
        let b = b?;
        let cols = target
            .iter()
            .map(|f| match b.column_by_name(f.name()) {
                Some(c) => c.clone(),
                None => arrow::array::new_null_array(f.data_type(), b.num_rows()),
            })
            .collect();
        out.push(RecordBatch::try_new(out_schema.clone(), cols)?);
    }
    Ok(out)
}

fn missing(part: &Path, column: &str, have: &arrow::datatypes::Schema) -> Error {
    Error::Schema(format!(
        "column `{column}` is not in {}; it has: {}",
        part.display(),
        have.fields().iter().map(|f| f.name().as_str()).collect::<Vec<_>>().join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Array, AsArray, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};

    use super::*;

    /// A file of (case_id, source, reply) with a blank, a missing and two real replies,
    /// split over two row groups' worth of batches.
    fn part(dir: &Path) -> std::path::PathBuf {
        let schema = Arc::new(Schema::new(vec![
            Field::new("case_id", DataType::Utf8, false),
            Field::new("source", DataType::Utf8, false),
            Field::new("reply", DataType::Utf8, true),
        ]));
        let b = |ids: &[&str], sources: &[&str], replies: Vec<Option<&str>>| {
            RecordBatch::try_new(
                schema.clone(),
                vec![
                    Arc::new(StringArray::from(ids.to_vec())),
                    Arc::new(StringArray::from(sources.to_vec())),
                    Arc::new(StringArray::from(replies)),
                ],
            )
            .unwrap()
        };
        let path = dir.join("part.parquet");
        write_parquet(
            &path,
            schema.clone(),
            &[
                b(&["1", "2", "3"], &["hotline", "hotline", "petition"], vec![Some("已办结"), Some("  "), None]),
                b(&["3", "4"], &["hotline", "message"], vec![Some("已答复"), Some("")]),
            ],
        )
        .unwrap();
        path
    }

    fn column(batches: &[RecordBatch], name: &str) -> Vec<String> {
        batches
            .iter()
            .flat_map(|b| {
                let c = b.column_by_name(name).unwrap().as_string::<i32>().clone();
                (0..c.len()).map(move |i| if c.is_null(i) { "∅".into() } else { c.value(i).to_string() })
            })
            .collect()
    }

    #[test]
    fn a_row_filter_reads_only_the_rows_it_keeps_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let parts = [part(dir.path())];
        let all = read_parts("none", &parts, Some(&["case_id", "source", "reply"])).unwrap();
        assert_eq!(column(&all, "case_id"), ["1", "2", "3", "3", "4"]);
        let replied =
            read_parts_where("none", &parts, Some(&["case_id", "reply"]), Some(&non_blank(&["reply"]))).unwrap();
        assert_eq!(column(&replied, "case_id"), ["1", "3"]);
        assert_eq!(column(&replied, "reply"), ["已办结", "已答复"]);
        // by (source, case_id): the petition 3 and not the hotline 3; an unknown key reads nothing
        let only = keyed([("petition", "3"), ("message", "4"), ("hotline", "9")]);
        let got = read_parts_where("none", &parts, Some(&["source", "case_id"]), Some(&only)).unwrap();
        assert_eq!(column(&got, "case_id"), ["3", "4"]);
        assert_eq!(column(&got, "source"), ["petition", "message"]);
        // a filter on a column the file lacks is an error that names it
        let missing = RowsWhere { on: &["satisfaction"], ..non_blank(&["reply"]) };
        let e = read_parts_where("none", &parts, None, Some(&missing)).unwrap_err().to_string();
        assert!(e.contains("satisfaction"), "{e}");
    }
}
