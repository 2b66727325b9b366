//! The pages: one minijinja template each over a shared layout (navigation, filters,
//! logout with its CSRF token), auto-escaped as HTML. Chart data goes into `data-chart`
//! attributes as JSON, for `/assets/app.js` to draw: no inline script (the CSP forbids it).

use axum::response::Html;
use minijinja::Environment;
use serde_json::{Value, json};

use super::auth::Session;
use super::query::{self, Filters};
use super::routes::Failure;
use super::scope::Scope;
use super::view::Snapshot;
use crate::model::{Grain, Measure, Metric, Source};

const TEMPLATES: &[(&str, &str)] = &[
    ("layout", include_str!("templates/layout.html")),
    ("login", include_str!("templates/login.html")),
    ("overview", include_str!("templates/overview.html")),
    ("hot", include_str!("templates/hot.html")),
    ("risk", include_str!("templates/risk.html")),
    ("overdue", include_str!("templates/overdue.html")),
    ("quality", include_str!("templates/quality.html")),
    ("surges", include_str!("templates/surges.html")),
    ("cases", include_str!("templates/cases.html")),
    ("case", include_str!("templates/case.html")),
];

/// The navigation: path, page, title.
const NAV: &[(&str, &str, &str)] = &[
    ("/", "overview", "总览"),
    ("/hot", "hot", "热点"),
    ("/risk", "risk", "风险"),
    ("/overdue", "overdue", "超期"),
    ("/quality", "quality", "质效"),
    ("/surges", "surges", "异动"),
    ("/cases", "cases", "案件"),
];

/// Column titles of case lists.
pub const LABELS: &[(&str, &str)] = &[
    ("source", "来源"),
    ("case_id", "编号"),
    ("received_at", "登记时间"),
    ("title", "标题"),
    ("region_town", "问题属地"),
    ("dept", "承办单位"),
    ("focus_topic", "主题"),
    ("level", "风险"),
    ("score", "风险分"),
    ("deadline", "期限"),
    ("days_left", "剩余天数"),
    ("person_key", "信访人（脱敏）"),
    ("due_on", "到期日"),
    ("reasons", "风险理由"),
];

pub fn label(col: &str) -> &str {
    LABELS.iter().find(|(c, _)| *c == col).map_or(col, |(_, l)| l)
}

pub struct Pages(Environment<'static>);

/// A value as one path segment: everything but unreserved ASCII percent-encoded (`/`
/// too, which `urlencode` leaves), so any case number makes a link its route matches.
fn segment(v: String) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A query string with one parameter set (replacing it if present): links that add a
/// filter to the page's filters never repeat a key.
fn with_param(query: String, key: String, value: minijinja::Value) -> String {
    let value = value.to_string();
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()).filter(|(k, _)| *k != key && k != "page") {
        q.append_pair(&k, &v);
    }
    q.append_pair(&key, &value);
    q.finish()
}

/// Weekly counts as a line of block characters (▁ for none … █ for the most).
fn spark(values: Vec<i64>) -> String {
    const BLOCKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = values.iter().copied().max().unwrap_or(0).max(1);
    values.iter().map(|&v| BLOCKS[((v.max(0) * 7 + max - 1) / max).min(7) as usize]).collect()
}

/// A value as JSON text (for `data-chart`; the attribute escaping keeps it intact).
fn json_attr(v: minijinja::Value) -> String {
    serde_json::to_string(&v).unwrap_or_else(|_| "null".into())
}

/// A change as `+12.5%`, `—` when there is none.
fn percent(v: minijinja::Value) -> String {
    f64::try_from(v).map_or_else(|_| "—".to_string(), |x| format!("{:+.1}%", x * 100.0))
}

impl Pages {
    pub fn new() -> crate::Result<Self> {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
        for (name, src) in TEMPLATES {
            env.add_template(name, src).map_err(|e| crate::Error::Internal(format!("template {name}: {e}")))?;
        }
        env.add_filter("json", json_attr);
        env.add_filter("change", percent);
        env.add_filter("label", |c: String| label(&c).to_string());
        env.add_filter("seg", segment);
        env.add_filter("with", with_param);
        env.add_filter("entity", |k: String| crate::model::entity_name(&k).to_string());
        env.add_filter("spark", spark);
        env.add_filter("source_label", |s: String| crate::model::label_of(&s).to_string());
        Ok(Pages(env))
    }

    fn render(&self, name: &str, ctx: Value) -> Result<Html<String>, Failure> {
        self.0
            .get_template(name)
            .and_then(|t| t.render(ctx))
            .map(Html)
            .map_err(|e| Failure::Internal(crate::Error::Internal(format!("page {name}: {e:#}"))))
    }

    pub fn login(&self, message: Option<&str>) -> Html<String> {
        self.render("login", json!({ "message": message }))
            .unwrap_or_else(|_| Html("<h1>minqing</h1><p>the login page failed to render</p>".into()))
    }

