//! Stages run over the warehouse, each reading and writing whole tables.

pub mod enrich;

pub use enrich::{EnrichConfig, EnrichReport, enrich};
