//! The metrics endpoint: `GET /metrics` in the Prometheus text format, on its own address so
//! that scrapes stay out of the API's rate limits.

use std::future::Future;
use std::net::SocketAddr;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use prometheus::{Registry, TextEncoder};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::{NodeError, Result};

/// Serves every metric of `registry` at `GET /metrics` on `listen` (any other path: 404) until
/// `shutdown` completes. Binds before returning, so that an address in use is reported here
/// ([`NodeError::MetricsListen`]); returns the bound address (the port chosen for port 0) and
/// the server's task, which ends once `shutdown` has completed and open connections closed.
/// Must be called within a tokio runtime.
pub async fn serve(
    listen: SocketAddr,
    registry: Registry,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(SocketAddr, JoinHandle<()>)> {
    let listen_error = |source| NodeError::MetricsListen {
        addr: listen,
        source,
    };
    let listener = TcpListener::bind(listen).await.map_err(listen_error)?;
    let bound = listener.local_addr().map_err(listen_error)?;
    let app = Router::new()
        .route("/metrics", get(scrape))
        .with_state(registry);
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::error!(%bound, "metrics endpoint stopped: {e}");
        }
    });
    tracing::info!(%bound, "metrics endpoint listening");
    Ok((bound, task))
}

async fn scrape(State(registry): State<Registry>) -> Response {
    match TextEncoder::new().encode_to_string(&registry.gather()) {
        Ok(body) => ([(header::CONTENT_TYPE, prometheus::TEXT_FORMAT)], body).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}
