//! The devnet's files: the directory (wiped and recreated), per node a key file, free ports and
//! a configuration file, the wallet's account keys and the genesis shared by every node.

use std::fs;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};

use ed25519_consensus::SigningKey;
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::config::{GenesisFile, Mode, NodeConfig};
use crate::identity::Identity;
use crate::ledger::Genesis;
use crate::net::NetConfig;
use crate::tx::{Address, AssetId, Output};
use crate::{NodeError, Result};

/// The file that marks a directory as a devnet directory (one `ramjet devnet` may wipe).
pub const MARKER_FILE: &str = ".ramjet-devnet";
/// The devnet's chain id.
pub const DEVNET_CHAIN_ID: u32 = 4242;
/// The devnet's chain name (part of every gossip topic).
pub const DEVNET_CHAIN: &str = "devnet";
/// Proof-of-work bits of the nodes' ids (instant to mine).
const NODE_POW_BITS: u8 = 8;
/// The nodes' quiet period with `--backend wgpu` (see [`config_toml`]'s comment).
pub const WGPU_QUIET_PERIOD_MS: u64 = 3_000;
/// How many seconds of load the genesis funds before the first transfers are final and their
/// outputs spendable again.
pub const FUNDED_SECONDS: u64 = 5;
/// The amount of every genesis output: 2^40, so that transfers can halve it 40 times.
pub const GENESIS_AMOUNT: u64 = 1 << 40;

/// Which accelerator backend the nodes use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendChoice {
    /// Force the CPU backend for every call.
    Cpu,
    /// Let each node's dispatcher choose (GPU backends when it finds one worth it).
    Auto,
    /// Force the first wgpu adapter found for every call it implements (signature verification,
    /// Merkle hashing...); the others stay on the CPU. On a machine without a GPU that is Mesa's
    /// lavapipe, CPU-emulated, allowed for this run: it checks the kernels end to end, it does
    /// not make the devnet faster.
    Wgpu,
}

/// `accel.backend` for `choice`: `"cpu"`, none (the dispatcher chooses), or the id of the first
/// wgpu adapter found on this machine.
///
/// # Errors
/// `Wgpu` on a machine with no wgpu adapter, with the reasons detection gave.
pub fn accel_backend(choice: BackendChoice) -> Result<Option<String>> {
    match choice {
        BackendChoice::Cpu => Ok(Some("cpu".to_owned())),
        BackendChoice::Auto => Ok(None),
        BackendChoice::Wgpu => {
            let found = ramjet_kernels::detect_all();
            found
                .backends
                .iter()
                .find(|b| b.info().kind == ramjet_accel::BackendKind::Wgpu)
                .map(|b| Some(b.info().id()))
                .ok_or_else(|| {
                    NodeError::Devnet(format!(
                        "--backend wgpu: no wgpu adapter on this machine ({})",
                        found.notes.join("; ")
                    ))
                })
        }
    }
}

/// What to plan.
#[derive(Clone, Debug)]
pub struct PlanParams {
    /// The devnet directory.
    pub dir: PathBuf,
    /// How many nodes.
    pub nodes: usize,
    /// How many wallet accounts.
    pub accounts: usize,
    /// Transfers per second the load will submit.
    pub tps: u64,
    /// Double-spend attempts over the run.
    pub double_spends: usize,
    /// Seed of the account keys and the node keys.
    pub seed: u64,
    /// First port (node `i` uses `base + 3i`, `+1`, `+2`); 0 picks free ports.
    pub base_port: u16,
    /// The nodes' backend.
    pub backend: BackendChoice,
    /// Verify signatures one at a time.
    pub single_signature: bool,
}

/// One node's files and ports.
#[derive(Clone, Debug)]
pub struct NodePlan {
    /// Its index, 0 to N - 1 (node 0 is every other node's bootstrap peer).
    pub index: usize,
    /// `DIR/node-i`.
    pub dir: PathBuf,
    /// Its store: `DIR/node-i/data`.
    pub data_dir: PathBuf,
    /// Its key file: `DIR/node-i/node.key`.
    pub key_file: PathBuf,
    /// Its configuration: `DIR/node-i/config.toml`.
    pub config: PathBuf,
    /// Its log (stdout and stderr): `DIR/node-i/node.log`.
    pub log: PathBuf,
    /// libp2p TCP port.
    pub p2p_port: u16,
    /// gRPC API port.
    pub api_port: u16,
    /// Metrics port.
    pub metrics_port: u16,
    /// Its libp2p peer id.
    pub peer_id: String,
}

