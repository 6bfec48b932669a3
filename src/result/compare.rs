//! The result model of `pybench compare A B`: each benchmark of run B
//! judged against run A, paired or unpaired.

use serde::Serialize;

use super::SlotVerdict;

/// The verdict on one benchmark of B against A.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Regressed,
    Improved,
    Unchanged,
    Error,
}

impl Verdict {
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Regressed => "REGRESSED",
            Verdict::Improved => "IMPROVED",
            Verdict::Unchanged => "UNCHANGED",
            Verdict::Error => "ERROR",
        }
    }
}

/// One slot of a comparison.
#[derive(Clone, Debug, Serialize)]
pub struct SlotDiff {
    pub step: i64,
    pub metric: String,
    pub a_mean: f64,
    pub a_std: f64,
    pub b_mean: f64,
    pub b_std: f64,
    /// Relative goodness change of B against A.
    pub effect: f64,
    /// One-sided p that B is worse (paired t, or Welch t when unpaired).
    pub p: f64,
    pub verdict: SlotVerdict,
}

/// One benchmark's comparison.
#[derive(Clone, Debug, Serialize)]
pub struct BenchDiff {
    pub name: String,
    pub verdict: Verdict,
    pub paired: bool,
    pub n_seeds_a: usize,
    pub n_seeds_b: usize,
    pub alpha: f64,
    pub min_effect: Option<f64>,
    pub meta_p: Option<f64>,
    pub improvement_meta_p: Option<f64>,
    pub severity: Option<f64>,
    pub error: Option<String>,
    pub slots: Vec<SlotDiff>,
}

impl BenchDiff {
    /// How many of its slots have `verdict`.
    pub fn count(&self, verdict: SlotVerdict) -> usize {
        self.slots.iter().filter(|s| s.verdict == verdict).count()
    }
}

/// The comparison of two runs.
#[derive(Clone, Debug, Serialize)]
pub struct CompareReport {
    pub schema_version: u32,
    pub kind: &'static str,
    pub pybench_version: &'static str,
    pub a: String,
    pub b: String,
    pub benchmarks: Vec<BenchDiff>,
    pub only_in_a: Vec<String>,
    pub only_in_b: Vec<String>,
}

impl CompareReport {
    /// How many benchmarks have `verdict`.
    pub fn count(&self, verdict: Verdict) -> usize {
        self.benchmarks
            .iter()
            .filter(|d| d.verdict == verdict)
            .count()
    }
}
