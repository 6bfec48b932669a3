//! `--json FILE`: the run's results as a versioned JSON document.
//!
//! The contract is documented in `docs/json-schema.md` and checked by
//! `docs/report.schema.json`; `pybench compare` reads these documents back.

use serde::{Deserialize, Serialize};

use super::RunReport;
use crate::result::{BenchResult, FamilyOutcome, RunFamily, Sequential, SlotVerdict, Status};
use crate::settings::Alpha;
use crate::stats;
use crate::store::fingerprint::Environment;
use crate::store::git::RepoState;
use crate::store::inputs::Pins;

/// Bumped whenever a field changes meaning or disappears.
pub const SCHEMA_VERSION: u32 = 1;

/// Where and when a run happened.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Provenance {
    pub pybench_version: String,
    /// Short commit of the repository holding the baseline file, if any.
    pub git_commit: Option<String>,
    /// Uncommitted changes to tracked files (null outside a repository).
    pub git_dirty: Option<bool>,
    /// UTC, `YYYY-MM-DDTHH:MM:SSZ`.
    pub timestamp: String,
    /// The machine's host name, if known.
    pub host: Option<String>,
}

impl Provenance {
    /// Now, on this host, at `repo`'s state.
    pub fn now(repo: Option<&RepoState>) -> Provenance {
        Provenance {
            pybench_version: env!("CARGO_PKG_VERSION").to_string(),
            git_commit: repo.and_then(|r| r.short_commit.clone()),
            git_dirty: repo.map(|r| r.dirty),
            timestamp: jiff::Timestamp::now()
                .strftime("%Y-%m-%dT%H:%M:%SZ")
                .to_string(),
            host: host_name(),
        }
    }
}

/// The host name from the OS (POSIX `gethostname`), else `$HOSTNAME`.
fn host_name() -> Option<String> {
    #[cfg(unix)]
    {
        let mut buffer = [0u8; 256];
        // SAFETY: the buffer is valid for its length; the result is
        // NUL-terminated when it fits, and we stop at the first NUL.
        let rc = unsafe { libc::gethostname(buffer.as_mut_ptr().cast(), buffer.len()) };
        if rc == 0 {
            let end = buffer.iter().position(|&b| b == 0).unwrap_or(buffer.len());
            if let Ok(name) = std::str::from_utf8(&buffer[..end])
                && !name.is_empty()
            {
                return Some(name.to_string());
            }
        }
    }
    std::env::var("HOSTNAME").ok().filter(|h| !h.is_empty())
}

#[derive(Serialize)]
struct Document<'a> {
    schema_version: u32,
    pybench_version: &'static str,
    run: &'a Provenance,
    /// The run-level correction, when the run judged several benchmarks.
    family: Option<&'a RunFamily>,
    benchmarks: Vec<Bench<'a>>,
}

#[derive(Serialize)]
struct Bench<'a> {
    name: &'a str,
    status: Status,
    meta_p: Option<f64>,
    alpha: f64,
    min_effect: Option<f64>,
    n_seeds: usize,
    n_flagged: Option<usize>,
    severity: Option<f64>,
    error: Option<&'a str>,
    improved: bool,
    improvement_meta_p: Option<f64>,
    seeds: &'a [u64],
    slots: Vec<Slot<'a>>,
    environment: Option<&'a Environment>,
    environment_differences: &'a [String],
    /// Each input it names with its hash, as this run found them.
    inputs: Option<&'a Pins>,
    nondeterministic_seed: Option<u64>,
    /// Its place in the run-level correction.
    family: Option<&'a FamilyOutcome>,
    /// Advice about the verdict's reach (seeds, sensitivity).
    warnings: Vec<&'a str>,
    /// An adaptive check: the seeds that ran, the planned looks, and each
    /// look made with its statistic and threshold.
    seeds_run: usize,
    adaptive: Option<&'a Sequential>,
}

#[derive(Serialize)]
struct Slot<'a> {
    step: i64,
    metric: &'a str,
    baseline_mean: Option<f64>,
    baseline_std: Option<f64>,
    current_mean: f64,
    current_std: f64,
    effect: Option<f64>,
    effect_unreliable: Option<bool>,
    p: Option<f64>,
    flagged: bool,
    verdict: Option<SlotVerdict>,
    /// The smallest drop in goodness detected with power 0.80, in the
    /// metric's units, and relative to the baseline mean.
    mde: Option<f64>,
    mde_rel: Option<f64>,
    current_values: &'a [f64],
}

