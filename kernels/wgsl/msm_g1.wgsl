// Pippenger MSM over BN254 G1 (prepended: limbs.wgsl, fr.wgsl, fq.wgsl).
//
// Points are homogeneous projective (X : Y : Z), x = X / Z, y = Y / Z, the identity (0 : 1 : 0),
// added with the complete formulas of Renes, Costello and Batina (2016, algorithm 7 for a = 0):
// no special cases for the identity, P + P or P + (-P), so no thread branches on its data.
// A base is affine (x, y) as two Fq elements; (0, 0), which is not on the curve, is the identity.
//
// One MSM is two submissions of these dispatches, for windows of c bits and B = 2^(c-1) buckets
// per window (signed digits); the host reads the largest bucket's count back in between:
//   recode           thread per scalar: out of Montgomery form, signed digits, one entry
//                    (bucket, sign) per window; counts each bucket's entries (atomics)
//   scan             thread per window: exclusive prefix sums of its bucket counts, and the
//                    largest count (atomicMax)
//   scatter          thread per (window, scalar): writes the scalar's index into its bucket's
//                    run of the sorted array (a counting sort by bucket)
//   accumulate       thread per (window, bucket): adds CHUNK entries of its bucket's run per
//                    dispatch (round). Each bucket has one thread, which alone writes it: no
//                    write conflicts, no atomics on points
//   reduce_segments  thread per (window, segment of L buckets): running sums over the segment
//   reduce_windows   thread per window: its segments combined into sum_b (b + 1) S_b
// The host reads the window sums back and combines them, sum_w 2^(offset of w) W_w.

struct MsmParams {
    n: u32,
    // Window width in bits.
    c: u32,
    windows: u32,
    // Buckets per window, 2^(c-1): bucket k holds the digits of magnitude k + 1.
    buckets: u32,
    // Buckets per reduction segment.
    segment_len: u32,
    // accumulate: which CHUNK-entry slice of each bucket this dispatch adds.
    round: u32,
    // Where the segment sums and the window sums start in `points`, in points (the segment
    // sums right after the windows * buckets buckets).
    segment_base: u32,
    window_base: u32,
}

// Most entries one thread of `accumulate` adds in one dispatch. Lavapipe (llvmpipe) ends the
// loops of a shader invocation after 65 535 iterations counted over all its loops
// (LP_MAX_TGSI_LOOP_ITERATIONS), silently: every kernel keeps one invocation's work to a few
// hundred additions, and a bucket with more entries is summed over several dispatches (rounds),
// as many as the largest bucket needs.
const CHUNK: u32 = 128u;

// Affine bases, 16 words each: x then y.
@group(0) @binding(0) var<storage, read> bases: array<u32>;
// Scalars, 8 words each, in Montgomery form.
@group(0) @binding(1) var<storage, read> scalars: array<u32>;
// windows * n digit entries (magnitude << 1 | negative), window-major; then windows * n sorted
// entries (scalar index | negative << 31), each window's run grouped by bucket.
@group(0) @binding(2) var<storage, read_write> entries: array<u32>;
// Per (window, bucket): counts, then run starts, then write cursors; then the largest count.
@group(0) @binding(3) var<storage, read_write> counters: array<atomic<u32>>;
// Projective points, 24 words each: buckets, segment sums, window sums.
@group(0) @binding(4) var<storage, read_write> points: array<u32>;
@group(0) @binding(5) var<uniform> params: MsmParams;

const WORKGROUP: u32 = 64u;
const NEGATIVE: u32 = 0x80000000u;

struct Point {
    x: Fq,
    y: Fq,
    z: Fq,
}

fn identity() -> Point {
    return Point(Fq(), FQ_ONE, Fq());
}

// 9 a = 3 b a with b = 3, by additions.
fn times_b3(a: Fq) -> Fq {
    let a2 = fq_add(a, a);
    let a4 = fq_add(a2, a2);
    let a8 = fq_add(a4, a4);
    return fq_add(a8, a);
}

// P + Q, complete (RCB16 algorithm 7, a = 0, b3 = 9).
//
// Lavapipe (Mesa) inlines every call, so the twelve products run as two loops of six
// independent ones: one multiplier in the code instead of twelve keeps the shader quick to
// compile. Callers keep to one call site per kernel for the same reason.
fn g1_add(p: Point, q: Point) -> Point {
    // X1 X2, Y1 Y2, Z1 Z2, (X1 + Y1)(X2 + Y2), (Y1 + Z1)(Y2 + Z2), (X1 + Z1)(X2 + Z2).
    var lhs = array<Fq, 6>(p.x, p.y, p.z, fq_add(p.x, p.y), fq_add(p.y, p.z), fq_add(p.x, p.z));
    var rhs = array<Fq, 6>(q.x, q.y, q.z, fq_add(q.x, q.y), fq_add(q.y, q.z), fq_add(q.x, q.z));
    var m: array<Fq, 6>;
    for (var k = 0u; k < 6u; k++) {
        m[k] = fq_mul(lhs[k], rhs[k]);
    }
    var t0 = m[0];
    var t1 = m[1];
    var t2 = m[2];
    let t3 = fq_sub(m[3], fq_add(t0, t1));
    let t4 = fq_sub(m[4], fq_add(t1, t2));
    var y3 = fq_sub(m[5], fq_add(t0, t2));
    t0 = fq_add(fq_add(t0, t0), t0);
    t2 = times_b3(t2);
    let z3 = fq_add(t1, t2);
    t1 = fq_sub(t1, t2);
    y3 = times_b3(y3);
    // X3 = t3 t1 - t4 y3, Y3 = t1 z3 + y3 t0, Z3 = z3 t4 + t0 t3.
    lhs = array<Fq, 6>(t3, t4, t1, y3, z3, t0);
    rhs = array<Fq, 6>(t1, y3, z3, t0, t4, t3);
    for (var k = 0u; k < 6u; k++) {
        m[k] = fq_mul(lhs[k], rhs[k]);
    }
    return Point(fq_sub(m[0], m[1]), fq_add(m[2], m[3]), fq_add(m[4], m[5]));
}

