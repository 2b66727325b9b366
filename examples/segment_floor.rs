//! The floor for the text stages: bare jieba-rs segmentation (same dictionary, all
//! cores) of every case's `title + " " + content` in a warehouse, and MB/s.
//!
//!     cargo run --release --example segment_floor -- WAREHOUSE

use std::time::Instant;

use arrow::array::{Array, AsArray};
use minqing::{Segmenter, Warehouse, cases, read_table_columns, table};
use rayon::prelude::*;

fn main() -> minqing::Result<()> {
    let root = std::env::args().nth(1).unwrap_or_else(|| "warehouse".into());
    let wh = Warehouse::open_read(std::path::Path::new(&root))?;
    let mut texts = vec![];
    for b in read_table_columns(&wh, table::CASES, Some(&[cases::TITLE, cases::CONTENT]))? {
        let t = b.column_by_name(cases::TITLE).unwrap().as_string::<i32>().clone();
        let c = b.column_by_name(cases::CONTENT).unwrap().as_string::<i32>().clone();
        for i in 0..b.num_rows() {
            texts.push(format!("{} {}", if t.is_null(i) { "" } else { t.value(i) }, c.value(i)));
        }
    }
    let seg = Segmenter::builtin();
    let _ = seg.cut("预热");
    let bytes: usize = texts.iter().map(String::len).sum();
    let t0 = Instant::now();
    let pieces: usize = texts.par_iter().map(|t| seg.cut(t).len()).sum();
    let s = t0.elapsed().as_secs_f64();
    println!(
        "bare jieba-rs: {} cases, {:.1} MB, {} pieces in {:.2}s: {:.0} cases/s, {:.1} MB/s",
        texts.len(),
        bytes as f64 / 1e6,
        pieces,
        s,
        texts.len() as f64 / s,
        bytes as f64 / 1e6 / s
    );
    Ok(())
}