impl NodePlan {
    /// The node's libp2p listen address.
    pub fn p2p_addr(&self) -> String {
        format!("/ip4/127.0.0.1/tcp/{}", self.p2p_port)
    }

    /// The node's address as a bootstrap peer of the others.
    pub fn bootstrap_addr(&self) -> String {
        format!("{}/p2p/{}", self.p2p_addr(), self.peer_id)
    }

    /// The URL of its gRPC API.
    pub fn api_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.api_port)
    }
}

/// Everything `ramjet devnet` wrote before starting the nodes.
#[derive(Debug)]
pub struct Plan {
    /// The devnet directory (absolute).
    pub dir: PathBuf,
    /// The nodes.
    pub nodes: Vec<NodePlan>,
    /// The wallet's account keys.
    pub accounts: Vec<SigningKey>,
    /// The genesis: [`Plan::outputs_per_account`] outputs of [`GENESIS_AMOUNT`] per account,
    /// account by account.
    pub genesis: Genesis,
    /// Genesis outputs each account owns.
    pub outputs_per_account: usize,
    /// `DIR/genesis.json`.
    pub genesis_path: PathBuf,
    /// The one asset transfers move.
    pub asset: AssetId,
}

impl Plan {
    /// Prepares `params.dir` ([`prepare_dir`]) and writes every file: the genesis, and per node
    /// its key file and configuration.
    ///
    /// # Errors
    /// [`NodeError::Devnet`] for a directory that is not a devnet directory, or ports that are
    /// not free; I/O errors naming the file.
    pub fn create(params: &PlanParams) -> Result<Plan> {
        // Before the directory is touched: a backend that is not there leaves nothing behind.
        let backend = accel_backend(params.backend)?;
        prepare_dir(&params.dir)?;
        let dir = fs::canonicalize(&params.dir).map_err(|e| file_error(&params.dir, e))?;
        let ports = pick_ports(params.nodes * 3, params.base_port)?;
        let accounts = account_keys(params.seed, params.accounts);
        let per_account = outputs_per_account(params.tps, params.double_spends, params.accounts);
        let asset = devnet_asset();
        let genesis = build_genesis(&accounts, per_account, asset);
        let genesis_path = dir.join("genesis.json");
        GenesisFile::from_genesis(&genesis)
            .and_then(|file| file.save(&genesis_path))
            .map_err(|e| NodeError::Devnet(e.to_string()))?;

        let mut rng = ChaCha20Rng::seed_from_u64(params.seed ^ 0x6e6f_6465_6b65_7973);
        let mut nodes = Vec::with_capacity(params.nodes);
        for index in 0..params.nodes {
            let node_dir = dir.join(format!("node-{index}"));
            fs::create_dir_all(&node_dir).map_err(|e| file_error(&node_dir, e))?;
            let mut secret = [0u8; 32];
            rng.fill_bytes(&mut secret);
            let identity = Identity::from_secret(secret, NODE_POW_BITS)?;
            let key_file = node_dir.join("node.key");
            identity.write(&key_file)?;
            nodes.push(NodePlan {
                index,
                data_dir: node_dir.join("data"),
                key_file,
                config: node_dir.join("config.toml"),
                log: node_dir.join("node.log"),
                dir: node_dir,
                p2p_port: ports[3 * index],
                api_port: ports[3 * index + 1],
                metrics_port: ports[3 * index + 2],
                peer_id: crate::net::peer_id_of(&identity).to_string(),
            });
        }
        for node in &nodes {
            let text = config_toml(node, &nodes, &genesis_path, params, backend.as_deref());
            write_file(&node.config, &text)?;
        }
        Ok(Plan {
            dir,
            nodes,
            accounts,
            genesis,
            outputs_per_account: per_account,
            genesis_path,
            asset,
        })
    }
}

/// Makes `dir` an empty devnet directory: creates it if missing; wipes it if it is empty or
/// holds [`MARKER_FILE`] (a previous devnet); refuses anything else. Writes the marker.
///
/// # Errors
/// [`NodeError::Devnet`] if `dir` is a file, or a non-empty directory without the marker.
pub fn prepare_dir(dir: &Path) -> Result<()> {
    if dir.exists() {
        if !dir.is_dir() {
            return Err(NodeError::Devnet(format!(
                "{} exists and is not a directory; choose another --dir",
                dir.display()
            )));
        }
        let mut entries = fs::read_dir(dir).map_err(|e| file_error(dir, e))?;
        let empty = entries.next().is_none();
        if !empty && !dir.join(MARKER_FILE).is_file() {
            return Err(NodeError::Devnet(format!(
                "{} exists, is not empty and does not look like a devnet directory (no {MARKER_FILE} \
                 in it); refusing to wipe it: remove it yourself or choose another --dir",
                dir.display()
            )));
        }
        fs::remove_dir_all(dir).map_err(|e| file_error(dir, e))?;
    }
    fs::create_dir_all(dir).map_err(|e| file_error(dir, e))?;
    write_file(
        &dir.join(MARKER_FILE),
        "This directory was written by `ramjet devnet`, which wipes it on its next run.\n",
    )
}

