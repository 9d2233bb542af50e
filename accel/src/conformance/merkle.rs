//! Conformance of `merkle_sha256` and `merkle_poseidon`.

use ark_bn254::Fr;
use ark_ff::{One, Zero};

use super::{Config, Report, edge_sizes};
use crate::{Backend, MerkleLeaves, Op, PackedLeaves, inputs, reference};

pub(super) fn check_sha256(backend: &dyn Backend, config: &Config, report: &mut Report) {
    let mut sizes = edge_sizes(config.large_merkle);
    sizes.extend([127, 128, 129, 255, 256, 257, 1000, 1023, 1024, 1025]);
    sizes.sort();
    sizes.dedup();
    for n in sizes {
        let leaves = inputs::digests(n, config.seed + n as u64);
        compare_sha256(
            backend,
            &format!("{n} random 32-byte leaves"),
            MerkleLeaves::Digests(&leaves),
            report,
        );
    }
    let same = vec![[0xab; 32]; 37];
    compare_sha256(
        backend,
        "37 identical leaves",
        MerkleLeaves::Digests(&same),
        report,
    );

    // Leaves of every length around SHA-256's block and padding boundaries, 32 included.
    let mut packed = PackedLeaves::new();
    for len in [
        0, 1, 31, 32, 33, 54, 55, 56, 63, 64, 65, 119, 120, 128, 1000,
    ] {
        packed.push(&vec![len as u8; len]);
    }
    compare_sha256(
        backend,
        "byte-string leaves of many lengths",
        MerkleLeaves::Bytes(&packed),
        report,
    );
    let mut empties = PackedLeaves::new();
    (0..5).for_each(|_| empties.push(&[]));
    compare_sha256(
        backend,
        "five empty leaves",
        MerkleLeaves::Bytes(&empties),
        report,
    );
    compare_sha256(
        backend,
        "no packed leaves",
        MerkleLeaves::Bytes(&PackedLeaves::new()),
        report,
    );
}

fn compare_sha256(
    backend: &dyn Backend,
    case: &str,
    leaves: MerkleLeaves<'_>,
    report: &mut Report,
) {
    let want = reference::merkle_sha256(leaves);
    match backend.merkle_sha256(leaves) {
        Ok(got) => {
            report.compare(
                Op::MerkleSha256,
                format!("{case}: every level"),
                &got,
                &want,
            );
            let rfc = reference::rfc6962_root(leaves);
            report.check(
                Op::MerkleSha256,
                format!("{case}: root equals RFC 6962's"),
                got.root() == rfc,
                || {
                    format!(
                        "root {} but RFC 6962 gives {}",
                        hex::encode(got.root()),
                        hex::encode(rfc)
                    )
                },
            );
        }
        Err(e) => report.check(Op::MerkleSha256, case, false, || format!("error {e}")),
    }
}

pub(super) fn check_poseidon(backend: &dyn Backend, config: &Config, report: &mut Report) {
    for n in edge_sizes(config.large_poseidon) {
        let leaves = inputs::scalars(n, config.seed + n as u64);
        compare_poseidon(backend, &format!("{n} random leaves"), &leaves, report);
    }
    let extremes = [
        Fr::zero(),
        Fr::one(),
        -Fr::one(),
        Fr::zero(),
        -Fr::one(),
        Fr::from(2u64),
        -Fr::one(),
    ];
    compare_poseidon(backend, "0, 1 and p - 1 leaves", &extremes, report);
    compare_poseidon(backend, "33 zero leaves", &[Fr::zero(); 33], report);
}

fn compare_poseidon(backend: &dyn Backend, case: &str, leaves: &[Fr], report: &mut Report) {
    let want = reference::merkle_poseidon(leaves);
    match backend.merkle_poseidon(leaves) {
        Ok(got) => report.compare(
            Op::MerklePoseidon,
            format!("{case}: every level"),
            &got,
            &want,
        ),
        Err(e) => report.check(Op::MerklePoseidon, case, false, || format!("error {e}")),
    }
}
