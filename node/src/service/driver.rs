//! The driver: the one task that owns the [`ProtocolNode`] and feeds it, in order, gossip,
//! fetch requests, client commands, repaired transactions and timers.
//!
//! **Repair.** A transaction the network lost on the way (or dropped because this node was
//! behind, see [`crate::net`]'s event loop) is named by its observers' next roots: the node
//! asks for it ([`Action::Fetch`]), and the driver fetches it from the peer that sent those
//! roots — in batches of up to [`Request::MAX_BATCH`], at most [`MAX_REPAIRS`] transactions at
//! a time — and hands it in like a gossiped one.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use libp2p::gossipsub::MessageId as GossipId;
use tokio::sync::{broadcast, mpsc};
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

use super::backpressure::{Announcer, PeersBehind};
use super::handle::{Command, QueryView, StampedEvent, SubmitOutcome};
use super::meta::{ANNOUNCE_INTERVAL, PeerMeta};
use super::txgossip::{self, Verdicts};
use super::{fetch, now_ms};
use crate::Result;
use crate::config::Mode;
use crate::consensus::{KIND_TX_BATCH, Message, decode_tx_batch};
use crate::identity::NodeId;
use crate::metrics::NodeMetrics;
use crate::net::{self, NetClient, NetError, NetEvent, PeerId, Request, Response, Topic};
use crate::protocol::{Acceptance, Action, ProtocolNode};
use crate::tx::{Transaction, TxHash};

/// How often the node's trust in its connected peers is pushed to the network layer (their
/// gossipsub application score, bans below the threshold).
const TRUST_PUSH_INTERVAL: Duration = Duration::from_secs(1);

/// Most transactions awaiting signature verification before client submissions are refused.
const MAX_QUEUED: usize = 4_096;

/// How long client submissions stay refused, and final decisions paused, after the network
/// dropped an event: long enough for the peers' next roots to name what was lost and for the
/// repair fetch to start (decisions then stay paused while it runs).
const DROP_COOLDOWN: Duration = Duration::from_secs(2);

/// Most repair fetches in flight at once; transactions asked for beyond it are asked for again
/// when the next roots name them.
const MAX_REPAIRS: usize = 1_024;

/// A peer's roots handled more than 1/this of the quiet period after they were flushed mean
/// messages take too long between the nodes for the quiet period to be safe (it must exceed
/// two hops, `docs/consensus.md`): the node then pauses its decisions and refuses submissions
/// for one quiet period.
const LATE_SHARE_OF_QUIET: u64 = 2;

/// Roots stamped further in the past than this are not taken as a sign of load (a clock off,
/// or a peer lying about its flush time), only logged.
const MAX_CREDIBLE_LATENESS_MS: u64 = 10_000;

/// How long after a peer connects the node announces its metadata.
const ANNOUNCE_AFTER_CONNECT: Duration = Duration::from_millis(1500);

/// The gossip topic a message belongs on.
pub(crate) fn topic_of(message: &Message) -> Topic {
    match message {
        Message::Tx(_) => Topic::Tx,
        Message::Roots { .. } | Message::Evidence(_) => Topic::Obs,
    }
}

/// This node's own load ([`Driver::own_load`]).
struct OwnLoad {
    /// It refuses its clients.
    refuse: bool,
    /// Behind with its own work (work waiting): it says so to its peers. A drop or a peer's
    /// late roots make it refuse its clients for a while, but are not announced: they are
    /// signs of the network's delays, which every node measures for itself, and announcing
    /// them would make every node refuse whenever any one of them saw a late message.
    behind: bool,
    /// How late a peer's late roots were, while that counts (else 0).
    late_ms: u64,
    /// How long this node's own work last held it deaf, while that counts (else 0).
    stalled_ms: u64,
    /// Transactions awaiting their signature batch.
    queued: usize,
    /// Network events not yet taken.
    backlog: usize,
    /// Network events dropped since start.
    dropped: u64,
}

