//! Trust: how much the node believes each peer.
//!
//! Three measures, each deterministic (sorted key order, fixed summation order, no wall clock):
//!
//! - [`direct`]: the node's own experience of a peer, a score in `[-1, 1]` that a valid message
//!   raises a little, an invalid one or a timeout lowers a lot, and that decays back towards the
//!   initial value over time ([`DirectTrust`]);
//! - [`datt`]: transitive trust (DATT) from the node's direct trust in its neighbours and the
//!   neighbours' reported direct trust of theirs: products of scores along simple paths, averaged
//!   per path length, decayed per hop, and not propagated through a node reached by a distrustful
//!   score ([`transitive_trust`]);
//! - [`eigentrust`](mod@eigentrust): global trust by EigenTrust, a power iteration over the normalised local trust
//!   matrix seeded with a pre-trusted list ([`eigentrust()`]).
//!
//! Everything is generic over the peer key `K: Ord + Clone`, so that the node can use its
//! identity type; [`PeerKey`] is a plain 32-byte key for tests and for callers without one.
//! The formulas, parameters and limits are written down in `docs/protocol.md` ("Trust").

pub mod datt;
pub mod direct;
pub mod eigentrust;
mod error;
mod graph;

pub use datt::{DattConfig, TransitiveTrust, transitive_trust};
pub use direct::{Behaviour, DirectTrust, DirectTrustConfig};
pub use eigentrust::{EigenTrustConfig, eigentrust};
pub use error::TrustError;
pub use graph::TrustGraph;

/// Lowest trust score any measure here reports or stores (full distrust).
pub const MIN_SCORE: f64 = -1.0;
/// Highest trust score any measure here reports or stores (full trust).
pub const MAX_SCORE: f64 = 1.0;

/// A 32-byte peer key, ordered bytewise: the key type the trust code is tested with, until the
/// node's identity type takes its place.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PeerKey(pub [u8; 32]);

impl PeerKey {
    /// A key whose first byte is `byte` and the rest zero (handy in tests and examples).
    pub const fn from_byte(byte: u8) -> Self {
        let mut bytes = [0u8; 32];
        bytes[0] = byte;
        Self(bytes)
    }
}

/// `score` clamped into `[MIN_SCORE, MAX_SCORE]`.
fn clamp_score(score: f64) -> f64 {
    score.clamp(MIN_SCORE, MAX_SCORE)
}
