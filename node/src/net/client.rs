//! [`NetClient`]: the cloneable handle through which the node drives the network. Every call
//! is a command on a bounded channel to the event loop, answered on a oneshot channel; the
//! `*_detached` calls (publish, report a verdict, respond) wait for no answer, so that a node
//! handling thousands of messages a second does not wait on the event loop once per message.

use libp2p::gossipsub::MessageId;
use libp2p::request_response::ResponseChannel;
use libp2p::{Multiaddr, PeerId};
use tokio::sync::{mpsc, oneshot};

use super::NetError;
use super::behaviour::{Request, Response, Topic};

/// The node's verdict on a gossip message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Acceptance {
    /// Valid: forward it to the mesh.
    Accept,
    /// Invalid: drop it and penalise the peers that sent it (gossipsub P4).
    Reject,
    /// Valid but not wanted now (or not checked): drop it, no penalty.
    Ignore,
}

/// Answers one incoming request: hand it to [`NetClient::respond`]. Dropping it without
/// answering lets the requester fail at once rather than time out.
#[derive(Debug)]
pub struct Responder(pub(crate) ResponseChannel<Response>);

/// What the network knows about a connected peer.
#[derive(Clone, Debug, PartialEq)]
pub struct PeerInfo {
    /// The peer.
    pub peer_id: PeerId,
    /// The trust the node last set for it (or the initial trust).
    pub trust: f64,
    /// Its gossipsub score, if scoring knows it.
    pub gossip_score: Option<f64>,
    /// The topics it is subscribed to.
    pub topics: Vec<Topic>,
}

/// Commands from clients to the event loop.
pub(crate) enum Command {
    Publish {
        topic: Topic,
        data: Vec<u8>,
        reply: Option<oneshot::Sender<Result<MessageId, NetError>>>,
    },
    Report {
        message_id: MessageId,
        source: PeerId,
        acceptance: Acceptance,
        reply: Option<oneshot::Sender<bool>>,
    },
    Fetch {
        peer: PeerId,
        request: Request,
        reply: oneshot::Sender<Result<Response, NetError>>,
    },
    Respond {
        responder: Responder,
        response: Response,
        reply: Option<oneshot::Sender<Result<(), NetError>>>,
    },
    SetTrust {
        peer: PeerId,
        score: f64,
        reply: oneshot::Sender<()>,
    },
    Dial {
        addr: Multiaddr,
        reply: oneshot::Sender<Result<(), NetError>>,
    },
    Ban {
        peer: PeerId,
        duration: std::time::Duration,
        reply: oneshot::Sender<()>,
    },
    Unban {
        peer: PeerId,
        reply: oneshot::Sender<bool>,
    },
    Peers {
        reply: oneshot::Sender<Vec<PeerInfo>>,
    },
    GossipScore {
        peer: PeerId,
        reply: oneshot::Sender<Option<f64>>,
    },
    MeshPeers {
        topic: Topic,
        reply: oneshot::Sender<Vec<PeerId>>,
    },
    ListenAddrs {
        reply: oneshot::Sender<Vec<Multiaddr>>,
    },
    Shutdown {
        reply: oneshot::Sender<()>,
    },
}

/// A cloneable handle to the network event loop.
#[derive(Clone, Debug)]
pub struct NetClient {
    pub(crate) cmd: mpsc::Sender<Command>,
    pub(crate) local_peer_id: PeerId,
    pub(crate) fetch_timeout: std::time::Duration,
    pub(crate) dropped: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Command")
    }
}

