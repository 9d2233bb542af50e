//! The dispatcher: one [`Accelerator`] owns the backends and routes every call.
//!
//! Routing: among the CPU and the healthy devices that support the operation, the one with the
//! lowest estimated time for this many items wins ([`CostModel`]); small batches therefore stay on
//! the CPU. Emulated devices (lavapipe, a simulated FPGA) are left out unless the builder allows
//! them or forces one. After each device call, the device's transfer counters
//! ([`crate::TransferStats`]) are added to the upload and read-back metrics. A device fault is answered by redoing the call on the CPU, counting a fallback and
//! marking the device degraded for a back-off that doubles on each consecutive fault (1 s up to
//! 5 min); after the back-off the device is tried again. With an [`AuditPolicy`], one device call
//! in N is recomputed on the CPU and compared; a mismatch degrades the device for the longest
//! back-off and the CPU's result is returned. [`Accelerator::warm_up`] runs each device's first
//! call of an operation before a service starts serving (a wgpu adapter compiles its kernels then),
//! with the same check against the CPU.

mod cost;
mod metrics;
mod warm;

pub use cost::{CalibrationProfile, CostModel, OpCost};
pub use metrics::AccelMetrics;
pub use warm::{WarmUp, WarmUpOutcome};

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ark_bn254::{Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use prometheus::Registry;

use crate::{
    AccelError, Backend, CpuBackend, DeviceInfo, MerkleLeaves, MerkleTree, MsmBases, NttDirection,
    Op, ResidentBases, Result, SigBatch, TransferStats, Verdicts,
};

const FIRST_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// How often device results are checked against the CPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuditPolicy {
    /// No audit.
    #[default]
    Off,
    /// Recompute one device call in `n` on the CPU (`n = 1`: every call).
    OneIn(u64),
}

/// A device and what the dispatcher knows of its health.
struct DeviceSlot {
    backend: Arc<dyn Backend>,
    id: String,
    health: Mutex<Health>,
    /// The backend's transfer counters when the metrics were last brought up to date.
    transfers_seen: Mutex<TransferStats>,
}

impl DeviceSlot {
    fn degraded_at(&self, now: Instant) -> bool {
        let health = self.health.lock().expect("health lock");
        health.degraded_until.is_some_and(|t| t > now)
    }
}

#[derive(Default)]
struct Health {
    degraded_until: Option<Instant>,
    consecutive_faults: u32,
}

/// Builds an [`Accelerator`].
pub struct AcceleratorBuilder {
    cpu: Arc<dyn Backend>,
    devices: Vec<Arc<dyn Backend>>,
    cost: CostModel,
    audit: AuditPolicy,
    registry: Option<Registry>,
    forced: Option<String>,
    allow_emulated: bool,
}

impl AcceleratorBuilder {
    /// Adds a device backend (as found by `ramjet_kernels::detect()` or `ramjet_fpga::detect()`).
    pub fn device(mut self, backend: Arc<dyn Backend>) -> Self {
        self.devices.push(backend);
        self
    }

    /// Adds several device backends.
    pub fn devices(mut self, backends: impl IntoIterator<Item = Arc<dyn Backend>>) -> Self {
        self.devices.extend(backends);
        self
    }

    /// Replaces the CPU backend (tests use this to inject faults into the fallback path).
    pub fn cpu(mut self, cpu: Arc<dyn Backend>) -> Self {
        self.cpu = cpu;
        self
    }

    /// Uses a calibration profile.
    pub fn cost_model(mut self, cost: CostModel) -> Self {
        self.cost = cost;
        self
    }

    /// Audits device results against the CPU.
    pub fn audit(mut self, audit: AuditPolicy) -> Self {
        self.audit = audit;
        self
    }

    /// Registers metrics on `registry` (otherwise on a private one).
    pub fn metrics_registry(mut self, registry: &Registry) -> Self {
        self.registry = Some(registry.clone());
        self
    }

    /// Routes every operation the named backend (`kind:device` id, or just the kind, e.g. `wgpu`)
    /// supports to it, whatever the cost model says. Faults still fall back to the CPU.
    pub fn force(mut self, backend: impl Into<String>) -> Self {
        self.forced = Some(backend.into());
        self
    }

    /// Lets the cost model route to emulated devices (lavapipe, a simulated FPGA). Off by default:
    /// an emulated device runs on the host's own cores, so the cost model never picks it, whatever
    /// a calibration says; [`force`](Self::force) still reaches it.
    pub fn allow_emulated(mut self, allow: bool) -> Self {
        self.allow_emulated = allow;
        self
    }

