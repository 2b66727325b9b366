//! Stages run over the warehouse, each reading and writing whole tables.

pub mod enrich;
pub mod facts;

pub use enrich::{EnrichConfig, EnrichReport, enrich};
