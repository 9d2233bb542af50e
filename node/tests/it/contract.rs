//! Spending contracts: install checks, verdicts, limits (fuel, memory, tables, stack), the host
//! API, NaN canonicalisation and determinism. Every contract is written here as WAT.

use std::time::{Duration, Instant};

use ed25519_consensus::SigningKey;
use ramjet_node::NodeError;
use ramjet_node::contract::{
    CONTRACT_HASH_DOMAIN, ContractEngine, ContractError, ContractLimits, Evaluation, RejectReason,
    SpendContext, Verdict,
};
use ramjet_node::tx::{Address, AssetId, ContractHash, Fee, OutPoint, Output, Transaction, TxHash};
use sha2::{Digest, Sha256};

const CHAIN: u32 = 7;

fn key(seed: u8) -> SigningKey {
    SigningKey::from([seed; 32])
}

fn output(owner: &SigningKey, amount: u64, data: Option<Vec<u8>>) -> Output {
    Output {
        address: Address::of_public_key(CHAIN, &owner.verification_key().to_bytes()),
        asset: AssetId([0xaa; 32]),
        amount,
        data,
        contract: None,
    }
}

/// A spend of an output locked by `contract` (carrying `locked_data`), by a signed transaction
/// with two inputs (the locked output is input 1) whose output 0 carries `out_data`.
struct Spend {
    tx: Transaction,
    spent: Output,
}

impl Spend {
    fn new(
        contract: ContractHash,
        locked_data: Option<Vec<u8>>,
        out_data: Option<Vec<u8>>,
    ) -> Self {
        let (alice, bob) = (key(1), key(2));
        let mut spent = output(&alice, 500, locked_data);
        spent.contract = Some(contract);
        let locked = OutPoint {
            tx: TxHash([0x30; 32]),
            index: 2,
        };
        let other = OutPoint {
            tx: TxHash([0x10; 32]),
            index: 0,
        };
        let tx = Transaction::build_signed(
            &[(locked, &alice), (other, &alice)],
            vec![output(&bob, 495, out_data), output(&alice, 5, None)],
            Fee {
                asset: AssetId([0xaa; 32]),
                amount: 0,
            },
        );
        assert_eq!(
            tx.inputs[1].outpoint, locked,
            "canonical order puts the lock second"
        );
        tx.check_stateless().unwrap();
        Self { tx, spent }
    }

    fn ctx(&self) -> SpendContext<'_> {
        SpendContext {
            tx: &self.tx,
            input_index: 1,
            spent: &self.spent,
        }
    }
}

fn engine() -> ContractEngine {
    ContractEngine::new(ContractLimits::default()).unwrap()
}

/// Installs `wat` and runs it on a plain spend.
fn run(engine: &ContractEngine, wat: &str) -> Evaluation {
    let hash = engine.install(wat.as_bytes()).unwrap();
    let spend = Spend::new(hash, None, None);
    engine.evaluate(&hash, &spend.ctx()).unwrap()
}

fn returning(value: i32) -> String {
    format!(
        r#"(module (memory (export "memory") 1)
             (func (export "validate") (result i32) (i32.const {value})))"#
    )
}

#[test]
fn a_contract_returning_one_accepts_and_anything_else_rejects() {
    let engine = engine();
    let accepted = run(&engine, &returning(1));
    assert_eq!(accepted.verdict, Verdict::Accept);
    assert!(accepted.accepted());
    assert!(accepted.fuel_used > 0);
    for value in [0, 2, -1] {
        let rejected = run(&engine, &returning(value));
        assert_eq!(
            rejected.verdict,
            Verdict::Reject(RejectReason::ReturnedFalse(value))
        );
        assert!(!rejected.accepted());
    }
}

#[test]
fn the_hash_is_sha256_of_the_binary_under_the_domain_tag_and_install_is_idempotent() {
    let engine = engine();
    let text = returning(1);
    let hash = engine.install(text.as_bytes()).unwrap();
    let binary = wat::parse_str(&text).unwrap();
    let expected: [u8; 32] = Sha256::new()
        .chain_update(CONTRACT_HASH_DOMAIN)
        .chain_update(&binary)
        .finalize()
        .into();
    assert_eq!(hash, ContractHash(expected));
    assert_eq!(ContractEngine::hash_of(&binary), hash);
    assert!(engine.is_installed(&hash));
    assert_eq!(engine.code(&hash), Some(binary.clone()));
    // The binary installs under the same hash, here and on a fresh engine (a node loading the
    // code from its store).
    assert_eq!(engine.install(&binary).unwrap(), hash);
    let other = self::engine();
    assert!(!other.is_installed(&hash));
    assert_eq!(other.code(&hash), None);
    assert_eq!(other.install(&binary).unwrap(), hash);
    assert_ne!(engine.install(returning(0).as_bytes()).unwrap(), hash);
}

