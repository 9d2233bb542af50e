//! Ed25519 verification on every adapter: varied message lengths around SHA-512's block
//! boundaries, mixed valid and invalid items, batches split into several submissions, and
//! messages too long for the kernel left to the CPU. The conformance kit (`wgpu_backend.rs`)
//! adds the public vectors and random mutations.

use ed25519_consensus::SigningKey;
use ramjet_accel::{AccelError, Backend, Op, SigBatch, Verdicts, inputs, reference};
use ramjet_kernels::wgpu::WgpuOptions;

use super::wgpu_backend::{backends, forced_to, fresh_backend};

/// The group order ℓ, little-endian.
const ELL: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

/// A message of `len` bytes that differs from item to item.
fn message(len: usize, item: usize) -> Vec<u8> {
    (0..len)
        .map(|j| (j.wrapping_mul(31) ^ item.wrapping_mul(97) ^ (j >> 8)) as u8)
        .collect()
}

/// Ways to break a valid item; `None` keeps it valid.
#[derive(Debug, Clone, Copy)]
enum Break {
    MessageBit,
    RBit,
    SBit,
    SPlusEll,
    OtherKey,
}

/// One signed item per length; every item whose `breaks` entry is `Some` is broken that way.
/// Returns the batch and the verdicts the construction implies.
fn signed_batch(lengths: &[usize], breaks: &[Option<Break>], seed: u64) -> (SigBatch, Verdicts) {
    let mut rng = inputs::rng(seed);
    let other = SigningKey::new(&mut rng).verification_key().to_bytes();
    let mut batch = SigBatch::new();
    let mut expected = Vec::new();
    for (i, (&len, brk)) in lengths.iter().zip(breaks.iter().cycle()).enumerate() {
        let key = SigningKey::new(&mut rng);
        let mut msg = message(len, i);
        let mut sig = key.sign(&msg).to_bytes();
        let mut vk = key.verification_key().to_bytes();
        match brk {
            None => {}
            Some(Break::MessageBit) => {
                if msg.is_empty() {
                    msg.push(0);
                } else {
                    let at = msg.len() - 1 - i % msg.len();
                    msg[at] ^= 0x10;
                }
            }
            Some(Break::RBit) => sig[i % 32] ^= 1 << (i % 8),
            Some(Break::SBit) => sig[32 + i % 31] ^= 1 << (i % 8),
            Some(Break::SPlusEll) => {
                let mut carry = 0u16;
                for (s, l) in sig[32..].iter_mut().zip(ELL) {
                    let sum = u16::from(*s) + u16::from(l) + carry;
                    *s = sum as u8;
                    carry = sum >> 8;
                }
            }
            Some(Break::OtherKey) => vk = other,
        }
        batch.push(vk, sig, &msg);
        expected.push(brk.is_none());
    }
    (batch, Verdicts(expected))
}

/// Message lengths around the SHA-512 block boundaries of R ‖ A ‖ M (64 + len bytes: one block
/// holds up to 111 bytes of data), word-misaligned lengths, and messages of several KiB.
fn boundary_lengths() -> Vec<usize> {
    let mut lengths = vec![0, 1, 2, 3, 4, 5, 7, 8, 9, 31, 32, 33];
    for edge in [47usize, 48, 111, 112, 128, 175, 176, 239, 240, 256] {
        lengths.extend([edge - 1, edge, edge + 1]);
    }
    lengths.extend([1000, 4096, 4099, 9 * 1024 + 5]);
    lengths
}

#[test]
fn mixed_batches_with_messages_of_every_length_match_the_reference() {
    let Some(backends) =
        backends("mixed_batches_with_messages_of_every_length_match_the_reference")
    else {
        return;
    };
    let lengths = boundary_lengths();
    let all_valid = [None];
    let mixed = [
        None,
        Some(Break::MessageBit),
        None,
        Some(Break::RBit),
        Some(Break::SBit),
        None,
        Some(Break::SPlusEll),
        Some(Break::OtherKey),
    ];
    for backend in backends {
        assert!(backend.supports(Op::Ed25519Verify));
        for (what, breaks) in [("valid", &all_valid[..]), ("mixed", &mixed[..])] {
            let (batch, expected) = signed_batch(&lengths, breaks, 11);
            assert_eq!(reference::ed25519_verify(&batch), expected, "{what}");
            let got = backend.ed25519_verify(&batch).unwrap();
            assert_eq!(
                got,
                expected,
                "{what} batch on {}: items {:?} differ",
                backend.info().id(),
                (0..expected.len())
                    .filter(|&i| got.0.get(i) != expected.0.get(i))
                    .map(|i| (i, batch.message(i).len()))
                    .collect::<Vec<_>>()
            );
        }
        // One item at a time too: the first and last message of a chunk.
        for &len in &[0usize, 111, 112, 128, 4096] {
            let (batch, expected) = signed_batch(&[len], &[None], len as u64);
            assert_eq!(
                backend.ed25519_verify(&batch).unwrap(),
                expected,
                "length {len}"
            );
        }
        assert_eq!(
            backend.ed25519_verify(&SigBatch::new()).unwrap(),
            Verdicts::default()
        );
    }
}

