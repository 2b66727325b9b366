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
    let known = crate::schema::schema_of(table).ok();
    let each: Vec<Vec<RecordBatch>> =
        parts.par_iter().map(|part| read_part(part, columns, known.as_ref())).collect::<Result<_>>()?;
    Ok(each.into_iter().flatten().collect())
}

/// One file's batches, with the columns asked for (absent nullable ones as nulls).
fn read_part(
    part: &Path,
    columns: Option<&[&str]>,
    known: Option<&arrow::datatypes::SchemaRef>,
) -> Result<Vec<RecordBatch>> {
    let mut out = vec![];
    let file = fs::File::open(part).map_err(|e| Error::io(part, e))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)?;
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
