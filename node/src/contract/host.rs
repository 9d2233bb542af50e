//! The host API: the only functions a contract can import, all from module `"ramjet"`.
//!
//! | function | signature | meaning |
//! |---|---|---|
//! | `input_index` | `() -> i32` | index of the input being validated in the spending transaction |
//! | `tx_len` | `() -> i32` | length of the spending transaction's canonical encoding |
//! | `tx_read` | `(ptr: i32, offset: i32, len: i32) -> i32` | copies encoding bytes `offset..` (at most `len`) to `ptr`; returns the count |
//! | `signing_hash` | `(out_ptr: i32)` | writes the transaction's 32-byte signing hash at `out_ptr` |
//! | `spent_amount` | `() -> i64` | amount of the output being spent (a `u64`, as its bits) |
//! | `spent_data_len` | `() -> i32` | length of the spent output's data, 0 if it has none |
//! | `spent_data_read` | `(ptr: i32, len: i32) -> i32` | copies at most `len` bytes of it to `ptr`; returns the count |
//! | `output_count` | `() -> i32` | number of outputs of the spending transaction |
//! | `output_amount` | `(index: i32) -> i64` | amount of output `index` (bits of a `u64`) |
//! | `output_data_len` | `(index: i32) -> i32` | length of output `index`'s data, 0 if none |
//! | `output_data_read` | `(index: i32, ptr: i32, len: i32) -> i32` | copies at most `len` bytes of it to `ptr`; returns the count |
//! | `sha256` | `(ptr: i32, len: i32, out_ptr: i32)` | writes SHA-256 of guest bytes `ptr..ptr+len` at `out_ptr` |
//!
//! Pointers, offsets, lengths and indexes are unsigned 32-bit values carried in `i32`s. Every
//! guest range is bounds-checked: a range outside linear memory, an `offset` past the end of the
//! encoding or an output `index` past the last output makes the call trap, which rejects the
//! spend ([`super::RejectReason::BadHostCall`]). Every call costs [`HOST_CALL_FUEL`], plus
//! [`COPY_FUEL_PER_BYTE`] per byte copied into the guest and [`SHA256_FUEL_PER_BYTE`] per byte
//! hashed; a call that cannot pay traps with the guest out of fuel.

use std::fmt;

use sha2::{Digest, Sha256};
use wasmtime::{Caller, Extern, Linker, Trap};

use super::limits::Limiter;
use crate::tx::{Output, Transaction};

/// The module name contracts import host functions from.
pub const HOST_MODULE: &str = "ramjet";
/// Fuel charged for every host call, on top of the instructions around it.
pub const HOST_CALL_FUEL: u64 = 100;
/// Fuel charged per byte a host function copies into guest memory.
pub const COPY_FUEL_PER_BYTE: u64 = 1;
/// Fuel charged per byte `sha256` hashes.
pub const SHA256_FUEL_PER_BYTE: u64 = 4;

/// One output as a contract sees it.
#[derive(Debug, Default)]
struct OutputView {
    amount: u64,
    data: Vec<u8>,
}

impl From<&Output> for OutputView {
    fn from(output: &Output) -> Self {
        Self {
            amount: output.amount,
            data: output.data.clone().unwrap_or_default(),
        }
    }
}

/// Everything one contract call can see, owned by its store (a store's data must be `'static`,
/// so the call's view of the transaction is copied in).
#[derive(Debug, Default)]
pub(crate) struct HostState {
    pub(crate) limiter: Limiter,
    encoding: Vec<u8>,
    signing_hash: [u8; 32],
    input_index: u32,
    spent: OutputView,
    outputs: Vec<OutputView>,
}

impl HostState {
    /// The state of a call validating input `input_index` of `tx`, which spends `spent`.
    pub(crate) fn new(
        limiter: Limiter,
        tx: &Transaction,
        input_index: usize,
        spent: &Output,
    ) -> Self {
        Self {
            limiter,
            encoding: tx.encode(),
            signing_hash: tx.signing_hash().0,
            // The caller checked the index against the inputs, at most MAX_INPUTS.
            input_index: u32::try_from(input_index).unwrap_or(u32::MAX),
            spent: spent.into(),
            outputs: tx.outputs.iter().map(OutputView::from).collect(),
        }
    }
}

