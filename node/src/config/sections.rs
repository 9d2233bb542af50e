//! The sections of the node's configuration file that belong to no other module: `[node]`
//! ([`NodeSection`], [`Mode`]), `[api]` ([`ApiConfig`]), `[metrics]` ([`MetricsConfig`]) and
//! `[accel]` ([`AccelConfig`]).

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What a node does on the network.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Full participation: validates and relays transactions, signs and gossips its observation
    /// roots, takes part in conflict resolution.
    #[default]
    Validator,
    /// Validates and relays transactions and roots, but signs no observations of its own.
    Observer,
    /// Keeps only peers' signed observation roots and the proofs it asks for; validates no
    /// transactions.
    Light,
}

impl Mode {
    /// Every mode, in the order they are documented.
    pub const ALL: [Mode; 3] = [Mode::Validator, Mode::Observer, Mode::Light];

    /// The mode's name as written in the file and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Validator => "validator",
            Mode::Observer => "observer",
            Mode::Light => "light",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that names no [`Mode`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown mode {0:?}: expected validator, observer or light")]
pub struct ParseModeError(pub String);

impl FromStr for Mode {
    type Err = ParseModeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Mode::ALL
            .into_iter()
            .find(|mode| mode.as_str() == s)
            .ok_or_else(|| ParseModeError(s.to_owned()))
    }
}

/// `[node]`: who the node is and where it keeps its state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NodeSection {
    /// What the node does: `validator`, `observer` or `light`.
    pub mode: Mode,
    /// Directory of the node's store and, by default, its key file (relative paths are relative
    /// to the working directory).
    pub data_dir: PathBuf,
    /// The node's key file; `None` means `<data_dir>/node.key`. A missing file is created on
    /// first start (`crate::identity::Identity::load_or_create`).
    pub key_file: Option<PathBuf>,
    /// A genesis JSON file ([`super::GenesisFile`]); `None` means an empty genesis on
    /// `protocol.ledger.chain_id`.
    pub genesis: Option<PathBuf>,
    /// Proof-of-work difficulty of the node id, in leading zero bits (at most
    /// [`crate::identity::MAX_POW_BITS`]).
    pub pow_bits: u8,
}

/// The default [`NodeSection::pow_bits`]: 8 bits, 256 hashes on average, instant on any machine
/// (the difficulty the identity tests use).
pub const DEFAULT_POW_BITS: u8 = 8;

impl Default for NodeSection {
    fn default() -> Self {
        Self {
            mode: Mode::Validator,
            data_dir: PathBuf::from("ramjet-data"),
            key_file: None,
            genesis: None,
            pow_bits: DEFAULT_POW_BITS,
        }
    }
}

impl NodeSection {
    /// The key file's path: [`NodeSection::key_file`], or `<data_dir>/node.key`.
    pub fn key_path(&self) -> PathBuf {
        self.key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("node.key"))
    }
}

/// `[api]`: the gRPC API (the Node and Admin services).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApiConfig {
    /// Serve the API at all.
    pub enabled: bool,
    /// Address the gRPC server listens on (`ip:port`; port 0 picks a free one).
    pub listen: SocketAddr,
    /// Bearer token of the Admin service, at least 16 characters; `None` means the Admin service
    /// refuses every call.
    pub admin_token: Option<String>,
    /// Requests per second allowed per client IP (sustained rate).
    pub rate_limit_per_sec: u32,
    /// Requests a client IP may make in a burst above the sustained rate.
    pub rate_limit_burst: u32,
    /// Exempt 127.0.0.1 and ::1 from the rate limit.
    pub rate_limit_exempt_loopback: bool,
    /// Most transactions in one `SubmitTransactions` call (1 to 65 536).
    pub max_batch: usize,
    /// Largest gRPC message, in bytes, in either direction (1 KiB to 256 MiB).
    pub max_message_size: usize,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 7700)),
            admin_token: None,
            rate_limit_per_sec: 200,
            rate_limit_burst: 400,
            rate_limit_exempt_loopback: true,
            max_batch: 1024,
            max_message_size: 16 * 1024 * 1024,
        }
    }
}

/// `[metrics]`: Prometheus metrics over HTTP (`GET /metrics`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    /// Serve the metrics at all.
    pub enabled: bool,
    /// Address the HTTP server listens on (`ip:port`; port 0 picks a free one).
    pub listen: SocketAddr,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 9600)),
        }
    }
}

/// `[accel]`: how the accelerator dispatcher ([`ramjet_accel::Accelerator`]) is set up.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AccelConfig {
    /// `None`: the dispatcher picks a backend per call by its cost model. `"cpu"` or a backend
    /// id as `ramjet devices` prints it (`kind:device`) forces that backend for every call.
    pub backend: Option<String>,
    /// Calibration profile written by `ramjet devices --calibrate` (it must exist); `None` uses
    /// the default location (`ramjet_accel::CalibrationProfile::default_path`) when a profile is
    /// there, the built-in cost estimates otherwise.
    pub profile: Option<PathBuf>,
    /// Let the dispatcher use emulated devices (lavapipe, a simulated FPGA) as accelerators.
    pub allow_emulated: bool,
    /// Verify signatures one at a time instead of in batches (the benchmark baseline).
    pub single_signature: bool,
    /// Recompute one device call in this many on the CPU and compare (0: never). A device
    /// whose answer differs is avoided for 5 minutes and the CPU's answer is used.
    pub audit: u64,
}
