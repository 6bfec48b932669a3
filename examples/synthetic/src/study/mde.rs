//! Calibration of the minimum detectable effect: a drop of exactly the MDE
//! in every seed of a slot, with paired differences of sd 1, must be
//! detected by the slot's own t-test (the engine's [`slot_test`]) 80% of the
//! time, at α′ = 0.05 (one benchmark) and 0.0025 (0.05/20 after a family
//! correction). Three MDE formulas are compared on the same draws:
//!
//! - pybench's: the exact noncentral-t `λ*` times the true sd `/√n`;
//! - the textbook shortcut `(t_{1−α′} + t_{0.80})·sd/√n`;
//! - pybench's formula with the sd estimated by a pilot pair of runs (what a
//!   report shows): informational, its power is spread around 0.80.

use pybench_cli::stats::mde;
use pybench_cli::stats::{numeric, slot_test};
use rayon::prelude::*;

use super::family::stream;
use crate::curve::standard_normal;

/// Seeds per run.
pub const MDE_SEEDS: usize = 12;

/// The levels α′ calibrated.
pub const LEVELS: [f64; 2] = [0.05, 0.0025];

/// The calibration's name in `--cases`, tables and JSON.
pub const NAME: &str = "mde-calibration";

/// The calibration runs this many times `--replications`: it is cheap, and
/// its target is a point (0.80), not a bound.
pub const REPLICATION_FACTOR: usize = 10;

/// An MDE formula.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Formula {
    /// pybench's: exact noncentral t, true sd.
    Exact,
    /// `t_{1−α′} + t_{0.80}`, true sd.
    Shortcut,
    /// pybench's, sd of a pilot pair of runs.
    PlugIn,
}

/// The formulas, in table order.
pub const FORMULAS: [Formula; 3] = [Formula::Exact, Formula::Shortcut, Formula::PlugIn];

impl Formula {
    /// The row label of the Markdown table.
    pub fn label(self) -> &'static str {
        match self {
            Formula::Exact => "exact noncentral t (pybench)",
            Formula::Shortcut => "shortcut t₁₋α′ + t₀.₈₀",
            Formula::PlugIn => "pybench's, sd from a pilot run (informational)",
        }
    }

    /// The key in JSON.
    pub fn key(self) -> &'static str {
        match self {
            Formula::Exact => "exact",
            Formula::Shortcut => "shortcut",
            Formula::PlugIn => "plug_in",
        }
    }

    /// Whether the formula is calibrated to 0.80 (the pilot's is not).
    pub fn calibrated(self) -> bool {
        self != Formula::PlugIn
    }
}

/// The calibration's outcome.
#[derive(Clone, Debug, PartialEq)]
pub struct MdeResult {
    /// Replications run.
    pub replications: usize,
    /// `detected[formula][level]`: replications whose t-test detected it.
    pub detected: [[usize; 2]; 3],
}

impl MdeResult {
    /// Detection rate and its standard error.
    pub fn rate(&self, formula: Formula, level: usize) -> (f64, f64) {
        let f = FORMULAS.iter().position(|&x| x == formula).unwrap();
        let p = self.detected[f][level] as f64 / self.replications as f64;
        (p, (p * (1.0 - p) / self.replications as f64).sqrt())
    }

    /// Within two standard errors of 0.80.
    pub fn on_target(&self, formula: Formula, level: usize) -> bool {
        let (p, _) = self.rate(formula, level);
        let se = (mde::POWER * (1.0 - mde::POWER) / self.replications as f64).sqrt();
        (p - mde::POWER).abs() <= 2.0 * se
    }
}

/// `λ` of pybench's formula and of the shortcut at each level: an MDE is
/// `λ·sd/√n` ([`mde::mde`] is `noncentrality(α′, n, 0.80)·sd/√n`), so `λ`
/// is solved once, not once per replication.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Lambdas {
    exact: [f64; 2],
    shortcut: [f64; 2],
}

impl Lambdas {
    /// Solve both at every level.
    pub fn new() -> Self {
        Lambdas {
            exact: LEVELS.map(|a| mde::noncentrality(a, MDE_SEEDS, mde::POWER)),
            shortcut: LEVELS.map(|a| mde::noncentrality_approx(a, MDE_SEEDS, mde::POWER)),
        }
    }
}

impl Default for Lambdas {
    fn default() -> Self {
        Self::new()
    }
}

/// The MDE of each formula at each level, given the pilot sd (true sd 1).
fn mdes(lambdas: &Lambdas, pilot_sd: f64) -> [[f64; 2]; 3] {
    let root_n = (MDE_SEEDS as f64).sqrt();
    FORMULAS.map(|formula| {
        [0, 1].map(|l| match formula {
            Formula::Exact => lambdas.exact[l] / root_n,
            Formula::Shortcut => lambdas.shortcut[l] / root_n,
            Formula::PlugIn => lambdas.exact[l] * pilot_sd / root_n,
        })
    })
}

/// Replication `r`: whether each formula's drop is detected at each level.
/// Every formula and level sees the same noise.
pub fn replicate(lambdas: &Lambdas, master_seed: u64, r: usize) -> [[bool; 2]; 3] {
    let mut rng = stream(master_seed, NAME, r);
    let noise: Vec<f64> = (0..MDE_SEEDS).map(|_| standard_normal(&mut rng)).collect();
    let pilot: Vec<f64> = (0..MDE_SEEDS).map(|_| standard_normal(&mut rng)).collect();
    let drops = mdes(lambdas, numeric::std_ddof1(&pilot));
    drops.map(|row| {
        let mut out = [false; 2];
        for (l, (&drop, &alpha)) in row.iter().zip(&LEVELS).enumerate() {
            let d: Vec<f64> = noise.iter().map(|z| z - drop).collect();
            out[l] = slot_test(&d).p < alpha;
        }
        out
    })
}

/// Run the calibration's replications in parallel; `tick` after each.
pub fn run_mde(replications: usize, master_seed: u64, tick: &(dyn Fn() + Sync)) -> MdeResult {
    let lambdas = Lambdas::new();
    let outcomes: Vec<_> = (0..replications)
        .into_par_iter()
        .map(|r| {
            let v = replicate(&lambdas, master_seed, r);
            tick();
            v
        })
        .collect();
    let mut detected = [[0; 2]; 3];
    for outcome in &outcomes {
        for (row, hits) in detected.iter_mut().zip(outcome) {
            for (count, &hit) in row.iter_mut().zip(hits) {
                *count += usize::from(hit);
            }
        }
    }
    MdeResult {
        replications,
        detected,
    }
}
