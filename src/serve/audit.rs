//! The audit log: one JSON line per login, case view, list and export (time, user, scope,
//! action, filters, case ids), each line carrying the BLAKE3 hash of the line before it and
//! its own, so an edited, removed or reordered line breaks the chain. `minqing audit
//! verify` checks it.

use std::fs::OpenOptions;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// The hash before the first line.
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One line of the log.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub seq: u64,
    pub time: String,
    pub user: String,
    pub scope: String,
    /// The caller's address, when the server knows it.
    #[serde(default)]
    pub addr: String,
    /// `login`, `login_failed`, `login_throttled`, `logout`, `view`, `view_denied` (a case
    /// outside the scope or not there), `list`, `export`, `api`.
    pub action: String,
    /// The page or endpoint.
    pub path: String,
    /// `town=城关镇&topic=…`, as the request carried them.
    pub filters: String,
    pub cases: Vec<String>,
    pub prev: String,
    #[serde(default)]
    pub hash: String,
}

impl Entry {
    /// BLAKE3 over the line without its own hash (which is empty while hashing).
    fn digest(&self) -> String {
        let mut e = self.clone();
        e.hash = String::new();
        let bytes = serde_json::to_vec(&e).expect("an entry serializes");
        blake3::hash(&bytes).to_hex().to_string()
    }
}

/// What a request adds to the log.
#[derive(Debug, Default)]
pub struct Event<'a> {
    pub user: &'a str,
    pub scope: String,
    pub addr: Option<String>,
    pub action: &'a str,
    pub path: &'a str,
    pub filters: String,
    pub cases: Vec<String>,
}

/// The log file, appended under a lock.
pub struct Audit {
    path: PathBuf,
    /// The last line's number and hash, and the file's length after it.
    last: Mutex<Tail>,
}

#[derive(Clone)]
struct Tail {
    seq: u64,
    hash: String,
    len: u64,
}

/// The audit log that goes with a users file: `users.toml` → `users.audit.jsonl`.
pub fn path_for(users: &Path) -> PathBuf {
    let stem = users.file_stem().and_then(|s| s.to_str()).unwrap_or("users");
    users.with_file_name(format!("{stem}.audit.jsonl"))
}

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

impl Audit {
    /// Open (or start) the log; its chain is checked first, so a server never extends a
    /// broken one.
    pub fn open(path: &Path) -> Result<Self> {
        cut_torn_tail(path)?;
        let v = verify(path)?;
        let tail = Tail { seq: v.lines, hash: v.last_hash, len: file_len(path) };
        Ok(Audit { path: path.to_path_buf(), last: Mutex::new(tail) })
    }

