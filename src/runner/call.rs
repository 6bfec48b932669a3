//! Calling a benchmark over its seeds through the ABI, and turning per-seed
//! outcomes into a score table. Whether the calls happen in
//! this process or in a worker process is `isolate`'s business.

use std::collections::BTreeMap;
use std::ffi::c_void;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use pybench::abi::BenchFn;

use crate::scores::{ScoreError, ScoreTable, SeedScores, SlotSets};

/// The most a benchmark may emit for one seed; more is refused, not held.
pub const MAX_RESULT_BYTES: usize = 16 << 20;

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("seed {seed}: {message}")]
    Seed { seed: u64, message: String },
    #[error(transparent)]
    Score(#[from] ScoreError),
    #[error("cannot start {workers} worker threads: {reason}")]
    Pool { workers: usize, reason: String },
    #[error("worker process {how} while running seed {}", list_seeds(.seeds))]
    Crashed { how: String, seeds: Vec<u64> },
    #[error("timed out after {seconds} s on seed {seed}")]
    TimedOut { seconds: f64, seed: u64 },
    #[error("worker process failed: {0}")]
    Worker(String),
    /// A Python benchmark file failed to import: the whole message.
    #[error("{0}")]
    Import(String),
    #[error("interrupted")]
    Interrupted,
}

fn list_seeds(seeds: &[u64]) -> String {
    match seeds {
        [] => "(none started)".into(),
        [one] => one.to_string(),
        many => many
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// What one call of the benchmark handed back: its return code and the
/// text it emitted (`None` when that text was not UTF-8 or over the limit).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeedOutcome {
    pub code: i32,
    pub text: Result<String, String>,
}

impl SeedOutcome {
    /// Why this call failed (its message, or why its text cannot be
    /// read), or `None` when it returned 0 with text.
    fn failure(&self) -> Option<String> {
        match &self.text {
            Err(message) => Some(message.clone()),
            Ok(text) if self.code != 0 => Some(if text.trim().is_empty() {
                format!("returned {} without a message", self.code)
            } else {
                text.trim().to_string()
            }),
            Ok(_) => None,
        }
    }
}

/// What a run hands back for each seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Reply {
    /// Its scores, parsed where the seed ran (in parallel with the others).
    Scores,
    /// Its text exactly as handed back (shard files keep it).
    Text,
}

/// One seed's result as a run judges it.
#[derive(Clone, Debug, PartialEq)]
pub enum SeedResult {
    /// The call failed, or handed back text that cannot be read: why.
    Failed(String),
    /// The call returned 0: its scores, or why its text is not a score.
    Scored(Result<SeedScores, ScoreError>),
    /// The call's outcome as handed back ([`Reply::Text`]).
    Raw(SeedOutcome),
}

impl SeedResult {
    /// `outcome` of `seed` as `reply` asks, its text parsed into `sets`.
    pub fn new(seed: u64, outcome: SeedOutcome, reply: Reply, sets: &SlotSets) -> SeedResult {
        if reply == Reply::Text {
            return SeedResult::Raw(outcome);
        }
        match (outcome.failure(), &outcome.text) {
            (Some(why), _) => SeedResult::Failed(why),
            (None, Ok(text)) => SeedResult::Scored(sets.parse(seed, text).map(|(_, s)| s)),
            (None, Err(why)) => SeedResult::Failed(why.clone()),
        }
    }

    /// The outcome as handed back, for a run that asked for
    /// [`Reply::Text`].
    pub fn into_raw(self) -> Result<SeedOutcome, RunError> {
        match self {
            SeedResult::Raw(outcome) => Ok(outcome),
            _ => Err(RunError::Worker(
                "the worker sent scores where the text was asked for".into(),
            )),
        }
    }
}

#[derive(Default)]
struct Emitted {
    bytes: Vec<u8>,
    overflow: bool,
}

/// The text of every call in progress, by the token passed as its `ctx`.
/// `ctx` is a token, never a pointer: an `emit` that comes after its call
/// returned (from a thread the benchmark left running) finds no entry and
/// is dropped, so it can neither reach memory that now holds another seed's
/// text nor be counted as another seed's score.
static CALLS: Mutex<BTreeMap<usize, Emitted>> = Mutex::new(BTreeMap::new());

/// Tokens are never reused, so a stale one never names a later call.
static NEXT_TOKEN: AtomicUsize = AtomicUsize::new(1);

fn calls() -> std::sync::MutexGuard<'static, BTreeMap<usize, Emitted>> {
    CALLS.lock().unwrap_or_else(|e| e.into_inner())
}

unsafe extern "C" fn collect_emit(ctx: *mut c_void, utf8: *const u8, len: usize) {
    if utf8.is_null() && len > 0 {
        return;
    }
    let mut calls = calls();
    let Some(out) = calls.get_mut(&ctx.addr()) else {
        return;
    };
    if out.bytes.len().saturating_add(len) > MAX_RESULT_BYTES {
        out.overflow = true;
    } else if len > 0 {
        // SAFETY: the ABI promises `len` readable bytes at `utf8`.
        out.bytes
            .extend_from_slice(unsafe { std::slice::from_raw_parts(utf8, len) });
    }
}

