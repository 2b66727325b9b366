//! The joined view later stages read: each case's own fields from `cases` with what the
//! text stages found in `enriched` (topic, key entity, threat language, 属地 filled from
//! the text). One typed struct per case, sorted by time, so risk and metrics share one
//! reading of the warehouse.

pub mod columns;
pub mod tables;

use rustc_hash::FxHashMap as HashMap;
use std::sync::Arc;

use rayon::prelude::*;

use arrow::array::{
    Array, ArrayAccessor, AsArray, BooleanArray, Int32Array, Int64Array, RecordBatch, StringArray,
    TimestampMicrosecondArray,
};
use chrono::{NaiveDate, NaiveDateTime};

use crate::schema::{cases, enriched, table};
use crate::warehouse::{Warehouse, read_table_columns};
use crate::{Error, Result};

/// Registration levels, lowest first. A case's level is the highest its flags or its
/// registering office show.
pub const LEVEL_NAMES: [&str; 4] = ["县", "市", "省", "京"];

/// One case as the analysis stages see it.
#[derive(Debug, Clone, Default)]
pub struct CaseFacts {
    pub case_id: String,
    pub source: Arc<str>,
    pub channel: Option<Arc<str>>,
    pub received: NaiveDateTime,
    pub person: Option<Arc<str>>,
    /// The petitioner's 户籍地 and 居住地 where they are not the 问题属地 (`cross_region`).
    pub elsewhere: Vec<Arc<str>>,
    /// 信访人数 as exported (or parsed); `None` when unknown.
    pub headcount: Option<i32>,
    pub collective: bool,
    pub cross_level: bool,
    pub to_province: bool,
    pub to_beijing: bool,
    /// 0 县, 1 市, 2 省, 3 京.
    pub level: u8,
    pub threat_flag: bool,
    pub repeat_flag: Option<bool>,
    pub dept: Option<Arc<str>>,
    /// 信访目的 / 诉求类型.
    pub purpose: Option<Arc<str>>,
    /// 包案领导 / 包案单位.
    pub owner: Option<Arc<str>>,
    pub county: Option<Arc<str>>,
    pub town: Option<Arc<str>>,
    pub accepted: Option<NaiveDateTime>,
    pub due: Option<NaiveDateTime>,
    pub closed: Option<NaiveDateTime>,
    pub replied: Option<NaiveDateTime>,
    pub satisfaction: Option<Arc<str>>,
    /// likes + shares + comments.
    pub engagement: i64,
    /// From `enriched` ("其他" when the case was not enriched).
    pub focus_topic: Arc<str>,
    /// The finer matter (逾期交房, 物业, 农民工工资, …), empty when unknown.
    pub focus_sub: Arc<str>,
    pub entity: Option<Arc<str>>,
    /// The functional department that leads the matter (住建, 人社, …), from `enriched`.
    pub lead_dept: Option<Arc<str>>,
    /// Asserted threat language and history read from the text: (kind, term).
    pub threats: Vec<(String, String)>,
}

impl CaseFacts {
    /// 人次: the head count, one person when unknown.
    pub fn people(&self) -> i64 {
        i64::from(self.headcount.filter(|&n| n > 0).unwrap_or(1))
    }

    /// 越级 or 集体: what the escalation model predicts and the rules weigh.
    pub fn is_escalation(&self) -> bool {
        self.cross_level || self.to_province || self.to_beijing || self.collective
    }

    /// Threat language asserted in the text (not only history: 第四次反映 is no threat).
    pub fn has_threat(&self) -> bool {
        self.threats.iter().any(|(k, _)| crate::model::is_threat_kind(k))
    }

    /// 集体访 by the regulation's measure (5 people or more) or the export's flag.
    pub fn is_collective(&self) -> bool {
        self.collective || self.headcount.is_some_and(|n| n >= 5)
    }
}

/// Strings repeat (sources, departments, towns, topics): share them.
#[derive(Default)]
struct Interner(HashMap<String, Arc<str>>);

impl Interner {
    fn get(&mut self, s: &str) -> Arc<str> {
        if let Some(a) = self.0.get(s) {
            return a.clone();
        }
        let a: Arc<str> = Arc::from(s);
        self.0.insert(s.to_string(), a.clone());
        a
    }
}

