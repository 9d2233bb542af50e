//! The event loop: one task owns the [`Swarm`], takes [`Command`]s from clients, turns swarm
//! events into [`NetEvent`]s, and runs peer management on a timer. It never waits on a full
//! channel. When the node's channel is full:
//!
//! - a **transaction** (gossip on the `tx` topic, the bulk of the traffic) is dropped and
//!   reported `Ignore`; the node can fetch it again when a peer's observation names it;
//! - **everything else** (observations and evidence, metadata, requests, peer events: little
//!   traffic, and what agreement rests on) waits in an overflow queue of its own, handed over as
//!   soon as the channel has room. Only if that queue is full too
//!   ([`OVERFLOW_PER_CAPACITY`] × the channel's capacity) is such an event dropped (a gossip
//!   message is then reported `Ignore`, a request left unanswered).
//!
//! Every drop is counted ([`super::NetClient::dropped_events`]).

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use futures::StreamExt;
use libp2p::gossipsub::{self, MessageAcceptance, MessageId, TopicHash};
use libp2p::request_response::{self, OutboundRequestId};
use libp2p::swarm::SwarmEvent;
use libp2p::{Multiaddr, PeerId, Swarm, identify, kad};
use tokio::sync::{mpsc, oneshot};

use super::behaviour::{
    Behaviour, BehaviourEvent, IDENTIFY_PROTOCOL, KAD_PROTOCOL, Response, Topic,
};
use super::client::{Acceptance, Command, PeerInfo, Responder};
use super::peers::PeerManager;
use super::{NetConfig, NetError};

/// What the network tells the node.
#[derive(Debug)]
pub enum NetEvent {
    /// A gossip message waiting for the node's verdict
    /// ([`super::NetClient::report_validation`] with `message_id` and `source`).
    Gossip {
        /// Its topic.
        topic: Topic,
        /// The peer it came from (not necessarily its author: gossip messages carry no
        /// author, each payload authenticates itself).
        source: PeerId,
        /// Its id: SHA-256 of `data`.
        message_id: MessageId,
        /// The payload.
        data: Vec<u8>,
    },
    /// A peer asks for an object; answer with [`super::NetClient::respond`].
    Request {
        /// The asking peer.
        peer: PeerId,
        /// What it asks for.
        request: super::Request,
        /// Where the answer goes.
        responder: Responder,
    },
    /// A first connection to a peer is up (and it was not evicted).
    PeerConnected(PeerId),
    /// The last connection to a peer is gone.
    PeerDisconnected(PeerId),
    /// The node listens on a new address.
    ListenAddr(Multiaddr),
}

/// The overflow queue for events that are not dropped at once holds this many times the
/// channel's capacity.
pub(crate) const OVERFLOW_PER_CAPACITY: usize = 16;

pub(crate) struct EventLoop {
    pub(crate) swarm: Swarm<Behaviour>,
    pub(crate) cfg: NetConfig,
    pub(crate) commands: mpsc::Receiver<Command>,
    pub(crate) events: mpsc::Sender<NetEvent>,
    pub(crate) peers: PeerManager,
    pub(crate) topics: HashMap<TopicHash, Topic>,
    pub(crate) bootstrap: Vec<(PeerId, Multiaddr)>,
    pub(crate) listen_addrs: Vec<Multiaddr>,
    pub(crate) pending:
        HashMap<OutboundRequestId, (PeerId, oneshot::Sender<Result<Response, NetError>>)>,
    /// Events dropped because the node's channel was full (shared with the clients).
    pub(crate) dropped: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// Peers the node was told about as connected (so that disconnections pair with them).
    pub(crate) announced: std::collections::HashSet<PeerId>,
    /// Events waiting for room on the node's channel (never transactions).
    pub(crate) overflow: VecDeque<NetEvent>,
}

