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
    /// Proving, a key or proof file, or a rollup batch failed (the message names the file or the
    /// transfer).
    #[error(transparent)]
    Prover(#[from] ramjet_prover::ProverError),
    /// A proof was checked and does not verify against the key and public inputs given.
    #[error("proof rejected: {0}")]
    ProofRejected(String),
    /// `ramjet infer` was asked for something it cannot do: a proof system not implemented yet,
    /// keys made for another model or system.
    #[error("infer: {0}")]
    Inference(String),
    /// A file the command needs is missing or unreadable.
    #[error("{}: {reason}", path.display())]
    File {
        /// The file.
        path: std::path::PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The node's identity (key file) could not be loaded or created.
    #[error(transparent)]
    Identity(#[from] crate::identity::IdentityError),
    /// Bytes are not a canonical transaction encoding.
    #[error("transaction encoding: {0}")]
    TxDecode(#[from] crate::tx::DecodeError),
    /// A transaction fails its stateless checks.
    #[error("transaction rejected: {0}")]
    TxInvalid(#[from] crate::tx::TxError),
    /// A trust computation failed or its parameters are invalid.
    #[error(transparent)]
    Trust(#[from] crate::trust::TrustError),
    /// An observation, signed root, proof or piece of evidence was rejected, or the observation
    /// buffer could not be flushed.
    #[error(transparent)]
    Observe(#[from] crate::observe::ObsError),
    /// The ledger could not be opened or could not process transactions.
    #[error(transparent)]
    Ledger(#[from] crate::ledger::LedgerError),
    /// The node's store (its data directory) could not be opened, read or written.
    #[error(transparent)]
    Storage(#[from] crate::storage::StorageError),
    /// A contract could not be installed, or could not be evaluated (not installed, invalid
    /// engine limits). A contract that rejects a spend is a verdict, not this error.
    #[error(transparent)]
    Contract(#[from] crate::contract::ContractError),
    /// A gossip message, a peer's roots or a consensus parameter was rejected.
    #[error(transparent)]
    Consensus(#[from] crate::consensus::ConsensusError),
    /// The node's protocol parameters are invalid.
    #[error(transparent)]
    Protocol(#[from] crate::protocol::ProtocolError),
    /// A simulation could not be set up.
    #[error(transparent)]
    Sim(#[from] crate::sim::SimError),
    /// The network layer failed: a bad network config, a listen address in use, a dial, a
    /// publish or a fetch failed, or the event loop stopped.
    #[error(transparent)]
    Net(#[from] crate::net::NetError),
    /// A port the node needs is taken by another program (or another node).
    #[error(
        "{what} = {addr}: the address is already in use (another node or program holds it; choose another port)"
    )]
    AddressInUse {
        /// The setting that names the address.
        what: &'static str,
        /// The address.
        addr: String,
    },
    /// `ramjet devnet` could not set up, start or run its network (the message says which
    /// node and, for a node that failed, ends with the tail of its log).
    #[error("devnet: {0}")]
    Devnet(String),
    /// The node is behind with its work and refuses new submissions for now: retry later.
    #[error(
        "node overloaded: {queued} transactions await signature verification, {backlog} network events are waiting, {dropped} dropped since start, peers' observations arrive {late_ms} ms late, its own work held it {stalled_ms} ms, {peers_behind} peers are behind; retry later"
    )]
    Overloaded {
        /// How late the latest late roots of a peer arrived (0 if none recently): the time
        /// from its flush to this node handling it.
        late_ms: u64,
        /// How long this node's own work last held it without taking a message (0 if not
        /// recently): a signature batch on a slow device, say.
        stalled_ms: u64,
        /// Transactions awaiting their signature batch.
        queued: usize,
        /// Network events not yet taken by the node.
        backlog: usize,
        /// Network events dropped since start.
        dropped: u64,
        /// Connected validators that say they are behind with their work (the network goes at
        /// the pace of its slowest validator, `docs/network.md`, "Admission control").
        peers_behind: usize,
    },
    /// The running node cannot serve the request: it is shutting down or stopped, or its
    /// driver failed.
    #[error("node: {0}")]
    Service(String),
    /// The node's configuration (file and flags) has problems; every one is listed.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// A genesis file could not be read, parsed or written.
    #[error(transparent)]
    GenesisFile(#[from] crate::config::GenesisFileError),
    /// A metric could not be registered (its name already taken on the registry).
    #[error("registering metrics: {0}")]
    Metrics(#[source] prometheus::Error),
    /// The metrics endpoint could not listen on its address (in use, not permitted).
    #[error("metrics endpoint: cannot listen on {addr}: {source}")]
    MetricsListen {
        /// The address asked for.
        addr: std::net::SocketAddr,
        /// Why the bind failed.
        source: std::io::Error,
    },
}