/// The outcome of a repair fetch.
struct Repaired {
    txs: Vec<TxHash>,
    peer: PeerId,
    result: std::result::Result<Response, NetError>,
}

/// One input to the driver.
enum Input {
    Stop,
    Command(Command),
    CommandsClosed,
    Net(NetEvent),
    NetClosed,
    Repaired(Repaired),
    Timer,
    PushTrust,
    Announce,
}

/// The driver's channels: network events in, commands in, node events out.
pub(crate) struct Channels {
    pub(crate) net_events: mpsc::Receiver<NetEvent>,
    pub(crate) commands: mpsc::Receiver<Command>,
    pub(crate) events: broadcast::Sender<StampedEvent>,
}

pub(crate) struct Driver {
    node: ProtocolNode,
    mode: Mode,
    net: NetClient,
    net_events: mpsc::Receiver<NetEvent>,
    commands: mpsc::Receiver<Command>,
    commands_open: bool,
    events: broadcast::Sender<StampedEvent>,
    shutdown: CancellationToken,
    /// Gossip verdicts waiting on signature batches.
    verdicts: Verdicts,
    /// The largest transaction batch frame ([`txgossip::frame_limit`]).
    max_gossip_bytes: usize,
    meta: HashMap<PeerId, PeerMeta>,
    submitted: u64,
    metrics: Option<NodeMetrics>,
    /// Network events dropped so far, as last seen.
    dropped_seen: u64,
    /// Refuse client submissions (and pause decisions) until then: after a drop, late roots
    /// or a stall.
    refuse_until: Option<std::time::Instant>,
    /// How late the last late roots were (ms), while `refuse_until` runs.
    late_ms: u64,
    /// How long the last stall held the driver (ms), while `refuse_until` runs.
    stalled_ms: u64,
    /// A peer connected: announce soon (once gossipsub has had a heartbeat to take it in).
    announce_soon: bool,
    /// When to say whether this node is behind.
    announcer: Announcer,
    /// Connected validators that say they are behind.
    peers_behind: PeersBehind,
    /// Transactions being fetched for repair.
    repairing: HashSet<TxHash>,
    repaired_tx: mpsc::Sender<Repaired>,
    repaired_rx: mpsc::Receiver<Repaired>,
}

impl Driver {
    pub(crate) fn new(
        node: ProtocolNode,
        mode: Mode,
        net: NetClient,
        channels: Channels,
        shutdown: CancellationToken,
        metrics: Option<NodeMetrics>,
        max_gossip_bytes: usize,
    ) -> Self {
        let Channels {
            net_events,
            commands,
            events,
        } = channels;
        let (repaired_tx, repaired_rx) = mpsc::channel(MAX_REPAIRS);
        Self {
            node,
            mode,
            net,
            net_events,
            commands,
            commands_open: true,
            events,
            shutdown,
            verdicts: Verdicts::default(),
            max_gossip_bytes,
            meta: HashMap::new(),
            submitted: 0,
            metrics,
            announce_soon: false,
            announcer: Announcer::default(),
            peers_behind: PeersBehind::default(),
            dropped_seen: 0,
            refuse_until: None,
            late_ms: 0,
            stalled_ms: 0,
            repairing: HashSet::new(),
            repaired_tx,
            repaired_rx,
        }
    }