/// Call a benchmark entry point once.
pub fn call(entry: BenchFn, seed: u64) -> SeedOutcome {
    let token = NEXT_TOKEN.fetch_add(1, Ordering::Relaxed);
    calls().insert(token, Emitted::default());
    // SAFETY: `entry` follows ABI v1; `collect_emit` accepts any `ctx`.
    let code = unsafe { entry(seed, std::ptr::without_provenance_mut(token), collect_emit) };
    let emitted = calls().remove(&token).unwrap_or_default();
    let text = if emitted.overflow {
        Err(format!(
            "emitted more than the {} MiB a result may hold",
            MAX_RESULT_BYTES >> 20
        ))
    } else {
        String::from_utf8(emitted.bytes).map_err(|_| "emitted text that is not UTF-8".into())
    };
    SeedOutcome { code, text }
}

/// Run every entry (one per side: the working tree's benchmark, and for
/// `--against` the revision's) on every seed with `workers` threads in this
/// process; `result[side][seed index]`. Each seed runs all sides back to
/// back, alternating which goes first, so machine drift hits every side
/// alike. Results are kept by index, so they never depend on scheduling.
/// Each seed's text is parsed (into `sets`) as soon as it is handed back,
/// by the thread that ran it.
pub fn call_all(
    entries: &[BenchFn],
    seeds: &[u64],
    workers: usize,
    reply: Reply,
    sets: &SlotSets,
    on_start: impl Fn(usize) + Sync,
    on_done: impl Fn(usize, usize, &SeedResult) + Sync,
) -> Result<Vec<Vec<SeedResult>>, RunError> {
    let workers = workers.max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(workers)
        .thread_name(|i| format!("pybench-seed-{i}"))
        .build()
        .map_err(|e| RunError::Pool {
            workers,
            reason: e.to_string(),
        })?;
    let mut per_seed: Vec<Vec<Option<SeedResult>>> = pool.install(|| {
        seeds
            .par_iter()
            .enumerate()
            .map(|(index, &seed)| {
                on_start(index);
                let mut results: Vec<Option<SeedResult>> = vec![None; entries.len()];
                for side in side_order(index, entries.len()) {
                    let result = SeedResult::new(seed, call(entries[side], seed), reply, sets);
                    on_done(index, side, &result);
                    results[side] = Some(result);
                }
                results
            })
            .collect()
    });
    Ok((0..entries.len())
        .map(|side| per_seed.iter_mut().filter_map(|o| o[side].take()).collect())
        .collect())
}

/// Sides in order for seed `index`: forwards on even seeds, backwards on
/// odd ones.
pub fn side_order(index: usize, sides: usize) -> Vec<usize> {
    if index.is_multiple_of(2) {
        (0..sides).collect()
    } else {
        (0..sides).rev().collect()
    }
}

/// Turn results (in seed order) into the score table: the first seed (in
/// seed order) whose call failed is reported, else the first whose scores
/// cannot be read or whose slots differ from the first seed's.
pub fn into_table(seeds: &[u64], results: &[SeedResult]) -> Result<ScoreTable, RunError> {
    for (&seed, result) in seeds.iter().zip(results) {
        let failure = match result {
            SeedResult::Failed(why) => Some(why.clone()),
            SeedResult::Raw(outcome) => outcome.failure(),
            SeedResult::Scored(_) => None,
        };
        if let Some(message) = failure {
            return Err(RunError::Seed { seed, message });
        }
    }
    // Text handed back as is (shard files) is parsed here.
    let sets = SlotSets::default();
    let parsed: Vec<Option<Result<SeedScores, ScoreError>>> = seeds
        .iter()
        .zip(results)
        .map(|(&seed, result)| match result {
            SeedResult::Raw(SeedOutcome { text: Ok(text), .. }) => {
                Some(sets.parse(seed, text).map(|(_, s)| s))
            }
            _ => None,
        })
        .collect();
    let scores = seeds
        .iter()
        .zip(results)
        .zip(&parsed)
        .filter_map(|((&seed, result), parsed)| match (result, parsed) {
            (SeedResult::Scored(scores), _) | (_, Some(scores)) => Some((seed, scores.as_ref())),
            _ => None,
        });
    Ok(ScoreTable::from_seeds(scores)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    unsafe extern "C" fn flood(_seed: u64, ctx: *mut c_void, emit: pybench::abi::EmitFn) -> i32 {
        let chunk = vec![b'1'; 1 << 20];
        for _ in 0..20 {
            // SAFETY: `emit` and `ctx` are the host's, valid for this call.
            unsafe { emit(ctx, chunk.as_ptr(), chunk.len()) };
        }
        0
    }

    #[test]
    fn oversized_results_are_refused_not_held() {
        let outcome = call(flood, 1);
        assert_eq!(
            outcome.text,
            Err("emitted more than the 16 MiB a result may hold".into())
        );
        let result = SeedResult::new(1, outcome, Reply::Scores, &SlotSets::default());
        let err = into_table(&[1], &[result]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "seed 1: emitted more than the 16 MiB a result may hold"
        );
    }
}
