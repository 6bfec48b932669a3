//! Run-level false alarms and power of the family corrections (`none`,
//! `holm`, `bh`): 20 independent benchmarks of 12 seeds judged in one run,
//! none, one or five of them regressed.
//!
//! Each benchmark's meta-p is the engine's own ([`meta_p`] with pybench's
//! 4096 patterns, i.e. all 2^12 sign patterns, exact) and the run's verdicts
//! are the engine's [`refine::judge`], so refinement and correction are the
//! ones the CLI uses.

use pybench_cli::stats::refine::{self, Member, PermutationTest, RefineOptions};
use pybench_cli::stats::{Criterion, Family, permutation_seed};
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use super::ALPHA;
use super::cases::family_member;

/// Benchmarks judged together in one run.
pub const N_BENCHMARKS: usize = 20;

/// Seeds per benchmark.
pub const N_SEEDS: usize = 12;

/// The drop (loss `+ DROP` at every step) of a regressed benchmark: one sd
/// of a step's paired difference (√(2·(0.05² + 0.05²)) = 0.1). Alone at
/// 0.05 it FAILs ~99.7% of the time; at 0.05/20 ~80%: where corrections
/// differ.
pub const DROP: f64 = 0.1;

/// One situation of the family study.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FamilyCase {
    /// Name used by `--cases`, in tables and in JSON.
    pub name: &'static str,
    /// Benchmarks regressed (the first `drops` of the run).
    pub drops: usize,
    /// One line on what is simulated.
    pub summary: &'static str,
}

/// The family cases, in report order.
pub const FAMILY_CASES: &[FamilyCase] = &[
    FamilyCase {
        name: "family-null",
        drops: 0,
        summary: "20 independent benchmarks, none regressed",
    },
    FamilyCase {
        name: "family-one-drop",
        drops: 1,
        summary: "20 independent benchmarks, one with every step's loss + 0.1",
    },
    FamilyCase {
        name: "family-five-drops",
        drops: 5,
        summary: "20 independent benchmarks, five with every step's loss + 0.1",
    },
];

/// One family case's outcome, per method in [`Family::ALL`] order.
#[derive(Clone, Debug, PartialEq)]
pub struct FamilyResult {
    /// The case.
    pub case: &'static FamilyCase,
    /// Replications run.
    pub replications: usize,
    /// Replications with at least one FAIL.
    pub any_fail: [usize; 3],
    /// Replications with at least one FAIL of a benchmark that did not regress.
    pub any_false_fail: [usize; 3],
    /// FAILs of regressed benchmarks, summed over replications.
    pub detected: [usize; 3],
    /// False discovery proportion `V / max(R, 1)` (false FAILs over FAILs),
    /// summed over replications, and its sum of squares.
    pub false_discovery: [(f64, f64); 3],
}

impl FamilyResult {
    /// P(any FAIL) of `method`, with its binomial standard error.
    pub fn any_fail_rate(&self, method: Family) -> (f64, f64) {
        rate(self.any_fail[index(method)], self.replications)
    }

    /// P(any FAIL of a benchmark that did not regress), with its s.e.
    pub fn false_alarm_rate(&self, method: Family) -> (f64, f64) {
        rate(self.any_false_fail[index(method)], self.replications)
    }

    /// Fraction of regressed benchmarks that FAIL (power), with its s.e.
    /// (as if the regressed benchmarks' verdicts were independent).
    pub fn power(&self, method: Family) -> (f64, f64) {
        rate(
            self.detected[index(method)],
            self.replications * self.case.drops,
        )
    }

    /// The false discovery rate (mean false discovery proportion), with
    /// its standard error.
    pub fn fdr(&self, method: Family) -> (f64, f64) {
        let (sum, sum_sq) = self.false_discovery[index(method)];
        let r = self.replications as f64;
        let mean = sum / r;
        let var = (sum_sq / r - mean * mean).max(0.0);
        (mean, (var / r).sqrt())
    }

    /// P(any false FAIL) within two standard errors of ALPHA.
    pub fn controlled(&self, method: Family) -> bool {
        self.false_alarm_rate(method).0 <= super::calibration_bound(self.replications)
    }

