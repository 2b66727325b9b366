//! `minqing bench --records N`: the weekly pipeline stage by stage on N generated records,
//! with seconds, records/s and peak resident memory per stage; the floor (bare jieba-rs
//! segmentation of the same text, same dictionary, all cores); and, given a Python with
//! the peer's libraries, the Python peer (`../shared/peer/peer_pipeline.py`) on the same
//! exports in the same run.
//!
//! Data lives in `DATA/` (generated once with seed 1, reused while its record count
//! matches); each bench starts from an empty warehouse in `DATA/bench-warehouse`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use arrow::array::{Array, AsArray};
use rayon::prelude::*;

use crate::generate::{GenerateConfig, generate};
use crate::normalize::PersonKey;
use crate::pipeline::config::Pipeline;
use crate::pipeline::run::{Stage, run};
use crate::schema::{cases, table};
use crate::text::Segmenter;
use crate::warehouse::{Warehouse, read_table_columns};
use crate::{Error, Result, mem};

#[derive(Debug, Clone)]
pub struct BenchConfig {
    pub records: usize,
    pub data: PathBuf,
    pub models: PathBuf,
    /// A Python with jieba, pandas, openpyxl, scikit-learn and datasketch.
    pub peer_python: Option<PathBuf>,
    pub peer_script: PathBuf,
    /// Run the text stages as a partitioned query there (`local`, a Ballista scheduler).
    pub scheduler: Option<String>,
    /// After the full run, a day's re-export of this share of the records as closed cases
    /// and as many new ones, through the same pipeline (0: none).
    pub increment: f64,
}

#[derive(Debug, Clone, Default)]
pub struct BenchReport {
    pub records: usize,
    pub cases: u64,
    pub text_mb: f64,
    pub generated_seconds: Option<f64>,
    pub stages: Vec<Stage>,
    /// The whole run start to end (some stages run side by side: less than the sum).
    pub seconds: f64,
    pub floor_seconds: f64,
    pub floor_peak: Option<u64>,
    pub peer: Option<PeerRun>,
    /// The daily increment's run: (updated, new) cases, its stages, its whole time.
    pub increment: Option<(usize, usize, Vec<Stage>, f64)>,
}

/// The peer over every export it can read (csv, xlsx; not jsonl), one process per file.
#[derive(Debug, Clone, Default)]
pub struct PeerRun {
    pub files: Vec<String>,
    pub rows: u64,
    pub seconds: f64,
    /// Seconds per peer stage, summed over the files, in the peer's order.
    pub stages: Vec<(String, f64)>,
    pub peak: Option<u64>,
    /// Files the peer could not read, with its last error line.
    pub failed: Vec<(String, String)>,
}

impl BenchReport {
    pub fn pipeline_seconds(&self) -> f64 {
        self.seconds
    }

    pub fn pipeline_peak(&self) -> Option<u64> {
        self.stages.iter().filter_map(|s| s.peak_bytes).max()
    }
}

