//! The `ramjet node` configuration: one TOML file ([`NodeConfig`]), command-line flags over it
//! ([`ConfigOverrides`]), and every problem with either reported at once ([`ConfigError`]).
//!
//! Sections: `[node]` ([`NodeSection`]: mode, data directory, key file, genesis file, proof of
//! work), `[network]` ([`NetConfig`]), `[api]` ([`ApiConfig`]), `[metrics]` ([`MetricsConfig`]),
//! `[protocol]` ([`ProtocolConfig`]) and `[accel]` ([`AccelConfig`]). Every field has a default
//! that works for a single local node; `docs/node-config.example.toml` shows them all, commented,
//! and `docs/node-config.md` describes loading and the sections.
//!
//! Loading ([`NodeConfig::load`]): the file is parsed with toml's recovering parser, each section
//! is deserialised on its own (every unknown key and wrong type found, not just the first), the
//! flags are applied, and then every value is checked, including the genesis and key files the
//! configuration names. The genesis file format is [`GenesisFile`].

mod error;
mod genesis_file;
mod overrides;
mod parse;
mod sections;
mod validate;

use std::path::Path;

use serde::{Deserialize, Serialize};

pub use error::ConfigError;
pub use genesis_file::{GenesisFile, GenesisFileError, GenesisOutput};
pub use overrides::ConfigOverrides;
pub use sections::{
    AccelConfig, ApiConfig, DEFAULT_POW_BITS, MetricsConfig, Mode, NodeSection, ParseModeError,
};

use crate::ledger::Genesis;
use crate::net::NetConfig;
use crate::protocol::ProtocolConfig;

/// Everything `ramjet node` reads from its configuration file.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NodeConfig {
    /// `[node]`: mode, data directory, key file, genesis file, proof of work on the node id.
    pub node: NodeSection,
    /// `[network]`: the libp2p network (`docs/network.md`).
    pub network: NetConfig,
    /// `[api]`: the gRPC API.
    pub api: ApiConfig,
    /// `[metrics]`: Prometheus metrics over HTTP.
    pub metrics: MetricsConfig,
    /// `[protocol]`: the ledger, conflict resolution, direct trust and the flush interval.
    pub protocol: ProtocolConfig,
    /// `[accel]`: the accelerator dispatcher.
    pub accel: AccelConfig,
}

impl NodeConfig {
    /// Loads the file at `path` (all defaults when `None`), applies `overrides`, and checks the
    /// result.
    ///
    /// # Errors
    /// [`ConfigError`] listing every problem: the file cannot be read (the OS's reason); TOML
    /// syntax errors, unknown sections and keys and values of the wrong type (with line and
    /// column); flag values that do not parse (named by their flag); and every semantic problem
    /// ([`NodeConfig::problems`]).
    pub fn load(path: Option<&Path>, overrides: &ConfigOverrides) -> Result<Self, ConfigError> {
        let Some(path) = path else {
            return Self::build(Self::default(), Vec::new(), overrides, None);
        };
        let fail = |problem: String| ConfigError {
            path: Some(path.to_owned()),
            problems: vec![problem],
        };
        let text = std::fs::read_to_string(path)
            .map_err(|e| fail(format!("cannot read the file: {e}")))?;
        let (config, problems) = parse::parse(&text);
        Self::build(config, problems, overrides, Some(path))
    }

    /// Like [`NodeConfig::load`], from the text of a file (the error names no path).
    ///
    /// # Errors
    /// As [`NodeConfig::load`].
    pub fn from_toml_str(text: &str, overrides: &ConfigOverrides) -> Result<Self, ConfigError> {
        let (config, problems) = parse::parse(text);
        Self::build(config, problems, overrides, None)
    }

    fn build(
        mut config: Self,
        mut problems: Vec<String>,
        overrides: &ConfigOverrides,
        path: Option<&Path>,
    ) -> Result<Self, ConfigError> {
        let (origins, flag_problems) = overrides.apply(&mut config);
        problems.extend(flag_problems);
        problems.extend(validate::problems(&config, &origins));
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(ConfigError {
                path: path.map(Path::to_owned),
                problems,
            })
        }
    }

    /// Every semantic problem, one line each naming the setting
    /// (`network.max_peers = 0: must be at least 1`); empty when the configuration is usable.
    ///
    /// Checks [`NetConfig::problems`], each part of [`ProtocolConfig`], the `[api]` limits, that
    /// the API and the metrics do not share a port, the genesis file (readable, well-formed,
    /// on `protocol.ledger.chain_id`), the key file (absent, or a valid key file of mode 0600),
    /// the proof-of-work bits, the accelerator backend name and calibration profile.
    pub fn problems(&self) -> Vec<String> {
        validate::problems(self, &overrides::Origins::default())
    }

    /// [`NodeConfig::problems`] as a result.
    ///
    /// # Errors
    /// [`ConfigError`] (without a path) when there is any problem.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let problems = self.problems();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ConfigError {
                path: None,
                problems,
            })
        }
    }

    /// The configuration as a TOML document (no comments; unset optional values are left out).
    ///
    /// # Errors
    /// A path that is not valid UTF-8 cannot be written as TOML.
    pub fn to_toml_string(&self) -> Result<String, toml::ser::Error> {
        toml::to_string(self)
    }

    /// The genesis the node starts from: the `node.genesis` file, or an empty genesis on
    /// `protocol.ledger.chain_id`.
    ///
    /// # Errors
    /// [`GenesisFileError`] if the file cannot be read or parsed.
    pub fn genesis(&self) -> Result<Genesis, GenesisFileError> {
        match &self.node.genesis {
            Some(path) => GenesisFile::load(path).map(|file| file.to_genesis()),
            None => Ok(Genesis {
                chain_id: self.protocol.ledger.chain_id,
                outputs: Vec::new(),
            }),
        }
    }
}
