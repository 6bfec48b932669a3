//! The simulated situations: the reference study's three cases, null cases
//! that stress the paired t-test's assumptions, and two limits of any
//! paired test. Each case turns one replication's RNG into the goodness
//! differences of a baseline run and a current run on the same seeds.

use pybench_cli::stats::{Differences, numeric};
use rand::Rng;

use crate::curve::{Curve, Noise, standard_normal};

/// Which table a case belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    /// The reference study's cases, same parameters.
    Reference,
    /// No regression, conditions that bend the t-test's assumptions.
    Null,
    /// Nothing regressed in the code, yet the runs differ in a way that no
    /// paired test can tell from a regression.
    Limit,
}

impl Group {
    /// The group's name in `--cases` and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Group::Reference => "reference",
            Group::Null => "null",
            Group::Limit => "limit",
        }
    }
}

/// A shift injected into the current run's loss (`min:` metric).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Regression {
    None,
    /// Every step's loss `+ x`.
    Global(f64),
    /// The last step's loss `+ x`.
    LastStep(f64),
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Model {
    /// One `min:loss` curve per seed and run, drawn independently for the
    /// baseline and the current run (as in the reference).
    Curves {
        steps: usize,
        seed_sigma: f64,
        shape: Noise,
        /// The current run's noise shape (the baseline's is `shape`).
        current_shape: Noise,
        phi: f64,
        /// Sd of one offset shared by every seed and step of a run.
        run_sigma: f64,
        regression: Regression,
    },
    /// Five metrics of very different scales, `steps` steps each.
    Metrics { steps: usize },
    /// The seed fixes the curve, but each run drifts away from it by a small
    /// random walk that starts at a random step (floating-point
    /// non-determinism amplified by training).
    Nondeterministic { steps: usize },
}

/// One simulated situation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Case {
    /// Name used by `--cases`, in tables and in JSON.
    pub name: &'static str,
    /// The table the case is reported in.
    pub group: Group,
    /// True when nothing regressed: its rates are false-positive rates.
    pub null: bool,
    /// Seeds per run when the case fixes them (else `--seeds`).
    pub seeds: Option<usize>,
    /// One line on what is simulated.
    pub summary: &'static str,
    model: Model,
}

const fn curves(steps: usize, seed_sigma: f64, regression: Regression) -> Model {
    Model::Curves {
        steps,
        seed_sigma,
        shape: Noise::Normal,
        current_shape: Noise::Normal,
        phi: 0.0,
        run_sigma: 0.0,
        regression,
    }
}

/// The reference study's local spike with another size: only the last of
/// `steps` steps' loss `+ x`, no per-seed offset (for the adaptive study).
pub const fn last_step_spike(
    name: &'static str,
    summary: &'static str,
    steps: usize,
    x: f64,
) -> Case {
    Case {
        name,
        group: Group::Reference,
        null: false,
        seeds: None,
        summary,
        model: curves(steps, 0.0, Regression::LastStep(x)),
    }
}