impl EventLoop {
    pub(crate) async fn run(mut self) {
        let mut tick = tokio::time::interval(Duration::from_millis(self.cfg.peer_tick_ms));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // A handle of its own, so that a permit does not borrow `self`.
        let events = self.events.clone();
        loop {
            tokio::select! {
                cmd = self.commands.recv() => match cmd {
                    Some(Command::Shutdown { reply }) => {
                        let _ = reply.send(());
                        break;
                    }
                    Some(cmd) => self.on_command(cmd),
                    // Every client is gone: nobody can use the network any more.
                    None => break,
                },
                permit = events.reserve(), if !self.overflow.is_empty() => match permit {
                    Ok(permit) => {
                        if let Some(ev) = self.overflow.pop_front() {
                            permit.send(ev);
                        }
                    }
                    // The node is gone: nobody will take them.
                    Err(_) => self.overflow.clear(),
                },
                ev = self.swarm.select_next_some() => self.on_swarm_event(ev),
                _ = tick.tick() => self.on_tick(),
            }
        }
        for (_, (peer, reply)) in self.pending.drain() {
            let _ = reply.send(Err(NetError::Fetch {
                peer,
                reason: "network shut down".into(),
            }));
        }
    }

    /// Hands `ev` to the node without waiting, or queues it in the overflow (see the module
    /// doc); false if it was dropped.
    fn emit(&mut self, ev: NetEvent) -> bool {
        let droppable = matches!(
            ev,
            NetEvent::Gossip {
                topic: Topic::Tx,
                ..
            }
        );
        // Others keep their order: they go straight to the channel only behind an empty
        // overflow.
        let ev = if droppable || self.overflow.is_empty() {
            match self.events.try_send(ev) {
                Ok(()) => return true,
                Err(mpsc::error::TrySendError::Closed(_)) => return false,
                Err(mpsc::error::TrySendError::Full(ev)) => ev,
            }
        } else {
            ev
        };
        let limit = self.events.max_capacity() * OVERFLOW_PER_CAPACITY;
        if droppable || self.overflow.len() >= limit {
            self.dropped
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            tracing::debug!(
                droppable,
                "network event dropped: the node's event channel is full"
            );
            return false;
        }
        self.overflow.push_back(ev);
        true
    }

    fn on_command(&mut self, cmd: Command) {
        let b = self.swarm.behaviour_mut();
        match cmd {
            Command::Publish { topic, data, reply } => {
                let r = b
                    .gossipsub
                    .publish(topic.ident(&self.cfg.chain), data)
                    .map_err(|e| NetError::Publish {
                        topic: topic.name(&self.cfg.chain),
                        reason: e.to_string(),
                    });
                answer(reply, r);
            }
            Command::Report {
                message_id,
                source,
                acceptance,
                reply,
            } => {
                let a = match acceptance {
                    Acceptance::Accept => MessageAcceptance::Accept,
                    Acceptance::Reject => MessageAcceptance::Reject,
                    Acceptance::Ignore => MessageAcceptance::Ignore,
                };
                let found = b
                    .gossipsub
                    .report_message_validation_result(&message_id, &source, a);
                if let Some(reply) = reply {
                    let _ = reply.send(found);
                }
            }
            Command::Fetch {
                peer,
                request,
                reply,
            } => {
                if self.peers.is_banned(&peer) {
                    let _ = reply.send(Err(NetError::Fetch {
                        peer,
                        reason: "peer is banned".into(),
                    }));
                    return;
                }
                let id = b.fetch.send_request(&peer, request);
                self.pending.insert(id, (peer, reply));
            }
            Command::Respond {
                responder,
                response,
                reply,
            } => {
                let r = b
                    .fetch
                    .send_response(responder.0, response)
                    .map_err(|_| NetError::Respond);
                answer(reply, r);
            }
            Command::SetTrust { peer, score, reply } => {
                b.gossipsub.set_application_score(&peer, score);
                if self.peers.set_trust(peer, score, Instant::now()) {
                    tracing::info!(%peer, score, "trust below threshold: peer banned");
                    // Closes its connections and denies new ones, both ways.
                    self.swarm.behaviour_mut().blocked.block_peer(peer);
                }
                let _ = reply.send(());
            }
            Command::Dial { addr, reply } => {
                let r = self.swarm.dial(addr.clone()).map_err(|e| NetError::Dial {
                    target: addr.to_string(),
                    reason: e.to_string(),
                });
                let _ = reply.send(r);
            }
            Command::Ban {
                peer,
                duration,
                reply,
            } => {
                tracing::info!(%peer, ?duration, "peer banned by the operator");
                self.peers.ban(peer, Instant::now() + duration);
                self.swarm.behaviour_mut().blocked.block_peer(peer);
                let _ = reply.send(());
            }
            Command::Unban { peer, reply } => {
                let was = self.peers.unban(&peer);
                self.swarm.behaviour_mut().blocked.unblock_peer(peer);
                let _ = reply.send(was);
            }
            Command::Peers { reply } => {
                let subs: HashMap<PeerId, Vec<Topic>> = b
                    .gossipsub
                    .all_peers()
                    .map(|(p, ts)| {
                        (
                            *p,
                            ts.iter()
                                .filter_map(|t| self.topics.get(*t).copied())
                                .collect(),
                        )
                    })
                    .collect();
                let mut out: Vec<PeerInfo> = self
                    .swarm
                    .connected_peers()
                    .map(|p| PeerInfo {
                        peer_id: *p,
                        trust: self.peers.trust(p),
                        gossip_score: self.swarm.behaviour().gossipsub.peer_score(p),
                        topics: subs.get(p).cloned().unwrap_or_default(),
                    })
                    .collect();
                out.sort_by_key(|p| p.peer_id);
                let _ = reply.send(out);
            }
            Command::GossipScore { peer, reply } => {
                let _ = reply.send(b.gossipsub.peer_score(&peer));
            }
            Command::MeshPeers { topic, reply } => {
                let hash = topic.ident(&self.cfg.chain).hash();
                let _ = reply.send(b.gossipsub.mesh_peers(&hash).copied().collect());
            }
            Command::ListenAddrs { reply } => {
                let _ = reply.send(self.listen_addrs.clone());
            }
            Command::Shutdown { reply } => {
                // Handled in `run`.
                let _ = reply.send(());
            }
        }
    }

