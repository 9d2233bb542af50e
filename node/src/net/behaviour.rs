//! The libp2p behaviour: allow/block list, connection limits, gossipsub, Kademlia, identify and
//! request-response with a small length-prefixed codec; the swarm builder.

use std::collections::{HashMap, HashSet};
use std::io;
use std::time::Duration;

use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use libp2p::gossipsub::{self, IdentTopic, MessageAuthenticity, TopicHash, ValidationMode};
use libp2p::request_response::{self, ProtocolSupport};
use libp2p::swarm::NetworkBehaviour;
use libp2p::{
    StreamProtocol, Swarm, SwarmBuilder, allow_block_list, connection_limits, identify, identity,
    kad, noise, tcp, yamux,
};
use sha2::{Digest, Sha256};

use super::{NetConfig, NetError};

/// Kademlia protocol name: ramjet's own DHT, never the public IPFS one.
pub const KAD_PROTOCOL: StreamProtocol = StreamProtocol::new("/ramjet/kad/1.0.0");
/// Request-response protocol name for fetching by hash.
pub const FETCH_PROTOCOL: StreamProtocol = StreamProtocol::new("/ramjet/fetch/1.0.0");
/// Identify protocol version; a peer announcing another one is disconnected.
pub const IDENTIFY_PROTOCOL: &str = "/ramjet/1.0.0";
/// Connections allowed to one peer (TCP and QUIC may race).
const MAX_CONNECTIONS_PER_PEER: u32 = 2;
/// Extra established connections tolerated above `max_peers` so that a newcomer can connect
/// and the lowest-trust peer be evicted in its place.
pub(crate) const EVICTION_SLACK: usize = 2;

/// The three gossip topics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Topic {
    /// `ramjet/<chain>/tx/1`: transactions (`consensus::Message::Tx`).
    Tx,
    /// `ramjet/<chain>/obs/1`: observation roots and evidence (`consensus::Message::Roots`,
    /// `consensus::Message::Evidence`).
    Obs,
    /// `ramjet/<chain>/meta/1`: peer metadata.
    Meta,
}

impl Topic {
    /// All topics.
    pub const ALL: [Topic; 3] = [Topic::Tx, Topic::Obs, Topic::Meta];

    /// The topic's name on chain `chain`.
    pub fn name(self, chain: &str) -> String {
        let short = match self {
            Topic::Tx => "tx",
            Topic::Obs => "obs",
            Topic::Meta => "meta",
        };
        format!("ramjet/{chain}/{short}/1")
    }

    /// The gossipsub topic on chain `chain`.
    pub fn ident(self, chain: &str) -> IdentTopic {
        IdentTopic::new(self.name(chain))
    }
}

/// What a fetch asks for: objects by their 32-byte hashes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Request {
    /// A transaction by its hash.
    Transaction([u8; 32]),
    /// An observation by its hash.
    Observation([u8; 32]),
    /// The inclusion path (proof) of an observation, by the observation's hash.
    InclusionPath([u8; 32]),
    /// Up to [`Request::MAX_BATCH`] transactions by their hashes (repair). The answer is
    /// [`Response::Found`] with [`Response::encode_batch`]'s body, one entry per hash in order,
    /// or [`Response::NotFound`] if none is known.
    Transactions(Vec<[u8; 32]>),
}

impl Request {
    /// Most hashes in a [`Request::Transactions`].
    pub const MAX_BATCH: usize = 256;
    /// Longest encoding: kind byte and [`Request::MAX_BATCH`] hashes.
    pub const MAX_LEN: usize = 1 + 32 * Self::MAX_BATCH;

    /// `kind ‖ hash…`, kind 0 = transaction, 1 = observation, 2 = inclusion path (one hash
    /// each), 3 = transactions (1 to [`Request::MAX_BATCH`] hashes).
    pub fn encode(&self) -> Vec<u8> {
        let (kind, hashes) = match self {
            Request::Transaction(h) => (0u8, std::slice::from_ref(h)),
            Request::Observation(h) => (1, std::slice::from_ref(h)),
            Request::InclusionPath(h) => (2, std::slice::from_ref(h)),
            Request::Transactions(hs) => (3, hs.as_slice()),
        };
        let mut out = Vec::with_capacity(1 + 32 * hashes.len());
        out.push(kind);
        for h in hashes {
            out.extend_from_slice(h);
        }
        out
    }

