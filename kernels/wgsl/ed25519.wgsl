// Ed25519 verification under ZIP-215, one invocation per signature, exactly as
// ed25519-consensus's single verification decides:
//
// - S must be canonical: S < ℓ, else reject;
// - A and R are decompressed leniently: the 255-bit y may be >= p (it is used as its value mod
//   p), x = 0 with the sign bit set is accepted (x stays 0), and only an encoding whose y has no
//   x on the curve is rejected;
// - k = SHA-512(R || A || M) mod ℓ, over the encodings as received;
// - accept when [8]([s]B - [k]A - R) is the identity (the cofactored equation).
//
// Needs `field25519.wgsl` and `sha512.wgsl` before it. Points are in extended coordinates
// (X : Y : Z : T) with x = X/Z, y = Y/Z, xy = T/Z, on -x^2 + y^2 = 1 + d x^2 y^2; the addition
// and doubling formulas below are complete on this curve (a = -1 a square, d a non-square), so
// small-order and mixed-order points need no special cases.

struct VerifyParams {
    // Items in this dispatch.
    count: u32,
    // `decode`: which point (0: R, 1: A). `ladder`: the highest bit of this step, exclusive.
    a: u32,
    // `ladder`: the lowest bit of this step.
    b: u32,
}

// One u32 per item: 1 valid, 0 invalid.
@group(0) @binding(0) var<storage, read_write> verdicts: array<u32>;
// 24 little-endian words per item: R (the signature's first 32 bytes), A (the key), S.
@group(0) @binding(1) var<storage, read> items: array<u32>;
// Every message's bytes, concatenated, packed four to a little-endian word.
@group(0) @binding(2) var<storage, read> messages: array<u32>;
// Message i is bytes offsets[i] .. offsets[i + 1] of `messages`.
@group(0) @binding(3) var<storage, read> offsets: array<u32>;
// Between the entry points, SCRATCH_WORDS per item: a status word (1: S canonical and both
// points decoded), k at word 8, R at word 16, A at word 80 and the ladder's accumulator at word
// 144 (X, Y, Z, T: 16 limbs each).
//
// Why so many entry points: Mesa's llvmpipe (lavapipe) stops an invocation's loops after 65,535
// iterations in all, silently (`LP_MAX_TGSI_LOOP_ITERATIONS`). A field multiplication is a few
// hundred loop iterations, a point doubling about 1,800, so one invocation cannot run the whole
// double-scalar multiplication (nor decompress two points): the host splits the work into
// dispatches that each stay far below the cap (`ladder` takes LADDER_BITS bits at a time).
@group(0) @binding(4) var<storage, read_write> scratch: array<u32>;
@group(0) @binding(5) var<uniform> params: VerifyParams;

const WORKGROUP: u32 = 64u;
const ITEM_WORDS: u32 = 24u;
const SCRATCH_WORDS: u32 = 208u;
const ACC: u32 = 144u;

alias Scalar = array<u32, 8>;

// The group order ℓ = 2^252 + 27742317777372353535851937790883648493, little-endian words.
var<private> ELL: Scalar = Scalar(0x5cf5d3edu, 0x5812631au, 0xa2f79cd6u, 0x14def9deu, 0u, 0u, 0u,
                                  0x10000000u);

const FE_D2 = Fe(0xf159u, 0x26b2u, 0x9b94u, 0xebd6u, 0xb156u, 0x8283u, 0x149au, 0x00e0u, 0xd130u, 0xeef3u, 0x80f2u, 0x198eu, 0xfce7u, 0x56dfu, 0xd9dcu, 0x2406u);
const FE_D = Fe(0x78a3u, 0x1359u, 0x4dcau, 0x75ebu, 0xd8abu, 0x4141u, 0x0a4du, 0x0070u, 0xe898u, 0x7779u, 0x4079u, 0x8cc7u, 0xfe73u, 0x2b6fu, 0x6ceeu, 0x5203u);
const FE_SQRT_M1 = Fe(0xa0b0u, 0x4a0eu, 0x1b27u, 0xc4eeu, 0xe478u, 0xad2fu, 0x1806u, 0x2f43u, 0xd7a7u, 0x3dfbu, 0x0099u, 0x2b4du, 0xdf0bu, 0x4fc1u, 0x2480u, 0x2b83u);
const ED_BX = Fe(0xd51au, 0x8f25u, 0x2d60u, 0xc956u, 0xa7b2u, 0x9525u, 0xc760u, 0x692cu, 0xdc5cu, 0xfdd6u, 0xe231u, 0xc0a4u, 0x53feu, 0xcd6eu, 0x36d3u, 0x2169u);
const ED_BY = Fe(0x6658u, 0x6666u, 0x6666u, 0x6666u, 0x6666u, 0x6666u, 0x6666u, 0x6666u, 0x6666u, 0x6666u, 0x6666u, 0x6666u, 0x6666u, 0x6666u, 0x6666u, 0x6666u);
const ED_BT = Fe(0xdda3u, 0xa5b7u, 0x8ab3u, 0x6ddeu, 0x52f5u, 0x7751u, 0x9f80u, 0x20f0u, 0xe37du, 0x64abu, 0x4e8eu, 0x66eau, 0x7665u, 0xd78bu, 0x5f0fu, 0x6787u);

