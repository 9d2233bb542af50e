//! Backends for tests: a CPU backend with one deliberate fault, and a "device" that fails on
//! demand. They stand in for broken hardware, which is what the code under test must survive.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use ramjet_accel::curve::{Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ramjet_accel::{
    AccelError, Backend, BackendKind, CpuBackend, DeviceInfo, MerkleLeaves, MerkleTree, MsmBases,
    NttDirection, Op, Result, SigBatch, Verdicts,
};

/// One way of being wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    /// Gives one verdict for the whole batch, as a naive batch verifier would.
    Ed25519WholeBatchVerdict,
    /// Rejects every signature whose R or A is not canonically encoded (RFC 8032 strict, not ZIP-215).
    Ed25519RejectsNonCanonical,
    /// Hashes an odd last node with itself, as Bitcoin's tree does.
    MerkleDuplicatesOddNode,
    /// Swaps the inputs of Poseidon.
    PoseidonSwapsInputs,
    /// Drops the last point of every G1 MSM.
    MsmG1DropsLastPoint,
    /// Accepts G2 bases that are not on the curve (and computes garbage).
    MsmG2SkipsCurveCheck,
    /// Ignores the coset offset of inverse NTTs.
    NttIgnoresInverseCoset,
}

/// The CPU backend with one fault.
pub(crate) struct FaultyBackend {
    cpu: CpuBackend,
    fault: Fault,
    info: DeviceInfo,
}

impl FaultyBackend {
    pub(crate) fn new(fault: Fault) -> Self {
        let cpu = CpuBackend::new();
        let mut info = cpu.info().clone();
        info.device = format!("faulty ({fault:?})");
        Self { cpu, fault, info }
    }
}

impl Backend for FaultyBackend {
    fn info(&self) -> &DeviceInfo {
        &self.info
    }

    fn supports(&self, _op: Op) -> bool {
        true
    }

    fn ed25519_verify(&self, batch: &SigBatch) -> Result<Verdicts> {
        let mut v = self.cpu.ed25519_verify(batch)?;
        match self.fault {
            Fault::Ed25519WholeBatchVerdict => {
                let all = v.all_valid();
                v.0.iter_mut().for_each(|x| *x = all);
            }
            Fault::Ed25519RejectsNonCanonical => {
                for (i, verdict) in v.0.iter_mut().enumerate() {
                    let sig = batch.signature(i);
                    let r: [u8; 32] = sig[..32].try_into().unwrap();
                    if !canonical_encoding(&r) || !canonical_encoding(batch.key(i)) {
                        *verdict = false;
                    }
                }
            }
            _ => {}
        }
        Ok(v)
    }

    fn merkle_sha256(&self, leaves: MerkleLeaves<'_>) -> Result<MerkleTree<[u8; 32]>> {
        let mut tree = self.cpu.merkle_sha256(leaves)?;
        if self.fault == Fault::MerkleDuplicatesOddNode {
            for l in 1..tree.levels.len() {
                let below = tree.levels[l - 1].clone();
                if below.len() % 2 == 1 && below.len() > 1 {
                    let last = *below.last().unwrap();
                    *tree.levels[l].last_mut().unwrap() =
                        ramjet_accel::reference::sha256_node(&last, &last);
                    // Levels above are recomputed from the changed one.
                    for up in l + 1..tree.levels.len() {
                        let below = tree.levels[up - 1].clone();
                        tree.levels[up] = below
                            .chunks(2)
                            .map(|p| {
                                if p.len() == 2 {
                                    ramjet_accel::reference::sha256_node(&p[0], &p[1])
                                } else {
                                    p[0]
                                }
                            })
                            .collect();
                    }
                }
            }
        }
        Ok(tree)
    }

    fn merkle_poseidon(&self, leaves: &[Fr]) -> Result<MerkleTree<Fr>> {
        if self.fault == Fault::PoseidonSwapsInputs && leaves.len() >= 2 {
            let mut swapped = leaves.to_vec();
            swapped.swap(0, 1);
            let mut tree = self.cpu.merkle_poseidon(&swapped)?;
            tree.levels[0] = leaves.to_vec();
            return Ok(tree);
        }
        self.cpu.merkle_poseidon(leaves)
    }

    fn msm_g1(&self, bases: MsmBases<'_, G1Affine>, scalars: &[Fr]) -> Result<G1Projective> {
        if self.fault == Fault::MsmG1DropsLastPoint
            && !scalars.is_empty()
            && bases.host().len() == scalars.len()
        {
            let n = scalars.len() - 1;
            return self
                .cpu
                .msm_g1(MsmBases::Host(&bases.host()[..n]), &scalars[..n]);
        }
        self.cpu.msm_g1(bases, scalars)
    }

    fn msm_g2(&self, bases: MsmBases<'_, G2Affine>, scalars: &[Fr]) -> Result<G2Projective> {
        if self.fault == Fault::MsmG2SkipsCurveCheck && bases.host().len() == scalars.len() {
            use ark_ec::VariableBaseMSM;
            return Ok(G2Projective::msm_unchecked(bases.host(), scalars));
        }
        self.cpu.msm_g2(bases, scalars)
    }

