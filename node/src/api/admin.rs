//! The `ramjet.v1.Admin` service and its token check.

use std::sync::Arc;
use std::time::Duration;

use tonic::service::Interceptor;
use tonic::{Request, Response, Status};

use super::convert::error_status;
use super::pb;
use crate::net::{Multiaddr, PeerId};
use crate::service::NodeHandle;

/// Checks `authorization: Bearer <token>` against the configured token, in constant time. With
/// no token configured every call is refused.
#[derive(Clone)]
pub(crate) struct AdminAuth(pub(crate) Option<Arc<[u8]>>);

impl Interceptor for AdminAuth {
    fn call(&mut self, request: Request<()>) -> Result<Request<()>, Status> {
        let Some(token) = &self.0 else {
            return Err(Status::permission_denied(
                "the admin API is disabled: set api.admin_token in the node's config",
            ));
        };
        let given = request
            .metadata()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::as_bytes);
        let ok = given.is_some_and(|g| {
            g.len() == token.len()
                && g.iter()
                    .zip(token.iter())
                    .fold(0u8, |a, (x, y)| a | (x ^ y))
                    == 0
        });
        if ok {
            Ok(request)
        } else {
            Err(Status::unauthenticated(
                "admin token missing or wrong (send `authorization: Bearer <token>`)",
            ))
        }
    }
}

/// The admin service.
pub(crate) struct AdminApi {
    pub(crate) node: NodeHandle,
    pub(crate) default_ban: Duration,
}

fn parse_peer(s: &str) -> Result<PeerId, Status> {
    s.parse()
        .map_err(|e| Status::invalid_argument(format!("peer_id {s:?}: {e}")))
}

#[tonic::async_trait]
impl pb::admin_server::Admin for AdminApi {
    async fn dial_peer(
        &self,
        request: Request<pb::DialPeerRequest>,
    ) -> Result<Response<pb::DialPeerResponse>, Status> {
        let text = &request.get_ref().address;
        let addr: Multiaddr = text
            .parse()
            .map_err(|e| Status::invalid_argument(format!("address {text:?}: {e}")))?;
        self.node
            .net()
            .dial(addr)
            .await
            .map_err(|e| Status::failed_precondition(format!("dial {text}: {e}")))?;
        Ok(Response::new(pb::DialPeerResponse {}))
    }

    async fn ban_peer(
        &self,
        request: Request<pb::BanPeerRequest>,
    ) -> Result<Response<pb::BanPeerResponse>, Status> {
        let r = request.get_ref();
        let peer = parse_peer(&r.peer_id)?;
        if peer == self.node.peer_id() {
            return Err(Status::invalid_argument("a node cannot ban itself"));
        }
        let duration = match r.seconds {
            0 => self.default_ban,
            s => Duration::from_secs(s),
        };
        self.node
            .net()
            .ban(peer, duration)
            .await
            .map_err(|e| error_status(e.into()))?;
        Ok(Response::new(pb::BanPeerResponse {}))
    }

    async fn unban_peer(
        &self,
        request: Request<pb::UnbanPeerRequest>,
    ) -> Result<Response<pb::UnbanPeerResponse>, Status> {
        let peer = parse_peer(&request.get_ref().peer_id)?;
        let was = self
            .node
            .net()
            .unban(peer)
            .await
            .map_err(|e| error_status(e.into()))?;
        if !was {
            return Err(Status::not_found(format!("peer {peer} is not banned")));
        }
        if let Some(node) = crate::net::node_id_of(&peer) {
            self.node.forget_trust(node).await.map_err(error_status)?;
        }
        Ok(Response::new(pb::UnbanPeerResponse {}))
    }

    async fn shutdown(
        &self,
        _request: Request<pb::ShutdownRequest>,
    ) -> Result<Response<pb::ShutdownResponse>, Status> {
        tracing::info!("shutdown requested through the admin API");
        self.node.shutdown();
        Ok(Response::new(pb::ShutdownResponse {}))
    }
}