    /// Decodes [`Request::encode`]'s output; `None` for a wrong length, an unknown kind, or a
    /// batch that is empty or above [`Request::MAX_BATCH`].
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        let (&kind, rest) = bytes.split_first()?;
        if kind == 3 {
            if rest.is_empty() || rest.len() % 32 != 0 || rest.len() / 32 > Self::MAX_BATCH {
                return None;
            }
            let hashes = rest
                .chunks_exact(32)
                .map(|c| c.try_into().expect("32-byte chunk"))
                .collect();
            return Some(Request::Transactions(hashes));
        }
        let hash: [u8; 32] = rest.try_into().ok()?;
        match kind {
            0 => Some(Request::Transaction(hash)),
            1 => Some(Request::Observation(hash)),
            2 => Some(Request::InclusionPath(hash)),
            _ => None,
        }
    }
}

/// The answer to a [`Request`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Response {
    /// The object's canonical encoding.
    Found(Vec<u8>),
    /// The peer does not have it.
    NotFound,
}

impl Response {
    /// The body answering a [`Request::Transactions`]: for each hash asked, in order, a
    /// 4-byte little-endian length then the transaction's encoding; length 0 for one not found.
    pub fn encode_batch(items: &[Option<Vec<u8>>]) -> Vec<u8> {
        let mut out = Vec::new();
        for item in items {
            let data = item.as_deref().unwrap_or_default();
            let len = u32::try_from(data.len()).expect("an object fits a frame");
            out.extend_from_slice(&len.to_le_bytes());
            out.extend_from_slice(data);
        }
        out
    }

    /// Decodes [`Response::encode_batch`]'s body for a request of `n` hashes; `None` if it is
    /// not exactly `n` entries.
    pub fn decode_batch(mut body: &[u8], n: usize) -> Option<Vec<Option<Vec<u8>>>> {
        let mut items = Vec::with_capacity(n.min(Request::MAX_BATCH));
        while !body.is_empty() {
            let (len, rest) = body.split_first_chunk::<4>()?;
            let len = u32::from_le_bytes(*len) as usize;
            let (data, rest) = rest.split_at_checked(len)?;
            items.push((len > 0).then(|| data.to_vec()));
            body = rest;
        }
        (items.len() == n).then_some(items)
    }
}

/// The request-response codec: every frame is a 4-byte big-endian length, then the body.
/// A request body is [`Request::encode`]; a response body is `0x01 ‖ data` (found) or `0x00`
/// (not found). Bodies above the configured maximum are refused without reading them.
#[derive(Clone, Debug)]
pub struct FetchCodec {
    max_size: usize,
}

impl FetchCodec {
    /// A codec refusing bodies above `max_size` bytes.
    pub fn new(max_size: usize) -> Self {
        Self { max_size }
    }
}

async fn read_frame<T: AsyncRead + Unpin + Send>(io: &mut T, max: usize) -> io::Result<Vec<u8>> {
    let mut len = [0u8; 4];
    io.read_exact(&mut len).await?;
    let len = u32::from_be_bytes(len) as usize;
    if len > max {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("frame of {len} bytes is above the limit of {max}"),
        ));
    }
    let mut body = vec![0u8; len];
    io.read_exact(&mut body).await?;
    Ok(body)
}

async fn write_frame<T: AsyncWrite + Unpin + Send>(io: &mut T, body: &[u8]) -> io::Result<()> {
    let len = u32::try_from(body.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "frame too large"))?;
    io.write_all(&len.to_be_bytes()).await?;
    io.write_all(body).await?;
    io.flush().await
}

impl request_response::Codec for FetchCodec {
    type Protocol = StreamProtocol;
    type Request = Request;
    type Response = Response;

    async fn read_request<T: AsyncRead + Unpin + Send>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
    ) -> io::Result<Request> {
        let body = read_frame(io, Request::MAX_LEN).await?;
        Request::decode(&body)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "malformed request"))
    }

    async fn read_response<T: AsyncRead + Unpin + Send>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
    ) -> io::Result<Response> {
        let body = read_frame(io, self.max_size.saturating_add(1)).await?;
        match body.split_first() {
            Some((0, [])) => Ok(Response::NotFound),
            Some((1, data)) => Ok(Response::Found(data.to_vec())),
            _ => Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "malformed response",
            )),
        }
    }

    async fn write_request<T: AsyncWrite + Unpin + Send>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        req: Request,
    ) -> io::Result<()> {
        write_frame(io, &req.encode()).await
    }

    async fn write_response<T: AsyncWrite + Unpin + Send>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        res: Response,
    ) -> io::Result<()> {
        let body = match res {
            Response::NotFound => vec![0u8],
            Response::Found(data) => {
                if data.len() > self.max_size {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        "response above the size limit",
                    ));
                }
                let mut b = Vec::with_capacity(data.len() + 1);
                b.push(1);
                b.extend_from_slice(&data);
                b
            }
        };
        write_frame(io, &body).await
    }
}

/// Gossipsub with our topics only.
pub(crate) type Gossipsub =
    gossipsub::Behaviour<gossipsub::IdentityTransform, gossipsub::WhitelistSubscriptionFilter>;

