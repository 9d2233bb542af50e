// RFC 6962 SHA-256 Merkle tree: leaf = SHA-256(0x00 || leaf), node = SHA-256(0x01 || left || right),
// an odd last node moves up unchanged.
//
// Digests are stored as their 32 bytes, packed four to a little-endian u32 word, exactly as they
// sit in host memory, so the host reads the tree back without converting it. SHA-256 itself works
// on big-endian words: `bswap` converts on load and store.
//
// The whole tree lives in one buffer of digests, level after level, leaf hashes first; one
// dispatch per level, all in one submission.

struct LevelParams {
    // Offset, in digests, of the level below and of the level being written.
    below: u32,
    below_len: u32,
    out: u32,
    out_len: u32,
}

@group(0) @binding(0) var<storage, read_write> tree: array<u32>;
// `leaf_digests`: the 32-byte leaves. `leaf_bytes`: every leaf's bytes, concatenated.
@group(0) @binding(1) var<storage, read> leaves: array<u32>;
// `leaf_bytes`: leaf i is bytes offsets[i] .. offsets[i + 1] of `leaves`.
@group(0) @binding(2) var<storage, read> offsets: array<u32>;
@group(0) @binding(3) var<uniform> level: LevelParams;

const WORKGROUP: u32 = 64u;

var<private> K: array<u32, 64> = array<u32, 64>(
    0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu, 0x59f111f1u, 0x923f82a4u, 0xab1c5ed5u,
    0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u, 0x72be5d74u, 0x80deb1feu, 0x9bdc06a7u, 0xc19bf174u,
    0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu, 0x2de92c6fu, 0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau,
    0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u, 0xc6e00bf3u, 0xd5a79147u, 0x06ca6351u, 0x14292967u,
    0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu, 0x53380d13u, 0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u,
    0xa2bfe8a1u, 0xa81a664bu, 0xc24b8b70u, 0xc76c51a3u, 0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u,
    0x19a4c116u, 0x1e376c08u, 0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu, 0x682e6ff3u,
    0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u, 0x90befffau, 0xa4506cebu, 0xbef9a3f7u, 0xc67178f2u,
);

alias Digest = array<u32, 8>;
alias Block = array<u32, 16>;

fn initial_state() -> Digest {
    return Digest(0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au,
                  0x510e527fu, 0x9b05688cu, 0x1f83d9abu, 0x5be0cd19u);
}

fn bswap(x: u32) -> u32 {
    return (x >> 24u) | ((x >> 8u) & 0xff00u) | ((x << 8u) & 0xff0000u) | (x << 24u);
}

fn rotr(x: u32, n: u32) -> u32 {
    return (x >> n) | (x << (32u - n));
}

// One SHA-256 compression of a block of big-endian words.
fn compress(state: Digest, block: Block) -> Digest {
    var w = block;
    var a = state[0];
    var b = state[1];
    var c = state[2];
    var d = state[3];
    var e = state[4];
    var f = state[5];
    var g = state[6];
    var h = state[7];
    for (var t = 0u; t < 64u; t++) {
        var wt: u32;
        if (t < 16u) {
            wt = w[t];
        } else {
            let w15 = w[(t + 1u) & 15u];
            let w2 = w[(t + 14u) & 15u];
            let s0 = rotr(w15, 7u) ^ rotr(w15, 18u) ^ (w15 >> 3u);
            let s1 = rotr(w2, 17u) ^ rotr(w2, 19u) ^ (w2 >> 10u);
            wt = w[t & 15u] + s0 + w[(t + 9u) & 15u] + s1;
            w[t & 15u] = wt;
        }
        let big_s1 = rotr(e, 6u) ^ rotr(e, 11u) ^ rotr(e, 25u);
        let ch = (e & f) ^ (~e & g);
        let t1 = h + big_s1 + ch + K[t] + wt;
        let big_s0 = rotr(a, 2u) ^ rotr(a, 13u) ^ rotr(a, 22u);
        let maj = (a & b) ^ (a & c) ^ (b & c);
        let t2 = big_s0 + maj;
        h = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    return Digest(state[0] + a, state[1] + b, state[2] + c, state[3] + d,
                  state[4] + e, state[5] + f, state[6] + g, state[7] + h);
}

// SHA-256 of `prefix` (one byte) followed by `n_words` big-endian data words (8 or 16), padded.
// Message word k is the low byte of the word before it (or the prefix) followed by the top three
// bytes of data word k; the data is followed by the 0x80 padding byte.
fn hash_prefixed(prefix: u32, data: array<u32, 18>, n_words: u32) -> Digest {
    var d = data;
    d[n_words] = 0x80000000u;
    let bit_len = (1u + 4u * n_words) * 8u;
    var state = initial_state();
    var block: Block;
    var carry = prefix;
    var filled = 0u;
    for (var k = 0u; k <= n_words; k++) {
        block[filled] = (carry << 24u) | (d[k] >> 8u);
        carry = d[k] & 0xffu;
        filled++;
        if (filled == 16u) {
            state = compress(state, block);
            filled = 0u;
        }
    }
    // Zeros, then the 64-bit length in the last two words of the final block.
    if (filled > 14u) {
        for (var k = filled; k < 16u; k++) {
            block[k] = 0u;
        }
        state = compress(state, block);
        filled = 0u;
    }
    for (var k = filled; k < 14u; k++) {
        block[k] = 0u;
    }
    block[14] = 0u;
    block[15] = bit_len;
    return compress(state, block);
}

fn load_digest_be(i: u32, into: ptr<function, array<u32, 18>>, at: u32) {
    for (var k = 0u; k < 8u; k++) {
        (*into)[at + k] = bswap(tree[i * 8u + k]);
    }
}

fn store_digest(i: u32, h: Digest) {
    for (var k = 0u; k < 8u; k++) {
        tree[i * 8u + k] = bswap(h[k]);
    }
}

fn thread_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
    return gid.x + gid.y * groups.x * WORKGROUP;
}

