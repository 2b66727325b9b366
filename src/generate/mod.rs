//! `minqing generate`: realistic exports for all four sources, with known truth.
//!
//! Built from incidents with a life cycle (an estate's delayed delivery, a contractor's
//! unpaid wages peaking before Spring Festival, a collapsed investment platform, a
//! village's land acquisition, veterans' benefits, a plant's pollution) over a background
//! of ordinary complaints. Petitioners repeat and some escalate county → city → province
//! → Beijing. Handling times follow the statutory deadlines with a share late or unrated.
//! A known fraction of rows is malformed (empty text, impossible dates, missing ids,
//! negative head counts, duplicates, blank rows) and marked in `truth.csv`.
//! Deterministic for a seed: records are made in fixed chunks, each with its own
//! seeded generator, whatever the number of threads.

mod phrases;
mod text;
pub mod world;
mod write;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use phrases::{INCIDENT_TOPICS, Topic};
use world::{Person, TOWNS};

use crate::{Error, Result};

/// Which files to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Formats {
    /// Each source as its system exports it: petition xlsx, hotline GBK csv, message
    /// UTF-8 csv with BOM, opinion jsonl.
    Native,
    /// Every source in xlsx, UTF-8 csv, GBK csv and jsonl (the same records four times).
    All,
}

#[derive(Debug, Clone)]
pub struct GenerateConfig {
    pub records: usize,
    pub seed: u64,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub formats: Formats,
}

impl Default for GenerateConfig {
    fn default() -> Self {
        GenerateConfig {
            records: 20_000,
            seed: 2026,
            start: NaiveDate::from_ymd_opt(2025, 11, 1).expect("valid"),
            end: NaiveDate::from_ymd_opt(2026, 10, 31).expect("valid"),
            formats: Formats::Native,
        }
    }
}

/// The sources in a fixed order, with their share of records.
pub const SOURCES: [(&str, f64); 4] = [("petition", 0.35), ("hotline", 0.35), ("message", 0.15), ("opinion", 0.15)];
/// Share of records that belong to an incident.
const INCIDENT_SHARE: f64 = 0.28;
/// Share of rows made malformed on purpose (each kind), and of extra duplicate and blank rows.
const DEFECT_RATE: f64 = 0.0025;
const DUPLICATE_RATE: f64 = 0.003;
const BLANK_RATE: f64 = 0.002;
/// Records made per seeded chunk.
const CHUNK: usize = 4096;
/// Sources above this many rows are written as csv instead of xlsx.
const XLSX_MAX_ROWS: usize = 200_000;
/// Chinese New Year 2026, when unpaid-wage cases peak.
const SPRING_FESTIVAL: (i32, u32, u32) = (2026, 2, 17);

/// A sensitive matter many people write about over weeks or months.
#[derive(Debug, Clone)]
pub struct Incident {
    pub kind: usize,
    pub start: NaiveDateTime,
    pub days: i64,
    pub size: usize,
    pub town: usize,
    pub village: usize,
    /// Entity slots fixed for the incident (estate, dev, contractor, project, …).
    pub slots: BTreeMap<&'static str, String>,
    /// First person index of the incident's group, and its size.
    pub group: (u32, u32),
    /// Whether this incident goes all the way to the province and Beijing.
    pub escalates: bool,
}

impl Incident {
    pub fn topic(&self) -> &'static Topic {
        &INCIDENT_TOPICS[self.kind]
    }
    pub fn entity(&self) -> &str {
        let key = match self.topic().sub {
            "逾期交房" => "estate",
            "农民工工资" => "contractor",
            "集资诈骗" => "platform",
            "征地补偿" => "village",
            "企业污染" => "plant",
            _ => "group",
        };
        self.slots.get(key).map(String::as_str).unwrap_or("")
    }
}