// Base i as a projective point, negated when `negative`.
fn load_base(i: u32, negative: bool) -> Point {
    var x: Fq;
    var y: Fq;
    for (var k = 0u; k < 8u; k++) {
        x[k] = bases[i * 16u + k];
        y[k] = bases[i * 16u + 8u + k];
    }
    if (negative) {
        y = fq_neg(y);
    }
    return Point(x, y, FQ_ONE);
}

fn base_is_identity(i: u32) -> bool {
    var any = 0u;
    for (var k = 0u; k < 16u; k++) {
        any |= bases[i * 16u + k];
    }
    return any == 0u;
}

fn load_point(i: u32) -> Point {
    var p: Point;
    for (var k = 0u; k < 8u; k++) {
        p.x[k] = points[i * 24u + k];
        p.y[k] = points[i * 24u + 8u + k];
        p.z[k] = points[i * 24u + 16u + k];
    }
    return p;
}

fn store_point(i: u32, p: Point) {
    for (var k = 0u; k < 8u; k++) {
        points[i * 24u + k] = p.x[k];
        points[i * 24u + 8u + k] = p.y[k];
        points[i * 24u + 16u + k] = p.z[k];
    }
}

fn thread_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
    return gid.x + gid.y * groups.x * WORKGROUP;
}

// Bits [offset, offset + c) of a 256-bit number, c <= 16; zero past the top.
fn window_bits(s: Fr, offset: u32, c: u32) -> u32 {
    let limb = offset / 32u;
    let shift = offset % 32u;
    if (limb >= 8u) {
        return 0u;
    }
    var v = s[limb] >> shift;
    if (shift + c > 32u && limb + 1u < 8u) {
        v |= s[limb + 1u] << (32u - shift);
    }
    return v & ((1u << c) - 1u);
}

@compute @workgroup_size(64)
fn recode(@builtin(global_invocation_id) gid: vec3<u32>,
          @builtin(num_workgroups) groups: vec3<u32>) {
    let i = thread_index(gid, groups);
    let n = params.n;
    if (i >= n) {
        return;
    }
    let c = params.c;
    // Window 0 is the narrow one, c0 = 255 - (windows - 1) c bits, so that the top window ends
    // at bit 255: its digits, below 2^(c-1) for scalars below r < 2^254, spread over most
    // buckets instead of crowding into the first few.
    let c0 = 255u - (params.windows - 1u) * c;
    // A base at infinity contributes nothing: all its digits are zero.
    let skip = base_is_identity(i);
    var m: Fr;
    for (var k = 0u; k < 8u; k++) {
        m[k] = scalars[i * 8u + k];
    }
    var one = Fr();
    one[0] = 1u;
    // Out of Montgomery form: m * 2^256 * 1 * 2^-256.
    let s = fr_mul(m, one);
    var carry = 0u;
    for (var w = 0u; w < params.windows; w++) {
        let width = select(c, c0, w == 0u);
        let offset = select(c0 + (w - 1u) * c, 0u, w == 0u);
        let v = window_bits(s, offset, width) + carry;
        var entry = 0u;
        if (v > (1u << (width - 1u))) {
            // v - 2^width, negative (or zero when v = 2^width); the window above gets the carry.
            let magnitude = (1u << width) - v;
            entry = (magnitude << 1u) | 1u;
            carry = 1u;
        } else {
            entry = v << 1u;
            carry = 0u;
        }
        if (skip) {
            entry = 0u;
        }
        entries[w * n + i] = entry;
        let magnitude = entry >> 1u;
        if (magnitude != 0u) {
            atomicAdd(&counters[w * params.buckets + magnitude - 1u], 1u);
        }
    }
}

