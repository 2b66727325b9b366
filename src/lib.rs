//! minqing (民情): a batch analytics and stability-risk pipeline for petition (信访),
//! 12345 hotline, message-board and public-opinion records.
//!
//! The folders read like the pipeline: `ingest` → `normalize` → (text, classify, risk,
//! cluster, metrics) → `report`, over the Parquet `warehouse`; `generate` makes sample
//! exports with known truth; `cli` turns the command line into calls of these stages.

pub mod bench;
pub mod classify;
pub mod cli;
pub mod cluster;
pub mod entities;
pub mod error;
pub mod generate;
pub mod ingest;
pub mod mem;
pub mod metrics;
pub mod normalize;
pub mod pipeline;
pub mod report;
pub mod review;
pub mod risk;
pub mod schema;
pub mod text;
pub mod warehouse;

pub use error::{Error, Result};
