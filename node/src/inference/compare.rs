//! `ramjet infer compare`: the majority check of proof of inference. Several provers ran the same
//! model on the same input and each published a proof directory; which proofs verify, and does
//! a majority of them stand behind one output?
//!
//! The rules, in order:
//! 1. each proof is checked as `ramjet infer verify` checks it, against the one key directory
//!    (and `--model` / `--input` when given): it verifies or it is rejected, with the reason;
//! 2. a proof whose bytes repeat an earlier one's is a duplicate: a copy is not a second prover,
//!    so it is reported and not counted;
//! 3. the input compared on is `--input`'s (a proof about another input was already rejected by
//!    rule 1) or, without it, the input most verified proofs are about (the earliest such on a
//!    tie); a verified proof about another input is reported as such and not counted;
//! 4. the proofs left are grouped by proved output (by its hash, when the output is hashed:
//!    equal hashes are equal outputs). The **majority** is the output of the
//!    largest group if that group holds more than half of all the proofs given, duplicates and
//!    rejected ones included: a proof that does not verify counts against agreement, never for
//!    it.
//!
//! A valid proof's output is the model's output (soundness), so two verified proofs about the
//! same input cannot disagree unless the keys are broken; what the check finds in practice is
//! proofs that do not verify, copies, and answers about another input.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{Expect, ProofSystem, Section, verify};
use crate::Result;

/// What became of one proof directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ClaimStatus {
    /// The proof verifies and is about the compared input; `agrees` when its output is the
    /// majority's.
    Counted {
        /// The proved output (at `2^scale`), or its hash.
        output: Section,
        /// The index of the largest output.
        class: Option<usize>,
        /// Whether the output is the majority's.
        agrees: bool,
    },
    /// The proof does not verify.
    Rejected {
        /// Why, as `ramjet infer verify` says it.
        reason: String,
    },
    /// The proof's bytes are those of an earlier proof.
    Duplicate {
        /// The earlier proof directory.
        of: PathBuf,
    },
    /// The proof verifies, but about another input than the compared one.
    OtherInput {
        /// The proved output, or its hash.
        output: Section,
    },
}

/// One proof directory and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Claim {
    /// The proof directory.
    pub dir: PathBuf,
    /// The verdict.
    #[serde(flatten)]
    pub status: ClaimStatus,
}

/// The majority check's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Comparison {
    /// The model's id, from the key directory.
    pub model_id: String,
    /// Proofs given.
    pub proofs: usize,
    /// Proofs that verify (duplicates and other inputs included).
    pub verified: usize,
    /// The input compared on (quantised, or its hash), if any proof verified.
    pub input: Option<Section>,
    /// The output (or its hash) more than half of the proofs given agree on, if there is one.
    pub majority: Option<Section>,
    /// Its class.
    pub majority_class: Option<usize>,
    /// Proofs counted for the largest group's output.
    pub agreeing: usize,
    /// Every proof, in the order given.
    pub claims: Vec<Claim>,
}

impl Comparison {
    /// Whether a majority of the proofs given verify and agree on one output.
    pub fn agreed(&self) -> bool {
        self.majority.is_some()
    }

    /// Writes the result as JSON.
    pub fn write(&self, path: &Path) -> Result<()> {
        crate::rollup::write_json(path, self)
    }
}

/// `ramjet infer compare`: checks every proof directory in `dirs` (each with `proof.bin` and
/// `public.json`) against the key directory `keys`, and finds the majority (see the module
/// documentation for the rules).
pub fn compare(
    keys: &Path,
    system: ProofSystem,
    dirs: &[PathBuf],
    model: Option<&Path>,
    input: Option<&Path>,
) -> Result<Comparison> {
    let mut model_id = None;
    // (dir, verified input, output) of each verifying, distinct proof; statuses by position.
    let mut statuses: Vec<Option<ClaimStatus>> = Vec::with_capacity(dirs.len());
    let mut verified = Vec::new();
    let mut seen: HashMap<Vec<u8>, PathBuf> = HashMap::new();
    for (position, dir) in dirs.iter().enumerate() {
        let (proof, public) = (dir.join("proof.bin"), dir.join("public.json"));
        let expect = Expect {
            model,
            input,
            reveal: None,
        };
        match verify(keys, system, &proof, &public, expect) {
            Err(e) => statuses.push(Some(ClaimStatus::Rejected {
                reason: e.to_string(),
            })),
            Ok(ok) => {
                model_id.get_or_insert(ok.info.model_id.clone());
                // It verified, so it was read.
                let bytes = std::fs::read(&proof).unwrap_or_default();
                if let Some(first) = seen.get(&bytes) {
                    statuses.push(Some(ClaimStatus::Duplicate { of: first.clone() }));
                    continue;
                }
                seen.insert(bytes, dir.clone());
                statuses.push(None);
                verified.push((position, ok.input, ok.output));
            }
        }
    }
    let distinct_verified = verified.len();
    let duplicates = statuses
        .iter()
        .filter(|s| matches!(s, Some(ClaimStatus::Duplicate { .. })))
        .count();

    let compared_input = most_common(verified.iter().map(|(_, input, _)| input));
    let on_input: Vec<&(usize, Section, Section)> = verified
        .iter()
        .filter(|(_, input, _)| Some(input) == compared_input.as_ref())
        .collect();
    let largest = most_common(on_input.iter().map(|(_, _, output)| output));
    let agreeing = on_input
        .iter()
        .filter(|(_, _, output)| Some(output) == largest.as_ref())
        .count();
    let majority = largest.filter(|_| 2 * agreeing > dirs.len());
    for (position, proved_input, output) in verified {
        statuses[position] = Some(if Some(&proved_input) == compared_input.as_ref() {
            ClaimStatus::Counted {
                class: output.class(),
                agrees: Some(&output) == majority.as_ref(),
                output,
            }
        } else {
            ClaimStatus::OtherInput { output }
        });
    }
    let model_id = match model_id {
        Some(id) => id,
        None => super::read_info(keys, system)?.model_id,
    };
    Ok(Comparison {
        model_id,
        proofs: dirs.len(),
        verified: distinct_verified + duplicates,
        input: compared_input,
        majority_class: majority.as_ref().and_then(Section::class),
        majority,
        agreeing,
        claims: dirs
            .iter()
            .zip(statuses)
            .map(|(dir, status)| Claim {
                dir: dir.clone(),
                status: status.expect("every proof has a status"),
            })
            .collect(),
    })
}

/// The value occurring most often, the earliest of the most frequent on a tie; `None` if there
/// are none.
fn most_common<'a, T: PartialEq + Clone + 'a>(values: impl Iterator<Item = &'a T>) -> Option<T> {
    let mut counts: Vec<(&T, usize)> = Vec::new();
    for value in values {
        match counts.iter_mut().find(|(v, _)| *v == value) {
            Some((_, n)) => *n += 1,
            None => counts.push((value, 1)),
        }
    }
    let best = counts.iter().map(|(_, n)| *n).max()?;
    counts
        .into_iter()
        .find(|(_, n)| *n == best)
        .map(|(v, _)| v.clone())
}

#[cfg(test)]
mod tests {
    use super::most_common;

    #[test]
    fn the_most_common_value_wins_and_the_earliest_breaks_a_tie() {
        assert_eq!(most_common([1, 2, 2, 3].iter()), Some(2));
        assert_eq!(most_common([3, 1, 1, 3].iter()), Some(3));
        assert_eq!(most_common([7].iter()), Some(7));
        assert_eq!(most_common(std::iter::empty::<&i32>()), None);
    }
}