/// Column accessors over one batch, by name.
struct Cols<'a>(&'a RecordBatch);

impl<'a> Cols<'a> {
    fn col(&self, name: &str) -> Result<&'a dyn Array> {
        self.0
            .column_by_name(name)
            .map(|c| c.as_ref())
            .ok_or_else(|| Error::Schema(format!("column `{name}` missing from the warehouse table")))
    }
}

/// A stored timestamp (microseconds, no zone) as the local time it was written from.
pub fn micros_to_time(us: i64) -> NaiveDateTime {
    arrow::temporal_conversions::timestamp_us_to_datetime(us).unwrap_or_default()
}

pub fn time_to_micros(t: NaiveDateTime) -> i64 {
    t.and_utc().timestamp_micros()
}

/// The day of Arrow's Date32 (days since 1970-01-01).
pub fn date32_to_day(days: i32) -> NaiveDate {
    arrow::temporal_conversions::date32_to_datetime(days).map(|t| t.date()).unwrap_or_default()
}

/// An output table's columns, each built by its own closure, on all cores (in the closures' order).
pub fn columns_in_parallel(makers: &[&(dyn Fn() -> arrow::array::ArrayRef + Sync)]) -> Vec<arrow::array::ArrayRef> {
    use rayon::prelude::*;
    makers.par_iter().map(|make| make()).collect()
}

/// Days since 1970-01-01, as Arrow's Date32 counts them.
pub fn date32(d: NaiveDate) -> i32 {
    arrow::datatypes::Date32Type::from_naive_date(d)
}

/// The level a registering office's name shows (国家级 → 京, 省级 → 省, 市级 → 市). 京 is
/// the level's own name or 北京: 南京市 and 京山市 offices are 市.
fn level_of_office(s: &str) -> u8 {
    let s = s.trim();
    if s.contains("国家") || s.contains("中央") || s.contains("北京") || s == "京" || s.starts_with("京级") {
        3
    } else if s.contains('省') {
        2
    } else if s.contains('市') {
        1
    } else {
        0
    }
}

