//! SHA-256 block compression with the x86 SHA extensions (SHA-NI), two messages at a time.
//!
//! A Merkle level is thousands of independent one- or two-block messages. One SHA-NI message is
//! latency-bound (each `sha256rnds2` waits for the previous one); interleaving two independent
//! messages keeps the SHA unit busy and nearly doubles the throughput of one core.

#![allow(unsafe_code)]

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

/// SHA-256's round constants.
const K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

/// Whether this CPU has the SHA extensions (checked once).
pub(crate) fn available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        use std::sync::OnceLock;
        static AVAILABLE: OnceLock<bool> = OnceLock::new();
        *AVAILABLE.get_or_init(|| {
            is_x86_feature_detected!("sha")
                && is_x86_feature_detected!("sse4.1")
                && is_x86_feature_detected!("ssse3")
        })
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// Compresses `blocks[0]` into `states[0]` and `blocks[1]` into `states[1]`; both messages have
/// the same number of blocks.
///
/// Panics if the block counts differ or the CPU lacks SHA-NI ([`available`] must be true).
#[cfg(target_arch = "x86_64")]
pub(crate) fn compress_x2(states: &mut [[u32; 8]; 2], blocks: [&[[u8; 64]]; 2]) {
    assert!(available(), "SHA-NI is not available on this CPU");
    assert_eq!(
        blocks[0].len(),
        blocks[1].len(),
        "both messages must have the same length"
    );
    // SAFETY: the CPU features the function is compiled for were checked just above.
    unsafe { compress_x2_ni(states, blocks) }
}

#[cfg(not(target_arch = "x86_64"))]
pub(crate) fn compress_x2(_states: &mut [[u32; 8]; 2], _blocks: [&[[u8; 64]]; 2]) {
    panic!("SHA-NI is only implemented for x86_64");
}

/// Four message words of group `t/4 ≥ 4` from the previous sixteen: `m0..m3` hold
/// `W[t-16..t-12)`, `W[t-12..t-8)`, `W[t-8..t-4)`, `W[t-4..t)`; `m0` is replaced by `W[t..t+4)`.
/// (`msg1` adds the σ0 terms, the `alignr` brings `W[t-7..t-3)`, `msg2` adds the σ1 terms.)
#[cfg(target_arch = "x86_64")]
macro_rules! schedule {
    ($m0:ident, $m1:ident, $m2:ident, $m3:ident) => {
        $m0 = _mm_sha256msg2_epu32(
            _mm_add_epi32(_mm_sha256msg1_epu32($m0, $m1), _mm_alignr_epi8($m3, $m2, 4)),
            $m3,
        )
    };
}

