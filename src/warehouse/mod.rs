//! The warehouse: one Delta Lake table per folder.
//!
//! Layout under the warehouse root:
//! ```text
//! cases/_delta_log/00000000000000000001.json  the table's Delta log: which files it is made of
//! cases/part-000001.parquet      data files, named by the minqing commit that wrote them
//! cases/.part-000002.parquet.tmp a part being written (hidden from readers)
//! _pending/000002.json           a batch decided but not yet in every table's log
//! ```
//! A batch writes every part it adds to hidden temp files, then writes its pending record
//! (temp file + rename: the point after which the batch happens), then renames the parts
//! into place and commits each table to its Delta log (with the batch's number as the Delta
//! application transaction, so a commit replayed is a no-op), then deletes the record.
//! Opening the warehouse finishes any batch whose record exists (roll forward) and deletes
//! temp parts that have none (roll back), so a crash at any point leaves either the old or
//! the new state of every table, never half of one. Files a commit replaced stay on disk
//! for time travel (`minqing sql --version N`) until `minqing vacuum` (or `forget`) deletes
//! them.

#[cfg(feature = "ballista")]
pub mod cluster;
mod commit;
mod delta;
mod parquet_io;
mod sql;

pub use commit::{Transaction, history};
pub use parquet_io::{
    BackgroundPart, ParquetPart, RowsWhere, keyed, non_blank, read_parts, read_table, read_table_columns,
    read_table_where, write_parquet,
};
pub use sql::{Engine, Functions, OutputFormat, query_on, register_all, register_empty, render};

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// The tables a later change updates in place: `Transaction::part_writer` writes them in
/// files of [`part_rows`].
const UPDATED_IN_PLACE: [&str; 3] =
    [crate::schema::table::CASES, crate::schema::table::PERSONS, crate::schema::table::ENRICHED];

/// Rows per file of the tables a later change updates in place (`cases`, `persons`,
/// `enriched`): an update rewrites the files holding the rows it changes (copy-on-write), so
/// files of this size, in the order the rows came, keep a re-export's cost to the few files
/// its cases fall in instead of the whole table. `MINQING_PART_ROWS` sets another size (the
/// tests split a few dozen cases).
pub fn part_rows() -> u64 {
    static ROWS: std::sync::LazyLock<u64> = std::sync::LazyLock::new(|| {
        std::env::var("MINQING_PART_ROWS").ok().and_then(|v| v.parse().ok()).filter(|&n| n > 0).unwrap_or(128 * 1024)
    });
    *ROWS
}

/// Which state of the warehouse to read: after a commit (`12`, the numbers `minqing
/// history` lists and a run.json records), or as it was at a time — a day (`2026-10-31`, its
/// end in this machine's time zone) or an RFC 3339 time (`2026-10-31T18:00:00+08:00`, the end
/// of that second; `minqing history` shows each commit's finishing time to the millisecond).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    Commit(u64),
    At(chrono::DateTime<chrono::Utc>),
}

impl std::str::FromStr for Version {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        use chrono::{Local, NaiveDate, NaiveTime, TimeZone, Utc};
        let s = s.trim();
        if let Ok(n) = s.parse::<u64>() {
            return Ok(Version::Commit(n));
        }
        if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
            // a time to the second (as a person writes it) is that whole second, as a day
            // is the whole day: a commit finished at 10:00:00.4 is "the state at 10:00:00"
            let whole_second = !s.contains('.');
            let t = t.with_timezone(&Utc);
            return Ok(Version::At(if whole_second { t + chrono::Duration::milliseconds(999) } else { t }));
        }
        if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            let end = d.and_time(NaiveTime::from_hms_milli_opt(23, 59, 59, 999).expect("a valid time"));
            // a day that a clock change skips has no end in local time: take it in UTC
            let at = Local.from_local_datetime(&end).latest().map_or_else(|| end.and_utc(), |t| t.with_timezone(&Utc));
            return Ok(Version::At(at));
        }
        Err(format!(
            "`{s}` is neither a commit number (`minqing history` lists them), a day (2026-10-31) nor a time (2026-10-31T18:00:00+08:00)"
        ))
    }
}

/// A warehouse folder, recovered and locked for the lifetime of this value.
#[derive(Debug)]
pub struct Warehouse {
    root: PathBuf,
    _lock: Option<Lock>,
    /// Read the tables as they were after this minqing commit (time travel).
    as_of: Option<u64>,
    /// The commit numbers of this process's transactions not yet over: two stages of one
    /// run may be writing at once (`metrics` beside `cluster`), each under its own number.
    open_seqs: std::sync::Mutex<std::collections::BTreeSet<u64>>,
}