/// One generated record, before it is laid out in an export's columns.
#[derive(Debug, Clone)]
pub struct Rec {
    pub source: usize,
    pub case_id: String,
    pub received_at: NaiveDateTime,
    pub title: String,
    pub content: String,
    pub person: Option<u32>,
    /// Head count in the 信访人数 field (None: left empty).
    pub headcount: Option<i32>,
    pub region: Option<String>,
    pub topic: &'static Topic,
    pub incident: Option<u32>,
    pub entity: String,
    pub channel: &'static str,
    pub purpose: &'static str,
    /// 0 county, 1 city, 2 province, 3 national.
    pub level: u8,
    pub flags: [bool; 7],
    pub dept: String,
    pub accepted_at: Option<NaiveDateTime>,
    pub due_at: Option<NaiveDateTime>,
    pub closed_at: Option<NaiveDateTime>,
    pub replied_at: Option<NaiveDateTime>,
    pub satisfaction: Option<&'static str>,
    pub reply: Option<String>,
    pub likes: i64,
    pub dislikes: i64,
    pub shares: i64,
    pub comments: i64,
    pub platform: &'static str,
    pub defect: Option<&'static str>,
    pub escalated_30d: bool,
    /// A form index for dates, so one column mixes forms as real exports do.
    pub date_form: u8,
}

/// What was written.
#[derive(Debug, Default)]
pub struct GenerateReport {
    pub out: PathBuf,
    pub records: usize,
    pub per_source: BTreeMap<String, usize>,
    pub incidents: usize,
    pub defects: BTreeMap<String, usize>,
    pub blank_rows: usize,
    pub files: Vec<(PathBuf, usize)>,
    pub seconds: f64,
}

impl fmt::Display for GenerateReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "generated {} records ({} incidents) in {:.1}s → {}",
            self.records,
            self.incidents,
            self.seconds,
            self.out.display()
        )?;
        for (s, n) in &self.per_source {
            writeln!(f, "  {s:<9} {n:>9}")?;
        }
        let d: Vec<String> = self.defects.iter().map(|(k, v)| format!("{k} {v}")).collect();
        writeln!(f, "  malformed on purpose: {}; blank rows {}", d.join(", "), self.blank_rows)?;
        for (p, rows) in &self.files {
            writeln!(f, "  wrote {} ({rows} rows)", p.display())?;
        }
        write!(f, "  truth: {}", self.out.join("truth.csv").display())
    }
}

/// Generate and write everything under `out`.
pub fn generate(cfg: &GenerateConfig, out: &Path) -> Result<GenerateReport> {
    let t0 = Instant::now();
    if cfg.end <= cfg.start {
        return Err(Error::Usage(format!("the end date {} is not after the start date {}", cfg.end, cfg.start)));
    }
    if cfg.records == 0 {
        return Err(Error::Usage("the number of records must be at least 1".into()));
    }
    let (recs, incidents) = make_records(cfg);
    let exports = out.join("exports");
    std::fs::create_dir_all(&exports).map_err(|e| Error::io(&exports, e))?;
    let mut report =
        GenerateReport { out: out.to_path_buf(), records: recs.iter().map(|v| v.len()).sum(), ..Default::default() };
    report.incidents = incidents;
    for (i, v) in recs.iter().enumerate() {
        report.per_source.insert(SOURCES[i].0.to_string(), v.len());
        for r in v {
            if let Some(d) = r.defect {
                *report.defects.entry(d.to_string()).or_default() += 1;
            }
        }
    }
    let people = People::new(cfg.seed);
    let results: Vec<Result<Vec<(PathBuf, usize, usize)>>> = recs
        .par_iter()
        .enumerate()
        .map(|(s, v)| write::write_source(&exports, s, v, &people, cfg, XLSX_MAX_ROWS))
        .collect();
    for r in results {
        for (p, rows, blanks) in r? {
            report.files.push((p, rows));
            report.blank_rows += blanks;
        }
    }
    report.blank_rows /= match cfg.formats {
        Formats::Native => 1,
        Formats::All => 4,
    };
    write::write_truth(&out.join("truth.csv"), &recs)?;
    write::write_labelled(&out.join("labelled.csv"), &recs)?;
    let (g, p) = world::gazetteer_csv();
    crate::warehouse::atomic_write(&out.join("gazetteer.csv"), g.as_bytes())?;
    crate::warehouse::atomic_write(&out.join("populations.csv"), p.as_bytes())?;
    report.seconds = t0.elapsed().as_secs_f64();
    Ok(report)
}

/// People are made on demand from the seed and their index, so nothing is stored.
pub struct People {
    seed: u64,
}

