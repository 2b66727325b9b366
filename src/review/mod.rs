//! Reply review (答复质量): for every case with a reply, how well the reply answers it —
//! relevance, completeness, explanation, timeliness, a 0–100 score and the flags an
//! inspector raises (敷衍, 推诿, 答非所问, 不完整, 超期答复), each with its evidence →
//! `reply_review`.

pub mod eval;
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
use crate::warehouse::{Warehouse, non_blank, read_table_where};
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
    pub replies: usize,
    pub flagged: usize,
    pub by_flag: Vec<(&'static str, usize)>,
    pub mean_score: f64,
    pub seconds: f64,
}

impl std::fmt::Display for ReviewReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "reviewed {} replies in {:.1}s: mean score {:.1}, {} flagged",
            self.replies, self.seconds, self.mean_score, self.flagged
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

fn read_replies(wh: &Warehouse) -> Result<Vec<Row>> {
    // each batch's replies on its own core, in the table's order
    // only the cases with a reply: no other case's title and text is decoded
    let batches = read_table_where(wh, table::CASES, &COLUMNS, &non_blank(&[cases::REPLY]))?;
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

/// Review every reply in the warehouse and replace `reply_review`.
pub fn run(wh: &Warehouse) -> Result<(ReviewReport, Vec<Reviewed>)> {
    let t0 = Instant::now();
    let rows = read_replies(wh)?;
    let texts: Vec<String> = rows.par_iter().map(|r| format!("{} {}", r.title, r.content)).collect();
    let step = texts.len().div_ceil(RARITY_SAMPLE).max(1);
    let rarity = Rarity::of(texts.iter().zip(&rows).step_by(step).map(|(t, r)| (t.as_str(), r.reply.as_str())));
    let day = 86_400_000_000i64;
    let reviewed: Vec<Reviewed> = rows
        .par_iter()
        .map(|r| {
            let text = score::review(&r.title, &r.content, &r.reply, &rarity);
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
        .collect();
    let mut tx = wh.begin()?;
    tx.replace(table::REPLY_REVIEW, &[batch(&reviewed)?])?;
    let mut report = ReviewReport { replies: reviewed.len(), ..Default::default() };
    for r in &reviewed {
        report.flagged += usize::from(is_flagged(r));
        for (k, _) in r.flags() {
            match report.by_flag.iter_mut().find(|(f, _)| *f == k) {
                Some((_, n)) => *n += 1,
                None => report.by_flag.push((k, 1)),
            }
        }
    }
    report.by_flag.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    report.mean_score = reviewed.iter().map(|r| r.score as f64).sum::<f64>() / reviewed.len().max(1) as f64;
    tx.commit("review", serde_json::json!({"replies": report.replies, "flagged": report.flagged}))?;
    report.seconds = t0.elapsed().as_secs_f64();
    Ok((report, reviewed))
}

/// Is this flag one that marks a reply as needing attention (不完整 alone does not)?
pub fn is_flagged(r: &Reviewed) -> bool {
    r.flags().iter().any(|f| f.0 != "不完整")
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