    /// A page in the layout: who is logged in, the navigation keeping the filters, the
    /// filter form with the towns and topics in scope, and the page's own data.
    pub async fn page(
        &self,
        snap: &Snapshot,
        session: &Session,
        name: &str,
        f: &Filters,
        data: Value,
    ) -> Result<Html<String>, Failure> {
        let (towns, topics) = query::choices(snap, &session.scope).await?;
        let q = f.query();
        let nav: Vec<Value> = NAV
            .iter()
            .map(|(path, page, title)| {
                let href = if q.is_empty() { path.to_string() } else { format!("{path}?{q}") };
                json!({ "href": href, "title": title, "active": *page == name })
            })
            .collect();
        let sources: Vec<Value> =
            Source::ALL.iter().map(|s| json!({ "name": s.as_str(), "label": s.label() })).collect();
        let ctx = json!({
            "page": name,
            "title": NAV.iter().find(|n| n.1 == name).map_or("案件详情", |n| n.2),
            "user": session.user,
            "role": session.scope.role().as_str(),
            "scope": session.scope.label(),
            "town_fixed": session.scope.town(),
            "csrf": session.csrf,
            "nav": nav,
            "f": f,
            "query": q,
            "towns": towns,
            "topics": topics,
            "sources": sources,
            "latest": snap.latest.map(|d| d.to_string()),
            "data": data,
        });
        self.render(name, ctx)
    }
}

/// 质效: the latest month's work rates with numerator and denominator, and the township
/// ranking, as far as the scope admits.
pub async fn quality(snap: &Snapshot, scope: &Scope) -> Result<Value, Failure> {
    let metrics = snap.metrics().await?;
    let month = metrics.iter().filter(|m| m.grain == Grain::Month).map(|m| m.period.as_str()).max().map(str::to_string);
    let Some(month) = month else { return Ok(json!({ "month": null, "rates": [], "ranking": [] })) };
    let dim = match scope {
        Scope::County => crate::model::Dimension::Total,
        Scope::Town(_) => crate::model::Dimension::Town,
        Scope::Dept(_) => crate::model::Dimension::Dept,
    };
    let in_month = |m: &&Metric| m.grain == Grain::Month && m.period == month && scope.admits_metric(m);
    let mut rates: Vec<&Metric> = metrics
        .iter()
        .filter(in_month)
        .filter(|m| m.dimension == dim && Measure::PETITION_RATES.contains(&m.measure))
        .collect();
    let order = |m: &Metric| Measure::PETITION_RATES.iter().position(|x| *x == m.measure);
    rates.sort_by(|a, b| order(a).cmp(&order(b)).then_with(|| a.source.cmp(&b.source)));
    let rates: Vec<Value> = rates
        .into_iter()
        .map(|m| {
            json!({ "measure": m.measure.as_str(), "source": m.source, "numerator": whole(m.numerator),
                    "denominator": whole(m.denominator), "value": m.value.map(|x| format!("{:.1}%", x * 100.0)) })
        })
        .collect();
    let mut ranking: Vec<(String, Option<f64>, Option<f64>)> = vec![];
    for m in metrics.iter().filter(in_month).filter(|m| m.dimension == crate::model::Dimension::TownRank) {
        let i = match ranking.iter().position(|r| r.0 == m.key) {
            Some(i) => i,
            None => {
                ranking.push((m.key.clone(), None, None));
                ranking.len() - 1
            }
        };
        match m.measure {
            Measure::Rank => ranking[i].1 = m.value,
            Measure::RankScore => ranking[i].2 = m.value,
            _ => {}
        }
    }
    ranking.sort_by(|a, b| a.1.partial_cmp(&b.1).unwrap_or(std::cmp::Ordering::Equal).then_with(|| a.0.cmp(&b.0)));
    let ranking: Vec<Value> = ranking
        .into_iter()
        .map(|(town, rank, score)| json!({ "town": town, "rank": whole(rank), "score": score }))
        .collect();
    Ok(json!({ "month": month, "rates": rates, "ranking": ranking }))
}

/// A count as an integer, other figures as they are.
fn whole(x: Option<f64>) -> Value {
    match x {
        Some(v) if v.fract() == 0.0 && v.abs() < 1e15 => json!(v as i64),
        Some(v) => json!(v),
        None => Value::Null,
    }
}

/// 异动: the surges `metrics` found, newest first, as far as the scope admits.
pub async fn surges(snap: &Snapshot, scope: &Scope) -> Result<Value, Failure> {
    let mut rows: Vec<Metric> = snap
        .metrics()
        .await?
        .iter()
        .filter(|m| m.measure == Measure::Surge && scope.admits_metric(m))
        .cloned()
        .collect();
    rows.sort_by(|a, b| {
        b.period.cmp(&a.period).then_with(|| b.value.partial_cmp(&a.value).unwrap_or(std::cmp::Ordering::Equal))
    });
    rows.truncate(200);
    let rows: Vec<Value> = rows
        .iter()
        .map(|m| {
            json!({ "period": m.period, "grain": m.grain.as_str(), "source": m.source, "dimension": m.dimension.as_str(),
                    "key": m.key, "numerator": whole(m.numerator), "denominator": whole(m.denominator),
                    "note": m.note.as_deref().map(|n| crate::normalize::mask_identifiers(n).into_owned()) })
        })
        .collect();
    Ok(json!({ "surges": rows }))
}

#[cfg(test)]
mod tests {
    #[test]
    fn spark_scales_to_the_largest_week() {
        assert_eq!(super::spark(vec![0, 1, 4, 8]), "▁▂▅█");
        assert_eq!(super::spark(vec![0, 0]), "▁▁");
        assert_eq!(super::spark(vec![]), "");
    }

    #[test]
    fn links_encode_segments_and_replace_parameters() {
        assert_eq!(super::segment("A/1 .x".into()), "A%2F1%20%2Ex");
        assert_eq!(super::segment("..".into()), "%2E%2E");
        let q = super::with_param("from=2026-10-01&source=hotline&page=3".into(), "source".into(), "petition".into());
        assert_eq!(super::with_param("a=1".into(), "page".into(), 2.into()), "a=1&page=2");
        assert_eq!(q, "from=2026-10-01&source=petition");
    }
}