/// Every case with its enrichment, sorted by (received, source, case_id).
pub fn load_facts(wh: &Warehouse) -> Result<Vec<CaseFacts>> {
    let t0 = std::time::Instant::now();
    use cases::*;
    let cols = [
        CASE_ID,
        SOURCE,
        CHANNEL,
        RECEIVED_AT,
        PERSON_KEY,
        HEADCOUNT,
        REGION_COUNTY,
        REGION_TOWN,
        CROSS_LEVEL,
        TO_BEIJING,
        TO_PROVINCE,
        COLLECTIVE,
        REPEAT_FLAG,
        THREAT_FLAG,
        LEVEL,
        DEPT,
        PURPOSE,
        OWNER,
        ACCEPTED_AT,
        DUE_AT,
        CLOSED_AT,
        REPLIED_AT,
        SATISFACTION,
        LIKES,
        SHARES,
        COMMENTS,
    ];
    // batches in parallel, each with its own interner; the order of rows is kept
    let batches = read_table_columns(wh, table::CASES, Some(&cols))?;
    let parts: Vec<Vec<CaseFacts>> = batches.par_iter().map(facts_of).collect::<Result<_>>()?;
    let mut out = Vec::with_capacity(parts.iter().map(Vec::len).sum());
    for p in parts {
        out.extend(p);
    }
    // `enrich` writes its rows in the order of `cases`, so row g of `enriched` is almost
    // always case g. When every row is, each batch is joined to its own run of cases on
    // its own core; otherwise (an older warehouse, or cases added since enrich ran) rows
    // are found one by one, through an index by (source, case_id) sorted when first needed.
    let batches = {
        use enriched::*;
        let cols =
            [CASE_ID, SOURCE, FOCUS_TOPIC, FOCUS_SUB, LEAD_DEPT, ENTITY_KEY, THREATS, REGION_COUNTY, REGION_TOWN];
        read_table_columns(wh, table::ENRICHED, Some(&cols))?
    };
    let cols: Vec<EnrichedCols> = batches.iter().map(EnrichedCols::of).collect::<Result<_>>()?;
    let firsts: Vec<usize> = cols
        .iter()
        .scan(0usize, |g, c| {
            let first = *g;
            *g += c.len();
            Some(first)
        })
        .collect();
    let in_place = cols.iter().map(EnrichedCols::len).sum::<usize>() == out.len()
        && cols.par_iter().zip(&firsts).all(|(c, &g)| (0..c.len()).all(|i| c.is_case(i, &out[g + i])));
    if in_place {
        let mut runs: Vec<&mut [CaseFacts]> = Vec::with_capacity(cols.len());
        let mut rest: &mut [CaseFacts] = &mut out;
        for c in &cols {
            let (run, after) = std::mem::take(&mut rest).split_at_mut(c.len());
            runs.push(run);
            rest = after;
        }
        cols.par_iter().zip(runs).for_each(|(c, run)| {
            let mut strings = Interner::default();
            for (i, f) in run.iter_mut().enumerate() {
                c.apply(i, f, &mut strings);
            }
        });
    } else {
        let mut strings = Interner::default();
        let mut sorted: Option<Vec<usize>> = None;
        for (c, &g) in cols.iter().zip(&firsts) {
            for i in 0..c.len() {
                let (src, id) = c.key(i);
                let key = |f: &CaseFacts| (&*f.source, f.case_id.as_str()).cmp(&(src, id));
                let at = out.get(g + i).filter(|f| key(f).is_eq()).map(|_| g + i);
                let at = at.or_else(|| {
                    let idx = sorted.get_or_insert_with(|| {
                        tracing::debug!("facts: enriched row {} is not case {}: indexing cases", g + i, g + i);
                        let mut v: Vec<usize> = (0..out.len()).collect();
                        v.sort_unstable_by(|&a, &b| {
                            (&*out[a].source, out[a].case_id.as_str()).cmp(&(&*out[b].source, out[b].case_id.as_str()))
                        });
                        v
                    });
                    idx.binary_search_by(|&k| key(&out[k])).ok().map(|p| idx[p])
                });
                if let Some(k) = at {
                    c.apply(i, &mut out[k], &mut strings);
                }
            }
        }
    }
    // one person across sources: every key of a linked person counts as the person's id
    let ids: rustc_hash::FxHashMap<String, Arc<str>> =
        tables::read_person_ids(wh)?.into_iter().map(|(k, p)| (k, Arc::from(p))).collect();
    if !ids.is_empty() {
        for f in &mut out {
            if let Some(p) = f.person.as_deref().and_then(|k| ids.get(k)) {
                f.person = Some(p.clone());
            }
        }
    }
    let elsewhere = elsewhere(wh)?;
    if !elsewhere.is_empty() {
        for f in &mut out {
            if let Some(p) = elsewhere.get(&(f.source.to_string(), f.case_id.clone())) {
                f.elsewhere = p.clone();
            }
        }
    }
    out.par_sort_by(|a, b| (a.received, &a.source, &a.case_id).cmp(&(b.received, &b.source, &b.case_id)));
    tracing::info!("facts: {} cases loaded in {:.2}s", out.len(), t0.elapsed().as_secs_f64());
    Ok(out)
}

/// The columns of one batch of `enriched` that the facts take.
struct EnrichedCols<'b> {
    case_id: &'b StringArray,
    source: &'b StringArray,
    topic: &'b StringArray,
    sub: &'b StringArray,
    entity: &'b StringArray,
    lead: &'b StringArray,
    county: &'b StringArray,
    town: &'b StringArray,
    threats: &'b arrow::array::ListArray,
}

