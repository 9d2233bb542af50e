// BN254 scalar field (Fr) in Montgomery form (prepended: limbs.wgsl, which describes the form).

alias Fr = Limbs;

const FR_P = Fr(0xf0000001u, 0x43e1f593u, 0x79b97091u, 0x2833e848u,
                0x8181585du, 0xb85045b6u, 0xe131a029u, 0x30644e72u);
// -p^-1 mod 2^32.
const FR_INV: u32 = 0xefffffffu;

fn fr_add(a: Fr, b: Fr) -> Fr {
    return mod_add(a, b, FR_P);
}

fn fr_sub(a: Fr, b: Fr) -> Fr {
    return mod_sub(a, b, FR_P);
}

// Montgomery product a * b * 2^-256 mod p.
fn fr_mul(a: Fr, b: Fr) -> Fr {
    return mont_mul(a, b, FR_P, FR_INV);
}

fn fr_square(a: Fr) -> Fr {
    return fr_mul(a, a);
}
