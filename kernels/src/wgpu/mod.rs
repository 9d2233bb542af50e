//! The wgpu backend: WGSL compute shaders on any Vulkan, Metal or DX12 adapter, and on Mesa's
//! lavapipe (Vulkan on the CPU) where there is no GPU.
//!
//! [`probe`] opens one [`WgpuBackend`] per usable adapter. Each implements `ed25519_verify`,
//! `merkle_sha256`, `merkle_poseidon`, `msm_g1` (with resident bases) and `ntt`; `msm_g2` returns
//! [`ramjet_accel::AccelError::Unsupported`], so the dispatcher keeps it on the CPU. A CPU-type adapter (lavapipe, SwiftShader) is marked
//! `emulated` in its [`DeviceInfo`]: the cost model and the benchmarks never take it for a GPU.

mod ed25519;
mod field;
mod gpu;
mod merkle;
mod msm;
mod ntt;
mod pool;

use std::sync::Arc;

use ark_bn254::{Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ramjet_accel::{
    Backend, BackendKind, DeviceInfo, MerkleLeaves, MerkleTree, MsmBases, NttDirection, Op,
    ResidentBases, Result, SigBatch, TransferStats, Verdicts, unsupported,
};

use gpu::Gpu;

/// How to look for adapters.
#[derive(Debug, Clone)]
pub struct WgpuOptions {
    /// Graphics APIs to search. Default: Vulkan, Metal and DX12, or what the `WGPU_BACKEND`
    /// environment variable names (e.g. `vulkan`).
    pub backends: wgpu::Backends,
    /// Open CPU-emulated adapters (lavapipe) too. Default: true, so machines without a GPU still
    /// run the kernels; they are marked `emulated`.
    pub include_emulated: bool,
    /// Most bytes of device memory each backend may hold in buffers; a call needing more
    /// returns [`ramjet_accel::AccelError::DeviceOutOfMemory`] (and the dispatcher redoes it on the CPU).
    /// Default: no budget beyond the device's own limits.
    pub memory_budget: Option<u64>,
}

impl Default for WgpuOptions {
    fn default() -> Self {
        Self {
            backends: wgpu::Backends::from_env().unwrap_or(wgpu::Backends::PRIMARY),
            include_emulated: true,
            memory_budget: None,
        }
    }
}

/// What [`probe`] found: the backends it opened, and why it found no others.
#[derive(Default)]
pub struct Probe {
    /// One backend per usable adapter.
    pub backends: Vec<Arc<WgpuBackend>>,
    /// Adapters that were skipped, or why there were none, in words.
    pub notes: Vec<String>,
}

/// Opens one backend per usable adapter.
pub fn probe(options: &WgpuOptions) -> Probe {
    let mut descriptor = wgpu::InstanceDescriptor::new_without_display_handle();
    descriptor.backends = options.backends;
    let instance = wgpu::Instance::new(descriptor);
    let adapters = pollster::block_on(instance.enumerate_adapters(options.backends));
    let mut probe = Probe::default();
    if adapters.is_empty() {
        probe.notes.push(format!(
            "no wgpu adapter found for {} (no GPU driver, and no lavapipe: on Debian, \
             `apt-get install mesa-vulkan-drivers` provides it)",
            api_names(options.backends)
        ));
    }
    let mut seen: Vec<String> = Vec::new();
    for adapter in adapters {
        let info = adapter.get_info();
        let emulated = info.device_type == wgpu::DeviceType::Cpu;
        let what = format!("{} ({:?}, {})", info.name, info.backend, info.driver);
        if emulated && !options.include_emulated {
            probe
                .notes
                .push(format!("{what}: CPU-emulated, not requested"));
            continue;
        }
        let downlevel = adapter.get_downlevel_capabilities();
        if !downlevel
            .flags
            .contains(wgpu::DownlevelFlags::COMPUTE_SHADERS)
        {
            probe.notes.push(format!("{what}: no compute shaders"));
            continue;
        }
        let request = wgpu::DeviceDescriptor {
            label: Some("ramjet"),
            required_limits: adapter.limits(),
            ..Default::default()
        };
        let (device, queue) = match pollster::block_on(adapter.request_device(&request)) {
            Ok(pair) => pair,
            Err(e) => {
                probe
                    .notes
                    .push(format!("{what}: cannot open a device: {e}"));
                continue;
            }
        };
        // Two adapters of one model get distinct ids.
        let twins = seen.iter().filter(|n| **n == info.name).count();
        seen.push(info.name.clone());
        let name = if twins == 0 {
            info.name.clone()
        } else {
            format!("{} #{}", info.name, twins + 1)
        };
        let backend = WgpuBackend::new(name, &info, device, queue, options.memory_budget);
        tracing::info!(backend = %backend.info.id(), emulated, "wgpu adapter opened");
        probe.backends.push(Arc::new(backend));
    }
    probe
}

/// The native graphics APIs in `backends`, in words.
fn api_names(backends: wgpu::Backends) -> String {
    let names: Vec<&str> = [
        (wgpu::Backends::VULKAN, "Vulkan"),
        (wgpu::Backends::METAL, "Metal"),
        (wgpu::Backends::DX12, "DX12"),
        (wgpu::Backends::GL, "OpenGL"),
    ]
    .into_iter()
    .filter(|(api, _)| backends.contains(*api))
    .map(|(_, name)| name)
    .collect();
    if names.is_empty() {
        "no native graphics API".to_owned()
    } else {
        names.join(", ")
    }
}

/// One wgpu adapter as a ramjet backend.
pub struct WgpuBackend {
    info: DeviceInfo,
    adapter: wgpu::AdapterInfo,
    gpu: Gpu,
}

impl WgpuBackend {
    fn new(
        name: String,
        adapter: &wgpu::AdapterInfo,
        device: wgpu::Device,
        queue: wgpu::Queue,
        memory_budget: Option<u64>,
    ) -> Self {
        let emulated = adapter.device_type == wgpu::DeviceType::Cpu;
        let limits = device.limits();
        let mut features = vec![
            format!("{:?}", adapter.backend).to_lowercase(),
            format!("type={:?}", adapter.device_type).to_lowercase(),
        ];
        if !adapter.driver.is_empty() {
            features.push(format!("driver={}", adapter.driver));
        }
        if !adapter.driver_info.is_empty() {
            features.push(format!("driver_info={}", adapter.driver_info));
        }
        features.push(format!(
            "max_buffer={}MiB",
            limits
                .max_storage_buffer_binding_size
                .min(limits.max_buffer_size)
                >> 20
        ));
        let info = DeviceInfo {
            kind: BackendKind::Wgpu,
            device: name,
            // wgpu does not report device memory.
            memory_bytes: None,
            // Nor compute units; an emulated adapter runs on the host's threads.
            compute_units: if emulated {
                std::thread::available_parallelism().map_or(1, |n| n.get() as u32)
            } else {
                0
            },
            emulated,
            features,
        };
        let gpu = Gpu::new(info.id(), device, queue, memory_budget);
        Self {
            info,
            adapter: adapter.clone(),
            gpu,
        }
    }

    /// What wgpu says about the adapter.
    pub fn adapter_info(&self) -> &wgpu::AdapterInfo {
        &self.adapter
    }

    /// Bytes of device memory held in this backend's buffers, kept from call to call.
    pub fn memory_held(&self) -> u64 {
        self.gpu.memory_held()
    }

    /// Destroys the device as a driver reset or an unplugged card would: every later call returns
    /// [`ramjet_accel::AccelError::DeviceLost`]. For fault drills and tests of the fallback path.
    pub fn simulate_device_loss(&self) {
        self.gpu.destroy();
    }
}

impl Backend for WgpuBackend {
    fn info(&self) -> &DeviceInfo {
        &self.info
    }

    fn supports(&self, op: Op) -> bool {
        matches!(
            op,
            Op::Ed25519Verify | Op::MerkleSha256 | Op::MerklePoseidon | Op::MsmG1 | Op::Ntt
        )
    }

    fn ed25519_verify(&self, batch: &SigBatch) -> Result<Verdicts> {
        ed25519::verify(&self.gpu, batch)
    }

    fn merkle_sha256(&self, leaves: MerkleLeaves<'_>) -> Result<MerkleTree<[u8; 32]>> {
        merkle::sha256(&self.gpu, leaves)
    }

    fn merkle_poseidon(&self, leaves: &[Fr]) -> Result<MerkleTree<Fr>> {
        merkle::poseidon(&self.gpu, leaves)
    }

    fn msm_g1(&self, bases: MsmBases<'_, G1Affine>, scalars: &[Fr]) -> Result<G1Projective> {
        msm::msm_g1(&self.gpu, bases, scalars)
    }

    fn msm_g2(&self, _bases: MsmBases<'_, G2Affine>, _scalars: &[Fr]) -> Result<G2Projective> {
        Err(unsupported(self, Op::MsmG2))
    }

    fn ntt(&self, values: &mut [Fr], direction: NttDirection, coset: Option<Fr>) -> Result<()> {
        ntt::ntt(&self.gpu, values, direction, coset)
    }

    fn transfers(&self) -> TransferStats {
        self.gpu.transfers()
    }

    fn make_resident_g1(&self, bases: Arc<[G1Affine]>) -> Result<ResidentBases<G1Affine>> {
        msm::make_resident_g1(&self.gpu, self.info.id(), bases)
    }
}

impl std::fmt::Debug for WgpuBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WgpuBackend")
            .field("info", &self.info)
            .finish()
    }
}
