//! Typed readers of the tables the stages write (`metrics`, `risk`, `risk_groups`,
//! `clusters`, `deadlines`), for later stages and reports. Each returns
//! [`crate::Error::Schema`] on a table written by another version or edited by hand.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};

use super::CaseFacts;
use super::columns::{Columns, day, number, text, texts, time};
use crate::Result;
use crate::model::{ClusterKind, Dimension, Grain, Level, Measure, Metric, Source, Tally, UNKNOWN};
use crate::schema::{self, table};
use crate::warehouse::{Warehouse, read_table, read_table_columns};

fn owned(s: Option<&str>) -> String {
    s.unwrap_or_default().to_string()
}

fn bad(table: &str, column: &str, value: &str) -> crate::Error {
    crate::Error::Schema(format!("the `{table}` table holds `{value}` in `{column}`, which this minqing does not know"))
}

/// Every figure of `metrics`.
pub fn read_metrics(wh: &Warehouse) -> Result<Vec<Metric>> {
    use schema::metrics as m;
    let mut out = vec![];
    for b in read_table(wh, table::METRICS)? {
        let c = Columns::new(&b, table::METRICS);
        let (grain, period, source, dim) =
            (c.str(m::GRAIN)?, c.str(m::PERIOD)?, c.str(m::SOURCE)?, c.str(m::DIMENSION)?);
        let (key, measure, note) = (c.str(m::KEY)?, c.str(m::MEASURE)?, c.str(m::NOTE)?);
        let (num, den, value) = (c.f64(m::NUMERATOR)?, c.f64(m::DENOMINATOR)?, c.f64(m::VALUE)?);
        for i in 0..c.rows() {
            let g = grain.value(i);
            out.push(Metric {
                grain: Grain::parse(g).ok_or_else(|| bad(table::METRICS, m::GRAIN, g))?,
                period: owned(text(period, i)),
                source: owned(text(source, i)),
                dimension: Dimension::parse(dim.value(i))
                    .ok_or_else(|| bad(table::METRICS, m::DIMENSION, dim.value(i)))?,
                key: owned(text(key, i)),
                measure: Measure::parse(measure.value(i))
                    .ok_or_else(|| bad(table::METRICS, m::MEASURE, measure.value(i)))?,
                numerator: number(num, i),
                denominator: number(den, i),
                value: number(value, i),
                note: text(note, i).map(str::to_string),
            });
        }
    }
    Ok(out)
}

/// person_key → person_id for the keys `person_links` holds (a key not there is its own id).
pub fn read_person_ids(wh: &Warehouse) -> Result<HashMap<String, String>> {
    use schema::person_links as l;
    let mut out = HashMap::new();
    for b in read_table(wh, table::PERSON_LINKS)? {
        let c = Columns::new(&b, table::PERSON_LINKS);
        let (k, p) = (c.str(l::PERSON_KEY)?, c.str(l::PERSON_ID)?);
        for i in 0..c.rows() {
            out.insert(k.value(i).to_string(), p.value(i).to_string());
        }
    }
    Ok(out)
}

/// One scored case of `risk`.
#[derive(Debug, Clone)]
pub struct RiskRow {
    pub case_id: String,
    pub received: NaiveDateTime,
    pub topic: String,
    /// `None` when neither the export nor the text named the township.
    pub town: Option<String>,
    pub score: i64,
    pub level: Level,
    /// The reasons of a 红 or 橙 case (a briefing lists no others'); empty for the rest.
    pub reasons: Vec<String>,
}

/// The scored cases of `risk` received on `since` or later (a briefing looks back a year
/// of a table that holds every year).
pub fn read_risk(wh: &Warehouse, since: NaiveDate) -> Result<Vec<RiskRow>> {
    use schema::risk as r;
    let from = since.and_hms_opt(0, 0, 0).expect("midnight");
    let cols = [r::CASE_ID, r::RECEIVED_AT, r::FOCUS_TOPIC, r::REGION_TOWN, r::SCORE, r::LEVEL, r::REASONS];
    let mut out = vec![];
    for b in read_table_columns(wh, table::RISK, Some(&cols))? {
        let c = Columns::new(&b, table::RISK);
        let (case_id, received, topic) = (c.str(r::CASE_ID)?, c.time(r::RECEIVED_AT)?, c.str(r::FOCUS_TOPIC)?);
        let (town, score, level, reasons) =
            (c.str(r::REGION_TOWN)?, c.int(r::SCORE)?, c.str(r::LEVEL)?, c.list(r::REASONS)?);
        for i in 0..c.rows() {
            let received = time(received, i).unwrap_or_default();
            if received < from {
                continue;
            }
            let l = level.value(i);
            let level = Level::parse(l).ok_or_else(|| bad(table::RISK, r::LEVEL, l))?;
            out.push(RiskRow {
                case_id: case_id.value(i).to_string(),
                received,
                topic: owned(text(topic, i)),
                town: text(town, i).map(str::to_string),
                score: score.get(i).unwrap_or(0),
                level,
                reasons: if level.is_high() { texts(reasons, i) } else { vec![] },
            });
        }
    }
    Ok(out)
}