    /// Builds the dispatcher. Fails if metrics cannot be registered or a forced backend is absent.
    pub fn build(self) -> Result<Accelerator> {
        let registry = self.registry.unwrap_or_default();
        let metrics = AccelMetrics::register(&registry)?;
        let devices: Vec<DeviceSlot> = self
            .devices
            .into_iter()
            .map(|backend| DeviceSlot {
                id: backend.info().id(),
                backend,
                health: Mutex::new(Health::default()),
                transfers_seen: Mutex::new(TransferStats::default()),
            })
            .collect();
        let cpu_id = self.cpu.info().id();
        let forced = match self.forced {
            None => None,
            Some(name) => {
                let matches =
                    |id: &str, info: &DeviceInfo| id == name || info.kind.to_string() == name;
                if matches(&cpu_id, self.cpu.info()) {
                    Some(Route::Cpu)
                } else {
                    let found = devices
                        .iter()
                        .position(|d| matches(&d.id, d.backend.info()));
                    Some(Route::Device(found.ok_or_else(|| AccelError::Device {
                        backend: name.clone(),
                        reason: "forced backend was not found".to_owned(),
                    })?))
                }
            }
        };
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        Ok(Accelerator {
            instance: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            cpu_id,
            cpu: self.cpu,
            devices,
            cost: self.cost,
            audit: self.audit,
            audit_counter: AtomicU64::new(0),
            metrics,
            registry,
            forced,
            allow_emulated: self.allow_emulated,
        })
    }
}

/// Where a call goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Cpu,
    Device(usize),
}

/// The dispatcher. Cheap to share behind an `Arc`; every method takes `&self`.
pub struct Accelerator {
    instance: u64,
    cpu: Arc<dyn Backend>,
    cpu_id: String,
    devices: Vec<DeviceSlot>,
    cost: CostModel,
    audit: AuditPolicy,
    audit_counter: AtomicU64,
    metrics: AccelMetrics,
    registry: Registry,
    forced: Option<Route>,
    allow_emulated: bool,
}

/// Health of one backend as the dispatcher sees it.
#[derive(Debug, Clone)]
pub struct BackendStatus {
    /// The device.
    pub info: DeviceInfo,
    /// Whether the dispatcher is currently avoiding it after a fault.
    pub degraded: bool,
}

impl Accelerator {
    /// A builder with the CPU backend and nothing else.
    pub fn builder() -> AcceleratorBuilder {
        AcceleratorBuilder {
            cpu: CpuBackend::shared(),
            devices: Vec::new(),
            cost: CostModel::defaults(),
            audit: AuditPolicy::Off,
            registry: None,
            forced: None,
            allow_emulated: false,
        }
    }

    /// A CPU-only dispatcher with default settings.
    pub fn cpu_only() -> Self {
        Self::builder()
            .build()
            .expect("a private registry accepts the metrics")
    }

    /// The metrics.
    pub fn metrics(&self) -> &AccelMetrics {
        &self.metrics
    }

    /// The registry the metrics live on.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Every backend, the CPU first, with its health.
    pub fn backends(&self) -> Vec<BackendStatus> {
        let now = Instant::now();
        let mut all = vec![BackendStatus {
            info: self.cpu.info().clone(),
            degraded: false,
        }];
        all.extend(self.devices.iter().map(|d| BackendStatus {
            info: d.backend.info().clone(),
            degraded: d.degraded_at(now),
        }));
        all
    }

    /// The backend id a call of `op` over `items` items would go to now.
    pub fn route_of(&self, op: Op, items: usize) -> String {
        match self.route(op, items) {
            Route::Cpu => self.cpu_id.clone(),
            Route::Device(i) => self.devices[i].id.clone(),
        }
    }

    fn route(&self, op: Op, items: usize) -> Route {
        let now = Instant::now();
        let usable = |d: &DeviceSlot| d.backend.supports(op) && !d.degraded_at(now);
        if let Some(forced) = self.forced {
            return match forced {
                Route::Device(i) if usable(&self.devices[i]) => forced,
                _ => Route::Cpu,
            };
        }
        let mut best = (Route::Cpu, self.cost.seconds(self.cpu.info(), op, items));
        let candidates = self
            .devices
            .iter()
            .enumerate()
            .filter(|(_, d)| usable(d) && (self.allow_emulated || !d.backend.info().emulated));
        for (i, d) in candidates {
            let t = self.cost.seconds(d.backend.info(), op, items);
            if t < best.1 {
                best = (Route::Device(i), t);
            }
        }
        best.0
    }

