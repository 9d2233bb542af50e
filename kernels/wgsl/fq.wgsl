// BN254 base field (Fq) in Montgomery form (prepended: limbs.wgsl, which describes the form).

alias Fq = Limbs;

const FQ_P = Fq(0xd87cfd47u, 0x3c208c16u, 0x6871ca8du, 0x97816a91u,
                0x8181585du, 0xb85045b6u, 0xe131a029u, 0x30644e72u);
// -q^-1 mod 2^32.
const FQ_INV: u32 = 0xe4866389u;
// 1 in Montgomery form: 2^256 mod q.
const FQ_ONE = Fq(0xc58f0d9du, 0xd35d438du, 0xf5c70b3du, 0x0a78eb28u,
                  0x7879462cu, 0x666ea36fu, 0x9a07df2fu, 0x0e0a77c1u);

fn fq_add(a: Fq, b: Fq) -> Fq {
    return mod_add(a, b, FQ_P);
}

fn fq_sub(a: Fq, b: Fq) -> Fq {
    return mod_sub(a, b, FQ_P);
}

fn fq_neg(a: Fq) -> Fq {
    return mod_sub(Fq(), a, FQ_P);
}

// Montgomery product a * b * 2^-256 mod q.
fn fq_mul(a: Fq, b: Fq) -> Fq {
    return mont_mul(a, b, FQ_P, FQ_INV);
}