impl NetClient {
    async fn call<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<T>) -> Command,
    ) -> Result<T, NetError> {
        let (tx, rx) = oneshot::channel();
        self.cmd
            .send(make(tx))
            .await
            .map_err(|_| NetError::Stopped)?;
        rx.await.map_err(|_| NetError::Stopped)
    }

    /// How many network events (gossip messages, requests) the event loop has dropped since
    /// start because the node's event channel was full: a sign the node is not keeping up.
    pub fn dropped_events(&self) -> u64 {
        self.dropped.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// This node's peer id.
    pub fn local_peer_id(&self) -> PeerId {
        self.local_peer_id
    }

    /// Publishes `data` on `topic`; returns its message id (SHA-256 of `data`).
    ///
    /// # Errors
    /// [`NetError::Publish`] (no subscribed peer, too large, a duplicate of a message seen
    /// recently, queues full), [`NetError::Stopped`].
    pub async fn publish(&self, topic: Topic, data: Vec<u8>) -> Result<MessageId, NetError> {
        self.call(|reply| Command::Publish {
            topic,
            data,
            reply: Some(reply),
        })
        .await?
    }

    /// [`publish`](Self::publish) without waiting for the outcome: it waits only for room on
    /// the command channel. A failure (no subscribed peer, queues full) is logged by the event
    /// loop at debug level.
    ///
    /// # Errors
    /// [`NetError::Stopped`].
    pub async fn publish_detached(&self, topic: Topic, data: Vec<u8>) -> Result<(), NetError> {
        self.send(Command::Publish {
            topic,
            data,
            reply: None,
        })
        .await
    }

    async fn send(&self, cmd: Command) -> Result<(), NetError> {
        self.cmd.send(cmd).await.map_err(|_| NetError::Stopped)
    }

    /// Reports the node's verdict on a gossip message received from `propagation_source`.
    /// Returns false if the message was no longer waiting (reported too late or twice).
    ///
    /// # Errors
    /// [`NetError::Stopped`].
    pub async fn report_validation(
        &self,
        message_id: MessageId,
        propagation_source: PeerId,
        acceptance: Acceptance,
    ) -> Result<bool, NetError> {
        self.call(|reply| Command::Report {
            message_id,
            source: propagation_source,
            acceptance,
            reply: Some(reply),
        })
        .await
    }

    /// [`report_validation`](Self::report_validation) without waiting to learn whether the
    /// message was still waiting.
    ///
    /// # Errors
    /// [`NetError::Stopped`].
    pub async fn report_detached(
        &self,
        message_id: MessageId,
        propagation_source: PeerId,
        acceptance: Acceptance,
    ) -> Result<(), NetError> {
        self.send(Command::Report {
            message_id,
            source: propagation_source,
            acceptance,
            reply: None,
        })
        .await
    }

    /// Asks `peer` for an object by hash and waits for its answer (at most the configured
    /// request timeout).
    ///
    /// # Errors
    /// [`NetError::FetchTimeout`] without an answer in time, [`NetError::Fetch`] for other
    /// failures, [`NetError::Stopped`].
    pub async fn fetch(&self, peer: PeerId, request: Request) -> Result<Response, NetError> {
        let call = self.call(|reply| Command::Fetch {
            peer,
            request,
            reply,
        });
        // The request-response behaviour times out on its own; this is a backstop.
        match tokio::time::timeout(self.fetch_timeout * 2, call).await {
            Ok(r) => r?,
            Err(_) => Err(NetError::FetchTimeout { peer }),
        }
    }

    /// Answers an incoming request.
    ///
    /// # Errors
    /// [`NetError::Respond`] if the requester is gone, [`NetError::Stopped`].
    pub async fn respond(&self, responder: Responder, response: Response) -> Result<(), NetError> {
        self.call(|reply| Command::Respond {
            responder,
            response,
            reply: Some(reply),
        })
        .await?
    }

    /// [`respond`](Self::respond) without waiting for the outcome (a requester that is gone
    /// is logged by the event loop at debug level).
    ///
    /// # Errors
    /// [`NetError::Stopped`].
    pub async fn respond_detached(
        &self,
        responder: Responder,
        response: Response,
    ) -> Result<(), NetError> {
        self.send(Command::Respond {
            responder,
            response,
            reply: None,
        })
        .await
    }

    /// Sets the node's trust in `peer` (scale of `crate::trust`, [-1, 1]). It becomes the
    /// peer's gossipsub application score; below the threshold the peer is disconnected and
    /// banned for the ban duration.
    ///
    /// # Errors
    /// [`NetError::Stopped`].
    pub async fn set_trust(&self, peer: PeerId, score: f64) -> Result<(), NetError> {
        self.call(|reply| Command::SetTrust { peer, score, reply })
            .await
    }

    /// Disconnects `peer` and refuses it, both ways, for `duration` (an operator's ban).
    ///
    /// # Errors
    /// [`NetError::Stopped`] if the event loop is gone.
    pub async fn ban(&self, peer: PeerId, duration: std::time::Duration) -> Result<(), NetError> {
        self.call(|reply| Command::Ban {
            peer,
            duration,
            reply,
        })
        .await
    }

    /// Lifts `peer`'s ban; returns whether it was banned.
    ///
    /// # Errors
    /// [`NetError::Stopped`] if the event loop is gone.
    pub async fn unban(&self, peer: PeerId) -> Result<bool, NetError> {
        self.call(|reply| Command::Unban { peer, reply }).await
    }

    /// Dials an address (ending in `/p2p/<peer id>` to check who answers).
    ///
    /// # Errors
    /// [`NetError::Dial`] if the dial cannot start (banned peer, bad address),
    /// [`NetError::Stopped`].
    pub async fn dial(&self, addr: Multiaddr) -> Result<(), NetError> {
        self.call(|reply| Command::Dial { addr, reply }).await?
    }

    /// The connected peers.
    ///
    /// # Errors
    /// [`NetError::Stopped`].
    pub async fn peers(&self) -> Result<Vec<PeerInfo>, NetError> {
        self.call(|reply| Command::Peers { reply }).await
    }

    /// `peer`'s gossipsub score as this node computes it.
    ///
    /// # Errors
    /// [`NetError::Stopped`].
    pub async fn gossip_score(&self, peer: PeerId) -> Result<Option<f64>, NetError> {
        self.call(|reply| Command::GossipScore { peer, reply })
            .await
    }

    /// The peers in this node's gossipsub mesh for `topic`.
    ///
    /// # Errors
    /// [`NetError::Stopped`].
    pub async fn mesh_peers(&self, topic: Topic) -> Result<Vec<PeerId>, NetError> {
        self.call(|reply| Command::MeshPeers { topic, reply }).await
    }

    /// The addresses the node listens on (with the real ports when `:0` was asked).
    ///
    /// # Errors
    /// [`NetError::Stopped`].
    pub async fn listen_addrs(&self) -> Result<Vec<Multiaddr>, NetError> {
        self.call(|reply| Command::ListenAddrs { reply }).await
    }

    /// Stops the event loop (closing every connection) and waits for it to acknowledge.
    ///
    /// # Errors
    /// [`NetError::Stopped`] if it had already stopped.
    pub async fn shutdown(&self) -> Result<(), NetError> {
        self.call(|reply| Command::Shutdown { reply }).await
    }
}
