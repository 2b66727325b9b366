//! The dashboard in a real browser: `minqing serve` on the weekly sample's warehouse,
//! driven in headless Chromium by `tests/browser/dashboard.mjs` (playwright-core, installed
//! by `scripts/browser-setup.sh`): log in, click a bar of the township chart, land on the
//! filtered list, open a case (masked), export the list as xlsx (only in-scope rows), with
//! no console error or CSP violation. With `MINQING_SHOTS=DIR` the screenshots go to DIR
//! (the README's are made with `MINQING_SHOTS=docs/img`).

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use calamine::Reader;
use common::ok;
use serde_json::Value;

/// A running `minqing serve`, stopped when dropped.
struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(dir: &Path) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_minqing"))
        .args(["serve", "--warehouse", "warehouse", "--users", "users.toml", "--bind", "127.0.0.1:0"])
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.split_whitespace().find(|w| w.starts_with("http://")).unwrap_or_else(|| panic!("{line}"));
    Server { url: url.trim_end_matches('/').to_string(), child }
}

fn add_user(dir: &Path, name: &str, role: &str, scope: &str) {
    ok(&common::add_user(dir, "users.toml", name, role, scope, &format!("{name}-password")));
}

/// Run the driver as `user`; its JSON summary.
fn drive(server: &Server, user: &str, out: &Path, shots: Option<&Path>) -> Value {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    assert!(
        root.join("tests/browser/node_modules/playwright-core").is_dir(),
        "playwright-core is not installed: run scripts/browser-setup.sh (scripts/test.sh does)"
    );
    let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].into_iter().find(|p| Path::new(p).exists());
    let chromium = chromium.expect("Chromium is not installed: run scripts/setup.sh (scripts/test.sh does)");
    let run = Command::new("node")
        .arg(root.join("tests/browser/dashboard.mjs"))
        .env("BASE_URL", &server.url)
        .env("LOGIN_USER", user)
        .env("LOGIN_PASSWORD", format!("{user}-password"))
        .env("CHROMIUM", chromium)
        .env("OUT", out)
        .env("SHOTS", shots.map(|p| p.to_string_lossy().into_owned()).unwrap_or_default())
        .output()
        .expect("node runs (scripts/browser-setup.sh installs it)");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "the browser run failed:\n{}\n{stdout}", String::from_utf8_lossy(&run.stderr));
    serde_json::from_str(stdout.lines().last().unwrap()).unwrap()
}

/// Rows of the exported workbook under its header row, as (问题属地, row).
fn exported(path: &Path) -> Vec<String> {
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(path).unwrap();
    let sheet = wb.worksheet_range("案件清单").unwrap();
    let rows: Vec<Vec<String>> = sheet.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
    let col = rows[1].iter().position(|h| h == "问题属地").expect("a 问题属地 column");
    rows[2..].iter().map(|r| r[col].clone()).collect()
}

#[test]
fn a_leader_clicks_through_to_a_case_and_exports_the_list() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    common::run_weekly(dir);
    let town = common::sql(
        dir,
        "SELECT coalesce(c.region_town, e.region_town) AS t, count(*) AS n FROM cases c LEFT JOIN enriched e \
         USING (source, case_id) GROUP BY t HAVING t IS NOT NULL ORDER BY n DESC, t LIMIT 1",
    );
    let town = town.lines().nth(1).unwrap().split(',').next().unwrap().to_string();
    add_user(dir, "county", "county", "");
    add_user(dir, "town", "town", &town);
    let server = serve(dir);
    let shots: Option<PathBuf> =
        std::env::var_os("MINQING_SHOTS").map(|p| Path::new(env!("CARGO_MANIFEST_DIR")).join(p));

    // the county: any town's bar leads to that town's cases, and the export holds them all
    let out = dir.join("county-out");
    let r = drive(&server, "county", &out, shots.as_deref());
    let clicked = r["town"].as_str().unwrap();
    assert!(r["rows"].as_u64().unwrap() > 0);
    let towns = exported(Path::new(r["xlsx"].as_str().unwrap()));
    assert_eq!(towns.len() as u64, r["total"].as_u64().unwrap(), "the export is the whole filtered list");
    assert!(towns.iter().all(|t| t == clicked), "only {clicked}'s rows: {towns:?}");

    // a township: it sees its own bar only, and its export holds only its own cases
    let out = dir.join("town-out");
    let r = drive(&server, "town", &out, None);
    assert_eq!(r["town"], town.as_str());
    let rows = exported(Path::new(r["xlsx"].as_str().unwrap()));
    assert!(!rows.is_empty() && rows.iter().all(|t| *t == town), "{rows:?}");

    // a short load test on the same server: every request answered
    let addr = server.url.trim_start_matches("http://").to_string();
    let mut load = Command::new(env!("CARGO_BIN_EXE_minqing"))
        .args(["load", "--addr", &addr, "--user", "county", "--clients", "4", "--seconds", "2"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    load.stdin.take().unwrap().write_all(b"county-password\n").unwrap();
    let report = ok(&load.wait_with_output().unwrap());
    assert!(report.contains(" 0 errors") && report.contains("p95"), "{report}");

    // the audit log has the logins, the list, the case view and the exports
    let log = std::fs::read_to_string(dir.join("users.audit.jsonl")).unwrap();
    for action in ["\"login\"", "\"list\"", "\"view\"", "\"export\""] {
        assert!(log.contains(action), "{action}");
    }
    ok(&common::minqing(dir, &["audit", "verify", "--users", "users.toml"]));
}