fn bswap(x: u32) -> u32 {
    return (x >> 24u) | ((x >> 8u) & 0xff00u) | ((x << 8u) & 0xff0000u) | (x << 24u);
}

// ---- Scalars mod ℓ ----

fn sc_geq_ell(a: Scalar) -> bool {
    // The most significant differing word decides; no early return (see `fe_canonical`).
    var geq = true;
    for (var i = 0u; i < 8u; i++) {
        geq = select(geq, a[i] > ELL[i], a[i] != ELL[i]);
    }
    return geq;
}

fn sc_sub_ell(a: Scalar) -> Scalar {
    var r: Scalar;
    var borrow = 0u;
    for (var i = 0u; i < 8u; i++) {
        let d = a[i] - ELL[i];
        let b1 = select(0u, 1u, a[i] < ELL[i]);
        r[i] = d - borrow;
        let b2 = select(0u, 1u, d < borrow);
        borrow = b1 + b2;
    }
    return r;
}

// A 512-bit little-endian integer mod ℓ, one bit at a time from the top: r <- 2r + bit, minus ℓ
// when that reaches ℓ. r < ℓ < 2^253 keeps 2r + 1 within 256 bits. About 512 cheap steps: small
// beside the scalar multiplication.
fn sc_reduce_wide(x: array<u32, 16>) -> Scalar {
    var r: Scalar;
    for (var step = 0u; step < 512u; step++) {
        let bit = 511u - step;
        let b = (x[bit >> 5u] >> (bit & 31u)) & 1u;
        for (var i = 7u; i > 0u; i--) {
            r[i] = (r[i] << 1u) | (r[i - 1u] >> 31u);
        }
        r[0] = (r[0] << 1u) | b;
        if (sc_geq_ell(r)) {
            r = sc_sub_ell(r);
        }
    }
    return r;
}

fn sc_bit(a: Scalar, bit: u32) -> u32 {
    return (a[bit >> 5u] >> (bit & 31u)) & 1u;
}

// ---- The challenge hash ----

// Four message bytes from byte `at` of `messages`, as a little-endian word.
fn message_word(at: u32) -> u32 {
    let w = at >> 2u;
    let shift = (at & 3u) * 8u;
    let lo = messages[w];
    let hi = messages[w + 1u];
    // A shift by 32 would be taken mod 32: an aligned word is `lo` alone.
    return select((lo >> shift) | (hi << (32u - shift)), lo, shift == 0u);
}

// Big-endian word of bytes pos .. pos + 4 (pos a multiple of 4) of R || A || M || 0x80 || zeros,
// where R || A || M is `len` bytes long and M starts at byte `start` of `messages`.
fn stream_word(item: u32, start: u32, len: u32, pos: u32) -> u32 {
    var word = 0u;
    if (pos < 64u) {
        word = bswap(items[item * ITEM_WORDS + pos / 4u]);
    } else if (pos + 4u <= len) {
        word = bswap(message_word(start + pos - 64u));
    } else if (pos <= len) {
        // The word holding the end of the message: n message bytes, then the 0x80 byte.
        let n = len - pos;
        word = 0x80u << (24u - 8u * n);
        if (n > 0u) {
            word |= bswap(message_word(start + pos - 64u)) & (0xffffffffu << (32u - 8u * n));
        }
    }
    return word;
}

// SHA-512(R || A || M) as sixteen little-endian words (the digest's bytes in order).
fn challenge_digest(item: u32, start: u32, message_len: u32) -> array<u32, 16> {
    let len = 64u + message_len;
    // The 0x80 byte and the 16-byte length must fit after the data.
    let blocks = (len + 17u + 127u) / 128u;
    var state = sha512_initial_state();
    for (var b = 0u; b < blocks; b++) {
        var block: Sha512Block;
        for (var k = 0u; k < 16u; k++) {
            let pos = b * 128u + k * 8u;
            block[k] = Word64(stream_word(item, start, len, pos + 4u),
                              stream_word(item, start, len, pos));
        }
        if (b + 1u == blocks) {
            // The length in bits, as a 128-bit big-endian number (len < 2^32).
            block[14] = Word64(0u, 0u);
            block[15] = Word64(len << 3u, len >> 29u);
        }
        state = sha512_compress(state, block);
    }
    var digest: array<u32, 16>;
    for (var i = 0u; i < 8u; i++) {
        digest[2u * i] = bswap(state[i].y);
        digest[2u * i + 1u] = bswap(state[i].x);
    }
    return digest;
}

