//! The users file: who may log in to the dashboard, with which role and scope, and an
//! argon2id hash of the password (PHC string). TOML, one `[[user]]` per person, written
//! by `minqing user add`; the server reads it again when it changes, so a user added
//! while it runs can log in without a restart.

use std::path::{Path, PathBuf};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use serde::{Deserialize, Serialize};

use super::scope::Scope;
use crate::{Error, Result};

crate::model::vocabulary!(
    /// What a user may see: everything (县), one township's cases (乡镇), or the cases
    /// assigned to one department without the petitioner's identity (部门).
    Role {
        County => "county",
        Town => "town",
        Dept => "dept",
    }
);

/// One line of the users file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct User {
    pub name: String,
    pub role: String,
    /// The township (role town) or department (role dept); empty for county.
    #[serde(default)]
    pub scope: String,
    /// argon2id PHC string.
    pub hash: String,
}

impl User {
    /// What this user may see (an error for a users file edited into nonsense).
    pub fn scope(&self) -> Result<Scope> {
        let role = Role::parse(&self.role).ok_or_else(|| {
            Error::Usage(format!("user `{}` has role `{}`; roles are county, town, dept", self.name, self.role))
        })?;
        Scope::new(role, &self.scope).map_err(|e| Error::Usage(format!("user `{}`: {e}", self.name)))
    }

