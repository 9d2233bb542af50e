//! Known-answer tests for the hash definitions, from published values, and bad-input errors.

use ramjet_accel::curve::Fr;
use ramjet_accel::{
    AccelError, Backend, CpuBackend, MerkleLeaves, PackedLeaves, SigBatch, reference,
};

/// Certificate Transparency's Merkle test vectors (RFC 6962 hashing): the roots of the first
/// 1..=8 of these leaves.
const CT_LEAVES: [&str; 8] = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
];
const CT_ROOTS: [&str; 8] = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

#[test]
fn merkle_sha256_matches_certificate_transparency_roots() {
    let cpu = CpuBackend::new();
    for n in 1..=8 {
        let mut leaves = PackedLeaves::new();
        for leaf in &CT_LEAVES[..n] {
            leaves.push(&hex::decode(leaf).unwrap());
        }
        let tree = cpu.merkle_sha256(MerkleLeaves::Bytes(&leaves)).unwrap();
        assert_eq!(hex::encode(tree.root()), CT_ROOTS[n - 1], "{n} leaves");
        assert_eq!(
            hex::encode(reference::rfc6962_root(MerkleLeaves::Bytes(&leaves))),
            CT_ROOTS[n - 1]
        );
    }
    let empty = cpu.merkle_sha256(MerkleLeaves::Digests(&[])).unwrap();
    assert_eq!(
        hex::encode(empty.root()),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
}

#[test]
fn poseidon_matches_circomlib() {
    // circomlib's test vector: poseidon([1, 2]).
    let tree = CpuBackend::new()
        .merkle_poseidon(&[Fr::from(1u64), Fr::from(2u64)])
        .unwrap();
    let expected: Fr =
        "7853200120776062878684798364095072458815029376092732009249414926327459813530"
            .parse()
            .unwrap();
    assert_eq!(tree.root(), expected);
}

#[test]
fn merkle_paths_lead_to_the_root() {
    let leaves: Vec<[u8; 32]> = (0..11u8).map(|i| [i; 32]).collect();
    let tree = CpuBackend::new()
        .merkle_sha256(MerkleLeaves::Digests(&leaves))
        .unwrap();
    for (index, leaf) in leaves.iter().enumerate() {
        let mut node = reference::sha256_leaf(leaf);
        let mut i = index;
        for sibling in tree.path(index) {
            node = match sibling {
                Some(s) if i % 2 == 0 => reference::sha256_node(&node, &s),
                Some(s) => reference::sha256_node(&s, &node),
                None => node,
            };
            i /= 2;
        }
        assert_eq!(node, tree.root(), "leaf {index}");
    }
}

#[test]
fn packed_inputs_reject_bad_offsets_with_typed_errors() {
    let err = SigBatch::from_parts(
        vec![[0; 32]; 2],
        vec![[0; 64]; 2],
        vec![0; 10],
        vec![0, 7, 5],
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            AccelError::BadOffsets {
                index: 2,
                offset: 5,
                len: 10,
                ..
            }
        ),
        "{err}"
    );
    let err = SigBatch::from_parts(vec![[0; 32]; 2], vec![[0; 64]; 1], vec![], vec![0, 0, 0])
        .unwrap_err();
    assert!(
        matches!(
            err,
            AccelError::LengthMismatch {
                expected: 2,
                actual: 1,
                ..
            }
        ),
        "{err}"
    );
    let err = SigBatch::from_parts(vec![[0; 32]; 1], vec![[0; 64]; 1], vec![1, 2], vec![1, 2])
        .unwrap_err();
    assert!(
        matches!(err, AccelError::BadOffsets { index: 0, .. }),
        "{err}"
    );
    let err = PackedLeaves::from_parts(vec![1, 2, 3], vec![0, 2]).unwrap_err();
    assert!(
        matches!(
            err,
            AccelError::BadOffsets {
                index: 1,
                offset: 2,
                len: 3,
                ..
            }
        ),
        "{err}"
    );
    let ok = SigBatch::from_parts(
        vec![[0; 32]; 2],
        vec![[0; 64]; 2],
        vec![1, 2, 3],
        vec![0, 1, 3],
    )
    .unwrap();
    assert_eq!(ok.message(1), &[2, 3]);
}
