//! The parse path: one seed's result of 1000 slots (`{"m0000": x, …}`, what
//! a worker parses as the seed finishes), 100 of them into a score table
//! (the whole run's parsing, here on one thread), and reading the 100 × 1000
//! baseline line back. `cargo bench --bench parse`.

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use pybench_cli::scores::{ScoreTable, SlotSets};
use pybench_cli::store::Baseline;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Seed results as a C benchmark prints them (`%.17g`), `slots` metrics each.
fn results(seeds: usize, slots: usize) -> Vec<String> {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    (0..seeds)
        .map(|_| {
            let fields: Vec<String> = (0..slots)
                .map(|j| format!("\"m{j:04}\": {}", 0.5 + 0.05 * rng.random::<f64>()))
                .collect();
            format!("{{{}}}", fields.join(", "))
        })
        .collect()
}

fn parse(c: &mut Criterion) {
    let texts = results(100, 1000);
    let seeds: Vec<u64> = (0..100).collect();
    let mut group = c.benchmark_group("parse");
    group
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    group.bench_function("seed_1000_slots", |b| {
        let sets = SlotSets::default();
        b.iter(|| sets.parse(1, &texts[0]).unwrap())
    });
    group.bench_function("table_100x1000", |b| {
        b.iter(|| {
            ScoreTable::from_results(seeds.iter().copied().zip(texts.iter().map(String::as_str)))
                .unwrap()
        })
    });
    let table =
        ScoreTable::from_results(seeds.iter().copied().zip(texts.iter().map(String::as_str)))
            .unwrap();
    let line = Baseline {
        bench: "bench_table".into(),
        timestamp: "2026-12-05T00:00:00Z".into(),
        git_commit: None,
        git_dirty: false,
        seeds: (1..=100).collect(),
        scores: table,
        env: None,
        settings: None,
        inputs: None,
        source: None,
    }
    .to_line();
    group.bench_function("baseline_line_100x1000", |b| {
        b.iter(|| Baseline::from_line(&line).unwrap())
    });
    group.finish();
}

criterion_group!(benches, parse);
criterion_main!(benches);