pub fn bench(cfg: &BenchConfig) -> Result<BenchReport> {
    let mut rep = BenchReport { records: cfg.records, ..Default::default() };
    let marker = cfg.data.join("bench-records.txt");
    let have = std::fs::read_to_string(&marker).ok().and_then(|s| s.trim().parse::<usize>().ok());
    if have != Some(cfg.records) || !cfg.data.join("exports").is_dir() {
        let g = GenerateConfig { records: cfg.records, seed: 1, ..GenerateConfig::default() };
        let t = Instant::now();
        let _ = std::fs::remove_dir_all(cfg.data.join("exports"));
        let progress = crate::progress::Progress::counter("bench", "");
        progress.message(format!("generating {} records", cfg.records));
        generate(&g, &cfg.data)?;
        drop(progress);
        rep.generated_seconds = Some(t.elapsed().as_secs_f64());
        std::fs::write(&marker, cfg.records.to_string()).map_err(|e| Error::io(&marker, e))?;
    }

    // the peer first, as its own processes, while nothing else runs
    if let Some(py) = &cfg.peer_python {
        let progress = crate::progress::Progress::counter("bench", "");
        progress.message("the Python peer on the same exports");
        rep.peer = Some(peer(py, &cfg.peer_script, &cfg.data.join("exports"), &cfg.data.join("bench-peer"))?);
    }

    let root = cfg.data.join("bench-warehouse");
    let reports = cfg.data.join("bench-reports");
    for d in [&root, &reports] {
        if d.exists() {
            std::fs::remove_dir_all(d).map_err(|e| Error::io(d, e))?;
        }
    }
    let wh = Warehouse::open(&root)?;
    let mut p = Pipeline::weekly_for(&cfg.data)?;
    p.scheduler = cfg.scheduler.clone();
    let key = PersonKey::from_secret(b"minqing bench");
    let r = run(&wh, &p, &cfg.models, &key, None, &reports)?;
    rep.stages = r.stages;
    rep.seconds = r.seconds;

    if cfg.increment > 0.0 {
        // the day's run starts as its own process would: the full run's free memory goes
        crate::mem::give_back();
        // the day after the day the full run was about
        let next = r
            .as_of
            .map_or(chrono::NaiveDate::from_ymd_opt(2026, 12, 2).expect("a date"), |d| d + chrono::Duration::days(1));
        let (file, updated, added) = daily_increment(&cfg.data, cfg.increment, cfg.records, next)?;
        // the day's run is the shipped daily pipeline: its stages and outputs, on the day's file
        let mut daily = Pipeline::daily_for(&cfg.data)?;
        daily.scheduler = cfg.scheduler.clone();
        daily.exports = vec![file];
        let r = run(&wh, &daily, &cfg.models, &key, None, &reports.join("daily"))?;
        rep.increment = Some((updated, added, r.stages, r.seconds));
    }

    let texts = case_texts(&wh)?;
    rep.cases = texts.len() as u64;
    rep.text_mb = texts.iter().map(String::len).sum::<usize>() as f64 / 1e6;
    let (seconds, peak) = floor(&texts);
    rep.floor_seconds = seconds;
    rep.floor_peak = peak;
    Ok(rep)
}

/// A day's re-export of the hotline register (`increment/hotline-day2.csv`): `share` of all
/// records as work orders closed since (办结时间 and 回访结果 filled in) and as
/// many new ones (the same calls again, new work-order numbers, on `day`, the day after the
/// full run's). Returns the file and the (updated, new) counts.
fn daily_increment(data: &Path, share: f64, records: usize, day: chrono::NaiveDate) -> Result<(PathBuf, usize, usize)> {
    let src = data.join("exports/hotline.gbk.csv");
    let bytes = std::fs::read(&src).map_err(|e| Error::io(&src, e))?;
    let (text, _, _) = encoding_rs::GB18030.decode(&bytes);
    let err = |e: csv::Error| Error::input(&src, format!("reading it for the increment: {e}"));
    let mut r = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
    let headers: Vec<String> = r.headers().map_err(err)?.iter().map(String::from).collect();
    let m = crate::ingest::mapping::Mapping::builtin("hotline")?.match_headers(&headers);
    let col = |f: &str| m.get(f).copied().ok_or_else(|| Error::input(&src, format!("no column for `{f}`")));
    let (id, received, closed, sat) = (col("case_id")?, col("received_at")?, col("closed_at")?, col("satisfaction")?);
    let reply = m.get("reply").copied();
    let k = ((records as f64) * share).round() as usize;
    // open work orders are the ones a re-export closes
    let mut open = vec![];
    let mut others = vec![];
    for rec in r.records() {
        let v: Vec<String> = rec.map_err(err)?.iter().map(String::from).collect();
        // the export's blank lines are no work orders to close or call again
        if v.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if v.get(closed).is_none_or(|c| c.trim().is_empty()) {
            open.push(v)
        } else {
            others.push(v)
        }
        if open.len() >= k && others.len() >= k {
            break;
        }
    }
    open.extend(others);
    let dir = data.join("increment");
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let out = dir.join("hotline-day2.csv");
    let werr = |e: csv::Error| Error::Output(format!("writing {}: {e}", out.display()));
    let mut w = csv::WriterBuilder::new().flexible(true).from_path(&out).map_err(werr)?;
    w.write_record(&headers).map_err(werr)?;
    let (mut updated, mut added) = (0, 0);
    for (i, mut v) in open.into_iter().take(2 * k).enumerate() {
        v.resize(headers.len(), String::new());
        if i < k {
            v[closed] = format!("{day} 17:00:00");
            v[sat] = "满意".into();
            if let Some(r) = reply {
                v[r] = format!("{}经复核，已督促相关单位办结，来电人表示认可。", v[r]);
            }
            updated += 1;
        } else {
            v[id] = format!("{}-D2", v[id]);
            v[received] = format!("{day} 09:30:00");
            added += 1;
        }
        w.write_record(&v).map_err(werr)?;
    }
    w.flush().map_err(|e| Error::io(&out, e))?;
    Ok((out, updated, added))
}

