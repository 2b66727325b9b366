//! Reply review (答复质量): for every case with a reply, how well the reply answers it —
//! relevance, completeness, explanation, timeliness, a 0–100 score and the flags an
//! inspector raises (敷衍, 推诿, 答非所问, 不完整, 超期答复), each with its evidence →
//! `reply_review`.

pub mod eval;
pub mod increment;
pub mod score;

use std::sync::Arc;
use std::time::Instant;

use arrow::array::{
    Array, ArrayRef, AsArray, Float64Array, Int32Array, ListBuilder, StringArray, StringBuilder,
    TimestampMicrosecondArray,
};
use arrow::datatypes::{DataType, TimeUnit, TimestampMicrosecondType};
use arrow::record_batch::RecordBatch;
use rayon::prelude::*;

use crate::schema::{cases, reply_review_schema, table};
use crate::warehouse::{RowsWhere, Warehouse, non_blank, read_table, read_table_where};
use crate::{Error, Result};
use score::{Rarity, TextReview};

/// Days a reply may take from receipt when the case carries no due date: 信访工作条例's 60
/// days to handle a matter and reply with the outcome.
pub const REPLY_DAYS: i64 = 60;
/// At most this many case texts, evenly spread, measure how rare a bigram is.
const RARITY_SAMPLE: usize = 200_000;

/// One reviewed reply.
#[derive(Debug, Clone)]
pub struct Reviewed {
    pub source: String,
    pub case_id: String,
    pub dept: Option<String>,
    pub replied_at: Option<i64>,
    pub text: TextReview,
    pub days: Option<i64>,
    pub late: bool,
    pub score: i32,
}

impl Reviewed {
    /// The flags, 超期答复 included, each with its evidence.
    pub fn flags(&self) -> Vec<(&'static str, String)> {
        let mut f = self.text.flags.clone();
        if self.late {
            f.push(("超期答复", format!("答复用时 {} 天", self.days.unwrap_or(0))));
        }
        f
    }
}

/// The score of a review: explanation weighs most, as inspectors read a reply for what was
/// done and why; then relevance, completeness and timeliness.
pub fn score(t: &TextReview, days: Option<i64>, limit: i64) -> i32 {
    let timely = match days {
        Some(d) if d > limit => (1.0 - (d - limit) as f64 / limit as f64).max(0.0),
        _ => 1.0,
    };
    // an explanation of another matter explains nothing of this one
    let explained = t.explanation * (2.0 * t.relevance).min(1.0);
    let base = 0.5 * explained + 0.2 * t.relevance + 0.15 * t.completeness + 0.15 * timely;
    // each flag an inspector would return the reply for takes off a third
    let serious = t.flags.iter().filter(|f| matches!(f.0, "敷衍" | "推诿" | "答非所问")).count();
    (100.0 * base * (2.0f64 / 3.0).powi(serious as i32)).round() as i32
}

/// What `review` did.
#[derive(Debug, Default)]
pub struct ReviewReport {
    /// Replies in `reply_review`.
    pub replies: usize,
    /// Replies reviewed by this run (all of them, or the new and changed).
    pub reviewed: usize,
    /// Which, and why.
    pub how: String,
    pub flagged: usize,
    pub by_flag: Vec<(String, usize)>,
    pub mean_score: f64,
    pub seconds: f64,
}

impl std::fmt::Display for ReviewReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "reviewed {} replies in {:.1}s ({}); of the {} reviewed: mean score {:.1}, {} flagged",
            self.reviewed, self.seconds, self.how, self.replies, self.mean_score, self.flagged
        )?;
        let by: Vec<String> = self.by_flag.iter().map(|(k, n)| format!("{k} {n}")).collect();
        if !by.is_empty() {
            write!(f, " ({})", by.join(", "))?;
        }
        Ok(())
    }
}

/// The cases columns the review reads.
const COLUMNS: [&str; 9] = [
    cases::SOURCE,
    cases::CASE_ID,
    cases::TITLE,
    cases::CONTENT,
    cases::REPLY,
    cases::RECEIVED_AT,
    cases::REPLIED_AT,
    cases::DUE_AT,
    cases::DEPT,
];