    pub(crate) async fn run(mut self) -> Result<()> {
        let mut trust = tokio::time::interval(TRUST_PUSH_INTERVAL);
        trust.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut announce = tokio::time::interval(ANNOUNCE_INTERVAL);
        announce.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let result = loop {
            self.update_pause();
            let wait = self.node.next_deadline().saturating_sub(now_ms());
            let sleep = tokio::time::sleep(Duration::from_millis(wait));
            let input = tokio::select! {
                biased;
                () = self.shutdown.cancelled() => Input::Stop,
                () = sleep => Input::Timer,
                ev = self.net_events.recv() => ev.map_or(Input::NetClosed, Input::Net),
                // The driver holds a sender itself: this never ends.
                Some(r) = self.repaired_rx.recv() => Input::Repaired(r),
                cmd = self.commands.recv(), if self.commands_open => {
                    cmd.map_or(Input::CommandsClosed, Input::Command)
                }
                _ = trust.tick() => Input::PushTrust,
                _ = announce.tick() => Input::Announce,
            };
            // From here to the end of the iteration the driver takes no message.
            let working = std::time::Instant::now();
            let step = match input {
                Input::Stop => break Ok(()),
                Input::NetClosed => {
                    break Err(crate::NodeError::Service(
                        "the network event loop stopped".into(),
                    ));
                }
                Input::CommandsClosed => {
                    self.commands_open = false;
                    Ok(())
                }
                Input::Command(cmd) => self.on_command(cmd).await,
                Input::Net(ev) => self.on_net(ev).await,
                Input::Repaired(r) => self.on_repaired(r).await,
                Input::Timer => Ok(()),
                Input::PushTrust => {
                    self.push_trust().await;
                    Ok(())
                }
                Input::Announce => {
                    let behind = self.own_load().behind;
                    self.announcer.made(behind, std::time::Instant::now());
                    self.announce(behind).await;
                    Ok(())
                }
            };
            if let Err(e) = step {
                break Err(e);
            }
            if std::mem::take(&mut self.announce_soon) {
                announce.reset_after(ANNOUNCE_AFTER_CONNECT);
            }
            // Timers are due whatever woke the driver: a busy network must not starve them.
            self.update_pause();
            let behind = self.own_load().behind;
            if self.announcer.due(behind, std::time::Instant::now()) {
                self.announce(behind).await;
            }
            let now = now_ms();
            if now >= self.node.next_deadline() {
                match self.node.on_timer(now) {
                    Ok(actions) => self.carry_out(actions, now, None).await,
                    Err(e) => break Err(e),
                }
            }
            self.note_stall(working.elapsed());
        };
        if let Err(e) = &result {
            tracing::error!("node stopped: {e}");
        }
        // Whatever ended the loop, everyone waiting on the node's token (the API, `ramjet node`)
        // learns that the node is gone.
        self.shutdown.cancel();
        // Everything reported accepted is already on disk: the ledger writes before it
        // reports. Transactions still pending are not final and are simply not kept.
        let _ = self.net.shutdown().await;
        result
    }

    async fn on_command(&mut self, cmd: Command) -> Result<()> {
        match cmd {
            Command::Submit { txs, reply } => {
                if let Some(e) = self.overloaded() {
                    let _ = reply.send(Err(e));
                    return Ok(());
                }
                let now = now_ms();
                let mut outcomes = Vec::with_capacity(txs.len());
                let mut actions = Vec::new();
                for tx in txs {
                    let hash = tx.hash();
                    let (submission, more) = self.node.submit(tx, now);
                    actions.extend(more);
                    outcomes.push(SubmitOutcome {
                        tx: hash,
                        submission,
                    });
                }
                self.submitted += outcomes.len() as u64;
                if let Some(m) = &self.metrics {
                    m.on_submit(outcomes.len());
                }
                let _ = reply.send(Ok(outcomes));
                self.carry_out(actions, now, None).await;
            }
            Command::Query(query) => query(&QueryView {
                node: &self.node,
                now_ms: now_ms(),
                meta: &self.meta,
                submitted: self.submitted,
            }),
            Command::ForgetTrust(node) => self.node.forget_trust(&node),
        }
        Ok(())
    }

    /// Admission control: client submissions are refused while this node or a connected
    /// validator is behind ([`Self::own_load`], [`PeersBehind`]), so that an overload slows
    /// clients down instead of making nodes drop their peers' messages or fall behind them
    /// (which breaks the timing assumption conflict resolution rests on, `docs/consensus.md`).
    fn overloaded(&mut self) -> Option<crate::NodeError> {
        let peers_behind = self.peers_behind.count(std::time::Instant::now());
        let load = self.own_load();
        (load.refuse || peers_behind > 0).then(|| crate::NodeError::Overloaded {
            late_ms: load.late_ms,
            stalled_ms: load.stalled_ms,
            queued: load.queued,
            backlog: load.backlog,
            dropped: load.dropped,
            peers_behind,
        })
    }

