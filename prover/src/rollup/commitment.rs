//! What a transfer signs, and the batch commitment (the circuit's third public input).
//!
//! - The message of a transfer is `msg = Poseidon4(from, to, amount, nonce)`, each field as an
//!   integer in BN254's scalar field.
//! - The commitment of a batch of transfers `t_0 … t_{n-1}` is the Poseidon chain
//!   `c_0 = 0`, `c_{i+1} = Poseidon2(c_i, msg_i)`, and the commitment is `c_n` (0 for no
//!   transfer). It binds every transfer's fields and their order; it does not bind the signatures,
//!   which the circuit checks but does not publish.

use ark_bn254::Fr;
use ark_ff::Zero;

use super::poseidon;
use super::state::Transfer;

/// The message a transfer's signature signs: `Poseidon4(from, to, amount, nonce)`.
pub fn transfer_message(from: u64, to: u64, amount: u64, nonce: u64) -> Fr {
    poseidon::hash(&[
        Fr::from(from),
        Fr::from(to),
        Fr::from(amount),
        Fr::from(nonce),
    ])
}

/// One link of the chain: `Poseidon2(previous, msg)`.
pub fn chain_step(previous: Fr, msg: Fr) -> Fr {
    poseidon::hash2(previous, msg)
}

/// The batch commitment `c_n` of the [module docs](self).
pub fn batch_commitment(transfers: &[Transfer]) -> Fr {
    transfers
        .iter()
        .fold(Fr::zero(), |c, t| chain_step(c, t.message()))
}
