//! `minqing serve`: the dashboard's router in process over the weekly sample's warehouse,
//! for every role and endpoint; scope as a property; login, CSRF and throttle; the audit
//! chain; no raw identifier in any body; a warehouse updated under a running server. The
//! browser test (headless Chromium) is in `browser.rs`.

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use proptest::prelude::*;
use serde_json::Value;
use tower::ServiceExt;

use common::{add_user, minqing, ok};

/// The weekly sample's warehouse with three users, built once for this test binary.
struct Site {
    dir: PathBuf,
    town: String,
    other_town: String,
    dept: String,
}

fn site() -> &'static Site {
    static SITE: OnceLock<Site> = OnceLock::new();
    SITE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap().keep();
        common::run_weekly(&dir);
        // the busiest two townships and the busiest department, as the cases name them
        let towns = common::sql(
            &dir,
            "SELECT coalesce(c.region_town, e.region_town) AS t, count(*) AS n FROM cases c LEFT JOIN enriched e \
             USING (source, case_id) GROUP BY t HAVING t IS NOT NULL ORDER BY n DESC, t LIMIT 2",
        );
        let towns: Vec<String> = towns.lines().skip(1).map(|l| l.split(',').next().unwrap().to_string()).collect();
        let dept = common::sql(
            &dir,
            "SELECT dept, count(*) AS n FROM cases WHERE dept IS NOT NULL GROUP BY dept ORDER BY n DESC, dept LIMIT 1",
        );
        let dept = dept.lines().nth(1).unwrap().split(',').next().unwrap().to_string();
        for (name, role, scope) in
            [("county", "county", ""), ("town", "town", towns[0].as_str()), ("dept", "dept", dept.as_str())]
        {
            ok(&add_user(&dir, "users.toml", name, role, scope, &format!("{name}-password")));
        }
        Site { dir, town: towns[0].clone(), other_town: towns[1].clone(), dept }
    })
}

fn app() -> Arc<minqing::App> {
    static APP: OnceLock<Arc<minqing::App>> = OnceLock::new();
    APP.get_or_init(|| {
        let s = site();
        minqing::App::new(&s.dir.join("warehouse"), &s.dir.join("users.toml")).unwrap()
    })
    .clone()
}

fn rt() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap())
}

struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.text()))
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Every body any test saw: scanned for raw identifiers at the end of `no_raw_identifier…`.
fn seen() -> &'static std::sync::Mutex<Vec<String>> {
    static SEEN: OnceLock<std::sync::Mutex<Vec<String>>> = OnceLock::new();
    SEEN.get_or_init(Default::default)
}

fn send_to(app: Arc<minqing::App>, req: Request<Body>) -> Reply {
    rt().block_on(async move {
        let r = minqing::router(app).oneshot(req).await.unwrap();
        let (parts, body) = r.into_parts();
        let body = axum::body::to_bytes(body, usize::MAX).await.unwrap().to_vec();
        seen().lock().unwrap().push(String::from_utf8_lossy(&body).into_owned());
        Reply { status: parts.status, headers: parts.headers, body }
    })
}

fn send(req: Request<Body>) -> Reply {
    send_to(app(), req)
}

fn get(path: &str, cookie: Option<&str>) -> Reply {
    let mut b = Request::get(path);
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    send(b.body(Body::empty()).unwrap())
}

fn form(path: &str, body: &str, headers: &[(&str, &str)]) -> Reply {
    let mut b = Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    send(b.body(Body::from(body.to_string())).unwrap())
}

