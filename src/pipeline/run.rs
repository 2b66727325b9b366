//! `minqing run PIPELINE.toml --as-of DATE`: raw exports to `reports/<name>-<as-of>/`.
//!
//! Stages in order — ingest, enrich, review, risk, metrics, cluster, report — each over the
//! warehouse. Ingest adds only new rows (re-ingesting is idempotent); enrich, the slow
//! text stage, is skipped when no ingest has changed `cases` since it last ran. Risk,
//! metrics and clusters depend on the as-of day and always run. The report folder is
//! written beside its final place and renamed into it, so a crash leaves the last
//! complete folder or none. `run.json` records inputs with hashes, rows per stage,
//! versions and timings.

use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::NaiveDate;
use serde_json::json;

use super::config::Pipeline;
use crate::facts::{CaseFacts, load_facts};
use crate::normalize::PersonKey;
use crate::report::briefing::Briefing;
use crate::schema::table;
use crate::warehouse::Warehouse;
use crate::{Error, Result};

#[derive(Debug, Clone, Default)]
pub struct RunReport {
    pub folder: PathBuf,
    pub as_of: Option<NaiveDate>,
    pub stages: Vec<Stage>,
    pub rejected: u64,
    /// The whole run, start to end: less than the stages' sum when some ran side by side.
    pub seconds: f64,
}

/// One stage of a run: how long it took, its peak resident memory, what it did.
#[derive(Debug, Clone)]
pub struct Stage {
    pub name: String,
    pub seconds: f64,
    pub peak_bytes: Option<u64>,
    pub what: String,
}

impl std::fmt::Display for RunReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for s in &self.stages {
            writeln!(f, "  {:<8} {:>6.1}s  {}", s.name, s.seconds, s.what)?;
        }
        write!(f, "report: {}", self.folder.display())
    }
}

/// Whether `cases` changed after the last enrich.
fn enrich_is_stale(wh: &Warehouse) -> Result<bool> {
    Ok(match (wh.last_commit_of(table::CASES)?, wh.last_commit_of(table::ENRICHED)?) {
        (Some(c), Some(e)) => c > e,
        (Some(_), None) => true,
        (None, _) => false,
    })
}