fn bench(result: &BenchResult) -> Bench<'_> {
    let values = |index: usize| -> &[f64] {
        result
            .current()
            .map_or(&[][..], |table| table.column(index))
    };
    let slots = match (result.comparison(), result.current()) {
        (Some(cmp), _) => cmp
            .slots
            .iter()
            .enumerate()
            .map(|(index, s)| Slot {
                step: s.slot.step,
                metric: &s.slot.metric,
                baseline_mean: Some(s.baseline_mean),
                baseline_std: Some(s.baseline_std),
                current_mean: s.current_mean,
                current_std: s.current_std,
                effect: Some(s.effect),
                effect_unreliable: Some(s.effect_unreliable),
                p: Some(s.p),
                flagged: s.flagged,
                verdict: Some(result.slot_verdict(index)),
                mde: result.sensitivity.get(index).map(|m| m.mde),
                mde_rel: result.sensitivity.get(index).map(|m| m.mde_rel),
                current_values: values(index),
            })
            .collect(),
        (None, Some(table)) => table
            .slots()
            .iter()
            .zip(table.columns())
            .enumerate()
            .map(|(index, (slot, column))| {
                let mean = stats::numeric::mean(column);
                let std = stats::numeric::std_ddof1_around(column, mean);
                Slot {
                    step: slot.step,
                    metric: &slot.metric,
                    baseline_mean: None,
                    baseline_std: None,
                    current_mean: mean,
                    current_std: std,
                    effect: None,
                    effect_unreliable: None,
                    p: None,
                    flagged: false,
                    verdict: None,
                    mde: None,
                    mde_rel: None,
                    current_values: values(index),
                }
            })
            .collect(),
        (None, None) => Vec::new(),
    };
    Bench {
        name: &result.name,
        status: result.status(),
        meta_p: result.meta_p(),
        alpha: result.alpha.get(),
        min_effect: result.min_effect,
        n_seeds: result.seeds.len(),
        n_flagged: result.comparison().map(|c| c.n_flagged()),
        severity: result.comparison().map(|c| c.severity),
        error: result.error(),
        improved: result.improved(),
        improvement_meta_p: result.improvement().map(|m| m.meta_p),
        environment: result.env.as_ref(),
        environment_differences: &result.env_differences,
        inputs: result.inputs.as_ref(),
        nondeterministic_seed: result.nondeterministic_seed,
        family: result.family.as_ref(),
        warnings: result.notes.iter().map(|n| n.text.as_str()).collect(),
        seeds_run: result.seeds.len(),
        adaptive: result.sequential(),
        seeds: &result.seeds,
        slots,
    }
}

/// What `pybench compare` reads back of a document: its version, then the
/// fields of [`Bench`] and [`Slot`] that a comparison needs, by the same
/// names and types. A field a document may lack is an `Option`, so that
/// the reader can say which one is missing.
#[derive(Deserialize)]
pub struct ReadVersion {
    pub schema_version: u64,
}

/// The benchmarks of a document, each read on its own (see [`ReadBench`]).
#[derive(Deserialize)]
pub struct ReadDocument {
    #[serde(default)]
    pub benchmarks: Vec<serde_json::Value>,
}

/// A benchmark's name, read before the rest so that an error names it.
#[derive(Deserialize)]
pub struct ReadName {
    pub name: Option<String>,
}

/// One benchmark of a document, as `compare` reads it.
#[derive(Deserialize)]
pub struct ReadBench {
    /// Absent in reports older than the seeds field.
    pub seeds: Option<Vec<u64>>,
    /// Checked as it is read: an alpha out of (0, 1) names the field.
    pub alpha: Option<Alpha>,
    #[serde(default, deserialize_with = "crate::settings::read_min_effect")]
    pub min_effect: Option<f64>,
    #[serde(default)]
    pub slots: Vec<ReadSlot>,
}

/// One slot of a benchmark, as `compare` reads it.
#[derive(Deserialize)]
pub struct ReadSlot {
    pub step: Option<i64>,
    pub metric: Option<String>,
    pub current_values: Vec<f64>,
}

/// The JSON document of a finished run.
pub fn render(run: &RunReport) -> String {
    let document = Document {
        schema_version: SCHEMA_VERSION,
        pybench_version: env!("CARGO_PKG_VERSION"),
        run: run.provenance,
        family: run.family,
        benchmarks: run.results.iter().map(bench).collect(),
    };
    let mut text = serde_json::to_string_pretty(&document).expect("reports hold finite numbers");
    text.push('\n');
    text
}