    /// Runs `call` where the router says, with fallback, audit and metrics.
    fn run<T>(
        &self,
        op: Op,
        items: usize,
        call: impl Fn(&dyn Backend, Route) -> Result<T>,
        same: impl Fn(&T, &T) -> bool,
    ) -> Result<T> {
        let route = self.route(op, items);
        let Route::Device(i) = route else {
            return self.timed(&self.cpu_id, op, items, || call(&*self.cpu, Route::Cpu));
        };
        let slot = &self.devices[i];
        let outcome = self.timed(&slot.id, op, items, || call(&*slot.backend, route));
        self.record_transfers(slot);
        match outcome {
            Ok(result) => {
                slot.health.lock().expect("health lock").consecutive_faults = 0;
                if !self.audit_due() {
                    return Ok(result);
                }
                let labels = [slot.id.as_str(), op.name()];
                self.metrics.audits.with_label_values(&labels).inc();
                let reference =
                    self.timed(&self.cpu_id, op, items, || call(&*self.cpu, Route::Cpu))?;
                if same(&result, &reference) {
                    return Ok(result);
                }
                tracing::error!(backend = %slot.id, %op, "audit: device result differs from the CPU's; device disabled");
                self.metrics
                    .audit_mismatches
                    .with_label_values(&labels)
                    .inc();
                self.metrics.fallbacks.with_label_values(&labels).inc();
                self.degrade(slot, MAX_BACKOFF);
                Ok(reference)
            }
            Err(e) if e.is_device_fault() || matches!(e, AccelError::Unsupported { .. }) => {
                let labels = [slot.id.as_str(), op.name()];
                self.metrics.failures.with_label_values(&labels).inc();
                self.metrics.fallbacks.with_label_values(&labels).inc();
                let backoff = {
                    let mut h = slot.health.lock().expect("health lock");
                    h.consecutive_faults = h.consecutive_faults.saturating_add(1);
                    FIRST_BACKOFF
                        .saturating_mul(1 << (h.consecutive_faults - 1).min(9))
                        .min(MAX_BACKOFF)
                };
                tracing::warn!(backend = %slot.id, %op, error = %e, ?backoff, "device fault; redoing on the CPU");
                self.degrade(slot, backoff);
                self.timed(&self.cpu_id, op, items, || call(&*self.cpu, Route::Cpu))
            }
            Err(e) => Err(e),
        }
    }

    fn timed<T>(&self, id: &str, op: Op, items: usize, f: impl FnOnce() -> Result<T>) -> Result<T> {
        let start = Instant::now();
        let result = f()?;
        self.metrics
            .completed(id, op, items, start.elapsed().as_secs_f64());
        Ok(result)
    }

    fn record_transfers(&self, slot: &DeviceSlot) {
        let mut seen = slot.transfers_seen.lock().expect("transfers lock");
        let now = slot.backend.transfers();
        self.metrics.transferred(&slot.id, &now.since(&seen));
        *seen = now;
    }

    fn audit_due(&self) -> bool {
        match self.audit {
            AuditPolicy::Off => false,
            AuditPolicy::OneIn(n) => self
                .audit_counter
                .fetch_add(1, Ordering::Relaxed)
                .is_multiple_of(n.max(1)),
        }
    }

    fn degrade(&self, slot: &DeviceSlot, backoff: Duration) {
        slot.health.lock().expect("health lock").degraded_until = Some(Instant::now() + backoff);
    }

    /// ZIP-215 verification, one verdict per item.
    pub fn ed25519_verify(&self, batch: &SigBatch) -> Result<Verdicts> {
        self.run(
            Op::Ed25519Verify,
            batch.len(),
            |b, _| b.ed25519_verify(batch),
            |a, b| a == b,
        )
    }

    /// RFC 6962 SHA-256 tree, every level.
    pub fn merkle_sha256(&self, leaves: MerkleLeaves<'_>) -> Result<MerkleTree<[u8; 32]>> {
        self.run(
            Op::MerkleSha256,
            leaves.len(),
            |b, _| b.merkle_sha256(leaves),
            |a, b| a == b,
        )
    }

    /// circomlib Poseidon tree, every level.
    pub fn merkle_poseidon(&self, leaves: &[Fr]) -> Result<MerkleTree<Fr>> {
        self.run(
            Op::MerklePoseidon,
            leaves.len(),
            |b, _| b.merkle_poseidon(leaves),
            |a, b| a == b,
        )
    }

    /// G1 MSM over host bases.
    pub fn msm_g1(&self, bases: &[G1Affine], scalars: &[Fr]) -> Result<G1Projective> {
        self.run(
            Op::MsmG1,
            scalars.len(),
            |b, _| b.msm_g1(MsmBases::Host(bases), scalars),
            |a, b| a == b,
        )
    }