#[test]
fn a_batch_over_the_chunk_limit_is_split_and_a_message_too_big_falls_back_to_the_cpu() {
    // A 64 KiB budget caps each buffer of a chunk at 8 KiB: at most 14 items (576 bytes of
    // intermediate results each) and 8188 bytes of messages per submission.
    let options = WgpuOptions {
        memory_budget: Some(64 << 10),
        ..WgpuOptions::default()
    };
    let test = "a_batch_over_the_chunk_limit_is_split_and_a_message_too_big_falls_back_to_the_cpu";
    let Some(backend) = fresh_backend(test, &options) else {
        return;
    };
    // 200 items with 0..=150-byte messages, two of them of 5000 bytes that cannot share a chunk:
    // at least 200 / 14 chunks.
    let mut lengths: Vec<usize> = (0..200).map(|i| i * 37 % 151).collect();
    lengths[60] = 5000;
    lengths[61] = 5000;
    let breaks = [None, None, Some(Break::SBit), None, Some(Break::MessageBit)];
    let (batch, expected) = signed_batch(&lengths, &breaks, 21);
    assert_eq!(reference::ed25519_verify(&batch), expected);
    let before = backend.transfers();
    assert_eq!(backend.ed25519_verify(&batch).unwrap(), expected);
    let delta = backend.transfers().since(&before);
    assert!(delta.readbacks >= 15, "{delta:?}");
    // Each chunk uploads its items, messages and offsets once, and reads back 4 bytes per item.
    assert_eq!(delta.uploads, 3 * delta.readbacks, "{delta:?}");
    assert_eq!(delta.readback_bytes, 4 * batch.len() as u64);
    assert!(backend.memory_held() <= 64 << 10);

    // One message over the chunk limit cannot go to the device: out of memory, typed, and the
    // dispatcher verifies the batch on the CPU instead.
    let (big, big_expected) = signed_batch(&[3, 9000, 5], &[None, None, Some(Break::RBit)], 5);
    let direct = backend.ed25519_verify(&big);
    assert!(
        matches!(direct, Err(AccelError::DeviceOutOfMemory { .. })),
        "{direct:?}"
    );
    let registry = prometheus::Registry::new();
    let accel = forced_to(&backend, &registry);
    assert_eq!(accel.ed25519_verify(&big).unwrap(), big_expected);
    let id = backend.info().id();
    assert_eq!(accel.metrics().fallbacks_of(&id, Op::Ed25519Verify), 1);
}

#[test]
fn a_message_longer_than_the_kernel_hashes_is_left_to_the_cpu() {
    let test = "a_message_longer_than_the_kernel_hashes_is_left_to_the_cpu";
    let Some(backend) = fresh_backend(test, &WgpuOptions::default()) else {
        return;
    };
    // 40 KiB: within every buffer limit, beyond the 32 KiB the kernel's loops may hash on
    // lavapipe. Typed as too big for the device; the dispatcher verifies on the CPU.
    let (batch, expected) = signed_batch(&[10, 40 << 10], &[None, Some(Break::MessageBit)], 8);
    let direct = backend.ed25519_verify(&batch);
    assert!(
        matches!(direct, Err(AccelError::DeviceOutOfMemory { .. })),
        "{direct:?}"
    );
    let registry = prometheus::Registry::new();
    let accel = forced_to(&backend, &registry);
    assert_eq!(accel.ed25519_verify(&batch).unwrap(), expected);
    let id = backend.info().id();
    assert_eq!(accel.metrics().fallbacks_of(&id, Op::Ed25519Verify), 1);
}