#[test]
fn an_unknown_contract_is_not_installed_and_an_absent_input_is_an_error() {
    let engine = engine();
    let unknown = ContractHash([7; 32]);
    let spend = Spend::new(unknown, None, None);
    assert_eq!(
        engine.evaluate(&unknown, &spend.ctx()),
        Err(ContractError::NotInstalled(unknown))
    );
    let hash = engine.install(returning(1).as_bytes()).unwrap();
    let ctx = SpendContext {
        input_index: 2,
        ..spend.ctx()
    };
    assert_eq!(
        engine.evaluate(&hash, &ctx),
        Err(ContractError::NoSuchInput {
            index: 2,
            inputs: 2
        })
    );
    // The node's error type carries contract errors.
    let error: NodeError = ContractError::NotInstalled(unknown).into();
    assert!(error.to_string().contains(&unknown.to_hex()), "{error}");
}

#[test]
fn a_trap_rejects() {
    let engine = engine();
    let evaluation = run(
        &engine,
        r#"(module (memory (export "memory") 1)
             (func (export "validate") (result i32) unreachable))"#,
    );
    let Verdict::Reject(RejectReason::Trap(message)) = evaluation.verdict else {
        panic!("expected a trap, got {evaluation:?}");
    };
    assert!(message.contains("unreachable"), "{message}");
    // An out-of-bounds load and a division by zero trap as well.
    for body in [
        "(i32.load (i32.const 70000))",
        "(i32.div_u (i32.const 1) (i32.sub (i32.const 1) (i32.const 1)))",
    ] {
        let evaluation = run(
            &engine,
            &format!(
                r#"(module (memory (export "memory") 1)
                     (func (export "validate") (result i32) {body}))"#
            ),
        );
        assert!(
            matches!(evaluation.verdict, Verdict::Reject(RejectReason::Trap(_))),
            "{body}: {evaluation:?}"
        );
    }
    // Failures while instantiating reject too: a data segment that does not fit in memory, a
    // start function that traps.
    for module in [
        r#"(module (memory (export "memory") 1) (data (i32.const 65535) "ab")
             (func (export "validate") (result i32) (i32.const 1)))"#,
        r#"(module (memory (export "memory") 1) (func $start unreachable) (start $start)
             (func (export "validate") (result i32) (i32.const 1)))"#,
    ] {
        let evaluation = run(&engine, module);
        assert!(
            matches!(evaluation.verdict, Verdict::Reject(RejectReason::Trap(_))),
            "{module}: {evaluation:?}"
        );
    }
}

#[test]
fn an_endless_loop_runs_out_of_fuel_promptly() {
    let engine = engine();
    let started = Instant::now();
    let evaluation = run(
        &engine,
        r#"(module (memory (export "memory") 1)
             (func (export "validate") (result i32) (loop $forever (br $forever)) (i32.const 1)))"#,
    );
    let elapsed = started.elapsed();
    assert_eq!(evaluation.verdict, Verdict::Reject(RejectReason::OutOfFuel));
    assert_eq!(evaluation.fuel_used, ContractLimits::default().fuel);
    // Ten million units of fuel take milliseconds; the bound is generous for a loaded machine.
    assert!(elapsed < Duration::from_secs(10), "took {elapsed:?}");

    // A loop inside the start function (run at instantiation) is metered too.
    let evaluation = run(
        &engine,
        r#"(module (memory (export "memory") 1)
             (func $start (loop $forever (br $forever)))
             (start $start)
             (func (export "validate") (result i32) (i32.const 1)))"#,
    );
    assert_eq!(evaluation.verdict, Verdict::Reject(RejectReason::OutOfFuel));
}

#[test]
fn host_calls_cost_fuel_too() {
    // A loop of host calls with a small budget: the host charges make it run out of fuel.
    let limits = ContractLimits {
        fuel: 50_000,
        ..ContractLimits::default()
    };
    let engine = ContractEngine::new(limits).unwrap();
    let evaluation = run(
        &engine,
        r#"(module
             (import "ramjet" "sha256" (func $sha256 (param i32 i32 i32)))
             (memory (export "memory") 1)
             (func (export "validate") (result i32)
               (loop $forever (call $sha256 (i32.const 0) (i32.const 1024) (i32.const 2048)) (br $forever))
               (i32.const 1)))"#,
    );
    assert_eq!(evaluation.verdict, Verdict::Reject(RejectReason::OutOfFuel));
    assert_eq!(evaluation.fuel_used, 50_000);
}

