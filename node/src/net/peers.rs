//! Peer management, free of I/O: trust per peer, connected peers, bans with expiry, and the
//! decisions the event loop carries out (whom to evict, ban, unban, whether to discover).
//!
//! Rules (`docs/network.md`, "Peer management"):
//! - below `min_peers` connected peers, every tick starts a discovery (Kademlia random walk,
//!   dialling bootstrap peers not connected);
//! - above `max_peers`, the connected peer with the lowest trust is evicted; on a tie the most
//!   recently connected one goes, so a newcomer no better than the worst peer is refused;
//! - a peer whose trust falls below `trust_threshold` is disconnected and banned (blocked in
//!   both directions, never dialled) until `ban_duration` has passed;
//! - an evicted peer is not dialled again by discovery for the ban duration either (it is not
//!   blocked: it may dial us and compete again).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use libp2p::PeerId;

/// Peer bookkeeping and the peer-management rules.
#[derive(Debug)]
pub(crate) struct PeerManager {
    min_peers: usize,
    max_peers: usize,
    initial_trust: f64,
    threshold: f64,
    ban: Duration,
    trust: HashMap<PeerId, f64>,
    /// Connected peers and the order in which they connected (a counter).
    connected: HashMap<PeerId, u64>,
    next_seq: u64,
    banned: HashMap<PeerId, Instant>,
    /// Evicted peers and until when discovery leaves them alone.
    cooling: HashMap<PeerId, Instant>,
}

impl PeerManager {
    pub(crate) fn new(
        min_peers: usize,
        max_peers: usize,
        initial_trust: f64,
        threshold: f64,
        ban: Duration,
    ) -> Self {
        Self {
            min_peers,
            max_peers,
            initial_trust,
            threshold,
            ban,
            trust: HashMap::new(),
            connected: HashMap::new(),
            next_seq: 0,
            banned: HashMap::new(),
            cooling: HashMap::new(),
        }
    }

    /// The peer's trust (the initial trust if never set).
    pub(crate) fn trust(&self, peer: &PeerId) -> f64 {
        self.trust.get(peer).copied().unwrap_or(self.initial_trust)
    }

    #[cfg(test)]
    fn is_connected(&self, peer: &PeerId) -> bool {
        self.connected.contains_key(peer)
    }

    #[cfg(test)]
    fn connected_count(&self) -> usize {
        self.connected.len()
    }

    pub(crate) fn is_banned(&self, peer: &PeerId) -> bool {
        self.banned.contains_key(peer)
    }

    /// Whether discovery may dial `peer` now.
    pub(crate) fn may_dial(&self, peer: &PeerId) -> bool {
        !self.connected.contains_key(peer)
            && !self.banned.contains_key(peer)
            && !self.cooling.contains_key(peer)
    }

    /// Whether the node wants more peers.
    pub(crate) fn below_min(&self) -> bool {
        self.connected.len() < self.min_peers
    }

    /// A first connection to `peer` is up. Returns the peer to evict if the node is now above
    /// `max_peers` (possibly `peer` itself).
    pub(crate) fn on_connected(&mut self, peer: PeerId, now: Instant) -> Option<PeerId> {
        self.next_seq += 1;
        self.connected.insert(peer, self.next_seq);
        if self.connected.len() <= self.max_peers {
            return None;
        }
        let victim = self
            .connected
            .iter()
            .map(|(p, seq)| (*p, self.trust(p), *seq))
            .min_by(|a, b| a.1.total_cmp(&b.1).then(b.2.cmp(&a.2)))
            .map(|(p, _, _)| p)?;
        self.connected.remove(&victim);
        self.cooling.insert(victim, now + self.ban);
        Some(victim)
    }

    /// The last connection to `peer` is gone.
    pub(crate) fn on_disconnected(&mut self, peer: &PeerId) {
        self.connected.remove(peer);
    }