/// Every case, in report order.
pub const CASES: &[Case] = &[
    Case {
        name: "correlated-null",
        group: Group::Reference,
        null: true,
        seeds: None,
        summary: "reference case 1: no regression, 100 steps, per-seed offset N(0, 0.05) \
                  (correlated steps)",
        model: curves(100, 0.05, Regression::None),
    },
    Case {
        name: "global-shift",
        group: Group::Reference,
        null: false,
        seeds: None,
        summary: "reference case 2: every step's loss + 0.03, 100 steps",
        model: curves(100, 0.0, Regression::Global(0.03)),
    },
    Case {
        name: "local-spike",
        group: Group::Reference,
        null: false,
        seeds: None,
        summary: "reference case 3: only the last of 200 steps' loss + 0.33",
        model: curves(200, 0.0, Regression::LastStep(0.33)),
    },
    Case {
        name: "heavy-tails",
        group: Group::Null,
        null: true,
        seeds: None,
        summary: "case 1 with Student-t(3) noise (offset and steps), same sd",
        model: Model::Curves {
            steps: 100,
            seed_sigma: 0.05,
            shape: Noise::StudentT3,
            current_shape: Noise::StudentT3,
            phi: 0.0,
            run_sigma: 0.0,
            regression: Regression::None,
        },
    },
    Case {
        name: "skewed",
        group: Group::Null,
        null: true,
        seeds: None,
        summary: "case 1 with right-skewed Exp(1) − 1 noise (offset and steps), same sd",
        model: Model::Curves {
            steps: 100,
            seed_sigma: 0.05,
            shape: Noise::Skewed,
            current_shape: Noise::Skewed,
            phi: 0.0,
            run_sigma: 0.0,
            regression: Regression::None,
        },
    },
    Case {
        name: "autocorrelated",
        group: Group::Null,
        null: true,
        seeds: None,
        summary: "100 steps of AR(1) noise, φ = 0.95 between consecutive steps",
        model: Model::Curves {
            steps: 100,
            seed_sigma: 0.0,
            shape: Noise::Normal,
            current_shape: Noise::Normal,
            phi: 0.95,
            run_sigma: 0.0,
            regression: Regression::None,
        },
    },
    Case {
        name: "few-seeds",
        group: Group::Null,
        null: true,
        seeds: Some(6),
        summary: "case 1 with only 6 seeds (64 sign patterns, enumerated exactly)",
        model: curves(100, 0.05, Regression::None),
    },
    Case {
        name: "multi-metric",
        group: Group::Null,
        null: true,
        seeds: None,
        summary: "500 slots: 100 steps × 5 metrics with scales from 1e-6 to 1e6, \
                  correlated within a seed",
        model: Model::Metrics { steps: 100 },
    },
    Case {
        name: "nondeterministic",
        group: Group::Null,
        null: true,
        seeds: None,
        summary: "the same seed does not reproduce its score: each run leaves the seed's \
                  curve at a random step and drifts by a random walk (early steps identical)",
        model: Model::Nondeterministic { steps: 100 },
    },
    Case {
        name: "skew-vanishes",
        group: Group::Limit,
        null: true,
        seeds: None,
        summary: "case 1, but the baseline's noise was skewed (Exp(1) − 1: rare bad runs) \
                  and the current run's is normal: same mean, same sd",
        model: Model::Curves {
            steps: 100,
            seed_sigma: 0.05,
            shape: Noise::Skewed,
            current_shape: Noise::Normal,
            phi: 0.0,
            run_sigma: 0.0,
            regression: Regression::None,
        },
    },
    Case {
        name: "skew-appears",
        group: Group::Limit,
        null: true,
        seeds: None,
        summary: "case 1, but the current run's noise is skewed (Exp(1) − 1: rare bad runs) \
                  where the baseline's was normal: same mean, same sd",
        model: Model::Curves {
            steps: 100,
            seed_sigma: 0.05,
            shape: Noise::Normal,
            current_shape: Noise::Skewed,
            phi: 0.0,
            run_sigma: 0.0,
            regression: Regression::None,
        },
    },
    Case {
        name: "run-drift",
        group: Group::Limit,
        null: true,
        seeds: None,
        summary: "case 1 plus one offset N(0, 0.02) per run, shared by all its seeds \
                  (machine or library drift between the two runs)",
        model: Model::Curves {
            steps: 100,
            seed_sigma: 0.05,
            shape: Noise::Normal,
            current_shape: Noise::Normal,
            phi: 0.0,
            run_sigma: 0.02,
            regression: Regression::None,
        },
    },
];

/// One benchmark of the family study (`study::family`): reference case 1
/// (per-seed offset N(0, 0.05), correlated steps) on 10 steps, with every
/// step's loss `+ drop` in the current run. Not listed in [`CASES`].
pub fn family_member(drop: f64) -> Case {
    Case {
        name: "family-member",
        group: Group::Null,
        null: drop == 0.0,
        seeds: Some(12),
        summary: "reference case 1 on 10 steps, every step's loss + drop",
        model: curves(
            10,
            0.05,
            if drop == 0.0 {
                Regression::None
            } else {
                Regression::Global(drop)
            },
        ),
    }
}

/// The case named `name`.
pub fn find(name: &str) -> Option<&'static Case> {
    CASES.iter().find(|c| c.name == name)
}

impl Case {
    /// Seeds per run given the study's default.
    pub fn n_seeds(&self, default: usize) -> usize {
        self.seeds.unwrap_or(default)
    }

    /// Number of (step, metric) slots.
    pub fn n_slots(&self) -> usize {
        match self.model {
            Model::Curves { steps, .. } | Model::Nondeterministic { steps } => steps,
            Model::Metrics { steps } => steps * METRICS.len(),
        }
    }