    /// The FDR at most ALPHA plus two of its standard errors.
    pub fn fdr_controlled(&self, method: Family) -> bool {
        let (fdr, se) = self.fdr(method);
        fdr <= ALPHA + 2.0 * se
    }
}

fn rate(count: usize, total: usize) -> (f64, f64) {
    if total == 0 {
        return (f64::NAN, f64::NAN);
    }
    let p = count as f64 / total as f64;
    (p, (p * (1.0 - p) / total as f64).sqrt())
}

/// The position of `method` in [`Family::ALL`].
pub fn index(method: Family) -> usize {
    Family::ALL
        .iter()
        .position(|&m| m == method)
        .expect("every method is listed")
}

/// The RNG of replication `r` of the case named `name`.
pub fn stream(master_seed: u64, name: &str, r: usize) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(permutation_seed(name, &[master_seed]));
    rng.set_stream(r as u64);
    rng
}

/// One replication's benchmarks, each with its fast-path meta-p.
pub fn members(case: &FamilyCase, master_seed: u64, r: usize) -> Vec<Member> {
    let mut rng = stream(master_seed, case.name, r);
    (0..N_BENCHMARKS)
        .map(|b| {
            let drop = if b < case.drops { DROP } else { 0.0 };
            let rng_seed = rng.next_u64();
            let diffs = family_member(drop).differences(N_SEEDS, &mut rng);
            let criterion = Criterion::new(ALPHA, N_SEEDS, None);
            let test = PermutationTest::new(diffs, criterion, rng_seed);
            let meta = Some(test.meta_p());
            Member {
                test,
                alpha: ALPHA,
                meta,
            }
        })
        .collect()
}

/// One method's verdicts on one replication.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Outcome {
    /// At least one FAIL.
    pub any_fail: bool,
    /// At least one FAIL of a benchmark that did not regress.
    pub any_false_fail: bool,
    /// Regressed benchmarks that FAIL.
    pub detected: usize,
    /// False FAILs over FAILs (0 without FAIL).
    pub false_discovery: f64,
}

/// Per method in [`Family::ALL`] order, the replication's outcome.
pub fn replicate(case: &FamilyCase, master_seed: u64, r: usize) -> [Outcome; 3] {
    let members = members(case, master_seed, r);
    Family::ALL.map(|method| {
        let verdict = refine::judge(&members, method, &RefineOptions::default())
            .expect("valid p values and alphas");
        let failed: Vec<bool> = verdict
            .decisions
            .decisions
            .iter()
            .map(|d| d.failed)
            .collect();
        let false_fails = failed[case.drops..].iter().filter(|&&f| f).count();
        let fails = failed.iter().filter(|&&f| f).count();
        Outcome {
            any_fail: fails > 0,
            any_false_fail: false_fails > 0,
            detected: fails - false_fails,
            false_discovery: false_fails as f64 / fails.max(1) as f64,
        }
    })
}

/// Run a family case's replications in parallel; `tick` after each.
pub fn run_family(
    case: &'static FamilyCase,
    replications: usize,
    master_seed: u64,
    tick: &(dyn Fn() + Sync),
) -> FamilyResult {
    let outcomes: Vec<_> = (0..replications)
        .into_par_iter()
        .map(|r| {
            let v = replicate(case, master_seed, r);
            tick();
            v
        })
        .collect();
    let mut result = FamilyResult {
        case,
        replications,
        any_fail: [0; 3],
        any_false_fail: [0; 3],
        detected: [0; 3],
        false_discovery: [(0.0, 0.0); 3],
    };
    for outcome in &outcomes {
        for (m, o) in outcome.iter().enumerate() {
            result.any_fail[m] += usize::from(o.any_fail);
            result.any_false_fail[m] += usize::from(o.any_false_fail);
            result.detected[m] += o.detected;
            let (sum, sum_sq) = &mut result.false_discovery[m];
            *sum += o.false_discovery;
            *sum_sq += o.false_discovery * o.false_discovery;
        }
    }
    result
}

/// The family case named `name`.
pub fn find(name: &str) -> Option<&'static FamilyCase> {
    FAMILY_CASES.iter().find(|c| c.name == name)
}
