// SHA-512 with 64-bit words emulated on pairs of u32: a word is vec2<u32>(low half, high half).
// Additions carry from the low half into the high one; rotations and shifts move bits between the
// halves. The round constants and initial state below are FIPS 180-4's (the first 64 bits of the
// fractional parts of the cube roots of the first 80 primes, and of the square roots of the first
// 8); they were generated from that definition and checked against a SHA-512 implementation.

alias Word64 = vec2<u32>;
alias Sha512State = array<Word64, 8>;
alias Sha512Block = array<Word64, 16>;

var<private> SHA512_K: array<vec2<u32>, 80> = array<vec2<u32>, 80>(
    vec2<u32>(0xd728ae22u, 0x428a2f98u), vec2<u32>(0x23ef65cdu, 0x71374491u),
    vec2<u32>(0xec4d3b2fu, 0xb5c0fbcfu), vec2<u32>(0x8189dbbcu, 0xe9b5dba5u),
    vec2<u32>(0xf348b538u, 0x3956c25bu), vec2<u32>(0xb605d019u, 0x59f111f1u),
    vec2<u32>(0xaf194f9bu, 0x923f82a4u), vec2<u32>(0xda6d8118u, 0xab1c5ed5u),
    vec2<u32>(0xa3030242u, 0xd807aa98u), vec2<u32>(0x45706fbeu, 0x12835b01u),
    vec2<u32>(0x4ee4b28cu, 0x243185beu), vec2<u32>(0xd5ffb4e2u, 0x550c7dc3u),
    vec2<u32>(0xf27b896fu, 0x72be5d74u), vec2<u32>(0x3b1696b1u, 0x80deb1feu),
    vec2<u32>(0x25c71235u, 0x9bdc06a7u), vec2<u32>(0xcf692694u, 0xc19bf174u),
    vec2<u32>(0x9ef14ad2u, 0xe49b69c1u), vec2<u32>(0x384f25e3u, 0xefbe4786u),
    vec2<u32>(0x8b8cd5b5u, 0x0fc19dc6u), vec2<u32>(0x77ac9c65u, 0x240ca1ccu),
    vec2<u32>(0x592b0275u, 0x2de92c6fu), vec2<u32>(0x6ea6e483u, 0x4a7484aau),
    vec2<u32>(0xbd41fbd4u, 0x5cb0a9dcu), vec2<u32>(0x831153b5u, 0x76f988dau),
    vec2<u32>(0xee66dfabu, 0x983e5152u), vec2<u32>(0x2db43210u, 0xa831c66du),
    vec2<u32>(0x98fb213fu, 0xb00327c8u), vec2<u32>(0xbeef0ee4u, 0xbf597fc7u),
    vec2<u32>(0x3da88fc2u, 0xc6e00bf3u), vec2<u32>(0x930aa725u, 0xd5a79147u),
    vec2<u32>(0xe003826fu, 0x06ca6351u), vec2<u32>(0x0a0e6e70u, 0x14292967u),
    vec2<u32>(0x46d22ffcu, 0x27b70a85u), vec2<u32>(0x5c26c926u, 0x2e1b2138u),
    vec2<u32>(0x5ac42aedu, 0x4d2c6dfcu), vec2<u32>(0x9d95b3dfu, 0x53380d13u),
    vec2<u32>(0x8baf63deu, 0x650a7354u), vec2<u32>(0x3c77b2a8u, 0x766a0abbu),
    vec2<u32>(0x47edaee6u, 0x81c2c92eu), vec2<u32>(0x1482353bu, 0x92722c85u),
    vec2<u32>(0x4cf10364u, 0xa2bfe8a1u), vec2<u32>(0xbc423001u, 0xa81a664bu),
    vec2<u32>(0xd0f89791u, 0xc24b8b70u), vec2<u32>(0x0654be30u, 0xc76c51a3u),
    vec2<u32>(0xd6ef5218u, 0xd192e819u), vec2<u32>(0x5565a910u, 0xd6990624u),
    vec2<u32>(0x5771202au, 0xf40e3585u), vec2<u32>(0x32bbd1b8u, 0x106aa070u),
    vec2<u32>(0xb8d2d0c8u, 0x19a4c116u), vec2<u32>(0x5141ab53u, 0x1e376c08u),
    vec2<u32>(0xdf8eeb99u, 0x2748774cu), vec2<u32>(0xe19b48a8u, 0x34b0bcb5u),
    vec2<u32>(0xc5c95a63u, 0x391c0cb3u), vec2<u32>(0xe3418acbu, 0x4ed8aa4au),
    vec2<u32>(0x7763e373u, 0x5b9cca4fu), vec2<u32>(0xd6b2b8a3u, 0x682e6ff3u),
    vec2<u32>(0x5defb2fcu, 0x748f82eeu), vec2<u32>(0x43172f60u, 0x78a5636fu),
    vec2<u32>(0xa1f0ab72u, 0x84c87814u), vec2<u32>(0x1a6439ecu, 0x8cc70208u),
    vec2<u32>(0x23631e28u, 0x90befffau), vec2<u32>(0xde82bde9u, 0xa4506cebu),
    vec2<u32>(0xb2c67915u, 0xbef9a3f7u), vec2<u32>(0xe372532bu, 0xc67178f2u),
    vec2<u32>(0xea26619cu, 0xca273eceu), vec2<u32>(0x21c0c207u, 0xd186b8c7u),
    vec2<u32>(0xcde0eb1eu, 0xeada7dd6u), vec2<u32>(0xee6ed178u, 0xf57d4f7fu),
    vec2<u32>(0x72176fbau, 0x06f067aau), vec2<u32>(0xa2c898a6u, 0x0a637dc5u),
    vec2<u32>(0xbef90daeu, 0x113f9804u), vec2<u32>(0x131c471bu, 0x1b710b35u),
    vec2<u32>(0x23047d84u, 0x28db77f5u), vec2<u32>(0x40c72493u, 0x32caab7bu),
    vec2<u32>(0x15c9bebcu, 0x3c9ebe0au), vec2<u32>(0x9c100d4cu, 0x431d67c4u),
    vec2<u32>(0xcb3e42b6u, 0x4cc5d4beu), vec2<u32>(0xfc657e2au, 0x597f299cu),
    vec2<u32>(0x3ad6faecu, 0x5fcb6fabu), vec2<u32>(0x4a475817u, 0x6c44198cu),
);

