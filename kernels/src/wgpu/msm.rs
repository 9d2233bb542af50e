//! `msm_g1` on the device: Pippenger's bucket method with signed digits (`wgsl/msm_g1.wgsl`).
//!
//! One MSM is one submission: the scalars are recoded into signed c-bit digits on the device,
//! each window's (scalar, bucket) entries are counting-sorted by bucket on the device, one thread
//! per bucket sums its points (so no two threads write one bucket), the buckets are reduced by
//! running sums and the windows combined by doublings, all on the device; only the projective
//! result (96 bytes) comes back, and the host turns it into an arkworks point with one inversion.
//!
//! Bases are uploaded on every call, or once for all calls as resident bases
//! ([`make_resident_g1`]): a buffer of their own outside the pool, counted against the memory
//! budget and freed when the last handle is dropped.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use ark_bn254::{Fq, Fr, G1Affine, G1Projective};
use ark_ec::AffineRepr;
use ark_ff::{Field, Zero};
use ramjet_accel::{MsmBases, ResidentBases, Result, validate};

use super::field;
use super::gpu::{self, Binding, Gpu};
use super::pool::Slot;

const SOURCE: &str = concat!(
    include_str!("../../wgsl/limbs.wgsl"),
    include_str!("../../wgsl/fr.wgsl"),
    include_str!("../../wgsl/fq.wgsl"),
    include_str!("../../wgsl/msm_g1.wgsl")
);

const ENTRY_POINTS: [&str; 7] = [
    "recode",
    "scan",
    "scatter",
    "accumulate",
    "reduce_segments",
    "reduce_windows",
    "combine",
];

/// Bytes of one affine base on the device: x then y, eight 32-bit limbs each.
const BASE_BYTES: usize = 64;
/// Bytes of one projective point on the device: X, Y, Z.
const POINT_BYTES: u64 = 96;
/// Signed digits of scalars below r < 2^254 carry into bit 254: the windows cover 255 bits.
const RECODED_BITS: u32 = 255;
/// Window widths the kernels accept (`window_bits` reads at most two limbs: c <= 16).
const MIN_WINDOW: u32 = 4;
const MAX_WINDOW: u32 = 15;
/// Buckets one thread of the reduction sums.
const SEGMENT_LEN: u32 = 32;
/// Sorted entries keep a scalar's index in 31 bits (the top bit is the sign).
const MAX_POINTS: usize = 1 << 31;

/// Resident bases on one device: the buffer, and the pool's count of resident bytes, from which
/// the buffer's size is taken back when it is freed.
pub(super) struct DeviceBases {
    buffer: wgpu::Buffer,
    /// The [`Gpu::serial`] of the device holding the buffer.
    serial: u64,
    resident: Arc<AtomicU64>,
}

impl Drop for DeviceBases {
    fn drop(&mut self) {
        self.resident
            .fetch_sub(self.buffer.size(), Ordering::Relaxed);
        self.buffer.destroy();
    }
}

/// Validates `bases` and uploads them once, for every later [`msm_g1`] on them.
pub(super) fn make_resident_g1(
    gpu: &Gpu,
    owner: String,
    bases: Arc<[G1Affine]>,
) -> Result<ResidentBases<G1Affine>> {
    validate::g1_on_curve(&bases)?;
    if bases.is_empty() {
        return Ok(ResidentBases::new(bases, owner, None));
    }
    if bases.len() > MAX_POINTS {
        return Err(gpu.out_of_memory((bases.len() * BASE_BYTES) as u64));
    }
    let (buffer, resident) = gpu.resident_storage("msm-resident-bases", &bases_to_device(&bases))?;
    let device = DeviceBases {
        buffer,
        serial: gpu.serial,
        resident,
    };
    Ok(ResidentBases::new(bases, owner, Some(Arc::new(device))))
}

/// The sizes of one MSM on the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Plan {
    n: u32,
    /// Window width in bits.
    c: u32,
    windows: u32,
    /// Buckets per window: 2^(c-1), for digits of magnitude 1..=2^(c-1).
    buckets: u32,
    segment_len: u32,
}