    fn ntt(&self, values: &mut [Fr], direction: NttDirection, coset: Option<Fr>) -> Result<()> {
        if self.fault == Fault::NttIgnoresInverseCoset && direction == NttDirection::Inverse {
            return self.cpu.ntt(values, direction, None);
        }
        self.cpu.ntt(values, direction, coset)
    }
}

/// Whether a point encoding is canonical: it decodes, and encoding the point again gives the same
/// bytes (RFC 8032's strict rule; ZIP-215 does not require it).
fn canonical_encoding(bytes: &[u8; 32]) -> bool {
    use curve25519_dalek::edwards::CompressedEdwardsY;
    CompressedEdwardsY(*bytes)
        .decompress()
        .is_some_and(|p| p.compress().to_bytes() == *bytes)
}

/// A "device" that delegates to the CPU but fails while `failures_left` is positive, or gives
/// wrong answers if `lies` is set. Used to check the dispatcher's fallback and audit.
pub(crate) struct FlakyDevice {
    cpu: CpuBackend,
    info: DeviceInfo,
    pub(crate) failures_left: AtomicUsize,
    pub(crate) calls: AtomicUsize,
    lies: bool,
}

impl FlakyDevice {
    pub(crate) fn failing(times: usize) -> Arc<Self> {
        Arc::new(Self::new(times, false, "flaky"))
    }

    pub(crate) fn lying() -> Arc<Self> {
        Arc::new(Self::new(0, true, "lying"))
    }

    /// A healthy device that says it is emulated on the CPU, as lavapipe does.
    pub(crate) fn emulated() -> Arc<Self> {
        let mut device = Self::new(0, false, "emulated");
        device.info.emulated = true;
        Arc::new(device)
    }

    fn new(times: usize, lies: bool, name: &str) -> Self {
        Self {
            cpu: CpuBackend::new(),
            info: DeviceInfo {
                kind: BackendKind::Wgpu,
                device: format!("test device ({name})"),
                memory_bytes: Some(1 << 30),
                compute_units: 64,
                emulated: false,
                features: Vec::new(),
            },
            failures_left: AtomicUsize::new(times),
            calls: AtomicUsize::new(0),
            lies,
        }
    }

    fn enter(&self) -> Result<()> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let left = self.failures_left.load(Ordering::SeqCst);
        if left > 0 {
            self.failures_left.store(left - 1, Ordering::SeqCst);
            return Err(AccelError::DeviceLost {
                backend: self.info.id(),
                reason: "injected failure".into(),
            });
        }
        Ok(())
    }
}

impl Backend for FlakyDevice {
    fn info(&self) -> &DeviceInfo {
        &self.info
    }

    fn supports(&self, op: Op) -> bool {
        op != Op::MsmG2
    }

    fn ed25519_verify(&self, batch: &SigBatch) -> Result<Verdicts> {
        self.enter()?;
        let mut v = self.cpu.ed25519_verify(batch)?;
        if self.lies && !v.is_empty() {
            v.0[0] = !v.0[0];
        }
        Ok(v)
    }

    fn merkle_sha256(&self, leaves: MerkleLeaves<'_>) -> Result<MerkleTree<[u8; 32]>> {
        self.enter()?;
        self.cpu.merkle_sha256(leaves)
    }

    fn merkle_poseidon(&self, leaves: &[Fr]) -> Result<MerkleTree<Fr>> {
        self.enter()?;
        self.cpu.merkle_poseidon(leaves)
    }

    fn msm_g1(&self, bases: MsmBases<'_, G1Affine>, scalars: &[Fr]) -> Result<G1Projective> {
        self.enter()?;
        if let MsmBases::Resident(r) = bases {
            // A real device would look up its own buffer; this checks the handle is its own.
            r.device::<String>(&self.info.id())?;
        }
        self.cpu.msm_g1(MsmBases::Host(bases.host()), scalars)
    }

    fn msm_g2(&self, _bases: MsmBases<'_, G2Affine>, _scalars: &[Fr]) -> Result<G2Projective> {
        Err(ramjet_accel::unsupported(self, Op::MsmG2))
    }

    /// Always fails, after scribbling on the buffer.
    fn ntt(&self, values: &mut [Fr], direction: NttDirection, coset: Option<Fr>) -> Result<()> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        // Scribble on the buffer first, as a device that dies half-way might.
        values.iter_mut().for_each(|v| *v = Fr::from(0xdeadu64));
        Err(AccelError::Device {
            backend: self.info.id(),
            reason: format!("{direction:?} {coset:?} not done"),
        })
    }

    fn make_resident_g1(
        &self,
        bases: Arc<[G1Affine]>,
    ) -> Result<ramjet_accel::ResidentBases<G1Affine>> {
        self.enter()?;
        Ok(ramjet_accel::ResidentBases::new(
            bases,
            self.info.id(),
            Some(Arc::new("device buffer".to_owned())),
        ))
    }
}
