//! Stages run over the warehouse, each reading and writing whole tables.

pub mod config;
pub mod enrich;
pub mod enrich_sql;
pub mod facts;
pub mod increment;
pub mod run;

pub use enrich::{EnrichConfig, EnrichMode, EnrichReport, Enricher, enrich, enrich_mode};
pub use enrich_sql::{enrich_on, enrich_with};