#[test]
fn memory_growth_past_the_limit_rejects() {
    let engine = engine();
    // Grows one page at a time, forever: the limit (1 MiB, 16 pages) stops it.
    let evaluation = run(
        &engine,
        r#"(module (memory (export "memory") 1)
             (func (export "validate") (result i32)
               (loop $more (drop (memory.grow (i32.const 1))) (br $more))
               (i32.const 1)))"#,
    );
    assert_eq!(
        evaluation.verdict,
        Verdict::Reject(RejectReason::OutOfMemory)
    );
    // Growing up to the limit is allowed: 1 + 15 pages = 1 MiB; memory.grow returns the old size.
    let evaluation = run(
        &engine,
        r#"(module (memory (export "memory") 1)
             (func (export "validate") (result i32)
               (i32.eq (memory.grow (i32.const 15)) (i32.const 1))))"#,
    );
    assert_eq!(evaluation.verdict, Verdict::Accept);
    // One page more is too much.
    let evaluation = run(
        &engine,
        r#"(module (memory (export "memory") 1)
             (func (export "validate") (result i32)
               (drop (memory.grow (i32.const 16))) (i32.const 1)))"#,
    );
    assert_eq!(
        evaluation.verdict,
        Verdict::Reject(RejectReason::OutOfMemory)
    );
}

#[test]
fn a_module_declaring_too_much_initial_memory_is_refused() {
    let engine = engine();
    // 17 pages, one over the 1 MiB limit; and a memory far over it (1 GiB).
    for pages in [17u64, 16_384] {
        let text = format!(
            r#"(module (memory (export "memory") {pages})
                 (func (export "validate") (result i32) (i32.const 1)))"#
        );
        assert_eq!(
            engine.install(text.as_bytes()),
            Err(ContractError::MemoryTooLarge {
                declared: pages * 65_536,
                max: 1 << 20,
            })
        );
    }
    // Exactly the limit is fine.
    let evaluation = run(
        &engine,
        r#"(module (memory (export "memory") 16)
             (func (export "validate") (result i32) (i32.const 1)))"#,
    );
    assert_eq!(evaluation.verdict, Verdict::Accept);
}

#[test]
fn a_table_past_the_limit_rejects() {
    let engine = engine();
    let evaluation = run(
        &engine,
        r#"(module (memory (export "memory") 1) (table 20000 funcref)
             (func (export "validate") (result i32) (i32.const 1)))"#,
    );
    assert_eq!(
        evaluation.verdict,
        Verdict::Reject(RejectReason::TableLimit)
    );
}

#[test]
fn deep_recursion_overflows_the_stack_and_rejects() {
    let engine = engine();
    let evaluation = run(
        &engine,
        r#"(module (memory (export "memory") 1)
             (func $down (param i32) (result i32)
               (call $down (i32.add (local.get 0) (i32.const 1))))
             (func (export "validate") (result i32) (call $down (i32.const 0))))"#,
    );
    assert_eq!(
        evaluation.verdict,
        Verdict::Reject(RejectReason::StackOverflow)
    );
}