    /// The password matches the stored hash.
    pub fn verify(&self, password: &str) -> bool {
        PasswordHash::new(&self.hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
    }
}

fn verify_hash(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// Spend the time of a real check for a name that does not exist, so the answer's timing
/// does not tell which names do.
pub fn verify_nobody(password: &str) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let hash = DUMMY.get_or_init(|| {
        Argon2::default()
            .hash_password(b"no such user", &SaltString::generate(&mut OsRng))
            .map(|h| h.to_string())
            .unwrap_or_default()
    });
    let _ = verify_hash(hash, password);
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct File {
    #[serde(default)]
    user: Vec<User>,
}

/// The users file on disk.
#[derive(Debug)]
pub struct Users {
    path: PathBuf,
    /// The server's reading: the file's (modified time, length) and its valid users.
    cache: std::sync::Mutex<Option<((std::time::SystemTime, u64), Vec<User>)>>,
}

/// The longest user name; longer ones are refused before any lookup (and never logged whole).
pub const MAX_NAME: usize = 64;

impl Users {
    pub fn new(path: &Path) -> Self {
        Users { path: path.to_path_buf(), cache: Default::default() }
    }

    /// The users the server accepts now: read again when the file changed; an entry that
    /// cannot be used (a role misspelt by hand) is left out with a warning, so one bad line
    /// does not lock everyone out.
    pub fn current(&self) -> Result<Vec<User>> {
        let stamp = std::fs::metadata(&self.path)
            .map(|m| (m.modified().unwrap_or(std::time::UNIX_EPOCH), m.len()))
            .unwrap_or((std::time::UNIX_EPOCH, 0));
        let mut cache = self.cache.lock().map_err(|_| Error::Internal("the users lock was poisoned".into()))?;
        if let Some((s, users)) = cache.as_ref()
            && *s == stamp
        {
            return Ok(users.clone());
        }
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(Error::io(&self.path, e)),
        };
        let file: File = toml::from_str(&text)
            .map_err(|e| Error::Config { path: self.path.clone(), problems: vec![e.to_string()] })?;
        let users: Vec<User> = file
            .user
            .into_iter()
            .filter(|u| match u.scope() {
                Ok(_) => true,
                Err(e) => {
                    tracing::warn!("{}: {e}; this user cannot log in", self.path.display());
                    false
                }
            })
            .collect();
        *cache = Some((stamp, users.clone()));
        Ok(users)
    }

    /// The user of this name the server accepts now, if any.
    pub fn active(&self, name: &str) -> Result<Option<User>> {
        Ok(self.current()?.into_iter().find(|u| u.name == name))
    }

    /// Every user; none when the file does not exist yet.
    pub fn load(&self) -> Result<Vec<User>> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
            Err(e) => return Err(Error::io(&self.path, e)),
        };
        let file: File = toml::from_str(&text)
            .map_err(|e| Error::Config { path: self.path.clone(), problems: vec![e.to_string()] })?;
        for u in &file.user {
            u.scope().map_err(|e| Error::Config { path: self.path.clone(), problems: vec![e.to_string()] })?;
        }
        Ok(file.user)
    }

    #[cfg(test)]
    fn find(&self, name: &str) -> Result<Option<User>> {
        Ok(self.load()?.into_iter().find(|u| u.name == name))
    }

    /// Add a user, or set a known user's role, scope and password. The file is replaced
    /// whole (temp file + rename), so a reader never sees half of it.
    pub fn add(&self, name: &str, role: Role, scope: &str, password: &str) -> Result<()> {
        if name.trim().is_empty() || name.chars().any(|c| c.is_control()) || name.len() > MAX_NAME {
            return Err(Error::Usage(format!(
                "a user name cannot be empty, longer than {MAX_NAME} bytes, or hold control characters"
            )));
        }
        if password.chars().count() < 8 {
            return Err(Error::Usage("the password must have at least 8 characters".into()));
        }
        Scope::new(role, scope).map_err(Error::Usage)?;
        let hash = Argon2::default()
            .hash_password(password.as_bytes(), &SaltString::generate(&mut OsRng))
            .map_err(|e| Error::Internal(format!("argon2: {e}")))?
            .to_string();
        let mut users = self.load()?;
        users.retain(|u| u.name != name);
        let scope = if role == Role::County { String::new() } else { scope.to_string() };
        users.push(User { name: name.to_string(), role: role.as_str().to_string(), scope, hash });
        let text = toml::to_string(&File { user: users }).map_err(|e| Error::Internal(e.to_string()))?;
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        crate::warehouse::atomic_write(&self.path, text.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_then_verify_and_replace() {
        let dir = tempfile::tempdir().unwrap();
        let users = Users::new(&dir.path().join("users.toml"));
        users.add("li", Role::Town, "城关镇", "secret-pass-1").unwrap();
        users.add("wang", Role::County, "", "secret-pass-2").unwrap();
        let li = users.find("li").unwrap().unwrap();
        assert!(li.hash.starts_with("$argon2id$"), "{}", li.hash);
        assert!(li.verify("secret-pass-1"));
        assert!(!li.verify("secret-pass-2"));
        assert_eq!(li.scope().unwrap(), Scope::Town("城关镇".into()));
        users.add("li", Role::Dept, "住建局", "another-pass").unwrap();
        let all = users.load().unwrap();
        assert_eq!(all.len(), 2);
        let li = users.find("li").unwrap().unwrap();
        assert!(li.verify("another-pass") && !li.verify("secret-pass-1"));
        assert_eq!(li.scope().unwrap(), Scope::Dept("住建局".into()));
    }

    #[test]
    fn refuses_what_cannot_work() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users.toml");
        let users = Users::new(&path);
        assert!(users.add("li", Role::Town, "", "long-enough").is_err(), "a town user needs a town");
        assert!(users.add("li", Role::County, "", "short").is_err());
        assert!(users.add("", Role::County, "", "long-enough").is_err());
        users.add("wang", Role::County, "", "long-enough").unwrap();
        let good = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, format!("{good}\n[[user]]\nname='x'\nrole='mayor'\nhash=''\n")).unwrap();
        assert!(matches!(users.load(), Err(Error::Config { .. })), "`user add` refuses to rewrite a bad file");
        let server = Users::new(&path);
        assert_eq!(server.current().unwrap().len(), 1, "the server skips the bad entry and keeps the good one");
        assert!(server.active("wang").unwrap().is_some() && server.active("x").unwrap().is_none());
        assert!(users.add(&"长".repeat(30), Role::County, "", "long-enough").is_err(), "a 90-byte name");
    }
}
