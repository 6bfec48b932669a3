//! The result model: what pybench found about each benchmark, and the rules
//! that read it (its status, each slot's verdict, "improved"). The
//! exporters in `report` see nothing else.

pub mod compare;

use serde::{Deserialize, Serialize};

use crate::scores::ScoreTable;
use crate::stats::{Comparison, Family, Mde, Mirror, SequentialOutcome, SlotResult};
use crate::store::fingerprint::{Environment, StoredSettings};
use crate::store::inputs::Pins;

/// The verdict on one benchmark.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Status {
    Pass,
    Fail,
    New,
    Error,
    /// In the baseline file, within the searched scope, but not discovered:
    /// its regression gate would otherwise be gone without a word.
    Missing,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
            Status::New => "NEW",
            Status::Error => "ERROR",
            Status::Missing => "MISSING",
        }
    }

    /// Whether it makes the run exit 2 (unless something FAILed).
    pub fn is_error(self) -> bool {
        matches!(self, Status::Error | Status::Missing)
    }
}

/// Everything known about one benchmark after it ran.
#[derive(Clone, Debug)]
pub struct BenchResult {
    pub name: String,
    pub status: Status,
    pub alpha: f64,
    pub min_effect: Option<f64>,
    pub seeds: Vec<u64>,
    /// The current run's scores (absent when the run errored).
    pub current: Option<ScoreTable>,
    /// Present for PASS and FAIL.
    pub comparison: Option<Comparison>,
    /// Present for ERROR.
    pub error: Option<String>,
    /// For NEW: whether the baseline was (or will be) written.
    pub saved: bool,
    /// For NEW: why the baseline was deliberately not written.
    pub not_saved: Option<&'static str>,
    /// What the benchmark printed (captured from its worker process).
    pub output: String,
    /// The mirror test on `−d` (PASS and FAIL): a significant improvement.
    pub improvement: Option<Mirror>,
    /// Where this run measured (absent when the benchmark did not run).
    pub env: Option<Environment>,
    /// The settings this run used.
    pub settings: Option<StoredSettings>,
    /// The hash of each input it names, as this run found them (absent
    /// when it names none).
    pub inputs: Option<Pins>,
    /// How this machine differs from the one the baseline was measured on.
    pub env_differences: Vec<String>,
    /// Same library, same seed, different scores: the first such seed.
    pub nondeterministic_seed: Option<u64>,
    /// With `--against REV`: how REV reads in the report.
    pub against: Option<Revision>,
    /// The table the current run was compared against (the baseline's, or
    /// REV's): what the run-level correction and the MDE are computed from.
    pub reference: Option<ScoreTable>,
    /// Where the benchmark stands among the run's others, when the run
    /// judged more than one.
    pub family: Option<FamilyOutcome>,
    /// Each compared slot's minimum detectable effect, in slot order.
    pub sensitivity: Vec<Mde>,
    /// Advice about the verdict's reach, for stderr and `--json`.
    pub notes: Vec<Note>,
    /// An adaptive check's looks and where it stopped; `seeds` then holds
    /// only the seeds that ran.
    pub sequential: Option<Sequential>,
    /// Where it was found, from the project root (its baseline records it).
    pub source: Option<String>,
}

/// An adaptive check: how far it went.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Sequential {
    /// Seeds stored in the baseline (the plan's last look).
    pub planned_seeds: usize,
    /// The looks made and the verdict.
    pub outcome: SequentialOutcome,
    /// The planned looks.
    pub looks: Vec<usize>,
}

/// Advice about what a verdict can and cannot see.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Note {
    pub kind: NoteKind,
    pub text: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteKind {
    /// Too few seeds to reach the corrected threshold alone (always shown).
    Reach,
    /// A slot's MDE is above the drop that matters (shown with `-v`).
    Sensitivity,
}

/// One benchmark's place in the run-level correction.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FamilyOutcome {
    pub method: Family,
    /// Benchmarks judged in the run.
    pub m: usize,
    /// Its own sign-flip meta-p (refined near its threshold).
    pub raw_meta_p: f64,
    /// The corrected meta-p; it FAILs when this is below `level`.
    pub adjusted_meta_p: f64,
    /// The run-level false-alarm rate: the mean of the benchmarks' alphas.
    pub level: f64,
    /// The raw meta-p below which it FAILs, the others held fixed.
    pub threshold: f64,
}

/// The run-level correction of a whole run, for its summary.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct RunFamily {
    pub method: Family,
    pub m: usize,
    /// P(any FAIL | nothing changed) is at most this.
    pub alpha: f64,
}

/// How `--against REV` names the revision: `HEAD~1 (abc1234)` in lines,
/// `abc1234` as the slot table's column header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revision {
    pub label: String,
    pub short: String,
}

/// A slot's verdict: `regressed` when flagged, `improved` when flagged by
/// the mirror test on `−d`, else `unchanged`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SlotVerdict {
    Regressed,
    Improved,
    Unchanged,
}

impl BenchResult {
    /// A result for `name` that is an ERROR until judged.
    pub fn new(name: &str, alpha: f64, min_effect: Option<f64>) -> BenchResult {
        BenchResult {
            name: name.to_string(),
            status: Status::Error,
            alpha,
            min_effect,
            seeds: Vec::new(),
            current: None,
            comparison: None,
            error: None,
            saved: false,
            not_saved: None,
            output: String::new(),
            improvement: None,
            env: None,
            settings: None,
            inputs: None,
            env_differences: Vec::new(),
            nondeterministic_seed: None,
            against: None,
            reference: None,
            family: None,
            sensitivity: Vec::new(),
            notes: Vec::new(),
            sequential: None,
            source: None,
        }
    }

    /// `name`, which has a baseline (measured with `alpha` and
    /// `min_effect`) but was not discovered.
    pub fn missing(name: &str, alpha: f64, min_effect: Option<f64>) -> BenchResult {
        BenchResult {
            status: Status::Missing,
            error: Some(MISSING.to_string()),
            ..BenchResult::new(name, alpha, min_effect)
        }
    }

    /// Whether it PASSed with a significant improvement (the mirror test).
    pub fn improved(&self) -> bool {
        self.status == Status::Pass
            && self
                .improvement
                .as_ref()
                .is_some_and(|m| m.improved(self.alpha))
    }

    /// Slot `index`'s verdict.
    pub fn slot_verdict(&self, index: usize) -> SlotVerdict {
        let Some(cmp) = &self.comparison else {
            return SlotVerdict::Unchanged;
        };
        if cmp.slots[index].flagged {
            SlotVerdict::Regressed
        } else if self
            .improvement
            .as_ref()
            .is_some_and(|m| m.flagged.get(index).copied().unwrap_or(false))
        {
            SlotVerdict::Improved
        } else {
            SlotVerdict::Unchanged
        }
    }

    /// The compared slots the mirror test flags as improved.
    pub fn improved_slots(&self) -> Vec<&SlotResult> {
        let Some(cmp) = &self.comparison else {
            return Vec::new();
        };
        (0..cmp.slots.len())
            .filter(|&i| self.slot_verdict(i) == SlotVerdict::Improved)
            .map(|i| &cmp.slots[i])
            .collect()
    }
}

/// Why a benchmark is MISSING, and what to do.
pub const MISSING: &str = "in the baseline file but not discovered (hint: restore it, \
     or run `pybench forget NAME` to drop its baseline on purpose)";

/// How many results have `status`.
pub fn count(results: &[BenchResult], status: Status) -> usize {
    results.iter().filter(|r| r.status == status).count()
}
