//! Benchmarks that misbehave on purpose, one fault each, next to a healthy
//! one. pybench's integration tests run them to show that a broken
//! benchmark is reported as `ERROR` with its seed and cause while the other
//! benchmarks still run.

use pybench::{Metrics, Record};

pybench::bench! {
    #[settings(n_seeds = 8)]
    /// Healthy: a score that depends only on the seed.
    pub fn bench_healthy(seed: u64) -> f64 {
        (seed % 1000) as f64 / 1000.0
    }
}

pybench::bench! {
    #[settings(n_seeds = 8)]
    /// Panics on every seed.
    pub fn bench_panics(seed: u64) -> f64 {
        panic!("index out of range for seed {seed}")
    }
}

pybench::bench! {
    #[settings(n_seeds = 8)]
    /// Returns NaN in one metric.
    pub fn bench_nan(seed: u64) -> Metrics {
        Metrics::from([("accuracy".to_string(), 0.5), ("min:loss".to_string(), f64::NAN + seed as f64)])
    }
}

pybench::bench! {
    #[settings(n_seeds = 8)]
    /// Returns an error value.
    pub fn bench_errors(seed: u64) -> Result<f64, String> {
        Err(format!("dataset shard {} is missing", seed % 4))
    }
}

pybench::bench! {
    #[settings(n_seeds = 8)]
    /// Reports an extra step on odd seeds: slots differ between seeds.
    pub fn bench_shifting_slots(seed: u64) -> Vec<Record> {
        let mut records = vec![Record::new(1).metric("acc", 0.5)];
        if seed % 2 == 1 {
            records.push(Record::new(2).metric("acc", 0.6));
        }
        records
    }
}
