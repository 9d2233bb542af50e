// BN254 scalar field (Fr) arithmetic in Montgomery form.
//
// An element is eight 32-bit limbs, least significant first, holding a * 2^256 mod p, always fully
// reduced (< p). With R = 2^256 this is bit for bit the in-memory form of arkworks' `Fr`
// (four 64-bit Montgomery limbs, little-endian), so the host uploads and reads back arkworks
// values without converting them.
//
// WGSL has no 64-bit integers: a 32 x 32 -> 64-bit product is built from four 16 x 16-bit ones.
// Multiplication is CIOS Montgomery multiplication; p < 2^254 keeps every intermediate below 2p,
// so one conditional subtraction reduces the result.

alias Fr = array<u32, 8>;

const FR_P = Fr(0xf0000001u, 0x43e1f593u, 0x79b97091u, 0x2833e848u,
                0x8181585du, 0xb85045b6u, 0xe131a029u, 0x30644e72u);
// -p^-1 mod 2^32.
const FR_INV: u32 = 0xefffffffu;

// a * b as (low, high) 32-bit words.
fn mul_wide(a: u32, b: u32) -> vec2<u32> {
    let a0 = a & 0xffffu;
    let a1 = a >> 16u;
    let b0 = b & 0xffffu;
    let b1 = b >> 16u;
    let p00 = a0 * b0;
    let p01 = a0 * b1;
    let p10 = a1 * b0;
    let p11 = a1 * b1;
    let mid = p01 + p10;
    let mid_carry = select(0u, 0x10000u, mid < p01);
    let lo = p00 + (mid << 16u);
    let lo_carry = select(0u, 1u, lo < p00);
    let hi = p11 + (mid >> 16u) + mid_carry + lo_carry;
    return vec2<u32>(lo, hi);
}

// acc + a * b + carry as (low, high); never overflows 64 bits.
fn mac(acc: u32, a: u32, b: u32, carry: u32) -> vec2<u32> {
    let prod = mul_wide(a, b);
    let s1 = prod.x + acc;
    let c1 = select(0u, 1u, s1 < acc);
    let s2 = s1 + carry;
    let c2 = select(0u, 1u, s2 < carry);
    return vec2<u32>(s2, prod.y + c1 + c2);
}

// a >= p, for a < 2^256.
fn fr_geq_p(a: Fr) -> bool {
    for (var i = 7; i >= 0; i--) {
        if (a[i] != FR_P[i]) {
            return a[i] > FR_P[i];
        }
    }
    return true;
}

// a + b over 256 bits; the carry out of the top limb is dropped (callers know there is none, or
// that it cancels a borrow).
fn add_limbs(a: Fr, b: Fr) -> Fr {
    var r: Fr;
    var carry = 0u;
    for (var i = 0u; i < 8u; i++) {
        let s = a[i] + b[i];
        let c1 = select(0u, 1u, s < a[i]);
        r[i] = s + carry;
        let c2 = select(0u, 1u, r[i] < s);
        carry = c1 + c2;
    }
    return r;
}

struct Difference {
    value: Fr,
    // 1 when b > a (the value has wrapped around 2^256).
    borrow: u32,
}

// a - b over 256 bits.
fn sub_limbs(a: Fr, b: Fr) -> Difference {
    var r: Fr;
    var borrow = 0u;
    for (var i = 0u; i < 8u; i++) {
        let d = a[i] - b[i];
        let b1 = select(0u, 1u, a[i] < b[i]);
        r[i] = d - borrow;
        let b2 = select(0u, 1u, d < borrow);
        borrow = b1 + b2;
    }
    return Difference(r, borrow);
}

fn fr_reduce_once(a: Fr) -> Fr {
    if (fr_geq_p(a)) {
        return sub_limbs(a, FR_P).value;
    }
    return a;
}

fn fr_add(a: Fr, b: Fr) -> Fr {
    // a + b < 2p < 2^256: no carry out of the top limb.
    return fr_reduce_once(add_limbs(a, b));
}

fn fr_sub(a: Fr, b: Fr) -> Fr {
    let d = sub_limbs(a, b);
    if (d.borrow != 0u) {
        // a < b: add p back; the carry out of the top limb cancels the borrow.
        return add_limbs(d.value, FR_P);
    }
    return d.value;
}

// Montgomery product a * b * 2^-256 mod p.
fn fr_mul(a: Fr, b: Fr) -> Fr {
    var t: array<u32, 10>;
    for (var i = 0u; i < 8u; i++) {
        // t += a * b[i]
        var carry = 0u;
        for (var j = 0u; j < 8u; j++) {
            let r = mac(t[j], a[j], b[i], carry);
            t[j] = r.x;
            carry = r.y;
        }
        let s = t[8] + carry;
        t[9] = select(0u, 1u, s < carry);
        t[8] = s;
        // t = (t + m * p) / 2^32, with m chosen so that the low limb cancels.
        let m = t[0] * FR_INV;
        var c = mac(t[0], m, FR_P[0], 0u).y;
        for (var j = 1u; j < 8u; j++) {
            let r = mac(t[j], m, FR_P[j], c);
            t[j - 1u] = r.x;
            c = r.y;
        }
        let s2 = t[8] + c;
        t[7] = s2;
        t[8] = t[9] + select(0u, 1u, s2 < c);
    }
    var r: Fr;
    for (var i = 0u; i < 8u; i++) {
        r[i] = t[i];
    }
    return fr_reduce_once(r);
}

fn fr_square(a: Fr) -> Fr {
    return fr_mul(a, a);
}
