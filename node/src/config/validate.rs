//! The semantic checks of a [`NodeConfig`]: every section's ranges, the checks across sections,
//! and the files the configuration names (genesis, key file, calibration profile).

use std::fs;
use std::io::ErrorKind;

use ramjet_accel::CalibrationProfile;

use super::overrides::Origins;
use super::{GenesisFile, NodeConfig};
use crate::consensus::ConsensusError;
use crate::identity::{Identity, MAX_POW_BITS};
use crate::ledger::LedgerError;
use crate::trust::TrustError;

/// Largest `api.max_batch`.
pub(super) const MAX_API_BATCH: usize = 65_536;
/// Bounds of `api.max_message_size`.
const API_MESSAGE_SIZE: std::ops::RangeInclusive<usize> = 1024..=256 * 1024 * 1024;
/// Shortest `api.admin_token`.
pub(super) const MIN_ADMIN_TOKEN_CHARS: usize = 16;
/// The backend kinds `accel.backend` may name (`ramjet_accel::BackendKind`'s names).
const BACKEND_KINDS: [&str; 4] = ["cpu", "cuda", "wgpu", "fpga"];

/// Every problem with `config`, one line each naming the setting (and the flag that set it).
pub(super) fn problems(config: &NodeConfig, origins: &Origins) -> Vec<String> {
    let mut p = Vec::new();
    node(config, origins, &mut p);
    for problem in config.network.problems() {
        let flag = origins.network_flag(&problem);
        p.push(format!("network.{problem}{flag}"));
    }
    api(config, origins, &mut p);
    protocol(config, &mut p);
    accel(config, origins, &mut p);
    p
}

fn node(config: &NodeConfig, origins: &Origins, p: &mut Vec<String>) {
    let node = &config.node;
    if node.pow_bits > MAX_POW_BITS {
        p.push(format!(
            "node.pow_bits = {}: must be at most {MAX_POW_BITS}",
            node.pow_bits
        ));
    }
    let data_dir_flag = Origins::note(origins.data_dir, "--data-dir");
    if node.data_dir.as_os_str().is_empty() {
        p.push(format!(
            "node.data_dir = \"\": must not be empty{data_dir_flag}"
        ));
    } else if node.data_dir.exists() && !node.data_dir.is_dir() {
        p.push(format!(
            "node.data_dir = {:?}: exists and is not a directory{data_dir_flag}",
            node.data_dir
        ));
    }
    if node
        .key_file
        .as_ref()
        .is_some_and(|f| f.as_os_str().is_empty())
    {
        let flag = Origins::note(origins.key_file, "--key-file");
        p.push(format!("node.key_file = \"\": must not be empty{flag}"));
    } else {
        // A missing key file is created on first start; one that is there must be usable.
        let path = node.key_path();
        let flag = if origins.key_file {
            Origins::note(true, "--key-file")
        } else {
            Origins::note(origins.data_dir, "--data-dir")
        };
        let unusable = match fs::symlink_metadata(&path) {
            Ok(_) => Identity::load(&path).err().map(|e| e.to_string()),
            Err(e) if e.kind() == ErrorKind::NotFound => None,
            Err(e) => Some(format!("{}: {e}", path.display())),
        };
        if let Some(reason) = unusable {
            p.push(format!("node.key_file: {reason}{flag}"));
        }
    }
    if let Some(path) = &node.genesis {
        let chain_id = config.protocol.ledger.chain_id;
        match GenesisFile::load(path) {
            Err(e) => p.push(format!("node.genesis: {e}")),
            Ok(file) => {
                if file.chain_id != chain_id {
                    p.push(format!(
                        "node.genesis = {path:?}: its chain_id {} differs from \
                         protocol.ledger.chain_id = {chain_id}",
                        file.chain_id
                    ));
                }
                if let Err(e) = file.to_genesis().validate(file.chain_id) {
                    p.push(format!("node.genesis = {path:?}: {e}"));
                }
            }
        }
    }
}

