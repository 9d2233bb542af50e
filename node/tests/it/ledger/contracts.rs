//! Contract outputs: the spend validator hook, and the wasmtime engine deciding spends.

use super::*;

/// Allows spends whose transaction pays at least `min` coins to output 0, refuses others,
/// and does not know the contract [`UNKNOWN`].
struct MinimumPayment {
    min: u64,
}

const UNKNOWN: ContractHash = ContractHash([0xdd; 32]);

impl SpendValidator for MinimumPayment {
    fn check_spend(&self, spent: &Output, tx: &Transaction, input_index: usize) -> SpendCheck {
        assert_eq!(
            tx.inputs[input_index].owner_key_hash(),
            spent.address.key_hash
        );
        if spent.contract == Some(UNKNOWN) {
            SpendCheck::Unavailable
        } else if tx.outputs[0].amount >= self.min {
            SpendCheck::Valid
        } else {
            SpendCheck::Invalid(format!("pays less than {}", self.min))
        }
    }
}

#[test]
fn contract_outputs_need_the_spend_validator() {
    let mut genesis = genesis(3);
    genesis.outputs[0].contract = Some(ContractHash([0xcc; 32]));
    genesis.outputs[1].contract = Some(ContractHash([0xcc; 32]));
    genesis.outputs[2].contract = Some(UNKNOWN);
    let (mut ledger, _) = open_memory(&genesis, config());
    let cheap = pay(genesis.outpoint(0), &key(0), 1_000_000, &key(1), 10, 0);
    let events = verify_one(&mut ledger, &cheap);
    match &events[..] {
        [
            LedgerEvent::Rejected {
                reason: RejectReason::Contract { input: 0, reason },
                ..
            },
        ] => assert!(reason.contains("no contract engine"), "{reason}"),
        other => panic!("{other:?}"),
    }
    ledger.set_spend_validator(Arc::new(MinimumPayment { min: 100 }));
    let cheap = pay(genesis.outpoint(0), &key(0), 1_000_000, &key(1), 11, 0);
    assert_eq!(
        verify_one(&mut ledger, &cheap),
        vec![rejected(
            &cheap,
            RejectReason::Contract {
                input: 0,
                reason: "pays less than 100".to_string()
            }
        )]
    );
    let generous = pay(genesis.outpoint(1), &key(1), 1_000_000, &key(0), 100, 0);
    assert_eq!(
        verify_one(&mut ledger, &generous),
        vec![LedgerEvent::Pending {
            tx: generous.hash()
        }]
    );
    // Unknown code: held (once), retried, and expired.
    let unknown = pay(genesis.outpoint(2), &key(2), 1_000_000, &key(0), 100, 0);
    assert_eq!(
        verify_one(&mut ledger, &unknown),
        vec![LedgerEvent::Held {
            tx: unknown.hash(),
            missing: genesis.outpoint(2)
        }]
    );
    assert_eq!(
        ledger.tick(405).unwrap(),
        vec![LedgerEvent::Accepted {
            tx: generous.hash()
        }]
    );
    assert_eq!(
        ledger.tick(5_005).unwrap(),
        vec![rejected(
            &unknown,
            RejectReason::HoldTimeout {
                missing: genesis.outpoint(2)
            }
        )]
    );
}

/// The ledger with the wasmtime engine as its spend validator: a hash-locked output is spent
/// with its preimage and not without; a contract that loops forever makes its spender invalid
/// and the ledger goes on; code the engine does not have holds the spender.
#[test]
fn contracts_run_by_wasmtime_decide_spends_in_the_ledger() {
    use ramjet_node::contract::{ContractEngine, ContractLimits};
    use sha2::{Digest, Sha256};

    let engine = ContractEngine::new(ContractLimits::default()).unwrap();
    let lock = engine
        .install(crate::contract::HASH_LOCK.as_bytes())
        .unwrap();
    let spin = engine
        .install(
            br#"(module (memory (export "memory") 1)
                 (func (export "validate") (result i32) (loop $l (br $l)) (i32.const 1)))"#,
        )
        .unwrap();
    let preimage = b"open sesame".to_vec();
    let mut genesis = genesis(4);
    for (index, contract) in [(0, lock), (1, lock), (2, spin), (3, UNKNOWN)] {
        genesis.outputs[index].contract = Some(contract);
        genesis.outputs[index].data = Some(Sha256::digest(&preimage).to_vec());
    }
    let (mut ledger, _) = open_memory(&genesis, config());
    ledger.set_spend_validator(Arc::new(engine));

    let opening = |spent: u32, owner: u8, data: &[u8]| {
        let mut to = coins(&key(9), 1_000_000);
        to.data = Some(data.to_vec());
        Transaction::build_signed(&[(genesis.outpoint(spent), &key(owner))], vec![to], fee(0))
    };
    let right = opening(0, 0, &preimage);
    let wrong = opening(1, 1, b"open sesame!");
    let looping = opening(2, 2, &preimage);
    let unknown = opening(3, 3, &preimage);
    for tx in [&right, &wrong, &looping, &unknown] {
        submit(&mut ledger, tx, 0);
    }
    let events = ledger.tick(5).unwrap();
    let reason_of = |tx: &Transaction| {
        events.iter().find_map(|event| match event {
            LedgerEvent::Rejected {
                tx: hash,
                reason: RejectReason::Contract { input: 0, reason },
            } if *hash == tx.hash() => Some(reason.clone()),
            _ => None,
        })
    };
    assert!(
        events.contains(&LedgerEvent::Pending { tx: right.hash() }),
        "{events:?}"
    );
    let wrong_reason = reason_of(&wrong).expect("wrong preimage rejected");
    assert!(wrong_reason.contains("ReturnedFalse(0)"), "{wrong_reason}");
    let loop_reason = reason_of(&looping).expect("endless contract rejected");
    assert!(loop_reason.contains("OutOfFuel"), "{loop_reason}");
    assert!(
        events.contains(&LedgerEvent::Held {
            tx: unknown.hash(),
            missing: genesis.outpoint(3)
        }),
        "{events:?}"
    );
    assert_eq!(
        run_until(&mut ledger, 5, 405),
        vec![LedgerEvent::Accepted { tx: right.hash() }]
    );
    assert_eq!(ledger.state(&right.hash()), Some(TxState::Accepted));
    assert_eq!(ledger.supply().unwrap(), genesis.supply());
}
