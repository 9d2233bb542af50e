// Modular arithmetic on 256-bit numbers, shared by every field (prepended to fr.wgsl / fq.wgsl).
//
// A number is eight 32-bit limbs, least significant first. A field element is kept in
// Montgomery form with R = 2^256 (a stored as a * 2^256 mod m) and always fully reduced (< m):
// bit for bit the in-memory form of an arkworks `Fp256` (four 64-bit Montgomery limbs,
// little-endian), so the host uploads and reads back arkworks values without converting them.
// Each field file holds only its modulus m and -m^-1 mod 2^32, and thin wrappers that pass them
// to the functions below.
//
// WGSL has no 64-bit integers: a 32 x 32 -> 64-bit product is built from four 16 x 16-bit ones.
// Multiplication is CIOS Montgomery multiplication; every modulus used is below 2^254, which
// keeps every intermediate below 2m, so one conditional subtraction reduces the result.

alias Limbs = array<u32, 8>;

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

// a >= b.
fn limbs_geq(a: Limbs, b: Limbs) -> bool {
    for (var i = 7; i >= 0; i--) {
        if (a[i] != b[i]) {
            return a[i] > b[i];
        }
    }
    return true;
}

fn limbs_is_zero(a: Limbs) -> bool {
    var any = 0u;
    for (var i = 0u; i < 8u; i++) {
        any |= a[i];
    }
    return any == 0u;
}

// a + b over 256 bits; the carry out of the top limb is dropped (callers know there is none, or
// that it cancels a borrow).
fn add_limbs(a: Limbs, b: Limbs) -> Limbs {
    var r: Limbs;
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
    value: Limbs,
    // 1 when b > a (the value has wrapped around 2^256).
    borrow: u32,
}

// a - b over 256 bits.
fn sub_limbs(a: Limbs, b: Limbs) -> Difference {
    var r: Limbs;
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

// a mod m, for a < 2m.
fn mod_reduce_once(a: Limbs, m: Limbs) -> Limbs {
    if (limbs_geq(a, m)) {
        return sub_limbs(a, m).value;
    }
    return a;
}

// a + b mod m, for a, b < m.
fn mod_add(a: Limbs, b: Limbs, m: Limbs) -> Limbs {
    // a + b < 2m < 2^256: no carry out of the top limb.
    return mod_reduce_once(add_limbs(a, b), m);
}

// a - b mod m, for a, b < m.
fn mod_sub(a: Limbs, b: Limbs, m: Limbs) -> Limbs {
    let d = sub_limbs(a, b);
    if (d.borrow != 0u) {
        // a < b: add m back; the carry out of the top limb cancels the borrow.
        return add_limbs(d.value, m);
    }
    return d.value;
}

// Montgomery product a * b * 2^-256 mod m, for a, b < m; `inv` is -m^-1 mod 2^32.
fn mont_mul(a: Limbs, b: Limbs, m: Limbs, inv: u32) -> Limbs {
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
        // t = (t + k * m) / 2^32, with k chosen so that the low limb cancels.
        let k = t[0] * inv;
        var c = mac(t[0], k, m[0], 0u).y;
        for (var j = 1u; j < 8u; j++) {
            let r = mac(t[j], k, m[j], c);
            t[j - 1u] = r.x;
            c = r.y;
        }
        let s2 = t[8] + c;
        t[7] = s2;
        t[8] = t[9] + select(0u, 1u, s2 < c);
    }
    var r: Limbs;
    for (var i = 0u; i < 8u; i++) {
        r[i] = t[i];
    }
    return mod_reduce_once(r, m);
}