/// Four rounds on one lane. `sha256rnds2` takes (CDGH, ABEF, two W+K words) and returns the new
/// ABEF; after two rounds the old ABEF is the new CDGH, so the two calls alternate roles and
/// leave `abef` and `cdgh` meaning what they did.
#[cfg(target_arch = "x86_64")]
macro_rules! rounds {
    ($abef:expr, $cdgh:expr, $m:expr, $group:expr) => {{
        // SAFETY: reads four of K's 64 entries, `$group < 16`.
        let k = unsafe { _mm_loadu_si128(K.as_ptr().add(4 * $group).cast()) };
        let wk = _mm_add_epi32($m, k);
        $cdgh = _mm_sha256rnds2_epu32($cdgh, $abef, wk);
        $abef = _mm_sha256rnds2_epu32($abef, $cdgh, _mm_shuffle_epi32(wk, 0x0e));
    }};
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
unsafe fn compress_x2_ni(states: &mut [[u32; 8]; 2], blocks: [&[[u8; 64]]; 2]) {
    // Message words are big-endian.
    let bswap = _mm_set_epi64x(0x0c0d0e0f08090a0b, 0x0405060700010203);
    // SAFETY (loads and stores of states): 16-byte unaligned accesses inside `[u32; 8]`.
    let load_state = |state: &[u32; 8]| {
        let dcba = unsafe { _mm_loadu_si128(state.as_ptr().cast()) };
        let hgfe = unsafe { _mm_loadu_si128(state.as_ptr().add(4).cast()) };
        let cdab = _mm_shuffle_epi32(dcba, 0xb1);
        let efgh = _mm_shuffle_epi32(hgfe, 0x1b);
        (
            _mm_alignr_epi8(cdab, efgh, 8),
            _mm_blend_epi16(efgh, cdab, 0xf0),
        )
    };
    // SAFETY: 16-byte unaligned reads inside a `[u8; 64]` block, `i < 4`.
    let word4 = |block: &[u8; 64], i: usize| {
        _mm_shuffle_epi8(
            unsafe { _mm_loadu_si128(block.as_ptr().add(16 * i).cast()) },
            bswap,
        )
    };
    let (mut abef_a, mut cdgh_a) = load_state(&states[0]);
    let (mut abef_b, mut cdgh_b) = load_state(&states[1]);
    for (block_a, block_b) in blocks[0].iter().zip(blocks[1]) {
        let saved = (abef_a, cdgh_a, abef_b, cdgh_b);
        let (mut a0, mut a1, mut a2, mut a3) = (
            word4(block_a, 0),
            word4(block_a, 1),
            word4(block_a, 2),
            word4(block_a, 3),
        );
        let (mut b0, mut b1, mut b2, mut b3) = (
            word4(block_b, 0),
            word4(block_b, 1),
            word4(block_b, 2),
            word4(block_b, 3),
        );
        rounds!(abef_a, cdgh_a, a0, 0);
        rounds!(abef_b, cdgh_b, b0, 0);
        rounds!(abef_a, cdgh_a, a1, 1);
        rounds!(abef_b, cdgh_b, b1, 1);
        rounds!(abef_a, cdgh_a, a2, 2);
        rounds!(abef_b, cdgh_b, b2, 2);
        rounds!(abef_a, cdgh_a, a3, 3);
        rounds!(abef_b, cdgh_b, b3, 3);
        for quarter in 1..4 {
            let g = 4 * quarter;
            schedule!(a0, a1, a2, a3);
            schedule!(b0, b1, b2, b3);
            rounds!(abef_a, cdgh_a, a0, g);
            rounds!(abef_b, cdgh_b, b0, g);
            schedule!(a1, a2, a3, a0);
            schedule!(b1, b2, b3, b0);
            rounds!(abef_a, cdgh_a, a1, g + 1);
            rounds!(abef_b, cdgh_b, b1, g + 1);
            schedule!(a2, a3, a0, a1);
            schedule!(b2, b3, b0, b1);
            rounds!(abef_a, cdgh_a, a2, g + 2);
            rounds!(abef_b, cdgh_b, b2, g + 2);
            schedule!(a3, a0, a1, a2);
            schedule!(b3, b0, b1, b2);
            rounds!(abef_a, cdgh_a, a3, g + 3);
            rounds!(abef_b, cdgh_b, b3, g + 3);
        }
        abef_a = _mm_add_epi32(abef_a, saved.0);
        cdgh_a = _mm_add_epi32(cdgh_a, saved.1);
        abef_b = _mm_add_epi32(abef_b, saved.2);
        cdgh_b = _mm_add_epi32(cdgh_b, saved.3);
    }
    for (state, (abef, cdgh)) in states.iter_mut().zip([(abef_a, cdgh_a), (abef_b, cdgh_b)]) {
        let feba = _mm_shuffle_epi32(abef, 0x1b);
        let dchg = _mm_shuffle_epi32(cdgh, 0xb1);
        // SAFETY: 16-byte unaligned writes inside `[u32; 8]`.
        unsafe {
            _mm_storeu_si128(state.as_mut_ptr().cast(), _mm_blend_epi16(feba, dchg, 0xf0));
            _mm_storeu_si128(
                state.as_mut_ptr().add(4).cast(),
                _mm_alignr_epi8(dchg, feba, 8),
            );
        }
    }
}
