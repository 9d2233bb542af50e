//! The peer-metadata topic: what a node announces about itself (mode, version, whether it is
//! behind with its work) when a peer connects, every [`ANNOUNCE_INTERVAL`], and when it falls
//! behind or catches up ([`super::backpressure`]). It is keyed by the message's signed author. A
//! small JSON object; anything else is invalid.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How often a node announces its metadata.
pub(crate) const ANNOUNCE_INTERVAL: Duration = Duration::from_secs(30);

/// Largest metadata message accepted, in bytes.
pub(crate) const MAX_META_LEN: usize = 512;

/// What a peer announced about itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeerMeta {
    /// Its mode: `validator`, `observer` or `light`.
    pub mode: String,
    /// Its software version (`ramjet/x.y.z`).
    pub version: String,
    /// When it announced, ms since the Unix epoch (also makes each announcement a distinct
    /// gossip message: message ids are content hashes).
    pub time_ms: u64,
    /// Whether it is behind with its own work and refusing its clients (absent: `false`).
    #[serde(default)]
    pub behind: bool,
}

impl PeerMeta {
    /// This node's metadata in `mode`, `behind` or not.
    pub(crate) fn own(mode: crate::config::Mode, time_ms: u64, behind: bool) -> Self {
        Self {
            mode: mode.to_string(),
            version: format!("ramjet/{}", env!("CARGO_PKG_VERSION")),
            time_ms,
            behind,
        }
    }

    /// The message bytes.
    pub(crate) fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("metadata serialises")
    }

    /// Parses a metadata message: at most [`MAX_META_LEN`] bytes, exactly these fields, a known
    /// mode and a version of at most 64 characters.
    pub(crate) fn decode(bytes: &[u8]) -> Option<Self> {
        if bytes.len() > MAX_META_LEN {
            return None;
        }
        let meta: PeerMeta = serde_json::from_slice(bytes).ok()?;
        let mode_ok = matches!(meta.mode.as_str(), "validator" | "observer" | "light");
        (mode_ok && meta.version.len() <= 64).then_some(meta)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Mode;

    #[test]
    fn round_trip_and_refusals() {
        let own = PeerMeta::own(Mode::Observer, 7, true);
        assert_eq!(PeerMeta::decode(&own.encode()), Some(own));
        // Without `behind` (an older node): not behind.
        let old = PeerMeta::decode(br#"{"mode":"light","version":"x","time_ms":1}"#).unwrap();
        assert!(!old.behind);
        assert_eq!(PeerMeta::decode(b"garbage"), None);
        assert_eq!(
            PeerMeta::decode(br#"{"mode":"king","version":"x","time_ms":1}"#),
            None
        );
        assert_eq!(
            PeerMeta::decode(br#"{"mode":"light","version":"x","time_ms":1,"extra":1}"#),
            None
        );
        assert_eq!(PeerMeta::decode(&vec![b' '; MAX_META_LEN + 1]), None);
    }
}
