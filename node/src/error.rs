//! The crate's one error type.

/// Result alias for the node crate.
pub type Result<T, E = NodeError> = std::result::Result<T, E>;

/// What can go wrong in the node's commands.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// An accelerator operation or profile failed.
    #[error(transparent)]
    Accel(#[from] ramjet_accel::AccelError),
    /// Writing output failed.
    #[error("writing output: {0}")]
    Output(#[from] std::io::Error),
}
