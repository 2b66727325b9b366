//! Outputs for people: the warehouse summary now; charts and briefings later.

pub mod summary;

pub use summary::{Summary, summarize};