/// A host call the guest made wrongly (a range outside its memory, an index out of range): the
/// call traps with this error and the spend is rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HostFault {
    /// The host function.
    pub(crate) function: &'static str,
    /// What was wrong.
    pub(crate) reason: String,
}

impl fmt::Display for HostFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{HOST_MODULE}.{}: {}", self.function, self.reason)
    }
}

impl std::error::Error for HostFault {}

fn fault(function: &'static str, reason: String) -> wasmtime::Error {
    wasmtime::Error::new(HostFault { function, reason })
}

/// Takes `fuel` from the guest's remaining fuel, or traps out of fuel (leaving none).
fn charge(caller: &mut Caller<'_, HostState>, fuel: u64) -> wasmtime::Result<()> {
    let left = caller.get_fuel()?;
    match left.checked_sub(fuel) {
        Some(rest) => caller.set_fuel(rest),
        None => {
            caller.set_fuel(0)?;
            Err(wasmtime::Error::new(Trap::OutOfFuel))
        }
    }
}

/// The guest's exported memory (install checked it exists).
fn memory(
    caller: &mut Caller<'_, HostState>,
    function: &'static str,
) -> wasmtime::Result<wasmtime::Memory> {
    caller
        .get_export("memory")
        .and_then(Extern::into_memory)
        .ok_or_else(|| fault(function, "the contract exports no memory".to_owned()))
}

/// `start..start + len` if it lies inside a memory of `size` bytes.
fn guest_range(
    function: &'static str,
    ptr: i32,
    len: usize,
    size: usize,
) -> wasmtime::Result<std::ops::Range<usize>> {
    let start = ptr as u32 as usize;
    match start.checked_add(len) {
        Some(end) if end <= size => Ok(start..end),
        _ => Err(fault(
            function,
            format!("{len} bytes at {start:#x} are outside the contract's memory of {size} bytes"),
        )),
    }
}

/// Which bytes of the state a copy reads.
#[derive(Clone, Copy)]
enum Source {
    Encoding,
    SpentData,
    OutputData(usize),
    SigningHash,
}

impl Source {
    fn bytes(self, state: &HostState) -> &[u8] {
        match self {
            Source::Encoding => &state.encoding,
            Source::SpentData => &state.spent.data,
            Source::OutputData(index) => &state.outputs[index].data,
            Source::SigningHash => &state.signing_hash,
        }
    }
}

/// Copies at most `len` bytes of `source`, from `offset`, to guest address `ptr`; returns the
/// count copied. Charges the call and the bytes before copying.
fn copy_out(
    caller: &mut Caller<'_, HostState>,
    function: &'static str,
    source: Source,
    ptr: i32,
    offset: u32,
    len: u32,
) -> wasmtime::Result<i32> {
    let available = source.bytes(caller.data()).len();
    let offset = offset as usize;
    if offset > available {
        return Err(fault(
            function,
            format!("offset {offset} is past the end ({available} bytes)"),
        ));
    }
    let count = (len as usize).min(available - offset);
    charge(caller, HOST_CALL_FUEL + COPY_FUEL_PER_BYTE * count as u64)?;
    let memory = memory(caller, function)?;
    let (guest, state) = memory.data_and_store_mut(&mut *caller);
    let range = guest_range(function, ptr, count, guest.len())?;
    guest[range].copy_from_slice(&source.bytes(state)[offset..offset + count]);
    // count <= available, which is below 2^31 (encodings and data are far smaller).
    Ok(count as i32)
}

/// The output at `index`, or a fault naming the function.
fn output_index(state: &HostState, function: &'static str, index: i32) -> wasmtime::Result<usize> {
    let index = index as u32 as usize;
    if index < state.outputs.len() {
        Ok(index)
    } else {
        Err(fault(
            function,
            format!(
                "output {index} does not exist ({} outputs)",
                state.outputs.len()
            ),
        ))
    }
}

/// Lengths handed to the guest: everything a contract can read is far below 2^31 bytes.
fn len_i32(len: usize) -> i32 {
    i32::try_from(len).unwrap_or(i32::MAX)
}