#[test]
fn imports_outside_the_host_api_are_refused_by_name() {
    let engine = engine();
    let cases = [
        (
            r#"(import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))"#,
            "wasi_snapshot_preview1",
            "fd_write",
        ),
        (
            r#"(import "ramjet" "nonexistent" (func (result i32)))"#,
            "ramjet",
            "nonexistent",
        ),
        // A host function under the wrong signature.
        (
            r#"(import "ramjet" "tx_len" (func (param i32) (result i32)))"#,
            "ramjet",
            "tx_len",
        ),
        // Not a function.
        (
            r#"(import "ramjet" "table" (table 1 funcref))"#,
            "ramjet",
            "table",
        ),
        (r#"(import "env" "counter" (global i32))"#, "env", "counter"),
    ];
    for (import, module, name) in cases {
        let text = format!(
            r#"(module {import} (memory (export "memory") 1)
                 (func (export "validate") (result i32) (i32.const 1)))"#
        );
        let error = engine.install(text.as_bytes()).unwrap_err();
        let ContractError::ForbiddenImport {
            module: refused_module,
            name: refused_name,
            ..
        } = &error
        else {
            panic!("{import}: expected a forbidden import, got {error:?}");
        };
        assert_eq!(
            (refused_module.as_str(), refused_name.as_str()),
            (module, name)
        );
        assert!(
            error.to_string().contains(&format!("{module}.{name}")),
            "{error}"
        );
    }
    // Every documented host function imports fine with its documented signature.
    let all = r#"(module
        (import "ramjet" "input_index" (func (result i32)))
        (import "ramjet" "tx_len" (func (result i32)))
        (import "ramjet" "tx_read" (func (param i32 i32 i32) (result i32)))
        (import "ramjet" "signing_hash" (func (param i32)))
        (import "ramjet" "spent_amount" (func (result i64)))
        (import "ramjet" "spent_data_len" (func (result i32)))
        (import "ramjet" "spent_data_read" (func (param i32 i32) (result i32)))
        (import "ramjet" "output_count" (func (result i32)))
        (import "ramjet" "output_amount" (func (param i32) (result i64)))
        (import "ramjet" "output_data_len" (func (param i32) (result i32)))
        (import "ramjet" "output_data_read" (func (param i32 i32 i32) (result i32)))
        (import "ramjet" "sha256" (func (param i32 i32 i32)))
        (memory (export "memory") 1)
        (func (export "validate") (result i32) (i32.const 1)))"#;
    assert_eq!(run(&engine, all).verdict, Verdict::Accept);
}

#[test]
fn a_module_without_its_exports_or_with_bad_ones_is_refused() {
    let engine = engine();
    let cases = [
        // No entry point.
        (r#"(module (memory (export "memory") 1))"#, "validate"),
        // The entry point with the wrong type.
        (
            r#"(module (memory (export "memory") 1) (func (export "validate") (result i64) (i64.const 1)))"#,
            "validate",
        ),
        (
            r#"(module (memory (export "memory") 1) (func (export "validate") (param i32) (result i32) (i32.const 1)))"#,
            "validate",
        ),
        // No exported memory.
        (
            r#"(module (memory 1) (func (export "validate") (result i32) (i32.const 1)))"#,
            "memory",
        ),
    ];
    for (text, missing) in cases {
        match engine.install(text.as_bytes()) {
            Err(ContractError::MissingExport { name, .. }) => assert_eq!(name, missing, "{text}"),
            other => panic!("{text}: expected a missing export, got {other:?}"),
        }
    }
}

#[test]
fn malformed_modules_and_disabled_features_are_refused() {
    let engine = engine();
    assert!(matches!(
        engine.install(b"(module (func"),
        Err(ContractError::Wat(_))
    ));
    assert!(matches!(
        engine.install(b"\0asm\x01\0\0\0\xff"),
        Err(ContractError::InvalidModule(_))
    ));
    // SIMD is disabled (its NaN results and relaxed forms are a determinism risk).
    let simd = r#"(module (memory (export "memory") 1)
        (func (export "validate") (result i32)
          (i32x4.extract_lane 0 (i32x4.splat (i32.const 1)))))"#;
    assert!(matches!(
        engine.install(simd.as_bytes()),
        Err(ContractError::InvalidModule(_))
    ));
    // So are threads (shared memories, atomics).
    let shared = r#"(module (memory (export "memory") 1 1 shared)
        (func (export "validate") (result i32) (i32.const 1)))"#;
    assert!(matches!(
        engine.install(shared.as_bytes()),
        Err(ContractError::InvalidModule(_))
    ));
}

#[test]
fn a_module_above_the_size_limit_is_refused() {
    let engine = engine();
    // A 70,000-byte data segment makes the binary larger than 64 KiB.
    let filler = "x".repeat(70_000);
    let text = format!(
        r#"(module (memory (export "memory") 2) (data (i32.const 0) "{filler}")
             (func (export "validate") (result i32) (i32.const 1)))"#
    );
    match engine.install(text.as_bytes()) {
        Err(ContractError::TooLarge { size, max }) => {
            assert!(size > 70_000, "{size}");
            assert_eq!(max, 64 << 10);
        }
        other => panic!("expected too large, got {other:?}"),
    }
    // The same module is accepted by an engine with a larger limit.
    let roomy = ContractEngine::new(ContractLimits {
        max_module_bytes: 128 << 10,
        ..ContractLimits::default()
    })
    .unwrap();
    assert_eq!(run(&roomy, &text).verdict, Verdict::Accept);
    // Text (or any bytes) far beyond the limit is refused before it is parsed.
    let huge = vec![b' '; (64 << 10) * 8 + 1];
    assert!(matches!(
        engine.install(&huge),
        Err(ContractError::TooLarge { .. })
    ));
}