    /// One replication: the goodness differences `current − baseline` over
    /// `n_seeds` seeds, with the baseline's goodness means.
    pub fn differences(&self, n_seeds: usize, rng: &mut impl Rng) -> Differences {
        // goodness[run][seed][slot]
        let (baseline, current) = match self.model {
            Model::Curves {
                steps,
                seed_sigma,
                shape,
                current_shape,
                phi,
                run_sigma,
                regression,
            } => {
                let steps = step_list(steps);
                let mut run = |shape: Noise, regression: Regression| {
                    let drift = run_sigma * standard_normal(rng);
                    (0..n_seeds)
                        .map(|_| {
                            let mut loss =
                                Curve::default().sample_with(rng, &steps, seed_sigma, shape, phi);
                            for (k, l) in loss.iter_mut().enumerate() {
                                *l += drift + regression.shift(k, steps.len());
                            }
                            loss.iter().map(|l| -l).collect::<Vec<f64>>()
                        })
                        .collect::<Vec<_>>()
                };
                let baseline = run(shape, Regression::None);
                let current = run(current_shape, regression);
                (baseline, current)
            }
            Model::Metrics { steps } => {
                let steps = step_list(steps);
                let baseline = (0..n_seeds).map(|_| metrics_row(&steps, rng)).collect();
                let current = (0..n_seeds).map(|_| metrics_row(&steps, rng)).collect();
                (baseline, current)
            }
            Model::Nondeterministic { steps } => {
                let steps = step_list(steps);
                let seeds: Vec<u64> = (0..n_seeds).map(|_| rng.random()).collect();
                let run = |rng: &mut _| {
                    seeds
                        .iter()
                        .map(|&seed| nondeterministic_row(seed, &steps, rng))
                        .collect::<Vec<_>>()
                };
                let baseline = run(rng);
                let current = run(rng);
                (baseline, current)
            }
        };
        let n_slots = baseline[0].len();
        let columns = (0..n_slots)
            .map(|s| {
                (0..n_seeds)
                    .map(|i| current[i][s] - baseline[i][s])
                    .collect()
            })
            .collect();
        let baseline_means = (0..n_slots)
            .map(|s| {
                let column: Vec<f64> = baseline.iter().map(|row| row[s]).collect();
                numeric::mean(&column)
            })
            .collect();
        Differences::new(n_seeds, columns, baseline_means)
            .expect("a case has at least 2 seeds and one slot")
    }
}

impl Regression {
    /// The loss shift at step index `k` of `n`.
    fn shift(self, k: usize, n: usize) -> f64 {
        match self {
            Regression::None => 0.0,
            Regression::Global(x) => x,
            Regression::LastStep(x) if k + 1 == n => x,
            Regression::LastStep(_) => 0.0,
        }
    }
}

/// Steps `1..=n`.
fn step_list(n: usize) -> Vec<i64> {
    (1..=n as i64).collect()
}

/// A metric of the multi-metric case: `lower` is true for `min:` metrics.
struct Metric {
    lower: bool,
    sd: f64,
    mean: fn(f64) -> f64,
}

/// `min:loss`, `max:accuracy`, `min:latency_ns`, `min:grad_norm`,
/// `max:reward`: typical levels from 1e-6 to 1e6.
const METRICS: [Metric; 5] = [
    Metric {
        lower: true,
        sd: 0.05,
        mean: |t| (-t / 30.0).exp() + 0.10,
    },
    Metric {
        lower: false,
        sd: 0.01,
        mean: |t| 0.55 + 0.4 * (1.0 - (-t / 30.0).exp()),
    },
    Metric {
        lower: true,
        sd: 1.2e5,
        mean: |_| 2.5e6,
    },
    Metric {
        lower: true,
        sd: 2e-7,
        mean: |t| 1e-6 * (1.0 + 9.0 * (-t / 20.0).exp()),
    },
    Metric {
        lower: false,
        sd: 15.0,
        mean: |t| -200.0 + 150.0 * (1.0 - (-t / 40.0).exp()),
    },
];

/// One seed's goodness in one run of the multi-metric case, slots sorted by
/// (step, metric). Noise `sd·(½z + ½z_m + √½·ε)`: a seed-wide draw `z`, a
/// per-metric draw `z_m`, a per-slot draw `ε` (unit variance, correlation ½
/// between steps of a metric and ¼ between metrics).
fn metrics_row(steps: &[i64], rng: &mut impl Rng) -> Vec<f64> {
    let z = standard_normal(rng);
    let z_m: Vec<f64> = METRICS.iter().map(|_| standard_normal(rng)).collect();
    let mut row = Vec::with_capacity(steps.len() * METRICS.len());
    for &step in steps {
        for (m, metric) in METRICS.iter().enumerate() {
            let e = 0.5 * z + 0.5 * z_m[m] + 0.5f64.sqrt() * standard_normal(rng);
            let value = (metric.mean)(step as f64) + metric.sd * e;
            row.push(if metric.lower { -value } else { value });
        }
    }
    row
}

/// Random-walk step of the non-reproducible drift, as a fraction of the
/// curve's noise sd.
const DRIFT_STEP: f64 = 0.05;

/// One seed's goodness (`−loss`) in one run of the non-deterministic case:
/// the seed's own curve, identical in every run up to a divergence step
/// drawn uniformly, then plus a random walk that this run alone draws.
fn nondeterministic_row(seed: u64, steps: &[i64], rng: &mut impl Rng) -> Vec<f64> {
    let curve = Curve::default();
    let reproducible = curve.sample(seed, steps, 0.05);
    let diverge = rng.random_range(0..steps.len());
    let mut walk = 0.0;
    reproducible
        .iter()
        .enumerate()
        .map(|(k, &loss)| {
            if k < diverge {
                -loss
            } else {
                walk += DRIFT_STEP * curve.noise * standard_normal(rng);
                -(loss + walk)
            }
        })
        .collect()
}