fn api(config: &NodeConfig, origins: &Origins, p: &mut Vec<String>) {
    let api = &config.api;
    for (name, value) in [
        ("rate_limit_per_sec", api.rate_limit_per_sec),
        ("rate_limit_burst", api.rate_limit_burst),
    ] {
        if value == 0 {
            p.push(format!("api.{name} = 0: must be at least 1"));
        }
    }
    if !(1..=MAX_API_BATCH).contains(&api.max_batch) {
        p.push(format!(
            "api.max_batch = {}: must be between 1 and {MAX_API_BATCH}",
            api.max_batch
        ));
    }
    if !API_MESSAGE_SIZE.contains(&api.max_message_size) {
        p.push(format!(
            "api.max_message_size = {}: must be between 1 KiB and 256 MiB",
            api.max_message_size
        ));
    }
    if let Some(token) = &api.admin_token {
        let chars = token.chars().count();
        if chars < MIN_ADMIN_TOKEN_CHARS {
            // The token itself is never printed.
            p.push(format!(
                "api.admin_token: {chars} characters, must be at least {MIN_ADMIN_TOKEN_CHARS}"
            ));
        }
    }
    let (api_port, metrics_port) = (api.listen.port(), config.metrics.listen.port());
    if api.enabled && config.metrics.enabled && api_port != 0 && api_port == metrics_port {
        p.push(format!(
            "metrics.listen = {}{}: same port as api.listen = {}{}",
            config.metrics.listen,
            Origins::note(origins.metrics_listen, "--metrics-listen"),
            api.listen,
            Origins::note(origins.api_listen, "--api-listen"),
        ));
    }
}

/// Each part's violations, named `protocol.<part>.<field>`.
fn protocol(config: &NodeConfig, p: &mut Vec<String>) {
    let protocol = &config.protocol;
    let before = p.len();
    let mut part = |name: &str, violations: Vec<String>| {
        p.extend(
            violations
                .into_iter()
                .map(|v| format!("protocol.{name}.{v}")),
        );
    };
    match protocol.ledger.validate() {
        Ok(()) => {}
        Err(LedgerError::Config { problems }) => part("ledger", problems),
        Err(e) => part("ledger", vec![e.to_string()]),
    }
    match protocol.consensus.validate() {
        Ok(()) => {}
        Err(ConsensusError::InvalidParameters { violations }) => part("consensus", violations),
        Err(e) => part("consensus", vec![e.to_string()]),
    }
    match protocol.trust.validate() {
        Ok(()) => {}
        Err(TrustError::InvalidParameters { violations }) => part("trust", violations),
        Err(e) => part("trust", vec![e.to_string()]),
    }
    if protocol.flush_interval_ms == 0 {
        p.push("protocol.flush_interval_ms = 0: must be positive".into());
    }
    // Whatever ProtocolConfig::validate checks beyond its parts, should it grow.
    if p.len() == before
        && let Err(e) = protocol.validate()
    {
        p.push(format!("protocol: {e}"));
    }
}

fn accel(config: &NodeConfig, origins: &Origins, p: &mut Vec<String>) {
    let accel = &config.accel;
    if let Some(backend) = &accel.backend {
        let kind = backend.split(':').next().unwrap_or_default();
        let well_formed =
            backend == "cpu" || (BACKEND_KINDS.contains(&kind) && backend.len() > kind.len() + 1);
        if !well_formed {
            p.push(format!(
                "accel.backend = {backend:?}: must be \"cpu\" or a backend id as `ramjet devices` \
                 prints it (kind:device, kind one of {}){}",
                BACKEND_KINDS.join(", "),
                Origins::note(origins.backend, "--backend")
            ));
        }
    }
    if let Some(path) = &accel.profile
        && let Err(e) = CalibrationProfile::load(path)
    {
        p.push(format!("accel.profile: {e}"));
    }
}
