//! Spending contracts: WebAssembly modules, run by wasmtime, that decide whether an output may be
//! spent.
//!
//! An [`Output`] may name a contract by its [`ContractHash`]. A transaction spending that output
//! is valid only if the contract accepts it, on every node alike. `docs/contracts.md` is the
//! author's guide; in short:
//!
//! - **Identity**: a contract's hash is SHA-256([`CONTRACT_HASH_DOMAIN`] ‖ binary module).
//!   [`ContractEngine::install`] takes the binary (or WAT text, turned into binary first),
//!   checks it, compiles it once and keeps it; [`ContractEngine::code`] gives the binary back
//!   for storage.
//! - **Shape**: the module exports its linear memory as `memory` and an entry point
//!   `validate: () -> i32`, and imports nothing but functions of the host API ([`host`],
//!   module `"ramjet"`), with exactly the documented signatures.
//! - **Verdict**: [`ContractEngine::evaluate`] instantiates the module in a fresh store for
//!   each call and runs `validate`: `1` accepts the spend; any other value, a trap, running out
//!   of fuel, or growing memory or tables past the limits rejects it ([`Verdict`],
//!   [`RejectReason`]). A rejection makes the transaction invalid; it never harms the node.
//! - **Determinism**: execution is metered in fuel (instructions), not time; NaNs are
//!   canonicalised; threads, SIMD (and so relaxed SIMD), multi-memory, 64-bit memories and
//!   custom page sizes are disabled; the host API exposes no clock, randomness or node state,
//!   only the spending transaction and the output spent. The same contract, transaction,
//!   limits and wasmtime version give the same verdict and the same fuel on every node.
//!
//! [`ContractEngine`] is the ledger's [`crate::ledger::SpendValidator`]: install it with
//! [`crate::ledger::Ledger::set_spend_validator`].
//!
//! Installed modules are kept for the engine's lifetime (the cache is not bounded: the ledger
//! installs only contracts named by outputs it holds, each at most
//! [`ContractLimits::max_module_bytes`]).

pub mod host;
pub mod limits;
mod validator;

pub use limits::ContractLimits;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use sha2::{Digest, Sha256};
use wasmtime::{Config, Engine, ExternType, InstancePre, Linker, Module, Store, Trap, ValType};

use crate::tx::{ContractHash, Output, Transaction};
use host::{HOST_MODULE, HostFault, HostState};
use limits::{Exceeded, Limiter, WASM_PAGE_BYTES};

/// Domain-separation tag of a contract's hash.
pub const CONTRACT_HASH_DOMAIN: &[u8] = b"ramjet/contract/v1";
/// The entry point a contract exports: `validate: () -> i32`, 1 to accept.
pub const ENTRY_POINT: &str = "validate";
/// The name under which a contract exports its linear memory.
pub const MEMORY_EXPORT: &str = "memory";
/// How much longer than [`ContractLimits::max_module_bytes`] WAT text may be (text is bigger
/// than the binary it describes); the binary must still fit the limit.
pub const WAT_SIZE_FACTOR: usize = 8;

/// Why a contract cannot be installed or evaluated. A contract that rejects a spend is not an
/// error: that is a [`Verdict::Reject`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContractError {
    /// The limits are out of range; every violation is listed.
    #[error("invalid contract limits: {}", .0.join("; "))]
    InvalidLimits(Vec<String>),
    /// wasmtime refused the engine configuration or the host API.
    #[error("contract engine: {0}")]
    Engine(String),
    /// The module (or its WAT text) is larger than allowed.
    #[error("contract module of {size} bytes exceeds the limit of {max} bytes")]
    TooLarge {
        /// Its size in bytes.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// Text given to install is not valid WAT.
    #[error("contract text is not valid WAT: {0}")]
    Wat(String),
    /// The bytes are not a valid WebAssembly module for this engine (malformed, or using a
    /// disabled feature such as threads or SIMD).
    #[error("invalid contract module: {0}")]
    InvalidModule(String),
    /// The module imports something outside the host API.
    #[error("contract imports {module}.{name}: {reason}")]
    ForbiddenImport {
        /// The import's module name.
        module: String,
        /// The import's field name.
        name: String,
        /// Why it is refused.
        reason: String,
    },
    /// The module lacks a required export, or exports it with the wrong type.
    #[error("contract must export {name} as {expected}")]
    MissingExport {
        /// The export: [`ENTRY_POINT`] or [`MEMORY_EXPORT`].
        name: &'static str,
        /// What it must be.
        expected: &'static str,
    },
    /// The module's initial memory is larger than the limit.
    #[error("contract declares {declared} bytes of initial memory, the limit is {max}")]
    MemoryTooLarge {
        /// Initial memory declared, in bytes.
        declared: u64,
        /// The limit.
        max: u64,
    },
    /// No contract with this hash is installed: the caller must fetch and install its code
    /// before the spend can be judged.
    #[error("contract {0} is not installed")]
    NotInstalled(ContractHash),
    /// The spend context names an input the transaction does not have.
    #[error("input {index} does not exist, the transaction has {inputs} inputs")]
    NoSuchInput {
        /// The input index given.
        index: usize,
        /// How many inputs the transaction has.
        inputs: usize,
    },
}

