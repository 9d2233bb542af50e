//! [`NetConfig`]: every network setting, with defaults that work for a small devnet, and
//! [`NetConfig::validate`], which lists every problem at once.

use std::time::Duration;

use libp2p::multiaddr::Protocol;
use libp2p::{Multiaddr, PeerId};
use serde::{Deserialize, Serialize};

use super::NetError;

/// The network layer's settings (`docs/network.md` lists every field and its default).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NetConfig {
    /// Chain name, part of every topic (`ramjet/<chain>/tx/1`); non-empty, `[a-z0-9-]`.
    pub chain: String,
    /// Multiaddrs to listen on: `/ip4|ip6/<ip>/tcp/<port>` and `/ip4|ip6/<ip>/udp/<port>/quic-v1`.
    pub listen: Vec<String>,
    /// Bootstrap peers: `/ip4|ip6/<ip>/tcp|udp/<port>[/quic-v1]/p2p/<peer id>`.
    pub bootstrap: Vec<String>,
    /// Below this many connected peers the node keeps discovering and dialling.
    pub min_peers: usize,
    /// At most this many connected peers; a newcomer beyond it evicts the lowest-trust peer.
    pub max_peers: usize,
    /// Largest gossip message in bytes (gossipsub `max_transmit_size`); larger ones are dropped.
    pub max_message_size: usize,
    /// Largest request-response payload (request or response body) in bytes.
    pub max_response_size: usize,
    /// Trust given to a peer the node has not rated yet (same scale as `crate::trust`, [-1, 1]).
    pub initial_trust: f64,
    /// A peer whose trust falls below this is disconnected and banned for `ban_secs`.
    pub trust_threshold: f64,
    /// How long a banned peer stays blocked (not redialled, incoming connections denied).
    pub ban_secs: u64,
    /// How long a fetch waits for its answer, in milliseconds.
    pub request_timeout_ms: u64,
    /// A connection with no open stream is closed after this many seconds.
    pub idle_timeout_secs: u64,
    /// Period of the peer-management tick (discovery, unbanning), in milliseconds.
    pub peer_tick_ms: u64,
    /// Gossipsub: mesh degree lower bound (D_lo).
    pub mesh_n_low: usize,
    /// Gossipsub: target mesh degree (D).
    pub mesh_n: usize,
    /// Gossipsub: mesh degree upper bound (D_hi).
    pub mesh_n_high: usize,
    /// Gossipsub: minimum outbound peers in the mesh; at most `mesh_n / 2` and below `mesh_n_low`.
    pub mesh_outbound_min: usize,
    /// Gossipsub heartbeat interval in milliseconds.
    pub heartbeat_ms: u64,
    /// Gossipsub: how long message ids are remembered for deduplication, in seconds.
    pub duplicate_cache_secs: u64,
    /// Exempt 127.0.0.1 and ::1 from gossipsub's same-IP penalty (every devnet node shares it).
    pub loopback_devnet: bool,
    /// Capacity of the command channel (client → event loop) and of the event channel.
    pub channel_capacity: usize,
}

impl Default for NetConfig {
    fn default() -> Self {
        Self {
            chain: "devnet".into(),
            listen: vec![
                "/ip4/0.0.0.0/tcp/7600".into(),
                "/ip4/0.0.0.0/udp/7600/quic-v1".into(),
            ],
            bootstrap: Vec::new(),
            min_peers: 4,
            max_peers: 32,
            max_message_size: 256 * 1024,
            max_response_size: 4 * 1024 * 1024,
            initial_trust: 0.5,
            trust_threshold: 0.1,
            ban_secs: 600,
            request_timeout_ms: 10_000,
            idle_timeout_secs: 60,
            peer_tick_ms: 1_000,
            mesh_n_low: 2,
            mesh_n: 3,
            mesh_n_high: 6,
            mesh_outbound_min: 1,
            heartbeat_ms: 700,
            duplicate_cache_secs: 60,
            loopback_devnet: true,
            channel_capacity: 1024,
        }
    }
}

