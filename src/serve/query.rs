//! What the pages and the API ask of the warehouse, each built from DataFusion
//! expressions over the case view as the caller's [`Scope`] admits it (never by formatting
//! SQL): the user's filters, the case list, the summary, hot clusters, risk, deadlines, one
//! case.

use std::collections::BTreeMap;

use arrow::array::RecordBatch;
use chrono::{Datelike, Days, NaiveDate};
use datafusion::common::{JoinType, ScalarValue};
use datafusion::functions_aggregate::expr_fn::{count, sum};
use datafusion::prelude::{DataFrame, Expr, col, lit};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::scope::Scope;
use super::view::{self as v, Snapshot};
use crate::model::{Level, Source, Tally, ratio};
use crate::schema::{self, table};
use crate::{Error, Result};

/// At most this many rows in one list page; an export takes up to [`EXPORT_LIMIT`].
pub const LIST_LIMIT: usize = 1000;
pub const EXPORT_LIMIT: usize = 50_000;

/// The filters a user may choose, as the URL carries them (`?town=&topic=&source=&from=&to=`).
/// Empty values mean "not chosen".
#[derive(Debug, Default, Clone, Deserialize, Serialize, PartialEq)]
#[serde(default)]
pub struct Filters {
    pub from: Option<String>,
    pub to: Option<String>,
    pub town: Option<String>,
    pub topic: Option<String>,
    pub source: Option<String>,
    pub level: Option<String>,
    pub deadline: Option<String>,
    pub cluster: Option<String>,
    pub limit: Option<usize>,
    pub page: Option<usize>,
}

/// A filter value the server refuses (answered with 400).
#[derive(Debug)]
pub struct BadFilter(pub String);

fn chosen(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn date(name: &str, s: &Option<String>) -> std::result::Result<Option<NaiveDate>, BadFilter> {
    chosen(s)
        .map(|d| {
            NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .ok()
                .filter(|x| (1900..=2100).contains(&x.year()))
                .ok_or_else(|| BadFilter(format!("`{name}` must be a date like 2026-10-31 (1900–2100), not `{d}`")))
        })
        .transpose()
}

impl Filters {
    /// Checked: dates are dates, source and level are known names, from ≤ to.
    pub fn check(&self) -> std::result::Result<(), BadFilter> {
        let (from, to) = (date("from", &self.from)?, date("to", &self.to)?);
        if let (Some(f), Some(t)) = (from, to)
            && f > t
        {
            return Err(BadFilter(format!("`from` ({f}) is after `to` ({t})")));
        }
        if let Some(s) = chosen(&self.source)
            && Source::parse(s).is_none()
        {
            return Err(BadFilter(format!("unknown source `{s}`; sources are petition, hotline, message, opinion")));
        }
        if let Some(l) = chosen(&self.level)
            && Level::parse(l).is_none()
        {
            return Err(BadFilter(format!("unknown level `{l}`; levels are 红, 橙, 黄, 蓝")));
        }
        Ok(())
    }

    pub fn range(&self) -> (Option<NaiveDate>, Option<NaiveDate>) {
        (date("from", &self.from).ok().flatten(), date("to", &self.to).ok().flatten())
    }

    /// With the period set: the last 30 days up to the newest case when the URL names none
    /// (the pages' default, written back into their links so the URL holds it).
    pub fn with_default_period(mut self, latest: Option<NaiveDate>) -> Filters {
        // `from=&to=` (present, empty) asks for all time; only absent ones get the default
        if self.from.is_none()
            && self.to.is_none()
            && let Some(to) = latest
        {
            self.to = Some(to.to_string());
            self.from = to.checked_sub_days(Days::new(29)).map(|d| d.to_string());
        }
        self
    }

    /// A town user's township is fixed: whatever the URL says, the scope decides.
    pub fn within(mut self, scope: &Scope) -> Filters {
        if let Some(t) = scope.town() {
            self.town = Some(t.to_string());
        }
        self
    }

    pub fn limit(&self) -> usize {
        self.limit.unwrap_or(50).clamp(1, LIST_LIMIT)
    }

    pub fn page(&self) -> usize {
        self.page.unwrap_or(1).clamp(1, 1_000_000)
    }

    /// The query string of these filters (chosen values only, without paging), for links.
    pub fn query(&self) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        for (k, val) in self.pairs() {
            q.append_pair(k, &val);
        }
        q.finish()
    }

    /// The chosen values, named, in a fixed order.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        [
            ("from", &self.from),
            ("to", &self.to),
            ("town", &self.town),
            ("topic", &self.topic),
            ("source", &self.source),
            ("level", &self.level),
            ("deadline", &self.deadline),
            ("cluster", &self.cluster),
        ]
        .into_iter()
        .filter_map(|(k, val)| match (k, val.as_deref()) {
            // an empty period bound is kept: it says "all time" rather than "the default"
            ("from" | "to", Some(x)) => Some((k, x.trim().to_string())),
            _ => chosen(val).map(|x| (k, x.to_string())),
        })
        .chain(self.limit.map(|l| ("limit", l.to_string())))
        .collect()
    }

    /// The conditions on the case view, the period aside.
    fn conditions(&self) -> Vec<Expr> {
        let mut out = vec![];
        for (name, value) in [
            (v::REGION_TOWN, &self.town),
            (v::FOCUS_TOPIC, &self.topic),
            (v::SOURCE, &self.source),
            (v::LEVEL, &self.level),
            (v::DEADLINE, &self.deadline),
        ] {
            if let Some(x) = chosen(value) {
                out.push(col(name).eq(lit(x)));
            }
        }
        out
    }
}

