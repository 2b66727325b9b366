//! Text: segmentation (jieba-rs with the domain dictionary), terms and threat language.

pub mod segment;
pub mod threat;

pub use segment::Segmenter;
pub use threat::{Status as ThreatStatus, ThreatHit, find_threats};