impl NetConfig {
    /// Every problem with the settings, one line each naming the field; empty when valid.
    pub fn problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        if self.chain.is_empty()
            || !self
                .chain
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            p.push(format!(
                "chain = {:?}: must be non-empty, lowercase letters, digits and '-'",
                self.chain
            ));
        }
        if self.listen.is_empty() {
            p.push("listen: at least one address is needed".into());
        }
        for (i, a) in self.listen.iter().enumerate() {
            if let Err(e) = parse_listen(a) {
                p.push(format!("listen[{i}] = {a:?}: {e}"));
            }
        }
        for (i, a) in self.bootstrap.iter().enumerate() {
            if let Err(e) = parse_bootstrap(a) {
                p.push(format!("bootstrap[{i}] = {a:?}: {e}"));
            }
        }
        if self.max_peers == 0 {
            p.push("max_peers = 0: must be at least 1".into());
        }
        if self.min_peers > self.max_peers {
            p.push(format!(
                "min_peers = {} is above max_peers = {}",
                self.min_peers, self.max_peers
            ));
        }
        if self.max_message_size < 1024 || self.max_message_size > 16 * 1024 * 1024 {
            p.push(format!(
                "max_message_size = {}: must be between 1 KiB and 16 MiB",
                self.max_message_size
            ));
        }
        if self.max_response_size < 1024 || self.max_response_size > 64 * 1024 * 1024 {
            p.push(format!(
                "max_response_size = {}: must be between 1 KiB and 64 MiB",
                self.max_response_size
            ));
        }
        for (name, v) in [
            ("initial_trust", self.initial_trust),
            ("trust_threshold", self.trust_threshold),
        ] {
            if !v.is_finite() || !(-1.0..=1.0).contains(&v) {
                p.push(format!("{name} = {v}: must be a number in [-1, 1]"));
            }
        }
        if self.initial_trust < self.trust_threshold {
            p.push(format!(
                "initial_trust = {} is below trust_threshold = {}: every new peer would be banned",
                self.initial_trust, self.trust_threshold
            ));
        }
        for (name, v) in [
            ("ban_secs", self.ban_secs),
            ("request_timeout_ms", self.request_timeout_ms),
            ("idle_timeout_secs", self.idle_timeout_secs),
            ("peer_tick_ms", self.peer_tick_ms),
            ("heartbeat_ms", self.heartbeat_ms),
            ("duplicate_cache_secs", self.duplicate_cache_secs),
        ] {
            if v == 0 {
                p.push(format!("{name} = 0: must be positive"));
            }
        }
        if self.mesh_n == 0 || !(self.mesh_n_low <= self.mesh_n && self.mesh_n <= self.mesh_n_high)
        {
            p.push(format!(
                "mesh_n_low = {}, mesh_n = {}, mesh_n_high = {}: need 0 < mesh_n and \
                 mesh_n_low <= mesh_n <= mesh_n_high",
                self.mesh_n_low, self.mesh_n, self.mesh_n_high
            ));
        }
        if self.mesh_outbound_min > self.mesh_n / 2 || self.mesh_outbound_min >= self.mesh_n_low {
            p.push(format!(
                "mesh_outbound_min = {}: must be at most mesh_n / 2 = {} and below mesh_n_low = {}",
                self.mesh_outbound_min,
                self.mesh_n / 2,
                self.mesh_n_low
            ));
        }
        if self.channel_capacity == 0 {
            p.push("channel_capacity = 0: must be positive".into());
        }
        p
    }

    /// Checks every setting.
    ///
    /// # Errors
    /// [`NetError::InvalidConfig`] listing every problem (see [`NetConfig::problems`]).
    pub fn validate(&self) -> Result<(), NetError> {
        let problems = self.problems();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(NetError::InvalidConfig { problems })
        }
    }

    /// The listen addresses, parsed.
    ///
    /// # Errors
    /// [`NetError::InvalidConfig`] if one does not parse.
    pub fn listen_addrs(&self) -> Result<Vec<Multiaddr>, NetError> {
        collect(&self.listen, "listen", parse_listen)
    }

    /// The bootstrap peers, parsed into their peer id and address.
    ///
    /// # Errors
    /// [`NetError::InvalidConfig`] if one does not parse.
    pub fn bootstrap_peers(&self) -> Result<Vec<(PeerId, Multiaddr)>, NetError> {
        collect(&self.bootstrap, "bootstrap", parse_bootstrap)
    }

    /// [`NetConfig::ban_secs`] as a duration.
    pub fn ban_duration(&self) -> Duration {
        Duration::from_secs(self.ban_secs)
    }

    /// [`NetConfig::request_timeout_ms`] as a duration.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.request_timeout_ms)
    }
}

fn collect<T>(
    items: &[String],
    field: &str,
    parse: fn(&str) -> Result<T, String>,
) -> Result<Vec<T>, NetError> {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (i, a) in items.iter().enumerate() {
        match parse(a) {
            Ok(v) => out.push(v),
            Err(e) => problems.push(format!("{field}[{i}] = {a:?}: {e}")),
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(NetError::InvalidConfig { problems })
    }
}

/// Checks that `addr` is an IP address followed by TCP, or UDP + QUIC v1; returns whether it
/// is QUIC.
fn check_transport(addr: &Multiaddr) -> Result<bool, String> {
    let mut it = addr.iter();
    match it.next() {
        Some(Protocol::Ip4(_) | Protocol::Ip6(_)) => {}
        Some(Protocol::Dns(_) | Protocol::Dns4(_) | Protocol::Dns6(_) | Protocol::Dnsaddr(_)) => {
            return Err("DNS names are not resolved; give an /ip4 or /ip6 address".into());
        }
        _ => return Err("must start with /ip4/<ip> or /ip6/<ip>".into()),
    }
    match (it.next(), it.next()) {
        (Some(Protocol::Tcp(_)), None | Some(Protocol::P2p(_))) => Ok(false),
        (Some(Protocol::Udp(_)), Some(Protocol::QuicV1)) => {
            if cfg!(feature = "quic") {
                Ok(true)
            } else {
                Err("QUIC is not compiled in (cargo feature `quic` of ramjet-node)".into())
            }
        }
        _ => Err("transport must be /tcp/<port> or /udp/<port>/quic-v1".into()),
    }
}

fn parse_listen(s: &str) -> Result<Multiaddr, String> {
    let addr: Multiaddr = s.parse().map_err(|e| format!("not a multiaddr: {e}"))?;
    check_transport(&addr)?;
    if addr.iter().any(|p| matches!(p, Protocol::P2p(_))) {
        return Err("a listen address must not end in /p2p/<peer id>".into());
    }
    Ok(addr)
}

fn parse_bootstrap(s: &str) -> Result<(PeerId, Multiaddr), String> {
    let addr: Multiaddr = s.parse().map_err(|e| format!("not a multiaddr: {e}"))?;
    check_transport(&addr)?;
    match addr.iter().last() {
        Some(Protocol::P2p(peer)) => Ok((peer, addr)),
        _ => Err("must end in /p2p/<peer id>".into()),
    }
}