    /// Append one line (written and synced before the response goes out). The file is
    /// locked while appending; when another process (a second server on the same users
    /// file) appended since, the chain continues from its last line.
    pub fn record(&self, ev: Event<'_>) -> Result<()> {
        let mut last = self.last.lock().map_err(|_| Error::Internal("the audit lock was poisoned".into()))?;
        let io = |x| Error::io(&self.path, x);
        let mut f = OpenOptions::new().create(true).append(true).open(&self.path).map_err(io)?;
        f.lock().map_err(io)?;
        let len = f.metadata().map_err(io)?.len();
        if len != last.len {
            let v = verify(&self.path)?;
            *last = Tail { seq: v.lines, hash: v.last_hash, len };
        }
        let mut e = Entry {
            seq: last.seq + 1,
            time: chrono::Local::now().format("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string(),
            user: ev.user.to_string(),
            scope: ev.scope,
            addr: ev.addr.unwrap_or_default(),
            action: ev.action.to_string(),
            path: ev.path.to_string(),
            filters: ev.filters,
            cases: ev.cases,
            prev: last.hash.clone(),
            hash: String::new(),
        };
        e.hash = e.digest();
        let mut line = serde_json::to_string(&e).map_err(|x| Error::Internal(x.to_string()))?;
        line.push('\n');
        if let Err(e) = f.write_all(line.as_bytes()).and_then(|()| f.sync_data()) {
            // a full disk: take back whatever part of the line went out, so the chain stays whole
            let _ = f.set_len(len);
            return Err(io(e));
        }
        *last = Tail { seq: e.seq, hash: e.hash, len: len + line.len() as u64 };
        // the file lock is released when `f` closes
        Ok(())
    }
}

/// A line without its newline at the end of the file is one a crash cut off while it was
/// written (each line is synced whole before its response goes out): it is removed, with
/// a warning, so the chain ends at the last whole line.
fn cut_torn_tail(path: &Path) -> Result<()> {
    let Ok(bytes) = std::fs::read(path) else { return Ok(()) };
    if bytes.is_empty() || bytes.ends_with(b"\n") {
        return Ok(());
    }
    let keep = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    tracing::warn!("{}: removed a line cut off by a crash ({} bytes)", path.display(), bytes.len() - keep);
    let f = OpenOptions::new().write(true).open(path).map_err(|e| Error::io(path, e))?;
    f.set_len(keep as u64).map_err(|e| Error::io(path, e))
}

/// A chain checked whole.
#[derive(Debug)]
pub struct Verified {
    pub lines: u64,
    pub last_hash: String,
}

/// Check every line: numbered in order, chained to the line before, hashed right. The
/// first broken line is named.
pub fn verify(path: &Path) -> Result<Verified> {
    let f = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Verified { lines: 0, last_hash: GENESIS.to_string() });
        }
        Err(e) => return Err(Error::io(path, e)),
    };
    let broken = |n: u64, why: String| Error::Input {
        path: path.to_path_buf(),
        reason: format!("the audit chain is broken at line {n}: {why}"),
    };
    let (mut seq, mut prev) = (0u64, GENESIS.to_string());
    for (i, line) in BufReader::new(f).lines().enumerate() {
        let n = i as u64 + 1;
        let line = line.map_err(|e| Error::io(path, e))?;
        let e: Entry = serde_json::from_str(&line).map_err(|x| broken(n, format!("not an audit line ({x})")))?;
        if e.seq != seq + 1 {
            return Err(broken(n, format!("numbered {} after {}", e.seq, seq)));
        }
        if e.prev != prev {
            return Err(broken(n, "it does not follow the line before (a line was removed, added or moved)".into()));
        }
        if e.digest() != e.hash {
            return Err(broken(n, "its content does not match its hash (the line was edited)".into()));
        }
        (seq, prev) = (e.seq, e.hash);
    }
    Ok(Verified { lines: seq, last_hash: prev })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(action: &str) -> Event<'_> {
        Event {
            user: "wang",
            scope: "county".into(),
            addr: Some("10.0.0.9".into()),
            action,
            path: "/cases",
            filters: "town=城关镇".into(),
            cases: vec!["X1".into()],
        }
    }

    #[test]
    fn a_chain_verifies_and_any_edit_breaks_it() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("users.audit.jsonl");
        assert_eq!(path_for(&dir.path().join("users.toml")), p);
        let a = Audit::open(&p).unwrap();
        for act in ["login", "list", "view"] {
            a.record(ev(act)).unwrap();
        }
        drop(a);
        // reopened, it continues the chain; two writers on one file keep one chain
        let (x, y) = (Audit::open(&p).unwrap(), Audit::open(&p).unwrap());
        x.record(ev("export")).unwrap();
        y.record(ev("list")).unwrap();
        x.record(ev("view")).unwrap();
        assert_eq!(verify(&p).unwrap().lines, 6);
        let text = std::fs::read_to_string(&p).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let edited = text.replacen("城关镇", "青石镇", 1);
        std::fs::write(&p, &edited).unwrap();
        let e = verify(&p).unwrap_err().to_string();
        assert!(e.contains("line 1") && e.contains("edited"), "{e}");
        let removed = [lines[0], lines[2], lines[3]].join("\n") + "\n";
        std::fs::write(&p, removed).unwrap();
        assert!(verify(&p).unwrap_err().to_string().contains("line 2"));
        assert!(Audit::open(&p).is_err(), "a server does not extend a broken chain");
        // a line cut off by a crash is dropped on open; the chain goes on from the line before
        std::fs::write(&p, format!("{}{}", lines[..2].join("\n") + "\n", &lines[2][..40])).unwrap();
        let a = Audit::open(&p).unwrap();
        a.record(ev("list")).unwrap();
        assert_eq!(verify(&p).unwrap().lines, 3);
    }
}