/// The hash-lock contract: output 0 of the spending transaction must carry a preimage whose
/// SHA-256 equals the 32 bytes of data the locked output carries.
pub(crate) const HASH_LOCK: &str = r#"(module
  (import "ramjet" "spent_data_len" (func $spent_len (result i32)))
  (import "ramjet" "spent_data_read" (func $spent_read (param i32 i32) (result i32)))
  (import "ramjet" "output_data_len" (func $out_len (param i32) (result i32)))
  (import "ramjet" "output_data_read" (func $out_read (param i32 i32 i32) (result i32)))
  (import "ramjet" "sha256" (func $sha256 (param i32 i32 i32)))
  (memory (export "memory") 1)
  ;; 0..32: the lock; 32..64: SHA-256 of the preimage; 1024..2048: the preimage.
  (func (export "validate") (result i32)
    (local $len i32) (local $i i32)
    (if (i32.ne (call $spent_len) (i32.const 32)) (then (return (i32.const 0))))
    (drop (call $spent_read (i32.const 0) (i32.const 32)))
    (local.set $len (call $out_len (i32.const 0)))
    (if (i32.eqz (local.get $len)) (then (return (i32.const 0))))
    (drop (call $out_read (i32.const 0) (i32.const 1024) (local.get $len)))
    (call $sha256 (i32.const 1024) (local.get $len) (i32.const 32))
    (block $differ
      (loop $words
        (br_if $differ
          (i64.ne (i64.load (local.get $i)) (i64.load offset=32 (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 8)))
        (br_if $words (i32.lt_u (local.get $i) (i32.const 32))))
      (return (i32.const 1)))
    (i32.const 0)))"#;

#[test]
fn the_hash_lock_accepts_the_preimage_and_rejects_anything_else() {
    let engine = engine();
    let hash = engine.install(HASH_LOCK.as_bytes()).unwrap();
    let preimage = b"open sesame".to_vec();
    let lock = Sha256::digest(&preimage).to_vec();

    let right = Spend::new(hash, Some(lock.clone()), Some(preimage.clone()));
    assert_eq!(
        engine.evaluate(&hash, &right.ctx()).unwrap().verdict,
        Verdict::Accept
    );
    let wrong = Spend::new(hash, Some(lock.clone()), Some(b"open sesame!".to_vec()));
    assert_eq!(
        engine.evaluate(&hash, &wrong.ctx()).unwrap().verdict,
        Verdict::Reject(RejectReason::ReturnedFalse(0))
    );
    let none = Spend::new(hash, Some(lock), None);
    assert_eq!(
        engine.evaluate(&hash, &none.ctx()).unwrap().verdict,
        Verdict::Reject(RejectReason::ReturnedFalse(0))
    );
    // A lock that is not 32 bytes cannot be opened.
    let odd = Spend::new(hash, Some(vec![1; 31]), Some(preimage));
    assert_eq!(
        engine.evaluate(&hash, &odd.ctx()).unwrap().verdict,
        Verdict::Reject(RejectReason::ReturnedFalse(0))
    );
}

