//! `ed25519_verify`: ramjet against ed25519-consensus's batch verifier and ed25519-dalek's
//! `verify_strict` one signature at a time.

use ed25519_consensus::{VerificationKeyBytes, batch};
use ramjet_accel::{Backend, SigBatch};

use super::timed;
use crate::Result;
use crate::measure::{Contender, Sample};

/// ed25519-consensus: queue every item, then one `verify` of the whole batch.
pub(crate) const CONSENSUS_BATCH: &str = "ed25519-consensus batch";

/// ed25519-dalek: `VerifyingKey::from_bytes` and `verify_strict` per item, on one thread.
pub(crate) const DALEK_STRICT_LOOP: &str = "ed25519-dalek verify_strict loop";

/// A ramjet backend verifying `batch`. Like the baselines it starts from the batch's raw bytes,
/// so key decompression and hashing are inside every timed region.
pub(crate) fn ramjet_verify<'a>(
    backend: &'a dyn Backend,
    batch: &'a SigBatch,
) -> impl FnMut() -> Result<Sample> + 'a {
    move || {
        let (elapsed, verdicts) = timed(|| backend.ed25519_verify(batch));
        let valid = verdicts?.0.iter().filter(|&&v| v).count();
        Ok(Sample {
            elapsed,
            fingerprint: summary(valid, batch.len()),
        })
    }
}

/// The two baselines over `batch`, each starting from the batch's raw bytes.
pub(crate) fn baselines(batch: &SigBatch) -> Vec<Contender<'_>> {
    let n = batch.len();
    vec![
        Contender::new(CONSENSUS_BATCH, move || {
            let (elapsed, verdict) = timed(|| {
                let mut verifier = batch::Verifier::new();
                for i in 0..n {
                    verifier.queue((
                        VerificationKeyBytes::from(*batch.key(i)),
                        ed25519_consensus::Signature::from(*batch.signature(i)),
                        batch.message(i),
                    ));
                }
                verifier.verify(rand::thread_rng())
            });
            let fingerprint = match verdict {
                Ok(()) => summary(n, n),
                Err(_) => "batch rejected".to_owned(),
            };
            Ok(Sample {
                elapsed,
                fingerprint,
            })
        }),
        Contender::new(DALEK_STRICT_LOOP, move || {
            let (elapsed, valid) = timed(|| {
                (0..n)
                    .filter(|&i| {
                        let signature = ed25519_dalek::Signature::from_bytes(batch.signature(i));
                        ed25519_dalek::VerifyingKey::from_bytes(batch.key(i)).is_ok_and(|key| {
                            key.verify_strict(batch.message(i), &signature).is_ok()
                        })
                    })
                    .count()
            });
            Ok(Sample {
                elapsed,
                fingerprint: summary(valid, n),
            })
        }),
    ]
}

/// The verdicts in a form every contender can give: ed25519-consensus's batch only says whether
/// all are valid.
fn summary(valid: usize, n: usize) -> String {
    if valid == n {
        format!("all {n} valid")
    } else {
        "batch rejected".to_owned()
    }
}
