//! The Parquet warehouse: one folder per table, committed atomically.
//!
//! Layout under the warehouse root:
//! ```text
//! cases/part-000001.parquet      committed parts, read by stages, `minqing sql`, polars, pandas
//! cases/.part-000002.parquet.tmp a part being written (hidden from readers)
//! _commits/000002.json           the commit record: which parts a batch adds or replaces
//! ```
//! A batch writes every part it adds to hidden temp files, then writes its commit record
//! (temp file + rename: the commit point), then renames the parts into place. Opening the
//! warehouse finishes any commit whose record exists (roll forward) and deletes temp parts
//! that have none (roll back), so a crash at any point leaves either the old or the new
//! state of every table, never half of one.

mod commit;
mod parquet_io;
mod sql;

pub use commit::{Commit, TableChange, Transaction, read_commits};
pub use parquet_io::{ParquetPart, read_table, read_table_columns, write_parquet};
pub use sql::{OutputFormat, query, register_all, render};

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// A warehouse folder, recovered and locked for the lifetime of this value.
#[derive(Debug)]
pub struct Warehouse {
    root: PathBuf,
    _lock: Option<Lock>,
}

impl Warehouse {
    /// Open for reading and writing: creates the folder, takes the writer lock and
    /// finishes or rolls back whatever an interrupted run left.
    pub fn open(root: &Path) -> Result<Self> {
        fs::create_dir_all(root.join(commit::COMMITS)).map_err(|e| Error::io(root, e))?;
        let lock = Lock::take(root)?;
        commit::recover(root)?;
        Ok(Warehouse { root: root.to_path_buf(), _lock: Some(lock) })
    }

    /// Open for reading only: no lock, no recovery; uncommitted parts are invisible anyway.
    pub fn open_read(root: &Path) -> Result<Self> {
        if !root.is_dir() {
            return Err(Error::Warehouse {
                path: root.to_path_buf(),
                reason: "no warehouse here; run `minqing ingest` or `minqing demo` first, or pass --warehouse DIR"
                    .into(),
            });
        }
        Ok(Warehouse { root: root.to_path_buf(), _lock: None })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn table_dir(&self, table: &str) -> PathBuf {
        self.root.join(table)
    }

    /// The committed part files of a table, in commit order.
    pub fn parts(&self, table: &str) -> Result<Vec<PathBuf>> {
        let dir = self.table_dir(table);
        let mut parts = match fs::read_dir(&dir) {
            Ok(rd) => rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(commit::is_part_name))
                .collect::<Vec<_>>(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => vec![],
            Err(e) => return Err(Error::io(dir, e)),
        };
        parts.sort();
        Ok(parts)
    }

    /// Tables that have at least one committed part.
    pub fn tables(&self) -> Result<Vec<String>> {
        let mut out = vec![];
        for t in crate::schema::table::ALL {
            if !self.parts(t)?.is_empty() {
                out.push((*t).to_string());
            }
        }
        Ok(out)
    }

    pub fn begin(&self) -> Result<Transaction<'_>> {
        Transaction::new(self)
    }
}

/// Write a file so that readers see either the old content or the new, never a part.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = tmp_sibling(path);
    {
        let mut f = fs::File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
        f.write_all(bytes).map_err(|e| Error::io(&tmp, e))?;
        f.sync_all().map_err(|e| Error::io(&tmp, e))?;
    }
    fs::rename(&tmp, path).map_err(|e| Error::io(path, e))?;
    sync_dir(path.parent().unwrap_or(Path::new(".")));
    Ok(())
}

/// `dir/.name.tmp-PID`: hidden from readers and unique per process.
pub fn tmp_sibling(path: &Path) -> PathBuf {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    path.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}

pub(crate) fn sync_dir(dir: &Path) {
    // best effort: makes renames durable on power loss; not all filesystems allow it
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// One writer at a time: `.lock` holds the writer's pid; a lock left by a dead process is
/// taken over.
#[derive(Debug)]
struct Lock(PathBuf);

impl Lock {
    fn take(root: &Path) -> Result<Lock> {
        let path = root.join(".lock");
        for _ in 0..2 {
            match fs::OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(mut f) => {
                    let _ = write!(f, "{}", std::process::id());
                    return Ok(Lock(path));
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let pid = fs::read_to_string(&path).ok().and_then(|s| s.trim().parse::<u32>().ok());
                    let alive =
                        pid.is_some_and(|p| p == std::process::id() || Path::new(&format!("/proc/{p}")).exists());
                    if alive {
                        return Err(Error::Warehouse {
                            path: root.to_path_buf(),
                            reason: format!(
                                "another minqing process (pid {}) is writing to it; wait for it to finish",
                                pid.unwrap_or(0)
                            ),
                        });
                    }
                    let _ = fs::remove_file(&path);
                }
                Err(e) => return Err(Error::io(&path, e)),
            }
        }
        Err(Error::Warehouse { path: root.to_path_buf(), reason: "could not take the writer lock".into() })
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}