#[test]
fn the_host_api_shows_the_spend() {
    let engine = engine();
    let probe = Spend::new(ContractHash::default(), Some(vec![9; 40]), Some(vec![5; 3]));
    let encoding = probe.tx.encode();
    let signing_hash = probe.tx.signing_hash().0;
    // Each check that fails returns its own number, so a failure says which.
    let text = format!(
        r#"(module
  (import "ramjet" "input_index" (func $input_index (result i32)))
  (import "ramjet" "tx_len" (func $tx_len (result i32)))
  (import "ramjet" "tx_read" (func $tx_read (param i32 i32 i32) (result i32)))
  (import "ramjet" "signing_hash" (func $signing_hash (param i32)))
  (import "ramjet" "spent_amount" (func $spent_amount (result i64)))
  (import "ramjet" "spent_data_len" (func $spent_data_len (result i32)))
  (import "ramjet" "spent_data_read" (func $spent_data_read (param i32 i32) (result i32)))
  (import "ramjet" "output_count" (func $output_count (result i32)))
  (import "ramjet" "output_amount" (func $output_amount (param i32) (result i64)))
  (import "ramjet" "output_data_len" (func $output_data_len (param i32) (result i32)))
  (import "ramjet" "output_data_read" (func $output_data_read (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "validate") (result i32)
    (if (i32.ne (call $input_index) (i32.const 1)) (then (return (i32.const 10))))
    (if (i32.ne (call $tx_len) (i32.const {tx_len})) (then (return (i32.const 11))))
    ;; a read past the end copies what is there: the last 4 bytes
    (if (i32.ne (call $tx_read (i32.const 0) (i32.const {tail}) (i32.const 100)) (i32.const 4))
      (then (return (i32.const 12))))
    (if (i32.ne (i32.load (i32.const 0)) (i32.const {tail_word})) (then (return (i32.const 13))))
    (drop (call $tx_read (i32.const 0) (i32.const 0) (i32.const 1)))
    (if (i32.ne (i32.load8_u (i32.const 0)) (i32.const {version})) (then (return (i32.const 14))))
    (call $signing_hash (i32.const 64))
    (if (i64.ne (i64.load (i32.const 64)) (i64.const {hash_word})) (then (return (i32.const 15))))
    (if (i64.ne (call $spent_amount) (i64.const 500)) (then (return (i32.const 16))))
    (if (i32.ne (call $spent_data_len) (i32.const 40)) (then (return (i32.const 17))))
    (if (i32.ne (call $spent_data_read (i32.const 128) (i32.const 2)) (i32.const 2))
      (then (return (i32.const 18))))
    (if (i32.ne (i32.load16_u (i32.const 128)) (i32.const 0x0909)) (then (return (i32.const 19))))
    (if (i32.ne (call $output_count) (i32.const 2)) (then (return (i32.const 20))))
    (if (i64.ne (call $output_amount (i32.const 0)) (i64.const 495)) (then (return (i32.const 21))))
    (if (i64.ne (call $output_amount (i32.const 1)) (i64.const 5)) (then (return (i32.const 22))))
    (if (i32.ne (call $output_data_len (i32.const 0)) (i32.const 3)) (then (return (i32.const 23))))
    (if (i32.ne (call $output_data_len (i32.const 1)) (i32.const 0)) (then (return (i32.const 24))))
    (if (i32.ne (call $output_data_read (i32.const 0) (i32.const 256) (i32.const 10)) (i32.const 3))
      (then (return (i32.const 25))))
    (if (i32.ne (i32.load8_u (i32.const 258)) (i32.const 5)) (then (return (i32.const 26))))
    (i32.const 1)))"#,
        tx_len = encoding.len(),
        tail = encoding.len() - 4,
        tail_word = i32::from_le_bytes(encoding[encoding.len() - 4..].try_into().unwrap()),
        version = encoding[0],
        hash_word = i64::from_le_bytes(signing_hash[..8].try_into().unwrap()),
    );
    let hash = engine.install(text.as_bytes()).unwrap();
    let spend = Spend::new(hash, Some(vec![9; 40]), Some(vec![5; 3]));
    // The contract hash is in the spent output, not in the transaction: the encoding is the
    // probe's.
    assert_eq!(spend.tx.encode(), encoding);
    let evaluation = engine.evaluate(&hash, &spend.ctx()).unwrap();
    assert_eq!(evaluation.verdict, Verdict::Accept);
    // Judging input 0 instead fails the first check.
    let ctx = SpendContext {
        input_index: 0,
        ..spend.ctx()
    };
    assert_eq!(
        engine.evaluate(&hash, &ctx).unwrap().verdict,
        Verdict::Reject(RejectReason::ReturnedFalse(10))
    );
}

