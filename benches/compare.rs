//! Time of `stats::compare` (per-slot tests + 4096-pattern permutation
//! engine) at the sizes the design cares about: seeds × slots.
//!
//! `cargo bench --bench compare` (a couple of minutes on 2 cores).

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use pybench_cli::scores::{ScoreTable, SlotKey};
use pybench_cli::stats::{CompareOptions, compare};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Loss-curve-like data with no regression: per-seed offsets shared across
/// slots plus noise; `min:` metric.
fn tables(n: usize, slots: usize) -> (ScoreTable, ScoreTable) {
    let mut rng = ChaCha8Rng::seed_from_u64(n as u64 * 1_000_003 + slots as u64);
    let keys: Vec<SlotKey> = (0..slots as i64)
        .map(|s| SlotKey::new(s, "min:loss"))
        .collect();
    let offsets: Vec<f64> = (0..n).map(|_| rng.random::<f64>() * 0.1).collect();
    let column = |rng: &mut ChaCha8Rng, s: usize| -> Vec<f64> {
        let level = (-(s as f64) / 30.0).exp() + 0.1;
        (0..n)
            .map(|i| level + offsets[i] + 0.05 * (rng.random::<f64>() - 0.5))
            .collect()
    };
    let base = (0..slots).map(|s| column(&mut rng, s)).collect();
    let cur = (0..slots).map(|s| column(&mut rng, s)).collect();
    (
        ScoreTable::new(keys.clone(), base).unwrap(),
        ScoreTable::new(keys, cur).unwrap(),
    )
}

fn bench_compare(c: &mut Criterion) {
    let opts = CompareOptions {
        alpha: 0.05,
        min_effect: None,
    };
    let mut group = c.benchmark_group("compare");
    group.warm_up_time(Duration::from_millis(500));
    for (n, slots) in [(30, 3), (30, 300), (12, 100), (100, 1000), (100, 100_000)] {
        let (base, cur) = tables(n, slots);
        let seeds: Vec<u64> = (0..n as u64).collect();
        let big = n * slots >= 1_000_000;
        group.sample_size(if big { 10 } else { 30 });
        group.measurement_time(Duration::from_secs(if big { 12 } else { 3 }));
        group.bench_function(BenchmarkId::from_parameter(format!("{n}x{slots}")), |b| {
            b.iter(|| compare("bench_synthetic", &seeds, &base, &cur, &opts).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, bench_compare);
criterion_main!(benches);