struct Row {
    source: String,
    case_id: String,
    title: String,
    content: String,
    reply: String,
    received: Option<i64>,
    replied: Option<i64>,
    due: Option<i64>,
    dept: Option<String>,
}

fn micros(b: &RecordBatch, name: &str) -> Result<Vec<Option<i64>>> {
    let c = b.column_by_name(name).ok_or_else(|| Error::Schema(format!("cases has no column `{name}`")))?;
    let c = arrow::compute::cast(c, &DataType::Timestamp(TimeUnit::Microsecond, None))?;
    let a = c.as_primitive::<TimestampMicrosecondType>();
    Ok((0..a.len()).map(|i| a.is_valid(i).then(|| a.value(i))).collect())
}

fn strings(b: &RecordBatch, name: &str) -> Result<StringArray> {
    let c = b.column_by_name(name).ok_or_else(|| Error::Schema(format!("cases has no column `{name}`")))?;
    Ok(arrow::compute::cast(c, &DataType::Utf8)?.as_string::<i32>().clone())
}

/// The cases of `rows` that have a reply, by (source, case_id).
fn read_replies(wh: &Warehouse, rows: &RowsWhere) -> Result<Vec<Row>> {
    // each batch's replies on its own core, in the table's order
    let batches = read_table_where(wh, table::CASES, &COLUMNS, rows)?;
    let each: Vec<Vec<Row>> = batches.par_iter().map(replies_of).collect::<Result<_>>()?;
    let mut rows: Vec<Row> = each.into_iter().flatten().collect();
    rows.par_sort_by(|a, b| (&a.source, &a.case_id).cmp(&(&b.source, &b.case_id)));
    Ok(rows)
}

/// The cases of one batch that have a reply.
fn replies_of(b: &RecordBatch) -> Result<Vec<Row>> {
    let s = |n| strings(b, n);
    let (src, id, title, content, reply, dept) = (
        s(cases::SOURCE)?,
        s(cases::CASE_ID)?,
        s(cases::TITLE)?,
        s(cases::CONTENT)?,
        s(cases::REPLY)?,
        s(cases::DEPT)?,
    );
    let (rec, rep, due) = (micros(b, cases::RECEIVED_AT)?, micros(b, cases::REPLIED_AT)?, micros(b, cases::DUE_AT)?);
    let opt =
        |a: &StringArray, i: usize| (a.is_valid(i) && !a.value(i).trim().is_empty()).then(|| a.value(i).to_string());
    Ok((0..b.num_rows())
        .filter_map(|i| {
            let r = opt(&reply, i)?;
            Some(Row {
                source: src.value(i).to_string(),
                case_id: id.value(i).to_string(),
                title: opt(&title, i).unwrap_or_default(),
                content: opt(&content, i).unwrap_or_default(),
                reply: r,
                received: rec[i],
                replied: rep[i],
                due: due[i],
                dept: opt(&dept, i),
            })
        })
        .collect())
}