/// `count` distinct TCP ports on 127.0.0.1: with `base` 0, free ports the operating system
/// picks (all held open until all are picked, so they differ); otherwise `base`, `base + 1`, …,
/// each checked free.
///
/// # Errors
/// [`NodeError::Devnet`] if a port is taken or the range passes 65535.
pub fn pick_ports(count: usize, base: u16) -> Result<Vec<u16>> {
    let bind = |port: u16| TcpListener::bind((Ipv4Addr::LOCALHOST, port));
    if base == 0 {
        let listeners = (0..count)
            .map(|_| bind(0))
            .collect::<std::io::Result<Vec<_>>>()
            .map_err(|e| NodeError::Devnet(format!("cannot find a free port: {e}")))?;
        return listeners
            .iter()
            .map(|l| {
                l.local_addr()
                    .map(|a| a.port())
                    .map_err(|e| NodeError::Devnet(format!("cannot find a free port: {e}")))
            })
            .collect();
    }
    let last = usize::from(base) + count.saturating_sub(1);
    if last > usize::from(u16::MAX) {
        return Err(NodeError::Devnet(format!(
            "--base-port {base}: {count} ports from there pass 65535"
        )));
    }
    (0..count)
        .map(|i| {
            let port = base + i as u16;
            bind(port).map(|_| port).map_err(|e| {
                NodeError::Devnet(format!(
                    "port {port} (from --base-port {base}) is not free: {e}; choose another \
                     --base-port or 0 for free ports"
                ))
            })
        })
        .collect()
}

/// `count` account keys derived from `seed` (the same seed gives the same keys).
pub fn account_keys(seed: u64, count: usize) -> Vec<SigningKey> {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    (0..count)
        .map(|_| {
            let mut secret = [0u8; 32];
            rng.fill_bytes(&mut secret);
            SigningKey::from(secret)
        })
        .collect()
}

/// Genesis outputs each account gets: enough for [`FUNDED_SECONDS`] of transfers at `tps` and
/// every double-spend attempt, before any output comes back (at least 4 each).
pub fn outputs_per_account(tps: u64, double_spends: usize, accounts: usize) -> usize {
    let needed = tps.saturating_mul(FUNDED_SECONDS) as usize + 2 * double_spends;
    needed.div_ceil(accounts.max(1)).max(4)
}

/// The devnet's asset id: SHA-256 of `"ramjet/devnet/coin"`.
pub fn devnet_asset() -> AssetId {
    AssetId(Sha256::digest(b"ramjet/devnet/coin").into())
}

/// `per_account` outputs of [`GENESIS_AMOUNT`] for each account, account 0's first.
pub fn build_genesis(accounts: &[SigningKey], per_account: usize, asset: AssetId) -> Genesis {
    let outputs = accounts
        .iter()
        .flat_map(|key| {
            let address =
                Address::of_public_key(DEVNET_CHAIN_ID, &key.verification_key().to_bytes());
            (0..per_account).map(move |_| Output {
                address,
                asset,
                amount: GENESIS_AMOUNT,
                data: None,
                contract: None,
            })
        })
        .collect();
    Genesis {
        chain_id: DEVNET_CHAIN_ID,
        outputs,
    }
}