/// What a thread's panic said, when it said it with a message.
fn panic_message(panic: &(dyn std::any::Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("no message")
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").trim().to_string()
}

pub fn run(
    wh: &Warehouse,
    p: &Pipeline,
    models: &Path,
    key: &PersonKey,
    as_of: Option<NaiveDate>,
    reports: &Path,
) -> Result<RunReport> {
    let run_start = Instant::now();
    let mut rep = RunReport::default();
    let mut inputs = vec![];
    let mut counts = serde_json::Map::new();
    let timed = |rep: &mut RunReport, name: &str, t: Instant, what: String| {
        let (seconds, peak_bytes) = (t.elapsed().as_secs_f64(), crate::mem::peak_bytes());
        rep.stages.push(Stage { name: name.to_string(), seconds, peak_bytes, what });
    };
    let start = || {
        crate::mem::reset_peak();
        crate::mem::stage_begin();
        Instant::now()
    };
    if p.runs("ingest") {
        let t = start();
        let opts = crate::ingest::IngestOptions { no_pii: p.no_pii, ..Default::default() };
        let r = crate::ingest::ingest(wh, &p.exports, &opts, key)?;
        rep.rejected = r.rejected();
        for f in &r.files {
            inputs.push(json!({"file": f.file, "blake3": f.file_hash, "source": f.source, "rows_read": f.rows_read,
                "added": f.added, "updated": f.updated, "unchanged": f.unchanged, "rejected": f.rejected}));
        }
        counts.insert("ingest_added".into(), json!(r.total(|f| f.added)));
        counts.insert("ingest_rejected".into(), json!(r.rejected()));
        timed(
            &mut rep,
            "ingest",
            t,
            format!("{} files, {} rows added, {} rejected", r.files.len(), r.total(|f| f.added), r.rejected()),
        );
    }
    if p.runs("enrich") {
        let t = start();
        if enrich_is_stale(wh)? {
            let cfg = crate::enrich::EnrichConfig::from_models_dir(models, p.gazetteer.clone());
            let r = crate::enrich::enrich_with(wh, &cfg, p.scheduler.as_deref())?;
            counts.insert("enriched".into(), json!(r.cases));
            timed(&mut rep, "enrich", t, first_line(&r.to_string()));
        } else {
            timed(&mut rep, "enrich", t, "up to date: no new cases since the last run".into());
        }
    }
    if p.runs("review") {
        let t = start();
        let (r, _) = crate::review::run(wh)?;
        counts.insert("replies_reviewed".into(), json!(r.replies));
        counts.insert("replies_flagged".into(), json!(r.flagged));
        timed(&mut rep, "review", t, r.to_string());
    }
    // risk, metrics and cluster read the same joined view of cases and enrichment: once
    let mut facts: Option<Vec<CaseFacts>> = None;
    let loaded = |wh: &Warehouse, kept: &mut Option<Vec<CaseFacts>>| -> Result<Vec<CaseFacts>> {
        Ok(match kept.take() {
            Some(f) => f,
            None => load_facts(wh)?,
        })
    };
    if p.runs("risk") {
        let t = start();
        let f = loaded(wh, &mut facts)?;
        let r = crate::risk::run_on(wh, models, as_of, &f)?;
        facts = Some(f);
        rep.as_of = rep.as_of.or(r.as_of);
        counts.insert("risk_cases".into(), json!(r.cases));
        counts.insert("risk_groups".into(), json!(r.groups));
        timed(&mut rep, "risk", t, first_line(&r.to_string()));
    }
    // metrics and cluster read the same facts and the risk table and write tables of their
    // own: they run side by side, metrics on a thread of its own (neither keeps both cores
    // busy alone), each in its own transaction
    let metrics_cfg = crate::metrics::MetricsConfig {
        policy: p.policy,
        warn_days: p.warn_days,
        populations: p.populations.clone(),
        ..Default::default()
    };
    let cluster_cfg = crate::cluster::ClusterConfig::default();
    let mut clusters = None;
    if p.runs("metrics") || p.runs("cluster") {
        // the facts' load is timed with the first stage that reads them here
        let loading = Instant::now();
        let f = loaded(wh, &mut facts)?;
        let load_seconds = loading.elapsed().as_secs_f64();
        start();
        let (m, c) = std::thread::scope(|scope| {
            let m = p.runs("metrics").then(|| {
                scope.spawn(|| {
                    let t = Instant::now();
                    crate::metrics::run_on(wh, &metrics_cfg, as_of, &f).map(|r| (r, t.elapsed().as_secs_f64()))
                })
            });
            let c = p.runs("cluster").then(|| {
                let t = Instant::now();
                crate::cluster::run_on(wh, &cluster_cfg, as_of, &f).map(|r| (r, t.elapsed().as_secs_f64()))
            });
            let m = m.map(|h| {
                h.join().unwrap_or_else(|panic| {
                    Err(Error::Internal(format!("the metrics stage panicked: {}", panic_message(panic.as_ref()))))
                })
            });
            (m, c)
        });
        // both failed: metrics' error is returned, cluster's is not lost
        if let (Some(Err(_)), Some(Err(ce))) = (&m, &c) {
            tracing::error!("cluster failed beside metrics: {ce}");
        }
        let peak_bytes = crate::mem::peak_bytes();
        let beside = p.runs("metrics") && p.runs("cluster");
        let mut load_seconds = Some(load_seconds);
        let mut stage = |name: &str, seconds: f64, what: String| {
            let seconds = seconds + load_seconds.take().unwrap_or(0.0);
            let what = if beside {
                format!("{what} (beside {})", if name == "cluster" { "metrics" } else { "cluster" })
            } else {
                what
            };
            rep.stages.push(Stage { name: name.to_string(), seconds, peak_bytes, what });
        };
        if let Some(m) = m {
            let (r, seconds) = m?;
            rep.as_of = rep.as_of.or(r.as_of);
            counts.insert("metrics".into(), json!(r.metrics));
            counts.insert("open_deadlines".into(), json!(r.open));
            stage("metrics", seconds, first_line(&r.to_string()));
        }
        if let Some(c) = c {
            let ((r, c), seconds) = c?;
            rep.as_of = rep.as_of.or(r.as_of);
            counts.insert("clusters".into(), json!(r.clusters));
            counts.insert("clustered_cases".into(), json!(r.clustered));
            stage("cluster", seconds, first_line(&r.to_string()));
            clusters = Some(c);
        }
        facts = Some(f);
    }
    let as_of = match as_of.or(rep.as_of) {
        Some(d) => d,
        None => crate::facts::latest_day(&load_facts(wh)?)
            .ok_or_else(|| Error::Usage("the warehouse has no cases: nothing to report".into()))?,
    };
    rep.as_of = Some(as_of);
    let folder = reports.join(format!("{}-{as_of}", p.name));
    rep.folder = folder.clone();
    if !p.runs("report") {
        rep.seconds = run_start.elapsed().as_secs_f64();
        return Ok(rep);
    }
    let t = start();
    let tmp = reports.join(format!(".{}-{as_of}.tmp", p.name));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(|e| Error::io(&tmp, e))?;
    let (key_name, start, end) = p.period.range(as_of);
    let mut written = vec![];
    // the clusters workbook (the largest output: every member case) is written on its own
    // thread while the briefing, letters and lists are made
    let clusters_xlsx = clusters.as_ref().zip(facts.as_deref()).filter(|_| p.writes("clusters.xlsx"));
    let tmp_ref = &tmp;
    std::thread::scope(|scope| -> Result<()> {
        let cl = clusters_xlsx.map(|(c, facts): (&Vec<_>, &[_])| {
            scope.spawn(move || crate::cluster::xlsx::write(&tmp_ref.join("clusters.xlsx"), c, facts))
        });
        // the letters and lists, each on its own thread while the briefing is made: each
        // gives its output's name and what it counted
        type Listed = Result<(&'static str, Option<(&'static str, serde_json::Value)>)>;
        type Job<'j> = Box<dyn FnOnce() -> Listed + Send + 'j>;
        let key_ref = &key_name;
        let jobs: [(&str, Job); 5] = [
            (
                "letters",
                Box::new(move || {
                    let n = crate::report::letters::write_all(wh, &tmp_ref.join("letters"), &p.issuer, as_of)?;
                    Ok(("letters", Some(("letters", json!(n)))))
                }),
            ),
            (
                "risk.xlsx",
                Box::new(move || {
                    let n = crate::report::lists::risk_xlsx(wh, &tmp_ref.join("risk.xlsx"), start, end)?;
                    Ok(("risk.xlsx", Some(("risk_list", json!(n)))))
                }),
            ),
            (
                "overdue.xlsx",
                Box::new(move || {
                    let n = crate::report::lists::overdue_xlsx(wh, &tmp_ref.join("overdue.xlsx"))?;
                    Ok(("overdue.xlsx", Some(("overdue_list", json!(n)))))
                }),
            ),
            (
                "replies.xlsx",
                Box::new(move || {
                    let n = crate::report::lists::replies_xlsx(wh, &tmp_ref.join("replies.xlsx"), start, end)?;
                    Ok(("replies.xlsx", Some(("replies_list", json!(n)))))
                }),
            ),
            (
                "metrics.xlsx",
                Box::new(move || {
                    let path = tmp_ref.join("metrics.xlsx");
                    crate::report::lists::metrics_xlsx(wh, &path, p.period.grain(), key_ref, as_of)?;
                    Ok(("metrics.xlsx", None))
                }),
            ),
        ];
        let lists: Vec<_> =
            jobs.into_iter().filter(|(output, _)| p.writes(output)).map(|(_, job)| scope.spawn(job)).collect();
        // the briefing; its error is returned after every thread is joined (a thread's panic
        // then surfaces as an error, not as the scope's panic)
        let briefing = (|| -> Result<()> {
            if ["briefing.md", "briefing.html", "briefing.docx", "charts"].iter().any(|o| p.writes(o)) {
                let mut b = Briefing::gather(wh, &p.title, p.period, as_of)?;
                b.targets = p.targets.clone();
                let mut figures = vec![];
                if p.writes("charts") || p.writes("briefing.html") || p.writes("briefing.docx") {
                    let rendered = crate::report::figures::render_all(&b, &tmp.join("charts"))?;
                    counts.insert("charts".into(), json!(rendered.len()));
                    figures = rendered.into_iter().map(|(name, section, _)| (name, section)).collect();
                    written.push("charts".to_string());
                }
                let doc = b.document(&figures);
                if p.writes("briefing.md") {
                    let md = doc.to_markdown();
                    std::fs::write(tmp.join("briefing.md"), md).map_err(|e| Error::io(tmp.join("briefing.md"), e))?;
                    written.push("briefing.md".to_string());
                }
                if p.writes("briefing.docx") {
                    crate::report::docx::briefing(&doc, &tmp, &tmp.join("briefing.docx"))?;
                    written.push("briefing.docx".to_string());
                }
                if p.writes("briefing.html") {
                    let html = crate::report::html::to_html(&doc, &tmp)?;
                    std::fs::write(tmp.join("briefing.html"), html)
                        .map_err(|e| Error::io(tmp.join("briefing.html"), e))?;
                    written.push("briefing.html".to_string());
                }
            }
            Ok(())
        })();
        let lists: Vec<_> = lists
            .into_iter()
            .map(|h| h.join().map_err(|_| Error::Internal("writing the lists panicked".into())))
            .collect();
        let cl = cl.map(|h| h.join().map_err(|_| Error::Internal("writing clusters.xlsx panicked".into())));
        briefing?;
        for r in lists {
            let (output, count) = r??;
            if let Some((name, n)) = count {
                counts.insert(name.into(), n);
            }
            written.push(output.into());
        }
        if let Some(r) = cl {
            r??;
            written.push("clusters.xlsx".into());
        }
        Ok(())
    })?;
    timed(&mut rep, "report", t, written.join(", "));
    rep.seconds = run_start.elapsed().as_secs_f64();
    let ms = |s: f64| json!((s * 1000.0).round() / 1000.0);
    // each stage's own time, and the whole run's (less than their sum: some run side by side)
    let mut timings: serde_json::Map<_, _> = rep.stages.iter().map(|s| (s.name.clone(), ms(s.seconds))).collect();
    timings.insert("whole".into(), ms(rep.seconds));
    // the demo's pipeline is the shipped file, not one on disk
    let pipeline_text =
        std::fs::read(&p.path).unwrap_or_else(|_| include_bytes!("../../pipelines/weekly.toml").to_vec());
    let run = json!({
        "pipeline": {"name": p.name, "file": p.path.display().to_string(), "blake3": blake3::hash(&pipeline_text).to_hex().to_string()},
        "as_of": as_of.to_string(),
        "period": {"key": key_name, "start": start.to_string(), "end": end.to_string()},
        "deadline_policy": p.policy.name(),
        "inputs": inputs,
        // the warehouse as this run read it: `minqing sql --version N` reads it again
        "warehouse_commit": wh.last_commit()?,
        "rows": counts,
        "outputs": written,
        "versions": {"minqing": env!("CARGO_PKG_VERSION"), "models": models_hashes(models)},
        "timings_seconds": timings,
    });
    let bytes = serde_json::to_vec_pretty(&run).expect("run.json serializes");
    std::fs::write(tmp.join("run.json"), bytes).map_err(|e| Error::io(tmp.join("run.json"), e))?;
    if folder.exists() {
        std::fs::remove_dir_all(&folder).map_err(|e| Error::io(&folder, e))?;
    }
    std::fs::rename(&tmp, &folder).map_err(|e| Error::io(&folder, e))?;
    Ok(rep)
}

/// BLAKE3 of each model file, so a run says which weights and lexicons made it.
fn models_hashes(models: &Path) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    if let Ok(rd) = std::fs::read_dir(models) {
        let mut files: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_file()).collect();
        files.sort();
        for f in files {
            if let (Some(name), Ok(bytes)) = (f.file_name().and_then(|n| n.to_str()), std::fs::read(&f)) {
                out.insert(name.to_string(), json!(blake3::hash(&bytes).to_hex().to_string()));
            }
        }
    }
    serde_json::Value::Object(out)
}
