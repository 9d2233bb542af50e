//! The libp2p transport layer (`docs/network.md`): it moves bytes and enforces network rules;
//! the node tells it each gossip message's validity and each peer's trust.
//!
//! - [`config`]: [`NetConfig`] and its validation;
//! - [`behaviour`]: the libp2p behaviour (gossipsub, anonymous messages each validated by the
//!   node, peer scoring,
//!   Kademlia, identify, request-response with a length-prefixed codec, connection limits, the
//!   block list), the topics, the fetch protocol's [`Request`] and [`Response`];
//! - [`client`]: [`NetClient`], the cloneable handle;
//! - [`event_loop`]: the task owning the swarm, and the [`NetEvent`]s it emits;
//! - [`peers`]: peer management (min/max peers, eviction, bans);
//! - [`error`]: the network's errors, [`NetError`].
//!
//! [`start`] builds the swarm from the node's [`Identity`] (so that the libp2p [`PeerId`] and
//! the [`NodeId`] name the same key: [`peer_id_of`], [`node_id_of`]), listens, dials the
//! bootstrap peers and spawns the event loop.

pub mod behaviour;
pub mod client;
pub mod config;
pub mod error;
pub mod event_loop;
mod peers;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use futures::StreamExt;
use libp2p::identity;
use libp2p::swarm::SwarmEvent;
use tokio::sync::mpsc;

pub use behaviour::{FETCH_PROTOCOL, KAD_PROTOCOL, Request, Response, Topic};
pub use client::{Acceptance, NetClient, PeerInfo, Responder};
pub use config::NetConfig;
pub use error::NetError;
pub use event_loop::NetEvent;
pub use libp2p::gossipsub::MessageId;
pub use libp2p::{Multiaddr, PeerId};

use crate::identity::{Identity, NodeId};

/// The libp2p key pair of the node's identity key (the same Ed25519 key).
///
/// # Errors
/// [`NetError::Key`] if libp2p refuses the key (it never does for a valid identity).
pub fn keypair_of(identity: &Identity) -> Result<identity::Keypair, NetError> {
    // `ed25519_from_bytes` zeroizes its argument: `to_bytes` returns a copy.
    identity::Keypair::ed25519_from_bytes(identity.signing_key().to_bytes())
        .map_err(|e| NetError::Key(e.to_string()))
}

/// The libp2p peer id of a node: its Ed25519 public key, inlined (identity multihash).
pub fn peer_id_of(identity: &Identity) -> PeerId {
    public_key_to_peer_id(identity.public_key()).expect("an identity's key is a valid Ed25519 key")
}

/// The peer id of the Ed25519 public key `key`, if it is a valid key.
pub fn public_key_to_peer_id(key: &[u8; 32]) -> Option<PeerId> {
    let pk = identity::ed25519::PublicKey::try_from_bytes(key).ok()?;
    Some(identity::PublicKey::from(pk).to_peer_id())
}

/// The Ed25519 public key inside an Ed25519 peer id (`None` for other key types or hashed ids).
pub fn public_key_of(peer: &PeerId) -> Option<[u8; 32]> {
    let mh = peer.as_ref();
    // Identity multihash (code 0): the digest is the protobuf-encoded public key.
    if mh.code() != 0 {
        return None;
    }
    let pk = identity::PublicKey::try_decode_protobuf(mh.digest()).ok()?;
    Some(pk.try_into_ed25519().ok()?.to_bytes())
}

/// The [`NodeId`] of the node behind `peer` (`None` unless `peer` is an Ed25519 peer id).
pub fn node_id_of(peer: &PeerId) -> Option<NodeId> {
    public_key_of(peer).map(|k| NodeId::from_public_key(&k))
}

/// Fails with [`NetError::AddressInUse`] if `addr`'s fixed port is taken. libp2p's TCP
/// listeners set `SO_REUSEPORT`, so a second node on the same port would bind successfully and
/// share the port with the first; a plain bind (no `SO_REUSEPORT`) fails if any socket holds it.
fn probe_port(addr: &Multiaddr) -> Result<(), NetError> {
    use libp2p::multiaddr::Protocol;
    let mut it = addr.iter();
    let ip: std::net::IpAddr = match it.next() {
        Some(Protocol::Ip4(ip)) => ip.into(),
        Some(Protocol::Ip6(ip)) => ip.into(),
        _ => return Ok(()),
    };
    let r = match it.next() {
        Some(Protocol::Tcp(port)) if port != 0 => std::net::TcpListener::bind((ip, port)).map(drop),
        Some(Protocol::Udp(port)) if port != 0 => std::net::UdpSocket::bind((ip, port)).map(drop),
        _ => Ok(()),
    };
    match r {
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
            Err(NetError::AddressInUse { addr: addr.clone() })
        }
        // Other bind errors surface from libp2p's own bind with their context.
        _ => Ok(()),
    }
}

