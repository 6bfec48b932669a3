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

/// Seeds before a fault strikes; the earlier seeds succeed.
fn strikes(seed: u64) -> bool {
    seed.is_multiple_of(3)
}

pybench::bench! {
    #[settings(n_seeds = 8)]
    /// Calls `abort()` on some seeds.
    pub fn bench_aborts(seed: u64) -> f64 {
        if strikes(seed) {
            std::process::abort();
        }
        0.5
    }
}

pybench::bench! {
    #[settings(n_seeds = 8)]
    /// Writes through a null pointer on some seeds.
    pub fn bench_segfaults(seed: u64) -> f64 {
        if strikes(seed) {
            // SAFETY: none — this is the fault under test.
            unsafe { std::ptr::write_volatile(std::ptr::null_mut::<u64>(), seed) };
        }
        0.5
    }
}

pybench::bench! {
    #[settings(n_seeds = 8, timeout = 2)]
    /// Never returns.
    pub fn bench_hangs(seed: u64) -> f64 {
        loop {
            std::hint::black_box(seed);
            std::hint::spin_loop();
        }
    }
}

pybench::bench! {
    #[settings(n_seeds = 8)]
    /// Sleeps `PYBENCH_FAULTS_SLEEP_MS` (default 50) per seed: for runs
    /// that must overlap or be interrupted.
    pub fn bench_slow(seed: u64) -> f64 {
        let ms = std::env::var("PYBENCH_FAULTS_SLEEP_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(50);
        std::thread::sleep(std::time::Duration::from_millis(ms));
        (seed % 100) as f64
    }
}

pybench::bench! {
    #[settings(n_seeds = 8)]
    /// Returns +inf.
    pub fn bench_infinite(_seed: u64) -> f64 {
        f64::INFINITY
    }
}

pybench::bench! {
    #[settings(n_seeds = 8)]
    /// Returns a boolean.
    pub fn bench_boolean(_seed: u64) -> pybench::Json {
        pybench::Json("true".into())
    }
}

pybench::bench! {
    #[settings(n_seeds = 8)]
    /// Returns a string.
    pub fn bench_string(_seed: u64) -> pybench::Json {
        pybench::Json("\"0.93\"".into())
    }
}

pybench::bench! {
    #[settings(n_seeds = 8)]
    /// A record without `step`.
    pub fn bench_missing_step(_seed: u64) -> pybench::Json {
        pybench::Json(r#"[{"step": 1, "acc": 0.5}, {"acc": 0.6}]"#.into())
    }
}

pybench::bench! {
    #[settings(n_seeds = 8)]
    /// Two records for one step.
    pub fn bench_duplicate_step(_seed: u64) -> pybench::Json {
        pybench::Json(r#"[{"step": 5, "acc": 0.5}, {"step": 5, "acc": 0.6}]"#.into())
    }
}

pybench::bench! {
    #[settings(n_seeds = 8)]
    /// Prints garbage to stdout and stderr, then returns a fine score.
    pub fn bench_noisy(seed: u64) -> f64 {
        println!("GARBAGE{{[\"not json");
        eprintln!("progress: seed {seed}");
        0.25
    }
}

pybench::bench! {
    #[settings(n_seeds = 8)]
    /// Prints a line, then panics: `-v` shows the line under the ERROR.
    pub fn bench_talks_then_panics(seed: u64) -> f64 {
        println!("loading checkpoint for seed {seed}");
        panic!("checkpoint is corrupt")
    }
}

pybench::bench! {
    #[settings(n_seeds = 5)]
    /// A million slots: refused with a clear limit, not an out-of-memory crash.
    pub fn bench_huge(_seed: u64) -> Metrics {
        (0..1_000_000).map(|i| (format!("m{i}"), 0.5)).collect()
    }
}

pybench::bench! {
    #[settings(n_seeds = 10000)]
    /// About a microsecond of work per seed: measures pybench's per-seed
    /// overhead (benches/isolation.rs).
    pub fn bench_tiny(seed: u64) -> f64 {
        let mut x = seed as f64;
        for _ in 0..300 {
            x = std::hint::black_box(x * 1.000_000_1 + 1e-9);
        }
        x
    }
}
