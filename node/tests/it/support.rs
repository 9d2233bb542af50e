//! Helpers shared by the tests that run nodes over real sockets.

use std::future::Future;
use std::time::Duration;

/// Runs `f`, failing the test if it takes longer than `limit`.
pub(crate) async fn within<F: Future<Output = ()>>(limit: Duration, f: F) {
    tokio::time::timeout(limit, f)
        .await
        .expect("test did not finish in time");
}

/// Polls `check` every 50 ms until it holds.
pub(crate) async fn wait_for<F, Fut>(mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    while !check().await {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
