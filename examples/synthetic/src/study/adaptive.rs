//! The adaptive-seeds study (group `adaptive`): false-alarm rate, power and
//! seeds run of pybench's sequential check (`stats::sequential`, default
//! plan: looks at 10/20/30 of 30 seeds, HSD(γ = −2) spending, futility
//! bounds 0 and 0.5) against the fixed 30-seed design and against the
//! naive "test at alpha at every look".
//!
//! Every method judges the same data with the same sign vectors (drawn
//! once per replication over 30 seeds; a look uses their prefixes), so
//! their differences are the methods', not sampling noise between them.

use pybench_cli::stats::sequential::{judge_sequential_with_seed, prefix};
use pybench_cli::stats::{
    Criterion, Differences, PermutationOptions, SequentialPlan, Statistic, meta_p, numeric,
};
use rand::{Rng, RngCore};
use rayon::prelude::*;
use statrs::distribution::{ContinuousCDF, StudentsT};

use super::cases::{self, Case};
use super::{ALPHA, calibration_bound, stream_rng};
use crate::curve::standard_normal;

/// Seeds per run: the fixed design's, and the last look's.
pub const SEEDS: usize = 30;

/// The looks of the default plan for 30 seeds.
pub const LOOKS: [usize; 3] = [10, 20, 30];

/// What one replication simulates.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Model {
    /// One slot, `d ~ N(−drop·MDE, 1)`: baseline and current each
    /// `10 + N(0, ½)` per seed, the current shifted down.
    Single { drop_in_mdes: f64 },
    /// A case of the four-test study, at 30 seeds.
    Curves(&'static Case),
}

/// One adaptive case.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdaptiveCase {
    /// Name used by `--cases`, in tables and in JSON.
    pub name: &'static str,
    /// True when nothing regressed: its rates are false-alarm rates.
    pub null: bool,
    /// One line on what is simulated.
    pub summary: &'static str,
    /// The data.
    pub model: Model,
}

const LOCAL_SPIKE: Case = cases::last_step_spike(
    "adaptive-local-spike",
    "only the last of 200 steps' loss + 0.1",
    200,
    0.1,
);

/// Every adaptive case, in report order.
pub const ADAPTIVE_CASES: &[AdaptiveCase] = &[
    AdaptiveCase {
        name: "adaptive-null",
        null: true,
        summary: "one slot, no change: d ~ N(0, 1)",
        model: Model::Single { drop_in_mdes: 0.0 },
    },
    AdaptiveCase {
        name: "adaptive-mde",
        null: false,
        summary: "one slot, a drop of the fixed design's 80 %-power MDE, \
                  (t₀.₉₅,₂₉ + t₀.₈₀,₂₉)/√30 = 0.466 sd of d",
        model: Model::Single { drop_in_mdes: 1.0 },
    },
    AdaptiveCase {
        name: "adaptive-large",
        null: false,
        summary: "one slot, a drop of twice the MDE (0.932 sd of d)",
        model: Model::Single { drop_in_mdes: 2.0 },
    },
    AdaptiveCase {
        name: "adaptive-correlated-null",
        null: true,
        summary: "the reference correlated null (100 steps, per-seed offset) at 30 seeds",
        model: Model::Curves(&cases::CASES[0]),
    },
    AdaptiveCase {
        name: "adaptive-local-spike",
        null: false,
        summary: "200 steps, only the last step's loss + 0.1 (d's sd there is 0.071)",
        model: Model::Curves(&LOCAL_SPIKE),
    },
];

/// The methods compared, in table order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// All 30 seeds, `meta_p < alpha` (today's check).
    Fixed,
    /// The default sequential plan.
    Adaptive,
    /// The default plan without futility stops.
    AdaptiveNoFutility,
    /// `meta_p < alpha` of each look's prefix, FAIL at the first that is.
    Naive,
}

/// All four, in table order.
pub const METHODS: [Method; 4] = [
    Method::Fixed,
    Method::Adaptive,
    Method::AdaptiveNoFutility,
    Method::Naive,
];

impl Method {
    /// The row label of the Markdown table.
    pub fn label(self) -> &'static str {
        match self {
            Method::Fixed => "fixed 30 seeds",
            Method::Adaptive => "adaptive 10/20/30 (pybench)",
            Method::AdaptiveNoFutility => "adaptive, no futility stop",
            Method::Naive => "naive: alpha at every look",
        }
    }

    /// The key in JSON.
    pub fn key(self) -> &'static str {
        match self {
            Method::Fixed => "fixed",
            Method::Adaptive => "adaptive",
            Method::AdaptiveNoFutility => "adaptive_no_futility",
            Method::Naive => "naive",
        }
    }
}

/// Settings of the adaptive study.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdaptiveConfig {
    /// Replications per case.
    pub replications: usize,
    /// Sign vectors drawn per test (`2^30` is never enumerated).
    pub permutations: usize,
    /// Seed of every random draw.
    pub master_seed: u64,
}

/// One method's verdict and seeds run in one replication.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Run {
    /// The method reported a regression.
    pub fail: bool,
    /// Seeds it had to run.
    pub seeds: usize,
}

/// One case's outcome.
#[derive(Clone, Debug, PartialEq)]
pub struct AdaptiveResult {
    /// The case.
    pub case: &'static AdaptiveCase,
    /// Replications run.
    pub replications: usize,
    /// Per method (in [`METHODS`] order): replications that FAILed.
    pub fails: [usize; 4],
    /// Per method: seeds run, summed over replications.
    pub seeds: [usize; 4],
    /// Per method: replications that stopped at each look.
    pub stops: [[usize; 3]; 4],
}

