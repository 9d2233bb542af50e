//! Merkle paths of the account tree as constraints.

use ark_bn254::Fr;
use ark_r1cs_std::boolean::Boolean;
use ark_r1cs_std::fields::fp::FpVar;
use ark_relations::gr1cs::SynthesisError;

use super::poseidon::poseidon_hash;

/// The root that `leaf` hashes up to along `siblings` (level 0 first), bit `l` of `index_bits`
/// (little-endian) saying whether the node at level `l` is a right child.
///
/// Per level: 1 constraint to order the pair (`t = bit·(sibling − node)`, left = node + t,
/// right = sibling − t) and one `Poseidon2` (240): 241·depth constraints.
///
/// # Panics
/// If `index_bits` and `siblings` differ in length.
pub fn root_from_path(
    leaf: &FpVar<Fr>,
    index_bits: &[Boolean<Fr>],
    siblings: &[FpVar<Fr>],
) -> Result<FpVar<Fr>, SynthesisError> {
    assert_eq!(index_bits.len(), siblings.len(), "one index bit per level");
    let mut node = leaf.clone();
    for (bit, sibling) in index_bits.iter().zip(siblings) {
        let swap = FpVar::from(bit.clone()) * (sibling - &node);
        let left = &node + &swap;
        let right = sibling - &swap;
        node = poseidon_hash(&[left, right])?;
    }
    Ok(node)
}