impl People {
    pub fn new(seed: u64) -> Self {
        People { seed }
    }
    pub fn get(&self, idx: u32) -> Person {
        Self::get_static(self.seed, idx)
    }
    pub fn get_static(seed: u64, idx: u32) -> Person {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x9e37_79b9_7f4a_7c15 ^ ((idx as u64) << 20));
        world::person(&mut rng)
    }
}

fn person_pool(records: usize) -> u32 {
    (records / 3).max(50) as u32
}

/// Incidents scale with the data: about one per 700 records, at least six (one of each kind).
fn plan_incidents(cfg: &GenerateConfig) -> Vec<Incident> {
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed.wrapping_mul(31).wrapping_add(7));
    let n = (cfg.records / 700).max(INCIDENT_TOPICS.len());
    let incident_records = (cfg.records as f64 * INCIDENT_SHARE) as usize;
    let span = (cfg.end - cfg.start).num_days().max(1);
    let pool = person_pool(cfg.records);
    // heavy-tailed sizes: a few incidents carry most of the cases
    let weights: Vec<f64> = (0..n).map(|i| 1.0 / (1.0 + i as f64).powf(0.8)).collect();
    let wsum: f64 = weights.iter().sum();
    let mut group_start = pool; // incident groups sit after the background pool
    (0..n)
        .map(|i| {
            let kind = i % INCIDENT_TOPICS.len();
            let size = ((incident_records as f64 * weights[i] / wsum) as usize).max(3);
            let days = rng.random_range(45..150).min(span);
            let start_day = if INCIDENT_TOPICS[kind].sub == "农民工工资" {
                // wages: the life cycle ends at Spring Festival
                let sf =
                    NaiveDate::from_ymd_opt(SPRING_FESTIVAL.0, SPRING_FESTIVAL.1, SPRING_FESTIVAL.2).expect("valid");
                let base = (sf - cfg.start).num_days() - days + rng.random_range(-10..5);
                base.clamp(0, (span - days).max(0))
            } else {
                rng.random_range(0..=(span - days).max(0))
            };
            let town = rng.random_range(0..TOWNS.len());
            let village = rng.random_range(0..6);
            let mut slots = BTreeMap::new();
            let pick = |rng: &mut ChaCha8Rng, list: &[&str], salt: usize| {
                list[(rng.random_range(0..list.len()) + salt) % list.len()].to_string()
            };
            slots.insert("estate", pick(&mut rng, world::ESTATES, i));
            slots.insert("dev", pick(&mut rng, world::DEVELOPERS, i));
            slots.insert("contractor", pick(&mut rng, world::CONTRACTORS, i));
            slots.insert("project", pick(&mut rng, world::PROJECTS, i));
            slots.insert("platform", pick(&mut rng, world::PLATFORMS, i));
            slots.insert("plant", pick(&mut rng, world::PLANTS, i));
            slots.insert("village", world::villages(town)[village].clone());
            slots.insert("town", TOWNS[town].0.to_string());
            slots.insert("group", format!("{}退役人员", TOWNS[town].0));
            let group_size = ((size / 3).max(3)) as u32;
            let group = (group_start, group_size);
            group_start += group_size;
            Incident {
                kind,
                start: (cfg.start + Duration::days(start_day)).and_hms_opt(8, 0, 0).expect("valid"),
                days,
                size,
                town,
                village,
                slots,
                group,
                escalates: i < n.div_ceil(3),
            }
        })
        .collect()
}

/// A slot to fill: which source, and which incident if any.
#[derive(Clone, Copy)]
struct Slot {
    source: usize,
    incident: Option<u32>,
}

