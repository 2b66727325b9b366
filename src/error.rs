//! The library's error type, split by the phase a problem belongs to.

use std::path::PathBuf;

/// Everything that can stop a minqing command. Bad *records* are not errors: they become
/// rows in `rejects`. These are problems with whole inputs, settings or the warehouse.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An input file that cannot be read at all (unknown format, garbage, too large).
    #[error("cannot read {path}: {reason}")]
    Input { path: PathBuf, reason: String },

    /// A mapping, pipeline or model settings file that is wrong; every problem listed.
    #[error("{path}: {}", problems.join("; "))]
    Config { path: PathBuf, problems: Vec<String> },

    /// A column or table that does not exist.
    #[error("schema: {0}")]
    Schema(String),

    /// A model file that cannot be used, or a fit that failed.
    #[error("model: {0}")]
    Model(String),

    /// The warehouse on disk is not in the state a command needs.
    #[error("warehouse {path}: {reason}")]
    Warehouse { path: PathBuf, reason: String },

    /// A request that cannot be met as asked (conflicting values, bad dates, nothing to
    /// work on).
    #[error("{0}")]
    Usage(String),

    /// An output (chart, document, workbook, CSV) could not be made.
    #[error("{0}")]
    Output(String),

    /// A service minqing talks to (a Ballista scheduler, the Python peer) failed or could
    /// not be reached.
    #[error("{0}")]
    Service(String),

    /// A failure inside minqing (a worker thread that panicked): a bug to report.
    #[error("internal error: {0}; please report it")]
    Internal(String),

    #[error("I/O on {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },

    #[error(transparent)]
    Arrow(#[from] arrow::error::ArrowError),

    #[error(transparent)]
    Parquet(#[from] parquet::errors::ParquetError),

    #[error(transparent)]
    DataFusion(#[from] datafusion::error::DataFusionError),

    #[error("xlsx: {0}")]
    Xlsx(String),
}

impl Error {
    /// An I/O error that names the file it is about.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), source }
    }

    pub fn input(path: impl Into<PathBuf>, reason: impl Into<String>) -> Self {
        Error::Input { path: path.into(), reason: reason.into() }
    }

    /// True when the problem is with what the user gave or must put right (exit code 2): a
    /// usage, an input, a settings or model file, a warehouse that is missing or of another
    /// version, a query that does not plan, a scheduler or program named that does not
    /// answer. False for a failure inside minqing or on the machine (exit code 3): I/O, an
    /// output that cannot be made, a bug.
    pub fn is_bad_input(&self) -> bool {
        use datafusion::error::DataFusionError as D;
        match self {
            Error::Input { .. }
            | Error::Config { .. }
            | Error::Usage(_)
            | Error::Schema(_)
            | Error::Model(_)
            | Error::Warehouse { .. }
            | Error::Service(_) => true,
            Error::DataFusion(e) => {
                matches!(e.find_root(), D::SQL(..) | D::Plan(_) | D::SchemaError(..) | D::NotImplemented(_))
            }
            _ => false,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