/// How long [`start`] waits for each listener to report its address.
const LISTEN_WAIT: Duration = Duration::from_secs(10);

/// Starts the network: checks `cfg`, builds the swarm with the identity's key, listens on every
/// configured address (waiting until each reports its real address), dials the bootstrap peers
/// and spawns the event loop on the current tokio runtime. Returns the client and the bounded
/// channel of [`NetEvent`]s, which the node must keep draining.
///
/// # Errors
/// [`NetError::InvalidConfig`], [`NetError::AddressInUse`] naming the address,
/// [`NetError::Listen`], [`NetError::Build`], [`NetError::Key`].
pub async fn start(
    identity: &Identity,
    cfg: NetConfig,
) -> Result<(NetClient, mpsc::Receiver<NetEvent>), NetError> {
    start_with_keypair(keypair_of(identity)?, cfg).await
}

/// [`start`] with a libp2p key pair (tests and tools that have no [`Identity`]).
///
/// # Errors
/// As [`start`].
pub async fn start_with_keypair(
    key: identity::Keypair,
    cfg: NetConfig,
) -> Result<(NetClient, mpsc::Receiver<NetEvent>), NetError> {
    cfg.validate()?;
    let listen = cfg.listen_addrs()?;
    let bootstrap = cfg.bootstrap_peers()?;
    let local_peer_id = key.public().to_peer_id();
    let mut swarm = behaviour::build_swarm(key, &cfg)?;

    let mut listeners = HashMap::new();
    for addr in listen {
        probe_port(&addr)?;
        match swarm.listen_on(addr.clone()) {
            Ok(id) => {
                listeners.insert(id, addr);
            }
            Err(e) if error::is_addr_in_use(&e) => return Err(NetError::AddressInUse { addr }),
            Err(e) => {
                return Err(NetError::Listen {
                    addr,
                    reason: e.to_string(),
                });
            }
        }
    }
    let (events_tx, events_rx) = mpsc::channel(cfg.channel_capacity);
    let mut listen_addrs = Vec::new();
    let mut waiting: HashSet<_> = listeners.keys().copied().collect();
    let wait = async {
        while !waiting.is_empty() {
            match swarm.select_next_some().await {
                SwarmEvent::NewListenAddr {
                    listener_id,
                    address,
                } => {
                    waiting.remove(&listener_id);
                    listen_addrs.push(address);
                }
                SwarmEvent::ListenerClosed {
                    listener_id,
                    reason,
                    ..
                } => {
                    let addr = listeners[&listener_id].clone();
                    return Err(match reason {
                        Err(e) if error::is_addr_in_use(&e) => NetError::AddressInUse { addr },
                        Err(e) => NetError::Listen {
                            addr,
                            reason: e.to_string(),
                        },
                        Ok(()) => NetError::Listen {
                            addr,
                            reason: "listener closed".into(),
                        },
                    });
                }
                SwarmEvent::ListenerError { listener_id, error } => {
                    let addr = listeners[&listener_id].clone();
                    return Err(if error::is_addr_in_use(&error) {
                        NetError::AddressInUse { addr }
                    } else {
                        NetError::Listen {
                            addr,
                            reason: error.to_string(),
                        }
                    });
                }
                _ => {}
            }
        }
        Ok(())
    };
    match tokio::time::timeout(LISTEN_WAIT, wait).await {
        Ok(r) => r?,
        Err(_) => {
            return Err(NetError::Listen {
                addr: listeners
                    .into_values()
                    .next()
                    .expect("at least one listener"),
                reason: "no listen address reported in time".into(),
            });
        }
    }
    for a in &listen_addrs {
        let _ = events_tx.try_send(NetEvent::ListenAddr(a.clone()));
    }

    for (peer, addr) in &bootstrap {
        swarm.behaviour_mut().kad.add_address(peer, addr.clone());
        if let Err(e) = swarm.dial(addr.clone()) {
            tracing::warn!(%addr, "dialling bootstrap peer: {e}");
        }
    }

    let (cmd_tx, cmd_rx) = mpsc::channel(cfg.channel_capacity);
    let peers = peers::PeerManager::new(
        cfg.min_peers,
        cfg.max_peers,
        cfg.initial_trust,
        cfg.trust_threshold,
        cfg.ban_duration(),
    );
    let dropped = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let client = NetClient {
        cmd: cmd_tx,
        local_peer_id,
        fetch_timeout: cfg.request_timeout(),
        dropped: dropped.clone(),
    };
    let event_loop = event_loop::EventLoop {
        swarm,
        topics: behaviour::topic_map(&cfg.chain),
        cfg,
        commands: cmd_rx,
        events: events_tx,
        peers,
        bootstrap,
        listen_addrs,
        pending: HashMap::new(),
        announced: HashSet::new(),
        dropped,
        overflow: std::collections::VecDeque::new(),
    };
    tokio::spawn(event_loop.run());
    Ok((client, events_rx))
}
