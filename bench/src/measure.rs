//! Timing: implementations of one case run in alternation, warm-up first, and their samples are
//! summarised by median and minimum.

use std::time::Duration;

use crate::{BenchError, Result};

/// One timed run: how long the operation took, and a short description of its result, computed
/// outside the timed region, so that the implementations of a case can be checked to agree.
#[derive(Debug, Clone)]
pub struct Sample {
    /// Wall-clock time of the operation alone.
    pub elapsed: Duration,
    /// What the run produced (a root, a point, "all 1024 valid"...).
    pub fingerprint: String,
}

/// Something measured: a name and a closure that prepares its input, times the operation and
/// returns the [`Sample`].
pub struct Contender<'a> {
    /// Implementation label, as written in the results.
    pub implementation: String,
    most_repeats: Option<usize>,
    may_fail: bool,
    run: Box<dyn FnMut() -> Result<Sample> + 'a>,
}

impl<'a> Contender<'a> {
    /// A contender from its label and its timed closure.
    pub fn new(
        implementation: impl Into<String>,
        run: impl FnMut() -> Result<Sample> + 'a,
    ) -> Self {
        Self {
            implementation: implementation.into(),
            most_repeats: None,
            may_fail: false,
            run: Box::new(run),
        }
    }

    /// Takes part in at most `repeats` measured rounds (the first ones), for a contender much
    /// slower than the others.
    pub fn at_most(mut self, repeats: usize) -> Self {
        self.most_repeats = Some(repeats);
        self
    }

    /// Lets the contender fail, or change its result, without stopping the case: it is retired,
    /// and its [`Measurement::failure`] says why. For device backends, whose faults must not cost
    /// the host's measurements.
    pub fn may_fail(mut self) -> Self {
        self.may_fail = true;
        self
    }

    /// Measured rounds this contender takes part in, out of `repeats`.
    pub fn repeats(&self, repeats: usize) -> usize {
        self.most_repeats.map_or(repeats, |most| most.min(repeats))
    }
}

/// Every sample of one implementation in one case.
#[derive(Debug, Clone)]
pub struct Measurement {
    /// Implementation label.
    pub implementation: String,
    /// The measured durations, in run order.
    pub samples: Vec<Duration>,
    /// The result description of the warm-up run.
    pub fingerprint: String,
    /// Why a contender allowed to fail was retired; its samples are then incomplete.
    pub failure: Option<String>,
}

impl Measurement {
    /// Median of the samples (mean of the middle two for an even count).
    pub fn median(&self) -> Duration {
        median(&self.samples)
    }

    /// Fastest sample.
    pub fn min(&self) -> Duration {
        self.samples.iter().copied().min().unwrap_or_default()
    }
}

/// Median of `samples` (zero for none).
pub fn median(samples: &[Duration]) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    match sorted.len() {
        0 => Duration::ZERO,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2,
    }
}

