//! The Monte-Carlo study of pybench's verdict (feature `montecarlo`).
//!
//! Replays the Python pybench's comparison of four regression tests (global
//! t-test, per-step t + binomial, sign-flip on count, sign-flip on
//! severity) on simulated loss curves, and extends it to null cases that
//! bend the paired t-test's assumptions. The sign-flip tests call the
//! engine's own [`pybench_cli::stats::meta_p`].
//!
//! Replication `r` of case `c` draws everything from a ChaCha8 stream
//! seeded by the master seed and the case's name, on stream `r`: the table
//! does not depend on the number of threads, on the other cases selected,
//! or on the order in which replications finish.

pub mod adaptive;
pub mod adaptive_report;
pub mod bisect;
pub mod cases;
pub mod family;
pub mod family_report;
pub mod mde;
pub mod report;
pub mod verdicts;

use pybench_cli::stats::permutation_seed;
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

pub use cases::{CASES, Case, Group};
pub use family::{FAMILY_CASES, FamilyCase, FamilyResult};
pub use mde::MdeResult;
pub use verdicts::{TESTS, Test, TestSettings};

/// The reference study's level.
pub const ALPHA: f64 = 0.05;

/// Settings of a study.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Config {
    /// Replications per case.
    pub replications: usize,
    /// Seeds per run (cases may fix their own).
    pub seeds: usize,
    /// Sign patterns per permutation test (enumerated when `2^n` ≤ this).
    pub permutations: usize,
    /// Seed of every random draw of the study.
    pub master_seed: u64,
}

impl Default for Config {
    /// The reference study: 200 replications, 10 seeds, 800 permutations.
    fn default() -> Self {
        Config {
            replications: 200,
            seeds: 10,
            permutations: 800,
            master_seed: 1,
        }
    }
}

/// One case's outcome.
#[derive(Clone, Debug, PartialEq)]
pub struct CaseResult {
    /// The case.
    pub case: &'static Case,
    /// Seeds per run.
    pub n_seeds: usize,
    /// Replications run.
    pub replications: usize,
    /// Replications in which each test (in [`TESTS`] order) reported a
    /// regression.
    pub rejections: [usize; 4],
}

impl CaseResult {
    /// Fraction of replications in which `test` reported a regression.
    pub fn rate(&self, test: Test) -> f64 {
        self.rejections[index(test)] as f64 / self.replications as f64
    }

    /// Binomial standard error of [`CaseResult::rate`].
    pub fn standard_error(&self, test: Test) -> f64 {
        let p = self.rate(test);
        (p * (1.0 - p) / self.replications as f64).sqrt()
    }

    /// For a null case: `rate ≤ alpha + 2·√(alpha(1−alpha)/R)`, i.e. within
    /// two standard errors of a calibrated test's rate.
    pub fn calibrated(&self, test: Test) -> bool {
        self.rate(test) <= calibration_bound(self.replications)
    }
}

/// `alpha + 2·√(alpha(1−alpha)/R)`: the highest false-positive rate, over
/// `R` replications, that is within two standard errors of `alpha`.
pub fn calibration_bound(replications: usize) -> f64 {
    ALPHA + 2.0 * (ALPHA * (1.0 - ALPHA) / replications as f64).sqrt()
}

fn index(test: Test) -> usize {
    TESTS
        .iter()
        .position(|&t| t == test)
        .expect("every test is listed")
}

/// The RNG of replication `r` of `case`.
pub fn replication_rng(master_seed: u64, case: &Case, r: usize) -> ChaCha8Rng {
    stream_rng(master_seed, case.name, r)
}

/// The RNG of replication `r` of the case named `name`: ChaCha8 keyed by
/// the master seed and the name, on stream `r`.
pub fn stream_rng(master_seed: u64, name: &str, r: usize) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(permutation_seed(name, &[master_seed]));
    rng.set_stream(r as u64);
    rng
}