    fn on_swarm_event(&mut self, ev: SwarmEvent<BehaviourEvent>) {
        match ev {
            SwarmEvent::Behaviour(ev) => self.on_behaviour_event(ev),
            SwarmEvent::NewListenAddr { address, .. } => {
                tracing::info!(%address, "listening");
                if !self.listen_addrs.contains(&address) {
                    self.listen_addrs.push(address.clone());
                }
                let _ = self.emit(NetEvent::ListenAddr(address));
            }
            SwarmEvent::ExpiredListenAddr { address, .. } => {
                self.listen_addrs.retain(|a| a != &address);
            }
            SwarmEvent::ConnectionEstablished {
                peer_id,
                num_established,
                ..
            } => {
                if num_established.get() != 1 {
                    return;
                }
                if self.peers.is_banned(&peer_id) {
                    let _ = self.swarm.disconnect_peer_id(peer_id);
                    return;
                }
                let trust = self.peers.trust(&peer_id);
                self.swarm
                    .behaviour_mut()
                    .gossipsub
                    .set_application_score(&peer_id, trust);
                match self.peers.on_connected(peer_id, Instant::now()) {
                    Some(victim) => {
                        tracing::info!(%victim, "at max_peers: evicting the lowest-trust peer");
                        let _ = self.swarm.disconnect_peer_id(victim);
                        if victim != peer_id {
                            self.announce(peer_id);
                        }
                    }
                    None => self.announce(peer_id),
                }
            }
            SwarmEvent::ConnectionClosed {
                peer_id,
                num_established: 0,
                ..
            } => {
                self.peers.on_disconnected(&peer_id);
                if self.announced.remove(&peer_id) {
                    let _ = self.emit(NetEvent::PeerDisconnected(peer_id));
                }
            }
            _ => {}
        }
    }

    fn announce(&mut self, peer: PeerId) {
        self.announced.insert(peer);
        let _ = self.emit(NetEvent::PeerConnected(peer));
    }

