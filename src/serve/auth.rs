//! Sessions, the login throttle and CSRF tokens. A session is a random token in an
//! HttpOnly, SameSite=Strict cookie, held in memory (a restart logs everyone out); each
//! session has its own CSRF token that every state-changing POST must carry.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand::TryRngCore;

use super::scope::Scope;

pub const COOKIE: &str = "minqing_session";
/// A session unused this long is gone…
const IDLE: Duration = Duration::from_secs(2 * 3600);
/// …and any session this long after its login.
const LIFETIME: Duration = Duration::from_secs(12 * 3600);
/// This many bad passwords from one address, or for one user name, within [`WINDOW`]…
pub const MAX_FAILURES: u32 = 5;
const WINDOW: Duration = Duration::from_secs(15 * 60);
/// …and logins from there, or for that name, are refused (429) this long after the last one.
pub const LOCKOUT: Duration = Duration::from_secs(10 * 60);

/// A logged-in user.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: String,
    pub scope: Scope,
    pub csrf: String,
    seen: Instant,
    started: Instant,
}

impl Session {
    fn expired(&self) -> bool {
        self.seen.elapsed() >= IDLE || self.started.elapsed() >= LIFETIME
    }
}

pub fn token() -> String {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.try_fill_bytes(&mut b).expect("the OS random source answers");
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Compare secrets without leaking where they first differ.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[derive(Default)]
pub struct Sessions(Mutex<HashMap<String, Session>>);

impl Sessions {
    pub fn start(&self, user: &str, scope: Scope) -> String {
        let t = token();
        let now = Instant::now();
        let s = Session { user: user.to_string(), scope, csrf: token(), seen: now, started: now };
        let mut m = self.0.lock().expect("the session lock");
        m.retain(|_, s| !s.expired());
        m.insert(t.clone(), s);
        t
    }

    pub fn get(&self, token: &str) -> Option<Session> {
        let mut m = self.0.lock().expect("the session lock");
        let s = m.get_mut(token)?;
        if s.expired() {
            m.remove(token);
            return None;
        }
        s.seen = Instant::now();
        Some(s.clone())
    }

    pub fn end(&self, token: &str) {
        self.0.lock().expect("the session lock").remove(token);
    }
}

/// Failed logins per address and per user name: (failures, time of the last one).
#[derive(Default)]
pub struct Throttle(Mutex<HashMap<String, (u32, Instant)>>);

impl Throttle {
    /// Whether any of `keys` is locked out now. A lockout that has run its time is
    /// forgotten, so one mistyped password after it does not lock the name again.
    pub fn locked(&self, keys: &[String]) -> bool {
        let mut m = self.0.lock().expect("the throttle lock");
        let mut locked = false;
        for k in keys {
            if let Some(&(n, last)) = m.get(k)
                && n >= MAX_FAILURES
            {
                if last.elapsed() < LOCKOUT {
                    locked = true;
                } else {
                    m.remove(k);
                }
            }
        }
        locked
    }

    /// Count a failure for each key; a count whose last failure is older than the window
    /// starts again.
    pub fn fail(&self, keys: &[String]) {
        let mut m = self.0.lock().expect("the throttle lock");
        let now = Instant::now();
        if m.len() > 10_000 {
            m.retain(|_, (_, last)| last.elapsed() < WINDOW.max(LOCKOUT));
        }
        for k in keys {
            let e = m.entry(k.clone()).or_insert((0, now));
            if e.1.elapsed() > WINDOW {
                e.0 = 0;
            }
            e.0 += 1;
            e.1 = now;
        }
    }

    /// A good login clears its user name's count (not its address's: one valid account
    /// must not reset the count of guesses at others from the same machine).
    pub fn succeed(&self, key: &str) {
        self.0.lock().expect("the throttle lock").remove(key);
    }
}

/// The value of one cookie in a `Cookie` header.
pub fn cookie<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').map(str::trim).find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttle_locks_after_the_limit_per_key() {
        let t = Throttle::default();
        let keys = vec!["ip:1.2.3.4".to_string(), "user:li".to_string()];
        for _ in 0..MAX_FAILURES - 1 {
            t.fail(&keys);
        }
        assert!(!t.locked(&keys));
        t.fail(&keys);
        assert!(t.locked(&["user:li".to_string()]));
        assert!(!t.locked(&["user:wang".to_string()]));
        t.succeed("user:li");
        assert!(!t.locked(&["user:li".to_string()]));
        assert!(t.locked(&["ip:1.2.3.4".to_string()]), "a good login does not clear its address");
    }

    #[test]
    fn sessions_and_cookies() {
        let s = Sessions::default();
        let tok = s.start("li", Scope::County);
        assert_eq!(tok.len(), 64);
        assert_eq!(s.get(&tok).unwrap().user, "li");
        s.end(&tok);
        assert!(s.get(&tok).is_none());
        assert_eq!(cookie("a=1; minqing_session=abc; b=2", COOKIE), Some("abc"));
        assert_eq!(cookie("minqing_sessionx=abc", COOKIE), None);
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab"));
    }
}