fn day_lit(d: NaiveDate) -> Expr {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("a date");
    lit(ScalarValue::Date32(Some((d - epoch).num_days() as i32)))
}

fn between(from: Option<NaiveDate>, to: Option<NaiveDate>) -> Option<Expr> {
    let a = from.map(|f| col(v::DAY).gt_eq(day_lit(f)));
    let b = to.map(|t| col(v::DAY).lt_eq(day_lit(t)));
    match (a, b) {
        (Some(a), Some(b)) => Some(a.and(b)),
        (a, b) => a.or(b),
    }
}

fn and_all(df: DataFrame, conds: impl IntoIterator<Item = Expr>) -> Result<DataFrame> {
    Ok(match conds.into_iter().reduce(Expr::and) {
        Some(c) => df.filter(c)?,
        None => df,
    })
}

/// The cases in scope matching the filters but the period.
async fn scoped(snap: &Snapshot, scope: &Scope, f: &Filters) -> Result<DataFrame> {
    let df = and_all(scope.cases(snap.view().await?)?, f.conditions())?;
    Ok(match chosen(&f.cluster) {
        Some(id) => {
            let members = snap
                .table(table::CLUSTER_MEMBERS)
                .await?
                .filter(col(schema::cluster_members::CLUSTER_ID).eq(lit(id)))?
                .select(vec![
                    col(schema::cluster_members::SOURCE).alias("m_source"),
                    col(schema::cluster_members::CASE_ID).alias("m_case_id"),
                ])?;
            df.join(members, JoinType::LeftSemi, &[v::SOURCE, v::CASE_ID], &["m_source", "m_case_id"], None)?
        }
        None => df,
    })
}

/// The cases in scope matching every filter, the period included.
pub async fn matching(snap: &Snapshot, scope: &Scope, f: &Filters) -> Result<DataFrame> {
    let (from, to) = f.range();
    and_all(scoped(snap, scope, f).await?, between(from, to))
}

/// Batches as JSON objects, nulls kept (as `null`), dates as `2026-10-31`.
pub fn objects(batches: &[RecordBatch]) -> Result<Vec<Map<String, Value>>> {
    let mut w = arrow::json::WriterBuilder::new()
        .with_explicit_nulls(true)
        .build::<_, arrow::json::writer::JsonArray>(Vec::new());
    for b in batches {
        w.write(b)?;
    }
    w.finish()?;
    let bytes = w.into_inner();
    if bytes.is_empty() {
        return Ok(vec![]);
    }
    serde_json::from_slice(&bytes).map_err(|e| Error::Internal(format!("JSON of a query result: {e}")))
}

/// The columns a case list shows, in order.
pub fn list_columns(scope: &Scope) -> Vec<&'static str> {
    let mut cols = vec![
        v::SOURCE,
        v::CASE_ID,
        v::RECEIVED_AT,
        v::TITLE,
        v::REGION_TOWN,
        v::DEPT,
        v::FOCUS_TOPIC,
        v::LEVEL,
        v::SCORE,
        v::DEADLINE,
        v::DAYS_LEFT,
    ];
    if scope.sees_identity() {
        cols.push(v::PERSON_KEY);
    }
    cols
}

/// One page of the case list, newest first, with the total matching.
#[derive(Debug, Serialize)]
pub struct CaseList {
    pub total: usize,
    pub rows: Vec<Map<String, Value>>,
}

