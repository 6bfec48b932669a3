//! Running a benchmark over its seeds on a pool of worker threads.

use std::collections::HashSet;
use std::ffi::c_void;

use rand::Rng;
use rayon::prelude::*;

use crate::library::Benchmark;
use crate::scores::{ScoreError, ScoreTable};

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("seed {seed}: {message}")]
    Seed { seed: u64, message: String },
    #[error(transparent)]
    Score(#[from] ScoreError),
    #[error("cannot start {workers} worker threads: {reason}")]
    Pool { workers: usize, reason: String },
}

/// Where fresh seeds come from: OS entropy, or (for reproducible runs and
/// tests) a fixed number given in `PYBENCH_SEED_ENTROPY`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeedSource {
    Os,
    Fixed(u64),
}

pub const SEED_ENTROPY_VAR: &str = "PYBENCH_SEED_ENTROPY";

impl SeedSource {
    /// Read `PYBENCH_SEED_ENTROPY`; `Err` names the bad value.
    pub fn from_env() -> Result<SeedSource, String> {
        match std::env::var(SEED_ENTROPY_VAR) {
            Err(_) => Ok(SeedSource::Os),
            Ok(text) => text.trim().parse().map(SeedSource::Fixed).map_err(|_| {
                format!("{SEED_ENTROPY_VAR}={text:?} is not an unsigned 64-bit integer")
            }),
        }
    }
}

/// `n` distinct seeds in [0, 2^32) for benchmark `bench`.
pub fn fresh_seeds(n: usize, source: SeedSource, bench: &str) -> Vec<u64> {
    match source {
        SeedSource::Os => distinct_u32(n, &mut rand::rng()),
        SeedSource::Fixed(entropy) => {
            // FNV-1a of the name keeps benchmarks' seeds apart under one entropy.
            let name_hash = bench.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
            });
            let mut rng =
                <rand_chacha::ChaCha20Rng as rand::SeedableRng>::seed_from_u64(entropy ^ name_hash);
            distinct_u32(n, &mut rng)
        }
    }
}

fn distinct_u32(n: usize, rng: &mut impl Rng) -> Vec<u64> {
    let mut seen = HashSet::with_capacity(n);
    let mut seeds = Vec::with_capacity(n);
    while seeds.len() < n {
        let seed = u64::from(rng.random::<u32>());
        if seen.insert(seed) {
            seeds.push(seed);
        }
    }
    seeds
}

/// What one call of the benchmark handed back.
struct SeedOutcome {
    code: i32,
    text: Vec<u8>,
}

unsafe extern "C" fn collect_emit(ctx: *mut c_void, utf8: *const u8, len: usize) {
    if ctx.is_null() || (utf8.is_null() && len > 0) {
        return;
    }
    // SAFETY: `ctx` is the `Vec<u8>` that `call` passed in, alive for the call.
    let out = unsafe { &mut *ctx.cast::<Vec<u8>>() };
    if len > 0 {
        // SAFETY: the ABI promises `len` readable bytes at `utf8`.
        out.extend_from_slice(unsafe { std::slice::from_raw_parts(utf8, len) });
    }
}

fn call(bench: &Benchmark, seed: u64) -> SeedOutcome {
    let mut text = Vec::new();
    // SAFETY: `entry` follows ABI v1; `text` outlives the call.
    let code = unsafe { (bench.entry)(seed, (&mut text as *mut Vec<u8>).cast(), collect_emit) };
    SeedOutcome { code, text }
}

/// Run `bench` on every seed with `workers` threads. Results are kept by
/// seed index, so the table never depends on scheduling; the first failing
/// seed in seed order is the one reported.
pub fn run_seeds(bench: &Benchmark, seeds: &[u64], workers: usize) -> Result<ScoreTable, RunError> {
    let workers = workers.max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(workers)
        .thread_name(|i| format!("pybench-seed-{i}"))
        .build()
        .map_err(|e| RunError::Pool {
            workers,
            reason: e.to_string(),
        })?;
    let outcomes: Vec<SeedOutcome> =
        pool.install(|| seeds.par_iter().map(|&s| call(bench, s)).collect());
    let mut results = Vec::with_capacity(seeds.len());
    for (&seed, outcome) in seeds.iter().zip(&outcomes) {
        let text = std::str::from_utf8(&outcome.text).map_err(|_| RunError::Seed {
            seed,
            message: "emitted text that is not UTF-8".into(),
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

    #[test]
    fn fresh_seeds_are_distinct_u32() {
        let seeds = fresh_seeds(2000, SeedSource::Os, "bench_x");
        assert_eq!(seeds.len(), 2000);
        assert_eq!(seeds.iter().collect::<HashSet<_>>().len(), 2000);
        assert!(seeds.iter().all(|&s| s <= u64::from(u32::MAX)));
        let fixed = fresh_seeds(30, SeedSource::Fixed(7), "bench_x");
        assert_eq!(fixed, fresh_seeds(30, SeedSource::Fixed(7), "bench_x"));
        assert_ne!(fixed, fresh_seeds(30, SeedSource::Fixed(7), "bench_y"));
        assert_ne!(fixed, fresh_seeds(30, SeedSource::Fixed(8), "bench_x"));
    }
}
