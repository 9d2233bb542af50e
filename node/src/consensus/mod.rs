//! Conflict resolution: the gossip messages, the peers' votes, trust weights and the decision
//! rule.
//!
//! When a node sees a second spender of an output (a *conflict*), it stops relaying that spender
//! and waits a fixed conflict window while its peers' signed observation roots come in
//! ([`Message::Roots`]). Each peer's **vote** is the spender it observed first as Pending or
//! Accepted in its signed chain ([`VoteBook::vote`]); the node's own vote is the spender it saw
//! first. At the end of the window the node sums, per spender, the **weights** of its voters
//! ([`ConsensusConfig::weight_bands`]: direct trust capped at its initial value, quantised down
//! to bands of 0.05, zero for a convicted peer) and the spender with the greatest support wins, ties going to the
//! smallest transaction hash ([`decide`]). Weights are whole numbers of bands, so sums are exact
//! and independent of order. A spender a peer already **committed** before the conflict reached
//! it (signed Accepted, never Conflicted: possible only outside the timing model, under
//! overload) is final there, so only such spenders can win ([`VoteBook::committed`]).
//!
//! The [`VoteBook`] also catches equivocation: two different roots with one sequence number, or
//! one transaction in two different final states, give [`Evidence`](crate::observe::Evidence) that any node can verify
//! offline ([`crate::observe::verify_evidence`]); the signer is convicted and weighs zero from
//! then on. The rules, encodings, timings and their assumptions are in `docs/consensus.md`.

mod votes;
mod wire;

pub use votes::{Ingested, VoteBook};
pub use wire::{
    EVIDENCE_ID_DOMAIN, KIND_EVIDENCE, KIND_ROOTS, KIND_TX, KIND_TX_BATCH, MAX_TX_BATCH,
    MIN_TX_BATCH, Message, MessageId, SIGNED_ROOT_LEN, decode_inclusion_proofs, decode_tx_batch,
    encode_inclusion_proofs, encode_tx_batch,
};

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::identity::NodeId;
use crate::observe::ObsError;
use crate::tx::TxHash;