/// `title + " " + content` of every case, as enrich reads it.
fn case_texts(wh: &Warehouse) -> Result<Vec<String>> {
    let mut texts = vec![];
    for b in read_table_columns(wh, table::CASES, Some(&[cases::TITLE, cases::CONTENT]))? {
        let t = b.column_by_name(cases::TITLE).expect("projected").as_string::<i32>().clone();
        let c = b.column_by_name(cases::CONTENT).expect("projected").as_string::<i32>().clone();
        for i in 0..b.num_rows() {
            let title = if t.is_null(i) { "" } else { t.value(i) };
            let content = if c.is_null(i) { "" } else { c.value(i) };
            texts.push(format!("{title} {content}"));
        }
    }
    Ok(texts)
}

/// Bare segmentation on all cores with the built-in dictionary: the least any text stage
/// must cost. Returns seconds and the peak memory while it ran.
fn floor(texts: &[String]) -> (f64, Option<u64>) {
    let seg = Segmenter::builtin();
    let _ = seg.cut("预热"); // the dictionary loads outside the timing, as in enrich
    mem::reset_peak();
    let t = Instant::now();
    let pieces: usize = texts.par_iter().map(|t| seg.cut(t).len()).sum();
    std::hint::black_box(pieces);
    (t.elapsed().as_secs_f64(), mem::peak_bytes())
}

