//! What one contract call may use: fuel, linear memory, table elements, native stack, and the
//! size of the module itself; and the [`wasmtime::ResourceLimiter`] that enforces the memory and
//! table limits inside a store.

use serde::{Deserialize, Serialize};

use super::ContractError;

/// Bytes in one WebAssembly page.
pub const WASM_PAGE_BYTES: u64 = 65_536;
/// Instances in one store: the contract itself, nothing else.
pub const MAX_INSTANCES: usize = 1;
/// Linear memories a contract may have (multi-memory is disabled, so one).
pub const MAX_MEMORIES: usize = 1;
/// Tables a contract may have (compilers emit one, for indirect calls).
pub const MAX_TABLES: usize = 1;

/// Largest fuel budget [`ContractLimits::validate`] accepts per call.
const MAX_FUEL: u64 = 1_000_000_000;
/// Largest memory limit [`ContractLimits::validate`] accepts (64 MiB).
const MAX_MEMORY_BYTES: u64 = 64 << 20;
/// Largest module size [`ContractLimits::validate`] accepts (1 MiB).
const MAX_MODULE_BYTES: usize = 1 << 20;
/// Largest table limit [`ContractLimits::validate`] accepts.
const MAX_TABLE_ELEMENTS: u32 = 1_000_000;
/// Native stack range [`ContractLimits::validate`] accepts for WebAssembly frames: the calling
/// thread must have more than this (Rust's threads have 2 MiB by default).
const STACK_BYTES_RANGE: std::ops::RangeInclusive<usize> = (64 << 10)..=(1 << 20);

/// The limits every contract call runs under. All nodes of a network must use the same values:
/// a contract that fits one node's limits and not another's would split their verdicts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ContractLimits {
    /// Fuel per call (default 10,000,000): about one unit per WebAssembly instruction, plus
    /// the host functions' charges (see [`super::host`]). Running out rejects the spend.
    pub fuel: u64,
    /// Most linear memory a contract may have, in bytes (default 1 MiB, 16 pages); a multiple
    /// of the 64 KiB page size.
    pub max_memory_bytes: u64,
    /// Largest module accepted by [`super::ContractEngine::install`], in bytes of binary
    /// WebAssembly (default 64 KiB).
    pub max_module_bytes: usize,
    /// Most elements the contract's table may hold (default 10,000).
    pub max_table_elements: u32,
    /// Native stack that WebAssembly frames may use, in bytes (default 256 KiB); deeper
    /// recursion traps with a stack overflow.
    pub max_stack_bytes: usize,
}

impl Default for ContractLimits {
    fn default() -> Self {
        Self {
            fuel: 10_000_000,
            max_memory_bytes: 1 << 20,
            max_module_bytes: 64 << 10,
            max_table_elements: 10_000,
            max_stack_bytes: 256 << 10,
        }
    }
}

impl ContractLimits {
    /// Checks every limit and reports every violation at once.
    pub fn validate(&self) -> Result<(), ContractError> {
        let mut violations = Vec::new();
        if !(1..=MAX_FUEL).contains(&self.fuel) {
            violations.push(format!("fuel {} is not in 1..={MAX_FUEL}", self.fuel));
        }
        if !(WASM_PAGE_BYTES..=MAX_MEMORY_BYTES).contains(&self.max_memory_bytes)
            || !self.max_memory_bytes.is_multiple_of(WASM_PAGE_BYTES)
        {
            violations.push(format!(
                "max_memory_bytes {} is not a multiple of {WASM_PAGE_BYTES} in \
                 {WASM_PAGE_BYTES}..={MAX_MEMORY_BYTES}",
                self.max_memory_bytes
            ));
        }
        if !(8..=MAX_MODULE_BYTES).contains(&self.max_module_bytes) {
            violations.push(format!(
                "max_module_bytes {} is not in 8..={MAX_MODULE_BYTES}",
                self.max_module_bytes
            ));
        }
        if self.max_table_elements > MAX_TABLE_ELEMENTS {
            violations.push(format!(
                "max_table_elements {} is above {MAX_TABLE_ELEMENTS}",
                self.max_table_elements
            ));
        }
        if !STACK_BYTES_RANGE.contains(&self.max_stack_bytes) {
            violations.push(format!(
                "max_stack_bytes {} is not in {}..={}",
                self.max_stack_bytes,
                STACK_BYTES_RANGE.start(),
                STACK_BYTES_RANGE.end()
            ));
        }
        if violations.is_empty() {
            Ok(())
        } else {
            Err(ContractError::InvalidLimits(violations))
        }
    }
}

/// Which limit a call ran into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Exceeded {
    /// Linear memory.
    Memory,
    /// Table elements.
    Table,
}

/// Enforces [`ContractLimits`]' memory and table limits in one store, and remembers which one
/// was hit so that the verdict can say so.
#[derive(Debug, Default)]
pub(crate) struct Limiter {
    max_memory_bytes: usize,
    max_table_elements: usize,
    exceeded: Option<Exceeded>,
}

impl Limiter {
    pub(crate) fn new(limits: &ContractLimits) -> Self {
        Self {
            // Validated limits fit in 64 MiB, so in any usize of 32 bits or more.
            max_memory_bytes: usize::try_from(limits.max_memory_bytes).unwrap_or(usize::MAX),
            max_table_elements: limits.max_table_elements as usize,
            exceeded: None,
        }
    }

    /// The limit hit during the call, if any.
    pub(crate) fn exceeded(&self) -> Option<Exceeded> {
        self.exceeded
    }
}

impl wasmtime::ResourceLimiter for Limiter {
    // Growth beyond the limit traps instead of making `memory.grow` return -1: either way the
    // spend would most likely fail, and a trap says why (`OutOfMemory`) instead of leaving the
    // contract to burn its fuel on retries.
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.max_memory_bytes {
            self.exceeded = Some(Exceeded::Memory);
            return Err(wasmtime::format_err!(
                "contract memory of {desired} bytes exceeds the limit of {} bytes",
                self.max_memory_bytes
            ));
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.max_table_elements {
            self.exceeded = Some(Exceeded::Table);
            return Err(wasmtime::format_err!(
                "contract table of {desired} elements exceeds the limit of {}",
                self.max_table_elements
            ));
        }
        Ok(true)
    }

    fn instances(&self) -> usize {
        MAX_INSTANCES
    }

    fn tables(&self) -> usize {
        MAX_TABLES
    }

    fn memories(&self) -> usize {
        MAX_MEMORIES
    }
}
