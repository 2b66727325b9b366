//! The HTTP handlers. Pages need a session (else a redirect to /login), `/api/*` answers
//! 401 without one; every handler takes the caller's scope from the session, never from
//! the request.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, Form, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;

use super::App;
use super::audit::Event;
use super::auth::{self, Session};
use super::query::{self, BadFilter, Filters};
use super::users;

type Shared = State<Arc<App>>;

/// The dashboard's routes over `app`.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/", get(overview))
        .route("/hot", get(hot))
        .route("/risk", get(risk))
        .route("/overdue", get(overdue))
        .route("/quality", get(quality))
        .route("/surges", get(surges))
        .route("/cases", get(case_list))
        .route("/cases.xlsx", get(export))
        .route("/case/{source}/{case_id}", get(one_case))
        .route("/api/cases", get(api_cases))
        .route("/api/summary", get(api_summary))
        .route("/api/clusters", get(api_clusters))
        .route("/assets/{name}", get(super::assets::serve))
        .route("/favicon.ico", get(|| async { StatusCode::NO_CONTENT }))
        .layer(axum::middleware::map_response(secure))
        .with_state(app)
}

/// Headers on every response: a CSP without inline script, no sniffing, no framing, no cache.
async fn secure(mut r: Response) -> Response {
    let h = r.headers_mut();
    let set = |h: &mut HeaderMap, k: header::HeaderName, v: &'static str| {
        h.entry(k).or_insert(HeaderValue::from_static(v));
    };
    set(
        h,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; \
         base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    );
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(h, header::REFERRER_POLICY, "same-origin");
    set(h, header::CACHE_CONTROL, "no-store");
    r
}

/// Why a request failed, as the response says it.
pub enum Failure {
    BadRequest(String),
    NotFound,
    Internal(crate::Error),
}

impl From<crate::Error> for Failure {
    fn from(e: crate::Error) -> Self {
        Failure::Internal(e)
    }
}

impl From<BadFilter> for Failure {
    fn from(e: BadFilter) -> Self {
        Failure::BadRequest(e.0)
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        match self {
            Failure::BadRequest(m) => (StatusCode::BAD_REQUEST, Json(json!({ "error": m }))).into_response(),
            Failure::NotFound => (StatusCode::NOT_FOUND, Json(json!({ "error": "no such case" }))).into_response(),
            Failure::Internal(e) => {
                tracing::error!("dashboard: {e}");
                (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({ "error": "the server failed; see its log" })))
                    .into_response()
            }
        }
    }
}

use axum::Json;

/// The logged-in caller.
pub struct Viewer {
    token: String,
    session: Session,
    addr: Option<String>,
}

impl FromRequestParts<Arc<App>> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, Response> {
        let token =
            parts.headers.get(header::COOKIE).and_then(|h| h.to_str().ok()).and_then(|h| auth::cookie(h, auth::COOKIE));
        let found = token.and_then(|t| app.sessions.get(t).map(|s| (t.to_string(), s)));
        // a user removed from the users file, or given another role or scope, is logged out
        let found = found.filter(|(t, s)| {
            let same = app.users.active(&s.user).ok().flatten().is_some_and(|u| u.scope().is_ok_and(|x| x == s.scope));
            if !same {
                app.sessions.end(t);
            }
            same
        });
        let Client(addr) = Client::from_request_parts(parts, app).await.unwrap_or(Client(None));
        match found {
            Some((token, session)) => Ok(Viewer { token, session, addr }),
            None if parts.uri.path().starts_with("/api/") => {
                Err((StatusCode::UNAUTHORIZED, Json(json!({ "error": "log in first: POST /login" }))).into_response())
            }
            None => Err(Redirect::to("/login").into_response()),
        }
    }
}

impl Viewer {
    fn event<'a>(&'a self, action: &'a str, path: &'a str, f: &Filters, cases: Vec<String>) -> Event<'a> {
        Event {
            user: &self.session.user,
            scope: self.session.scope.label(),
            addr: self.addr.clone(),
            action,
            path,
            filters: f.query(),
            cases,
        }
    }
}