impl<'b> EnrichedCols<'b> {
    fn of(b: &'b RecordBatch) -> Result<EnrichedCols<'b>> {
        use enriched::*;
        let c = Cols(b);
        let st = |n: &str| -> Result<&'b StringArray> { Ok(c.col(n)?.as_string::<i32>()) };
        Ok(EnrichedCols {
            case_id: st(CASE_ID)?,
            source: st(SOURCE)?,
            topic: st(FOCUS_TOPIC)?,
            sub: st(FOCUS_SUB)?,
            entity: st(ENTITY_KEY)?,
            lead: st(LEAD_DEPT)?,
            county: st(REGION_COUNTY)?,
            town: st(REGION_TOWN)?,
            threats: c.col(THREATS)?.as_list::<i32>(),
        })
    }

    fn len(&self) -> usize {
        self.case_id.len()
    }

    /// (source, case_id) of row `i`.
    fn key(&self, i: usize) -> (&'b str, &'b str) {
        (opt(self.source, i).unwrap_or_default(), opt(self.case_id, i).unwrap_or_default())
    }

    fn is_case(&self, i: usize, f: &CaseFacts) -> bool {
        let (src, id) = self.key(i);
        &*f.source == src && f.case_id == id
    }

    /// Row `i`'s enrichment onto its case.
    fn apply(&self, i: usize, f: &mut CaseFacts, strings: &mut Interner) {
        f.focus_topic = strings.get(opt(self.topic, i).unwrap_or("其他"));
        f.focus_sub = strings.get(opt(self.sub, i).unwrap_or(""));
        f.entity = opt(self.entity, i).map(|v| strings.get(v));
        f.lead_dept = opt(self.lead, i).filter(|v| !v.is_empty()).map(|v| strings.get(v));
        if f.town.is_none() {
            f.town = opt(self.town, i).map(|v| strings.get(v));
            f.county = f.county.take().or(opt(self.county, i).map(|v| strings.get(v)));
        }
        let hits = self.threats.value(i);
        let hits = hits.as_string::<i32>();
        f.threats = (0..hits.len()).filter_map(|j| parse_threat(hits.value(j))).collect();
    }
}

/// The other places of each cross-region case: its 户籍地 and 居住地 where they are not the
/// 问题属地.
fn elsewhere(wh: &Warehouse) -> Result<rustc_hash::FxHashMap<(String, String), Vec<Arc<str>>>> {
    use crate::schema::cross_region as cr;
    let mut out = rustc_hash::FxHashMap::default();
    for b in read_table_columns(wh, table::CROSS_REGION, None)? {
        let c = Cols(&b);
        let st = |n: &str| -> Result<&StringArray> { Ok(c.col(n)?.as_string::<i32>()) };
        let (s, id, county) = (st(cr::SOURCE)?, st(cr::CASE_ID)?, st(cr::REGION_COUNTY)?);
        let (home, lives) = (st(cr::HOUSEHOLD)?, st(cr::RESIDENCE)?);
        for i in 0..b.num_rows() {
            let places: Vec<Arc<str>> = [opt(home, i), opt(lives, i)]
                .into_iter()
                .flatten()
                .filter(|p| *p != county.value(i))
                .map(Arc::from)
                .collect();
            out.insert((s.value(i).to_string(), id.value(i).to_string()), places);
        }
    }
    Ok(out)
}

/// The facts of one batch of `cases`.
fn facts_of(b: &RecordBatch) -> Result<Vec<CaseFacts>> {
    use cases::*;
    // each column found once per batch, not once per row
    let c = Cols(&b);
    let st = |n: &str| -> Result<&StringArray> { Ok(c.col(n)?.as_string::<i32>()) };
    let bo = |n: &str| -> Result<&BooleanArray> { Ok(c.col(n)?.as_boolean()) };
    let ts = |n: &str| -> Result<&TimestampMicrosecondArray> { Ok(c.col(n)?.as_primitive()) };
    let i64s = |n: &str| -> Result<&Int64Array> { Ok(c.col(n)?.as_primitive()) };
    let (case_id, source, channel, person, county, town) =
        (st(CASE_ID)?, st(SOURCE)?, st(CHANNEL)?, st(PERSON_KEY)?, st(REGION_COUNTY)?, st(REGION_TOWN)?);
    let (level, dept, purpose, owner, satisfaction) =
        (st(LEVEL)?, st(DEPT)?, st(PURPOSE)?, st(OWNER)?, st(SATISFACTION)?);
    let (cross_level, to_beijing, to_province, collective, repeat_flag, threat_flag) =
        (bo(CROSS_LEVEL)?, bo(TO_BEIJING)?, bo(TO_PROVINCE)?, bo(COLLECTIVE)?, bo(REPEAT_FLAG)?, bo(THREAT_FLAG)?);
    let (received, accepted, due, closed, replied) =
        (ts(RECEIVED_AT)?, ts(ACCEPTED_AT)?, ts(DUE_AT)?, ts(CLOSED_AT)?, ts(REPLIED_AT)?);
    let headcount: &Int32Array = c.col(HEADCOUNT)?.as_primitive();
    let engagement_cols = [i64s(LIKES)?, i64s(SHARES)?, i64s(COMMENTS)?];
    let mut strings = Interner::default();
    let mut out = Vec::with_capacity(b.num_rows());
    for i in 0..b.num_rows() {
        let mut s = |a: &StringArray| opt(a, i).map(|v| strings.get(v));
        let flag = |a: &BooleanArray| opt(a, i).unwrap_or(false);
        let time = |a: &TimestampMicrosecondArray| opt(a, i).map(micros_to_time);
        let (cross, bj, prov) = (flag(cross_level), flag(to_beijing), flag(to_province));
        let office = opt(level, i).map_or(0, level_of_office);
        let flags = if bj {
            3
        } else if prov {
            2
        } else {
            u8::from(cross)
        };
        let engagement = engagement_cols.iter().map(|a| opt(*a, i).unwrap_or(0).max(0)).sum::<i64>();
        out.push(CaseFacts {
            case_id: opt(case_id, i).unwrap_or_default().to_string(),
            source: s(source).unwrap_or_else(|| Arc::from("")),
            channel: s(channel),
            received: time(received).unwrap_or_default(),
            person: s(person),
            elsewhere: vec![],
            headcount: opt(headcount, i),
            collective: flag(collective),
            cross_level: cross,
            to_province: prov,
            to_beijing: bj,
            level: flags.max(office),
            threat_flag: flag(threat_flag),
            repeat_flag: opt(repeat_flag, i),
            dept: s(dept),
            purpose: s(purpose),
            owner: s(owner),
            county: s(county),
            town: s(town),
            accepted: time(accepted),
            due: time(due),
            closed: time(closed),
            replied: time(replied),
            satisfaction: s(satisfaction),
            engagement,
            focus_topic: strings.get("其他"),
            focus_sub: strings.get(""),
            entity: None,
            lead_dept: None,
            threats: vec![],
        });
    }
    Ok(out)
}

/// Row `i` of an Arrow array, `None` when null.
fn opt<A: ArrayAccessor>(a: A, i: usize) -> Option<A::Item>
where
    A: Array,
{
    (!a.is_null(i)).then(|| a.value(i))
}

/// `kind:term@start-end` → (kind, term).
fn parse_threat(label: &str) -> Option<(String, String)> {
    crate::model::ThreatLabel::parse(label).map(|t| (t.kind.to_string(), t.term.to_string()))
}

/// The cases received on or before `as_of`: a prefix, as `load_facts` sorts by time.
pub fn known_by(facts: &[CaseFacts], as_of: NaiveDate) -> &[CaseFacts] {
    &facts[..facts.partition_point(|f| f.received.date() <= as_of)]
}

/// The latest day any case was received: the default as-of date of a run.
pub fn latest_day(facts: &[CaseFacts]) -> Option<NaiveDate> {
    facts.iter().map(|f| f.received.date()).max()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_of_an_office_by_its_name() {
        for (office, level) in [
            ("国家信访局", 3),
            ("北京市信访办", 3),
            ("京", 3),
            ("南京市信访局", 1),
            ("京山市信访局", 1),
            ("湖北省信访局", 2),
            ("青溪县信访局", 0),
        ] {
            assert_eq!(level_of_office(office), level, "{office}");
        }
    }

    #[test]
    fn threat_labels_split_into_kind_and_term() {
        assert_eq!(parse_threat("进京:去北京@12-15"), Some(("进京".into(), "去北京".into())));
        assert_eq!(parse_threat("bad"), None);
    }

    #[test]
    fn office_names_give_levels() {
        assert_eq!(level_of_office("国家级"), 3);
        assert_eq!(level_of_office("省级"), 2);
        assert_eq!(level_of_office("市级"), 1);
        assert_eq!(level_of_office("县级"), 0);
    }
}