/// Log in; the session cookie (`minqing_session=…`).
fn login(user: &str) -> String {
    let r = form("/login", &format!("user={user}&password={user}-password"), &[]);
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let set = r.headers.get(header::SET_COOKIE).unwrap().to_str().unwrap().to_string();
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict"), "{set}");
    set.split(';').next().unwrap().to_string()
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

const PAGES: &[&str] = &["/", "/hot", "/risk", "/overdue", "/quality", "/surges", "/cases", "/cases.xlsx"];
const APIS: &[&str] = &["/api/cases", "/api/summary", "/api/clusters"];

#[test]
fn without_a_session_pages_redirect_and_the_api_answers_401() {
    for p in PAGES {
        let r = get(p, None);
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{p}");
        assert_eq!(r.headers[header::LOCATION], "/login");
    }
    for p in APIS {
        assert_eq!(get(p, None).status, StatusCode::UNAUTHORIZED, "{p}");
    }
    assert_eq!(get("/case/petition/X", Some("minqing_session=forged")).status, StatusCode::SEE_OTHER);
    let login = get("/login", None);
    assert_eq!(login.status, StatusCode::OK);
    let csp = login.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
    assert!(get("/assets/echarts.min.js", None).status.is_success(), "the login page's assets need no session");
}

#[test]
fn every_role_reaches_every_endpoint_within_its_scope() {
    let s = site();
    for user in ["county", "town", "dept"] {
        let c = login(user);
        for p in PAGES {
            let r = get(p, Some(&c));
            assert_eq!(r.status, StatusCode::OK, "{user} {p}: {}", r.text());
        }
        for p in APIS {
            let r = get(p, Some(&c));
            assert_eq!(r.status, StatusCode::OK, "{user} {p}: {}", r.text());
        }
        let list = get("/api/cases?limit=1000", Some(&c)).json();
        let rows = list["rows"].as_array().unwrap();
        assert!(!rows.is_empty(), "{user} sees cases");
        for r in rows {
            match user {
                "town" => assert_eq!(r["region_town"], s.town.as_str(), "{r}"),
                "dept" => {
                    assert_eq!(r["dept"], s.dept.as_str(), "{r}");
                    assert!(r.get("person_key").is_none(), "a department never sees who complained: {r}");
                }
                _ => {}
            }
        }
        // hot clusters: a township or department sees its own members' figures only
        let hot = get("/api/clusters?from=&to=", Some(&c)).json();
        let hot = hot["clusters"].as_array().unwrap();
        assert!(!hot.is_empty(), "{user} sees hot clusters");
        for h in hot {
            if user != "county" {
                assert_eq!(h["cases"], h["in_scope"], "{user}: {h}");
            }
            if user == "town" {
                let regions = h["regions"].as_str().unwrap();
                assert!(regions.starts_with(s.town.as_str()) && !regions.contains('、'), "{regions}");
            }
        }
        if user == "dept" {
            let risk = get("/risk?from=&to=", Some(&c)).text();
            assert!(!risk.contains("<td>信访人</td>"), "a department sees no petitioner among risk objects");
        }
        // one case of the list opens; its page is masked as the role requires
        let first = &rows[0];
        let path = format!("/case/{}/{}", first["source"].as_str().unwrap(), enc(first["case_id"].as_str().unwrap()));
        let page = get(&path, Some(&c));
        assert_eq!(page.status, StatusCode::OK, "{user} {path}");
        if user == "dept" {
            assert!(page.text().contains("不向承办单位显示"));
        }
    }
}

#[test]
fn a_case_outside_the_scope_is_404_and_the_url_cannot_widen_the_scope() {
    let s = site();
    let county = login("county");
    let other = get(&format!("/api/cases?town={}&limit=1", enc(&s.other_town)), Some(&county)).json();
    let row = &other["rows"][0];
    let path = format!("/case/{}/{}", row["source"].as_str().unwrap(), enc(row["case_id"].as_str().unwrap()));
    assert_eq!(get(&path, Some(&county)).status, StatusCode::OK);
    let town = login("town");
    assert_eq!(get(&path, Some(&town)).status, StatusCode::NOT_FOUND, "another township's case");
    assert_eq!(get("/case/petition/NO-SUCH-CASE", Some(&county)).status, StatusCode::NOT_FOUND);
    // asking for another town gives the user's own town
    let asked = get(&format!("/api/cases?town={}&limit=1000", enc(&s.other_town)), Some(&town)).json();
    assert!(asked["rows"].as_array().unwrap().iter().all(|r| r["region_town"] == s.town.as_str()));
    // bad filters are refused, not ignored
    for q in ["from=yesterday", "source=wechat", "from=2026-10-31&to=2026-10-01", "level=紫"] {
        assert_eq!(get(&format!("/api/cases?{q}"), Some(&county)).status, StatusCode::BAD_REQUEST, "{q}");
    }
}

/// The sum of `total` over the towns a county user can pick equals the county total, for
/// the same filters; and a town user's total is the county's for that town.
fn totals_agree(from: &str, to: &str, topic: Option<&str>, source: Option<&str>) {
    let county = login("county");
    let mut q = format!("from={from}&to={to}");
    if let Some(t) = topic {
        q += &format!("&topic={}", enc(t));
    }
    if let Some(s) = source {
        q += &format!("&source={s}");
    }
    let all = get(&format!("/api/cases?{q}&limit=1"), Some(&county)).json()["total"].as_u64().unwrap();
    let summary = get(&format!("/api/summary?{q}"), Some(&county)).json();
    let towns = summary["towns"].as_array().unwrap();
    let by_town: u64 = towns.iter().map(|t| t["cases"].as_u64().unwrap()).sum();
    assert_eq!(by_town, all, "{q}");
    let mut sum = 0;
    for t in towns {
        let n = get(&format!("/api/cases?{q}&town={}&limit=1", enc(t["key"].as_str().unwrap())), Some(&county)).json()
            ["total"]
            .as_u64()
            .unwrap();
        assert_eq!(n, t["cases"].as_u64().unwrap(), "{q} {t}");
        sum += n;
    }
    assert_eq!(sum, all, "{q}");
    let town = login("town");
    let mine = get(&format!("/api/cases?{q}&limit=1000"), Some(&town)).json();
    let expect = towns.iter().find(|t| t["key"] == site().town.as_str()).map_or(0, |t| t["cases"].as_u64().unwrap());
    assert_eq!(mine["total"].as_u64().unwrap(), expect, "{q}");
    assert!(mine["rows"].as_array().unwrap().iter().all(|r| r["region_town"] == site().town.as_str()));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, .. ProptestConfig::default() })]
    #[test]
    fn scope_holds_for_random_filters(
        start in 0u32..120, len in 0u32..200,
        topic in proptest::option::of(prop::sample::select(vec!["住房城乡建设", "劳动和社会保障", "农村农业", "其他"])),
        source in proptest::option::of(prop::sample::select(vec!["petition", "hotline", "message", "opinion"])),
    ) {
        let from = chrono::NaiveDate::from_ymd_opt(2026, 5, 1).unwrap() + chrono::Days::new(start.into());
        let to = from + chrono::Days::new(len.into());
        totals_agree(&from.to_string(), &to.to_string(), topic, source);
    }
}