/// The spend a contract judges: input `input_index` of `tx` spends `spent`, an output naming
/// the contract.
#[derive(Clone, Copy, Debug)]
pub struct SpendContext<'a> {
    /// The spending transaction.
    pub tx: &'a Transaction,
    /// Which of its inputs spends the output.
    pub input_index: usize,
    /// The output being spent.
    pub spent: &'a Output,
}

/// Why a contract rejected a spend. Only accept versus reject matters to consensus; the reason
/// is for people (it is deterministic all the same).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RejectReason {
    /// The entry point returned this value instead of 1.
    ReturnedFalse(i32),
    /// The contract trapped (`unreachable`, an out-of-bounds access, division by zero, ...);
    /// the trap's description.
    Trap(String),
    /// The contract used up its fuel (an endless or too long computation).
    OutOfFuel,
    /// The contract tried to grow its linear memory past the limit.
    OutOfMemory,
    /// The contract tried to grow its table past the limit.
    TableLimit,
    /// The contract recursed deeper than the stack limit allows.
    StackOverflow,
    /// The contract called a host function wrongly (a pointer outside its memory, an output
    /// index out of range); names the function.
    BadHostCall(String),
}

/// The outcome of running a contract.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The contract allows the spend.
    Accept,
    /// The contract does not allow the spend: the transaction is invalid.
    Reject(RejectReason),
}

/// A verdict and what it cost.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evaluation {
    /// Accept or reject.
    pub verdict: Verdict,
    /// Fuel used: instantiation, the entry point and host calls (at most
    /// [`ContractLimits::fuel`]).
    pub fuel_used: u64,
}

impl Evaluation {
    /// Whether the contract accepted the spend.
    pub fn accepted(&self) -> bool {
        self.verdict == Verdict::Accept
    }
}

/// An installed contract: its binary and its module, linked against the host API.
struct Installed {
    code: Arc<[u8]>,
    pre: InstancePre<HostState>,
}

/// Installs and runs contracts: one wasmtime engine configured for determinism, the host API,
/// and the installed modules. Cheap to share between threads (`&self` everywhere).
pub struct ContractEngine {
    limits: ContractLimits,
    engine: Engine,
    linker: Linker<HostState>,
    /// The signature of every host function, by name.
    host_functions: HashMap<String, wasmtime::FuncType>,
    installed: RwLock<HashMap<ContractHash, Arc<Installed>>>,
}

impl std::fmt::Debug for ContractEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContractEngine")
            .field("limits", &self.limits)
            .field("installed", &self.read_installed().len())
            .finish_non_exhaustive()
    }
}

impl ContractEngine {
    /// An engine running contracts under `limits` (validated first).
    pub fn new(limits: ContractLimits) -> Result<Self, ContractError> {
        limits.validate()?;
        // Threads (shared memories, atomics) need wasmtime's `threads` feature, which is not
        // enabled: they are off.
        let mut config = Config::new();
        config
            .consume_fuel(true)
            .cranelift_nan_canonicalization(true)
            .wasm_simd(false)
            .wasm_relaxed_simd(false)
            .wasm_multi_memory(false)
            .wasm_memory64(false)
            // Pages stay 64 KiB, which install's initial-memory check relies on.
            .wasm_custom_page_sizes(false)
            .max_wasm_stack(limits.max_stack_bytes);
        let engine = Engine::new(&config).map_err(|err| ContractError::Engine(err.to_string()))?;
        let mut linker = Linker::new(&engine);
        host::define(&mut linker).map_err(|err| ContractError::Engine(err.to_string()))?;
        // Read the host functions' types back from the linker, so that install checks imports
        // against exactly what is defined.
        let mut store = Store::new(&engine, HostState::default());
        let externs: Vec<_> = linker
            .iter(&mut store)
            .map(|(_, name, item)| (name.to_owned(), item))
            .collect();
        let host_functions = externs
            .into_iter()
            .filter_map(|(name, item)| match item.ty(&store) {
                ExternType::Func(ty) => Some((name, ty)),
                _ => None,
            })
            .collect();
        Ok(Self {
            limits,
            engine,
            linker,
            host_functions,
            installed: RwLock::new(HashMap::new()),
        })
    }

