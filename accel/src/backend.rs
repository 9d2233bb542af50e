//! The `Backend` trait every accelerator implements, and what it says about itself.

use std::any::Any;
use std::fmt;
use std::sync::Arc;

use ark_bn254::{Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use serde::{Deserialize, Serialize};

use crate::{AccelError, MerkleLeaves, MerkleTree, NttDirection, Op, Result, SigBatch, Verdicts};

/// What kind of hardware a backend drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    /// The host CPU.
    Cpu,
    /// An NVIDIA GPU through CUDA.
    Cuda,
    /// A GPU (or a CPU-emulated adapter such as lavapipe) through wgpu.
    Wgpu,
    /// An FPGA card or its simulation.
    Fpga,
}

impl fmt::Display for BackendKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BackendKind::Cpu => "cpu",
            BackendKind::Cuda => "cuda",
            BackendKind::Wgpu => "wgpu",
            BackendKind::Fpga => "fpga",
        })
    }
}

/// What a backend says about its device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceInfo {
    /// Hardware kind.
    pub kind: BackendKind,
    /// Device name as the driver reports it (CPU model, GPU name, FPGA card).
    pub device: String,
    /// Device memory in bytes, when known (host RAM for the CPU backend).
    pub memory_bytes: Option<u64>,
    /// Parallel compute units: threads for a CPU, SMs / compute units for a GPU.
    pub compute_units: u32,
    /// True when the "device" is emulated on the CPU (lavapipe, a simulated FPGA): its timings say
    /// nothing about real hardware, and the cost model must not treat it as an accelerator.
    pub emulated: bool,
    /// Instruction-set features or driver details worth showing (e.g. `sha_ni`, `avx2`).
    pub features: Vec<String>,
}

impl DeviceInfo {
    /// A stable identifier used in metrics labels and calibration profiles: `kind:device`.
    pub fn id(&self) -> String {
        format!("{}:{}", self.kind, self.device)
    }
}

/// Host-device traffic of a backend since it was made: what a device backend uploads and reads
/// back. Host-only backends move nothing and report zeros.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferStats {
    /// Host-to-device copies.
    pub uploads: u64,
    /// Bytes copied host-to-device.
    pub upload_bytes: u64,
    /// Device-to-host copies.
    pub readbacks: u64,
    /// Bytes copied device-to-host.
    pub readback_bytes: u64,
}

impl TransferStats {
    /// What happened between `earlier` and `self` (counters only grow).
    pub fn since(&self, earlier: &TransferStats) -> TransferStats {
        TransferStats {
            uploads: self.uploads.saturating_sub(earlier.uploads),
            upload_bytes: self.upload_bytes.saturating_sub(earlier.upload_bytes),
            readbacks: self.readbacks.saturating_sub(earlier.readbacks),
            readback_bytes: self.readback_bytes.saturating_sub(earlier.readback_bytes),
        }
    }
}

/// Bases of an MSM: either borrowed host memory, validated on every call, or resident bases made
/// once by [`Backend::make_resident_g1`] / [`Backend::make_resident_g2`].
#[derive(Debug, Clone, Copy)]
pub enum MsmBases<'a, A> {
    /// Host memory, checked on every call.
    Host(&'a [A]),
    /// Bases validated once and, on a device, kept in device memory.
    Resident(&'a ResidentBases<A>),
}

impl<A> MsmBases<'_, A> {
    /// The host copy of the bases.
    pub fn host(&self) -> &[A] {
        match self {
            MsmBases::Host(b) => b,
            MsmBases::Resident(r) => r.host(),
        }
    }
}

/// Bases kept for reuse across MSMs (a proving key's), made by one backend.
///
/// The host copy is always kept, so that the dispatcher can fall back to the CPU. The device part
/// is private to the backend that made it and is freed when the last clone is dropped.
#[derive(Clone)]
pub struct ResidentBases<A> {
    host: Arc<[A]>,
    owner: String,
    device: Option<Arc<dyn Any + Send + Sync>>,
}

impl<A> fmt::Debug for ResidentBases<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResidentBases")
            .field("len", &self.host.len())
            .field("owner", &self.owner)
            .field("on_device", &self.device.is_some())
            .finish()
    }
}