/// A form post to `app`, from `peer` when given (as the server started by `serve` knows it).
fn form_to(app: &Arc<minqing::App>, peer: Option<&str>, path: &str, body: &str, headers: &[(&str, &str)]) -> Reply {
    let mut b = Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    let req = b.body(Body::from(body.to_string())).unwrap();
    let app = app.clone();
    let peer: Option<std::net::SocketAddr> = peer.map(|p| p.parse().unwrap());
    rt().block_on(async move {
        let router = minqing::router(app);
        let r = match peer {
            Some(p) => router.layer(axum::extract::connect_info::MockConnectInfo(p)).oneshot(req).await,
            None => router.oneshot(req).await,
        }
        .unwrap();
        let (parts, body) = r.into_parts();
        let body = axum::body::to_bytes(body, usize::MAX).await.unwrap().to_vec();
        Reply { status: parts.status, headers: parts.headers, body }
    })
}

#[test]
fn login_is_guarded() {
    // its own server: the throttle it trips must not lock the other tests out
    let s = site();
    let app = minqing::App::new(&s.dir.join("warehouse"), &s.dir.join("users.toml")).unwrap();
    let post = |peer, body: &str, headers: &[(&str, &str)]| form_to(&app, peer, "/login", body, headers);
    // another site's form cannot log a browser in; a script without Origin can
    let r = post(
        None,
        "user=county&password=county-password",
        &[("origin", "https://evil.example"), ("host", "127.0.0.1:8080")],
    );
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = post(
        None,
        "user=county&password=county-password",
        &[("origin", "http://127.0.0.1:8080"), ("host", "127.0.0.1:8080")],
    );
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // a wrong password is 401; after five in a row for one name it is locked (429), right password or not
    for _ in 0..5 {
        assert_eq!(post(None, "user=dept&password=guess", &[]).status, StatusCode::UNAUTHORIZED);
    }
    let r = post(None, "user=dept&password=dept-password", &[]);
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text());
    assert!(r.headers.contains_key(header::RETRY_AFTER));
    assert_eq!(
        post(None, "user=town&password=town-password", &[]).status,
        StatusCode::SEE_OTHER,
        "other names still log in"
    );
    // five bad passwords from one address, for any names, lock that address
    for i in 0..5 {
        post(Some("10.1.2.3:5000"), &format!("user=nobody{i}&password=x"), &[]);
    }
    assert_eq!(
        post(Some("10.1.2.3:5001"), "user=county&password=county-password", &[]).status,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(post(Some("10.1.2.4:5000"), "user=county&password=county-password", &[]).status, StatusCode::SEE_OTHER);

    // logout needs the session's CSRF token
    let c = login("county");
    let page = get("/", Some(&c)).text();
    let csrf = page.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    assert_eq!(form("/logout", "csrf=wrong", &[("cookie", &c)]).status, StatusCode::FORBIDDEN);
    assert_eq!(get("/api/cases", Some(&c)).status, StatusCode::OK, "a refused logout leaves the session");
    let r = form("/logout", &format!("csrf={csrf}"), &[("cookie", &c)]);
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(get("/api/cases", Some(&c)).status, StatusCode::UNAUTHORIZED);
}

