//! The CPU backend: always present, every operation, all cores.

mod ed25519;
mod msm;
mod ntt;
pub(crate) mod poseidon;
mod sha256_ni;
pub(crate) mod sha256_tree;

use std::sync::Arc;

use ark_bn254::{Fr, G1Affine, G1Projective, G2Affine, G2Projective};

use crate::{
    Backend, BackendKind, DeviceInfo, MerkleLeaves, MerkleTree, MsmBases, NttDirection, Op, Result,
    SigBatch, Verdicts, validate,
};

/// The CPU backend. It runs on rayon's global thread pool, so it uses every core unless the
/// process configures the pool otherwise.
pub struct CpuBackend {
    info: DeviceInfo,
    ntt: ntt::NttEngine,
}

impl Default for CpuBackend {
    fn default() -> Self {
        Self::new()
    }
}

impl CpuBackend {
    /// Detects the host CPU.
    pub fn new() -> Self {
        let info = DeviceInfo {
            kind: BackendKind::Cpu,
            device: cpu_model(),
            memory_bytes: host_memory_bytes(),
            compute_units: rayon::current_num_threads() as u32,
            emulated: false,
            features: cpu_features(),
        };
        Self {
            info,
            ntt: ntt::NttEngine::new(),
        }
    }

    /// The CPU backend behind an `Arc`, as the dispatcher holds it.
    pub fn shared() -> Arc<dyn Backend> {
        Arc::new(Self::new())
    }
}

impl Backend for CpuBackend {
    fn info(&self) -> &DeviceInfo {
        &self.info
    }

    fn supports(&self, _op: Op) -> bool {
        true
    }

    fn ed25519_verify(&self, batch: &SigBatch) -> Result<Verdicts> {
        Ok(ed25519::verify(batch))
    }

    fn merkle_sha256(&self, leaves: MerkleLeaves<'_>) -> Result<MerkleTree<[u8; 32]>> {
        Ok(sha256_tree::build(leaves))
    }

    fn merkle_poseidon(&self, leaves: &[Fr]) -> Result<MerkleTree<Fr>> {
        Ok(poseidon::build(leaves))
    }

    fn msm_g1(&self, bases: MsmBases<'_, G1Affine>, scalars: &[Fr]) -> Result<G1Projective> {
        validate::msm_input(
            "msm_g1 scalars vs bases",
            &bases,
            scalars,
            validate::g1_on_curve,
        )?;
        Ok(msm::msm(bases.host(), scalars))
    }

    fn msm_g2(&self, bases: MsmBases<'_, G2Affine>, scalars: &[Fr]) -> Result<G2Projective> {
        validate::msm_input(
            "msm_g2 scalars vs bases",
            &bases,
            scalars,
            validate::g2_on_curve,
        )?;
        Ok(msm::msm(bases.host(), scalars))
    }

    fn ntt(&self, values: &mut [Fr], direction: NttDirection, coset: Option<Fr>) -> Result<()> {
        validate::ntt_input(values.len(), coset)?;
        self.ntt
            .run(values, direction == NttDirection::Inverse, coset);
        Ok(())
    }
}

/// The CPU's model name, from `/proc/cpuinfo` where there is one.
fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_owned())
}

/// Total host memory, from `/proc/meminfo` where there is one.
fn host_memory_bytes() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// The instruction-set extensions that ramjet's CPU paths (or their dependencies) use.
fn cpu_features() -> Vec<String> {
    #[allow(unused_mut)]
    let mut features = Vec::new();
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("sha") {
            features.push("sha_ni".to_owned());
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            features.push("avx2".to_owned());
        }
        if std::arch::is_x86_feature_detected!("adx") && std::arch::is_x86_feature_detected!("bmi2")
        {
            features.push("adx+bmi2".to_owned());
        }
    }
    #[cfg(target_arch = "aarch64")]
    if std::arch::is_aarch64_feature_detected!("sha2") {
        features.push("sha2".to_owned());
    }
    features
}
