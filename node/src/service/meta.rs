//! The peer-metadata topic: what a node announces about itself (mode, version, whether it is
//! behind with its work) when a peer connects, every [`ANNOUNCE_INTERVAL`], and when it falls
//! behind or catches up ([`super::backpressure`]). Gossip messages carry no author, so the
//! announcement is signed by the announcing node ([`PeerMeta::seal`]): its public key, its
//! Ed25519 signature, then a small JSON object; anything else is invalid.

use std::time::Duration;

use ed25519_consensus::{Signature, VerificationKey};
use serde::{Deserialize, Serialize};

use crate::identity::Identity;

/// How often a node announces its metadata.
pub(crate) const ANNOUNCE_INTERVAL: Duration = Duration::from_secs(30);

/// Largest metadata JSON accepted, in bytes (the sealed message adds [`SEAL_LEN`]).
pub(crate) const MAX_META_LEN: usize = 512;

/// The public key and signature before a sealed announcement's JSON.
pub(crate) const SEAL_LEN: usize = 32 + 64;

/// What a metadata signature signs before the public key and the JSON.
const SIGNING_DOMAIN: &[u8] = b"ramjet/peer-meta/1";

fn signing_message(public_key: &[u8; 32], json: &[u8]) -> Vec<u8> {
    [SIGNING_DOMAIN, public_key, json].concat()
}

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

    /// The gossip message: `identity`'s public key (32 bytes) ‖ its Ed25519 signature (64) of
    /// `ramjet/peer-meta/1` ‖ public key ‖ JSON ‖ the JSON ([`PeerMeta::encode`]).
    pub fn seal(&self, identity: &Identity) -> Vec<u8> {
        let json = self.encode();
        let public_key = identity.public_key();
        let signature = identity.sign(&signing_message(public_key, &json));
        let mut sealed = Vec::with_capacity(SEAL_LEN + json.len());
        sealed.extend_from_slice(public_key);
        sealed.extend_from_slice(&signature);
        sealed.extend_from_slice(&json);
        sealed
    }

    /// Opens a sealed announcement: its signer's public key and what it says, if the signature
    /// is valid (ZIP-215, like every signature of the protocol) and the JSON is
    /// ([`PeerMeta::decode`]).
    pub fn open(bytes: &[u8]) -> Option<([u8; 32], Self)> {
        let (public_key, rest) = bytes.split_first_chunk::<32>()?;
        let (signature, json) = rest.split_first_chunk::<64>()?;
        let meta = Self::decode(json)?;
        let key = VerificationKey::try_from(*public_key).ok()?;
        key.verify(
            &Signature::from(*signature),
            &signing_message(public_key, json),
        )
        .ok()?;
        Some((*public_key, meta))
    }

    /// Parses a metadata JSON: at most [`MAX_META_LEN`] bytes, exactly these fields, a known
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

    #[test]
    fn sealed_announcements_open_only_unaltered() {
        let identity = Identity::from_secret([7; 32], 0).unwrap();
        let meta = PeerMeta::own(Mode::Validator, 1_234, false);
        let sealed = meta.seal(&identity);
        assert_eq!(sealed.len(), SEAL_LEN + meta.encode().len());
        assert_eq!(
            PeerMeta::open(&sealed),
            Some((*identity.public_key(), meta.clone()))
        );
        // Any byte changed (key, signature or JSON) and the announcement does not open.
        for at in [0, 31, 32, 95, SEAL_LEN, sealed.len() - 2] {
            let mut altered = sealed.clone();
            altered[at] ^= 1;
            assert_eq!(PeerMeta::open(&altered), None, "byte {at} altered");
        }
        // Another node's key in front of this node's signature.
        let other = Identity::from_secret([8; 32], 0).unwrap();
        let mut forged = sealed.clone();
        forged[..32].copy_from_slice(other.public_key());
        assert_eq!(PeerMeta::open(&forged), None);
        // The unsealed JSON, truncated messages and a seal over garbage are refused.
        assert_eq!(PeerMeta::open(&meta.encode()), None);
        assert_eq!(PeerMeta::open(&sealed[..SEAL_LEN]), None);
        assert_eq!(PeerMeta::open(&sealed[..40]), None);
        let garbage = [&sealed[..SEAL_LEN], b"garbage"].concat();
        assert_eq!(PeerMeta::open(&garbage), None);
    }
}
