//! Stages run over the warehouse, each reading and writing whole tables.

pub mod config;
pub mod enrich;
pub mod facts;
pub mod run;

pub use enrich::{EnrichConfig, EnrichReport, enrich};