/// The node's network behaviour.
#[derive(NetworkBehaviour)]
pub(crate) struct Behaviour {
    /// Banned peers: denied in both directions (first, so nothing else allocates for them).
    pub(crate) blocked: allow_block_list::Behaviour<allow_block_list::BlockedPeers>,
    /// Connection limits (pending, established, per peer).
    pub(crate) limits: connection_limits::Behaviour,
    /// Gossip.
    pub(crate) gossipsub: Gossipsub,
    /// Discovery.
    pub(crate) kad: kad::Behaviour<kad::store::MemoryStore>,
    /// Peers' listen addresses and protocols.
    pub(crate) identify: identify::Behaviour,
    /// Fetching by hash.
    pub(crate) fetch: request_response::Behaviour<FetchCodec>,
}

/// Gossipsub peer-score parameters: a rejected message costs far more than time in the mesh
/// earns (P4 weight -100, decay 0.5; P1 0.01 per second in the mesh, capped), no delivery-rate
/// penalties (P3, P3b) on quiet topics, and loopback exempt from the same-IP penalty on devnets.
pub(crate) fn peer_score_params(cfg: &NetConfig) -> gossipsub::PeerScoreParams {
    let mut params = gossipsub::PeerScoreParams::default();
    for topic in Topic::ALL {
        let tp = gossipsub::TopicScoreParams {
            topic_weight: 0.5,
            time_in_mesh_weight: 0.01,
            time_in_mesh_quantum: Duration::from_secs(1),
            time_in_mesh_cap: 3600.0,
            mesh_message_deliveries_weight: 0.0,
            mesh_failure_penalty_weight: 0.0,
            invalid_message_deliveries_weight: -100.0,
            invalid_message_deliveries_decay: 0.5,
            ..Default::default()
        };
        params.topics.insert(topic.ident(&cfg.chain).hash(), tp);
    }
    if cfg.loopback_devnet {
        params
            .ip_colocation_factor_whitelist
            .insert(std::net::Ipv4Addr::LOCALHOST.into());
        params
            .ip_colocation_factor_whitelist
            .insert(std::net::Ipv6Addr::LOCALHOST.into());
    }
    params
}

fn build_gossipsub(cfg: &NetConfig) -> Result<Gossipsub, Box<dyn std::error::Error + Send + Sync>> {
    let gcfg = gossipsub::ConfigBuilder::default()
        // No author, sequence number or signature on gossip messages: every payload
        // authenticates itself (transactions their spenders' signatures, roots and evidence
        // their observers', metadata its node's), and gossipsub would otherwise verify an
        // Ed25519 envelope signature on every copy received, duplicates included
        // (`docs/network.md`, "Validation and scoring").
        .validation_mode(ValidationMode::Anonymous)
        .validate_messages()
        .message_id_fn(|m: &gossipsub::Message| {
            gossipsub::MessageId::from(Sha256::digest(&m.data).to_vec())
        })
        .max_transmit_size(cfg.max_message_size)
        .duplicate_cache_time(Duration::from_secs(cfg.duplicate_cache_secs))
        .heartbeat_interval(Duration::from_millis(cfg.heartbeat_ms))
        .heartbeat_initial_delay(Duration::from_millis(cfg.heartbeat_ms.min(100)))
        .mesh_n_low(cfg.mesh_n_low)
        .mesh_n(cfg.mesh_n)
        .mesh_n_high(cfg.mesh_n_high)
        .mesh_outbound_min(cfg.mesh_outbound_min)
        .connection_handler_queue_len(20_000)
        .build()?;
    let topics: HashSet<TopicHash> = Topic::ALL
        .iter()
        .map(|t| t.ident(&cfg.chain).hash())
        .collect();
    let mut gs = gossipsub::Behaviour::new_with_subscription_filter(
        MessageAuthenticity::Anonymous,
        gcfg,
        gossipsub::WhitelistSubscriptionFilter(topics),
    )?;
    gs.with_peer_score(
        peer_score_params(cfg),
        gossipsub::PeerScoreThresholds::default(),
    )?;
    for t in Topic::ALL {
        gs.subscribe(&t.ident(&cfg.chain))?;
    }
    Ok(gs)
}

