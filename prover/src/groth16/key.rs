//! A proving key whose MSM bases are resident on an accelerator.

use std::sync::Arc;

use ark_bn254::{Bn254, G1Affine, G2Affine};
use ark_ec::short_weierstrass::{Affine, SWCurveConfig};
use ark_groth16::{ProvingKey, VerifyingKey};
use ramjet_accel::{Accelerator, SharedBases};

use super::SynthesizedCircuit;
use crate::{ProverError, Result};

/// An `ark_groth16::ProvingKey<Bn254>` prepared for one [`Accelerator`]: the five bases vectors
/// of its MSMs are resident bases (validated once, uploaded once per device), the handful of
/// single points the assembly adds are kept as they are.
///
/// The query vectors move into the resident bases (the key is not kept twice in memory); the
/// verifying key stays available through [`verifying_key`](Self::verifying_key). A prepared key
/// only works with the accelerator it was prepared on (another one answers
/// `AccelError::ForeignResidentBases`).
pub struct PreparedKey {
    pub(super) vk: VerifyingKey<Bn254>,
    pub(super) beta_g1: G1Affine,
    pub(super) delta_g1: G1Affine,
    /// `a_query[0]`, the constant one's term, added outside the MSM as arkworks does.
    pub(super) a_query_one: G1Affine,
    /// `b_g1_query[0]`.
    pub(super) b_g1_query_one: G1Affine,
    /// `b_g2_query[0]`.
    pub(super) b_g2_query_one: G2Affine,
    /// `a_query[1..]`.
    pub(super) a_query: SharedBases<G1Affine>,
    /// `b_g1_query[1..]`.
    pub(super) b_g1_query: SharedBases<G1Affine>,
    /// `b_g2_query[1..]`.
    pub(super) b_g2_query: SharedBases<G2Affine>,
    /// `l_query`, one base per witness variable.
    pub(super) l_query: SharedBases<G1Affine>,
    /// `h_query`, `n − 1` bases for a domain of size `n`.
    pub(super) h_query: SharedBases<G1Affine>,
    /// The matrices of the first circuit proved with this key: later proofs synthesize only
    /// their assignment and reuse them.
    pub(super) shape: std::sync::OnceLock<super::circuit::CircuitShape>,
}

impl std::fmt::Debug for PreparedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedKey")
            .field("instance_variables", &self.num_instance_variables())
            .field("witness_variables", &self.num_witness_variables())
            .field("domain_size", &self.domain_size())
            .finish_non_exhaustive()
    }
}

impl PreparedKey {
    /// Makes the key's bases resident on `accel`. The accelerator validates every base (on the
    /// curve), and this checks the key's shape: the three A/B queries of equal length,
    /// `l_query` one base per witness variable, `h_query` of length `n − 1` for a power of two
    /// `n`, and the single points in their groups. Fails with [`ProverError::Malformed`] or
    /// the accelerator's error (`PointNotOnCurve`).
    pub fn new(accel: &Accelerator, pk: ProvingKey<Bn254>) -> Result<Self> {
        let ProvingKey {
            vk,
            beta_g1,
            delta_g1,
            a_query,
            b_g1_query,
            b_g2_query,
            h_query,
            l_query,
        } = pk;
        let variables = a_query.len();
        let instance = vk.gamma_abc_g1.len();
        if variables == 0 || b_g1_query.len() != variables || b_g2_query.len() != variables {
            return Err(ProverError::Malformed(format!(
                "proving key: a_query, b_g1_query and b_g2_query have {}, {} and {} bases",
                variables,
                b_g1_query.len(),
                b_g2_query.len()
            )));
        }
        if instance == 0 || instance > variables || l_query.len() != variables - instance {
            return Err(ProverError::Malformed(format!(
                "proving key: {variables} variables, {instance} of them instance variables, \
                 but {} l_query bases",
                l_query.len()
            )));
        }
        if !(h_query.len() + 1).is_power_of_two() {
            return Err(ProverError::Malformed(format!(
                "proving key: h_query has {} bases, not one less than a power of two",
                h_query.len()
            )));
        }
        let g1_points = [
            ("alpha_g1", vk.alpha_g1),
            ("beta_g1", beta_g1),
            ("delta_g1", delta_g1),
            ("a_query[0]", a_query[0]),
            ("b_g1_query[0]", b_g1_query[0]),
        ];
        let g2_points = [
            ("beta_g2", vk.beta_g2),
            ("delta_g2", vk.delta_g2),
            ("b_g2_query[0]", b_g2_query[0]),
        ];
        let bad_g1 = g1_points.iter().find(|(_, p)| !in_group(p)).map(|(n, _)| n);
        let bad_g2 = g2_points.iter().find(|(_, p)| !in_group(p)).map(|(n, _)| n);
        if let Some(name) = bad_g1.or(bad_g2) {
            return Err(ProverError::Malformed(format!(
                "proving key: {name} is not in its prime-order group"
            )));
        }

        // Each query is copied into its resident form then freed at once, so that at most one
        // vector is held twice.
        let tail_g1 = |query: Vec<G1Affine>| -> Arc<[G1Affine]> { Arc::from(&query[1..]) };
        let tail_g2 = |query: Vec<G2Affine>| -> Arc<[G2Affine]> { Arc::from(&query[1..]) };
        Ok(Self {
            a_query_one: a_query[0],
            b_g1_query_one: b_g1_query[0],
            b_g2_query_one: b_g2_query[0],
            a_query: accel.resident_g1(tail_g1(a_query))?,
            b_g1_query: accel.resident_g1(tail_g1(b_g1_query))?,
            b_g2_query: accel.resident_g2(tail_g2(b_g2_query))?,
            l_query: accel.resident_g1(l_query)?,
            h_query: accel.resident_g1(h_query)?,
            vk,
            beta_g1,
            delta_g1,
            shape: std::sync::OnceLock::new(),
        })
    }

    /// The verifying key that goes with this proving key.
    pub fn verifying_key(&self) -> &VerifyingKey<Bn254> {
        &self.vk
    }

    /// Number of instance variables the key was made for, the constant one included.
    pub fn num_instance_variables(&self) -> usize {
        self.vk.gamma_abc_g1.len()
    }

    /// Number of witness variables the key was made for.
    pub fn num_witness_variables(&self) -> usize {
        self.l_query.len()
    }

    /// Size `n` of the evaluation domain the key was made for (a power of two).
    pub fn domain_size(&self) -> usize {
        self.h_query.len() + 1
    }

    /// Checks that `circuit` has the dimensions this key was made for.
    pub(super) fn check_matches(
        &self,
        circuit: &SynthesizedCircuit,
        domain_size: usize,
    ) -> Result<()> {
        let checks = [
            (
                "instance variables",
                self.num_instance_variables(),
                circuit.num_instance_variables(),
            ),
            (
                "witness variables",
                self.num_witness_variables(),
                circuit.num_witness_variables(),
            ),
            ("domain size", self.domain_size(), domain_size),
        ];
        match checks.into_iter().find(|(_, key, circuit)| key != circuit) {
            Some((what, key, circuit)) => Err(ProverError::KeyMismatch { what, key, circuit }),
            None => Ok(()),
        }
    }
}

fn in_group<P: SWCurveConfig>(point: &Affine<P>) -> bool {
    point.is_on_curve() && point.is_in_correct_subgroup_assuming_on_curve()
}