// ---- Points ----

struct Point {
    x: Fe,
    y: Fe,
    z: Fe,
    t: Fe,
}

// A point prepared as an addend: (Y + X, Y - X, 2Z, 2dT).
struct Addend {
    ypx: Fe,
    ymx: Fe,
    z2: Fe,
    t2d: Fe,
}

fn pt_identity() -> Point {
    return Point(fe_zero(), fe_one(), fe_one(), fe_zero());
}

fn pt_addend(p: Point) -> Addend {
    return Addend(fe_add(p.y, p.x), fe_sub(p.y, p.x), fe_add(p.z, p.z), fe_mul(p.t, FE_D2));
}

fn addend_select(a: Addend, b: Addend, pick_b: bool) -> Addend {
    return Addend(fe_select(a.ypx, b.ypx, pick_b), fe_select(a.ymx, b.ymx, pick_b),
                  fe_select(a.z2, b.z2, pick_b), fe_select(a.t2d, b.t2d, pick_b));
}

fn pt_neg(p: Point) -> Point {
    return Point(fe_neg(p.x), p.y, p.z, fe_neg(p.t));
}

// p + q (Hisil, Wong, Carter and Dawson's unified addition for a = -1): 8 multiplications.
fn pt_add(p: Point, q: Addend) -> Point {
    let a = fe_mul(fe_sub(p.y, p.x), q.ymx);
    let b = fe_mul(fe_add(p.y, p.x), q.ypx);
    let c = fe_mul(p.t, q.t2d);
    let d = fe_mul(p.z, q.z2);
    let e = fe_sub(b, a);
    let f = fe_sub(d, c);
    let g = fe_add(d, c);
    let h = fe_add(b, a);
    return Point(fe_mul(e, f), fe_mul(g, h), fe_mul(f, g), fe_mul(e, h));
}

// 2p: 4 squarings and 4 multiplications.
fn pt_double(p: Point) -> Point {
    let a = fe_square(p.x);
    let b = fe_square(p.y);
    let zz = fe_square(p.z);
    let c = fe_add(zz, zz);
    let h = fe_add(a, b);
    let e = fe_sub(h, fe_square(fe_add(p.x, p.y)));
    let g = fe_sub(a, b);
    let f = fe_add(c, g);
    return Point(fe_mul(e, f), fe_mul(g, h), fe_mul(f, g), fe_mul(e, h));
}

fn pt_is_identity(p: Point) -> bool {
    return fe_is_zero(p.x) && fe_equal(p.y, p.z);
}

struct Decoded {
    point: Point,
    ok: bool,
}

// ZIP-215 decompression, step for step as curve25519-dalek does it: y is the low 255 bits (not
// required to be below p); x = sqrt((y^2 - 1) / (d y^2 + 1)), the non-negative root, negated
// when the sign bit is set (so x = 0 with the sign bit set stays 0); no root: not a point.
fn decompress(encoding: Scalar) -> Decoded {
    let y = fe_from_words(encoding);
    let yy = fe_square(y);
    let u = fe_sub(yy, fe_one());
    let v = fe_add(fe_mul(yy, FE_D), fe_one());
    // r = u v^3 (u v^7)^((p - 5) / 8): a root of u / v up to a factor sqrt(-1).
    let v3 = fe_mul(fe_square(v), v);
    let v7 = fe_mul(fe_square(v3), v);
    var r = fe_mul(fe_mul(u, v3), fe_pow_p58(fe_mul(u, v7)));
    let check = fe_mul(v, fe_square(r));
    let correct = fe_equal(check, u);
    let flipped = fe_equal(check, fe_neg(u));
    r = fe_select(r, fe_mul(r, FE_SQRT_M1), flipped);
    r = fe_select(r, fe_neg(r), fe_is_negative(r));
    r = fe_select(r, fe_neg(r), (encoding[7] >> 31u) == 1u);
    return Decoded(Point(r, y, fe_one(), fe_mul(r, y)), correct || flipped);
}

fn thread_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
    return gid.x + gid.y * groups.x * WORKGROUP;
}

fn store_fe(at: u32, a: Fe) {
    for (var i = 0u; i < 16u; i++) {
        scratch[at + i] = a[i];
    }
}

fn load_fe(at: u32) -> Fe {
    var a: Fe;
    for (var i = 0u; i < 16u; i++) {
        a[i] = scratch[at + i];
    }
    return a;
}

