//! Outputs for people: the warehouse summary, the briefing, the xlsx lists.

pub mod briefing;
pub mod charts;
pub mod document;
pub mod docx;
pub mod figures;
pub mod html;
pub mod letters;
pub mod lists;
pub mod summary;

pub use summary::summarize;