/// Runs every contender `warmups` times untimed, then `repeats` measured rounds. Within a round
/// each contender runs once (unless its [`Contender::at_most`] is used up); odd rounds run them in
/// reverse order, so that a slow drift of the machine (heat, other load) weighs on all of them
/// alike.
///
/// `step` is called before each run with the contender's label and the round (`None` for
/// warm-up). Fails if a contender fails or if its results change from run to run, unless that
/// contender [`may_fail`](Contender::may_fail): then it is retired and the others go on.
pub fn alternate(
    contenders: &mut [Contender<'_>],
    warmups: usize,
    repeats: usize,
    mut step: impl FnMut(&str, Option<usize>),
) -> Result<Vec<Measurement>> {
    let mut measurements: Vec<Measurement> = contenders
        .iter()
        .map(|c| Measurement {
            implementation: c.implementation.clone(),
            samples: Vec::with_capacity(c.repeats(repeats)),
            fingerprint: String::new(),
            failure: None,
        })
        .collect();
    for _ in 0..warmups {
        for (contender, measurement) in contenders.iter_mut().zip(&mut measurements) {
            if measurement.failure.is_some() {
                continue;
            }
            step(&contender.implementation, None);
            match (contender.run)() {
                Ok(sample) => measurement.fingerprint = sample.fingerprint,
                Err(error) => retire(contender, measurement, error)?,
            }
        }
    }
    for round in 0..repeats {
        let mut order: Vec<usize> = (0..contenders.len()).collect();
        if round % 2 == 1 {
            order.reverse();
        }
        for index in order {
            let contender = &mut contenders[index];
            let measurement = &mut measurements[index];
            if measurement.failure.is_some() || round >= contender.repeats(repeats) {
                continue;
            }
            step(&contender.implementation, Some(round));
            let sample = match (contender.run)() {
                Ok(sample) => sample,
                Err(error) => {
                    retire(contender, measurement, error)?;
                    continue;
                }
            };
            if warmups > 0 && sample.fingerprint != measurement.fingerprint {
                let unstable = BenchError::Unstable {
                    implementation: contender.implementation.clone(),
                    now: sample.fingerprint,
                    before: measurement.fingerprint.clone(),
                };
                retire(contender, measurement, unstable)?;
                continue;
            }
            measurement.fingerprint = sample.fingerprint;
            measurement.samples.push(sample.elapsed);
        }
    }
    Ok(measurements)
}

/// Records `error` as the end of a contender that may fail; passes it on otherwise.
fn retire(
    contender: &Contender<'_>,
    measurement: &mut Measurement,
    error: BenchError,
) -> Result<()> {
    if !contender.may_fail {
        return Err(error);
    }
    measurement.failure = Some(error.to_string());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[ms(5), ms(1), ms(3)]), ms(3));
        assert_eq!(
            median(&[ms(4), ms(1), ms(3), ms(2)]),
            Duration::from_micros(2500)
        );
        assert_eq!(median(&[]), Duration::ZERO);
    }

    #[test]
    fn rounds_alternate_and_reverse() {
        let log = std::cell::RefCell::new(Vec::new());
        let mut contenders: Vec<Contender<'_>> = ["a", "b"]
            .into_iter()
            .map(|name| {
                let log = &log;
                Contender::new(name, move || {
                    log.borrow_mut().push(name);
                    Ok(Sample {
                        elapsed: ms(1),
                        fingerprint: "same".into(),
                    })
                })
            })
            .collect();
        let measured = alternate(&mut contenders, 1, 3, |_, _| {}).unwrap();
        drop(contenders);
        assert_eq!(log.into_inner(), ["a", "b", "a", "b", "b", "a", "a", "b"]);
        assert!(measured.iter().all(|m| m.samples.len() == 3));
        assert_eq!(measured[1].min(), ms(1));
    }

    #[test]
    fn a_changing_result_is_an_error() {
        let mut calls = 0;
        let mut contenders = [Contender::new("flaky", move || {
            calls += 1;
            Ok(Sample {
                elapsed: ms(1),
                fingerprint: calls.to_string(),
            })
        })];
        assert!(alternate(&mut contenders, 1, 2, |_, _| {}).is_err());
    }

    #[test]
    fn a_capped_contender_runs_only_its_first_rounds() {
        let runs = std::cell::Cell::new(0);
        let mut contenders = [
            Contender::new("full", || {
                Ok(Sample {
                    elapsed: ms(2),
                    fingerprint: "x".into(),
                })
            }),
            Contender::new("capped", || {
                runs.set(runs.get() + 1);
                Ok(Sample {
                    elapsed: ms(1),
                    fingerprint: "x".into(),
                })
            })
            .at_most(2),
        ];
        let mut steps = Vec::new();
        let measured = alternate(&mut contenders, 1, 5, |name, round| {
            steps.push((name.to_owned(), round));
        })
        .unwrap();
        drop(contenders);
        assert_eq!(runs.get(), 1 + 2);
        assert_eq!(measured[0].samples.len(), 5);
        assert_eq!(measured[1].samples.len(), 2);
        assert_eq!(steps.len(), 2 + 5 + 2);
        assert!(!steps.contains(&("capped".to_owned(), Some(2))));
    }

    #[test]
    fn a_contender_that_may_fail_is_retired_and_the_others_go_on() {
        let mut calls = 0;
        let mut contenders = [
            Contender::new("steady", || {
                Ok(Sample {
                    elapsed: ms(1),
                    fingerprint: "x".into(),
                })
            }),
            Contender::new("device", move || {
                calls += 1;
                if calls > 2 {
                    return Err(BenchError::Accel(ramjet_accel::AccelError::DeviceLost {
                        backend: "test".into(),
                        reason: "unplugged".into(),
                    }));
                }
                Ok(Sample {
                    elapsed: ms(1),
                    fingerprint: "x".into(),
                })
            })
            .may_fail(),
        ];
        let measured = alternate(&mut contenders, 1, 4, |_, _| {}).unwrap();
        assert_eq!(measured[0].samples.len(), 4);
        assert_eq!(measured[0].failure, None);
        assert_eq!(measured[1].samples.len(), 1);
        assert!(
            measured[1]
                .failure
                .as_deref()
                .unwrap()
                .contains("unplugged")
        );
    }

    #[test]
    fn a_changing_result_retires_a_contender_that_may_fail() {
        let mut calls = 0;
        let mut contenders = [Contender::new("flaky device", move || {
            calls += 1;
            Ok(Sample {
                elapsed: ms(1),
                fingerprint: calls.to_string(),
            })
        })
        .may_fail()];
        let measured = alternate(&mut contenders, 1, 3, |_, _| {}).unwrap();
        assert!(measured[0].samples.is_empty());
        assert!(
            measured[0]
                .failure
                .as_deref()
                .unwrap()
                .contains("flaky device")
        );
    }
}
