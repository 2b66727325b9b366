//! The pipeline file (`pipelines/*.toml`) and `minqing run`: the stages in order over one
//! warehouse, and the report folder they leave.

pub mod config;
pub mod run;