/// Review the replies of the cases new or changed since the last review, with the bigram
/// counts it kept (`increment`), or every reply anew with fresh counts (the first review,
/// another minqing, or too many changed since the counts were taken) → `reply_review`.
pub fn run(wh: &Warehouse) -> Result<ReviewReport> {
    let t0 = Instant::now();
    let kept = increment::load(wh)?;
    let mut why = "no review kept its bigram counts".to_string();
    if let Some((seq, mut state)) = kept {
        let changed = crate::enrich::increment::changed_keys(wh, seq)?;
        let keys = crate::warehouse::keyed(changed.iter().filter_map(|k| crate::enrich::increment::unkey(k)));
        let rows = if changed.is_empty() { vec![] } else { read_replies(wh, &keys)? };
        if state.drift(rows.len()) <= increment::DRIFT {
            let reviewed = review_rows(&rows, &state.rarity);
            // the other replies' rows kept, these in place of their old ones, in the order
            // a full review writes them
            let (mut batches, mut stored) = (vec![], 0);
            for b in read_table(wh, table::REPLY_REVIEW)? {
                stored += b.num_rows();
                batches.push(crate::enrich::increment::filter_keys(&b, &changed, false)?);
            }
            // no reply new, changed or gone (a day that closed cases without replying):
            // the table stays as it is, no commit
            if reviewed.is_empty() && batches.iter().map(RecordBatch::num_rows).sum::<usize>() == stored {
                let mut report = tally(&arrow::compute::concat_batches(&reply_review_schema(), &batches)?)?;
                report.how =
                    format!("no reply new, changed or gone among {} cases since the last review", changed.len());
                report.seconds = t0.elapsed().as_secs_f64();
                return Ok(report);
            }
            batches.push(batch(&reviewed)?);
            let all = sorted(&arrow::compute::concat_batches(&reply_review_schema(), &batches)?)?;
            state.changed_since += rows.len() as u64;
            let how = format!(
                "{} new or changed of {} replies, with the bigram counts of {} replies kept ({:.1}% changed since)",
                reviewed.len(),
                all.num_rows(),
                state.counted,
                100.0 * state.drift(0)
            );
            return commit(wh, &all, reviewed.len(), &state, how, t0);
        }
        why = format!(
            "{:.1}% of the {} replies the bigram counts were taken on new or changed, more than {:.0}%",
            100.0 * state.drift(rows.len()),
            state.counted,
            100.0 * increment::DRIFT
        );
    }
    let rows = read_replies(wh, &non_blank(&[cases::REPLY]))?;
    let texts: Vec<String> = rows.par_iter().map(|r| format!("{} {}", r.title, r.content)).collect();
    let step = texts.len().div_ceil(RARITY_SAMPLE).max(1);
    let rarity = Rarity::of(texts.iter().zip(&rows).step_by(step).map(|(t, r)| (t.as_str(), r.reply.as_str())));
    let reviewed = review_rows(&rows, &rarity);
    let state = increment::RarityState::new(rarity, rows.len());
    commit(wh, &batch(&reviewed)?, reviewed.len(), &state, format!("every reply: {why}"), t0)
}

/// Each row's reply reviewed with `rarity`.
fn review_rows(rows: &[Row], rarity: &Rarity) -> Vec<Reviewed> {
    let day = 86_400_000_000i64;
    rows.par_iter()
        .map(|r| {
            let text = score::review(&r.title, &r.content, &r.reply, rarity);
            let days = r.received.zip(r.replied).map(|(a, b)| (b - a).div_euclid(day));
            let limit = r.received.zip(r.due).map_or(REPLY_DAYS, |(a, d)| ((d - a).div_euclid(day)).max(1));
            let late = days.is_some_and(|d| d > limit);
            Reviewed {
                source: r.source.clone(),
                case_id: r.case_id.clone(),
                dept: r.dept.clone(),
                replied_at: r.replied,
                score: score(&text, days, limit),
                text,
                days,
                late,
            }
        })
        .collect()
}

/// The rows of `reply_review` in (source, case_id) order, as a full review writes them.
fn sorted(b: &RecordBatch) -> Result<RecordBatch> {
    use crate::schema::reply_review as rr;
    let column =
        |n: &str| b.column_by_name(n).cloned().ok_or_else(|| Error::Schema(format!("reply_review has no `{n}`")));
    let by = [column(rr::SOURCE)?, column(rr::CASE_ID)?]
        .into_iter()
        .map(|values| arrow::compute::SortColumn { values, options: None })
        .collect::<Vec<_>>();
    let order = arrow::compute::lexsort_to_indices(&by, None)?;
    Ok(arrow::compute::take_record_batch(b, &order)?)
}

/// Replace `reply_review` with `table`, keep the counts for the next review, and report
/// on the whole table.
fn commit(
    wh: &Warehouse,
    table_rows: &RecordBatch,
    reviewed: usize,
    state: &increment::RarityState,
    how: String,
    t0: Instant,
) -> Result<ReviewReport> {
    let mut report = tally(table_rows)?;
    (report.reviewed, report.how) = (reviewed, how);
    let mut tx = wh.begin()?;
    let seq = tx.seq();
    increment::save(wh, seq, state)?;
    tx.replace(table::REPLY_REVIEW, std::slice::from_ref(table_rows))?;
    tx.commit(
        "review",
        serde_json::json!({"replies": report.replies, "reviewed": reviewed, "flagged": report.flagged}),
    )?;
    increment::prune(wh, seq);
    report.seconds = t0.elapsed().as_secs_f64();
    Ok(report)
}