/// Append to the audit log (its disk sync off the async workers).
fn record(app: &App, ev: Event<'_>) -> Result<(), Failure> {
    tokio::task::block_in_place(|| app.audit.record(ev)).map_err(Failure::Internal)
}

fn ids(rows: &[serde_json::Map<String, serde_json::Value>]) -> Vec<String> {
    rows.iter()
        .filter_map(|r| Some(format!("{}/{}", r.get("source")?.as_str()?, r.get("case_id")?.as_str()?)))
        .collect()
}

/// The filters of a request, checked and bound to the caller's scope.
fn filters(f: Filters, v: &Viewer) -> Result<Filters, Failure> {
    f.check()?;
    Ok(f.within(&v.session.scope))
}

// ---- login ----

async fn login_page(State(app): Shared, headers: HeaderMap) -> Response {
    let logged_in = headers
        .get(header::COOKIE)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| auth::cookie(h, auth::COOKIE))
        .is_some_and(|t| app.sessions.get(t).is_some());
    if logged_in {
        return Redirect::to("/").into_response();
    }
    app.pages.login(None).into_response()
}

#[derive(Deserialize)]
struct Credentials {
    user: String,
    password: String,
}

/// The caller's address (when the server was started with it: not in router tests).
pub struct Client(Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let ip = ConnectInfo::<SocketAddr>::from_request_parts(parts, state).await.ok();
        Ok(Client(ip.map(|c| c.0.ip().to_string())))
    }
}

/// An `Origin` header, when sent, must be this server's own (a form on another site cannot
/// log a browser in); a script without one may post the form.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else { return true };
    let Ok(origin) = origin.to_str() else { return false };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default();
    let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
    !host.is_empty() && origin_host == host
}

async fn login(
    State(app): Shared,
    Client(ip): Client,
    headers: HeaderMap,
    Form(c): Form<Credentials>,
) -> Result<Response, Failure> {
    if !same_origin(&headers) {
        return Ok((StatusCode::FORBIDDEN, "login from another site is refused").into_response());
    }
    let page = |status: StatusCode, message: &str| {
        let mut r = app.pages.login(Some(message)).into_response();
        *r.status_mut() = status;
        r
    };
    // a name longer than any user's is not looked up, counted or logged whole
    let name: String = c.user.chars().take(users::MAX_NAME).collect();
    let event = |action| Event { user: &name, addr: ip.clone(), action, path: "/login", ..Default::default() };
    // by address when the server knows it (in-process tests do not), and by user name
    let user_key = format!("user:{name}");
    let keys: Vec<String> = ip.iter().map(|ip| format!("ip:{ip}")).chain([user_key.clone()]).collect();
    if app.throttle.locked(&keys) {
        record(&app, event("login_throttled"))?;
        let mut r = page(StatusCode::TOO_MANY_REQUESTS, "登录失败次数过多，请稍后再试。");
        r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(auth::LOCKOUT.as_secs()));
        return Ok(r);
    }
    let user = match app.users.active(&name) {
        Ok(u) => u.filter(|_| c.user.len() <= users::MAX_NAME),
        Err(e) => {
            tracing::error!("dashboard: {e}");
            return Ok(page(StatusCode::SERVICE_UNAVAILABLE, "用户文件无法读取，请联系管理员。"));
        }
    };
    // argon2 takes a while: off the async workers; a name that does not exist costs the same
    let password = c.password;
    let checked = tokio::task::spawn_blocking(move || match user {
        Some(u) => u.verify(&password).then_some(u),
        None => {
            users::verify_nobody(&password);
            None
        }
    })
    .await
    .map_err(|e| Failure::Internal(crate::Error::Internal(format!("password check: {e}"))))?;
    let Some((user, Ok(scope))) = checked.map(|u| {
        let scope = u.scope();
        (u, scope)
    }) else {
        app.throttle.fail(&keys);
        record(&app, event("login_failed"))?;
        return Ok(page(StatusCode::UNAUTHORIZED, "用户名或密码不正确。"));
    };
    app.throttle.succeed(&user_key);
    record(
        &app,
        Event {
            user: &user.name,
            scope: scope.label(),
            addr: ip.clone(),
            action: "login",
            path: "/login",
            ..Default::default()
        },
    )?;
    let token = app.sessions.start(&user.name, scope);
    let cookie = format!("{}={token}; HttpOnly; SameSite=Strict; Path=/", auth::COOKIE);
    Ok((StatusCode::SEE_OTHER, [(header::SET_COOKIE, cookie), (header::LOCATION, "/".to_string())]).into_response())
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn logout(State(app): Shared, v: Viewer, Form(f): Form<CsrfForm>) -> Result<Response, Failure> {
    if !auth::same(&f.csrf, &v.session.csrf) {
        return Ok(
            (StatusCode::FORBIDDEN, "the form's CSRF token is missing or wrong; reload the page").into_response()
        );
    }
    record(&app, v.event("logout", "/logout", &Filters::default(), vec![]))?;
    app.sessions.end(&v.token);
    let clear = format!("{}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0", auth::COOKIE);
    Ok((StatusCode::SEE_OTHER, [(header::SET_COOKIE, clear), (header::LOCATION, "/login".to_string())]).into_response())
}

