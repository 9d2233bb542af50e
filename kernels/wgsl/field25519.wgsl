// Arithmetic modulo p = 2^255 - 19, the field of Curve25519.
//
// An element is sixteen 16-bit limbs, least significant first, each held in a u32: value =
// sum(limb[i] * 2^(16 i)). Every function returns limbs below 2^16, so values are below 2^256
// (below 2p + 38) but not always below p: only `fe_canonical` reduces fully, and only comparisons
// and the sign need it.
//
// Why 16-bit limbs: WGSL has no 64-bit integers and no high-half multiply, so a product must fit
// 32 bits. A 16 x 16-bit limb product does; `fe_mul` adds its low and high halves into separate
// column sums (each below 2^21), folds the top sixteen columns down with 2^256 = 38 (mod p), and
// carries. No 64-bit emulation is needed anywhere.

alias Fe = array<u32, 16>;

// 4p, spread so that every limb is at least 2^16: a - b is computed as a + 4p - b limb by limb
// without borrows, for any b with 16-bit limbs.
const FE_FOUR_P = Fe(0x1ffb4u, 0x1fffeu, 0x1fffeu, 0x1fffeu, 0x1fffeu, 0x1fffeu, 0x1fffeu,
                     0x1fffeu, 0x1fffeu, 0x1fffeu, 0x1fffeu, 0x1fffeu, 0x1fffeu, 0x1fffeu,
                     0x1fffeu, 0x1fffeu);

fn fe_zero() -> Fe {
    return Fe(0u, 0u, 0u, 0u, 0u, 0u, 0u, 0u, 0u, 0u, 0u, 0u, 0u, 0u, 0u, 0u);
}

fn fe_one() -> Fe {
    var r = fe_zero();
    r[0] = 1u;
    return r;
}

// Limbs below 2^27 in, limbs below 2^16 out, same value mod p. The carry out of the top limb is
// worth 2^256 = 38 (mod p). After two passes the carry is at most 1, and only when limbs 1..15
// came out (nearly) zero, so the last fold cannot spread further than limb 1.
fn fe_carry(a: Fe) -> Fe {
    var r = a;
    for (var round = 0u; round < 2u; round++) {
        var c = 0u;
        for (var i = 0u; i < 16u; i++) {
            let v = r[i] + c;
            r[i] = v & 0xffffu;
            c = v >> 16u;
        }
        r[0] += 38u * c;
    }
    let c = r[0] >> 16u;
    r[0] &= 0xffffu;
    r[1] += c;
    return r;
}

fn fe_add(a: Fe, b: Fe) -> Fe {
    var r: Fe;
    for (var i = 0u; i < 16u; i++) {
        r[i] = a[i] + b[i];
    }
    return fe_carry(r);
}

fn fe_sub(a: Fe, b: Fe) -> Fe {
    var r: Fe;
    for (var i = 0u; i < 16u; i++) {
        r[i] = a[i] + FE_FOUR_P[i] - b[i];
    }
    return fe_carry(r);
}

fn fe_neg(a: Fe) -> Fe {
    return fe_sub(fe_zero(), a);
}

fn fe_mul(a: Fe, b: Fe) -> Fe {
    // Column sums: t[k] gathers the low halves of the products a[i] b[j] with i + j = k and the
    // high halves of those with i + j = k - 1: at most 32 values below 2^16.
    var t: array<u32, 32>;
    for (var i = 0u; i < 16u; i++) {
        for (var j = 0u; j < 16u; j++) {
            let p = a[i] * b[j];
            t[i + j] += p & 0xffffu;
            t[i + j + 1u] += p >> 16u;
        }
    }
    var r: Fe;
    for (var k = 0u; k < 16u; k++) {
        r[k] = t[k] + 38u * t[k + 16u];
    }
    return fe_carry(r);
}

fn fe_square(a: Fe) -> Fe {
    // The products a[i] a[j] with i != j appear twice: compute them once and double the sums.
    var t: array<u32, 32>;
    for (var i = 0u; i < 16u; i++) {
        for (var j = i + 1u; j < 16u; j++) {
            let p = a[i] * a[j];
            t[i + j] += p & 0xffffu;
            t[i + j + 1u] += p >> 16u;
        }
    }
    for (var k = 0u; k < 32u; k++) {
        t[k] <<= 1u;
    }
    for (var i = 0u; i < 16u; i++) {
        let p = a[i] * a[i];
        t[2u * i] += p & 0xffffu;
        t[2u * i + 1u] += p >> 16u;
    }
    var r: Fe;
    for (var k = 0u; k < 16u; k++) {
        r[k] = t[k] + 38u * t[k + 16u];
    }
    return fe_carry(r);
}