#[test]
fn bad_pointers_and_indexes_in_host_calls_reject_without_harm() {
    let engine = engine();
    let cases = [
        // Destination past the end of memory (and a "negative" pointer, i.e. above 2 GiB).
        (
            "tx_read",
            "(drop (call $tx_read (i32.const 65530) (i32.const 0) (i32.const 64)))",
        ),
        (
            "tx_read",
            "(drop (call $tx_read (i32.const -16) (i32.const 0) (i32.const 8)))",
        ),
        // An offset past the end of the encoding.
        (
            "tx_read",
            "(drop (call $tx_read (i32.const 0) (i32.const 1000000) (i32.const 8)))",
        ),
        ("signing_hash", "(call $signing_hash (i32.const 65535))"),
        (
            "sha256",
            "(call $sha256 (i32.const 65000) (i32.const 1000) (i32.const 0))",
        ),
        (
            "sha256",
            "(call $sha256 (i32.const 0) (i32.const 32) (i32.const 65520))",
        ),
        (
            "output_amount",
            "(drop (call $output_amount (i32.const 2)))",
        ),
        (
            "output_amount",
            "(drop (call $output_amount (i32.const -1)))",
        ),
    ];
    for (function, call) in cases {
        let text = format!(
            r#"(module
  (import "ramjet" "tx_read" (func $tx_read (param i32 i32 i32) (result i32)))
  (import "ramjet" "signing_hash" (func $signing_hash (param i32)))
  (import "ramjet" "sha256" (func $sha256 (param i32 i32 i32)))
  (import "ramjet" "output_amount" (func $output_amount (param i32) (result i64)))
  (memory (export "memory") 1)
  (func (export "validate") (result i32) {call} (i32.const 1)))"#
        );
        let evaluation = run(&engine, &text);
        let Verdict::Reject(RejectReason::BadHostCall(message)) = &evaluation.verdict else {
            panic!("{call}: expected a bad host call, got {evaluation:?}");
        };
        assert!(message.contains(function), "{call}: {message}");
    }
}

#[test]
fn nans_are_canonical_on_every_machine() {
    // WebAssembly lets a NaN-producing operation return any NaN bit pattern; hardware differs
    // (x86's SSE gives 0/0 = 0xfff8..., the "negative" default NaN, where AArch64 gives
    // 0x7ff8...; an input NaN's payload may or may not propagate). A contract that reinterprets
    // the bits could then see different values on different nodes. With NaN canonicalisation
    // every NaN an arithmetic operation produces is the canonical pattern: 0x7ff8000000000000
    // (f64), 0x7fc00000 (f32). The zeros come from a host call, not constants, so the compiler
    // cannot fold the divisions away. `nan_bits_differ_without_canonicalisation` below shows the
    // raw hardware result differs on x86_64, so this test is not vacuous there.
    let engine = engine();
    let text = r#"(module
  (import "ramjet" "input_index" (func $input_index (result i32)))
  (memory (export "memory") 1)
  (func (export "validate") (result i32)
    (local $zero f64) (local $one f32)
    ;; input_index is 1 in these tests: zero = 1 - 1, computed at run time
    (local.set $zero (f64.convert_i32_u (i32.sub (call $input_index) (i32.const 1))))
    (local.set $one (f32.convert_i32_u (call $input_index)))
    ;; 0 / 0
    (if (i64.ne (i64.reinterpret_f64 (f64.div (local.get $zero) (local.get $zero)))
                (i64.const 0x7ff8000000000000))
      (then (return (i32.const 2))))
    ;; sqrt(-1)
    (if (i32.ne (i32.reinterpret_f32 (f32.sqrt (f32.neg (local.get $one))))
                (i32.const 0x7fc00000))
      (then (return (i32.const 3))))
    ;; a NaN with a payload, through an addition: the payload does not survive
    (if (i64.ne (i64.reinterpret_f64
                  (f64.add (f64.reinterpret_i64 (i64.const 0x7ff8000000000001)) (local.get $zero)))
                (i64.const 0x7ff8000000000000))
      (then (return (i32.const 4))))
    (i32.const 1)))"#;
    let hash = engine.install(text.as_bytes()).unwrap();
    let spend = Spend::new(hash, None, None);
    for _ in 0..3 {
        assert_eq!(
            engine.evaluate(&hash, &spend.ctx()).unwrap().verdict,
            Verdict::Accept
        );
    }
}

/// The same divisions on a plain wasmtime engine without NaN canonicalisation: on x86_64 the
/// hardware's NaN (sign bit set) comes through, unlike under the contract engine.
#[cfg(target_arch = "x86_64")]
#[test]
fn nan_bits_differ_without_canonicalisation() {
    let binary = wat::parse_str(
        r#"(module
  (func (export "div") (param f64 f64) (result i64)
    (i64.reinterpret_f64 (f64.div (local.get 0) (local.get 1)))))"#,
    )
    .unwrap();
    let engine = wasmtime::Engine::default();
    let module = wasmtime::Module::from_binary(&engine, &binary).unwrap();
    let mut store = wasmtime::Store::new(&engine, ());
    let instance = wasmtime::Instance::new(&mut store, &module, &[]).unwrap();
    let div = instance
        .get_typed_func::<(f64, f64), i64>(&mut store, "div")
        .unwrap();
    let bits = div.call(&mut store, (0.0, 0.0)).unwrap() as u64;
    assert!(f64::from_bits(bits).is_nan());
    assert_eq!(bits, 0xfff8_0000_0000_0000, "x86 default NaN");
}