impl AdaptiveResult {
    /// FAIL rate of `method`.
    pub fn rate(&self, method: Method) -> f64 {
        self.fails[index(method)] as f64 / self.replications as f64
    }

    /// Binomial standard error of [`AdaptiveResult::rate`].
    pub fn standard_error(&self, method: Method) -> f64 {
        let p = self.rate(method);
        (p * (1.0 - p) / self.replications as f64).sqrt()
    }

    /// Mean seeds run by `method`.
    pub fn mean_seeds(&self, method: Method) -> f64 {
        self.seeds[index(method)] as f64 / self.replications as f64
    }

    /// For a null case: the FAIL rate is within `alpha + 2 SE`.
    pub fn calibrated(&self, method: Method) -> bool {
        self.rate(method) <= calibration_bound(self.replications)
    }
}

fn index(method: Method) -> usize {
    METHODS
        .iter()
        .position(|&m| m == method)
        .expect("every method is listed")
}

/// The fixed design's 80 %-power minimum detectable drop with `n` seeds,
/// in sds of `d`: `(t_{0.95,n−1} + t_{0.80,n−1})/√n`.
pub fn mde(n: usize) -> f64 {
    let t = StudentsT::new(0.0, 1.0, n as f64 - 1.0).expect("n ≥ 2");
    (t.inverse_cdf(0.95) + t.inverse_cdf(0.80)) / (n as f64).sqrt()
}

impl AdaptiveCase {
    /// One replication's differences over 30 seeds.
    pub fn differences(&self, rng: &mut impl Rng) -> Differences {
        match self.model {
            Model::Curves(case) => case.differences(SEEDS, rng),
            Model::Single { drop_in_mdes } => {
                let drop = drop_in_mdes * mde(SEEDS);
                let half = 0.5f64.sqrt();
                let base: Vec<f64> = (0..SEEDS)
                    .map(|_| 10.0 + half * standard_normal(rng))
                    .collect();
                let d = base
                    .iter()
                    .map(|b| 10.0 + half * standard_normal(rng) - drop - b)
                    .collect();
                Differences::new(SEEDS, vec![d], vec![numeric::mean(&base)])
                    .expect("30 seeds, one slot")
            }
        }
    }
}

/// Every method's verdict on replication `r` of `case`.
pub fn replicate(case: &AdaptiveCase, config: &AdaptiveConfig, r: usize) -> [Run; 4] {
    let mut rng = stream_rng(config.master_seed, case.name, r);
    let rng_seed = rng.next_u64();
    let diffs = case.differences(&mut rng);
    let fixed_p = |d: &Differences| {
        let options = PermutationOptions {
            statistic: Statistic::Severity,
            n_permutations: config.permutations,
            rng_seed,
        };
        meta_p(d, &Criterion::new(ALPHA, d.n_seeds(), None), &options).p
    };
    let fixed = Run {
        fail: fixed_p(&diffs) < ALPHA,
        seeds: SEEDS,
    };
    let sequential = |futility: bool| {
        let mut plan = SequentialPlan::with_looks(LOOKS.to_vec(), ALPHA);
        plan.n_permutations = config.permutations;
        if !futility {
            plan.futility = None;
        }
        let o = judge_sequential_with_seed(&diffs, plan, rng_seed).expect("a valid plan");
        Run {
            fail: !o.passed(),
            seeds: o.seeds_run,
        }
    };
    // Today's check on each look's prefix (enumerated when 2^n is at most
    // `permutations`; drawn vectors over n ≤ 64 seeds are the prefixes of
    // the 30-seed ones, so the naive looks see the sequential check's).
    let naive = LOOKS
        .iter()
        .find(|&&n| fixed_p(&prefix(&diffs, n).expect("n ≤ 30")) < ALPHA)
        .map_or(
            Run {
                fail: false,
                seeds: SEEDS,
            },
            |&n| Run {
                fail: true,
                seeds: n,
            },
        );
    [fixed, sequential(true), sequential(false), naive]
}

/// Run `case`'s replications in parallel; `tick` is called after each.
pub fn run_case(
    case: &'static AdaptiveCase,
    config: &AdaptiveConfig,
    tick: &(dyn Fn() + Sync),
) -> AdaptiveResult {
    let runs: Vec<[Run; 4]> = (0..config.replications)
        .into_par_iter()
        .map(|r| {
            let v = replicate(case, config, r);
            tick();
            v
        })
        .collect();
    let mut result = AdaptiveResult {
        case,
        replications: config.replications,
        fails: [0; 4],
        seeds: [0; 4],
        stops: [[0; 3]; 4],
    };
    for runs in &runs {
        for (m, run) in runs.iter().enumerate() {
            result.fails[m] += usize::from(run.fail);
            result.seeds[m] += run.seeds;
            let look = LOOKS.iter().position(|&n| n == run.seeds).expect("a look");
            result.stops[m][look] += 1;
        }
    }
    result
}

/// Run every case of `cases`, one after the other.
pub fn run(
    cases: &[&'static AdaptiveCase],
    config: &AdaptiveConfig,
    tick: &(dyn Fn() + Sync),
) -> Vec<AdaptiveResult> {
    cases.iter().map(|c| run_case(c, config, tick)).collect()
}

/// The adaptive case named `name`.
pub fn find(name: &str) -> Option<&'static AdaptiveCase> {
    ADAPTIVE_CASES.iter().find(|c| c.name == name)
}

/// Whether `item` of a `--cases` list names the adaptive group or one of
/// its cases.
pub fn is_adaptive(item: &str) -> bool {
    item == "adaptive" || find(item).is_some()
}