/// Why a message, a root or a consensus parameter was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConsensusError {
    /// A frame that is not a canonical message encoding.
    #[error("malformed message: {0}")]
    Malformed(&'static str),
    /// A transaction body that does not decode.
    #[error("transaction in message: {0}")]
    TxDecode(#[from] crate::tx::DecodeError),
    /// A signature, observation or header that does not verify or decode.
    #[error(transparent)]
    Observe(#[from] ObsError),
    /// A roots message whose observation count differs from its header's leaf count.
    #[error("node {node}: {actual} observations under a root of {expected} leaves")]
    LeafCount {
        /// The signer.
        node: NodeId,
        /// The header's leaf count.
        expected: u32,
        /// Observations sent.
        actual: usize,
    },
    /// The observations sent do not hash to the signed root.
    #[error("node {node}: observations do not hash to the signed root")]
    RootMismatch {
        /// The signer.
        node: NodeId,
    },
    /// Parameters out of range; every violation listed.
    #[error("invalid consensus parameters: {}", violations.join("; "))]
    InvalidParameters {
        /// What is wrong.
        violations: Vec<String>,
    },
}

/// Smallest [`ConsensusConfig::retention_epochs`].
pub const MIN_RETENTION_EPOCHS: u64 = 10;

/// Parameters of conflict resolution.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConsensusConfig {
    /// How long after detecting a conflict the node decides it, in ms (default 800). Must exceed
    /// the flush interval plus three maximum network delays (see `docs/consensus.md`).
    pub conflict_window_ms: u64,
    /// Width of a weight band (default 0.05): weights are whole numbers of bands.
    pub weight_band: f64,
    /// Added to a score before quantising (default 0.0005), so that a score a hair below a band
    /// edge through decay stays in the band above.
    pub band_tolerance: f64,
    /// Highest score that counts towards a weight (default 0.5, direct trust's initial value).
    /// Trust earned by valid messages measures the traffic a node saw from a peer, which differs
    /// between observers (drops, duplicates, what is in flight); capped, every honest peer
    /// weighs the same everywhere and a weight only falls for misbehaviour.
    pub weight_cap: f64,
    /// How many of each peer's most recent epochs the vote book keeps (default 600: a minute
    /// at the default flush interval). Older ones are forgotten, with their votes and the final
    /// states a later conflicting one would be caught against, so that memory stays bounded;
    /// an epoch older than that arriving late is ignored. Must cover the conflict window many
    /// times over (at least 10 epochs).
    pub retention_epochs: u64,
}

impl Default for ConsensusConfig {
    fn default() -> Self {
        Self {
            conflict_window_ms: 800,
            weight_band: 0.05,
            band_tolerance: 0.0005,
            weight_cap: 0.5,
            retention_epochs: 600,
        }
    }
}

impl ConsensusConfig {
    /// Checks every parameter, reporting all violations at once.
    pub fn validate(&self) -> Result<(), ConsensusError> {
        let mut violations = Vec::new();
        if self.conflict_window_ms == 0 {
            violations.push("conflict_window_ms must be positive".to_owned());
        }
        if !(self.weight_band.is_finite() && self.weight_band > 0.0 && self.weight_band <= 1.0) {
            violations.push(format!("weight_band {} is not in (0, 1]", self.weight_band));
        }
        if !(self.band_tolerance.is_finite()
            && self.band_tolerance >= 0.0
            && self.band_tolerance < self.weight_band)
        {
            violations.push(format!(
                "band_tolerance {} is not in [0, weight_band)",
                self.band_tolerance
            ));
        }
        if !(self.weight_cap.is_finite() && self.weight_cap > 0.0 && self.weight_cap <= 1.0) {
            violations.push(format!("weight_cap {} is not in (0, 1]", self.weight_cap));
        }
        if self.retention_epochs < MIN_RETENTION_EPOCHS {
            violations.push(format!(
                "retention_epochs {} is below {MIN_RETENTION_EPOCHS}",
                self.retention_epochs
            ));
        }
        if violations.is_empty() {
            Ok(())
        } else {
            Err(ConsensusError::InvalidParameters { violations })
        }
    }

    /// The weight, in bands, of a voter with direct trust `score`:
    /// `floor((clamp(min(score, weight_cap), 0, 1) + band_tolerance) / weight_band)`.
    pub fn weight_bands(&self, score: f64) -> u32 {
        if score.is_nan() {
            return 0;
        }
        weight_bands(
            score.min(self.weight_cap),
            self.weight_band,
            self.band_tolerance,
        )
    }
}

/// `floor((clamp(score, 0, 1) + tolerance) / band)`, capped at `floor(1 / band + tolerance)`
/// (the top band); a NaN score weighs 0.
pub fn weight_bands(score: f64, band: f64, tolerance: f64) -> u32 {
    if score.is_nan() {
        return 0;
    }
    let top = ((1.0 + tolerance) / band).floor();
    let bands = ((score.clamp(0.0, 1.0) + tolerance) / band).floor();
    bands.min(top) as u32
}

/// One voter's choice in a conflict and its weight in bands.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Ballot {
    /// Who voted.
    pub voter: NodeId,
    /// The spender voted for.
    pub choice: TxHash,
    /// The voter's weight in bands (0 for a convicted voter).
    pub weight: u32,
    /// Whether the voter already committed `choice` outside any conflict
    /// ([`VoteBook::committed`]): final there, so it restricts the candidates ([`decide`]).
    pub committed: bool,
}

/// The outcome of [`decide`].
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Decision {
    /// The spender that wins.
    pub winner: TxHash,
    /// Every spender's support in bands (spenders without a ballot have 0).
    pub support: BTreeMap<TxHash, u64>,
    /// The ballots counted (those for a spender), in the order given.
    pub ballots: Vec<Ballot>,
}

