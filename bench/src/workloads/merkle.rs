//! `merkle_sha256` and `merkle_poseidon`: ramjet against the plain single-threaded reference loops.

use ramjet_accel::curve::Fr;
use ramjet_accel::{Backend, CpuBackend, MerkleLeaves, reference};

use super::{RAMJET_CPU, timed};
use crate::measure::{Contender, Sample};

/// The `sha2` loop of `ramjet_accel::reference::merkle_sha256`.
pub(crate) const SHA2_LOOP: &str = "sha2 loop (1 thread)";

/// The `light-poseidon` loop of `ramjet_accel::reference::merkle_poseidon`.
pub(crate) const LIGHT_POSEIDON_LOOP: &str = "light-poseidon loop (1 thread)";

/// SHA-256 trees over 32-byte leaves; both build every level.
pub(crate) fn sha256<'a>(backend: &'a CpuBackend, leaves: &'a [[u8; 32]]) -> Vec<Contender<'a>> {
    vec![
        Contender::new(RAMJET_CPU, move || {
            let (elapsed, tree) = timed(|| backend.merkle_sha256(MerkleLeaves::Digests(leaves)));
            Ok(Sample {
                elapsed,
                fingerprint: hex(&tree?.root()),
            })
        }),
        Contender::new(SHA2_LOOP, move || {
            let (elapsed, tree) = timed(|| reference::merkle_sha256(MerkleLeaves::Digests(leaves)));
            Ok(Sample {
                elapsed,
                fingerprint: hex(&tree.root()),
            })
        }),
    ]
}

/// Poseidon trees over field-element leaves; both build every level.
pub(crate) fn poseidon<'a>(backend: &'a CpuBackend, leaves: &'a [Fr]) -> Vec<Contender<'a>> {
    vec![
        Contender::new(RAMJET_CPU, move || {
            let (elapsed, tree) = timed(|| backend.merkle_poseidon(leaves));
            Ok(Sample {
                elapsed,
                fingerprint: tree?.root().to_string(),
            })
        }),
        Contender::new(LIGHT_POSEIDON_LOOP, move || {
            let (elapsed, tree) = timed(|| reference::merkle_poseidon(leaves));
            Ok(Sample {
                elapsed,
                fingerprint: tree.root().to_string(),
            })
        }),
    ]
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
