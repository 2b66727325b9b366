//! `minqing serve`: the leaders' dashboard on the intranet. Pages rendered on the server
//! (minijinja), charts drawn by the vendored Apache ECharts, the warehouse read through
//! DataFusion, every query scoped on the server to what the logged-in user may see
//! ([`scope`]), every login, list, case view and export written to a hash-chained audit
//! log ([`audit`]).
//!
//! - `users`: the users file and `minqing user add` (argon2id);
//! - `auth`: sessions, CSRF tokens, the login throttle;
//! - `scope`: what a county, town or department user may see, in one place;
//! - `view`: the warehouse snapshot and the case view, rebuilt when the warehouse changes;
//! - `query`: filters and the questions the pages ask, as DataFusion expressions;
//! - `routes`: the HTTP handlers; `pages`: the templates; `assets`: ECharts, script, style;
//! - `export`: the current list as xlsx; `load`: `minqing load`, a bounded load test.

mod assets;
pub(crate) mod audit;
mod auth;
mod export;
pub(crate) mod load;
mod pages;
mod query;
mod routes;
mod scope;
pub(crate) mod users;
mod view;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use crate::{Error, Result};

pub use routes::router;

/// Everything a request handler reads.
pub struct App {
    data: view::Data,
    users: users::Users,
    sessions: auth::Sessions,
    throttle: auth::Throttle,
    audit: audit::Audit,
    pages: pages::Pages,
}

impl App {
    /// The dashboard over one warehouse, with the users of `users` (the audit log goes
    /// beside it).
    pub fn new(warehouse: &Path, users: &Path) -> Result<Arc<App>> {
        let u = users::Users::new(users);
        if u.load()?.is_empty() {
            return Err(Error::Usage(format!(
                "{} holds no user; add one with `minqing user add --users {} NAME --role county`",
                users.display(),
                users.display()
            )));
        }
        Ok(Arc::new(App {
            data: view::Data::new(warehouse)?,
            users: u,
            sessions: Default::default(),
            throttle: Default::default(),
            audit: audit::Audit::open(&audit::path_for(users))?,
            pages: pages::Pages::new()?,
        }))
    }
}

/// Serve until stopped. Prints the address once listening.
pub fn serve(warehouse: &Path, users: &Path, bind: &str) -> Result<()> {
    let app = App::new(warehouse, users)?;
    let addr: SocketAddr =
        bind.parse().map_err(|_| Error::Usage(format!("--bind wants an address like 127.0.0.1:8080, not `{bind}`")))?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Internal(format!("tokio runtime: {e}")))?;
    rt.block_on(async move {
        // read the warehouse once before the first visitor
        app.data.snapshot().await?;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| Error::Usage(format!("cannot listen on {addr}: {e}")))?;
        let local = listener.local_addr().map_err(|e| Error::io(warehouse, e))?;
        println!("minqing dashboard on http://{local}/ (Ctrl-C stops it)");
        let service = router(app).into_make_service_with_connect_info::<SocketAddr>();
        // Ctrl-C or SIGTERM end the process: nothing is held in memory that matters (each
        // audit line is on disk before its response goes out)
        axum::serve(listener, service).await.map_err(|e| Error::io(warehouse, e))
    })
}
