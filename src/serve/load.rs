//! `minqing load`: a bounded load test of a running dashboard on localhost. N clients (one
//! thread and one keep-alive connection each) share one session and request case lists
//! for S seconds, rotating through the filters a leader would use (all, each source, each
//! of the busiest townships, later pages); latency is measured per request and summed up
//! as percentiles.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::{Error, Result};

/// What to run.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// `127.0.0.1:8080`
    pub addr: String,
    pub user: String,
    pub password: String,
    pub clients: usize,
    pub seconds: u64,
}

/// What it measured.
#[derive(Debug)]
pub struct LoadReport {
    pub requests: usize,
    pub errors: usize,
    pub seconds: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub paths: usize,
}

impl std::fmt::Display for LoadReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} requests of /api/cases ({} distinct queries) in {:.1} s: {:.0}/s, {} errors; latency p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            self.requests,
            self.paths,
            self.seconds,
            self.requests as f64 / self.seconds,
            self.errors,
            self.p50_ms,
            self.p95_ms,
            self.p99_ms,
            self.max_ms
        )
    }
}

fn service(e: impl std::fmt::Display) -> Error {
    Error::Service(format!("load test: {e}"))
}

/// One HTTP/1.1 exchange on a kept-alive connection: (status, body).
fn exchange(conn: &mut BufReader<TcpStream>, request: &str) -> Result<(u16, Vec<u8>)> {
    conn.get_mut().write_all(request.as_bytes()).map_err(service)?;
    let mut status = 0u16;
    let mut length = 0usize;
    let mut line = String::new();
    loop {
        line.clear();
        if conn.read_line(&mut line).map_err(service)? == 0 {
            return Err(service("the server closed the connection"));
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if status == 0 {
            status = l.split_whitespace().nth(1).and_then(|s| s.parse().ok()).ok_or_else(|| service(l))?;
        } else if let Some((k, v)) = l.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse().map_err(service)?;
            } else if k.eq_ignore_ascii_case("transfer-encoding") {
                return Err(service("chunked responses are not expected from the dashboard"));
            }
        }
    }
    let mut body = vec![0; length];
    conn.read_exact(&mut body).map_err(service)?;
    Ok((status, body))
}

fn connect(addr: &str) -> Result<BufReader<TcpStream>> {
    let s = TcpStream::connect(addr).map_err(|e| service(format!("cannot connect to {addr}: {e}")))?;
    s.set_nodelay(true).map_err(service)?;
    s.set_read_timeout(Some(Duration::from_secs(60))).map_err(service)?;
    Ok(BufReader::new(s))
}

fn get(path: &str, host: &str, cookie: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nCookie: {cookie}\r\nConnection: keep-alive\r\n\r\n")
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

pub fn load(cfg: &LoadConfig) -> Result<LoadReport> {
    let host = cfg.addr.as_str();
    // log in once; every client uses the session
    let mut conn = connect(host)?;
    let body = format!("user={}&password={}", enc(&cfg.user), enc(&cfg.password));
    let login = format!(
        "POST /login HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    conn.get_mut().write_all(login.as_bytes()).map_err(service)?;
    let mut head = String::new();
    conn.read_to_string(&mut head).map_err(service)?;
    let cookie = head
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: ").or_else(|| l.strip_prefix("Set-Cookie: ")))
        .and_then(|c| c.split(';').next())
        .ok_or_else(|| service(format!("login as {} failed: {}", cfg.user, head.lines().next().unwrap_or(""))))?
        .to_string();
    // the queries: all, each source, the busiest townships, later pages
    let mut conn = connect(host)?;
    let (status, summary) = exchange(&mut conn, &get("/api/summary?from=&to=", host, &cookie))?;
    if status != 200 {
        return Err(service(format!("/api/summary answered {status}")));
    }
    let summary: serde_json::Value = serde_json::from_slice(&summary).map_err(service)?;
    let mut paths = vec!["/api/cases".to_string()];
    paths.extend(crate::model::Source::ALL.iter().map(|s| format!("/api/cases?source={}", s.as_str())));
    for t in summary["towns"].as_array().into_iter().flatten().take(8) {
        if let Some(k) = t["key"].as_str() {
            paths.push(format!("/api/cases?town={}", enc(k)));
        }
    }
    paths.extend((2..=5).map(|p| format!("/api/cases?page={p}")));
    let until = Instant::now() + Duration::from_secs(cfg.seconds);
    let started = Instant::now();
    let results: Vec<Result<(Vec<Duration>, usize)>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..cfg.clients)
            .map(|i| {
                let (paths, cookie) = (&paths, &cookie);
                s.spawn(move || -> Result<(Vec<Duration>, usize)> {
                    let (mut times, mut errors) = (vec![], 0);
                    let mut conn = None;
                    let mut k = i;
                    while Instant::now() < until {
                        // a connection that failed is opened again; a refused one counts as an error
                        let c = match conn.as_mut() {
                            Some(c) => c,
                            None => match connect(host) {
                                Ok(c) => conn.insert(c),
                                Err(_) => {
                                    errors += 1;
                                    std::thread::sleep(Duration::from_millis(100));
                                    continue;
                                }
                            },
                        };
                        let t = Instant::now();
                        match exchange(c, &get(&paths[k % paths.len()], host, cookie)) {
                            Ok((200, _)) => times.push(t.elapsed()),
                            Ok(_) => errors += 1,
                            Err(_) => {
                                errors += 1;
                                conn = None;
                            }
                        }
                        k += 1;
                    }
                    Ok((times, errors))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err(Error::Internal("a load client panicked".into()))))
            .collect()
    });
    let seconds = started.elapsed().as_secs_f64();
    let (mut all, mut errors) = (vec![], 0);
    for r in results {
        let (t, e) = r?;
        all.extend(t);
        errors += e;
    }
    all.sort();
    let pct = |p: f64| {
        if all.is_empty() {
            return 0.0;
        }
        let i = ((all.len() as f64 * p).ceil() as usize).clamp(1, all.len()) - 1;
        all[i].as_secs_f64() * 1000.0
    };
    Ok(LoadReport {
        requests: all.len(),
        errors,
        seconds,
        p50_ms: pct(0.50),
        p95_ms: pct(0.95),
        p99_ms: pct(0.99),
        max_ms: all.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0),
        paths: paths.len(),
    })
}