    /// G2 MSM over host bases.
    pub fn msm_g2(&self, bases: &[G2Affine], scalars: &[Fr]) -> Result<G2Projective> {
        self.run(
            Op::MsmG2,
            scalars.len(),
            |b, _| b.msm_g2(MsmBases::Host(bases), scalars),
            |a, b| a == b,
        )
    }

    /// Validates G1 bases once for repeated MSMs; each device gets its copy on first use.
    pub fn resident_g1(&self, bases: impl Into<Arc<[G1Affine]>>) -> Result<SharedBases<G1Affine>> {
        let cpu = self.cpu.make_resident_g1(bases.into())?;
        Ok(SharedBases::new(self.instance, cpu, self.devices.len()))
    }

    /// Validates G2 bases once for repeated MSMs; each device gets its copy on first use.
    pub fn resident_g2(&self, bases: impl Into<Arc<[G2Affine]>>) -> Result<SharedBases<G2Affine>> {
        let cpu = self.cpu.make_resident_g2(bases.into())?;
        Ok(SharedBases::new(self.instance, cpu, self.devices.len()))
    }

    /// G1 MSM over resident bases.
    pub fn msm_g1_resident(
        &self,
        bases: &SharedBases<G1Affine>,
        scalars: &[Fr],
    ) -> Result<G1Projective> {
        self.check_owner(bases)?;
        self.run(
            Op::MsmG1,
            scalars.len(),
            |b, route| {
                let resident =
                    bases.on(route, || b.make_resident_g1(bases.cpu.host_arc().clone()))?;
                b.msm_g1(MsmBases::Resident(&resident), scalars)
            },
            |a, b| a == b,
        )
    }

    /// G2 MSM over resident bases.
    pub fn msm_g2_resident(
        &self,
        bases: &SharedBases<G2Affine>,
        scalars: &[Fr],
    ) -> Result<G2Projective> {
        self.check_owner(bases)?;
        self.run(
            Op::MsmG2,
            scalars.len(),
            |b, route| {
                let resident =
                    bases.on(route, || b.make_resident_g2(bases.cpu.host_arc().clone()))?;
                b.msm_g2(MsmBases::Resident(&resident), scalars)
            },
            |a, b| a == b,
        )
    }

    fn check_owner<A>(&self, bases: &SharedBases<A>) -> Result<()> {
        if bases.instance == self.instance {
            Ok(())
        } else {
            Err(AccelError::ForeignResidentBases {
                owner: format!("accelerator #{}", bases.instance),
                backend: format!("accelerator #{}", self.instance),
            })
        }
    }

    /// In-place NTT, natural order, over a coset if an offset is given.
    pub fn ntt(&self, values: &mut [Fr], direction: NttDirection, coset: Option<Fr>) -> Result<()> {
        if self.route(Op::Ntt, values.len()) == Route::Cpu {
            return self.timed(&self.cpu_id, Op::Ntt, values.len(), || {
                self.cpu.ntt(values, direction, coset)
            });
        }
        // A device that fails half-way may leave `values` changed: keep the input for the
        // fallback and the audit.
        let input = values.to_vec();
        let out = self.run(
            Op::Ntt,
            values.len(),
            |b, _| {
                let mut v = input.clone();
                b.ntt(&mut v, direction, coset).map(|()| v)
            },
            |a, b| a == b,
        )?;
        values.copy_from_slice(&out);
        Ok(())
    }
}

/// MSM bases validated once and kept for repeated MSMs through one [`Accelerator`]: the host copy,
/// and each device's own copy, made the first time that device is routed an MSM over them.
pub struct SharedBases<A> {
    instance: u64,
    cpu: ResidentBases<A>,
    devices: Vec<Mutex<Option<ResidentBases<A>>>>,
}

impl<A> SharedBases<A> {
    fn new(instance: u64, cpu: ResidentBases<A>, devices: usize) -> Self {
        Self {
            instance,
            cpu,
            devices: (0..devices).map(|_| Mutex::new(None)).collect(),
        }
    }

    /// Number of bases.
    pub fn len(&self) -> usize {
        self.cpu.len()
    }

    /// True if there are none.
    pub fn is_empty(&self) -> bool {
        self.cpu.is_empty()
    }

    /// The handle for `route`, made with `make` on first use.
    fn on(
        &self,
        route: Route,
        make: impl FnOnce() -> Result<ResidentBases<A>>,
    ) -> Result<ResidentBases<A>>
    where
        A: Clone,
    {
        match route {
            Route::Cpu => Ok(self.cpu.clone()),
            Route::Device(i) => {
                let mut slot = self.devices[i].lock().expect("resident bases lock");
                if let Some(r) = slot.as_ref() {
                    return Ok(r.clone());
                }
                let made = make()?;
                *slot = Some(made.clone());
                Ok(made)
            }
        }
    }
}