    /// This node's own load: whether it refuses its clients by it (too many transactions await
    /// verification, the network event channel is filling, within [`DROP_COOLDOWN`] of the
    /// network dropping an event, or within one quiet period of a peer's roots arriving late
    /// or of a stall),
    /// and whether it is behind with its work (the first two: what it announces to its peers).
    fn own_load(&mut self) -> OwnLoad {
        let now = std::time::Instant::now();
        let dropped = self.note_drops(now);
        let queued = self.node.queued();
        let backlog = self.net_events.len();
        let net_limit = self.net_events.max_capacity() / 4;
        let cooling = self.refuse_until.is_some_and(|t| now < t);
        let behind = queued > MAX_QUEUED || backlog > net_limit;
        OwnLoad {
            refuse: behind || cooling,
            behind,
            late_ms: if cooling { self.late_ms } else { 0 },
            stalled_ms: if cooling { self.stalled_ms } else { 0 },
            queued,
            backlog,
            dropped,
        }
    }

    /// Notes new network drops (starting a [`DROP_COOLDOWN`]); returns the total so far.
    fn note_drops(&mut self, now: std::time::Instant) -> u64 {
        let dropped = self.net.dropped_events();
        if dropped > self.dropped_seen {
            self.dropped_seen = dropped;
            self.refuse_until = Some(now + DROP_COOLDOWN);
        }
        dropped
    }

    /// Notes a peer's roots flushed at `flushed_ms` and handled now: if they are late (see
    /// [`LATE_SHARE_OF_QUIET`]), decisions pause and submissions are refused for one quiet
    /// period.
    fn note_lateness(&mut self, flushed_ms: u64) {
        let late = now_ms().saturating_sub(flushed_ms);
        if late > MAX_CREDIBLE_LATENESS_MS {
            tracing::debug!(
                late,
                "roots stamped too far in the past to be load: ignored"
            );
        } else if late > self.late_limit_ms() {
            self.late_ms = late;
            self.cool_down();
        }
    }

    /// Notes that this node's own work (one input and the timers after it) just held it for
    /// `held` without taking a message: a signature batch on a slow device, say. What arrived
    /// meanwhile waits in its channels, and its next timer, already due, would decide before
    /// reading it. Past the limit of late roots, the node pauses and refuses submissions for
    /// one quiet period, as for late roots, and reads its channels first.
    fn note_stall(&mut self, held: Duration) {
        let held = u64::try_from(held.as_millis()).unwrap_or(u64::MAX);
        if held > self.late_limit_ms() {
            tracing::debug!(held, "the node's own work held it: decisions paused");
            self.stalled_ms = held;
            self.cool_down();
        }
    }

    /// How late a message may be handled ([`LATE_SHARE_OF_QUIET`] of the quiet period).
    fn late_limit_ms(&self) -> u64 {
        self.node.ledger().config().quiet_period_ms / LATE_SHARE_OF_QUIET
    }

    /// Pauses decisions and refuses submissions for one quiet period from now: what a message
    /// delayed that long could still bring is the other spender of a transaction whose quiet
    /// period is running.
    fn cool_down(&mut self) {
        let until = std::time::Instant::now()
            + Duration::from_millis(self.node.ledger().config().quiet_period_ms);
        self.refuse_until = Some(self.refuse_until.map_or(until, |t| t.max(until)));
    }

