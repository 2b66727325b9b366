//! The joined view later stages read: each case's own fields from `cases` with what the
//! text stages found in `enriched` (topic, key entity, threat language, 属地 filled from
//! the text). One typed struct per case, sorted by time, so risk and metrics share one
//! reading of the warehouse.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{Int32Type, Int64Type, TimestampMicrosecondType};
use chrono::{DateTime, NaiveDate, NaiveDateTime};

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
    /// Asserted threat language: (kind, term).
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
    fn str(&self, name: &str, i: usize) -> Result<Option<&'a str>> {
        let c = self.col(name)?.as_string::<i32>();
        Ok((!c.is_null(i)).then(|| c.value(i)))
    }
    fn bool(&self, name: &str, i: usize) -> Result<Option<bool>> {
        let c = self.col(name)?.as_boolean();
        Ok((!c.is_null(i)).then(|| c.value(i)))
    }
    fn i32(&self, name: &str, i: usize) -> Result<Option<i32>> {
        let c = self.col(name)?.as_primitive::<Int32Type>();
        Ok((!c.is_null(i)).then(|| c.value(i)))
    }
    fn i64(&self, name: &str, i: usize) -> Result<Option<i64>> {
        let c = self.col(name)?.as_primitive::<Int64Type>();
        Ok((!c.is_null(i)).then(|| c.value(i)))
    }
    fn ts(&self, name: &str, i: usize) -> Result<Option<NaiveDateTime>> {
        let c = self.col(name)?.as_primitive::<TimestampMicrosecondType>();
        Ok((!c.is_null(i)).then(|| micros_to_time(c.value(i))))
    }
}

pub fn micros_to_time(us: i64) -> NaiveDateTime {
    DateTime::from_timestamp_micros(us).map(|d| d.naive_utc()).unwrap_or_default()
}

pub fn time_to_micros(t: NaiveDateTime) -> i64 {
    t.and_utc().timestamp_micros()
}

/// Days since 1970-01-01, as Arrow's Date32 counts them.
pub fn date32(d: NaiveDate) -> i32 {
    (d - NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid")).num_days() as i32
}

/// The level a registering office's name shows (国家级 → 京, 省级 → 省, 市级 → 市).
fn level_of_office(s: &str) -> u8 {
    if s.contains("国家") || s.contains("中央") || s.contains("京") {
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
    let mut strings = Interner::default();
    let mut out = Vec::new();
    for b in read_table_columns(wh, table::CASES, Some(&cols))? {
        let c = Cols(&b);
        for i in 0..b.num_rows() {
            let mut s = |name: &str| -> Result<Option<Arc<str>>> { Ok(c.str(name, i)?.map(|v| strings.get(v))) };
            let (cross, bj, prov) = (
                c.bool(CROSS_LEVEL, i)?.unwrap_or(false),
                c.bool(TO_BEIJING, i)?.unwrap_or(false),
                c.bool(TO_PROVINCE, i)?.unwrap_or(false),
            );
            let office = c.str(LEVEL, i)?.map_or(0, level_of_office);
            let flags = if bj {
                3
            } else if prov {
                2
            } else {
                u8::from(cross)
            };
            let engagement = [LIKES, SHARES, COMMENTS]
                .iter()
                .map(|n| c.i64(n, i).map(|v| v.unwrap_or(0).max(0)))
                .sum::<Result<i64>>()?;
            out.push(CaseFacts {
                case_id: c.str(CASE_ID, i)?.unwrap_or_default().to_string(),
                source: s(SOURCE)?.unwrap_or_else(|| Arc::from("")),
                channel: s(CHANNEL)?,
                received: c.ts(RECEIVED_AT, i)?.unwrap_or_default(),
                person: s(PERSON_KEY)?,
                headcount: c.i32(HEADCOUNT, i)?,
                collective: c.bool(COLLECTIVE, i)?.unwrap_or(false),
                cross_level: cross,
                to_province: prov,
                to_beijing: bj,
                level: flags.max(office),
                threat_flag: c.bool(THREAT_FLAG, i)?.unwrap_or(false),
                repeat_flag: c.bool(REPEAT_FLAG, i)?,
                dept: s(DEPT)?,
                purpose: s(PURPOSE)?,
                owner: s(OWNER)?,
                county: s(REGION_COUNTY)?,
                town: s(REGION_TOWN)?,
                accepted: c.ts(ACCEPTED_AT, i)?,
                due: c.ts(DUE_AT, i)?,
                closed: c.ts(CLOSED_AT, i)?,
                replied: c.ts(REPLIED_AT, i)?,
                satisfaction: s(SATISFACTION)?,
                engagement,
                focus_topic: strings.get("其他"),
                focus_sub: strings.get(""),
                entity: None,
                lead_dept: None,
                threats: vec![],
            });
        }
    }
    let index: HashMap<(Arc<str>, String), usize> =
        out.iter().enumerate().map(|(i, f)| ((f.source.clone(), f.case_id.clone()), i)).collect();
    {
        use enriched::*;
        let cols =
            [CASE_ID, SOURCE, FOCUS_TOPIC, FOCUS_SUB, LEAD_DEPT, ENTITY_KEY, THREATS, REGION_COUNTY, REGION_TOWN];
        for b in read_table_columns(wh, table::ENRICHED, Some(&cols))? {
            let c = Cols(&b);
            let threats = c.col(THREATS)?.as_list::<i32>();
            for i in 0..b.num_rows() {
                let key = (
                    strings.get(c.str(SOURCE, i)?.unwrap_or_default()),
                    c.str(CASE_ID, i)?.unwrap_or_default().to_string(),
                );
                let Some(&k) = index.get(&key) else { continue };
                let f = &mut out[k];
                f.focus_topic = strings.get(c.str(FOCUS_TOPIC, i)?.unwrap_or("其他"));
                f.focus_sub = strings.get(c.str(FOCUS_SUB, i)?.unwrap_or(""));
                f.entity = c.str(ENTITY_KEY, i)?.map(|v| strings.get(v));
                f.lead_dept = c.str(LEAD_DEPT, i)?.filter(|v| !v.is_empty()).map(|v| strings.get(v));
                if f.town.is_none() {
                    f.town = c.str(REGION_TOWN, i)?.map(|v| strings.get(v));
                    f.county = f.county.take().or(c.str(REGION_COUNTY, i)?.map(|v| strings.get(v)));
                }
                let hits = threats.value(i);
                let hits = hits.as_string::<i32>();
                f.threats = (0..hits.len()).filter_map(|j| parse_threat(hits.value(j))).collect();
            }
        }
    }
    out.sort_by(|a, b| (a.received, &a.source, &a.case_id).cmp(&(b.received, &b.source, &b.case_id)));
    Ok(out)
}

/// `kind:term@start-end` → (kind, term).
fn parse_threat(label: &str) -> Option<(String, String)> {
    let (kind, rest) = label.split_once(':')?;
    let term = rest.rsplit_once('@').map_or(rest, |(t, _)| t);
    Some((kind.to_string(), term.to_string()))
}

/// The latest day any case was received: the default as-of date of a run.
pub fn latest_day(facts: &[CaseFacts]) -> Option<NaiveDate> {
    facts.iter().map(|f| f.received.date()).max()
}

#[cfg(test)]
mod tests {
    use super::*;

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
