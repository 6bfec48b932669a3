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

use crate::scores::{ScoreError, ScoreTable};

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
pub fn call_all(
    entries: &[BenchFn],
    seeds: &[u64],
    workers: usize,
    on_start: impl Fn(usize) + Sync,
    on_done: impl Fn(usize, usize, &SeedOutcome) + Sync,
) -> Result<Vec<Vec<SeedOutcome>>, RunError> {
    let workers = workers.max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(workers)
        .thread_name(|i| format!("pybench-seed-{i}"))
        .build()
        .map_err(|e| RunError::Pool {
            workers,
            reason: e.to_string(),
        })?;
    let per_seed: Vec<Vec<SeedOutcome>> = pool.install(|| {
        seeds
            .par_iter()
            .enumerate()
            .map(|(index, &seed)| {
                on_start(index);
                let mut outcomes: Vec<Option<SeedOutcome>> = vec![None; entries.len()];
                for side in side_order(index, entries.len()) {
                    let outcome = call(entries[side], seed);
                    on_done(index, side, &outcome);
                    outcomes[side] = Some(outcome);
                }
                outcomes.into_iter().flatten().collect()
            })
            .collect()
    });
    Ok((0..entries.len())
        .map(|side| per_seed.iter().map(|o| o[side].clone()).collect())
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

/// Turn outcomes (in seed order) into the score table; the first failing
/// seed in seed order is the one reported.
pub fn into_table(seeds: &[u64], outcomes: &[SeedOutcome]) -> Result<ScoreTable, RunError> {
    let mut results = Vec::with_capacity(seeds.len());
    for (&seed, outcome) in seeds.iter().zip(outcomes) {
        let text = outcome.text.as_deref().map_err(|message| RunError::Seed {
            seed,
            message: message.clone(),
        })?;
        if outcome.code != 0 {
            let message = if text.trim().is_empty() {
                format!("returned {} without a message", outcome.code)
            } else {
                text.trim().to_string()
            };
            return Err(RunError::Seed { seed, message });
        }
        results.push((seed, text));
    }
    Ok(ScoreTable::from_results(results)?)
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
        let err = into_table(&[1], &[outcome]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "seed 1: emitted more than the 16 MiB a result may hold"
        );
    }
}
