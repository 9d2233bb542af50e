//! Admission control across the network. A node refuses client submissions while it is behind
//! with its own work (the driver's `overloaded`), and says so in its metadata
//! ([`PeerMeta::behind`]); its peers then refuse their clients too, for as long as it keeps
//! saying so. Every transaction a client submits anywhere reaches every validator through
//! gossip, so a node that admits work only by its own load lets a slower peer fall further
//! behind until it misses quiet periods and the nodes stop agreeing: the network has to go at
//! the pace of its slowest validator.
//!
//! A peer's word is all there is to go on, so a peer claiming to be behind forever would slow
//! every client down; claims count only from connected validators, expire unless renewed, and
//! are a liveness cost, never a safety one (`docs/network.md`, "Admission control").

use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::meta::PeerMeta;
use crate::net::PeerId;

/// How long a peer's "behind" counts after it said so, unless it says so again or withdraws
/// it: four of its re-announcements, so that one lost message does not lift it.
pub(crate) const PEER_BEHIND_FOR: Duration = Duration::from_secs(2);

/// How often a node that is behind says so again.
pub(crate) const BEHIND_REANNOUNCE: Duration = Duration::from_millis(500);

/// The shortest gap between two of a node's announcements of its state (a node whose load
/// flickers around a limit does not flood the metadata topic).
pub(crate) const MIN_ANNOUNCE_GAP: Duration = Duration::from_millis(100);

/// Connected validators that said they are behind, each until its claim expires.
#[derive(Debug, Default)]
pub(crate) struct PeersBehind {
    until: HashMap<PeerId, Instant>,
}

impl PeersBehind {
    /// `peer` announced `meta` at `now`: a validator saying it is behind counts until
    /// [`PEER_BEHIND_FOR`] from now; anything else withdraws its claim.
    pub(crate) fn on_meta(&mut self, peer: PeerId, meta: &PeerMeta, now: Instant) {
        if meta.behind && meta.mode == "validator" {
            self.until.insert(peer, now + PEER_BEHIND_FOR);
        } else {
            self.until.remove(&peer);
        }
    }

    /// `peer` disconnected: its claim no longer counts.
    pub(crate) fn remove(&mut self, peer: &PeerId) {
        self.until.remove(peer);
    }

    /// How many peers are behind at `now` (expired claims are forgotten).
    pub(crate) fn count(&mut self, now: Instant) -> usize {
        self.until.retain(|_, until| *until > now);
        self.until.len()
    }
}

/// When this node announces whether it is behind: at once when that changes, again every
/// [`BEHIND_REANNOUNCE`] while it is, never twice within [`MIN_ANNOUNCE_GAP`].
#[derive(Debug, Default)]
pub(crate) struct Announcer {
    announced_behind: bool,
    last: Option<Instant>,
}

impl Announcer {
    /// Whether to announce now, the node being `behind`; if so, the announcement is taken as
    /// made.
    pub(crate) fn due(&mut self, behind: bool, now: Instant) -> bool {
        let since = self.last.map(|t| now.saturating_duration_since(t));
        let changed = behind != self.announced_behind;
        let renew = behind && since.is_none_or(|s| s >= BEHIND_REANNOUNCE);
        let spaced = since.is_none_or(|s| s >= MIN_ANNOUNCE_GAP);
        let due = (changed || renew) && spaced;
        if due {
            self.made(behind, now);
        }
        due
    }

    /// An announcement saying `behind` was made at `now` (the periodic one, say).
    pub(crate) fn made(&mut self, behind: bool, now: Instant) {
        self.announced_behind = behind;
        self.last = Some(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Mode;

    fn meta(mode: Mode, behind: bool) -> PeerMeta {
        PeerMeta::own(mode, 1, behind)
    }

    #[test]
    fn validators_claims_count_until_withdrawn_or_expired() {
        let (a, b, c) = (PeerId::random(), PeerId::random(), PeerId::random());
        let t0 = Instant::now();
        let mut behind = PeersBehind::default();
        behind.on_meta(a, &meta(Mode::Validator, true), t0);
        behind.on_meta(b, &meta(Mode::Validator, true), t0);
        // An observer does not vouch for the pace of the network.
        behind.on_meta(c, &meta(Mode::Observer, true), t0);
        assert_eq!(behind.count(t0), 2);
        // Withdrawn.
        behind.on_meta(a, &meta(Mode::Validator, false), t0);
        assert_eq!(behind.count(t0), 1);
        // Renewed just before it expires: it holds for another period.
        let renewed = t0 + PEER_BEHIND_FOR - Duration::from_millis(1);
        behind.on_meta(b, &meta(Mode::Validator, true), renewed);
        assert_eq!(behind.count(t0 + PEER_BEHIND_FOR), 1);
        assert_eq!(behind.count(renewed + PEER_BEHIND_FOR), 0, "expired");
        behind.on_meta(b, &meta(Mode::Validator, true), t0);
        behind.remove(&b);
        assert_eq!(behind.count(t0), 0, "disconnected");
    }

    #[test]
    fn announcements_follow_changes_and_renew_while_behind() {
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        let mut a = Announcer::default();
        assert!(!a.due(false, t0), "nothing to say while not behind");
        assert!(a.due(true, t0), "became behind");
        assert!(!a.due(true, ms(1)));
        assert!(
            !a.due(false, ms(50)),
            "changed, but too soon after the last"
        );
        assert!(a.due(false, ms(100)), "changed");
        assert!(!a.due(false, ms(5_000)), "nothing new");
        assert!(a.due(true, ms(5_001)));
        assert!(!a.due(true, ms(5_400)));
        assert!(a.due(true, ms(5_501)), "renewed while behind");
        a.made(false, ms(5_600));
        assert!(
            !a.due(false, ms(6_000)),
            "the periodic announcement said it"
        );
    }
}
