// Radix-2 NTT over the BN254 scalar field, natural order in and out (prepended: fr.wgsl).
//
// One transform is a sequence of dispatches in one submission:
//   [scale by the coset powers]  bit_reverse  butterfly x log2(n)  [scale by 1/n and/or the
//   inverse coset powers]
// Stage `s` of the butterfly network combines pairs `half = 2^s` apart with the twiddle
// w_{2 half}^j, read from one table of powers of a root of unity of the largest size seen so far
// (`twiddle_stride` steps through it). Every element is 8 words (see fr.wgsl).

struct NttParams {
    n: u32,
    log_n: u32,
    // Butterfly: distance between the two inputs of a butterfly (2^stage).
    half: u32,
    // Butterfly: step through the twiddle table, (table size) / (2 half).
    twiddle_stride: u32,
    // Scale: 1 when the coset power tables are used, 0 to multiply by the factor only.
    use_powers: u32,
}

@group(0) @binding(0) var<storage, read_write> values: array<u32>;
@group(0) @binding(1) var<storage, read> twiddles: array<u32>;
// Scale: the constant factor (element 0), then four tables of 256 powers g^(d * 256^k).
@group(0) @binding(2) var<storage, read> scale_table: array<u32>;
@group(0) @binding(3) var<uniform> params: NttParams;

const WORKGROUP: u32 = 64u;

fn load_value(i: u32) -> Fr {
    var r: Fr;
    for (var k = 0u; k < 8u; k++) {
        r[k] = values[i * 8u + k];
    }
    return r;
}

fn store_value(i: u32, v: Fr) {
    for (var k = 0u; k < 8u; k++) {
        values[i * 8u + k] = v[k];
    }
}

fn load_twiddle(i: u32) -> Fr {
    var r: Fr;
    for (var k = 0u; k < 8u; k++) {
        r[k] = twiddles[i * 8u + k];
    }
    return r;
}

fn load_scale(i: u32) -> Fr {
    var r: Fr;
    for (var k = 0u; k < 8u; k++) {
        r[k] = scale_table[i * 8u + k];
    }
    return r;
}

fn thread_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
    return gid.x + gid.y * groups.x * WORKGROUP;
}

@compute @workgroup_size(64)
fn bit_reverse(@builtin(global_invocation_id) gid: vec3<u32>,
               @builtin(num_workgroups) groups: vec3<u32>) {
    let i = thread_index(gid, groups);
    if (i >= params.n || params.log_n == 0u) {
        return;
    }
    let j = reverseBits(i) >> (32u - params.log_n);
    if (i < j) {
        let a = load_value(i);
        let b = load_value(j);
        store_value(i, b);
        store_value(j, a);
    }
}

@compute @workgroup_size(64)
fn butterfly(@builtin(global_invocation_id) gid: vec3<u32>,
             @builtin(num_workgroups) groups: vec3<u32>) {
    let k = thread_index(gid, groups);
    if (k >= params.n / 2u) {
        return;
    }
    let j = k & (params.half - 1u);
    let i0 = (k - j) * 2u + j;
    let i1 = i0 + params.half;
    let u = load_value(i0);
    var t = load_value(i1);
    if (j != 0u) {
        t = fr_mul(t, load_twiddle(j * params.twiddle_stride));
    }
    store_value(i0, fr_add(u, t));
    store_value(i1, fr_sub(u, t));
}

@compute @workgroup_size(64)
fn scale(@builtin(global_invocation_id) gid: vec3<u32>,
         @builtin(num_workgroups) groups: vec3<u32>) {
    let i = thread_index(gid, groups);
    if (i >= params.n) {
        return;
    }
    var v = fr_mul(load_value(i), load_scale(0u));
    if (params.use_powers != 0u) {
        for (var k = 0u; k < 4u; k++) {
            let digit = (i >> (8u * k)) & 0xffu;
            if (digit != 0u) {
                v = fr_mul(v, load_scale(1u + 256u * k + digit));
            }
        }
    }
    store_value(i, v);
}