#[test]
fn a_session_ends_when_its_user_is_changed_or_removed() {
    let dir = &site().dir;
    ok(&add_user(dir, "users.toml", "mover", "county", "", "mover-password"));
    let c = login("mover");
    assert_eq!(get("/api/cases?limit=1", Some(&c)).status, StatusCode::OK);
    // the file changes under the running server: the next request is refused
    std::thread::sleep(std::time::Duration::from_millis(20));
    ok(&add_user(dir, "users.toml", "mover", "town", &site().town, "mover-password"));
    assert_eq!(get("/api/cases?limit=1", Some(&c)).status, StatusCode::UNAUTHORIZED, "a narrowed scope logs out");
    let c = login("mover");
    let rows = get("/api/cases?limit=50&from=&to=", Some(&c)).json();
    assert!(rows["rows"].as_array().unwrap().iter().all(|r| r["region_town"] == site().town.as_str()));
}

#[test]
fn the_export_is_the_scoped_list_stamped_with_who_and_when() {
    let c = login("town");
    let r = get("/cases.xlsx?from=&to=", Some(&c));
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.headers[header::CONTENT_DISPOSITION].to_str().unwrap().starts_with("attachment"));
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(r.body.clone())).unwrap();
    use calamine::Reader;
    let sheet = wb.worksheet_range("案件清单").unwrap();
    let rows: Vec<Vec<String>> = sheet.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
    assert!(rows[0][0].contains("导出人：town（town:") && rows[0][0].contains("导出时间"), "{:?}", rows[0]);
    let col = rows[1].iter().position(|h| h == "问题属地").unwrap();
    let api = get("/api/cases?from=&to=&limit=1", Some(&c)).json();
    assert_eq!((rows.len() - 2) as u64, api["total"].as_u64().unwrap(), "every row of the scope, none more");
    assert!(rows[2..].iter().all(|r| r[col] == site().town), "only the town's rows");
    assert!(rows[1].iter().any(|h| h == "信访人（脱敏）"));
}