    /// Pauses the node's final decisions ([`ProtocolNode::set_paused`]) while it may be
    /// missing messages: within [`DROP_COOLDOWN`] of a dropped network event or one quiet
    /// period of a peer's late roots or a stall, while lost transactions are being fetched, or while the
    /// network event channel is more than a quarter full. Resumes when none holds.
    fn update_pause(&mut self) {
        let now = std::time::Instant::now();
        self.note_drops(now);
        let cooling = self.refuse_until.is_some_and(|t| now < t);
        if !cooling {
            self.late_ms = 0;
            self.stalled_ms = 0;
        }
        let backlog = self.net_events.len() > self.net_events.max_capacity() / 4;
        let paused = cooling || backlog || !self.repairing.is_empty();
        if paused != self.node.is_paused() {
            tracing::debug!(
                paused,
                cooling,
                backlog,
                repairing = self.repairing.len(),
                "final decisions {}",
                if paused { "paused" } else { "resumed" }
            );
            self.node.set_paused(paused);
            if let Some(m) = &self.metrics {
                m.set_paused(paused);
            }
        }
    }

    async fn on_net(&mut self, ev: NetEvent) -> Result<()> {
        match ev {
            NetEvent::Gossip {
                topic,
                source,
                message_id,
                data,
            } => self.on_gossip(topic, source, message_id, data).await?,
            NetEvent::Request {
                peer,
                request,
                responder,
            } => {
                let response = fetch::answer(&self.node, self.mode, &request);
                if let Err(e) = self.net.respond_detached(responder, response).await {
                    tracing::debug!(%peer, "answering a fetch: {e}");
                }
            }
            NetEvent::PeerConnected(peer) => {
                tracing::info!(%peer, "peer connected");
                // Tell the newcomer who this node is, once it is in the mesh.
                self.announce_soon = true;
            }
            NetEvent::PeerDisconnected(peer) => {
                tracing::info!(%peer, "peer disconnected");
                self.meta.remove(&peer);
                self.peers_behind.remove(&peer);
            }
            NetEvent::ListenAddr(addr) => tracing::info!(%addr, "listening"),
        }
        Ok(())
    }

    async fn on_gossip(
        &mut self,
        topic: Topic,
        source: PeerId,
        gossip_id: GossipId,
        data: Vec<u8>,
    ) -> Result<()> {
        let now = now_ms();
        let bytes = data.len();
        // Peers are Ed25519 keys (the transport's noise handshake proves it); anything else
        // could not have connected, but is refused all the same.
        let Some(from) = net::node_id_of(&source) else {
            self.count_malformed(topic, bytes);
            self.report(gossip_id, source, net::Acceptance::Reject)
                .await;
            return Ok(());
        };
        if topic == Topic::Meta {
            let opened = PeerMeta::open(&data)
                .and_then(|(key, meta)| Some((net::public_key_to_peer_id(&key)?, meta)));
            let verdict = match opened {
                // An announcement older than the one held from its author: a replay (the
                // duplicate cache forgets after `duplicate_cache_secs`), or two crossing.
                Some((author, meta))
                    if self
                        .meta
                        .get(&author)
                        .is_some_and(|held| held.time_ms > meta.time_ms) =>
                {
                    self.count_in(topic, bytes, &Acceptance::Ignore);
                    net::Acceptance::Ignore
                }
                Some((author, meta)) => {
                    // Keep one entry per connected author (bounded by the peer count).
                    if author == source || self.meta.contains_key(&author) {
                        self.peers_behind
                            .on_meta(author, &meta, std::time::Instant::now());
                        self.meta.insert(author, meta);
                    }
                    self.count_in(topic, bytes, &Acceptance::Accept);
                    net::Acceptance::Accept
                }
                None => {
                    self.node.record_malformed(from, now);
                    self.count_malformed(topic, bytes);
                    net::Acceptance::Reject
                }
            };
            self.report(gossip_id, source, verdict).await;
            return Ok(());
        }
        if topic == Topic::Tx && self.mode == Mode::Light {
            self.count_in(topic, bytes, &Acceptance::Ignore);
            self.report(gossip_id, source, net::Acceptance::Ignore)
                .await;
            return Ok(());
        }
        if topic == Topic::Tx && data.first() == Some(&KIND_TX_BATCH) {
            return self.on_tx_batch(from, source, gossip_id, &data, now).await;
        }
        let message = match Message::decode(&data) {
            Ok(m) if topic_of(&m) == topic => m,
            Ok(_) | Err(_) => {
                tracing::debug!(%source, ?topic, "malformed gossip dropped");
                self.node.record_malformed(from, now);
                self.count_malformed(topic, bytes);
                self.report(gossip_id, source, net::Acceptance::Reject)
                    .await;
                return Ok(());
            }
        };
        let id = message.id();
        let (acceptance, actions) = self.node.on_message_with_id(from, id, &message, now)?;
        self.count_in(topic, bytes, &acceptance);
        if let Acceptance::Reject(invalid) = &acceptance {
            tracing::debug!(%source, ?topic, "invalid gossip: {invalid}");
        }
        if let (Message::Roots { root, .. }, Acceptance::Accept) = (&message, &acceptance) {
            self.note_lateness(root.header.time_ms);
        }
        match acceptance {
            Acceptance::Deferred => self.verdicts.wait(gossip_id, source, vec![id], false),
            other => self.report(gossip_id, source, to_net(&other)).await,
        }
        self.carry_out(actions, now, Some(source)).await;
        Ok(())
    }