    /// The limits contracts run under.
    pub fn limits(&self) -> &ContractLimits {
        &self.limits
    }

    /// The hash of a binary module: SHA-256([`CONTRACT_HASH_DOMAIN`] ‖ `binary`).
    pub fn hash_of(binary: &[u8]) -> ContractHash {
        ContractHash(
            Sha256::new()
                .chain_update(CONTRACT_HASH_DOMAIN)
                .chain_update(binary)
                .finalize()
                .into(),
        )
    }

    /// Checks, compiles and keeps a contract; returns its hash. `wasm` is a binary module or WAT
    /// text (turned into binary first; the hash is the binary's). Installing a contract again
    /// returns the same hash.
    ///
    /// Refused: a binary above [`ContractLimits::max_module_bytes`], an invalid module, any
    /// import that is not a host function with its documented signature, a module without
    /// `memory` and `validate: () -> i32` exports, initial memory above the limit.
    pub fn install(&self, wasm: &[u8]) -> Result<ContractHash, ContractError> {
        let max = self.limits.max_module_bytes;
        let is_binary = wasm.starts_with(b"\0asm");
        if !is_binary && wasm.len() > max.saturating_mul(WAT_SIZE_FACTOR) {
            return Err(ContractError::TooLarge {
                size: wasm.len(),
                max: max.saturating_mul(WAT_SIZE_FACTOR),
            });
        }
        let binary = wat::parse_bytes(wasm).map_err(|err| ContractError::Wat(err.to_string()))?;
        if binary.len() > max {
            return Err(ContractError::TooLarge {
                size: binary.len(),
                max,
            });
        }
        let hash = Self::hash_of(&binary);
        if self.is_installed(&hash) {
            return Ok(hash);
        }
        let module = Module::from_binary(&self.engine, &binary)
            .map_err(|err| ContractError::InvalidModule(format!("{err:#}")))?;
        self.check_imports(&module)?;
        self.check_exports(&module)?;
        let pre = self
            .linker
            .instantiate_pre(&module)
            .map_err(|err| ContractError::InvalidModule(format!("{err:#}")))?;
        let installed = Arc::new(Installed {
            code: Arc::from(binary.into_owned()),
            pre,
        });
        self.installed
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(hash, installed);
        Ok(hash)
    }

    fn check_imports(&self, module: &Module) -> Result<(), ContractError> {
        for import in module.imports() {
            let refuse = |reason: String| ContractError::ForbiddenImport {
                module: import.module().to_owned(),
                name: import.name().to_owned(),
                reason,
            };
            if import.module() != HOST_MODULE {
                return Err(refuse(format!(
                    "contracts may import only from module \"{HOST_MODULE}\""
                )));
            }
            let Some(expected) = self.host_functions.get(import.name()) else {
                return Err(refuse("no such host function".to_owned()));
            };
            match import.ty() {
                ExternType::Func(actual) if wasmtime::FuncType::eq(&actual, expected) => {}
                ExternType::Func(actual) => {
                    return Err(refuse(format!(
                        "imported as {}, the host function is {}",
                        describe(&actual),
                        describe(expected)
                    )));
                }
                _ => return Err(refuse("host imports must be functions".to_owned())),
            }
        }
        Ok(())
    }