#[test]
fn no_raw_identifier_in_any_body() {
    // visit everything as everyone, then scan every body any test of this binary saw
    for user in ["county", "town", "dept"] {
        let c = login(user);
        for p in PAGES.iter().chain(APIS) {
            get(&format!("{p}{}from=&to=", if p.contains('?') { "&" } else { "?" }), Some(&c));
        }
        let rows = get("/api/cases?from=&to=&limit=200", Some(&c)).json();
        for r in rows["rows"].as_array().unwrap().iter().take(60) {
            get(&format!("/case/{}/{}", r["source"].as_str().unwrap(), enc(r["case_id"].as_str().unwrap())), Some(&c));
        }
    }
    let bodies = seen().lock().unwrap();
    assert!(bodies.len() > 50);
    for b in bodies.iter() {
        assert!(!minqing::has_raw_identifier(b), "a raw phone or ID number in a response: {}", &b[..b.len().min(300)]);
    }
}

#[test]
fn the_audit_log_chains_every_action_and_verify_catches_an_edit() {
    let c = login("county");
    let list = get("/api/cases?limit=3", Some(&c)).json();
    let r = &list["rows"][0];
    let case = format!("{}/{}", r["source"].as_str().unwrap(), r["case_id"].as_str().unwrap());
    get(&format!("/case/{}/{}", r["source"].as_str().unwrap(), enc(r["case_id"].as_str().unwrap())), Some(&c));
    get("/cases.xlsx?limit=5", Some(&c));
    let dir = &site().dir;
    let log = std::fs::read_to_string(dir.join("users.audit.jsonl")).unwrap();
    let lines: Vec<Value> = log.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    for action in ["login", "api", "view", "export"] {
        assert!(lines.iter().any(|l| l["action"] == action && l["user"] == "county"), "{action}");
    }
    assert!(lines.iter().any(|l| l["action"] == "view" && l["cases"][0] == case.as_str()));
    let out = minqing(dir, &["audit", "verify", "--users", "users.toml"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    // a copy with one line edited fails, naming the line
    let edited = log.replacen("\"county\"", "\"someone\"", 1);
    std::fs::write(dir.join("edited.jsonl"), edited).unwrap();
    let out = minqing(dir, &["audit", "verify", "--log", "edited.jsonl"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 1"), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_warehouse_updated_under_the_server_shows_without_a_restart() {
    let s = site();
    let d = tempfile::tempdir().unwrap();
    let copy = d.path().join("warehouse");
    let status = Command::new("cp").arg("-r").arg(s.dir.join("warehouse")).arg(&copy).status().unwrap();
    assert!(status.success());
    let app = minqing::App::new(&copy, &s.dir.join("users.toml")).unwrap();
    let login = |app: &Arc<minqing::App>| {
        let r = send_to(
            app.clone(),
            Request::post("/login")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from("user=county&password=county-password"))
                .unwrap(),
        );
        r.headers[header::SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_string()
    };
    let c = login(&app);
    let total = |app: &Arc<minqing::App>| {
        let r = send_to(
            app.clone(),
            Request::get("/api/cases?from=&to=&limit=1").header(header::COOKIE, &c).body(Body::empty()).unwrap(),
        );
        r.json()["total"].as_u64().unwrap()
    };
    let before = total(&app);
    ok(&minqing(d.path(), &["generate", "--records", "40", "--seed", "77", "--out", "more"]));
    ok(&minqing(d.path(), &["--warehouse", "warehouse", "ingest", "--input", "more/exports/hotline.gbk.csv"]));
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let after = total(&app);
    assert!(after > before, "{before} → {after}: the new cases show");
}