// a^(2^n).
fn fe_square_n(a: Fe, n: u32) -> Fe {
    var r = a;
    for (var i = 0u; i < n; i++) {
        r = fe_square(r);
    }
    return r;
}

// The unique representative below p. Written without an early return: lavapipe miscompiled an
// earlier version that returned from inside a branch once it was inlined into the large verifier.
fn fe_canonical(a: Fe) -> Fe {
    // Fold bit 255 (2^255 = 19): the value becomes v < 2^255 + 19 < 2p.
    var r = a;
    let top = r[15] >> 15u;
    r[15] &= 0x7fffu;
    var c = 19u * top;
    for (var i = 0u; i < 16u; i++) {
        let v = r[i] + c;
        r[i] = v & 0xffffu;
        c = v >> 16u;
    }
    // v >= p exactly when w = v + 19 reaches 2^255; then v - p is w - 2^255.
    var w: Fe;
    c = 19u;
    for (var i = 0u; i < 16u; i++) {
        let v = r[i] + c;
        w[i] = v & 0xffffu;
        c = v >> 16u;
    }
    let reduce = (w[15] >> 15u) != 0u;
    w[15] &= 0x7fffu;
    for (var i = 0u; i < 16u; i++) {
        r[i] = select(r[i], w[i], reduce);
    }
    return r;
}

fn fe_is_zero(a: Fe) -> bool {
    let r = fe_canonical(a);
    var acc = 0u;
    for (var i = 0u; i < 16u; i++) {
        acc |= r[i];
    }
    return acc == 0u;
}

fn fe_equal(a: Fe, b: Fe) -> bool {
    return fe_is_zero(fe_sub(a, b));
}

// The sign of a field element: the low bit of its canonical encoding.
fn fe_is_negative(a: Fe) -> bool {
    return (fe_canonical(a)[0] & 1u) == 1u;
}

fn fe_select(a: Fe, b: Fe, pick_b: bool) -> Fe {
    var r: Fe;
    for (var i = 0u; i < 16u; i++) {
        r[i] = select(a[i], b[i], pick_b);
    }
    return r;
}

// a^((p - 5) / 8) = a^(2^252 - 3), for square roots.
fn fe_pow_p58(a: Fe) -> Fe {
    let a2 = fe_square(a);                                  // a^2
    let a9 = fe_mul(fe_square_n(a2, 2u), a);                // a^9
    let a11 = fe_mul(a9, a2);                               // a^11
    let e5 = fe_mul(fe_square(a11), a9);                    // a^(2^5 - 1)
    let e10 = fe_mul(fe_square_n(e5, 5u), e5);              // a^(2^10 - 1)
    let e20 = fe_mul(fe_square_n(e10, 10u), e10);           // a^(2^20 - 1)
    let e40 = fe_mul(fe_square_n(e20, 20u), e20);           // a^(2^40 - 1)
    let e50 = fe_mul(fe_square_n(e40, 10u), e10);           // a^(2^50 - 1)
    let e100 = fe_mul(fe_square_n(e50, 50u), e50);          // a^(2^100 - 1)
    let e200 = fe_mul(fe_square_n(e100, 100u), e100);       // a^(2^200 - 1)
    let e250 = fe_mul(fe_square_n(e200, 50u), e50);         // a^(2^250 - 1)
    return fe_mul(fe_square_n(e250, 2u), a);                // a^(2^252 - 3)
}

// Sixteen limbs from eight little-endian 32-bit words (the 32 encoded bytes), bit 255 cleared.
fn fe_from_words(w: array<u32, 8>) -> Fe {
    var r: Fe;
    for (var i = 0u; i < 8u; i++) {
        r[2u * i] = w[i] & 0xffffu;
        r[2u * i + 1u] = w[i] >> 16u;
    }
    r[15] &= 0x7fffu;
    return r;
}