@compute @workgroup_size(64)
fn scan(@builtin(global_invocation_id) gid: vec3<u32>,
        @builtin(num_workgroups) groups: vec3<u32>) {
    let w = thread_index(gid, groups);
    if (w >= params.windows) {
        return;
    }
    let total = params.windows * params.buckets;
    // Window w's sorted run starts at windows * n + w * n in `entries`.
    var at = params.windows * params.n + w * params.n;
    var largest = 0u;
    for (var b = 0u; b < params.buckets; b++) {
        let k = w * params.buckets + b;
        atomicStore(&counters[total + k], at);
        atomicStore(&counters[2u * total + k], at);
        let count = atomicLoad(&counters[k]);
        at += count;
        largest = max(largest, count);
    }
    atomicMax(&counters[3u * total], largest);
}

@compute @workgroup_size(64)
fn scatter(@builtin(global_invocation_id) gid: vec3<u32>,
           @builtin(num_workgroups) groups: vec3<u32>) {
    let t = thread_index(gid, groups);
    let n = params.n;
    if (t >= params.windows * n) {
        return;
    }
    let entry = entries[t];
    let magnitude = entry >> 1u;
    if (magnitude == 0u) {
        return;
    }
    let w = t / n;
    let i = t % n;
    let total = params.windows * params.buckets;
    let at = atomicAdd(&counters[2u * total + w * params.buckets + magnitude - 1u], 1u);
    entries[at] = i | select(0u, NEGATIVE, (entry & 1u) != 0u);
}

@compute @workgroup_size(64)
fn accumulate(@builtin(global_invocation_id) gid: vec3<u32>,
              @builtin(num_workgroups) groups: vec3<u32>) {
    let k = thread_index(gid, groups);
    let total = params.windows * params.buckets;
    if (k >= total) {
        return;
    }
    let count = atomicLoad(&counters[k]);
    let skip = params.round * CHUNK;
    if (params.round > 0u && skip >= count) {
        return;
    }
    let start = atomicLoad(&counters[total + k]);
    var acc = identity();
    if (params.round > 0u) {
        acc = load_point(k);
    }
    let end = start + min(count, skip + CHUNK);
    for (var at = start + skip; at < end; at++) {
        let e = entries[at];
        acc = g1_add(acc, load_base(e & ~NEGATIVE, (e & NEGATIVE) != 0u));
    }
    store_point(k, acc);
}

// Each segment of L buckets (weights first + 1 .. first + L) gives two points: its weighted sum
// T = sum_j (j + 1) S_(first + j) and its plain sum R = sum_j S_(first + j), by running sums
// from the top bucket down.
@compute @workgroup_size(64)
fn reduce_segments(@builtin(global_invocation_id) gid: vec3<u32>,
                   @builtin(num_workgroups) groups: vec3<u32>) {
    let t = thread_index(gid, groups);
    let segments = params.buckets / params.segment_len;
    if (t >= params.windows * segments) {
        return;
    }
    let w = t / segments;
    let first = (t % segments) * params.segment_len;
    var running = identity();
    var sum = identity();
    // Even steps: running += S_j; odd steps: sum += running.
    for (var step = 0u; step < 2u * params.segment_len; step++) {
        let odd = (step & 1u) != 0u;
        var b = running;
        var a = sum;
        if (!odd) {
            a = running;
            b = load_point(w * params.buckets + first + params.segment_len - 1u - step / 2u);
        }
        let r = g1_add(a, b);
        if (odd) {
            sum = r;
        } else {
            running = r;
        }
    }
    store_point(params.segment_base + 2u * t, sum);
    store_point(params.segment_base + 2u * t + 1u, running);
}

// A window's sum_b (b + 1) S_b from its segments': sum_s T_s + sum_s (s L) R_s, where
// sum_s s R_s = sum_(k >= 1) sum_(s >= k) R_s is again a running sum, and the factor L (a power
// of two) is log2(L) doublings.
@compute @workgroup_size(64)
fn reduce_windows(@builtin(global_invocation_id) gid: vec3<u32>,
                  @builtin(num_workgroups) groups: vec3<u32>) {
    let w = thread_index(gid, groups);
    if (w >= params.windows) {
        return;
    }
    let segments = params.buckets / params.segment_len;
    let base = params.segment_base + 2u * w * segments;
    let doublings = firstTrailingBit(params.segment_len);
    var running = identity();
    var weighted = identity();
    var total = identity();
    // Steps: 2 (segments - 1) running sums (s from the top down to 1), the doublings, then the
    // segments' T and the weighted part into the total.
    let sums = 2u * (segments - 1u);
    let steps = sums + doublings + segments + 1u;
    for (var step = 0u; step < steps; step++) {
        var a = total;
        var b = weighted;
        var into = 2u;
        if (step < sums) {
            let s = segments - 1u - step / 2u;
            if ((step & 1u) == 0u) {
                a = running;
                b = load_point(base + 2u * s + 1u);
                into = 0u;
            } else {
                a = weighted;
                b = running;
                into = 1u;
            }
        } else if (step < sums + doublings) {
            a = weighted;
            into = 1u;
        } else if (step < steps - 1u) {
            b = load_point(base + 2u * (step - sums - doublings));
        }
        let r = g1_add(a, b);
        if (into == 0u) {
            running = r;
        } else if (into == 1u) {
            weighted = r;
        } else {
            total = r;
        }
    }
    store_point(params.window_base + w, total);
}