impl Warehouse {
    /// Open for reading and writing: creates the folder, takes the writer lock and
    /// finishes or rolls back whatever an interrupted run left.
    pub fn open(root: &Path) -> Result<Self> {
        fs::create_dir_all(root.join(commit::PENDING)).map_err(|e| Error::io(root, e))?;
        let lock = Lock::take(root)?;
        commit::recover(root)?;
        Ok(Warehouse { root: root.to_path_buf(), _lock: Some(lock), as_of: None, open_seqs: Default::default() })
    }

    /// Open for reading only: no lock, no recovery; uncommitted parts are invisible anyway.
    pub fn open_read(root: &Path) -> Result<Self> {
        if !root.is_dir() {
            return Err(Error::Warehouse {
                path: root.to_path_buf(),
                reason:
                    "no warehouse here; run `minqing ingest` or `minqing demo` first, or name another warehouse folder"
                        .into(),
            });
        }
        Ok(Warehouse { root: root.to_path_buf(), _lock: None, as_of: None, open_seqs: Default::default() })
    }

    /// Open for reading the tables as they were at `version`: after a commit, or at a time
    /// (the newest commit made by then).
    pub fn open_version(root: &Path, version: &Version) -> Result<Self> {
        match *version {
            Version::Commit(seq) => Self::open_at(root, seq),
            Version::At(at) => {
                Self::open_read(root)?;
                match commit::commit_at(root, at.timestamp_millis())? {
                    Some(seq) => Self::open_at(root, seq),
                    None => Err(Error::Warehouse {
                        path: root.to_path_buf(),
                        reason: format!(
                            "no commit was made by {}; `minqing history` lists the commits and their times",
                            at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                        ),
                    }),
                }
            }
        }
    }