    /// A batch frame on the transaction topic (`txgossip`): each transaction is handed to the
    /// node as if gossiped alone, up to the first invalid one (the frame is then rejected and
    /// the rest not looked at). The frame's verdict is `Reject` if one is invalid, else it
    /// waits on those queued for verification, else `Accept` if one was accepted and `Ignore`
    /// if none was.
    async fn on_tx_batch(
        &mut self,
        from: NodeId,
        source: PeerId,
        gossip_id: GossipId,
        data: &[u8],
        now: u64,
    ) -> Result<()> {
        let topic = Topic::Tx;
        let txs = match decode_tx_batch(data) {
            Ok(txs) => txs,
            Err(e) => {
                tracing::debug!(%source, "malformed transaction batch dropped: {e}");
                self.node.record_malformed(from, now);
                self.count_malformed(topic, data.len());
                self.report(gossip_id, source, net::Acceptance::Reject)
                    .await;
                return Ok(());
            }
        };
        let (mut deferred, mut accepted, mut rejected) = (Vec::new(), false, None);
        let mut actions = Vec::new();
        for tx in txs {
            let message = Message::Tx(tx);
            let id = message.id();
            let (acceptance, more) = self.node.on_message_with_id(from, id, &message, now)?;
            actions.extend(more);
            match acceptance {
                Acceptance::Deferred => deferred.push(id),
                Acceptance::Accept => accepted = true,
                Acceptance::Ignore => {}
                reject @ Acceptance::Reject(_) => {
                    rejected = Some(reject);
                    break;
                }
            }
        }
        let verdict = match rejected {
            Some(reject) => reject,
            None if !deferred.is_empty() => Acceptance::Deferred,
            None if accepted => Acceptance::Accept,
            None => Acceptance::Ignore,
        };
        self.count_in(topic, data.len(), &verdict);
        match verdict {
            Acceptance::Deferred => self.verdicts.wait(gossip_id, source, deferred, accepted),
            other => {
                if let Acceptance::Reject(invalid) = &other {
                    tracing::debug!(%source, ?topic, "invalid gossip: {invalid}");
                }
                self.report(gossip_id, source, to_net(&other)).await;
            }
        }
        self.carry_out(actions, now, Some(source)).await;
        Ok(())
    }