// ---- pages ----

async fn overview(State(app): Shared, v: Viewer, Query(f): Query<Filters>) -> Result<Html<String>, Failure> {
    let snap = app.data.snapshot().await?;
    let f = filters(f, &v)?.with_default_period(snap.latest);
    let s = query::summary(&snap, &v.session.scope, &f).await?;
    record(&app, v.event("list", "/", &f, vec![]))?;
    app.pages.page(&snap, &v.session, "overview", &f, json!({ "summary": s })).await
}

async fn hot(State(app): Shared, v: Viewer, Query(f): Query<Filters>) -> Result<Html<String>, Failure> {
    let snap = app.data.snapshot().await?;
    let f = filters(f, &v)?.with_default_period(snap.latest);
    let rows = query::clusters(&snap, &v.session.scope, &f).await?;
    record(&app, v.event("list", "/hot", &f, vec![]))?;
    app.pages.page(&snap, &v.session, "hot", &f, json!({ "clusters": rows })).await
}

async fn risk(State(app): Shared, v: Viewer, Query(f): Query<Filters>) -> Result<Html<String>, Failure> {
    let snap = app.data.snapshot().await?;
    let f = filters(f, &v)?.with_default_period(snap.latest);
    let scope = &v.session.scope;
    let cases = query::risky(&snap, scope, &f).await?;
    let objects = query::risky_objects(&snap, scope, &f).await?;
    record(&app, v.event("list", "/risk", &f, ids(&cases)))?;
    app.pages.page(&snap, &v.session, "risk", &f, json!({ "cases": cases, "objects": objects })).await
}

async fn overdue(State(app): Shared, v: Viewer, Query(f): Query<Filters>) -> Result<Html<String>, Failure> {
    let snap = app.data.snapshot().await?;
    let f = filters(f, &v)?;
    let (counts, rows) = query::overdue(&snap, &v.session.scope, &f).await?;
    record(&app, v.event("list", "/overdue", &f, ids(&rows)))?;
    app.pages.page(&snap, &v.session, "overdue", &f, json!({ "counts": counts, "cases": rows })).await
}

async fn quality(State(app): Shared, v: Viewer, Query(f): Query<Filters>) -> Result<Html<String>, Failure> {
    let snap = app.data.snapshot().await?;
    let f = filters(f, &v)?;
    let q = super::pages::quality(&snap, &v.session.scope).await?;
    record(&app, v.event("list", "/quality", &f, vec![]))?;
    app.pages.page(&snap, &v.session, "quality", &f, q).await
}

async fn surges(State(app): Shared, v: Viewer, Query(f): Query<Filters>) -> Result<Html<String>, Failure> {
    let snap = app.data.snapshot().await?;
    let f = filters(f, &v)?;
    let q = super::pages::surges(&snap, &v.session.scope).await?;
    record(&app, v.event("list", "/surges", &f, vec![]))?;
    app.pages.page(&snap, &v.session, "surges", &f, q).await
}

