//! Normalization of raw cells: timestamps, text, head counts and personal data.

pub mod headcount;
pub mod pii;
pub mod text;
pub mod time;

pub use headcount::headcount_from_text;
pub use pii::{KeySource, PersonKey, mask_identifiers, mask_name};
pub use text::{clean_field, clean_text};
pub use time::parse_timestamp;