fn store_point(at: u32, p: Point) {
    store_fe(at, p.x);
    store_fe(at + 16u, p.y);
    store_fe(at + 32u, p.z);
    store_fe(at + 48u, p.t);
}

fn load_point(at: u32) -> Point {
    return Point(load_fe(at), load_fe(at + 16u), load_fe(at + 32u), load_fe(at + 48u));
}

// Verification is three entry points, run one after the other over the same items: `challenge`
// (S canonical, k), `decode` (the points) and `check` (the curve equation). Each compiles on its
// own: lavapipe compiles the three far faster than one shader holding all, and it miscompiled a
// version where the challenge and the decoding shared one entry point (each right on its own).

@compute @workgroup_size(64)
fn challenge(@builtin(global_invocation_id) gid: vec3<u32>,
             @builtin(num_workgroups) groups: vec3<u32>) {
    let item = thread_index(gid, groups);
    if (item >= params.count) {
        return;
    }
    let out = item * SCRATCH_WORDS;
    var s: Scalar;
    for (var i = 0u; i < 8u; i++) {
        s[i] = items[item * ITEM_WORDS + 16u + i];
    }
    let start = offsets[item];
    let k = sc_reduce_wide(challenge_digest(item, start, offsets[item + 1u] - start));
    for (var i = 0u; i < 8u; i++) {
        scratch[out + 8u + i] = k[i];
    }
    scratch[out] = select(1u, 0u, sc_geq_ell(s));
}

@compute @workgroup_size(64)
fn decode(@builtin(global_invocation_id) gid: vec3<u32>,
          @builtin(num_workgroups) groups: vec3<u32>) {
    let item = thread_index(gid, groups);
    if (item >= params.count) {
        return;
    }
    // One point per dispatch (R when params.a is 0, A when 1): see the loop cap above.
    let which = params.a;
    let base = item * ITEM_WORDS;
    let out = item * SCRATCH_WORDS;
    var encoding: Scalar;
    for (var i = 0u; i < 8u; i++) {
        encoding[i] = items[base + 8u * which + i];
    }
    let decoded = decompress(encoding);
    store_point(out + 16u + 64u * which, decoded.point);
    scratch[out] = scratch[out] & select(0u, 1u, decoded.ok);
}

// Bits [params.b, params.a) of [s]B - [k]A by Straus-Shamir, from the top: one doubling per bit
// and one addition of 0, B, -A or B - A, picked with selects so that the invocations do not
// diverge. The accumulator starts at the identity on the first step (params.a = 253) and lives
// in the scratch buffer between steps.
@compute @workgroup_size(64)
fn ladder(@builtin(global_invocation_id) gid: vec3<u32>,
          @builtin(num_workgroups) groups: vec3<u32>) {
    let item = thread_index(gid, groups);
    if (item >= params.count) {
        return;
    }
    let at = item * SCRATCH_WORDS;
    if (scratch[at] != 1u) {
        return;
    }
    var s: Scalar;
    var k: Scalar;
    for (var i = 0u; i < 8u; i++) {
        s[i] = items[item * ITEM_WORDS + 16u + i];
        k[i] = scratch[at + 8u + i];
    }
    let base_point = Point(ED_BX, ED_BY, fe_one(), ED_BT);
    let minus_a = pt_addend(pt_neg(load_point(at + 80u)));
    let b_addend = pt_addend(base_point);
    let b_minus_a = pt_addend(pt_add(base_point, minus_a));
    let zero = pt_addend(pt_identity());
    var acc = pt_identity();
    if (params.a != 253u) {
        acc = load_point(at + ACC);
    }
    for (var bit = params.a; bit > params.b; bit--) {
        acc = pt_double(acc);
        let sb = sc_bit(s, bit - 1u) == 1u;
        let kb = sc_bit(k, bit - 1u) == 1u;
        let only_one = addend_select(minus_a, b_addend, sb);
        let both_or_none = addend_select(zero, b_minus_a, sb);
        acc = pt_add(acc, addend_select(only_one, both_or_none, sb == kb));
    }
    store_point(at + ACC, acc);
}

// [8]([s]B - [k]A - R) must be the identity.
@compute @workgroup_size(64)
fn finish(@builtin(global_invocation_id) gid: vec3<u32>,
          @builtin(num_workgroups) groups: vec3<u32>) {
    let item = thread_index(gid, groups);
    if (item >= params.count) {
        return;
    }
    let at = item * SCRATCH_WORDS;
    var verdict = 0u;
    if (scratch[at] == 1u) {
        var sum = pt_add(load_point(at + ACC), pt_addend(pt_neg(load_point(at + 16u))));
        for (var i = 0u; i < 3u; i++) {
            sum = pt_double(sum);
        }
        verdict = select(0u, 1u, pt_is_identity(sum));
    }
    verdicts[item] = verdict;
}