/// Defines every host function in `linker`.
pub(crate) fn define(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    linker.func_wrap(
        HOST_MODULE,
        "input_index",
        |mut caller: Caller<'_, HostState>| -> wasmtime::Result<i32> {
            charge(&mut caller, HOST_CALL_FUEL)?;
            Ok(caller.data().input_index as i32)
        },
    )?;
    linker.func_wrap(
        HOST_MODULE,
        "tx_len",
        |mut caller: Caller<'_, HostState>| -> wasmtime::Result<i32> {
            charge(&mut caller, HOST_CALL_FUEL)?;
            Ok(len_i32(caller.data().encoding.len()))
        },
    )?;
    linker.func_wrap(
        HOST_MODULE,
        "tx_read",
        |mut caller: Caller<'_, HostState>, ptr: i32, offset: i32, len: i32| {
            copy_out(
                &mut caller,
                "tx_read",
                Source::Encoding,
                ptr,
                offset as u32,
                len as u32,
            )
        },
    )?;
    linker.func_wrap(
        HOST_MODULE,
        "signing_hash",
        |mut caller: Caller<'_, HostState>, out_ptr: i32| -> wasmtime::Result<()> {
            copy_out(
                &mut caller,
                "signing_hash",
                Source::SigningHash,
                out_ptr,
                0,
                32,
            )?;
            Ok(())
        },
    )?;
    linker.func_wrap(
        HOST_MODULE,
        "spent_amount",
        |mut caller: Caller<'_, HostState>| -> wasmtime::Result<i64> {
            charge(&mut caller, HOST_CALL_FUEL)?;
            Ok(caller.data().spent.amount as i64)
        },
    )?;
    linker.func_wrap(
        HOST_MODULE,
        "spent_data_len",
        |mut caller: Caller<'_, HostState>| -> wasmtime::Result<i32> {
            charge(&mut caller, HOST_CALL_FUEL)?;
            Ok(len_i32(caller.data().spent.data.len()))
        },
    )?;
    linker.func_wrap(
        HOST_MODULE,
        "spent_data_read",
        |mut caller: Caller<'_, HostState>, ptr: i32, len: i32| {
            copy_out(
                &mut caller,
                "spent_data_read",
                Source::SpentData,
                ptr,
                0,
                len as u32,
            )
        },
    )?;
    linker.func_wrap(
        HOST_MODULE,
        "output_count",
        |mut caller: Caller<'_, HostState>| -> wasmtime::Result<i32> {
            charge(&mut caller, HOST_CALL_FUEL)?;
            Ok(len_i32(caller.data().outputs.len()))
        },
    )?;
    linker.func_wrap(
        HOST_MODULE,
        "output_amount",
        |mut caller: Caller<'_, HostState>, index: i32| -> wasmtime::Result<i64> {
            charge(&mut caller, HOST_CALL_FUEL)?;
            let index = output_index(caller.data(), "output_amount", index)?;
            Ok(caller.data().outputs[index].amount as i64)
        },
    )?;
    linker.func_wrap(
        HOST_MODULE,
        "output_data_len",
        |mut caller: Caller<'_, HostState>, index: i32| -> wasmtime::Result<i32> {
            charge(&mut caller, HOST_CALL_FUEL)?;
            let index = output_index(caller.data(), "output_data_len", index)?;
            Ok(len_i32(caller.data().outputs[index].data.len()))
        },
    )?;
    linker.func_wrap(
        HOST_MODULE,
        "output_data_read",
        |mut caller: Caller<'_, HostState>, index: i32, ptr: i32, len: i32| {
            let index = output_index(caller.data(), "output_data_read", index)?;
            copy_out(
                &mut caller,
                "output_data_read",
                Source::OutputData(index),
                ptr,
                0,
                len as u32,
            )
        },
    )?;
    linker.func_wrap(
        HOST_MODULE,
        "sha256",
        |mut caller: Caller<'_, HostState>,
         ptr: i32,
         len: i32,
         out_ptr: i32|
         -> wasmtime::Result<()> {
            let len = len as u32 as usize;
            charge(
                &mut caller,
                HOST_CALL_FUEL + SHA256_FUEL_PER_BYTE * len as u64,
            )?;
            let memory = memory(&mut caller, "sha256")?;
            let guest = memory.data_mut(&mut caller);
            let input = guest_range("sha256", ptr, len, guest.len())?;
            let output = guest_range("sha256", out_ptr, 32, guest.len())?;
            let digest: [u8; 32] = Sha256::digest(&guest[input]).into();
            guest[output].copy_from_slice(&digest);
            Ok(())
        },
    )?;
    Ok(())
}
