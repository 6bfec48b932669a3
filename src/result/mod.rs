//! The result model: what pybench found about each benchmark, and the rules
//! that read it (its status, each slot's verdict, "improved"). The
//! exporters in `report` see nothing else.

pub mod compare;

use serde::{Deserialize, Serialize};

use crate::scores::ScoreTable;
use crate::settings::Alpha;
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

/// Everything known about one benchmark after it ran. Made once, from its
/// [`Plan`] and its [`Outcome`]; a later stage (the run-level correction,
/// the baseline write) makes a new value from it, never edits it.
#[derive(Clone, Debug)]
pub struct BenchResult {
    pub name: String,
    pub alpha: Alpha,
    pub min_effect: Option<f64>,
    pub seeds: Vec<u64>,
    /// What judging it found.
    pub outcome: Outcome,
    /// For NEW: whether the baseline was (or will be) written.
    pub saved: bool,
    /// For NEW: why the baseline was deliberately not written.
    pub not_saved: Option<&'static str>,
    /// What the benchmark printed (captured from its worker process).
    pub output: String,
    /// Where this run measured (absent when the benchmark did not run).
    pub env: Option<Environment>,
    /// The hash of each input it names, as this run found them (absent
    /// when it names none).
    pub inputs: Option<Pins>,
    /// How this machine differs from the one the baseline was measured on.
    pub env_differences: Vec<String>,
    /// Same library, same seed, different scores: the first such seed.
    pub nondeterministic_seed: Option<u64>,
    /// With `--against REV`: how REV reads in the report.
    pub against: Option<Revision>,
    /// Where the benchmark stands among the run's others, when the run
    /// judged more than one.
    pub family: Option<FamilyOutcome>,
    /// Each compared slot's minimum detectable effect, in slot order.
    pub sensitivity: Vec<Mde>,
    /// Advice about the verdict's reach, for stderr and `--json`.
    pub notes: Vec<Note>,
    /// Where it was found, from the project root (its baseline records it).
    pub source: Option<String>,
}

/// What judging one benchmark found.
#[derive(Clone, Debug)]
pub enum Outcome {
    /// Nothing to compare with: its scores (none for a benchmark that only
    /// the working tree has under `--against`).
    New(Option<ScoreTable>),
    /// Compared with a reference: the evidence its verdict is read from.
    Judged(Box<Evidence>),
    /// It could not be judged: why, and its scores if it has any.
    Error {
        message: String,
        current: Option<ScoreTable>,
    },
    /// In the baseline file and in the searched scope, but not discovered.
    Missing,
}

impl Outcome {
    /// An ERROR without scores.
    pub fn error(message: impl Into<String>) -> Outcome {
        Outcome::Error {
            message: message.into(),
            current: None,
        }
    }
}

/// A compared benchmark: the two tables and the tests run on them.
#[derive(Clone, Debug)]
pub struct Evidence {
    /// The table the current run was compared against (the baseline's, or
    /// REV's): what the run-level correction and the MDE are computed from.
    pub reference: ScoreTable,
    pub current: ScoreTable,
    /// The per-slot tests and the sign-flip meta-p, as the engine made them.
    pub comparison: Comparison,
    /// The mirror test on `−d`: a significant improvement.
    pub improvement: Option<Mirror>,
    /// An adaptive check's looks and where it stopped (its stage-wise
    /// meta-p decides); `seeds` then holds only the seeds that ran.
    pub sequential: Option<Sequential>,
}

/// What is known about a benchmark before its seeds run.
#[derive(Clone, Debug)]
pub struct Plan {
    pub name: String,
    pub alpha: Alpha,
    pub min_effect: Option<f64>,
    pub seeds: Vec<u64>,
    pub env: Option<Environment>,
    pub env_differences: Vec<String>,
    pub against: Option<Revision>,
    /// Where it was found, from the project root.
    pub source: Option<String>,
    /// The pins of the inputs it names, once checked.
    pub inputs: Option<Pins>,
}

impl Plan {
    /// The plan of `name` at `alpha`, before its seeds are chosen.
    pub fn new(name: &str, alpha: Alpha, min_effect: Option<f64>) -> Plan {
        Plan {
            name: name.to_string(),
            alpha,
            min_effect,
            seeds: Vec::new(),
            env: None,
            env_differences: Vec::new(),
            against: None,
            source: None,
            inputs: None,
        }
    }

    /// The result this plan came to, with what the benchmark printed.
    pub fn result(self, outcome: Outcome, output: String) -> BenchResult {
        BenchResult {
            name: self.name,
            alpha: self.alpha,
            min_effect: self.min_effect,
            seeds: self.seeds,
            outcome,
            saved: false,
            not_saved: None,
            output,
            env: self.env,
            inputs: self.inputs,
            env_differences: self.env_differences,
            nondeterministic_seed: None,
            against: self.against,
            family: None,
            sensitivity: Vec::new(),
            notes: Vec::new(),
            source: self.source,
        }
    }