impl<A> ResidentBases<A> {
    /// Wraps bases that the caller (a backend) has already validated.
    ///
    /// `device` is the backend's own handle to device memory, `None` for host-only backends.
    pub fn new(host: Arc<[A]>, owner: String, device: Option<Arc<dyn Any + Send + Sync>>) -> Self {
        Self {
            host,
            owner,
            device,
        }
    }

    /// The host copy.
    pub fn host(&self) -> &[A] {
        &self.host
    }

    /// The shared host copy.
    pub fn host_arc(&self) -> &Arc<[A]> {
        &self.host
    }

    /// Number of bases.
    pub fn len(&self) -> usize {
        self.host.len()
    }

    /// True if there are none.
    pub fn is_empty(&self) -> bool {
        self.host.is_empty()
    }

    /// Id of the backend that made this handle.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// The device handle, downcast to the backend's own type; an error if another backend made it.
    pub fn device<T: Any + Send + Sync>(&self, backend: &str) -> Result<&T> {
        self.device
            .as_deref()
            .and_then(|d| d.downcast_ref::<T>())
            .filter(|_| self.owner == backend)
            .ok_or_else(|| AccelError::ForeignResidentBases {
                owner: self.owner.clone(),
                backend: backend.to_owned(),
            })
    }
}

/// An accelerator backend: one device and the operations it implements.
///
/// Every method either gives exactly the reference result documented in `docs/accelerator.md`, or
/// an error: [`AccelError::Unsupported`] for an operation the backend lacks, an input error for bad
/// input (the same one the CPU backend gives), a device fault when the device fails. A method never
/// panics on any input.
pub trait Backend: Send + Sync {
    /// What the device is.
    fn info(&self) -> &DeviceInfo;

    /// Whether the backend implements `op`.
    fn supports(&self, op: Op) -> bool;

    /// ZIP-215 verification, one verdict per item.
    fn ed25519_verify(&self, batch: &SigBatch) -> Result<Verdicts>;

    /// RFC 6962 SHA-256 Merkle tree, every level.
    fn merkle_sha256(&self, leaves: MerkleLeaves<'_>) -> Result<MerkleTree<[u8; 32]>>;

    /// circomlib Poseidon (t = 3) Merkle tree over the leaves as given, every level.
    fn merkle_poseidon(&self, leaves: &[Fr]) -> Result<MerkleTree<Fr>>;

    /// `sum_i scalars[i] * bases[i]` in G1.
    fn msm_g1(&self, bases: MsmBases<'_, G1Affine>, scalars: &[Fr]) -> Result<G1Projective>;

    /// `sum_i scalars[i] * bases[i]` in G2.
    fn msm_g2(&self, bases: MsmBases<'_, G2Affine>, scalars: &[Fr]) -> Result<G2Projective>;

    /// In-place NTT of `values` (natural order in and out), over the coset `offset * <w>` if an
    /// offset is given.
    fn ntt(&self, values: &mut [Fr], direction: NttDirection, coset: Option<Fr>) -> Result<()>;

    /// Host-device traffic so far (monotonic counters); zeros for host-only backends. The
    /// dispatcher exports it as `ramjet_accel_upload*` / `ramjet_accel_readback*` metrics.
    fn transfers(&self) -> TransferStats {
        TransferStats::default()
    }

    /// Validates G1 bases once and keeps them (on the device, for device backends).
    fn make_resident_g1(&self, bases: Arc<[G1Affine]>) -> Result<ResidentBases<G1Affine>> {
        crate::validate::g1_on_curve(&bases)?;
        Ok(ResidentBases::new(bases, self.info().id(), None))
    }

    /// Validates G2 bases once and keeps them (on the device, for device backends).
    fn make_resident_g2(&self, bases: Arc<[G2Affine]>) -> Result<ResidentBases<G2Affine>> {
        crate::validate::g2_on_curve(&bases)?;
        Ok(ResidentBases::new(bases, self.info().id(), None))
    }
}

/// The error a backend returns for an operation it does not implement.
pub fn unsupported(backend: &dyn Backend, op: Op) -> AccelError {
    AccelError::Unsupported {
        backend: backend.info().id(),
        op,
    }
}