/// The decision rule: each spender's support is the sum of the weights of the ballots for it
/// (ballots for anything else are ignored); the greatest support wins, a tie goes to the smallest
/// transaction hash. Sums are integers, so the result does not depend on the ballots' order.
///
/// A spender that a voter of non-zero weight already **committed** outside any conflict
/// ([`Ballot::committed`]) is final at that voter and can never be rolled back there: when there
/// is one, only such spenders are candidates (support still decides among several). Within the
/// timing model no honest node commits a spender before the conflict reaches it, so this changes
/// nothing there; outside it (an overloaded node that accepted one side before the other side
/// arrived) it keeps the deciding nodes with the one that committed. `None` if there are no
/// spenders.
pub fn decide(spenders: &[TxHash], ballots: &[Ballot]) -> Option<Decision> {
    let mut support: BTreeMap<TxHash, u64> = spenders.iter().map(|s| (*s, 0)).collect();
    for ballot in ballots {
        if let Some(total) = support.get_mut(&ballot.choice) {
            *total += u64::from(ballot.weight);
        }
    }
    let committed: BTreeSet<TxHash> = ballots
        .iter()
        .filter(|b| b.committed && b.weight > 0 && support.contains_key(&b.choice))
        .map(|b| b.choice)
        .collect();
    // Ascending hash order, so `max_by` keeping the first of equals picks the smallest hash.
    let winner = support
        .iter()
        .filter(|(tx, _)| committed.is_empty() || committed.contains(tx))
        .fold(None::<(TxHash, u64)>, |best, (tx, s)| match best {
            Some((_, b)) if b >= *s => best,
            _ => Some((*tx, *s)),
        })?
        .0;
    let ballots = ballots
        .iter()
        .filter(|b| support.contains_key(&b.choice))
        .copied()
        .collect();
    Some(Decision {
        winner,
        support,
        ballots,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(b: u8) -> TxHash {
        TxHash([b; 32])
    }

    fn ballot(v: u8, choice: u8, weight: u32) -> Ballot {
        Ballot {
            voter: NodeId([v; 32]),
            choice: h(choice),
            weight,
            committed: false,
        }
    }

    fn committed(v: u8, choice: u8, weight: u32) -> Ballot {
        Ballot {
            committed: true,
            ..ballot(v, choice, weight)
        }
    }

    #[test]
    fn bands_quantise_down_with_tolerance() {
        let c = ConsensusConfig {
            weight_cap: 1.0,
            ..ConsensusConfig::default()
        };
        assert_eq!(c.weight_bands(0.5), 10);
        assert_eq!(c.weight_bands(0.5 + 0.049), 10);
        assert_eq!(c.weight_bands(0.5496), 11);
        assert_eq!(c.weight_bands(1.0), 20);
        assert_eq!(c.weight_bands(0.99999), 20);
        assert_eq!(c.weight_bands(0.998), 19);
        assert_eq!(c.weight_bands(-0.3), 0);
        assert_eq!(c.weight_bands(f64::NAN), 0);
        assert_eq!(c.weight_bands(7.0), 20);
        let capped = ConsensusConfig::default();
        assert_eq!(capped.weight_bands(0.93), 10, "earned trust is capped");
        assert_eq!(capped.weight_bands(0.5), 10);
        assert_eq!(capped.weight_bands(0.4), 8, "penalties count");
    }

    #[test]
    fn greatest_support_wins_and_ties_go_to_the_smallest_hash() {
        let spenders = [h(1), h(2)];
        let d = decide(&spenders, &[ballot(1, 2, 10), ballot(2, 1, 9)]).unwrap();
        assert_eq!(d.winner, h(2));
        let d = decide(&spenders, &[ballot(1, 2, 10), ballot(2, 1, 10)]).unwrap();
        assert_eq!(d.winner, h(1));
        let d = decide(&spenders, &[ballot(1, 9, 50)]).unwrap();
        assert_eq!(d.winner, h(1), "ballots for non-spenders are ignored");
        assert_eq!(decide(&[], &[]), None);
    }

    #[test]
    fn a_spender_committed_outside_the_conflict_wins_over_greater_support() {
        let spenders = [h(1), h(2), h(3)];
        let pending = [ballot(1, 1, 10), ballot(2, 1, 10), ballot(3, 3, 10)];
        assert_eq!(decide(&spenders, &pending).unwrap().winner, h(1));

        let mut ballots = pending.to_vec();
        ballots.push(committed(4, 2, 10));
        let d = decide(&spenders, &ballots).unwrap();
        assert_eq!(d.winner, h(2), "final at voter 4");
        assert_eq!(d.support[&h(1)], 20, "support is still reported in full");

        // Several committed spenders (the network already split): support decides among them.
        ballots.push(committed(5, 3, 10));
        assert_eq!(decide(&spenders, &ballots).unwrap().winner, h(3));
        ballots.push(committed(6, 2, 10));
        assert_eq!(
            decide(&spenders, &ballots).unwrap().winner,
            h(2),
            "tie: smallest"
        );

        // A voter weighing nothing (convicted) commits nothing; nor does a ballot for a
        // transaction that is not a spender.
        let ignored = [ballot(1, 1, 10), committed(2, 2, 0), committed(3, 9, 10)];
        assert_eq!(decide(&spenders, &ignored).unwrap().winner, h(1));
    }

    #[test]
    fn bad_parameters_are_all_reported() {
        let c = ConsensusConfig {
            conflict_window_ms: 0,
            weight_band: 0.0,
            band_tolerance: -1.0,
            weight_cap: 0.0,
            retention_epochs: MIN_RETENTION_EPOCHS - 1,
        };
        match c.validate() {
            Err(ConsensusError::InvalidParameters { violations }) => {
                assert_eq!(violations.len(), 5)
            }
            other => panic!("{other:?}"),
        }
    }
}
