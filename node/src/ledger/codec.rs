//! How the ledger's records are stored (the layouts are in `docs/storage.md`):
//!
//! - `Utxos[utxo_key(outpoint)]` = the output's canonical bytes ([`encode_output`]), the same
//!   bytes as the output inside a transaction's canonical encoding;
//! - `Transactions[tx hash]` = state code (1 byte, [`TxState::code`]) ‖ the transaction's
//!   canonical encoding;
//! - `Metadata[GENESIS_KEY]` = the genesis hash (32 bytes);
//! - `Metadata[BURNT_PREFIX ‖ asset id]` = fees burnt so far in that asset (`u128`, LE).

use crate::observe::TxState;
use crate::tx::{AssetId, Output, Transaction, TxHash};

use super::LedgerError;

/// The key, in `Metadata`, of the genesis hash the store was created with.
pub(crate) const GENESIS_KEY: &[u8] = b"ledger.genesis";
/// The prefix, in `Metadata`, of the burnt-fee totals (followed by the 32-byte asset id).
pub(crate) const BURNT_PREFIX: &[u8] = b"ledger.burnt.";

/// The canonical bytes of an output ([`Output::encode_into`]): a UTXO's stored value.
pub(crate) fn encode_output(output: &Output, out: &mut Vec<u8>) {
    output.encode_into(out);
}

/// [`encode_output`] into a new vector.
pub(crate) fn output_bytes(output: &Output) -> Vec<u8> {
    output.encode()
}

/// Decodes exactly one stored output ([`Output::decode`]); anything else is corruption.
pub(crate) fn decode_output(bytes: &[u8]) -> Result<Output, LedgerError> {
    Output::decode(bytes).map_err(|e| LedgerError::Corrupt {
        what: format!("stored output ({} bytes): {e}", bytes.len()),
    })
}

/// A transaction record: state code ‖ canonical encoding.
pub(crate) fn encode_tx_record(state: TxState, tx: &Transaction) -> Vec<u8> {
    let encoded = tx.encode();
    let mut out = Vec::with_capacity(1 + encoded.len());
    out.push(state.code());
    out.extend_from_slice(&encoded);
    out
}

/// Decodes a [`encode_tx_record`] value stored under `hash`.
pub(crate) fn decode_tx_record(
    hash: &TxHash,
    bytes: &[u8],
) -> Result<(TxState, Transaction), LedgerError> {
    let corrupt = |why: String| LedgerError::Corrupt {
        what: format!("transaction record {hash}: {why}"),
    };
    let (&code, encoded) = bytes
        .split_first()
        .ok_or_else(|| corrupt("empty".to_string()))?;
    let state =
        TxState::from_code(code).ok_or_else(|| corrupt(format!("unknown state code {code}")))?;
    let tx = Transaction::decode(encoded).map_err(|e| corrupt(e.to_string()))?;
    Ok((state, tx))
}

/// The `Metadata` key of the burnt-fee total of `asset`.
pub(crate) fn burnt_key(asset: &AssetId) -> Vec<u8> {
    let mut key = BURNT_PREFIX.to_vec();
    key.extend_from_slice(&asset.0);
    key
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::tx::{Address, ContractHash, KeyHash, MAX_OUTPUT_DATA};

    fn output() -> impl Strategy<Value = Output> {
        (
            any::<u32>(),
            any::<[u8; 32]>(),
            any::<[u8; 32]>(),
            1..=u64::MAX,
            proptest::option::of(proptest::collection::vec(any::<u8>(), 1..=MAX_OUTPUT_DATA)),
            proptest::option::of(any::<[u8; 32]>()),
        )
            .prop_map(|(chain_id, key, asset, amount, data, contract)| Output {
                address: Address {
                    chain_id,
                    key_hash: KeyHash(key),
                },
                asset: AssetId(asset),
                amount,
                data,
                contract: contract.map(ContractHash),
            })
    }

    proptest! {
        #[test]
        fn outputs_round_trip_and_other_bytes_are_refused(output in output(), cut in 0usize..80) {
            let bytes = output_bytes(&output);
            prop_assert_eq!(decode_output(&bytes).unwrap(), output);
            let cut = cut.min(bytes.len() - 1);
            prop_assert!(decode_output(&bytes[..cut]).is_err());
            let mut longer = bytes.clone();
            longer.push(0);
            prop_assert!(decode_output(&longer).is_err());
        }
    }

    #[test]
    fn tx_records_round_trip_and_bad_records_are_corrupt() {
        let tx = Transaction {
            inputs: vec![],
            outputs: vec![],
            fee: crate::tx::Fee::default(),
        };
        let hash = TxHash([1; 32]);
        let record = encode_tx_record(TxState::Accepted, &tx);
        assert_eq!(
            decode_tx_record(&hash, &record).unwrap(),
            (TxState::Accepted, tx)
        );
        let mut unknown = record.clone();
        unknown[0] = 9;
        for bad in [&[][..], &unknown[..], &record[..record.len() - 1]] {
            assert!(matches!(
                decode_tx_record(&hash, bad),
                Err(LedgerError::Corrupt { .. })
            ));
        }
    }
}
