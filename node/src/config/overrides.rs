//! [`ConfigOverrides`]: the settings `ramjet node`'s flags can change, applied over the file.

use std::net::SocketAddr;
use std::path::PathBuf;

use super::NodeConfig;

/// Values given on the command line, applied over the file's before validation. `None` (or an
/// empty `bootstrap`) leaves the file's value. Values are raw strings where a flag can be
/// malformed, so that a bad flag is reported with the others, named by its flag.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConfigOverrides {
    /// `--data-dir`: replaces `node.data_dir`.
    pub data_dir: Option<PathBuf>,
    /// `--key-file`: replaces `node.key_file`.
    pub key_file: Option<PathBuf>,
    /// `--mode`: replaces `node.mode` (`validator`, `observer` or `light`).
    pub mode: Option<String>,
    /// `--listen` (repeatable): replaces `network.listen`.
    pub listen: Option<Vec<String>>,
    /// `--bootstrap` (repeatable): appended to `network.bootstrap`.
    pub bootstrap: Vec<String>,
    /// `--api-listen`: replaces `api.listen` (`ip:port`).
    pub api_listen: Option<String>,
    /// `--metrics-listen`: replaces `metrics.listen` (`ip:port`).
    pub metrics_listen: Option<String>,
    /// `--chain`: replaces `network.chain`.
    pub chain: Option<String>,
    /// `--backend`: replaces `accel.backend`.
    pub backend: Option<String>,
}

/// Which settings a flag set, so that their problems name the flag.
#[derive(Clone, Debug, Default)]
pub(super) struct Origins {
    pub(super) data_dir: bool,
    pub(super) key_file: bool,
    pub(super) listen: bool,
    /// Index of the first bootstrap entry that came from `--bootstrap`.
    pub(super) bootstrap_from: Option<usize>,
    pub(super) api_listen: bool,
    pub(super) metrics_listen: bool,
    pub(super) chain: bool,
    pub(super) backend: bool,
}

impl ConfigOverrides {
    /// Applies every override to `config`; returns where each setting came from and a problem
    /// for each flag value that does not parse.
    pub(super) fn apply(&self, config: &mut NodeConfig) -> (Origins, Vec<String>) {
        let mut origins = Origins::default();
        let mut problems = Vec::new();
        if let Some(dir) = &self.data_dir {
            config.node.data_dir = dir.clone();
            origins.data_dir = true;
        }
        if let Some(file) = &self.key_file {
            config.node.key_file = Some(file.clone());
            origins.key_file = true;
        }
        if let Some(mode) = &self.mode {
            match mode.parse() {
                Ok(mode) => config.node.mode = mode,
                Err(e) => problems.push(format!("--mode = {mode:?}: {e}")),
            }
        }
        if let Some(listen) = &self.listen {
            config.network.listen = listen.clone();
            origins.listen = true;
        }
        if !self.bootstrap.is_empty() {
            origins.bootstrap_from = Some(config.network.bootstrap.len());
            config
                .network
                .bootstrap
                .extend(self.bootstrap.iter().cloned());
        }
        if let Some(addr) = &self.api_listen {
            match parse_socket_addr(addr) {
                Ok(addr) => config.api.listen = addr,
                Err(e) => problems.push(format!("--api-listen = {addr:?}: {e}")),
            }
            origins.api_listen = true;
        }
        if let Some(addr) = &self.metrics_listen {
            match parse_socket_addr(addr) {
                Ok(addr) => config.metrics.listen = addr,
                Err(e) => problems.push(format!("--metrics-listen = {addr:?}: {e}")),
            }
            origins.metrics_listen = true;
        }
        if let Some(chain) = &self.chain {
            config.network.chain = chain.clone();
            origins.chain = true;
        }
        if let Some(backend) = &self.backend {
            config.accel.backend = Some(backend.clone());
            origins.backend = true;
        }
        (origins, problems)
    }
}

fn parse_socket_addr(s: &str) -> Result<SocketAddr, String> {
    s.parse().map_err(|_| {
        "not a socket address: expected ip:port, e.g. 127.0.0.1:7700 or [::1]:7700".into()
    })
}

impl Origins {
    /// `" (from --flag)"` when `set`, else nothing.
    pub(super) fn note(set: bool, flag: &str) -> String {
        if set {
            format!(" (from {flag})")
        } else {
            String::new()
        }
    }

    /// The flag a `network` problem's setting came from, if any (`problem` starts with the
    /// field's name, as [`crate::net::NetConfig::problems`] writes them).
    pub(super) fn network_flag(&self, problem: &str) -> String {
        if problem.starts_with("listen") {
            return Self::note(self.listen, "--listen");
        }
        if let Some(from) = self.bootstrap_from
            && let Some(rest) = problem.strip_prefix("bootstrap[")
            && let Some(index) = rest.split(']').next().and_then(|i| i.parse::<usize>().ok())
        {
            return Self::note(index >= from, "--bootstrap");
        }
        if problem.starts_with("chain ") {
            return Self::note(self.chain, "--chain");
        }
        String::new()
    }
}
