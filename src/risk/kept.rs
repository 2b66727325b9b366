//! The escalation model kept from one run to the next.
//!
//! The model learns from the cases whose 30 days have passed; a day adds a day's worth of
//! them to years of history, so refitting it every day moves every probability a little
//! for nothing and costs a daily run a second of its time. A fit is kept beside the `risk`
//! table (`risk/_model-NNNNNN.json`, NNNNNN its commit) and used until it is
//! [`REFIT_DAYS`] old, until the cases it could learn from have changed by more than
//! [`REFIT_SHARE`], or until minqing or the weights change; the report says which.

use std::path::Path;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::model::EscalationModel;
use crate::schema::table;
use crate::warehouse::Warehouse;
use crate::{Error, Result};

/// Days after which the model is fitted again (the weekly run refits).
pub const REFIT_DAYS: i64 = 7;
/// Change in the number of cases it learns from (those whose 30 days have passed) beyond
/// which the model is fitted again.
pub const REFIT_SHARE: f64 = 0.05;

/// A fit and what it was fitted on.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Fit {
    /// minqing's version and the weights' and calendar's files: with others, a new fit.
    pub settings: String,
    pub as_of: NaiveDate,
    /// Cases it could learn from (their 30 days passed).
    pub labelled: usize,
    /// `None`: not enough history to fit one.
    pub model: Option<EscalationModel>,
}

/// What a fit depends on besides the data.
pub fn settings(models: &Path) -> Result<String> {
    let mut h = blake3::Hasher::new();
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    for f in ["risk.toml", "calendar.toml"] {
        let p = models.join(f);
        if p.exists() {
            h.update(&std::fs::read(&p).map_err(|e| Error::io(&p, e))?);
        }
        h.update(b"\0");
    }
    Ok(h.finalize().to_hex()[..32].to_string())
}

/// The last fit, when it may be used as of `as_of` with `labelled` cases to learn from;
/// else why a new one is needed.
pub fn usable(
    wh: &Warehouse,
    settings: &str,
    as_of: NaiveDate,
    labelled: usize,
) -> Result<std::result::Result<Fit, String>> {
    let Some(seq) = wh.last_commit_of(table::RISK)? else { return Ok(Err("no earlier fit".into())) };
    let p = wh.state_path(table::RISK, "model", seq);
    let Ok(bytes) = std::fs::read(&p) else { return Ok(Err("no earlier fit kept".into())) };
    let fit: Fit = match serde_json::from_slice(&bytes) {
        Ok(f) => f,
        Err(e) => return Ok(Err(format!("{} is damaged ({e})", p.display()))),
    };
    Ok(if fit.model.is_none() {
        Err("no model could be fitted last time".into())
    } else if fit.settings != settings {
        Err("minqing or the weights changed since the last fit".into())
    } else if as_of < fit.as_of {
        Err(format!("as of {as_of}, before the last fit ({})", fit.as_of))
    } else if (as_of - fit.as_of).num_days() >= REFIT_DAYS {
        Err(format!("the last fit ({}) is {} days old", fit.as_of, (as_of - fit.as_of).num_days()))
    } else if labelled.abs_diff(fit.labelled) as f64 > REFIT_SHARE * fit.labelled.max(1) as f64 {
        Err(format!("{labelled} cases to learn from against {} at the last fit", fit.labelled))
    } else {
        Ok(fit)
    })
}

/// Keep `fit` for the risk run committing as `seq`, and let the older ones go.
pub fn save(wh: &Warehouse, seq: u64, fit: &Fit) -> Result<()> {
    wh.save_state(table::RISK, "model", seq, &serde_json::to_vec(fit).expect("a fit serializes"))
}

/// Delete the fits kept for risk commits before `seq`.
pub fn prune(wh: &Warehouse, seq: u64) {
    wh.prune_states(table::RISK, "model", seq);
}
