//! `merkle_sha256` and `merkle_poseidon`: ramjet against the plain single-threaded reference loops.

use ramjet_accel::curve::Fr;
use ramjet_accel::{Backend, MerkleLeaves, reference};

use super::timed;
use crate::Result;
use crate::measure::{Contender, Sample};

/// The `sha2` loop of `ramjet_accel::reference::merkle_sha256`.
pub(crate) const SHA2_LOOP: &str = "sha2 loop (1 thread)";

/// The `light-poseidon` loop of `ramjet_accel::reference::merkle_poseidon`.
pub(crate) const LIGHT_POSEIDON_LOOP: &str = "light-poseidon loop (1 thread)";

/// A ramjet backend's SHA-256 tree over 32-byte leaves, every level built.
pub(crate) fn ramjet_sha256<'a>(
    backend: &'a dyn Backend,
    leaves: &'a [[u8; 32]],
) -> impl FnMut() -> Result<Sample> + 'a {
    move || {
        let (elapsed, tree) = timed(|| backend.merkle_sha256(MerkleLeaves::Digests(leaves)));
        Ok(Sample {
            elapsed,
            fingerprint: hex(&tree?.root()),
        })
    }
}

/// The reference SHA-256 tree over the same leaves, every level built.
pub(crate) fn sha2_loop(leaves: &[[u8; 32]]) -> Contender<'_> {
    Contender::new(SHA2_LOOP, move || {
        let (elapsed, tree) = timed(|| reference::merkle_sha256(MerkleLeaves::Digests(leaves)));
        Ok(Sample {
            elapsed,
            fingerprint: hex(&tree.root()),
        })
    })
}

/// A ramjet backend's Poseidon tree over field-element leaves, every level built.
pub(crate) fn ramjet_poseidon<'a>(
    backend: &'a dyn Backend,
    leaves: &'a [Fr],
) -> impl FnMut() -> Result<Sample> + 'a {
    move || {
        let (elapsed, tree) = timed(|| backend.merkle_poseidon(leaves));
        Ok(Sample {
            elapsed,
            fingerprint: tree?.root().to_string(),
        })
    }
}

/// The reference Poseidon tree over the same leaves, every level built.
pub(crate) fn light_poseidon_loop(leaves: &[Fr]) -> Contender<'_> {
    Contender::new(LIGHT_POSEIDON_LOOP, move || {
        let (elapsed, tree) = timed(|| reference::merkle_poseidon(leaves));
        Ok(Sample {
            elapsed,
            fingerprint: tree.root().to_string(),
        })
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
