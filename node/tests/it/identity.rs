//! The node identity: key file creation, permissions, corruption, proof of work.

// Key file permissions are Unix modes; ramjet nodes run on Unix.
#![cfg(unix)]

use std::fs;
use std::os::unix::fs::PermissionsExt;

use ramjet_node::identity::{
    Identity, IdentityError, KEY_FILE_LEN, KeyFileError, MAX_POW_BITS, NodeId, mine_pow, verify_pow,
};

const BITS: u8 = 8;

#[test]
fn creates_a_key_file_of_mode_0600_and_loads_the_same_identity() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("node.key");
    let created = Identity::load_or_create(&path, BITS).unwrap();
    let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert_eq!(fs::read(&path).unwrap().len(), KEY_FILE_LEN);

    let loaded = Identity::load_or_create(&path, BITS).unwrap();
    assert_eq!(loaded.node_id(), created.node_id());
    assert_eq!(loaded.public_key(), created.public_key());
    assert_eq!(loaded.pow_nonce(), created.pow_nonce());
    assert_eq!(
        loaded.node_id(),
        NodeId::from_public_key(loaded.public_key())
    );
    assert!(verify_pow(
        loaded.public_key(),
        loaded.pow_nonce(),
        u32::from(BITS)
    ));
    // No temporary file is left behind.
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn refuses_a_key_file_readable_by_others_and_says_how_to_fix_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("node.key");
    Identity::load_or_create(&path, BITS).unwrap();
    for mode in [0o644, 0o640, 0o660, 0o604, 0o602] {
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
        let error = Identity::load_or_create(&path, BITS).unwrap_err();
        assert!(
            matches!(error, IdentityError::InsecurePermissions { mode: m, .. } if m == mode),
            "{error:?}"
        );
        let message = error.to_string();
        assert!(
            message.contains(&format!("chmod 600 {}", path.display())),
            "{message}"
        );
    }
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
    Identity::load_or_create(&path, BITS).unwrap();
}

#[test]
fn a_corrupt_key_file_is_a_typed_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("node.key");
    let good = Identity::load_or_create(&path, BITS)
        .unwrap()
        .to_file_bytes();

    let mut wrong_public_key = good;
    wrong_public_key[40] ^= 1;
    let mut wrong_magic = good;
    wrong_magic[0] = b'X';
    let mut wrong_version = good;
    wrong_version[4] = 2;
    let mut bits_too_high = good;
    bits_too_high[69] = MAX_POW_BITS + 1;
    let cases: Vec<(Vec<u8>, KeyFileError)> = vec![
        (vec![], KeyFileError::WrongLength { len: 0 }),
        (
            good[..KEY_FILE_LEN - 1].to_vec(),
            KeyFileError::WrongLength {
                len: KEY_FILE_LEN - 1,
            },
        ),
        (
            [&good[..], &[0]].concat(),
            KeyFileError::WrongLength {
                len: KEY_FILE_LEN + 1,
            },
        ),
        (wrong_magic.to_vec(), KeyFileError::BadMagic),
        (
            wrong_version.to_vec(),
            KeyFileError::UnsupportedVersion { version: 2 },
        ),
        (wrong_public_key.to_vec(), KeyFileError::PublicKeyMismatch),
        (
            bits_too_high.to_vec(),
            KeyFileError::PowBitsTooHigh {
                bits: MAX_POW_BITS + 1,
            },
        ),
    ];
    for (bytes, expected) in cases {
        fs::write(&path, &bytes).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        match Identity::load_or_create(&path, BITS).unwrap_err() {
            IdentityError::Corrupt { reason, path: p } => {
                assert_eq!(reason, expected);
                assert_eq!(p, path);
            }
            other => panic!("expected {expected:?}, got {other:?}"),
        }
    }
}

#[test]
fn a_nonce_that_misses_its_proof_of_work_is_corrupt() {
    let identity = Identity::from_secret([3; 32], 12).unwrap();
    let mut bytes = identity.to_file_bytes();
    // The mined nonce is the smallest that works, so the one before it does not.
    let nonce = identity.pow_nonce();
    assert!(nonce > 0, "pinned secret needs a non-zero nonce at 12 bits");
    bytes[70..78].copy_from_slice(&(nonce - 1).to_le_bytes());
    assert_eq!(
        Identity::from_file_bytes(&bytes).unwrap_err(),
        KeyFileError::PowNotMet { bits: 12 }
    );
    assert!(Identity::from_file_bytes(&identity.to_file_bytes()).is_ok());
}

#[test]
fn a_higher_difficulty_remines_and_rewrites_the_nonce() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("node.key");
    let first = Identity::load_or_create(&path, 0).unwrap();
    assert_eq!(first.pow_nonce(), 0);
    let second = Identity::load_or_create(&path, 10).unwrap();
    assert_eq!(second.node_id(), first.node_id());
    assert_eq!(second.pow_bits(), 10);
    assert!(verify_pow(second.public_key(), second.pow_nonce(), 10));
    let reloaded = Identity::load(&path).unwrap();
    assert_eq!(reloaded.pow_nonce(), second.pow_nonce());
    assert_eq!(reloaded.pow_bits(), 10);
    // A lower difficulty keeps the stronger proof.
    assert_eq!(Identity::load_or_create(&path, 4).unwrap().pow_bits(), 10);
}

#[test]
fn proof_of_work_is_the_smallest_nonce_and_peers_check_it() {
    let identity = Identity::from_secret([9; 32], 10).unwrap();
    let key = identity.public_key();
    let nonce = mine_pow(key, 10);
    assert_eq!(nonce, identity.pow_nonce());
    assert!(verify_pow(key, nonce, 10));
    assert!((0..nonce).all(|smaller| !verify_pow(key, smaller, 10)));
    assert!(verify_pow(key, 12345, 0));
    assert!(!verify_pow(key, nonce, 257));
    // Another key does not inherit the proof.
    let other = Identity::from_secret([10; 32], 0).unwrap();
    assert!((0..nonce).all(|n| !verify_pow(other.public_key(), n, 10)) || nonce == 0);
}

#[test]
fn difficulty_above_the_maximum_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let error = Identity::load_or_create(&dir.path().join("k"), MAX_POW_BITS + 1).unwrap_err();
    assert!(matches!(error, IdentityError::PowBitsTooHigh { .. }));
}

#[test]
fn node_id_is_sha256_of_the_public_key_and_signatures_verify() {
    let identity = Identity::from_secret([1; 32], 0).unwrap();
    // Ed25519 public key of the all-0x01 secret and its SHA-256, computed once independently of
    // this crate (Python: the `cryptography` package's Ed25519 and `hashlib.sha256`) and pinned.
    assert_eq!(
        hex::encode(identity.public_key()),
        PINNED_PUBLIC_KEY,
        "public key of secret [1; 32]"
    );
    assert_eq!(identity.node_id().to_hex(), PINNED_NODE_ID);
    let signature = identity.sign(b"hello");
    let key = ed25519_consensus::VerificationKey::try_from(*identity.public_key()).unwrap();
    key.verify(&ed25519_consensus::Signature::from(signature), b"hello")
        .unwrap();
    assert!(!format!("{identity:?}").contains(&hex::encode([1u8; 32])));
}

const PINNED_PUBLIC_KEY: &str = "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c";
const PINNED_NODE_ID: &str = "34750f98bd59fcfc946da45aaabe933be154a4b5094e1c4abf42866505f3c97e";