/// Each case's (score, level), in the order of the facts (`None`: not scored).
pub type Scores = Vec<Option<(i32, Level)>>;

/// Where a stage finds each case's risk: the `risk` table, or the risk stage of the same
/// run, which hands its scores over so they are not read back from the table it wrote.
pub enum RiskScores {
    /// Read from `risk` (a stage run alone, or a run without the risk stage).
    Stored,
    /// The risk stage's scores of the same facts.
    Given(std::sync::Arc<Scores>),
    /// Scores the risk stage running beside sends when it has them (an error when it
    /// stops first); kept once received, for a second ask.
    Coming(std::sync::Mutex<Handover>),
}

/// The receiving end of the scores a risk stage hands over, and what it received.
pub struct Handover {
    from: std::sync::mpsc::Receiver<std::sync::Arc<Scores>>,
    got: Option<std::sync::Arc<Scores>>,
}

impl RiskScores {
    /// Scores to come through `from`.
    pub fn coming(from: std::sync::mpsc::Receiver<std::sync::Arc<Scores>>) -> RiskScores {
        RiskScores::Coming(std::sync::Mutex::new(Handover { from, got: None }))
    }

    /// The scores of `facts` (the facts handed-over scores were made for, or a prefix of them).
    pub fn of(&self, wh: &Warehouse, facts: &[CaseFacts]) -> Result<std::sync::Arc<Scores>> {
        let scores = match self {
            RiskScores::Stored => return Ok(std::sync::Arc::new(scores_of(wh, facts)?)),
            RiskScores::Given(s) => s.clone(),
            // a rayon worker waiting here could hold the very jobs risk waits for
            RiskScores::Coming(_) if rayon::current_thread_index().is_some() => {
                return Err(crate::Error::Internal("risk scores were waited for on a rayon worker".into()));
            }
            RiskScores::Coming(h) => {
                let mut h = h.lock().unwrap_or_else(|e| e.into_inner());
                if h.got.is_none() {
                    h.got = Some(h.from.recv().map_err(|_| {
                        crate::Error::Internal(
                            "the risk stage beside this one stopped before it had scored the cases".into(),
                        )
                    })?);
                }
                h.got.clone().expect("received above")
            }
        };
        if scores.len() < facts.len() {
            return Err(crate::Error::Internal(format!(
                "risk scores of {} cases handed over for {} cases",
                scores.len(),
                facts.len()
            )));
        }
        Ok(scores)
    }
}

/// Each case's (score, level) from `risk`, in the order of `facts` (`None`: not scored;
/// all `None` before the risk stage has run). `risk` keeps its rows in the facts' order, so
/// both are walked together; a row out of that order is looked up by (source, case_id).
pub fn scores_of(wh: &Warehouse, facts: &[CaseFacts]) -> Result<Scores> {
    use schema::risk as r;
    let mut out = vec![None; facts.len()];
    let mut find = Aligned::new(facts);
    for b in read_table_columns(wh, table::RISK, Some(&[r::SOURCE, r::CASE_ID, r::SCORE, r::LEVEL]))? {
        let c = Columns::new(&b, table::RISK);
        let (source, case_id, score, level) =
            (c.str(r::SOURCE)?, c.str(r::CASE_ID)?, c.int(r::SCORE)?, c.str(r::LEVEL)?);
        for i in 0..c.rows() {
            let Some(k) = find.row(source.value(i), case_id.value(i)) else { continue };
            let l = level.value(i);
            let l = Level::parse(l).ok_or_else(|| bad(table::RISK, r::LEVEL, l))?;
            out[k] = Some((score.get(i).unwrap_or(0) as i32, l));
        }
    }
    Ok(out)
}

/// Finds a table's rows among the facts: the next fact first (a stage's output keeps the
/// facts' order), by (source, case_id) otherwise.
struct Aligned<'a> {
    facts: &'a [CaseFacts],
    next: usize,
    index: Option<rustc_hash::FxHashMap<(&'a str, &'a str), usize>>,
}