    fn check_exports(&self, module: &Module) -> Result<(), ContractError> {
        let entry_ok = matches!(
            module.get_export(ENTRY_POINT),
            Some(ExternType::Func(ty))
                if ty.params().len() == 0
                    && ty.results().len() == 1
                    && matches!(ty.results().next(), Some(ValType::I32))
        );
        if !entry_ok {
            return Err(ContractError::MissingExport {
                name: ENTRY_POINT,
                expected: "a function () -> i32",
            });
        }
        let Some(ExternType::Memory(memory)) = module.get_export(MEMORY_EXPORT) else {
            return Err(ContractError::MissingExport {
                name: MEMORY_EXPORT,
                expected: "a linear memory",
            });
        };
        let declared = memory.minimum().saturating_mul(WASM_PAGE_BYTES);
        if declared > self.limits.max_memory_bytes {
            return Err(ContractError::MemoryTooLarge {
                declared,
                max: self.limits.max_memory_bytes,
            });
        }
        Ok(())
    }

    /// Whether a contract with this hash is installed.
    pub fn is_installed(&self, hash: &ContractHash) -> bool {
        self.read_installed().contains_key(hash)
    }

    /// The binary module of an installed contract (what its hash is computed over), for the
    /// ledger to store.
    pub fn code(&self, hash: &ContractHash) -> Option<Vec<u8>> {
        self.read_installed()
            .get(hash)
            .map(|installed| installed.code.to_vec())
    }

    /// Runs contract `hash` on the spend `ctx`: a fresh instance in a fresh store, fuel
    /// [`ContractLimits::fuel`], memory and tables limited. Errors only if the contract is not
    /// installed ([`ContractError::NotInstalled`]: the ledger holds the transaction until it
    /// has the code) or the context names no input of the transaction; everything the contract
    /// does, including trapping, looping and exhausting memory, ends in a [`Verdict`].
    pub fn evaluate(
        &self,
        hash: &ContractHash,
        ctx: &SpendContext<'_>,
    ) -> Result<Evaluation, ContractError> {
        let installed = self
            .read_installed()
            .get(hash)
            .cloned()
            .ok_or(ContractError::NotInstalled(*hash))?;
        if ctx.input_index >= ctx.tx.inputs.len() {
            return Err(ContractError::NoSuchInput {
                index: ctx.input_index,
                inputs: ctx.tx.inputs.len(),
            });
        }
        let state = HostState::new(
            Limiter::new(&self.limits),
            ctx.tx,
            ctx.input_index,
            ctx.spent,
        );
        let mut store = Store::new(&self.engine, state);
        store.limiter(|state| &mut state.limiter);
        let fuel = self.limits.fuel;
        // Fuel accounting is on (`consume_fuel`), so setting fuel cannot fail.
        store
            .set_fuel(fuel)
            .map_err(|err| ContractError::Engine(err.to_string()))?;
        let outcome = installed.pre.instantiate(&mut store).and_then(|instance| {
            instance
                .get_typed_func::<(), i32>(&mut store, ENTRY_POINT)?
                .call(&mut store, ())
        });
        let verdict = match outcome {
            Ok(1) => Verdict::Accept,
            Ok(value) => Verdict::Reject(RejectReason::ReturnedFalse(value)),
            Err(err) => Verdict::Reject(classify(&err, store.data())),
        };
        let fuel_used = fuel - store.get_fuel().unwrap_or(0).min(fuel);
        Ok(Evaluation { verdict, fuel_used })
    }

    fn read_installed(
        &self,
    ) -> std::sync::RwLockReadGuard<'_, HashMap<ContractHash, Arc<Installed>>> {
        self.installed
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Why a call failed, from the error wasmtime returned and the store's state.
fn classify(err: &wasmtime::Error, state: &HostState) -> RejectReason {
    match state.limiter.exceeded() {
        Some(Exceeded::Memory) => return RejectReason::OutOfMemory,
        Some(Exceeded::Table) => return RejectReason::TableLimit,
        None => {}
    }
    if let Some(fault) = err.downcast_ref::<HostFault>() {
        return RejectReason::BadHostCall(fault.to_string());
    }
    match err.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) => RejectReason::OutOfFuel,
        Some(Trap::StackOverflow) => RejectReason::StackOverflow,
        Some(trap) => RejectReason::Trap(trap.to_string()),
        // Instantiation failures other than limits (a data segment out of bounds, say).
        None => RejectReason::Trap(err.to_string()),
    }
}

/// A function type as `(i32, i32) -> i64`.
fn describe(ty: &wasmtime::FuncType) -> String {
    let list = |types: Vec<String>| types.join(", ");
    format!(
        "({}) -> ({})",
        list(ty.params().map(|t| t.to_string()).collect()),
        list(ty.results().map(|t| t.to_string()).collect())
    )
}
