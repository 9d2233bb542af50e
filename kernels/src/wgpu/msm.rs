//! `msm_g1` on the device: Pippenger's bucket method with signed digits (`wgsl/msm_g1.wgsl`).
//!
//! One MSM is two submissions. First the scalars are recoded into signed c-bit digits and each
//! window's (scalar, bucket) entries are counting-sorted by bucket, on the device; the largest
//! bucket's size comes back (4 bytes). Then one thread per bucket sums its points (so no two
//! threads write one bucket), in as many rounds of `CHUNK` points as the largest bucket needs,
//! and the buckets are reduced by running sums, on the device. The window sums (one projective
//! point per window) come back, and the host combines them with arkworks: c doublings per
//! window.
//!
//! Bases are uploaded on every call, or once for all calls as resident bases
//! ([`make_resident_g1`]): a buffer of their own outside the pool, counted against the memory
//! budget and freed when the last handle is dropped.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use ark_bn254::{Fq, Fr, G1Affine, G1Projective};
use ark_ec::{AdditiveGroup, AffineRepr};
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

const ENTRY_POINTS: [&str; 6] = [
    "recode",
    "scan",
    "scatter",
    "accumulate",
    "reduce_segments",
    "reduce_windows",
];

/// Bytes of one affine base on the device: x then y, eight 32-bit limbs each.
const BASE_BYTES: usize = 64;
/// Bytes of one projective point on the device: X, Y, Z.
const POINT_BYTES: u64 = 96;
/// Signed digits of scalars below r < 2^254 carry into bit 254: the windows cover 255 bits,
/// the top one ending at bit 255 (see `recode` in the WGSL).
const RECODED_BITS: u32 = 255;
/// Window widths the kernels accept (`window_bits` reads at most two limbs: c <= 16).
const MIN_WINDOW: u32 = 4;
/// Windows wider than 12 bits would give the reduction threads more additions than lavapipe
/// lets one invocation loop through (see `CHUNK` in the WGSL).
const MAX_WINDOW: u32 = 12;
/// Fewest buckets one thread of the reduction sums; with at most 32 segments per window, the
/// window threads stay short too.
const SEGMENT_LEN: u32 = 32;
const MAX_SEGMENTS: u32 = 32;
/// Entries one `accumulate` thread adds per dispatch (`CHUNK` in the WGSL).
const CHUNK: u32 = 128;
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
    let (buffer, resident) =
        gpu.resident_storage("msm-resident-bases", &bases_to_device(&bases))?;
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
        let buckets = 1 << (c - 1);
        Self {
            n: n as u32,
            c,
            windows: RECODED_BITS.div_ceil(c),
            buckets,
            segment_len: buckets.min(SEGMENT_LEN.max(buckets / MAX_SEGMENTS)),
        }
    }

    /// Bits of window 0, the narrow one: the others are c bits and the top one ends at bit 255.
    fn first_window(&self) -> u32 {
        RECODED_BITS - (self.windows - 1) * self.c
    }

    fn segments(&self) -> u32 {
        self.buckets / self.segment_len
    }

    /// Where the segment sums and the window sums start in the points buffer.
    fn layout(&self) -> (u32, u32) {
        let segment_base = self.windows * self.buckets;
        // Two points (weighted sum, plain sum) per segment.
        (
            segment_base,
            segment_base + 2 * self.windows * self.segments(),
        )
    }

    /// Word of the counters buffer where `scan` leaves the largest bucket's count.
    fn largest_at(&self) -> u64 {
        3 * 4 * u64::from(self.windows) * u64::from(self.buckets)
    }

    fn entries_bytes(&self) -> u64 {
        2 * 4 * u64::from(self.windows) * u64::from(self.n)
    }

    fn counters_bytes(&self) -> u64 {
        self.largest_at() + 4
    }

    fn points_bytes(&self) -> u64 {
        u64::from(self.layout().1 + self.windows) * POINT_BYTES
    }

    /// The parameters of `accumulate`'s round `round` (and of every other kernel: round 0).
    fn params(&self, round: u32) -> [u32; 8] {
        let (segment_base, window_base) = self.layout();
        [
            self.n,
            self.c,
            self.windows,
            self.buckets,
            self.segment_len,
            round,
            segment_base,
            window_base,
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
    let entries = gpu.buffer(
        &mut call.state,
        Slot::MsmEntries,
        plan.entries_bytes(),
        storage,
    )?;
    let counters = gpu.buffer(
        &mut call.state,
        Slot::MsmCounters,
        plan.counters_bytes(),
        storage | wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::COPY_SRC,
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
    let scalar_buffer = gpu.storage_with(
        &mut call.state,
        Slot::MsmScalars,
        &field::to_device(scalars),
    )?;
    let buffers = [&base_buffer, &scalar_buffer, &entries, &counters, &points];

    // Recode, count, sort by bucket; read back the largest bucket's count.
    let (params, stride) = gpu.params_buffer(&mut call.state, &[plan.params(0)])?;
    let bind_group = gpu::bind_group(&gpu.device, &kernel, &buffers, &params);
    let largest = call.run_step(&counters, plan.largest_at(), 4, |encoder| {
        encoder.clear_buffer(&counters, 0, None);
        let mut pass = encoder.begin_compute_pass(&Default::default());
        for (entry, threads) in [
            ("recode", plan.n),
            ("scan", plan.windows),
            ("scatter", threads as u32),
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
    let largest = u32::from_le_bytes(
        largest[..4]
            .try_into()
            .map_err(|_| gpu.device_error("short read-back"))?,
    );
    if largest as usize > n {
        return Err(gpu.device_error(format!("MSM kernel counted a bucket of {largest}")));
    }

    // Sum the buckets, CHUNK entries per thread and round; reduce them; read back the windows.
    let rounds = largest.div_ceil(CHUNK).max(1);
    let params: Vec<[u32; 8]> = (0..rounds).map(|r| plan.params(r)).collect();
    let (params, stride) = gpu.params_buffer(&mut call.state, &params)?;
    let bind_group = gpu::bind_group(&gpu.device, &kernel, &buffers, &params);
    let windows_at = u64::from(plan.layout().1) * POINT_BYTES;
    let windows_bytes = u64::from(plan.windows) * POINT_BYTES;
    let out = call.run(&points, windows_at, windows_bytes, |encoder| {
        let mut pass = encoder.begin_compute_pass(&Default::default());
        let mut run = |entry: &str, round: u32, threads: u32| {
            let pipeline = kernel.pipeline(entry);
            let index = round as usize;
            gpu::dispatch(&mut pass, pipeline, &bind_group, stride, index, threads);
        };
        for round in 0..rounds {
            run("accumulate", round, plan.windows * plan.buckets);
        }
        run("reduce_segments", 0, plan.windows * plan.segments());
        run("reduce_windows", 0, plan.windows);
    })?;
    // sum_w 2^(offset of w) W_w by Horner from the top window down: window w sits width(w)
    // bits below window w + 1 (window 0 is the narrow one).
    let mut sum = G1Projective::zero();
    for (w, window) in out.chunks_exact(POINT_BYTES as usize).enumerate().rev() {
        let width = if w == 0 { plan.first_window() } else { plan.c };
        for _ in 0..width {
            sum.double_in_place();
        }
        sum += to_point(gpu, window)?;
    }
    Ok(sum)
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
    let coordinates: Vec<Fq> =
        field::from_device(bytes).ok_or_else(|| bad("an unreduced value"))?;
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
            assert!((1..=plan.c).contains(&plan.first_window()), "{plan:?}");
            assert_eq!(plan.buckets % plan.segment_len, 0, "{plan:?}");
            assert!(plan.segments() <= MAX_SEGMENTS, "{plan:?}");
            assert!(plan.segment_len <= 64, "{plan:?}");
        }
        assert_eq!(Plan::new(1).c, MIN_WINDOW);
        assert_eq!(Plan::new(8193).c, 11);
        assert_eq!(Plan::new(1 << 30).c, MAX_WINDOW);
        assert_eq!(Plan::new(1 << 18).segments(), MAX_SEGMENTS);
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
