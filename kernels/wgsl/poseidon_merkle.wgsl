// Poseidon Merkle tree over the BN254 scalar field (prepended: fr.wgsl).
//
// circomlib's Poseidon with two inputs: t = 3, x^5 S-box, 8 full rounds (4 before and 4 after)
// and 57 partial rounds; state [0, left, right], output state[0]. Round constants and the MDS
// matrix come from the host (light-poseidon's circomlib parameters) in Montgomery form.
//
// The whole tree lives in one buffer of elements, level after level, leaves first. One dispatch
// per level; thread k writes node k of the level from nodes 2k and 2k + 1 of the level below, or
// copies node 2k up when it has no right sibling.

struct LevelParams {
    // Offset, in elements, of the level below and of the level being written.
    below: u32,
    below_len: u32,
    out: u32,
    out_len: u32,
}

@group(0) @binding(0) var<storage, read_write> tree: array<u32>;
// 3 x 65 round constants, then the 3 x 3 MDS matrix row by row.
@group(0) @binding(1) var<storage, read> constants: array<u32>;
@group(0) @binding(2) var<uniform> level: LevelParams;

const WORKGROUP: u32 = 64u;
const FULL_ROUNDS: u32 = 8u;
const PARTIAL_ROUNDS: u32 = 57u;
const MDS_AT: u32 = 3u * (FULL_ROUNDS + PARTIAL_ROUNDS);

fn load_node(i: u32) -> Fr {
    var r: Fr;
    for (var k = 0u; k < 8u; k++) {
        r[k] = tree[i * 8u + k];
    }
    return r;
}

fn store_node(i: u32, v: Fr) {
    for (var k = 0u; k < 8u; k++) {
        tree[i * 8u + k] = v[k];
    }
}

fn constant(i: u32) -> Fr {
    var r: Fr;
    for (var k = 0u; k < 8u; k++) {
        r[k] = constants[i * 8u + k];
    }
    return r;
}

fn sbox(x: Fr) -> Fr {
    let x2 = fr_square(x);
    return fr_mul(fr_square(x2), x);
}

fn poseidon2(left: Fr, right: Fr) -> Fr {
    var s0: Fr;
    var s1 = left;
    var s2 = right;
    let half = FULL_ROUNDS / 2u;
    for (var round = 0u; round < FULL_ROUNDS + PARTIAL_ROUNDS; round++) {
        s0 = fr_add(s0, constant(3u * round));
        s1 = fr_add(s1, constant(3u * round + 1u));
        s2 = fr_add(s2, constant(3u * round + 2u));
        s0 = sbox(s0);
        if (round < half || round >= half + PARTIAL_ROUNDS) {
            s1 = sbox(s1);
            s2 = sbox(s2);
        }
        let n0 = fr_add(fr_add(fr_mul(constant(MDS_AT), s0), fr_mul(constant(MDS_AT + 1u), s1)),
                        fr_mul(constant(MDS_AT + 2u), s2));
        let n1 = fr_add(fr_add(fr_mul(constant(MDS_AT + 3u), s0), fr_mul(constant(MDS_AT + 4u), s1)),
                        fr_mul(constant(MDS_AT + 5u), s2));
        let n2 = fr_add(fr_add(fr_mul(constant(MDS_AT + 6u), s0), fr_mul(constant(MDS_AT + 7u), s1)),
                        fr_mul(constant(MDS_AT + 8u), s2));
        s0 = n0;
        s1 = n1;
        s2 = n2;
    }
    return s0;
}

@compute @workgroup_size(64)
fn node(@builtin(global_invocation_id) gid: vec3<u32>,
        @builtin(num_workgroups) groups: vec3<u32>) {
    let k = gid.x + gid.y * groups.x * WORKGROUP;
    if (k >= level.out_len) {
        return;
    }
    let left = level.below + 2u * k;
    if (2u * k + 1u < level.below_len) {
        store_node(level.out + k, poseidon2(load_node(left), load_node(left + 1u)));
    } else {
        store_node(level.out + k, load_node(left));
    }
}
