//! Fresh seeds: distinct values in [0, 2^32), from OS entropy or, for
//! reproducible runs and tests, from `PYBENCH_SEED_ENTROPY`.

use std::collections::HashSet;

use rand::Rng;

/// `PYBENCH_SEED_ENTROPY` holds something other than a u64.
#[derive(Debug, thiserror::Error)]
#[error("{SEED_ENTROPY_VAR}={0:?} is not an unsigned 64-bit integer")]
pub struct SeedEntropyError(pub String);

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
    pub fn from_env() -> Result<SeedSource, SeedEntropyError> {
        match std::env::var(SEED_ENTROPY_VAR) {
            Err(_) => Ok(SeedSource::Os),
            Ok(text) => text
                .trim()
                .parse()
                .map(SeedSource::Fixed)
                .map_err(|_| SeedEntropyError(text)),
        }
    }
}

/// `n` distinct seeds in [0, 2^32) for benchmark `bench`.
pub fn fresh_seeds(n: usize, source: SeedSource, bench: &str) -> Vec<u64> {
    match source {
        SeedSource::Os => distinct_u32(n, &mut rand::rng()),
        SeedSource::Fixed(entropy) => {
            // FNV-1a of the name keeps benchmarks' seeds apart under one entropy.
            let name_hash =
                crate::stats::signs::fnv1a(crate::stats::signs::FNV_OFFSET, bench.as_bytes());
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