fn peer(python: &Path, script: &Path, exports: &Path, out: &Path) -> Result<PeerRun> {
    if !script.is_file() {
        return Err(Error::Usage(format!(
            "the peer script {} is not there; name where peer_pipeline.py is",
            script.display()
        )));
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(exports)
        .map_err(|e| Error::io(exports, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "csv" || x == "xlsx"))
        .collect();
    files.sort();
    let mut run = PeerRun::default();
    for f in &files {
        let t = Instant::now();
        let mut cmd = Command::new(python);
        cmd.arg(script).arg(f).arg("--out").arg(out);
        crate::mem::allow_huge_pages_in_child(&mut cmd);
        let o = cmd
            .output()
            .map_err(|e| Error::Service(format!("could not start the peer with {}: {e}", python.display())))?;
        let seconds = t.elapsed().as_secs_f64();
        let stdout = String::from_utf8_lossy(&o.stdout);
        let name = f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if !o.status.success() {
            let why = String::from_utf8_lossy(&o.stderr).lines().last().unwrap_or("").to_string();
            run.failed.push((name, why));
            continue;
        }
        run.files.push(name);
        run.seconds += seconds;
        for line in stdout.lines() {
            let w: Vec<&str> = line.split_whitespace().collect();
            match w.as_slice() {
                ["stage", name, secs, "s"] => {
                    let secs: f64 = secs.parse().unwrap_or(0.0);
                    match run.stages.iter_mut().find(|(n, _)| n == name) {
                        Some((_, s)) => *s += secs,
                        None => run.stages.push((name.to_string(), secs)),
                    }
                }
                ["total", _, "s", "for", rows, "rows"] => run.rows += rows.parse::<u64>().unwrap_or(0),
                _ => {}
            }
        }
    }
    run.peak = mem::children_peak_bytes();
    Ok(run)
}

impl std::fmt::Display for BenchReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mb = |b: Option<u64>| b.map_or_else(|| "?".into(), mem::human);
        let rate = |n: u64, s: f64| if s > 0.0 { format!("{:.0}", n as f64 / s) } else { "-".into() };
        if let Some(s) = self.generated_seconds {
            writeln!(f, "generated {} records in {s:.1}s", self.records)?;
        }
        writeln!(
            f,
            "{} records requested, {} cases stored, {:.1} MB of case text\n",
            self.records, self.cases, self.text_mb
        )?;
        writeln!(f, "| stage | seconds | records/s | peak RSS |")?;
        writeln!(f, "|---|---:|---:|---:|")?;
        for s in &self.stages {
            writeln!(f, "| {} | {:.3} | {} | {} |", s.name, s.seconds, rate(self.cases, s.seconds), mb(s.peak_bytes))?;
        }
        let total = self.pipeline_seconds();
        writeln!(
            f,
            "| **whole pipeline** | **{total:.3}** | {} | {} |",
            rate(self.cases, total),
            mb(self.pipeline_peak())
        )?;
        writeln!(
            f,
            "| bare jieba-rs segmentation (floor) | {:.3} | {} | {} |",
            self.floor_seconds,
            rate(self.cases, self.floor_seconds),
            mb(self.floor_peak)
        )?;
        if let Some(p) = &self.peer {
            writeln!(
                f,
                "| Python peer ({}) | {:.3} | {} | {} |",
                p.files.join(", "),
                p.seconds,
                rate(p.rows, p.seconds),
                mb(p.peak)
            )?;
        }
        writeln!(f)?;
        writeln!(
            f,
            "linking people, enrich and review run side by side, and so do risk, metrics and cluster: \
             the whole pipeline is the run's time, not the stages' sum"
        )?;
        writeln!(f, "whole pipeline / floor: {:.1}×", total / self.floor_seconds.max(1e-9))?;
        if let Some((updated, added, stages, daily)) = &self.increment {
            writeln!(f, "\ndaily increment: {updated} cases closed since, {added} new (hotline re-export)\n")?;
            writeln!(f, "| stage | seconds | share of the full run's stage |")?;
            writeln!(f, "|---|---:|---:|")?;
            for s in stages {
                let full = self.stages.iter().find(|x| x.name == s.name).map_or(0.0, |x| x.seconds);
                writeln!(f, "| {} | {:.3} | {:.1}% |", s.name, s.seconds, 100.0 * s.seconds / full.max(1e-9))?;
            }
            writeln!(f, "| **whole pipeline** | **{daily:.3}** | **{:.1}%** |", 100.0 * daily / total.max(1e-9))?;
        }
        if let Some(p) = &self.peer {
            let mut stages = String::new();
            for (n, s) in &p.stages {
                let _ = write!(stages, "{n} {s:.1}s, ");
            }
            writeln!(f, "peer stages: {}", stages.trim_end_matches(", "))?;
            for (file, why) in &p.failed {
                writeln!(f, "the peer could not read {file}: {why}")?;
            }
            // per record: the peer reads fewer files (no jsonl) than minqing's pipeline
            let ours = total / self.cases.max(1) as f64;
            let theirs = p.seconds / p.rows.max(1) as f64;
            writeln!(
                f,
                "peer / minqing per record: {:.1}× the time ({} rows vs {} cases); peak memory {} vs {}",
                theirs / ours.max(1e-12),
                p.rows,
                self.cases,
                mb(p.peak),
                mb(self.pipeline_peak())
            )?;
        }
        Ok(())
    }
}
