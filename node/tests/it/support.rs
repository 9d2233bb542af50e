//! Helpers shared by the tests: running nodes over real sockets, and running the `ramjet`
//! binary.

use std::future::Future;
use std::path::Path;
use std::process::{Command, Output};
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

/// Runs the `ramjet` binary in `dir` with `args`.
pub(crate) fn ramjet(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ramjet"))
        .current_dir(dir)
        .env("NODEVICE_SELECT", "1")
        .env("RUST_BACKTRACE", "0")
        .args(args)
        .output()
        .unwrap()
}

/// The stdout of a command that must succeed (the test fails with both outputs if not).
pub(crate) fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// The stderr of a command that must fail.
pub(crate) fn refused(out: &Output) -> String {
    assert!(
        !out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stderr.clone()).unwrap()
}