/// Whether each test reports a regression in replication `r` of `case`.
pub fn replicate(case: &Case, config: &Config, r: usize) -> [bool; 4] {
    let mut rng = replication_rng(config.master_seed, case, r);
    let permutation_seed = rng.next_u64();
    let diffs = case.differences(case.n_seeds(config.seeds), &mut rng);
    let settings = TestSettings {
        alpha: ALPHA,
        n_permutations: config.permutations,
    };
    verdicts::verdicts(&diffs, &settings, permutation_seed)
}

/// Run `case`'s replications in parallel; `tick` is called after each.
pub fn run_case(case: &'static Case, config: &Config, tick: &(dyn Fn() + Sync)) -> CaseResult {
    let outcomes: Vec<[bool; 4]> = (0..config.replications)
        .into_par_iter()
        .map(|r| {
            let v = replicate(case, config, r);
            tick();
            v
        })
        .collect();
    let mut rejections = [0; 4];
    for outcome in &outcomes {
        for (count, &rejected) in rejections.iter_mut().zip(outcome) {
            *count += usize::from(rejected);
        }
    }
    CaseResult {
        case,
        n_seeds: case.n_seeds(config.seeds),
        replications: config.replications,
        rejections,
    }
}

/// Run every case of `cases`, one after the other.
pub fn run(cases: &[&'static Case], config: &Config, tick: &(dyn Fn() + Sync)) -> Vec<CaseResult> {
    cases
        .iter()
        .map(|case| run_case(case, config, tick))
        .collect()
}

/// Resolve a `--cases` list: case names and group names (`reference`,
/// `null`, `limit`, `all`), comma-separated, in report order, each once.
pub fn select(list: &str) -> Result<Vec<&'static Case>, String> {
    let mut wanted = vec![false; CASES.len()];
    for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let mut any = false;
        for (w, case) in wanted.iter_mut().zip(CASES) {
            if item == "all" || item == case.name || item == case.group.name() {
                *w = true;
                any = true;
            }
        }
        if !any {
            let names: Vec<&str> = CASES.iter().map(|c| c.name).collect();
            return Err(format!(
                "unknown case {item:?}: expected all, reference, null, limit, adaptive or one of {}",
                names.join(", ")
            ));
        }
    }
    let selected: Vec<_> = CASES
        .iter()
        .zip(wanted)
        .filter_map(|(c, w)| w.then_some(c))
        .collect();
    if selected.is_empty() {
        return Err("no case selected".into());
    }
    Ok(selected)
}

/// What a `--cases` list selects: the single-benchmark cases, the family
/// cases and the MDE calibration (group `family` holds the last two).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Selection {
    /// Single-benchmark cases, in report order.
    pub cases: Vec<&'static Case>,
    /// Family cases, in report order.
    pub family: Vec<&'static FamilyCase>,
    /// Whether the MDE calibration runs.
    pub mde: bool,
}

/// Resolve a `--cases` list over every kind of case: [`select`]'s names
/// and groups, plus `family` (the family cases and `mde-calibration`) and
/// each of their names.
pub fn select_all(list: &str) -> Result<Selection, String> {
    let mut family = vec![false; FAMILY_CASES.len()];
    let mut mde = false;
    let mut single = Vec::new();
    for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let whole = item == "all" || item == "family";
        let mut known = whole || item == mde::NAME;
        mde |= known;
        for (w, case) in family.iter_mut().zip(FAMILY_CASES) {
            if whole || item == case.name {
                *w = true;
                known = true;
            }
        }
        if item == "all" || !known {
            single.push(item);
        }
    }
    let cases = if single.is_empty() {
        Vec::new()
    } else {
        select(&single.join(",")).map_err(|e| {
            let names: Vec<&str> = FAMILY_CASES.iter().map(|c| c.name).collect();
            format!("{e}; or family, {}, {}", names.join(", "), mde::NAME)
        })?
    };
    let family: Vec<_> = FAMILY_CASES
        .iter()
        .zip(family)
        .filter_map(|(c, w)| w.then_some(c))
        .collect();
    if cases.is_empty() && family.is_empty() && !mde {
        return Err("no case selected".into());
    }
    Ok(Selection { cases, family, mde })
}
