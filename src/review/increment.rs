//! Incremental review: only the replies of cases an ingest added or changed since the last
//! review.
//!
//! A reply is judged against how rare each bigram is among the cases under review (a reply
//! that names another case's specifics answers another matter). A full review keeps those
//! counts beside the table (`reply_review/_rarity-NNNNNN.json`, NNNNNN its commit, with the
//! minqing version they go with); the next review reuses them, so an unchanged reply keeps
//! its row and a new one gets the row a full review with the same counts would give it.
//! Replies new or changed since the counts were taken are counted; beyond [`DRIFT`] of the
//! replies counted then, every reply is reviewed anew with fresh counts (and the report
//! says why). Which cases changed: `case_versions` rows of commits after the last review,
//! as enrich finds them.

use serde::{Deserialize, Serialize};

use super::score::Rarity;
use crate::Result;
use crate::schema::table;
use crate::warehouse::Warehouse;

/// Share of the replies counted that may be new or changed before every reply is reviewed
/// with fresh counts. The counts are read as shares of the replies (a bigram in at most
/// 2.5% of them names something specific, in at most 1% betrays another case): with a
/// quarter more replies, a share read from the kept counts is off by at most a fifth.
pub const DRIFT: f64 = 0.25;

/// The bigram counts a full review took, kept for the next reviews.
#[derive(Debug, Serialize, Deserialize)]
pub struct RarityState {
    /// minqing's version: another one may judge differently.
    pub version: String,
    /// Replies counted.
    pub counted: u64,
    /// Replies new or changed since.
    pub changed_since: u64,
    pub rarity: Rarity,
}

impl RarityState {
    pub fn new(rarity: Rarity, counted: usize) -> RarityState {
        RarityState { version: env!("CARGO_PKG_VERSION").into(), counted: counted as u64, changed_since: 0, rarity }
    }

    /// The share of the replies counted that are new or changed, with `more` changed now.
    pub fn drift(&self, more: usize) -> f64 {
        (self.changed_since + more as u64) as f64 / self.counted.max(1) as f64
    }
}

/// The last review's commit and counts, when this minqing wrote them.
pub fn load(wh: &Warehouse) -> Result<Option<(u64, RarityState)>> {
    let Some(seq) = wh.last_commit_of(table::REPLY_REVIEW)? else { return Ok(None) };
    let path = wh.state_path(table::REPLY_REVIEW, "rarity", seq);
    let Ok(bytes) = std::fs::read(&path) else { return Ok(None) };
    match serde_json::from_slice::<RarityState>(&bytes) {
        Ok(s) if s.version == env!("CARGO_PKG_VERSION") => Ok(Some((seq, s))),
        Ok(_) => Ok(None),
        Err(e) => {
            tracing::warn!("{} is damaged ({e}); reviewing every reply", path.display());
            Ok(None)
        }
    }
}

/// Keep `state` for the review committing as `seq` (written before that commit).
pub fn save(wh: &Warehouse, seq: u64, state: &RarityState) -> Result<()> {
    wh.save_state(table::REPLY_REVIEW, "rarity", seq, &serde_json::to_vec(state).expect("counts serialize"))
}

/// Delete the counts of review commits before `seq`.
pub fn prune(wh: &Warehouse, seq: u64) {
    wh.prune_states(table::REPLY_REVIEW, "rarity", seq);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drift_is_the_share_of_the_counted_replies_changed() {
        let s = RarityState { changed_since: 60, ..RarityState::new(Rarity::default(), 1000) };
        assert!(s.drift(190) <= DRIFT && s.drift(191) > DRIFT);
    }
}
