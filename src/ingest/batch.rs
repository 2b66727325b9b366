//! Rows → Arrow record batches in the schemas of `schema.rs`.

use std::sync::Arc;

use arrow::array::{ArrayRef, BooleanArray, Int32Array, Int64Array, StringArray, TimestampMicrosecondArray};
use arrow::record_batch::RecordBatch;
use chrono::NaiveDateTime;

use super::record::{CaseRow, PersonRow, RejectRow};
use crate::Result;
use crate::schema::{cases_schema, persons_schema, rejects_schema};

fn s<'a, T: 'a>(rows: &'a [T], f: impl Fn(&'a T) -> Option<&'a str>) -> ArrayRef {
    Arc::new(rows.iter().map(f).collect::<StringArray>())
}

fn ts<T>(rows: &[T], f: impl Fn(&T) -> Option<NaiveDateTime>) -> ArrayRef {
    Arc::new(rows.iter().map(|r| f(r).map(|t| t.and_utc().timestamp_micros())).collect::<TimestampMicrosecondArray>())
}

fn i64s<T>(rows: &[T], f: impl Fn(&T) -> Option<i64>) -> ArrayRef {
    Arc::new(rows.iter().map(f).collect::<Int64Array>())
}

pub fn cases_batch(rows: &[CaseRow]) -> Result<RecordBatch> {
    let mut cols: Vec<ArrayRef> = vec![
        s(rows, |r| Some(&r.case_id)),
        s(rows, |r| Some(&r.source)),
        s(rows, |r| r.channel.as_deref()),
        ts(rows, |r| Some(r.received_at)),
        s(rows, |r| r.title.as_deref()),
        s(rows, |r| Some(&r.content)),
        s(rows, |r| r.person_key.as_deref()),
        Arc::new(rows.iter().map(|r| r.headcount).collect::<Int32Array>()),
        s(rows, |r| r.region_county.as_deref()),
        s(rows, |r| r.region_town.as_deref()),
        s(rows, |r| r.category_given.as_deref()),
        s(rows, |r| r.purpose.as_deref()),
    ];
    for i in 0..7 {
        cols.push(Arc::new(rows.iter().map(|r| r.flags[i]).collect::<BooleanArray>()));
    }
    cols.extend([
        s(rows, |r| r.reg_level.as_deref()),
        s(rows, |r| r.dept.as_deref()),
        ts(rows, |r| r.accepted_at),
        ts(rows, |r| r.due_at),
        ts(rows, |r| r.closed_at),
        ts(rows, |r| r.replied_at),
        s(rows, |r| r.satisfaction.as_deref()),
        s(rows, |r| r.reply.as_deref()),
        s(rows, |r| r.owner.as_deref()),
        i64s(rows, |r| r.likes),
        i64s(rows, |r| r.dislikes),
        i64s(rows, |r| r.shares),
        i64s(rows, |r| r.comments),
        s(rows, |r| r.platform.as_deref()),
        s(rows, |r| Some(&r.ingest_file)),
        i64s(rows, |r| Some(r.ingest_row)),
    ]);
    Ok(RecordBatch::try_new(cases_schema(), cols)?)
}

pub fn rejects_batch(rows: &[RejectRow]) -> Result<RecordBatch> {
    Ok(RecordBatch::try_new(
        rejects_schema(),
        vec![
            s(rows, |r| Some(&r.source)),
            s(rows, |r| Some(&r.file)),
            s(rows, |r| Some(&r.file_hash)),
            i64s(rows, |r| Some(r.row)),
            s(rows, |r| r.case_id.as_deref()),
            s(rows, |r| Some(&r.reason)),
            s(rows, |r| Some(&r.detail)),
            s(rows, |r| Some(&r.raw)),
        ],
    )?)
}

pub fn persons_batch(rows: &[PersonRow]) -> Result<RecordBatch> {
    Ok(RecordBatch::try_new(
        persons_schema(),
        vec![
            s(rows, |r| Some(&r.person_key)),
            s(rows, |r| Some(&r.source)),
            s(rows, |r| Some(&r.case_id)),
            s(rows, |r| r.name.as_deref()),
            s(rows, |r| r.id_number.as_deref()),
            s(rows, |r| r.phone.as_deref()),
            s(rows, |r| r.address.as_deref()),
        ],
    )?)
}