fn sha512_initial_state() -> Sha512State {
    return Sha512State(
        vec2<u32>(0xf3bcc908u, 0x6a09e667u), vec2<u32>(0x84caa73bu, 0xbb67ae85u),
        vec2<u32>(0xfe94f82bu, 0x3c6ef372u), vec2<u32>(0x5f1d36f1u, 0xa54ff53au),
        vec2<u32>(0xade682d1u, 0x510e527fu), vec2<u32>(0x2b3e6c1fu, 0x9b05688cu),
        vec2<u32>(0xfb41bd6bu, 0x1f83d9abu), vec2<u32>(0x137e2179u, 0x5be0cd19u),
    );
}

fn add64(a: Word64, b: Word64) -> Word64 {
    let lo = a.x + b.x;
    return Word64(lo, a.y + b.y + select(0u, 1u, lo < a.x));
}

// Rotation right by 0 < n < 32.
fn rotr64_lo(v: Word64, n: u32) -> Word64 {
    return Word64((v.x >> n) | (v.y << (32u - n)), (v.y >> n) | (v.x << (32u - n)));
}

// Rotation right by 32 < n < 64: swap the halves, then rotate by n - 32.
fn rotr64_hi(v: Word64, n: u32) -> Word64 {
    return rotr64_lo(v.yx, n - 32u);
}

// Shift right by 0 < n < 32.
fn shr64(v: Word64, n: u32) -> Word64 {
    return Word64((v.x >> n) | (v.y << (32u - n)), v.y >> n);
}

// One SHA-512 compression of a block of 64-bit big-endian words.
fn sha512_compress(state: Sha512State, block: Sha512Block) -> Sha512State {
    var w = block;
    var a = state[0];
    var b = state[1];
    var c = state[2];
    var d = state[3];
    var e = state[4];
    var f = state[5];
    var g = state[6];
    var h = state[7];
    for (var t = 0u; t < 80u; t++) {
        var wt: Word64;
        if (t < 16u) {
            wt = w[t];
        } else {
            let w15 = w[(t + 1u) & 15u];
            let w2 = w[(t + 14u) & 15u];
            let s0 = rotr64_lo(w15, 1u) ^ rotr64_lo(w15, 8u) ^ shr64(w15, 7u);
            let s1 = rotr64_lo(w2, 19u) ^ rotr64_hi(w2, 61u) ^ shr64(w2, 6u);
            wt = add64(add64(w[t & 15u], s0), add64(w[(t + 9u) & 15u], s1));
            w[t & 15u] = wt;
        }
        let big_s1 = rotr64_lo(e, 14u) ^ rotr64_lo(e, 18u) ^ rotr64_hi(e, 41u);
        let ch = (e & f) ^ (~e & g);
        let t1 = add64(add64(add64(h, big_s1), add64(ch, SHA512_K[t])), wt);
        let big_s0 = rotr64_lo(a, 28u) ^ rotr64_hi(a, 34u) ^ rotr64_hi(a, 39u);
        let maj = (a & b) ^ (a & c) ^ (b & c);
        let t2 = add64(big_s0, maj);
        h = g;
        g = f;
        f = e;
        e = add64(d, t1);
        d = c;
        c = b;
        b = a;
        a = add64(t1, t2);
    }
    return Sha512State(add64(state[0], a), add64(state[1], b), add64(state[2], c),
                       add64(state[3], d), add64(state[4], e), add64(state[5], f),
                       add64(state[6], g), add64(state[7], h));
}
