//! The NTT on the device: radix-2, in place, natural order in and out (`wgsl/ntt.wgsl`).
//!
//! One submission per transform: an optional scaling by the coset powers, the bit-reversal
//! permutation, log2(n) butterfly stages, and for the inverse a scaling by 1/n (and the inverse
//! coset powers). Twiddles are the powers of one root of unity of the largest size seen so far,
//! kept on the device; smaller transforms step through them.

use ark_bn254::Fr;
use ark_ff::{FftField, Field, One};
use ramjet_accel::{NttDirection, Result, validate};

use super::field::{self, FR_BYTES};
use super::gpu::{self, Binding, Gpu, State};
use super::pool::Slot;

const SOURCE: &str = concat!(
    include_str!("../../wgsl/limbs.wgsl"),
    include_str!("../../wgsl/fr.wgsl"),
    include_str!("../../wgsl/ntt.wgsl")
);

/// Digits of 8 bits in an element index, each with a table of 256 powers (`ntt.wgsl`'s `scale`).
const POWER_TABLES: usize = 4;

pub(super) fn ntt(
    gpu: &Gpu,
    values: &mut [Fr],
    direction: NttDirection,
    coset: Option<Fr>,
) -> Result<()> {
    validate::ntt_input(values.len(), coset)?;
    let n = values.len();
    if n == 1 {
        // Every size-1 transform, coset or not, is the identity.
        return Ok(());
    }
    let log = n.trailing_zeros();
    let bytes = (n * FR_BYTES) as u64;
    let mut call = gpu.begin()?;
    let kernel = gpu.kernel(
        &mut call.state,
        "ntt",
        SOURCE,
        &[
            Binding::StorageRw,
            Binding::StorageRead,
            Binding::StorageRead,
            Binding::Params,
        ],
        &["bit_reverse", "butterfly", "scale"],
    )?;
    let table_log = twiddles(gpu, &mut call.state, log)?;
    let twiddle_slot = match direction {
        NttDirection::Forward => Slot::TwiddlesForward,
        NttDirection::Inverse => Slot::TwiddlesInverse,
    };
    let twiddles = gpu.buffer(
        &mut call.state,
        twiddle_slot,
        twiddle_bytes(table_log),
        wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
    )?;

    // The scaling step: before the transform for a forward coset NTT (by g^i), after it for an
    // inverse one (by 1/n, and g^-i on a coset).
    let scale = match (direction, coset) {
        (NttDirection::Forward, None) => None,
        (NttDirection::Forward, Some(g)) => Some(scale_table(Fr::one(), Some(g))),
        (NttDirection::Inverse, g) => {
            let n_inv = Fr::from(n as u64).inverse().expect("n is not zero in Fr");
            let g_inv = g.map(|g| g.inverse().expect("offset checked non-zero"));
            Some(scale_table(n_inv, g_inv))
        }
    };
    let scale_buffer = match &scale {
        Some((table, _)) => {
            gpu.storage_with(&mut call.state, Slot::Scale, &field::to_device(table))?
        }
        // Never read: the factor-only layout is bound for completeness.
        None => twiddles.clone(),
    };
    let use_powers = scale.as_ref().is_some_and(|(_, powers)| *powers);
    let values_buffer = gpu.buffer(
        &mut call.state,
        Slot::Values,
        bytes,
        wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST,
    )?;
    gpu.upload(&values_buffer, &field::to_device(values));

    let n32 = n as u32;
    let scale_params = [n32, log, 0, 0, u32::from(use_powers), 0, 0, 0];
    let mut params = vec![scale_params, [n32, log, 0, 0, 0, 0, 0, 0]];
    params.extend((0..log).map(|s| {
        let half = 1u32 << s;
        [n32, log, half, 1u32 << (table_log - s - 1), 0, 0, 0, 0]
    }));
    let (params_buffer, stride) = gpu.params_buffer(&mut call.state, &params)?;
    let bind_group = gpu::bind_group(
        &gpu.device,
        &kernel,
        &[&values_buffer, &twiddles, &scale_buffer],
        &params_buffer,
    );
    let out = call.run(&values_buffer, 0, bytes, |encoder| {
        let mut pass = encoder.begin_compute_pass(&Default::default());
        let scale_pipeline = kernel.pipeline("scale");
        if scale.is_some() && direction == NttDirection::Forward {
            gpu::dispatch(&mut pass, scale_pipeline, &bind_group, stride, 0, n32);
        }
        let reverse = kernel.pipeline("bit_reverse");
        gpu::dispatch(&mut pass, reverse, &bind_group, stride, 1, n32);
        let butterfly = kernel.pipeline("butterfly");
        for s in 0..log as usize {
            gpu::dispatch(&mut pass, butterfly, &bind_group, stride, 2 + s, n32 / 2);
        }
        if scale.is_some() && direction == NttDirection::Inverse {
            gpu::dispatch(&mut pass, scale_pipeline, &bind_group, stride, 0, n32);
        }
    })?;
    let result = field::from_device(&out)
        .ok_or_else(|| gpu.device_error("NTT kernel returned an unreduced element"))?;
    values.copy_from_slice(&result);
    Ok(())
}

fn twiddle_bytes(table_log: u32) -> u64 {
    ((1u64 << (table_log - 1)) * FR_BYTES as u64).max(FR_BYTES as u64)
}

/// Makes sure the twiddle buffers hold the powers of a root of unity of order at least 2^log;
/// returns the log2 of the order they hold.
fn twiddles(gpu: &Gpu, state: &mut State, log: u32) -> Result<u32> {
    if let Some(held) = state.twiddles_log
        && held >= log
    {
        return Ok(held);
    }
    state.twiddles_log = None;
    let root = Fr::get_root_of_unity(1u64 << log).expect("size checked against the two-adicity");
    let half = 1usize << (log - 1);
    for (slot, w) in [
        (Slot::TwiddlesForward, root),
        (
            Slot::TwiddlesInverse,
            root.inverse().expect("a root of unity"),
        ),
    ] {
        let powers: Vec<Fr> = std::iter::successors(Some(Fr::one()), |p| Some(*p * w))
            .take(half)
            .collect();
        let buffer = gpu.buffer(
            state,
            slot,
            twiddle_bytes(log),
            wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
        )?;
        gpu.upload(&buffer, &field::to_device(&powers));
    }
    state.twiddles_log = Some(log);
    Ok(log)
}

/// The `scale` kernel's table: the factor, then (for a coset) g^(d * 256^k) for each 8-bit digit
/// d of the index and k < 4. Returns the table and whether it holds powers.
fn scale_table(factor: Fr, g: Option<Fr>) -> (Vec<Fr>, bool) {
    let mut table = vec![factor];
    let Some(g) = g else {
        return (table, false);
    };
    let mut base = g;
    for _ in 0..POWER_TABLES {
        table.extend(std::iter::successors(Some(Fr::one()), |p| Some(*p * base)).take(256));
        base = base.pow([256u64]);
    }
    (table, true)
}