    /// Sets `peer`'s trust. Returns true if the peer must now be banned (its trust is below the
    /// threshold and it was not banned yet).
    pub(crate) fn set_trust(&mut self, peer: PeerId, score: f64, now: Instant) -> bool {
        self.trust.insert(peer, score);
        if score < self.threshold && !self.banned.contains_key(&peer) {
            self.banned.insert(peer, now + self.ban);
            self.connected.remove(&peer);
            true
        } else {
            false
        }
    }

    /// Bans `peer` until `until` (an operator's decision, whatever its trust).
    pub(crate) fn ban(&mut self, peer: PeerId, until: Instant) {
        self.banned.insert(peer, until);
        self.connected.remove(&peer);
    }

    /// Lifts `peer`'s ban; its trust goes back to at least the threshold, as when a ban expires.
    /// Returns whether it was banned.
    pub(crate) fn unban(&mut self, peer: &PeerId) -> bool {
        self.cooling.remove(peer);
        if self.banned.remove(peer).is_none() {
            return false;
        }
        let trust = self.trust(peer).max(self.threshold);
        self.trust.insert(*peer, trust);
        true
    }

    /// Drops expired bans and cool-downs; returns the peers to unblock. An unbanned peer's
    /// trust goes back to the threshold (it starts on probation, not where it fell to, which
    /// would ban it again at once).
    pub(crate) fn expire(&mut self, now: Instant) -> Vec<PeerId> {
        self.cooling.retain(|_, until| *until > now);
        let expired: Vec<PeerId> = self
            .banned
            .iter()
            .filter(|(_, until)| **until <= now)
            .map(|(p, _)| *p)
            .collect();
        for p in &expired {
            self.banned.remove(p);
            self.trust.insert(*p, self.threshold);
        }
        expired
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mgr(max: usize) -> PeerManager {
        PeerManager::new(1, max, 0.5, 0.1, Duration::from_secs(10))
    }

    #[test]
    fn evicts_lowest_trust_and_refuses_equal_newcomer() {
        let now = Instant::now();
        let (a, b, c, d) = (
            PeerId::random(),
            PeerId::random(),
            PeerId::random(),
            PeerId::random(),
        );
        let mut m = mgr(2);
        assert_eq!(m.on_connected(a, now), None);
        assert_eq!(m.on_connected(b, now), None);
        m.set_trust(a, 0.3, now);
        assert_eq!(m.on_connected(c, now), Some(a));
        assert!(!m.may_dial(&a));
        // b and c have the initial trust; an equal newcomer is the one refused.
        assert_eq!(m.on_connected(d, now), Some(d));
        assert_eq!(m.connected_count(), 2);
    }

    #[test]
    fn ban_and_expiry() {
        let now = Instant::now();
        let a = PeerId::random();
        let mut m = mgr(4);
        m.on_connected(a, now);
        assert!(!m.set_trust(a, 0.2, now));
        assert!(m.set_trust(a, 0.0, now));
        assert!(!m.set_trust(a, -0.5, now), "already banned");
        assert!(m.is_banned(&a) && !m.may_dial(&a) && !m.is_connected(&a));
        assert!(m.expire(now + Duration::from_secs(5)).is_empty());
        assert_eq!(m.expire(now + Duration::from_secs(10)), vec![a]);
        assert!(m.may_dial(&a));
        assert_eq!(m.trust(&a), 0.1);
    }

    #[test]
    fn operator_ban_and_unban() {
        let now = Instant::now();
        let a = PeerId::random();
        let mut m = mgr(4);
        m.on_connected(a, now);
        m.ban(a, now + Duration::from_secs(60));
        assert!(m.is_banned(&a) && !m.may_dial(&a) && !m.is_connected(&a));
        assert_eq!(m.trust(&a), 0.5, "an operator ban leaves the trust alone");
        assert!(m.unban(&a));
        assert!(!m.unban(&a), "not banned any more");
        assert!(m.may_dial(&a));
    }
}