/// The genesis file's JSON: `{ "chain_id", "outputs": [{ "key_hash", "asset", "amount" }] }`.
pub fn genesis_json(genesis: &Genesis) -> String {
    let outputs: Vec<serde_json::Value> = genesis
        .outputs
        .iter()
        .map(|o| {
            serde_json::json!({
                "key_hash": o.address.key_hash.to_hex(),
                "asset": o.asset.to_hex(),
                "amount": o.amount,
            })
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&serde_json::json!({
        "chain_id": genesis.chain_id,
        "outputs": outputs,
    }))
    .expect("JSON values serialise");
    text.push('\n');
    text
}

/// Node `node`'s configuration file (TOML): a validator on 127.0.0.1, bootstrapping from node 0
/// (node 0 from none), on the devnet chain with the shared genesis, its accelerator forced to
/// `backend` ([`accel_backend`]) when there is one.
pub fn config_toml(
    node: &NodePlan,
    nodes: &[NodePlan],
    genesis: &Path,
    params: &PlanParams,
    backend: Option<&str>,
) -> String {
    let mut config = NodeConfig::default();
    config.node.mode = Mode::Validator;
    config.node.data_dir = node.data_dir.clone();
    config.node.key_file = Some(node.key_file.clone());
    config.node.genesis = Some(genesis.to_owned());
    config.network = NetConfig {
        chain: DEVNET_CHAIN.into(),
        listen: vec![node.p2p_addr()],
        bootstrap: if node.index == 0 {
            Vec::new()
        } else {
            vec![nodes[0].bootstrap_addr()]
        },
        min_peers: nodes.len().saturating_sub(1).max(1),
        max_peers: (2 * nodes.len()).max(8),
        ..NetConfig::default()
    };
    config.api.listen = SocketAddr::from((Ipv4Addr::LOCALHOST, node.api_port));
    config.api.rate_limit_exempt_loopback = true;
    config.api.max_batch = super::load::MAX_BATCH;
    config.metrics.listen = SocketAddr::from((Ipv4Addr::LOCALHOST, node.metrics_port));
    config.protocol.ledger.chain_id = DEVNET_CHAIN_ID;
    config.accel.backend = backend.map(str::to_owned);
    // A forced wgpu adapter may be lavapipe: the run asked for it by name.
    config.accel.allow_emulated = params.backend == BackendChoice::Wgpu;
    // ... and it is a check of the kernels: every device answer is recomputed on the CPU. The
    // quiet period must exceed two hops, each including the receiver's signature verification
    // (`docs/consensus.md`): on lavapipe a batch takes up to a second with its audit, far over
    // the default 400 ms, and the nodes would then accept both sides of a double spend.
    if params.backend == BackendChoice::Wgpu {
        config.accel.audit = 1;
        config.protocol.ledger.quiet_period_ms = WGPU_QUIET_PERIOD_MS;
    }
    config.accel.single_signature = params.single_signature;
    let mut text = format!(
        "# Node {} of the devnet written by `ramjet devnet` (rewritten on every run).\n\n",
        node.index
    );
    text.push_str(
        &config
            .to_toml_string()
            .expect("the devnet config serialises (UTF-8 paths)"),
    );
    text
}

fn write_file(path: &Path, text: &str) -> Result<()> {
    fs::write(path, text).map_err(|e| file_error(path, e))
}

pub(crate) fn file_error(path: &Path, e: std::io::Error) -> NodeError {
    NodeError::File {
        path: path.to_owned(),
        reason: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_keys_are_deterministic_and_distinct() {
        let a = account_keys(1, 8);
        let b = account_keys(1, 8);
        let c = account_keys(2, 8);
        assert_eq!(a.len(), 8);
        assert!(a.iter().zip(&b).all(|(x, y)| x.to_bytes() == y.to_bytes()));
        assert_ne!(a[0].to_bytes(), c[0].to_bytes());
        let mut keys: Vec<_> = a.iter().map(|k| k.to_bytes()).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), 8);
    }

    #[test]
    fn genesis_funds_the_load() {
        assert_eq!(
            outputs_per_account(500, 20, 64),
            (2500 + 40usize).div_ceil(64)
        );
        assert_eq!(outputs_per_account(1, 0, 64), 4);
        let keys = account_keys(1, 3);
        let genesis = build_genesis(&keys, 5, devnet_asset());
        assert_eq!(genesis.outputs.len(), 15);
        assert!(genesis.outputs.iter().all(|o| o.amount == GENESIS_AMOUNT));
        assert_eq!(
            genesis.outputs[5].address,
            Address::of_public_key(DEVNET_CHAIN_ID, &keys[1].verification_key().to_bytes())
        );
        let json: serde_json::Value = serde_json::from_str(&genesis_json(&genesis)).unwrap();
        assert_eq!(json["chain_id"], DEVNET_CHAIN_ID);
        assert_eq!(json["outputs"].as_array().unwrap().len(), 15);
        assert_eq!(
            json["outputs"][0]["key_hash"],
            genesis.outputs[0].address.key_hash.to_hex()
        );
    }

    #[test]
    fn free_ports_are_distinct() {
        let ports = pick_ports(12, 0).unwrap();
        let mut sorted = ports.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), 12);
        assert!(ports.iter().all(|&p| p != 0));
    }

    #[test]
    fn a_taken_base_port_is_refused() {
        let held = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let port = held.local_addr().unwrap().port();
        let error = pick_ports(3, port).unwrap_err().to_string();
        assert!(error.contains("is not free"), "{error}");
        assert!(pick_ports(3, u16::MAX).is_err());
    }

    #[test]
    fn refuses_a_directory_that_is_not_a_devnet() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("precious");
        fs::create_dir(&dir).unwrap();
        fs::write(dir.join("thesis.tex"), "years of work").unwrap();
        let error = prepare_dir(&dir).unwrap_err().to_string();
        assert!(
            error.contains("does not look like a devnet directory"),
            "{error}"
        );
        assert!(dir.join("thesis.tex").exists());
        // A previous devnet is wiped.
        let devnet = root.path().join("devnet");
        prepare_dir(&devnet).unwrap();
        fs::write(devnet.join("old.log"), "x").unwrap();
        prepare_dir(&devnet).unwrap();
        assert!(!devnet.join("old.log").exists());
        assert!(devnet.join(MARKER_FILE).is_file());
    }

    #[test]
    fn plan_writes_every_file() {
        let root = tempfile::tempdir().unwrap();
        let params = PlanParams {
            dir: root.path().join("devnet"),
            nodes: 3,
            accounts: 4,
            tps: 100,
            double_spends: 3,
            seed: 1,
            base_port: 0,
            backend: BackendChoice::Cpu,
            single_signature: false,
        };
        let plan = Plan::create(&params).unwrap();
        assert_eq!(plan.nodes.len(), 3);
        // Forced to a wgpu adapter (maybe lavapipe): allowed, audited, and a quiet period long
        // enough for a slow device's verification on each hop.
        let wgpu = PlanParams {
            backend: BackendChoice::Wgpu,
            ..params.clone()
        };
        let text = config_toml(
            &plan.nodes[0],
            &plan.nodes,
            &plan.genesis_path,
            &wgpu,
            Some("wgpu:test"),
        );
        let value: toml::Value = toml::from_str(&text).unwrap();
        assert_eq!(value["accel"]["backend"].as_str(), Some("wgpu:test"));
        assert_eq!(value["accel"]["audit"].as_integer(), Some(1));
        assert_eq!(value["accel"]["allow_emulated"].as_bool(), Some(true));
        assert_eq!(
            value["protocol"]["ledger"]["quiet_period_ms"].as_integer(),
            Some(WGPU_QUIET_PERIOD_MS as i64)
        );
        let mut ports: Vec<u16> = plan
            .nodes
            .iter()
            .flat_map(|n| [n.p2p_port, n.api_port, n.metrics_port])
            .collect();
        ports.sort();
        ports.dedup();
        assert_eq!(ports.len(), 9);
        assert_eq!(
            plan.genesis.outputs.len(),
            4 * outputs_per_account(100, 3, 4)
        );
        assert!(plan.genesis_path.is_file());
        for node in &plan.nodes {
            assert!(node.key_file.is_file());
            Identity::load(&node.key_file).unwrap();
            let loaded = NodeConfig::load(Some(&node.config), &Default::default()).unwrap();
            assert_eq!(loaded.genesis().unwrap(), plan.genesis);
            let text = fs::read_to_string(&node.config).unwrap();
            let value: toml::Value = toml::from_str(&text).unwrap();
            assert_eq!(value["node"]["mode"].as_str(), Some("validator"));
            assert_eq!(
                value["protocol"]["ledger"]["chain_id"].as_integer(),
                Some(i64::from(DEVNET_CHAIN_ID))
            );
            assert_eq!(value["accel"]["backend"].as_str(), Some("cpu"));
            assert_eq!(value["accel"]["audit"].as_integer(), Some(0));
            assert_eq!(value["accel"]["allow_emulated"].as_bool(), Some(false));
            assert_eq!(
                value["protocol"]["ledger"]["quiet_period_ms"].as_integer(),
                Some(400)
            );
            assert_eq!(
                value["api"]["listen"].as_str().unwrap(),
                format!("127.0.0.1:{}", node.api_port)
            );
            let bootstrap = value["network"]["bootstrap"].as_array().unwrap();
            if node.index == 0 {
                assert!(bootstrap.is_empty());
            } else {
                assert_eq!(
                    bootstrap[0].as_str().unwrap(),
                    plan.nodes[0].bootstrap_addr()
                );
            }
        }
        // The same seed gives the same peer ids.
        let again = Plan::create(&params).unwrap();
        assert_eq!(again.nodes[1].peer_id, plan.nodes[1].peer_id);
    }
}