impl<'a> Aligned<'a> {
    fn new(facts: &'a [CaseFacts]) -> Self {
        Aligned { facts, next: 0, index: None }
    }

    fn row(&mut self, source: &str, case_id: &str) -> Option<usize> {
        let at = match self.facts.get(self.next) {
            Some(f) if &*f.source == source && f.case_id == case_id => Some(self.next),
            _ => {
                let facts = self.facts;
                let index = self.index.get_or_insert_with(|| {
                    facts.iter().enumerate().map(|(k, f)| ((&*f.source, f.case_id.as_str()), k)).collect()
                });
                index.get(&(source, case_id)).copied()
            }
        }?;
        self.next = at + 1;
        Some(at)
    }
}

#[cfg(test)]
mod aligned_tests {
    use super::*;

    #[test]
    fn handed_over_scores_are_kept_for_a_second_ask_and_never_waited_for_on_rayon() {
        let tmp = tempfile::tempdir().unwrap();
        let wh = Warehouse::open(tmp.path()).unwrap();
        let facts = [CaseFacts::default(), CaseFacts::default()];
        let (send, recv) = std::sync::mpsc::sync_channel(1);
        let coming = RiskScores::coming(recv);
        // asked on a rayon worker: an error, not a wait that holds a core risk needs
        let on_worker = rayon::scope(|_| rayon::join(|| coming.of(&wh, &facts), || ()).0);
        assert!(on_worker.is_err());
        send.send(std::sync::Arc::new(vec![Some((90, Level::Red)), None])).unwrap();
        drop(send);
        assert_eq!(coming.of(&wh, &facts).unwrap()[0], Some((90, Level::Red)));
        assert_eq!(coming.of(&wh, &facts).unwrap()[1], None, "the second ask gets them too");
        // the risk stage stopped before it sent them
        let (send, recv) = std::sync::mpsc::sync_channel::<std::sync::Arc<Scores>>(1);
        drop(send);
        assert!(RiskScores::coming(recv).of(&wh, &facts).is_err());
    }

    #[test]
    fn rows_in_order_out_of_order_and_unknown_all_find_their_case() {
        let fact = |s: &str, id: &str| CaseFacts { source: s.into(), case_id: id.into(), ..Default::default() };
        let facts = [fact("petition", "1"), fact("hotline", "1"), fact("petition", "2"), fact("message", "9")];
        let mut a = Aligned::new(&facts);
        assert_eq!(a.row("petition", "1"), Some(0));
        assert_eq!(a.row("hotline", "1"), Some(1));
        assert!(a.index.is_none(), "rows in the facts' order need no index");
        assert_eq!(a.row("message", "9"), Some(3));
        assert_eq!(a.row("petition", "2"), Some(2));
        assert_eq!(a.row("petition", "7"), None);
        assert_eq!(a.row("message", "9"), Some(3));
        assert_eq!(a.row("hotline", "2"), None);
    }
}

/// One row of `risk_groups`: an entity, a person or a town rolled up.
#[derive(Debug, Clone)]
pub struct GroupRow {
    pub kind: String,
    pub key: String,
    pub cases: i64,
    pub recent_cases: i64,
    pub petitioners: i64,
    pub score: i64,
    pub level: Level,
    pub reasons: Vec<String>,
    pub escalation_path: String,
    /// 一人多诉, 多人同诉, or none.
    pub pattern: Option<String>,
}

pub fn read_groups(wh: &Warehouse) -> Result<Vec<GroupRow>> {
    use schema::risk_groups as g;
    let mut out = vec![];
    for b in read_table(wh, table::RISK_GROUPS)? {
        let c = Columns::new(&b, table::RISK_GROUPS);
        let (kind, key, cases, recent) = (c.str(g::KIND)?, c.str(g::KEY)?, c.int(g::CASES)?, c.int(g::RECENT_CASES)?);
        let (petitioners, score, level, reasons) =
            (c.int(g::PETITIONERS)?, c.int(g::SCORE)?, c.str(g::LEVEL)?, c.list(g::REASONS)?);
        let (path, pattern) = (c.str(g::ESCALATION_PATH)?, c.str(g::PATTERN)?);
        for i in 0..c.rows() {
            let l = level.value(i);
            out.push(GroupRow {
                kind: kind.value(i).to_string(),
                key: key.value(i).to_string(),
                cases: cases.get(i).unwrap_or(0),
                recent_cases: recent.get(i).unwrap_or(0),
                petitioners: petitioners.get(i).unwrap_or(0),
                score: score.get(i).unwrap_or(0),
                level: Level::parse(l).ok_or_else(|| bad(table::RISK_GROUPS, g::LEVEL, l))?,
                reasons: texts(reasons, i),
                escalation_path: owned(text(path, i)),
                pattern: text(pattern, i).map(str::to_string),
            });
        }
    }
    Ok(out)
}