#[test]
fn evaluation_is_deterministic_and_calls_do_not_share_state() {
    // A contract that counts its calls in a mutable global and in memory, and burns fuel in
    // proportion to the spent amount: each call starts from a fresh instance, so it always
    // sees zero, and the same spend always costs the same fuel.
    let text = r#"(module
  (import "ramjet" "spent_amount" (func $spent_amount (result i64)))
  (memory (export "memory") 1)
  (global $calls (mut i32) (i32.const 0))
  (func (export "validate") (result i32)
    (local $n i64)
    (local.set $n (call $spent_amount))
    (loop $burn
      (local.set $n (i64.sub (local.get $n) (i64.const 1)))
      (br_if $burn (i64.gt_s (local.get $n) (i64.const 0))))
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (i32.store (i32.const 0) (i32.add (i32.load (i32.const 0)) (i32.const 1)))
    (i32.and (i32.eq (global.get $calls) (i32.const 1))
             (i32.eq (i32.load (i32.const 0)) (i32.const 1)))))"#;
    let first = engine();
    let second = engine();
    let hash = first.install(text.as_bytes()).unwrap();
    assert_eq!(second.install(text.as_bytes()).unwrap(), hash);
    let spend = Spend::new(hash, None, None);
    let reference = first.evaluate(&hash, &spend.ctx()).unwrap();
    assert_eq!(reference.verdict, Verdict::Accept);
    for engine in [&first, &second, &first] {
        assert_eq!(engine.evaluate(&hash, &spend.ctx()).unwrap(), reference);
    }
    // Fuel follows the work: a larger spent amount loops longer.
    let mut bigger = Spend::new(hash, None, None);
    bigger.spent.amount = 5_000;
    let costlier = first.evaluate(&hash, &bigger.ctx()).unwrap();
    assert_eq!(costlier.verdict, Verdict::Accept);
    assert!(
        costlier.fuel_used > reference.fuel_used + 4_500 * 2,
        "{costlier:?} vs {reference:?}"
    );
    // Rejections are deterministic too, fuel included.
    let trap = run(
        &first,
        r#"(module (memory (export "memory") 1)
        (func (export "validate") (result i32) (loop $l (br $l)) (i32.const 0)))"#,
    );
    assert_eq!(
        trap,
        run(
            &second,
            r#"(module (memory (export "memory") 1)
        (func (export "validate") (result i32) (loop $l (br $l)) (i32.const 0)))"#
        )
    );
}

#[test]
fn the_engine_is_shared_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<ContractEngine>();
    let engine = engine();
    let hash = engine.install(HASH_LOCK.as_bytes()).unwrap();
    let preimage = b"four threads".to_vec();
    let lock = Sha256::digest(&preimage).to_vec();
    let spend = Spend::new(hash, Some(lock), Some(preimage));
    let evaluations: Vec<Evaluation> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|_| scope.spawn(|| engine.evaluate(&hash, &spend.ctx()).unwrap()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(
        evaluations
            .iter()
            .all(|e| *e == evaluations[0] && e.accepted())
    );
}

#[test]
fn limits_have_defaults_and_report_every_violation() {
    let defaults = ContractLimits::default();
    defaults.validate().unwrap();
    assert_eq!(defaults.fuel, 10_000_000);
    assert_eq!(defaults.max_memory_bytes, 1 << 20);
    assert_eq!(defaults.max_module_bytes, 64 << 10);
    let parsed: ContractLimits = serde_json::from_str(r#"{"fuel": 5000}"#).unwrap();
    assert_eq!(
        parsed,
        ContractLimits {
            fuel: 5000,
            ..ContractLimits::default()
        }
    );
    assert!(serde_json::from_str::<ContractLimits>(r#"{"fuel_limit": 1}"#).is_err());
    let bad = ContractLimits {
        fuel: 0,
        max_memory_bytes: 100_000,
        max_module_bytes: 0,
        max_table_elements: u32::MAX,
        max_stack_bytes: 1,
    };
    let Err(ContractError::InvalidLimits(violations)) = bad.validate() else {
        panic!("bad limits accepted");
    };
    assert_eq!(violations.len(), 5, "{violations:?}");
    assert!(matches!(
        ContractEngine::new(bad),
        Err(ContractError::InvalidLimits(_))
    ));
}