    /// An ERROR result of this plan, before anything ran.
    pub fn error(self, message: impl Into<String>) -> BenchResult {
        self.result(Outcome::error(message), String::new())
    }
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
    /// The correction's verdict on a fixed-design benchmark; `None` for an
    /// adaptive check, which keeps its own.
    #[serde(skip)]
    pub failed: Option<bool>,
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
    /// `name`, which has a baseline (measured with `alpha` and
    /// `min_effect`) but was not discovered.
    pub fn missing(name: &str, alpha: Alpha, min_effect: Option<f64>) -> BenchResult {
        Plan::new(name, alpha, min_effect).result(Outcome::Missing, String::new())
    }

    /// The verdict: the one place PASS and FAIL are decided. A compared
    /// benchmark FAILs when the run-level correction says so, else when its
    /// adaptive check stopped on a drop, else when its meta-p is below its
    /// alpha.
    pub fn status(&self) -> Status {
        let evidence = match &self.outcome {
            Outcome::New(_) => return Status::New,
            Outcome::Error { .. } => return Status::Error,
            Outcome::Missing => return Status::Missing,
            Outcome::Judged(evidence) => evidence,
        };
        let passed = match (
            self.family.as_ref().and_then(|f| f.failed),
            &evidence.sequential,
        ) {
            (Some(failed), _) => !failed,
            (None, Some(sequential)) => sequential.outcome.passed(),
            // The result's alpha is the level: the comparison echoes the
            // one the engine was given, which is this one.
            (None, None) => evidence.comparison.meta_p >= self.alpha.get(),
        };
        if passed { Status::Pass } else { Status::Fail }
    }

    /// The settings a baseline of this run records: its seeds, alpha and
    /// min_effect, as the result holds them (each in one place).
    pub fn stored_settings(&self) -> StoredSettings {
        StoredSettings {
            n_seeds: self.seeds.len(),
            alpha: self.alpha,
            min_effect: self.min_effect,
        }
    }

    /// What its verdict compares its meta-p with: its alpha, or the
    /// corrected threshold of a corrected run.
    pub fn verdict_threshold(&self) -> f64 {
        self.family
            .as_ref()
            .map_or(self.alpha.get(), |f| f.threshold)
    }

    /// The meta-p the verdict read: the refined one of the run-level
    /// correction, an adaptive check's stage-wise one, or the engine's.
    pub fn meta_p(&self) -> Option<f64> {
        let evidence = self.evidence()?;
        Some(match (&self.family, &evidence.sequential) {
            (Some(family), _) => family.raw_meta_p,
            (None, Some(sequential)) => sequential.outcome.meta_p,
            (None, None) => evidence.comparison.meta_p,
        })
    }

    /// The comparison of a compared benchmark.
    pub fn evidence(&self) -> Option<&Evidence> {
        match &self.outcome {
            Outcome::Judged(evidence) => Some(evidence),
            _ => None,
        }
    }

    /// Why it could not be judged (ERROR, MISSING).
    pub fn error(&self) -> Option<&str> {
        match &self.outcome {
            Outcome::Error { message, .. } => Some(message),
            Outcome::Missing => Some(MISSING),
            _ => None,
        }
    }

    /// The current run's scores (absent when the run errored before any).
    pub fn current(&self) -> Option<&ScoreTable> {
        match &self.outcome {
            Outcome::New(current) | Outcome::Error { current, .. } => current.as_ref(),
            Outcome::Judged(evidence) => Some(&evidence.current),
            Outcome::Missing => None,
        }
    }

    /// The table the run was compared against.
    pub fn reference(&self) -> Option<&ScoreTable> {
        self.evidence().map(|e| &e.reference)
    }

    /// The per-slot tests (PASS and FAIL).
    pub fn comparison(&self) -> Option<&Comparison> {
        self.evidence().map(|e| &e.comparison)
    }

    /// The mirror test on `−d` (PASS and FAIL).
    pub fn improvement(&self) -> Option<&Mirror> {
        self.evidence().and_then(|e| e.improvement.as_ref())
    }

    /// An adaptive check's looks.
    pub fn sequential(&self) -> Option<&Sequential> {
        self.evidence().and_then(|e| e.sequential.as_ref())
    }

    /// Whether it PASSed with a significant improvement (the mirror test).
    pub fn improved(&self) -> bool {
        self.status() == Status::Pass
            && self
                .improvement()
                .is_some_and(|m| m.improved(self.alpha.get()))
    }

    /// Slot `index`'s verdict.
    pub fn slot_verdict(&self, index: usize) -> SlotVerdict {
        let Some(cmp) = self.comparison() else {
            return SlotVerdict::Unchanged;
        };
        if cmp.slots[index].flagged {
            SlotVerdict::Regressed
        } else if self
            .improvement()
            .is_some_and(|m| m.flagged.get(index).copied().unwrap_or(false))
        {
            SlotVerdict::Improved
        } else {
            SlotVerdict::Unchanged
        }
    }

    /// The compared slots the mirror test flags as improved.
    pub fn improved_slots(&self) -> Vec<&SlotResult> {
        let Some(cmp) = self.comparison() else {
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
    results.iter().filter(|r| r.status() == status).count()
}