/// One row of `clusters`, as reports read it.
#[derive(Debug, Clone)]
pub struct ClusterRow {
    pub kind: ClusterKind,
    pub title: String,
    pub entity_key: Option<String>,
    pub cases: i64,
    pub people: i64,
    /// Cases per source, in [`Source::ALL`] order.
    pub by_source: [i64; 4],
    pub heat: f64,
    pub heat_rank: i64,
    pub lead_dept: String,
    /// `城关镇 12、青石镇 3`: the 问题属地 with their cases, most first.
    pub regions: String,
    /// Cases the risk stage graded 红.
    pub red_cases: i64,
}

impl ClusterRow {
    /// The townships of `regions`, most cases first, without 未知.
    pub fn towns(&self) -> Vec<&str> {
        Tally::parse(&self.regions).names().filter(|t| *t != UNKNOWN).collect()
    }
}

pub fn read_clusters(wh: &Warehouse) -> Result<Vec<ClusterRow>> {
    use schema::clusters as k;
    let mut out = vec![];
    for b in read_table(wh, table::CLUSTERS)? {
        let c = Columns::new(&b, table::CLUSTERS);
        let (kind, title, entity, cases, people) =
            (c.str(k::KIND)?, c.str(k::TITLE)?, c.str(k::ENTITY_KEY)?, c.int(k::CASES)?, c.int(k::PEOPLE)?);
        let per_source = [c.int(k::PETITION)?, c.int(k::HOTLINE)?, c.int(k::MESSAGE)?, c.int(k::OPINION)?];
        let (heat, rank, lead, regions, red) =
            (c.f64(k::HEAT)?, c.int(k::HEAT_RANK)?, c.str(k::LEAD_DEPT)?, c.str(k::REGIONS)?, c.int(k::RED_CASES)?);
        for i in 0..c.rows() {
            let kd = kind.value(i);
            out.push(ClusterRow {
                kind: ClusterKind::parse(kd).ok_or_else(|| bad(table::CLUSTERS, k::KIND, kd))?,
                title: owned(text(title, i)),
                entity_key: text(entity, i).map(str::to_string),
                cases: cases.get(i).unwrap_or(0),
                people: people.get(i).unwrap_or(0),
                by_source: per_source.each_ref().map(|a| a.get(i).unwrap_or(0)),
                heat: number(heat, i).unwrap_or(0.0),
                heat_rank: rank.get(i).unwrap_or(0),
                lead_dept: owned(text(lead, i)),
                regions: owned(text(regions, i)),
                red_cases: red.get(i).unwrap_or(0),
            });
        }
    }
    debug_assert!(Source::ALL.iter().map(|s| s.as_str()).eq([k::PETITION, k::HOTLINE, k::MESSAGE, k::OPINION]));
    Ok(out)
}

/// One open case's deadline in `deadlines`.
#[derive(Debug, Clone)]
pub struct DeadlineRow {
    pub case_id: String,
    pub stage: String,
    pub dept: Option<String>,
    pub received: NaiveDateTime,
    pub due: Option<NaiveDate>,
    /// 逾期, 到期, 临期 or 正常.
    pub state: String,
    pub days_left: i64,
}

pub fn read_deadlines(wh: &Warehouse) -> Result<Vec<DeadlineRow>> {
    use schema::deadlines as d;
    let mut out = vec![];
    for b in read_table(wh, table::DEADLINES)? {
        let c = Columns::new(&b, table::DEADLINES);
        let (case_id, stage, dept) = (c.str(d::CASE_ID)?, c.str(d::STAGE)?, c.str(d::DEPT)?);
        let (received, due, state, left) =
            (c.time(d::RECEIVED_AT)?, c.date(d::DUE_AT)?, c.str(d::STATE)?, c.int(d::DAYS_LEFT)?);
        for i in 0..c.rows() {
            out.push(DeadlineRow {
                case_id: case_id.value(i).to_string(),
                stage: owned(text(stage, i)),
                dept: text(dept, i).map(str::to_string),
                received: time(received, i).unwrap_or_default(),
                due: day(due, i),
                state: owned(text(state, i)),
                days_left: left.get(i).unwrap_or(0),
            });
        }
    }
    Ok(out)
}
