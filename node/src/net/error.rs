//! The network layer's errors.

use libp2p::{Multiaddr, PeerId};

/// What can go wrong in the network layer.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// The network configuration has problems; every one is listed.
    #[error("network config: {} problem(s): {}", problems.len(), problems.join("; "))]
    InvalidConfig {
        /// One line per problem, naming the field.
        problems: Vec<String>,
    },
    /// A listen address is already bound by another socket.
    #[error("cannot listen on {addr}: address (port) already in use")]
    AddressInUse {
        /// The address asked for.
        addr: Multiaddr,
    },
    /// Listening on an address failed for another reason.
    #[error("cannot listen on {addr}: {reason}")]
    Listen {
        /// The address asked for.
        addr: Multiaddr,
        /// The underlying error, in words.
        reason: String,
    },
    /// Dialing a peer or address failed at once.
    #[error("dial {target}: {reason}")]
    Dial {
        /// The address or peer dialled.
        target: String,
        /// The underlying error, in words.
        reason: String,
    },
    /// The transport or behaviour could not be built.
    #[error("building the libp2p swarm: {0}")]
    Build(String),
    /// The node's identity key could not be turned into a libp2p key.
    #[error("identity key: {0}")]
    Key(String),
    /// Publishing a gossip message failed (no subscribed peer, too large, duplicate, queues full).
    #[error("publish on {topic}: {reason}")]
    Publish {
        /// The topic.
        topic: String,
        /// The gossipsub error, in words.
        reason: String,
    },
    /// A fetch got no answer within the request timeout.
    #[error("request to {peer} timed out")]
    FetchTimeout {
        /// The peer asked.
        peer: PeerId,
    },
    /// A fetch failed otherwise (dial failure, connection closed, unsupported protocol, I/O).
    #[error("request to {peer} failed: {reason}")]
    Fetch {
        /// The peer asked.
        peer: PeerId,
        /// The request-response failure, in words.
        reason: String,
    },
    /// The response to a request could not be sent (the requester is gone or timed out).
    #[error("response could not be sent (the requester is gone or timed out)")]
    Respond,
    /// The event loop has stopped (after [`crate::net::NetClient::shutdown`], or it failed).
    #[error("the network event loop has stopped")]
    Stopped,
}

/// Whether `err` or any error in its `source()` chain is an I/O "address in use" error. The
/// libp2p boxed transport wraps the socket error in `io::Error::other`, so the kind at the top
/// is `Other`: the chain has to be walked.
pub(crate) fn is_addr_in_use(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::AddrInUse {
                return true;
            }
            // An io::Error built with `io::Error::other(inner)` exposes `inner` through
            // `get_ref`, which `source()` may not return.
            if let Some(inner) = io.get_ref()
                && is_addr_in_use(inner)
            {
                return true;
            }
        }
        cur = e.source();
    }
    false
}