    /// Fetches `txs` from `peer` for repair, in batches, except those already being fetched
    /// and those beyond [`MAX_REPAIRS`] in flight; a light node (no ledger) fetches nothing.
    fn repair(&mut self, txs: Vec<TxHash>, peer: PeerId) {
        if self.mode == Mode::Light {
            return;
        }
        let room = MAX_REPAIRS.saturating_sub(self.repairing.len());
        let wanted: Vec<TxHash> = txs
            .into_iter()
            .filter(|tx| self.repairing.insert(*tx))
            .take(room)
            .collect();
        for batch in wanted.chunks(Request::MAX_BATCH) {
            let net = self.net.clone();
            let out = self.repaired_tx.clone();
            let txs = batch.to_vec();
            tokio::spawn(async move {
                let request = Request::Transactions(txs.iter().map(|t| t.0).collect());
                let result = net.fetch(peer, request).await;
                let _ = out.send(Repaired { txs, peer, result }).await;
            });
        }
    }

    /// A repair fetch ended: each transaction that came and is the one asked for is handed to
    /// the node as if gossiped by `peer` (a peer answering with something else loses trust).
    async fn on_repaired(&mut self, r: Repaired) -> Result<()> {
        for tx in &r.txs {
            self.repairing.remove(tx);
        }
        let now = now_ms();
        let from = net::node_id_of(&r.peer);
        let items = match r.result {
            Ok(Response::Found(body)) => Response::decode_batch(&body, r.txs.len()),
            Ok(Response::NotFound) => Some(vec![None; r.txs.len()]),
            Err(e) => {
                tracing::debug!(peer = %r.peer, "repair fetch: {e}");
                self.count_repairs("failed", r.txs.len());
                return Ok(());
            }
        };
        let Some(items) = items else {
            // Not an answer to the request at all.
            if let Some(from) = from {
                self.node.record_malformed(from, now);
            }
            self.count_repairs("failed", r.txs.len());
            return Ok(());
        };
        for (wanted, item) in r.txs.iter().zip(items) {
            let Some(bytes) = item else {
                self.count_repairs("not_found", 1);
                continue;
            };
            match (Transaction::decode(&bytes), from) {
                (Ok(tx), Some(from)) if tx.hash() == *wanted => {
                    let (_, actions) = self.node.on_message(from, &Message::Tx(tx), now)?;
                    self.carry_out(actions, now, Some(r.peer)).await;
                    self.count_repairs("fetched", 1);
                }
                _ => {
                    if let Some(from) = from {
                        self.node.record_malformed(from, now);
                    }
                    self.count_repairs("failed", 1);
                }
            }
        }
        Ok(())
    }

    fn count_repairs(&self, outcome: &str, n: usize) {
        if let Some(m) = &self.metrics {
            for _ in 0..n {
                m.on_repair(outcome);
            }
        }
    }

    fn count_malformed(&self, topic: Topic, bytes: usize) {
        if let Some(m) = &self.metrics {
            m.on_malformed(NodeMetrics::topic_label(topic), bytes);
        }
    }

    /// Counts a received gossip message with the node's verdict.
    fn count_in(&self, topic: Topic, bytes: usize, acceptance: &Acceptance) {
        if let Some(m) = &self.metrics {
            m.on_gossip_in(NodeMetrics::topic_label(topic), bytes, acceptance);
        }
    }

    async fn report(&self, gossip_id: GossipId, source: PeerId, acceptance: net::Acceptance) {
        if let Err(e) = self
            .net
            .report_detached(gossip_id, source, acceptance)
            .await
        {
            tracing::debug!("reporting a gossip verdict: {e}");
        }
    }