impl Plan {
    /// The plan for `n >= 1` points. A window of c bits costs one pass over the points and 2^c
    /// bucket additions; c about log2(n) - 2 keeps the bucket work below the point work while
    /// giving the device many buckets (threads) to sum in parallel.
    fn new(n: usize) -> Self {
        let c = n.ilog2().saturating_sub(2).clamp(MIN_WINDOW, MAX_WINDOW);
        let c = std::env::var("ZZ_C").ok().and_then(|v| v.parse().ok()).unwrap_or(c);
        let buckets = 1 << (c - 1);
        Self {
            n: n as u32,
            c,
            windows: RECODED_BITS.div_ceil(c),
            buckets,
            segment_len: buckets.min(SEGMENT_LEN),
        }
    }

    fn segments(&self) -> u32 {
        self.buckets / self.segment_len
    }

    /// Where the segment sums, the window sums and the result start in the points buffer.
    fn layout(&self) -> (u32, u32, u32) {
        let segment_base = self.windows * self.buckets;
        // Two points (weighted sum, plain sum) per segment.
        let window_base = segment_base + 2 * self.windows * self.segments();
        (segment_base, window_base, window_base + self.windows)
    }

    fn entries_bytes(&self) -> u64 {
        2 * 4 * u64::from(self.windows) * u64::from(self.n)
    }

    fn counters_bytes(&self) -> u64 {
        3 * 4 * u64::from(self.windows) * u64::from(self.buckets)
    }

    fn points_bytes(&self) -> u64 {
        (u64::from(self.layout().2) + 1) * POINT_BYTES
    }

    fn params(&self) -> [u32; 8] {
        let (segment_base, window_base, result_base) = self.layout();
        [
            self.n,
            self.c,
            self.windows,
            self.buckets,
            self.segment_len,
            segment_base,
            window_base,
            result_base,
        ]
    }
}

/// `sum_i scalars[i] * bases[i]`, computed on the device.
pub(super) fn msm_g1(
    gpu: &Gpu,
    bases: MsmBases<'_, G1Affine>,
    scalars: &[Fr],
) -> Result<G1Projective> {
    validate::msm_input(
        "msm_g1 scalars vs bases",
        &bases,
        scalars,
        validate::g1_on_curve,
    )?;
    let n = scalars.len();
    if n == 0 {
        return Ok(G1Projective::zero());
    }
    let plan = Plan::new(n);
    let threads = u64::from(plan.windows) * n as u64;
    if n > MAX_POINTS || threads > u64::from(u32::MAX) {
        return Err(gpu.out_of_memory(plan.entries_bytes()));
    }
    // Resident bases made on this very device are used as they are; others are uploaded.
    let resident = match bases {
        MsmBases::Resident(r) => r
            .device::<DeviceBases>(&gpu.id)
            .ok()
            .filter(|d| d.serial == gpu.serial),
        MsmBases::Host(_) => None,
    };

    let mut call = gpu.begin()?;
    let kernel = gpu.kernel(
        &mut call.state,
        "msm_g1",
        SOURCE,
        &[
            Binding::StorageRead,
            Binding::StorageRead,
            Binding::StorageRw,
            Binding::StorageRw,
            Binding::StorageRw,
            Binding::Params,
        ],
        &ENTRY_POINTS,
    )?;
    let storage = wgpu::BufferUsages::STORAGE;
    let entries = gpu.buffer(&mut call.state, Slot::MsmEntries, plan.entries_bytes(), storage)?;
    let counters = gpu.buffer(
        &mut call.state,
        Slot::MsmCounters,
        plan.counters_bytes(),
        storage | wgpu::BufferUsages::COPY_DST,
    )?;
    let points = gpu.buffer(
        &mut call.state,
        Slot::MsmPoints,
        plan.points_bytes(),
        storage | wgpu::BufferUsages::COPY_SRC,
    )?;
    let base_buffer = match resident {
        Some(d) => d.buffer.clone(),
        None => gpu.storage_with(
            &mut call.state,
            Slot::MsmBases,
            &bases_to_device(bases.host()),
        )?,
    };
    let scalar_buffer =
        gpu.storage_with(&mut call.state, Slot::MsmScalars, &field::to_device(scalars))?;
    let (params, stride) = gpu.params_buffer(&mut call.state, &[plan.params()])?;
    let bind_group = gpu::bind_group(
        &gpu.device,
        &kernel,
        &[&base_buffer, &scalar_buffer, &entries, &counters, &points],
        &params,
    );
    let counts_bytes = plan.counters_bytes() / 3;
    let result_at = u64::from(plan.layout().2) * POINT_BYTES;
    let dump = std::env::var("ZZ_DUMP").is_ok();
    let (read_at, read_bytes) = if dump { (0, plan.points_bytes()) } else { (result_at, POINT_BYTES) };
    let out = call.run(&points, read_at, read_bytes, |encoder| {
        encoder.clear_buffer(&counters, 0, Some(counts_bytes));
        let mut pass = encoder.begin_compute_pass(&Default::default());
        let window_buckets = plan.windows * plan.buckets;
        for (entry, threads) in [
            ("recode", plan.n),
            ("scan", plan.windows),
            ("scatter", threads as u32),
            ("accumulate", window_buckets),
            ("reduce_segments", plan.windows * plan.segments()),
            ("reduce_windows", plan.windows),
            ("combine", 1),
        ] {
            gpu::dispatch(
                &mut pass,
                kernel.pipeline(entry),
                &bind_group,
                stride,
                0,
                threads,
            );
        }
    })?;
    if dump {
        let (sb, wb, rb) = plan.layout();
        let mut bad = Vec::new();
        for (i, chunk) in out.chunks_exact(96).enumerate() {
            let c: Option<Vec<Fq>> = field::from_device(chunk);
            let ok = c.is_some_and(|c| c[1] * c[1] * c[2] == c[0] * c[0] * c[0] + Fq::from(3u64) * c[2] * c[2] * c[2] && !(c[2].is_zero() && c[1].is_zero()));
            if !ok { bad.push(i); }
        }
        eprintln!("plan {plan:?} layout {sb} {wb} {rb}: bad {} first {:?}", bad.len(), &bad[..bad.len().min(20)]);
        return to_point(gpu, &out[result_at as usize..result_at as usize + 96]);
    }
    to_point(gpu, &out)
}