/// The figures of a `reply_review` table: replies, flagged, by flag, mean score.
fn tally(b: &RecordBatch) -> Result<ReviewReport> {
    use crate::schema::reply_review as rr;
    let c = crate::facts::columns::Columns::new(b, table::REPLY_REVIEW);
    let (flags, scores) = (c.list(rr::FLAGS)?, c.int(rr::SCORE)?);
    let mut report = ReviewReport { replies: b.num_rows(), ..Default::default() };
    let mut total = 0.0;
    for i in 0..b.num_rows() {
        let f = crate::facts::columns::texts(flags, i);
        // 不完整 alone does not mark a reply as needing attention
        report.flagged += usize::from(f.iter().any(|x| x != "不完整"));
        for k in f {
            match report.by_flag.iter_mut().find(|(f, _)| *f == k) {
                Some((_, n)) => *n += 1,
                None => report.by_flag.push((k, 1)),
            }
        }
        total += scores.get(i).unwrap_or(0) as f64;
    }
    report.by_flag.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    report.mean_score = total / report.replies.max(1) as f64;
    Ok(report)
}

fn batch(rows: &[Reviewed]) -> Result<RecordBatch> {
    let mut flags = ListBuilder::new(StringBuilder::new());
    let mut evidence = ListBuilder::new(StringBuilder::new());
    for r in rows {
        for (k, e) in r.flags() {
            flags.values().append_value(k);
            evidence.values().append_value(format!("{k}: {e}"));
        }
        flags.append(true);
        evidence.append(true);
    }
    let cols: Vec<ArrayRef> = vec![
        Arc::new(rows.iter().map(|r| Some(r.source.as_str())).collect::<StringArray>()),
        Arc::new(rows.iter().map(|r| Some(r.case_id.as_str())).collect::<StringArray>()),
        Arc::new(rows.iter().map(|r| r.dept.as_deref()).collect::<StringArray>()),
        Arc::new(rows.iter().map(|r| r.replied_at).collect::<TimestampMicrosecondArray>()),
        Arc::new(Float64Array::from_iter_values(rows.iter().map(|r| r.text.relevance))),
        Arc::new(Float64Array::from_iter_values(rows.iter().map(|r| r.text.completeness))),
        Arc::new(Float64Array::from_iter_values(rows.iter().map(|r| r.text.explanation))),
        Arc::new(rows.iter().map(|r| r.days.map(|d| d as i32)).collect::<Int32Array>()),
        Arc::new(Int32Array::from_iter_values(rows.iter().map(|r| r.score))),
        Arc::new(flags.finish()),
        Arc::new(evidence.finish()),
    ];
    Ok(RecordBatch::try_new(reply_review_schema(), cols)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{IngestOptions, ingest};
    use crate::normalize::PersonKey;

    const HEADER: &str = "信访件编号,登记时间,标题,主要诉求,答复意见,答复时间";

    fn export(dir: &std::path::Path, name: &str, rows: &[&str]) -> std::path::PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, format!("{HEADER}\n{}\n", rows.join("\n"))).unwrap();
        p
    }

    fn add(wh: &Warehouse, file: std::path::PathBuf) {
        let opts = IngestOptions { source: Some("petition".into()), ..Default::default() };
        ingest(wh, &[file], &opts, &PersonKey::from_secret(b"k")).unwrap();
    }

    /// Every row of `reply_review`, as the review wrote it.
    fn table(wh: &Warehouse) -> RecordBatch {
        arrow::compute::concat_batches(&reply_review_schema(), &read_table(wh, table::REPLY_REVIEW).unwrap()).unwrap()
    }

    #[test]
    fn a_day_reviews_its_replies_alone_and_equals_a_full_review_with_the_same_counts() {
        let tmp = tempfile::tempdir().unwrap();
        let wh = Warehouse::open(&tmp.path().join("w")).unwrap();
        let base: Vec<String> = (0..40)
            .map(|i| {
                format!(
                    "P{i:02},2026-05-{:02} 09:00,翠湖路{i}号路灯不亮,翠湖路{i}号门前路灯坏了一个月，夜里出行不便，请尽快修复。,\
                     经核实，翠湖路{i}号路灯线路老化，已于本周更换线路并恢复照明。,2026-06-{:02} 10:00",
                    1 + i % 28,
                    1 + i % 28
                )
            })
            .collect();
        let rows: Vec<&str> = base.iter().map(String::as_str).collect();
        add(&wh, export(tmp.path(), "v1.csv", &rows));
        let first = run(&wh).unwrap();
        assert_eq!((first.replies, first.reviewed), (40, 40));
        assert!(first.how.starts_with("every reply"), "{}", first.how);
        let before = table(&wh);

        // a day with no reply new, changed or gone: the table and its commit stay
        let committed = wh.last_commit_of(table::REPLY_REVIEW).unwrap();
        add(&wh, export(tmp.path(), "quiet.csv", &["P50,2026-06-05 09:00,噪音,广场舞音响太响,,"]));
        let quiet = run(&wh).unwrap();
        assert_eq!((quiet.replies, quiet.reviewed), (40, 0), "{}", quiet.how);
        assert!(quiet.how.starts_with("no reply new, changed or gone"), "{}", quiet.how);
        assert_eq!(wh.last_commit_of(table::REPLY_REVIEW).unwrap(), committed);
        assert_eq!(table(&wh), before);

        // the re-export: one reply rewritten (now about another matter), one case new with a
        // reply, one case new without
        let mut v2 = rows.clone();
        let changed = "P03,2026-05-04 09:00,翠湖路3号路灯不亮,翠湖路3号门前路灯坏了一个月，夜里出行不便，请尽快修复。,\
                       您反映的问题已转交相关部门处理。,2026-06-04 10:00";
        v2[3] = changed;
        v2.push("P40,2026-06-01 09:00,青石镇垃圾清运,青石镇菜市场垃圾三天没人清运，臭气熏天。,已安排环卫车辆每日清运两次。,2026-06-03 10:00");
        v2.push("P41,2026-06-02 09:00,噪音,工地夜间施工,,");
        add(&wh, export(tmp.path(), "v2.csv", &v2));
        let day = run(&wh).unwrap();
        assert_eq!((day.replies, day.reviewed), (41, 2), "{}", day.how);
        assert!(day.how.contains("2 new or changed of 41 replies"), "{}", day.how);
        let after = table(&wh);

        // the unchanged replies keep their rows
        let id = |b: &RecordBatch, i: usize| b.column(1).as_string::<i32>().value(i).to_string();
        let keep = |b: &RecordBatch| {
            let mask: arrow::array::BooleanArray =
                (0..b.num_rows()).map(|i| Some(!["P03", "P40"].contains(&id(b, i).as_str()))).collect();
            arrow::compute::filter_record_batch(b, &mask).unwrap()
        };
        assert_eq!(keep(&before), keep(&after));
        // and the whole table is a full review's with the counts kept from the first
        let (_, state) = increment::load(&wh).unwrap().unwrap();
        let all = read_replies(&wh, &non_blank(&[cases::REPLY])).unwrap();
        assert_eq!(after, batch(&review_rows(&all, &state.rarity)).unwrap());
        assert_eq!(state.changed_since, 2);

        // too many changed since the counts were taken: every reply anew, and why
        let v3: Vec<String> = base.iter().map(|r| r.replace("已于本周更换线路", "已于当日更换线路")).collect();
        add(&wh, export(tmp.path(), "v3.csv", &v3.iter().map(String::as_str).collect::<Vec<_>>()));
        let full = run(&wh).unwrap();
        assert_eq!(full.reviewed, 41, "{}", full.how);
        assert!(full.how.contains("more than 25%"), "{}", full.how);
    }
}