    /// Carries out the node's actions; `source` is the peer whose message caused them (where
    /// repairs are fetched from).
    async fn carry_out(&mut self, actions: Vec<Action>, now: u64, source: Option<PeerId>) {
        let mut wanted = Vec::new();
        let mut txs = Vec::new();
        for action in actions {
            match action {
                // Published together, as few frames as fit, before any other message (roots
                // name them) and at the end.
                Action::Publish(Message::Tx(tx)) => txs.push(tx.encode()),
                Action::Publish(message) => {
                    self.publish_txs(std::mem::take(&mut txs)).await;
                    if self.mode != Mode::Validator {
                        // Observers and light nodes sign nothing (evidence they relay as
                        // received, which the network already did).
                        continue;
                    }
                    let topic = topic_of(&message);
                    let data = message.encode();
                    if let Some(m) = &self.metrics {
                        if let Message::Roots { observations, .. } = &message {
                            m.on_flush(observations.len());
                        }
                        m.on_publish(NodeMetrics::topic_label(topic), data.len());
                    }
                    if let Err(e) = self.net.publish_detached(topic, data).await {
                        // No peer yet, or a duplicate: the message is not lost to the node, and
                        // its state spreads through later roots.
                        tracing::debug!(?topic, "publish: {e}");
                    }
                }
                Action::Verdict { id, acceptance } => {
                    if let Some((gossip_id, source, verdict)) =
                        self.verdicts.settle(&id, &acceptance)
                    {
                        if let Acceptance::Reject(invalid) = &acceptance {
                            tracing::debug!(%source, "invalid gossip: {invalid}");
                            if let Some(m) = &self.metrics {
                                m.on_invalid(NodeMetrics::topic_label(Topic::Tx), invalid);
                            }
                            if let Some(from) = net::node_id_of(&source) {
                                // The node does not remember who relayed a queued transaction:
                                // the penalty for a bad signature is recorded here.
                                self.node.record_malformed(from, now);
                            }
                        }
                        self.report(gossip_id, source, verdict).await;
                    }
                }
                Action::Fetch(tx) => wanted.push(tx),
                Action::Event(event) => {
                    if let Some(m) = &self.metrics {
                        m.on_event(&event);
                    }
                    // No subscriber is not an error.
                    let _ = self.events.send(StampedEvent {
                        time_ms: now,
                        event,
                    });
                }
            }
        }
        self.publish_txs(txs).await;
        if let Some(peer) = source
            && !wanted.is_empty()
        {
            self.repair(wanted, peer);
        }
    }

    /// Publishes transactions (canonical encodings), in order, packed into frames
    /// ([`txgossip::frames`]).
    async fn publish_txs(&self, txs: Vec<Vec<u8>>) {
        for data in txgossip::frames(txs, self.max_gossip_bytes) {
            if let Some(m) = &self.metrics {
                m.on_publish(NodeMetrics::topic_label(Topic::Tx), data.len());
            }
            if let Err(e) = self.net.publish_detached(Topic::Tx, data).await {
                // No peer yet: the transactions are not lost to the node, and their state
                // spreads through later roots.
                tracing::debug!("publish transactions: {e}");
            }
        }
    }

    /// Pushes the node's trust in each connected peer to the network layer.
    async fn push_trust(&mut self) {
        let Ok(peers) = self.net.peers().await else {
            return;
        };
        let now = now_ms();
        let mut scores = Vec::with_capacity(peers.len());
        for p in &peers {
            let Some(node) = net::node_id_of(&p.peer_id) else {
                continue;
            };
            let score = if self.node.votes().is_convicted(&node) {
                -1.0
            } else {
                self.node.trust().score(&node, now)
            };
            scores.push(score);
            if (score - p.trust).abs() > 1e-9 {
                let _ = self.net.set_trust(p.peer_id, score).await;
            }
        }
        if let Some(m) = &self.metrics {
            m.set_pending(self.node.ledger().pending_count());
            m.set_peers(peers.len());
            m.set_trust(&scores, self.node.votes().convicted().len());
        }
    }

    /// Announces this node's metadata on the metadata topic, saying whether it is `behind`.
    async fn announce(&self, behind: bool) {
        let meta = PeerMeta::own(self.mode, now_ms(), behind);
        let sealed = meta.seal(self.node.identity());
        if let Err(e) = self.net.publish(Topic::Meta, sealed).await {
            tracing::debug!("announcing metadata: {e}");
        }
    }
}

fn to_net(acceptance: &Acceptance) -> net::Acceptance {
    match acceptance {
        Acceptance::Accept => net::Acceptance::Accept,
        Acceptance::Reject(_) => net::Acceptance::Reject,
        Acceptance::Ignore | Acceptance::Deferred => net::Acceptance::Ignore,
    }
}