pub async fn cases(snap: &Snapshot, scope: &Scope, f: &Filters, limit: usize, offset: usize) -> Result<CaseList> {
    let df = matching(snap, scope, f).await?;
    let total = df.clone().count().await?;
    let cols: Vec<Expr> = list_columns(scope).into_iter().map(col).collect();
    let page = df
        .select(cols)?
        .sort(vec![
            col(v::RECEIVED_AT).sort(false, true),
            col(v::SOURCE).sort(true, true),
            col(v::CASE_ID).sort(true, true),
        ])?
        .limit(offset, Some(limit))?
        .collect()
        .await?;
    let mut rows = objects(&page)?;
    for r in &mut rows {
        mask_row(r);
    }
    Ok(CaseList { total, rows })
}

/// Free text as shown: identifiers masked again (ingest masked them; this is the second
/// lock), a person key cut to its first characters.
pub fn mask_row(r: &mut Map<String, Value>) {
    for (k, val) in r.iter_mut() {
        match val {
            Value::String(s) if k == v::PERSON_KEY => *s = mask_key(s),
            other => mask_value(other),
        }
    }
}

/// Identifiers masked in every string, lists and objects included.
fn mask_value(val: &mut Value) {
    match val {
        Value::String(s) => {
            let m = crate::normalize::mask_identifiers(s);
            if m != s.as_str() {
                *s = m.into_owned();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(mask_value),
        Value::Object(o) => o.values_mut().for_each(mask_value),
        _ => {}
    }
}

fn mask_key(key: &str) -> String {
    let head: String = key.chars().take(6).collect();
    format!("{head}****")
}

/// Counts over a period.
#[derive(Debug, Default, Clone, Copy, Serialize, PartialEq)]
pub struct Volume {
    pub cases: i64,
    pub people: i64,
}

#[derive(Debug, Serialize)]
pub struct SourceVolume {
    pub source: String,
    pub label: String,
    pub now: Volume,
    pub previous: Volume,
    pub year_ago: Volume,
    /// 批次环比 and 同比 (none when the earlier period had no case).
    pub cases_vs_previous: Option<f64>,
    pub cases_vs_year_ago: Option<f64>,
    pub people_vs_previous: Option<f64>,
    pub people_vs_year_ago: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct Count {
    pub key: String,
    pub cases: i64,
    pub people: i64,
}

/// The 总览 figures for the caller's scope and filters.
#[derive(Debug, Serialize)]
pub struct Summary {
    pub from: Option<String>,
    pub to: Option<String>,
    pub previous: Option<(String, String)>,
    pub year_ago: Option<(String, String)>,
    /// One row per source with cases in any of the three periods, then 合计 (`all`).
    pub sources: Vec<SourceVolume>,
    pub towns: Vec<Count>,
    pub topics: Vec<Count>,
    /// (day, source, cases), days in order.
    pub trend: Vec<(String, String, i64)>,
    /// (town, topic, cases) for the busiest towns and topics.
    pub matrix: Vec<(String, String, i64)>,
}

async fn volumes_by(df: DataFrame, key: &str) -> Result<BTreeMap<String, Volume>> {
    let b = df
        .aggregate(vec![col(key)], vec![count(lit(1)).alias("cases"), sum(col(v::PEOPLE)).alias("people")])?
        .collect()
        .await?;
    let mut out = BTreeMap::new();
    for r in objects(&b)? {
        let k = r.get(key).and_then(Value::as_str).unwrap_or(crate::model::UNKNOWN).to_string();
        let n = |c: &str| r.get(c).and_then(Value::as_i64).unwrap_or(0);
        out.insert(k, Volume { cases: n("cases"), people: n("people") });
    }
    Ok(out)
}

fn change(now: i64, before: i64) -> Option<f64> {
    ratio((now - before) as f64, before as f64)
}

/// The period of equal length just before, and the same days a year earlier.
fn earlier(from: NaiveDate, to: NaiveDate) -> ((NaiveDate, NaiveDate), Option<(NaiveDate, NaiveDate)>) {
    let len = (to - from).num_days() + 1;
    let prev_to = from.pred_opt().unwrap_or(from);
    let prev_from = prev_to - chrono::Duration::days(len - 1);
    let year =
        |d: NaiveDate| d.with_year(d.year() - 1).or_else(|| d.pred_opt().and_then(|p| p.with_year(p.year() - 1)));
    ((prev_from, prev_to), year(from).zip(year(to)))
}

pub async fn summary(snap: &Snapshot, scope: &Scope, f: &Filters) -> Result<Summary> {
    let base = scoped(snap, scope, f).await?;
    let (from, to) = f.range();
    let now_df = and_all(base.clone(), between(from, to))?;
    let in_period = |a: NaiveDate, b: NaiveDate| and_all(base.clone(), between(Some(a), Some(b)));
    let (mut prev, mut year) = (BTreeMap::new(), BTreeMap::new());
    let (mut prev_range, mut year_range) = (None, None);
    if let (Some(a), Some(b)) = (from, to) {
        let ((pa, pb), y) = earlier(a, b);
        prev = volumes_by(in_period(pa, pb)?, v::SOURCE).await?;
        prev_range = Some((pa.to_string(), pb.to_string()));
        if let Some((ya, yb)) = y {
            year = volumes_by(in_period(ya, yb)?, v::SOURCE).await?;
            year_range = Some((ya.to_string(), yb.to_string()));
        }
    }
    let now = volumes_by(now_df.clone(), v::SOURCE).await?;
    let mut sources = vec![];
    let mut all = (Volume::default(), Volume::default(), Volume::default());
    for s in Source::ALL {
        let get = |m: &BTreeMap<String, Volume>| m.get(s.as_str()).copied().unwrap_or_default();
        let (n, p, y) = (get(&now), get(&prev), get(&year));
        for (acc, x) in [(&mut all.0, n), (&mut all.1, p), (&mut all.2, y)] {
            acc.cases += x.cases;
            acc.people += x.people;
        }
        if n != Volume::default() || p != Volume::default() || y != Volume::default() {
            sources.push(source_volume(s.as_str(), s.label(), n, p, y));
        }
    }
    sources.push(source_volume("all", "合计", all.0, all.1, all.2));
    let counts = |m: BTreeMap<String, Volume>| {
        let mut c: Vec<Count> = m.into_iter().map(|(key, x)| Count { key, cases: x.cases, people: x.people }).collect();
        c.sort_by(|a, b| b.cases.cmp(&a.cases).then_with(|| a.key.cmp(&b.key)));
        c
    };
    let mut towns = counts(volumes_by(now_df.clone(), v::REGION_TOWN).await?);
    // cases whose township nobody named go last: a gap in the data, not a place
    towns.sort_by_key(|c| c.key == crate::model::UNKNOWN);
    let topics = counts(volumes_by(now_df.clone(), v::FOCUS_TOPIC).await?);
    let trend = triples(now_df.clone(), v::DAY, v::SOURCE).await?;
    let (top_towns, top_topics): (Vec<&str>, Vec<&str>) = (
        towns.iter().take(12).map(|c| c.key.as_str()).collect(),
        topics.iter().take(10).map(|c| c.key.as_str()).collect(),
    );
    let matrix = triples(now_df, v::REGION_TOWN, v::FOCUS_TOPIC)
        .await?
        .into_iter()
        .filter(|(t, p, _)| top_towns.contains(&t.as_str()) && top_topics.contains(&p.as_str()))
        .collect();
    Ok(Summary {
        from: from.map(|d| d.to_string()),
        to: to.map(|d| d.to_string()),
        previous: prev_range,
        year_ago: year_range,
        sources,
        towns,
        topics,
        trend,
        matrix,
    })
}

fn source_volume(source: &str, label: &str, now: Volume, previous: Volume, year_ago: Volume) -> SourceVolume {
    SourceVolume {
        source: source.into(),
        label: label.into(),
        now,
        previous,
        year_ago,
        cases_vs_previous: change(now.cases, previous.cases),
        cases_vs_year_ago: change(now.cases, year_ago.cases),
        people_vs_previous: change(now.people, previous.people),
        people_vs_year_ago: change(now.people, year_ago.people),
    }
}

/// Case counts by two columns, sorted by both.
async fn triples(df: DataFrame, a: &str, b: &str) -> Result<Vec<(String, String, i64)>> {
    let batches = df
        .aggregate(vec![col(a), col(b)], vec![count(lit(1)).alias("n")])?
        .sort(vec![col(a).sort(true, true), col(b).sort(true, true)])?
        .collect()
        .await?;
    Ok(objects(&batches)?
        .into_iter()
        .map(|r| {
            let s = |k: &str| match r.get(k) {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Null) | None => crate::model::UNKNOWN.to_string(),
                Some(x) => x.to_string(),
            };
            (s(a), s(b), r.get("n").and_then(Value::as_i64).unwrap_or(0))
        })
        .collect())
}

/// A hot cluster as the caller sees it: its members in scope counted.
#[derive(Debug, Serialize)]
pub struct Hot {
    pub cluster_id: String,
    pub kind: String,
    pub title: String,
    pub focus_topic: String,
    pub lead_dept: String,
    pub regions: String,
    pub heat: f64,
    pub cases: i64,
    pub in_scope: i64,
    pub red_cases: i64,
    pub first_seen: String,
    pub last_seen: String,
    pub weekly: Vec<i64>,
}

/// What a cluster's members in scope add up to.
#[derive(Default)]
struct Share {
    cases: i64,
    red: i64,
    first: Option<String>,
    last: Option<String>,
    towns: BTreeMap<String, usize>,
    days: Vec<NaiveDate>,
}

/// Clusters with at least one member the caller may see (and the filters admit), hottest
/// first. The county sees each cluster whole; a township or department sees only what its
/// own members add up to (count, 红 cases, localities, weeks, first and last day) and a
/// title made of the cluster's matter and entity, never another case's wording.
pub async fn clusters(snap: &Snapshot, scope: &Scope, f: &Filters) -> Result<Vec<Hot>> {
    use schema::{cluster_members as m, clusters as c};
    let inscope = matching(snap, scope, &Filters { cluster: None, ..f.clone() }).await?.select(vec![
        col(v::SOURCE).alias("s_source"),
        col(v::CASE_ID).alias("s_case_id"),
        col(v::DAY).alias("s_day"),
        col(v::REGION_TOWN).alias("s_town"),
        col(v::LEVEL).alias("s_level"),
    ])?;
    let members = snap
        .table(table::CLUSTER_MEMBERS)
        .await?
        .join(inscope, JoinType::Inner, &[m::SOURCE, m::CASE_ID], &["s_source", "s_case_id"], None)?
        .select(vec![col(m::CLUSTER_ID), col("s_day"), col("s_town"), col("s_level")])?
        .collect()
        .await?;
    let mut shares: BTreeMap<String, Share> = BTreeMap::new();
    for r in objects(&members)? {
        let get = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
        let sh = shares.entry(get(m::CLUSTER_ID)).or_default();
        sh.cases += 1;
        sh.red += i64::from(get("s_level") == Level::Red.as_str());
        let day = get("s_day");
        if sh.first.as_ref().is_none_or(|d| day < *d) {
            sh.first = Some(day.clone());
        }
        if sh.last.as_ref().is_none_or(|d| day > *d) {
            sh.last = Some(day.clone());
        }
        if let Ok(d) = NaiveDate::parse_from_str(&day, "%Y-%m-%d") {
            sh.days.push(d);
        }
        *sh.towns.entry(get("s_town")).or_default() += 1;
    }
    let batches = snap.table(table::CLUSTERS).await?.collect().await?;
    let whole = matches!(scope, Scope::County);
    let mut out = vec![];
    for r in objects(&batches)? {
        let s = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
        let n = |k: &str| r.get(k).and_then(Value::as_i64).unwrap_or(0);
        let Some(sh) = shares.get(&s(c::CLUSTER_ID)) else { continue };
        let weekly: Vec<i64> = if whole {
            s(c::WEEKLY).split(',').filter_map(|x| x.trim().parse().ok()).collect()
        } else {
            let as_of = NaiveDate::parse_from_str(&s(c::AS_OF), "%Y-%m-%d").ok();
            let mut w = vec![0i64; 12];
            for d in as_of.iter().flat_map(|a| sh.days.iter().map(move |d| (*a - *d).num_days() / 7)) {
                if (0..12).contains(&d) {
                    w[11 - d as usize] += 1;
                }
            }
            w
        };
        let mut towns: Vec<(&str, usize)> = sh.towns.iter().map(|(t, n)| (t.as_str(), *n)).collect();
        towns.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        let matter = [s(c::FOCUS_SUB), s(c::FOCUS_TOPIC)].into_iter().find(|x| !x.is_empty()).unwrap_or_default();
        let entity = r.get(c::ENTITY_KEY).and_then(Value::as_str).map(crate::model::entity_name);
        out.push(Hot {
            cluster_id: s(c::CLUSTER_ID),
            kind: s(c::KIND),
            title: if whole {
                crate::normalize::mask_identifiers(&s(c::TITLE)).into_owned()
            } else {
                entity.map_or(matter.clone(), |e| format!("{e} · {matter}"))
            },
            focus_topic: s(c::FOCUS_TOPIC),
            lead_dept: s(c::LEAD_DEPT),
            regions: if whole { s(c::REGIONS) } else { Tally(towns).encode() },
            heat: r.get(c::HEAT).and_then(Value::as_f64).unwrap_or(0.0),
            cases: if whole { n(c::CASES) } else { sh.cases },
            in_scope: sh.cases,
            red_cases: if whole { n(c::RED_CASES) } else { sh.red },
            first_seen: if whole {
                s(c::FIRST_SEEN).chars().take(10).collect()
            } else {
                sh.first.clone().unwrap_or_default()
            },
            last_seen: if whole {
                s(c::LAST_SEEN).chars().take(10).collect()
            } else {
                sh.last.clone().unwrap_or_default()
            },
            weekly,
        });
    }
    out.sort_by(|a, b| b.heat.total_cmp(&a.heat).then_with(|| a.cluster_id.cmp(&b.cluster_id)));
    out.truncate(100);
    Ok(out)
}

/// The 红/橙 cases in scope with their reasons, highest score first.
pub async fn risky(snap: &Snapshot, scope: &Scope, f: &Filters) -> Result<Vec<Map<String, Value>>> {
    use schema::risk as r;
    let high = matching(snap, scope, f)
        .await?
        .filter(col(v::LEVEL).in_list(vec![lit(Level::Red.as_str()), lit(Level::Orange.as_str())], false))?;
    let reasons = snap.table(table::RISK).await?.select(vec![
        col(r::SOURCE).alias("r_source"),
        col(r::CASE_ID).alias("r_case_id"),
        col(r::REASONS).alias("reasons"),
    ])?;
    let mut cols: Vec<Expr> = list_columns(scope).into_iter().map(col).collect();
    cols.push(col("reasons"));
    let batches = high
        .join(reasons, JoinType::Left, &[v::SOURCE, v::CASE_ID], &["r_source", "r_case_id"], None)?
        .select(cols)?
        .sort(vec![
            col(v::SCORE).sort(false, true),
            col(v::RECEIVED_AT).sort(false, true),
            col(v::CASE_ID).sort(true, true),
        ])?
        .limit(0, Some(200))?
        .collect()
        .await?;
    let mut rows = objects(&batches)?;
    rows.iter_mut().for_each(mask_row);
    Ok(rows)
}

/// 红/橙 petitioners and entities, with reasons. The county reads `risk_groups` (whole
/// histories and escalation paths). A township or department sees groups made of its own
/// cases only: by petitioner (not for a department: it never learns who complained) and by
/// entity, each with its in-scope cases, the highest score among them and that case's
/// reasons.
pub async fn risky_objects(snap: &Snapshot, scope: &Scope, f: &Filters) -> Result<Vec<Map<String, Value>>> {
    use schema::risk_groups as g;
    let high = || lit_levels();
    if !matches!(scope, Scope::County) {
        return scoped_objects(snap, scope, f).await;
    }
    let inscope = matching(snap, scope, f).await?.select(vec![col(v::CASE_ID).alias("s_case_id")])?;
    let batches = snap
        .table(table::RISK_GROUPS)
        .await?
        .filter(col(g::LEVEL).in_list(high(), false))?
        .join(inscope, JoinType::LeftSemi, &[g::TOP_CASE], &["s_case_id"], None)?
        .select(vec![
            col(g::KIND),
            col(g::KEY),
            col(g::CASES),
            col(g::PEOPLE),
            col(g::SCORE),
            col(g::LEVEL),
            col(g::REASONS),
            col(g::ESCALATION_PATH),
            col(g::PATTERN),
            col(g::LAST_SEEN),
        ])?
        .sort(vec![col(g::SCORE).sort(false, true), col(g::KEY).sort(true, true)])?
        .limit(0, Some(100))?
        .collect()
        .await?;
    let mut rows = objects(&batches)?;
    for r in &mut rows {
        name_object(r);
    }
    Ok(rows)
}

fn lit_levels() -> Vec<Expr> {
    vec![lit(Level::Red.as_str()), lit(Level::Orange.as_str())]
}

/// A petitioner is named by a cut person key, an entity by its name.
fn name_object(r: &mut Map<String, Value>) {
    let petitioner = r.get("kind").and_then(Value::as_str) == Some("petitioner");
    if let Some(Value::String(k)) = r.get_mut("key") {
        *k = if petitioner { mask_key(k) } else { crate::model::entity_name(k).to_string() };
    }
    mask_row(r);
}

async fn scoped_objects(snap: &Snapshot, scope: &Scope, f: &Filters) -> Result<Vec<Map<String, Value>>> {
    use schema::risk as r;
    let reasons = snap.table(table::RISK).await?.select(vec![
        col(r::SOURCE).alias("r_source"),
        col(r::CASE_ID).alias("r_case_id"),
        col(r::REASONS).alias("reasons"),
    ])?;
    let mut cols = vec![col(v::ENTITY_KEY), col(v::PEOPLE), col(v::SCORE), col(v::LEVEL), col(v::DAY), col("reasons")];
    if scope.sees_identity() {
        cols.push(col(v::PERSON_KEY));
    }
    let batches = matching(snap, scope, f)
        .await?
        .join(reasons, JoinType::Left, &[v::SOURCE, v::CASE_ID], &["r_source", "r_case_id"], None)?
        .select(cols)?
        .collect()
        .await?;
    // (kind, key) → cases, people, top score, its level and reasons, last day
    type Group = (i64, i64, i64, String, Value, String);
    let mut groups: BTreeMap<(&str, String), Group> = BTreeMap::new();
    let rows = objects(&batches)?;
    for row in &rows {
        let score = row.get(v::SCORE).and_then(Value::as_i64).unwrap_or(0);
        let level = row.get(v::LEVEL).and_then(Value::as_str).unwrap_or_default().to_string();
        let day = row.get(v::DAY).and_then(Value::as_str).unwrap_or_default().to_string();
        let people = row.get(v::PEOPLE).and_then(Value::as_i64).unwrap_or(1);
        for (kind, column) in [("petitioner", v::PERSON_KEY), ("entity", v::ENTITY_KEY)] {
            let Some(key) = row.get(column).and_then(Value::as_str).filter(|k| !k.is_empty()) else { continue };
            let g =
                groups.entry((kind, key.to_string())).or_insert((0, 0, -1, String::new(), Value::Null, String::new()));
            g.0 += 1;
            g.1 += people;
            if score > g.2 {
                (g.2, g.3, g.4) = (score, level.clone(), row.get("reasons").cloned().unwrap_or(Value::Null));
            }
            if day > g.5 {
                g.5 = day.clone();
            }
        }
    }
    let high = [Level::Red.as_str(), Level::Orange.as_str()];
    let mut out: Vec<Map<String, Value>> = groups
        .into_iter()
        .filter(|(_, g)| high.contains(&g.3.as_str()))
        .map(|((kind, key), (cases, people, score, level, reasons, last))| {
            let mut m = Map::new();
            for (k, val) in [
                ("kind", json!(kind)),
                ("key", json!(key)),
                ("cases", json!(cases)),
                ("people", json!(people)),
                ("score", json!(score)),
                ("level", json!(level)),
                ("reasons", reasons),
                ("escalation_path", json!("")),
                ("pattern", Value::Null),
                ("last_seen", json!(last)),
            ] {
                m.insert(k.to_string(), val);
            }
            m
        })
        .collect();
    out.sort_by(|a, b| {
        let n = |m: &Map<String, Value>| m.get("score").and_then(Value::as_i64).unwrap_or(0);
        n(b).cmp(&n(a)).then_with(|| a["key"].as_str().cmp(&b["key"].as_str()))
    });
    out.truncate(100);
    out.iter_mut().for_each(name_object);
    Ok(out)
}

/// Open cases past, at or near their deadline, most overdue first, with counts by state.
pub async fn overdue(
    snap: &Snapshot,
    scope: &Scope,
    f: &Filters,
) -> Result<(BTreeMap<String, i64>, Vec<Map<String, Value>>)> {
    let states = ["逾期", "到期", "临期"];
    // a deadline list is about today: every open case, whenever received
    let f = Filters { from: None, to: None, ..f.clone() };
    let df = scoped(snap, scope, &f)
        .await?
        .filter(col(v::DEADLINE).in_list(states.iter().map(|s| lit(*s)).collect(), false))?;
    let counts = volumes_by(df.clone(), v::DEADLINE).await?.into_iter().map(|(k, x)| (k, x.cases)).collect();
    let mut cols: Vec<Expr> = list_columns(scope).into_iter().map(col).collect();
    cols.push(col(v::DUE_ON));
    let batches = df
        .select(cols)?
        .sort(vec![col(v::DAYS_LEFT).sort(true, true), col(v::CASE_ID).sort(true, true)])?
        .limit(0, Some(300))?
        .collect()
        .await?;
    let mut rows = objects(&batches)?;
    rows.iter_mut().for_each(mask_row);
    Ok((counts, rows))
}

/// One case, if the caller may see it: its view row, text, reply, what the text stages
/// found, its risk reasons and its reply review.
pub async fn case(snap: &Snapshot, scope: &Scope, source: &str, case_id: &str) -> Result<Option<Map<String, Value>>> {
    let key = |df: DataFrame, s: &str, c: &str| -> Result<DataFrame> {
        Ok(df.filter(col(s).eq(lit(source)).and(col(c).eq(lit(case_id))))?)
    };
    let row = key(scope.cases(snap.view().await?)?, v::SOURCE, v::CASE_ID)?.limit(0, Some(1))?.collect().await?;
    let Some(mut out) = objects(&row)?.into_iter().next() else { return Ok(None) };
    use schema::{cases as c, enriched as e, reply_review as rr, risk as r};
    let parts: [(&str, Vec<&str>); 4] = [
        (table::CASES, vec![c::CONTENT, c::REPLY, c::REPLIED_AT, c::PURPOSE, c::HEADCOUNT, c::ACCEPTED_AT, c::DUE_AT]),
        (table::ENRICHED, vec![e::KEYWORDS, e::ENTITIES, e::THREATS, e::TOPIC_TERMS, e::CATEGORY_L1, e::CATEGORY_L2]),
        (table::RISK, vec![r::REASONS, r::ESCALATION_PROB]),
        (table::REPLY_REVIEW, vec![rr::SCORE, rr::FLAGS, rr::EVIDENCE]),
    ];
    for (t, cols) in parts {
        let df = key(snap.table(t).await?, "source", "case_id")?;
        let picked = df.select(cols.iter().map(|n| col(*n).alias(format!("{t}.{n}"))).collect::<Vec<Expr>>())?;
        let found = objects(&picked.limit(0, Some(1))?.collect().await?)?;
        if let Some(r) = found.into_iter().next() {
            out.extend(r);
        }
    }
    mask_row(&mut out);
    Ok(Some(out))
}

/// The towns and topics a user may pick from (within scope), busiest first.
pub async fn choices(snap: &Snapshot, scope: &Scope) -> Result<(Vec<String>, Vec<String>)> {
    let df = scope.cases(snap.view().await?)?;
    let keys = |m: BTreeMap<String, Volume>| {
        let mut v: Vec<(String, i64)> = m.into_iter().map(|(k, x)| (k, x.cases)).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v.into_iter().map(|x| x.0).collect()
    };
    Ok((keys(volumes_by(df.clone(), v::REGION_TOWN).await?), keys(volumes_by(df, v::FOCUS_TOPIC).await?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_checked_and_round_trip() {
        let f = Filters { from: Some("2026-10-01".into()), to: Some("2026-09-01".into()), ..Default::default() };
        assert!(f.check().is_err());
        assert!(Filters { source: Some("wechat".into()), ..Default::default() }.check().is_err());
        assert!(Filters { from: Some("10/01/2026".into()), ..Default::default() }.check().is_err());
        assert!(Filters { from: Some("-262000-01-01".into()), ..Default::default() }.check().is_err());
        let f = Filters { town: Some("城关镇".into()), topic: Some(" ".into()), ..Default::default() };
        assert!(f.check().is_ok());
        assert_eq!(f.query(), "town=%E5%9F%8E%E5%85%B3%E9%95%87");
        let town = Scope::Town("青石镇".into());
        assert_eq!(f.within(&town).town.as_deref(), Some("青石镇"), "a town user cannot look at another town");
    }

    #[test]
    fn earlier_periods() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let ((a, b), y) = earlier(d("2026-10-01"), d("2026-10-30"));
        assert_eq!((a, b), (d("2026-09-01"), d("2026-09-30")));
        assert_eq!(y, Some((d("2025-10-01"), d("2025-10-30"))));
        assert_eq!(earlier(d("2028-02-29"), d("2028-02-29")).1, Some((d("2027-02-28"), d("2027-02-28"))));
        assert_eq!(change(12, 10), Some(0.2));
        assert_eq!(change(3, 0), None);
    }

    #[test]
    fn masking_keeps_no_identifier() {
        let mut r = Map::new();
        r.insert("person_key".into(), Value::String("p_0123456789abcdef".into()));
        r.insert("content".into(), Value::String("电话13812345678，身份证430102199001011234".into()));
        r.insert("risk.reasons".into(), serde_json::json!(["扬言 打13812345678"]));
        mask_row(&mut r);
        assert_eq!(r["person_key"], "p_0123****");
        assert!(!crate::normalize::pii::has_raw_identifier(&serde_json::to_string(&r).unwrap()));
    }
}
