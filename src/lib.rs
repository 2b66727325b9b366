//! minqing (民情): a batch analytics and stability-risk pipeline for petition (信访),
//! 12345 hotline, message-board and public-opinion records.
//!
//! The layers, each using only those before it:
//! - `model`: the vocabulary (sources, levels, periods, rates, keys), no I/O;
//! - `schema`: tables and their columns; `warehouse`: the Delta Lake tables on disk and SQL;
//! - `facts`: typed readers of the tables for later stages and reports;
//! - the stages, in pipeline order: `ingest` (with `normalize`), `enrich` (with `text`,
//!   `classify`, `entities`), `review`, `risk`, `metrics`, `cluster`, `report`;
//! - `pipeline`: the pipeline file and `minqing run`; `serve`: the dashboard over the
//!   warehouse; `cli`: the command line.
//!
//! `generate` makes sample exports with known truth; `bench` times the whole job against
//! the Python peer.

pub(crate) mod bench;
pub(crate) mod classify;
pub(crate) mod cli;
pub(crate) mod cluster;
pub(crate) mod enrich;
pub(crate) mod entities;
pub(crate) mod error;
pub(crate) mod facts;
pub(crate) mod generate;
pub(crate) mod ingest;
pub mod mem;
pub(crate) mod metrics;
pub(crate) mod model;
pub(crate) mod normalize;
pub(crate) mod pipeline;
pub(crate) mod progress;
pub(crate) mod report;
pub(crate) mod review;
pub(crate) mod risk;
pub(crate) mod schema;
pub(crate) mod serve;
pub(crate) mod text;
pub(crate) mod warehouse;

// What the binary and the integration tests use; everything else is crate-private, so
// code nothing uses shows as dead.
pub use classify::Scores;
pub use cli::main;
pub use error::{Error, Result};
pub use ingest::{IngestOptions, IngestReport, ingest};
pub use normalize::PersonKey;
pub use normalize::pii::has_raw_identifier;
pub use schema::{cases, table};
pub use serve::{App, router};
pub use text::Segmenter;
pub use warehouse::{Warehouse, read_table, read_table_columns};
