//! Files the pages load, embedded in the binary (government intranets are offline; nothing
//! comes from a CDN): Apache ECharts as vendored from npm (`assets/echarts/VERSION` has its
//! version and sha256, checked by a test), the page script and the style sheet.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

const ECHARTS: &[u8] = include_bytes!("../../assets/echarts/echarts.min.js");
const APP_JS: &str = include_str!("../../assets/dashboard/app.js");
const STYLE: &str = include_str!("../../assets/dashboard/style.css");

pub async fn serve(Path(name): Path<String>) -> Response {
    let (body, kind): (&[u8], &str) = match name.as_str() {
        "echarts.min.js" => (ECHARTS, "text/javascript; charset=utf-8"),
        "app.js" => (APP_JS.as_bytes(), "text/javascript; charset=utf-8"),
        "style.css" => (STYLE.as_bytes(), "text/css; charset=utf-8"),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    ([(header::CONTENT_TYPE, kind), (header::CACHE_CONTROL, "public, max-age=86400")], body).into_response()
}

#[cfg(test)]
mod tests {
    use sha2::{Digest, Sha256};

    /// The embedded ECharts is the file `VERSION` names, byte for byte.
    #[test]
    fn echarts_is_the_vendored_version() {
        let meta = include_str!("../../assets/echarts/VERSION");
        let field = |k: &str| {
            meta.lines()
                .find_map(|l| l.strip_prefix(k)?.trim_start().strip_prefix('=').map(str::trim))
                .unwrap_or_else(|| panic!("VERSION has no `{k}`"))
        };
        assert_eq!(field("package"), "echarts");
        assert!(field("version").split('.').count() == 3, "a semver version");
        let got: String = Sha256::digest(super::ECHARTS).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(got, field("sha256"), "assets/echarts/echarts.min.js is not the file VERSION records");
        // the UMD build defines the global the page script uses
        assert!(std::str::from_utf8(super::ECHARTS).unwrap().contains("echarts"));
    }
}