    /// Open for reading the tables as they were after minqing commit `seq` (the numbers
    /// `minqing history` lists).
    pub fn open_at(root: &Path, seq: u64) -> Result<Self> {
        let wh = Self::open_read(root)?;
        let last = commit::last_commit(root)?;
        if last.is_none_or(|l| seq > l) {
            return Err(Error::Warehouse {
                path: root.to_path_buf(),
                reason: format!(
                    "there is no commit {seq}; the newest is {}",
                    last.map_or("none".to_string(), |l| l.to_string())
                ),
            });
        }
        Ok(Warehouse { as_of: Some(seq), ..wh })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn table_dir(&self, table: &str) -> PathBuf {
        self.root.join(table)
    }

    /// What a stage keeps beside `table` for its next run, written with commit `seq`:
    /// `TABLE/_NAME-NNNNNN.json` (Delta readers skip files starting with `_`).
    pub fn state_path(&self, table: &str, name: &str, seq: u64) -> PathBuf {
        self.table_dir(table).join(format!("_{name}-{seq:06}.json"))
    }

    /// Keep `bytes` as the state `name` of the commit `seq` (written before that commit).
    pub fn save_state(&self, table: &str, name: &str, seq: u64, bytes: &[u8]) -> Result<()> {
        let dir = self.table_dir(table);
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        atomic_write(&self.state_path(table, name, seq), bytes)
    }

    /// Delete the states `name` kept beside `table` for commits other than `seq`.
    pub fn prune_states(&self, table: &str, name: &str, seq: u64) {
        self.prune_states_but(table, name, &[seq]);
    }

    /// Delete the states `name` kept beside `table` for commits other than those of `keep`.
    pub fn prune_states_but(&self, table: &str, name: &str, keep: &[u64]) {
        let keep: Vec<PathBuf> = keep.iter().map(|&s| self.state_path(table, name, s)).collect();
        let Ok(rd) = std::fs::read_dir(self.table_dir(table)) else { return };
        let prefix = format!("_{name}-");
        for e in rd.filter_map(|e| e.ok()) {
            let file = e.file_name().to_string_lossy().to_string();
            if file.starts_with(&prefix) && file.ends_with(".json") && !keep.contains(&e.path()) {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }

    /// The data files of a table's current version (or of the version time travel asks
    /// for), in commit order.
    pub fn parts(&self, table: &str) -> Result<Vec<PathBuf>> {
        let dir = self.table_dir(table);
        if !delta::is_table(&dir) {
            return legacy_parts(&dir);
        }
        delta::block_on(async {
            let version = match self.as_of {
                Some(seq) => match delta::version_at(&dir, seq).await? {
                    Some(v) => Some(v),
                    None => return Ok(vec![]),
                },
                None => None,
            };
            match delta::load(&dir, version).await? {
                Some(t) => delta::files_of(&dir, &t),
                None => Ok(vec![]),
            }
        })
    }

    /// The newest commit of the warehouse (`None`: nothing written yet).
    pub fn last_commit(&self) -> Result<Option<u64>> {
        match self.as_of {
            Some(seq) => Ok(Some(seq)),
            None => commit::last_commit(&self.root),
        }
    }

    /// The minqing commit that last changed `table` (`None`: never written).
    pub fn last_commit_of(&self, table: &str) -> Result<Option<u64>> {
        commit::table_commit(&self.root, table)
    }

    /// Delete the files no table version younger than `keep` reads (replaced parts, parts a
    /// crash left behind): after it, time travel reaches back `keep` only. Returns how many
    /// files went.
    pub fn vacuum(&self, keep: chrono::Duration) -> Result<usize> {
        let n = commit::vacuum_all(&self.root, keep)?;
        if keep.is_zero() {
            let owed = self.root.join(commit::PENDING).join(commit::VACUUM_OWED);
            if owed.exists() {
                fs::remove_file(&owed).map_err(|e| Error::io(&owed, e))?;
            }
        }
        Ok(n)
    }

    /// Promise a vacuum of every older version (call before a commit that erases personal
    /// data): if the process stops before [`Warehouse::vacuum`] with no retention ran, the
    /// next open for writing runs it.
    pub fn owe_vacuum(&self) -> Result<()> {
        atomic_write(&self.root.join(commit::PENDING).join(commit::VACUUM_OWED), b"erasure")
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
        // the number after the last commit, and after any transaction still open beside
        let mut open = self.open_seqs.lock().unwrap_or_else(|e| e.into_inner());
        let after = open.last().map_or(1, |n| n + 1);
        let seq = commit::last_commit(&self.root)?.map_or(1, |n| n + 1).max(after);
        open.insert(seq);
        Ok(Transaction::new(self, seq))
    }

    /// A transaction is over (committed or dropped): its number is no longer held.
    pub(super) fn release_seq(&self, seq: u64) {
        self.open_seqs.lock().unwrap_or_else(|e| e.into_inner()).remove(&seq);
    }
}

/// Write a file so that readers see either the old content or the new, never a part.
/// The part files of a table written by minqing before the Delta log (read-only opens of an
/// older warehouse; a writer converts it).
fn legacy_parts(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut parts = match fs::read_dir(dir) {
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

/// One writer at a time: an OS advisory lock (`flock`) on `.lock`, which the kernel
/// releases when the holder exits, however it exits (SIGKILL and power loss included).
/// The file also holds the writer's pid, for the message a second writer sees.
#[derive(Debug)]
struct Lock(#[allow(dead_code)] fs::File);

impl Lock {
    fn take(root: &Path) -> Result<Lock> {
        let path = root.join(".lock");
        let mut f = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        match f.try_lock() {
            Ok(()) => {
                let _ = f.set_len(0);
                let _ = write!(f, "{}", std::process::id());
                Ok(Lock(f))
            }
            Err(fs::TryLockError::WouldBlock) => {
                let pid = fs::read_to_string(&path).ok().and_then(|s| s.trim().parse::<u32>().ok());
                let who = pid.map(|p| format!(" (pid {p})")).unwrap_or_default();
                Err(Error::Warehouse {
                    path: root.to_path_buf(),
                    reason: format!("another minqing process{who} is writing to it; wait for it to finish"),
                })
            }
            Err(fs::TryLockError::Error(e)) => Err(Error::io(&path, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Version;

    #[test]
    fn versions_read_as_commits_days_and_times() {
        assert_eq!("12".parse::<Version>(), Ok(Version::Commit(12)));
        let Ok(Version::At(t)) = "2026-10-31T18:00:00.250+08:00".parse::<Version>() else { panic!("a time") };
        assert_eq!(t.to_rfc3339(), "2026-10-31T10:00:00.250+00:00");
        // to the second: the end of that second
        let Ok(Version::At(t)) = "2026-10-31T18:00:00+08:00".parse::<Version>() else { panic!("a time") };
        assert_eq!(t.to_rfc3339(), "2026-10-31T10:00:00.999+00:00");
        // a day is its last millisecond in local time
        let Ok(Version::At(end)) = "2026-10-31".parse::<Version>() else { panic!("a day") };
        let local = end.with_timezone(&chrono::Local);
        assert_eq!(local.format("%Y-%m-%d %H:%M:%S%.3f").to_string(), "2026-10-31 23:59:59.999");
        for bad in ["", "v12", "2026-13-01", "-3", "31/10/2026"] {
            let e = bad.parse::<Version>().unwrap_err();
            assert!(e.contains("commit number"), "{bad}: {e}");
        }
    }
}
