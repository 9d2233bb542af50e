//! STUB (replaced by the n-cfg branch at merge): only the types the service and API use.
#![allow(missing_docs)]

use std::net::SocketAddr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Mode {
    #[default]
    Validator,
    Observer,
    Light,
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Mode::Validator => "validator",
            Mode::Observer => "observer",
            Mode::Light => "light",
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ApiConfig {
    pub enabled: bool,
    pub listen: SocketAddr,
    pub admin_token: Option<String>,
    pub rate_limit_per_sec: u32,
    pub rate_limit_burst: u32,
    pub rate_limit_exempt_loopback: bool,
    pub max_batch: usize,
    pub max_message_size: usize,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            listen: "127.0.0.1:7700".parse().unwrap(),
            admin_token: None,
            rate_limit_per_sec: 200,
            rate_limit_burst: 400,
            rate_limit_exempt_loopback: true,
            max_batch: 1024,
            max_message_size: 16 << 20,
        }
    }
}