// Level 0 from 32-byte leaves: leaf hash i = SHA-256(0x00 || leaves[i]).
@compute @workgroup_size(64)
fn leaf_digests(@builtin(global_invocation_id) gid: vec3<u32>,
                @builtin(num_workgroups) groups: vec3<u32>) {
    let i = thread_index(gid, groups);
    if (i >= level.out_len) {
        return;
    }
    var data: array<u32, 18>;
    for (var k = 0u; k < 8u; k++) {
        data[k] = bswap(leaves[i * 8u + k]);
    }
    store_digest(level.out + i, hash_prefixed(0u, data, 8u));
}

fn leaf_byte(at: u32) -> u32 {
    return (leaves[at >> 2u] >> ((at & 3u) * 8u)) & 0xffu;
}

// Level 0 from byte-string leaves of any length: SHA-256(0x00 || leaf), block by block.
@compute @workgroup_size(64)
fn leaf_bytes(@builtin(global_invocation_id) gid: vec3<u32>,
              @builtin(num_workgroups) groups: vec3<u32>) {
    let i = thread_index(gid, groups);
    if (i >= level.out_len) {
        return;
    }
    let start = offsets[i];
    let len = offsets[i + 1u] - start;
    // Message: 0x00, the leaf, 0x80, zeros, 8 length bytes.
    let msg_len = len + 1u;
    let blocks = (msg_len + 8u) / 64u + 1u;
    var state = initial_state();
    for (var b = 0u; b < blocks; b++) {
        var block: Block;
        for (var k = 0u; k < 16u; k++) {
            var word = 0u;
            for (var j = 0u; j < 4u; j++) {
                let p = b * 64u + k * 4u + j;
                var b8 = 0u;
                if (p >= 1u && p <= len) {
                    b8 = leaf_byte(start + p - 1u);
                } else if (p == msg_len) {
                    b8 = 0x80u;
                }
                word = (word << 8u) | b8;
            }
            block[k] = word;
        }
        if (b + 1u == blocks) {
            block[14] = msg_len >> 29u;
            block[15] = msg_len << 3u;
        }
        state = compress(state, block);
    }
    store_digest(level.out + i, state);
}

// One level above: node k = SHA-256(0x01 || below[2k] || below[2k + 1]), or below[2k] moved up.
@compute @workgroup_size(64)
fn node(@builtin(global_invocation_id) gid: vec3<u32>,
        @builtin(num_workgroups) groups: vec3<u32>) {
    let k = thread_index(gid, groups);
    if (k >= level.out_len) {
        return;
    }
    let left = level.below + 2u * k;
    if (2u * k + 1u < level.below_len) {
        var data: array<u32, 18>;
        load_digest_be(left, &data, 0u);
        load_digest_be(left + 1u, &data, 8u);
        store_digest(level.out + k, hash_prefixed(1u, data, 16u));
    } else {
        for (var w = 0u; w < 8u; w++) {
            tree[(level.out + k) * 8u + w] = tree[left * 8u + w];
        }
    }
}