/// The device bytes of affine bases: x and y in Montgomery form; (0, 0), not on the curve, for
/// the point at infinity.
fn bases_to_device(bases: &[G1Affine]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bases.len() * BASE_BYTES);
    for p in bases {
        if p.is_zero() {
            out.extend_from_slice(&[0; BASE_BYTES]);
        } else {
            out.extend_from_slice(&field::to_device(&[p.x, p.y]));
        }
    }
    out
}

/// The arkworks point of the kernel's homogeneous projective result (X : Y : Z), checked to be
/// on the curve.
fn to_point(gpu: &Gpu, bytes: &[u8]) -> Result<G1Projective> {
    let bad = |what: &str| gpu.device_error(format!("MSM kernel returned {what}"));
    let coordinates: Vec<Fq> = field::from_device(bytes).ok_or_else(|| bad("an unreduced value"))?;
    let [x, y, z] = coordinates[..] else {
        return Err(bad("a short point"));
    };
    let Some(z_inv) = z.inverse() else {
        // Z = 0 on the curve forces X = 0: the point at infinity (0 : Y : 0), Y != 0.
        return if x.is_zero() && !y.is_zero() {
            Ok(G1Projective::zero())
        } else {
            Err(bad("an invalid point at infinity"))
        };
    };
    let affine = G1Affine::new_unchecked(x * z_inv, y * z_inv);
    if !affine.is_on_curve() {
        return Err(bad("a point off the curve"));
    }
    Ok(affine.into_group())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_cover_the_recoded_scalars_and_buckets_split_into_segments() {
        for n in [1, 2, 3, 100, 1000, 8193, 1 << 20, 1 << 30] {
            let plan = Plan::new(n);
            assert!((MIN_WINDOW..=MAX_WINDOW).contains(&plan.c), "{plan:?}");
            assert!(plan.windows * plan.c >= RECODED_BITS, "{plan:?}");
            assert!((plan.windows - 1) * plan.c < RECODED_BITS, "{plan:?}");
            assert_eq!(plan.buckets % plan.segment_len, 0, "{plan:?}");
        }
        assert_eq!(Plan::new(1).c, MIN_WINDOW);
        assert_eq!(Plan::new(8193).c, 11);
        assert_eq!(Plan::new(1 << 30).c, MAX_WINDOW);
    }

    #[test]
    fn bases_go_up_as_montgomery_coordinates_and_infinity_as_zeros() {
        let g = G1Affine::generator();
        let bytes = bases_to_device(&[g, G1Affine::zero()]);
        assert_eq!(bytes.len(), 2 * BASE_BYTES);
        assert_eq!(&bytes[..BASE_BYTES], &field::to_device(&[g.x, g.y])[..]);
        assert!(bytes[BASE_BYTES..].iter().all(|&b| b == 0));
    }
}