    fn on_behaviour_event(&mut self, ev: BehaviourEvent) {
        match ev {
            BehaviourEvent::Gossipsub(gossipsub::Event::Message {
                propagation_source,
                message_id,
                message,
            }) => {
                let Some(topic) = self.topics.get(&message.topic).copied() else {
                    // The subscription whitelist makes this unreachable; reject to be safe.
                    self.swarm
                        .behaviour_mut()
                        .gossipsub
                        .report_message_validation_result(
                            &message_id,
                            &propagation_source,
                            MessageAcceptance::Reject,
                        );
                    return;
                };
                let ev = NetEvent::Gossip {
                    topic,
                    source: propagation_source,
                    message_id: message_id.clone(),
                    data: message.data,
                };
                if !self.emit(ev) {
                    self.swarm
                        .behaviour_mut()
                        .gossipsub
                        .report_message_validation_result(
                            &message_id,
                            &propagation_source,
                            MessageAcceptance::Ignore,
                        );
                }
            }
            BehaviourEvent::Gossipsub(gossipsub::Event::SlowPeer { peer_id, .. }) => {
                tracing::debug!(%peer_id, "gossipsub: slow peer");
            }
            BehaviourEvent::Gossipsub(_) => {}
            BehaviourEvent::Fetch(request_response::Event::Message { peer, message, .. }) => {
                match message {
                    request_response::Message::Request {
                        request, channel, ..
                    } => {
                        // On a full channel the responder is dropped: the requester fails fast.
                        let _ = self.emit(NetEvent::Request {
                            peer,
                            request,
                            responder: Responder(channel),
                        });
                    }
                    request_response::Message::Response {
                        request_id,
                        response,
                    } => {
                        if let Some((_, reply)) = self.pending.remove(&request_id) {
                            let _ = reply.send(Ok(response));
                        }
                    }
                }
            }
            BehaviourEvent::Fetch(request_response::Event::OutboundFailure {
                peer,
                request_id,
                error,
                ..
            }) => {
                if let Some((_, reply)) = self.pending.remove(&request_id) {
                    let err = match error {
                        request_response::OutboundFailure::Timeout => {
                            NetError::FetchTimeout { peer }
                        }
                        other => NetError::Fetch {
                            peer,
                            reason: other.to_string(),
                        },
                    };
                    let _ = reply.send(Err(err));
                }
            }
            BehaviourEvent::Fetch(_) => {}
            BehaviourEvent::Identify(identify::Event::Received { peer_id, info, .. }) => {
                if info.protocol_version != IDENTIFY_PROTOCOL {
                    tracing::debug!(%peer_id, version = %info.protocol_version, "not a ramjet peer");
                    let _ = self.swarm.disconnect_peer_id(peer_id);
                } else if info.protocols.contains(&KAD_PROTOCOL) {
                    for a in info.listen_addrs {
                        self.swarm.behaviour_mut().kad.add_address(&peer_id, a);
                    }
                }
            }
            BehaviourEvent::Identify(_) => {}
            BehaviourEvent::Kad(kad::Event::RoutingUpdated { peer, .. }) => {
                self.maybe_dial(peer);
            }
            BehaviourEvent::Kad(kad::Event::OutboundQueryProgressed {
                result: kad::QueryResult::GetClosestPeers(Ok(ok)),
                ..
            }) => {
                for p in ok.peers {
                    self.maybe_dial(p.peer_id);
                }
            }
            BehaviourEvent::Kad(_) => {}
            BehaviourEvent::Blocked(_) | BehaviourEvent::Limits(_) => {}
        }
    }

    /// Dials `peer` if the node is below `min_peers` and the peer may be dialled.
    fn maybe_dial(&mut self, peer: PeerId) {
        if peer != *self.swarm.local_peer_id()
            && self.peers.below_min()
            && self.peers.may_dial(&peer)
            && !self.swarm.is_connected(&peer)
        {
            let _ = self.swarm.dial(peer);
        }
    }

    fn on_tick(&mut self) {
        for peer in self.peers.expire(Instant::now()) {
            tracing::info!(%peer, "ban expired");
            self.swarm.behaviour_mut().blocked.unblock_peer(peer);
            self.swarm
                .behaviour_mut()
                .gossipsub
                .set_application_score(&peer, self.peers.trust(&peer));
        }
        if !self.peers.below_min() {
            return;
        }
        for (peer, addr) in self.bootstrap.clone() {
            if self.peers.may_dial(&peer) && !self.swarm.is_connected(&peer) {
                let _ = self.swarm.dial(addr);
            }
        }
        // A random walk: the query's answers are dialled as they come in (`maybe_dial`).
        let _ = self
            .swarm
            .behaviour_mut()
            .kad
            .get_closest_peers(PeerId::random());
    }
}

/// Sends `result` to the caller waiting for it, or, for a detached call (no one waits), logs a
/// failure at debug level.
fn answer<T>(reply: Option<oneshot::Sender<Result<T, NetError>>>, result: Result<T, NetError>) {
    match reply {
        Some(reply) => {
            let _ = reply.send(result);
        }
        None => {
            if let Err(e) = result {
                tracing::debug!("{e}");
            }
        }
    }
}
