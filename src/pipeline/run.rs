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

/// A stage begins: its clock and its memory peak.
fn start() -> Instant {
    crate::mem::reset_peak();
    crate::mem::stage_begin();
    Instant::now()
}

/// A stage begun at `t` ends, having done `what`.
fn timed(rep: &mut RunReport, name: &str, t: Instant, what: String) {
    let (seconds, peak_bytes) = (t.elapsed().as_secs_f64(), crate::mem::peak_bytes());
    rep.stages.push(Stage { name: name.to_string(), seconds, peak_bytes, what });
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
    let mut ingested = None;
    if p.runs("ingest") {
        let t = start();
        let opts = crate::ingest::IngestOptions { no_pii: p.no_pii, ..Default::default() };
        let r = crate::ingest::ingest_cases(wh, &p.exports, &opts, key)?;
        rep.rejected = r.rejected();
        for f in &r.files {
            inputs.push(json!({"file": f.file, "blake3": f.file_hash, "source": f.source, "rows_read": f.rows_read,
                "added": f.added, "updated": f.updated, "unchanged": f.unchanged, "rejected": f.rejected}));
        }
        counts.insert("ingest_added".into(), json!(r.total(|f| f.added)));
        counts.insert("ingest_rejected".into(), json!(r.rejected()));
        let what = format!("{} files, {} rows added, {} rejected", r.files.len(), r.total(|f| f.added), r.rejected());
        timed(&mut rep, "ingest", t, what);
        ingested = Some((rep.stages.len() - 1, r));
    }
    // Once the cases are committed, three things read them and write tables no other of
    // them reads, each on a core when one is free: linking people (`persons` →
    // `person_links`), enrich (`cases` → `enriched`) and review (replies → `reply_review`,
    // read only by the report). Risk waits for the first two; review is joined before the
    // report.
    let review_at = rep.stages.len() + usize::from(p.runs("enrich"));
    let mut clusters = None;
    let mut facts: Option<Vec<CaseFacts>> = None;
    let (linked, enriched, analysed, reviewed) = std::thread::scope(|scope| {
        let link = ingested.as_ref().map(|(_, r)| {
            scope.spawn(move || {
                let t = Instant::now();
                crate::ingest::link_after(wh, key, r).map(|l| (l, t.elapsed().as_secs_f64()))
            })
        });
        let review = p.runs("review").then(|| {
            scope.spawn(|| {
                let t = Instant::now();
                crate::review::run(wh).map(|r| (r, t.elapsed().as_secs_f64()))
            })
        });
        let enriched = enrich(wh, p, models, &mut rep, &mut counts);
        let linked = link.map(|h| joined(h, "linking people"));
        let analysed = match (&enriched, &linked) {
            (Ok(()), None | Some(Ok(_))) => {
                analyse(wh, p, models, as_of, &mut rep, &mut counts, &mut facts, &mut clusters)
            }
            _ => Ok(()),
        };
        let reviewed = review.map(|h| joined(h, "the review stage"));
        (linked, enriched, analysed, reviewed)
    });
    // the first error is returned, the others are logged
    let mut failed: Vec<Error> = vec![];
    failed.extend(enriched.err());
    let linked = linked.and_then(|l| l.map_err(|e| failed.push(e)).ok());
    failed.extend(analysed.err());
    let reviewed = reviewed.and_then(|r| r.map_err(|e| failed.push(e)).ok());
    for e in failed.iter().skip(1) {
        tracing::error!("also failed beside it: {e}");
    }
    if let Some(e) = failed.into_iter().next() {
        return Err(e);
    }
    if let (Some((at, _)), Some((Some(people), seconds))) = (&ingested, &linked) {
        let s = &mut rep.stages[*at];
        s.what = format!("{}; {} people linked in {seconds:.1}s beside enrich", s.what, people.people);
    }
    if let Some((r, seconds)) = reviewed {
        counts.insert("replies_reviewed".into(), json!(r.reviewed));
        counts.insert("replies".into(), json!(r.replies));
        counts.insert("replies_flagged".into(), json!(r.flagged));
        let what = format!("{r} (beside the other stages)");
        let stage = Stage { name: "review".into(), seconds, peak_bytes: crate::mem::peak_bytes(), what };
        rep.stages.insert(review_at.min(rep.stages.len()), stage);
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

/// Enrich when cases changed since it last ran.
fn enrich(
    wh: &Warehouse,
    p: &Pipeline,
    models: &Path,
    rep: &mut RunReport,
    counts: &mut serde_json::Map<String, serde_json::Value>,
) -> Result<()> {
    if !p.runs("enrich") {
        return Ok(());
    }
    let t = start();
    if enrich_is_stale(wh)? {
        let cfg = crate::enrich::EnrichConfig::from_models_dir(models, p.gazetteer.clone());
        let r = crate::enrich::enrich_with(wh, &cfg, p.scheduler.as_deref())?;
        counts.insert("enriched".into(), json!(r.cases));
        timed(rep, "enrich", t, first_line(&r.to_string()));
    } else {
        timed(rep, "enrich", t, "up to date: no new cases since the last run".into());
    }
    Ok(())
}

/// What a thread of a stage returned; its panic as an error.
fn joined<T>(h: std::thread::ScopedJoinHandle<'_, Result<T>>, what: &str) -> Result<T> {
    h.join().unwrap_or_else(|panic| Err(Error::Internal(format!("{what} panicked: {}", panic_message(panic.as_ref())))))
}

/// Risk, metrics and cluster over facts loaded once (kept in `facts` for the report); the
/// clusters found go to `clusters`. Risk then metrics run on a thread of their own, metrics
/// with the scores risk hands over; cluster runs beside them from the start and waits for
/// those scores only where it needs them (after it has read and grouped the day's cases).
/// Each stage commits in its own transaction.
#[allow(clippy::too_many_arguments)]
fn analyse(
    wh: &Warehouse,
    p: &Pipeline,
    models: &Path,
    as_of: Option<NaiveDate>,
    rep: &mut RunReport,
    counts: &mut serde_json::Map<String, serde_json::Value>,
    facts: &mut Option<Vec<CaseFacts>>,
    clusters: &mut Option<Vec<crate::cluster::Cluster>>,
) -> Result<()> {
    use crate::facts::tables::RiskScores;
    let (risk, metrics, cluster) = (p.runs("risk"), p.runs("metrics"), p.runs("cluster"));
    if !(risk || metrics || cluster) {
        return Ok(());
    }
    // the facts' load is timed with the first of these stages
    let loading = start();
    let f = match facts.take() {
        Some(f) => f,
        None => load_facts(wh)?,
    };
    let mut load_seconds = Some(loading.elapsed().as_secs_f64());
    let metrics_cfg = crate::metrics::MetricsConfig {
        policy: p.policy,
        warn_days: p.warn_days,
        populations: p.populations.clone(),
        ..Default::default()
    };
    let cluster_cfg = crate::cluster::ClusterConfig::default();
    let (send, recv) = std::sync::mpsc::sync_channel(1);
    let coming = if risk { RiskScores::coming(recv) } else { RiskScores::Stored };
    let seconds = |t: Instant| t.elapsed().as_secs_f64();
    let (r, m, c) = std::thread::scope(|scope| {
        let (fr, mc) = (&f, &metrics_cfg);
        // the sender moves in: when risk fails or panics, cluster's wait ends with an error
        let first = scope.spawn(move || {
            let t = Instant::now();
            let r = risk.then(|| {
                crate::risk::run_scored(wh, models, as_of, fr).map(|(r, s)| (r, std::sync::Arc::new(s), seconds(t)))
            });
            let given = match &r {
                Some(Ok((_, s, _))) => {
                    let _ = send.send(s.clone());
                    RiskScores::Given(s.clone())
                }
                Some(Err(_)) => return (r, None),
                None => RiskScores::Stored,
            };
            drop(send);
            let t = Instant::now();
            // a panic of metrics is its own error: risk's result, committed, is kept
            let m = metrics.then(|| {
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    crate::metrics::run_on(wh, mc, as_of, fr, &given)
                }))
                .unwrap_or_else(|panic| {
                    Err(Error::Internal(format!("the metrics stage panicked: {}", panic_message(panic.as_ref()))))
                })
                .map(|m| (m, seconds(t)))
            });
            (r, m)
        });
        let t = Instant::now();
        let c = cluster.then(|| crate::cluster::run_on(wh, &cluster_cfg, as_of, &f, &coming).map(|c| (c, seconds(t))));
        let (r, m) = first.join().unwrap_or_else(|panic| {
            let e = Error::Internal(format!("the risk stage panicked: {}", panic_message(panic.as_ref())));
            (Some(Err(e)), None)
        });
        (r, m, c)
    });
    let peak_bytes = crate::mem::peak_bytes();
    let mut stage = |name: &str, seconds: f64, what: String| {
        let seconds = seconds + load_seconds.take().unwrap_or(0.0);
        rep.stages.push(Stage { name: name.to_string(), seconds, peak_bytes, what });
    };
    // the first error is returned, the others are logged
    let mut failed: Vec<Error> = vec![];
    if let Some(r) = r {
        match r {
            Ok((r, _, secs)) => {
                rep.as_of = rep.as_of.or(r.as_of);
                counts.insert("risk_cases".into(), json!(r.cases));
                counts.insert("risk_groups".into(), json!(r.groups));
                stage("risk", secs, first_line(&r.to_string()));
            }
            Err(e) => failed.push(e),
        }
    }
    if let Some(m) = m {
        match m {
            Ok((r, secs)) => {
                rep.as_of = rep.as_of.or(r.as_of);
                counts.insert("metrics".into(), json!(r.metrics));
                counts.insert("open_deadlines".into(), json!(r.open));
                let notes: Vec<&str> =
                    [risk.then_some("after risk"), cluster.then_some("beside cluster")].into_iter().flatten().collect();
                let what = first_line(&r.to_string());
                stage("metrics", secs, if notes.is_empty() { what } else { format!("{what} ({})", notes.join(", ")) });
            }
            Err(e) => failed.push(e),
        }
    }
    if let Some(c) = c {
        match c {
            Ok(((r, c), secs)) => {
                rep.as_of = rep.as_of.or(r.as_of);
                counts.insert("clusters".into(), json!(r.clusters));
                counts.insert("clustered_cases".into(), json!(r.clustered));
                let beside = match (risk, metrics) {
                    (true, true) => " (beside risk and metrics)",
                    (true, false) => " (beside risk)",
                    (false, true) => " (beside metrics)",
                    (false, false) => "",
                };
                stage("cluster", secs, format!("{}{beside}", first_line(&r.to_string())));
                *clusters = Some(c);
            }
            Err(e) => failed.push(e),
        }
    }
    *facts = Some(f);
    for e in failed.iter().skip(1) {
        tracing::error!("also failed beside it: {e}");
    }
    failed.into_iter().next().map_or(Ok(()), Err)
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