fn build_behaviour(
    key: &identity::Keypair,
    cfg: &NetConfig,
) -> Result<Behaviour, Box<dyn std::error::Error + Send + Sync>> {
    let local = key.public().to_peer_id();
    let gossipsub = build_gossipsub(cfg)?;
    let mut kad_cfg = kad::Config::new(KAD_PROTOCOL);
    kad_cfg.set_periodic_bootstrap_interval(Some(Duration::from_secs(60)));
    kad_cfg.set_max_packet_size(64 * 1024);
    let mut kad = kad::Behaviour::with_config(local, kad::store::MemoryStore::new(local), kad_cfg);
    // Serve DHT queries at once: on loopback and private networks no external address is ever
    // confirmed, and Kademlia would otherwise stay a client.
    kad.set_mode(Some(kad::Mode::Server));
    let identify = identify::Behaviour::new(
        identify::Config::new(IDENTIFY_PROTOCOL.into(), key.public())
            .with_agent_version(format!("ramjet/{}", env!("CARGO_PKG_VERSION"))),
    );
    let max = u32::try_from(cfg.max_peers).unwrap_or(u32::MAX);
    let slack = u32::try_from(cfg.max_peers + EVICTION_SLACK).unwrap_or(u32::MAX);
    let limits = connection_limits::Behaviour::new(
        connection_limits::ConnectionLimits::default()
            .with_max_pending_incoming(Some(max))
            .with_max_pending_outgoing(Some(max))
            .with_max_established(Some(slack.saturating_mul(MAX_CONNECTIONS_PER_PEER)))
            .with_max_established_per_peer(Some(MAX_CONNECTIONS_PER_PEER)),
    );
    let fetch = request_response::Behaviour::with_codec(
        FetchCodec::new(cfg.max_response_size),
        [(FETCH_PROTOCOL, ProtocolSupport::Full)],
        request_response::Config::default()
            .with_request_timeout(cfg.request_timeout())
            .with_max_concurrent_streams(64),
    );
    Ok(Behaviour {
        blocked: allow_block_list::Behaviour::default(),
        limits,
        gossipsub,
        kad,
        identify,
        fetch,
    })
}

/// Builds the swarm: TCP (noise, yamux), QUIC when compiled in, and [`Behaviour`].
pub(crate) fn build_swarm(
    key: identity::Keypair,
    cfg: &NetConfig,
) -> Result<Swarm<Behaviour>, NetError> {
    let build = |e: &dyn std::fmt::Display| NetError::Build(e.to_string());
    let tcp = SwarmBuilder::with_existing_identity(key)
        .with_tokio()
        .with_tcp(
            tcp::Config::default(),
            noise::Config::new,
            yamux::Config::default,
        )
        .map_err(|e| build(&e))?;
    #[cfg(feature = "quic")]
    let tcp = tcp.with_quic();
    let swarm = tcp
        .with_behaviour(|key| build_behaviour(key, cfg))
        .map_err(|e| build(&e))?
        .with_swarm_config(|c| {
            c.with_idle_connection_timeout(Duration::from_secs(cfg.idle_timeout_secs))
        })
        .build();
    Ok(swarm)
}

/// The topic hashes of chain `chain`, for mapping incoming messages to [`Topic`].
pub(crate) fn topic_map(chain: &str) -> HashMap<TopicHash, Topic> {
    Topic::ALL
        .iter()
        .map(|t| (t.ident(chain).hash(), *t))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{Request, Response};

    #[test]
    fn requests_round_trip_and_bad_ones_are_refused() {
        let batch = Request::Transactions(vec![[1; 32], [2; 32], [3; 32]]);
        for r in [
            Request::Transaction([7; 32]),
            Request::Observation([8; 32]),
            Request::InclusionPath([9; 32]),
            batch.clone(),
        ] {
            assert_eq!(Request::decode(&r.encode()), Some(r));
        }
        let full = Request::Transactions(vec![[5; 32]; Request::MAX_BATCH]);
        assert_eq!(full.encode().len(), Request::MAX_LEN);
        assert_eq!(Request::decode(&full.encode()), Some(full));
        let mut over = vec![3u8];
        over.extend(std::iter::repeat_n(0u8, 32 * (Request::MAX_BATCH + 1)));
        assert_eq!(Request::decode(&over), None, "above the batch limit");
        assert_eq!(Request::decode(&[3]), None, "an empty batch");
        assert_eq!(
            Request::decode(&batch.encode()[..40]),
            None,
            "a partial hash"
        );
        assert_eq!(Request::decode(&[0; 32]), None, "a short single request");
        assert_eq!(Request::decode(&[4; 33]), None, "an unknown kind");
    }

    #[test]
    fn a_batch_answer_has_one_entry_per_hash_asked() {
        let items = vec![Some(b"first".to_vec()), None, Some(b"third".to_vec())];
        let body = Response::encode_batch(&items);
        assert_eq!(Response::decode_batch(&body, 3), Some(items));
        assert_eq!(
            Response::decode_batch(&body, 2),
            None,
            "more entries than asked"
        );
        assert_eq!(
            Response::decode_batch(&body, 4),
            None,
            "fewer entries than asked"
        );
        assert_eq!(
            Response::decode_batch(&body[..body.len() - 1], 3),
            None,
            "truncated"
        );
    }
}