/// All records, per source, sorted by time, with ids, escalation truth and duplicates;
/// and the number of incidents planned.
pub fn make_records(cfg: &GenerateConfig) -> (Vec<Vec<Rec>>, usize) {
    let incidents = plan_incidents(cfg);
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    // slots: incident records first (each incident spread over sources), then background
    let mut slots = Vec::with_capacity(cfg.records);
    for (k, inc) in incidents.iter().enumerate() {
        for _ in 0..inc.size {
            let u: f64 = rng.random();
            let source = if u < 0.45 {
                0
            } else if u < 0.7 {
                1
            } else if u < 0.85 {
                2
            } else {
                3
            };
            slots.push(Slot { source, incident: Some(k as u32) });
        }
    }
    slots.truncate(cfg.records);
    let mut per_source = [0usize; 4];
    for s in &slots {
        per_source[s.source] += 1;
    }
    for (s, (_, share)) in SOURCES.iter().enumerate() {
        let want = ((cfg.records as f64) * share).round() as usize;
        for _ in per_source[s]..want {
            slots.push(Slot { source: s, incident: None });
        }
    }
    slots.truncate(cfg.records);
    while slots.len() < cfg.records {
        slots.push(Slot { source: 1, incident: None });
    }

    let people_pool = person_pool(cfg.records);
    let recs: Vec<Rec> = slots
        .par_chunks(CHUNK)
        .enumerate()
        .flat_map_iter(|(c, chunk)| {
            let mut rng =
                ChaCha8Rng::seed_from_u64(cfg.seed.wrapping_add(1 + c as u64).wrapping_mul(0x2545_f491_4f6c_dd1d));
            chunk
                .iter()
                .map(|slot| {
                    text::make_record(
                        &mut rng,
                        cfg,
                        slot.source,
                        slot.incident.map(|k| &incidents[k as usize]),
                        slot.incident,
                        people_pool,
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect();

    let mut by_source: Vec<Vec<Rec>> = vec![vec![], vec![], vec![], vec![]];
    for r in recs {
        by_source[r.source].push(r);
    }
    for (s, v) in by_source.iter_mut().enumerate() {
        v.sort_by(|a, b| a.received_at.cmp(&b.received_at).then_with(|| a.content.cmp(&b.content)));
        for (i, r) in v.iter_mut().enumerate() {
            r.case_id = case_id(s, r.received_at, i);
        }
    }
    mark_escalations(&mut by_source);
    // exact duplicate rows, as exports repeat records
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed ^ 0xD0B1E);
    for v in by_source.iter_mut() {
        let mut out = Vec::with_capacity(v.len() + v.len() / 200);
        for r in v.drain(..) {
            let dup = r.defect.is_none() && rng.random_bool(DUPLICATE_RATE);
            let copy = dup.then(|| Rec { defect: Some("duplicate"), ..r.clone() });
            out.push(r);
            out.extend(copy);
        }
        *v = out;
    }
    (by_source, incidents.len())
}

fn case_id(source: usize, t: NaiveDateTime, i: usize) -> String {
    match source {
        0 => format!("XF431122{}{:06}", t.format("%Y%m%d"), i + 1),
        1 => format!("GD{}{:07}", t.format("%y%m%d"), i + 1),
        2 => format!("{}", 100_000 + i),
        _ => format!("YQ{}{:07}", t.format("%Y%m"), i + 1),
    }
}

/// `escalated_30d`: within 30 days after a record, the same petitioner or the same
/// incident produced a cross-level, province, Beijing or collective petition.
fn mark_escalations(by_source: &mut [Vec<Rec>]) {
    let mut events: HashMap<(u8, u32), Vec<NaiveDateTime>> = HashMap::new();
    for r in by_source.iter().flatten() {
        let f = r.flags;
        if r.defect.is_none() && (f[0] || f[1] || f[2] || f[3]) {
            if let Some(p) = r.person {
                events.entry((0, p)).or_default().push(r.received_at);
            }
            if let Some(k) = r.incident {
                events.entry((1, k)).or_default().push(r.received_at);
            }
        }
    }
    for v in events.values_mut() {
        v.sort();
    }
    let within = |key: (u8, u32), t: NaiveDateTime| {
        events.get(&key).is_some_and(|v| {
            let i = v.partition_point(|&x| x <= t);
            i < v.len() && v[i] <= t + Duration::days(30)
        })
    };
    for r in by_source.iter_mut().flatten() {
        r.escalated_30d = r.person.is_some_and(|p| within((0, p), r.received_at))
            || r.incident.is_some_and(|k| within((1, k), r.received_at));
    }
}

/// Weekday of a timestamp, 0 = Monday (used to thin weekend traffic).
pub(crate) fn weekday(t: NaiveDateTime) -> u32 {
    t.weekday().num_days_from_monday()
}