async fn case_list(State(app): Shared, v: Viewer, Query(f): Query<Filters>) -> Result<Html<String>, Failure> {
    let snap = app.data.snapshot().await?;
    let f = filters(f, &v)?.with_default_period(snap.latest);
    let (limit, page) = (f.limit(), f.page());
    let list = query::cases(&snap, &v.session.scope, &f, limit, (page - 1).saturating_mul(limit)).await?;
    record(&app, v.event("list", "/cases", &f, ids(&list.rows)))?;
    let columns = query::list_columns(&v.session.scope);
    let pages = list.total.div_ceil(limit).max(1);
    app.pages
        .page(&snap, &v.session, "cases", &f, json!({ "list": list, "columns": columns, "page": page, "pages": pages }))
        .await
}

async fn one_case(
    State(app): Shared,
    v: Viewer,
    Path((source, case_id)): Path<(String, String)>,
) -> Result<Html<String>, Failure> {
    let snap = app.data.snapshot().await?;
    let Some(row) = query::case(&snap, &v.session.scope, &source, &case_id).await? else {
        // outside the scope or not there: the same answer, and a line in the log
        record(&app, v.event("view_denied", "/case", &Filters::default(), vec![format!("{source}/{case_id}")]))?;
        return Err(Failure::NotFound);
    };
    let f = Filters::default();
    record(&app, v.event("view", "/case", &f, vec![format!("{source}/{case_id}")]))?;
    app.pages
        .page(&snap, &v.session, "case", &f, json!({ "case": row, "identity": v.session.scope.sees_identity() }))
        .await
}

async fn export(State(app): Shared, v: Viewer, Query(f): Query<Filters>) -> Result<Response, Failure> {
    let snap = app.data.snapshot().await?;
    let f = filters(f, &v)?.with_default_period(snap.latest);
    let list = query::cases(&snap, &v.session.scope, &f, query::EXPORT_LIMIT, 0).await?;
    let stamp = chrono::Local::now().format("%Y-%m-%d %H:%M:%S").to_string();
    let bytes = super::export::xlsx(&list, &query::list_columns(&v.session.scope), &v.session, &f, &stamp)?;
    record(&app, v.event("export", "/cases.xlsx", &f, ids(&list.rows)))?;
    let name = format!("cases-{}.xlsx", chrono::Local::now().format("%Y%m%d-%H%M%S"));
    Ok((
        [
            (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        bytes,
    )
        .into_response())
}

// ---- API ----

/// `limit` of /api/cases: 50 unless asked, at most 1000.
async fn api_cases(State(app): Shared, v: Viewer, Query(f): Query<Filters>) -> Result<Response, Failure> {
    let snap = app.data.snapshot().await?;
    let f = filters(f, &v)?;
    let (limit, page) = (f.limit(), f.page());
    let list = query::cases(&snap, &v.session.scope, &f, limit, (page - 1).saturating_mul(limit)).await?;
    record(&app, v.event("api", "/api/cases", &f, ids(&list.rows)))?;
    Ok(Json(list).into_response())
}

async fn api_summary(State(app): Shared, v: Viewer, Query(f): Query<Filters>) -> Result<Response, Failure> {
    let snap = app.data.snapshot().await?;
    let f = filters(f, &v)?.with_default_period(snap.latest);
    let s = query::summary(&snap, &v.session.scope, &f).await?;
    record(&app, v.event("api", "/api/summary", &f, vec![]))?;
    Ok(Json(s).into_response())
}

async fn api_clusters(State(app): Shared, v: Viewer, Query(f): Query<Filters>) -> Result<Response, Failure> {
    let snap = app.data.snapshot().await?;
    let f = filters(f, &v)?.with_default_period(snap.latest);
    let rows = query::clusters(&snap, &v.session.scope, &f).await?;
    record(&app, v.event("api", "/api/clusters", &f, vec![]))?;
    Ok(Json(json!({ "clusters": rows })).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_must_be_this_host_when_sent() {
        let mut h = HeaderMap::new();
        assert!(same_origin(&h), "a script without Origin may log in");
        h.insert(header::HOST, HeaderValue::from_static("10.0.0.5:8080"));
        h.insert(header::ORIGIN, HeaderValue::from_static("http://10.0.0.5:8080"));
        assert!(same_origin(&h));
        h.insert(header::ORIGIN, HeaderValue::from_static("https://evil.example"));
        assert!(!same_origin(&h));
    }
}
