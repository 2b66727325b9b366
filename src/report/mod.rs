//! Outputs for people: the warehouse summary, the briefing, the xlsx lists.

pub mod briefing;
pub mod charts;
pub mod docx;
pub mod html;
pub mod letters;
pub mod lists;
pub mod summary;

pub use summary::{Summary, summarize};
