//! Merging shards: 1000 shard files (one seed each) of a 1000-seed
//! benchmark, read, checked, joined and judged against a baseline.
//! `cargo bench --bench merge`.

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use pybench_cli::judge::verdict;
use pybench_cli::runner::{self as run, SeedOutcome};
use pybench_cli::scaleout::file::FORMAT_VERSION;
use pybench_cli::scaleout::{self, SeedRecord, SeedsFrom, Shard, ShardFile};
use pybench_cli::scores::ScoreTable;
use pybench_cli::settings::RunMode;
use pybench_cli::store::Baseline;
use pybench_cli::store::fingerprint::{Environment, StoredSettings};

const N: usize = 1000;

fn score(seed: u64) -> String {
    let noise = (seed % 1000) as f64 / 10_000.0;
    format!(
        r#"[{{"step": 1, "min:loss": {}}}, {{"step": 30, "min:loss": {}}}, {{"step": 100, "min:loss": {}}}]"#,
        1.0 + noise,
        0.5 + noise,
        0.1 + noise
    )
}

fn merge_1000(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let seeds = run::fresh_seeds(N, run::SeedSource::Fixed(1), "bench_big");
    for k in 1..=N {
        let shard = Shard { k, n: N };
        let indices = shard.indices(N);
        let results = indices
            .iter()
            .map(|&index| SeedRecord {
                index,
                seed: seeds[index],
                outcome: SeedOutcome {
                    code: 0,
                    text: Ok(score(seeds[index])),
                },
            })
            .collect();
        ShardFile {
            format_version: FORMAT_VERSION,
            pybench_version: env!("CARGO_PKG_VERSION").into(),
            bench: "bench_big".into(),
            shard,
            mode: RunMode::Check,
            seeds_from: SeedsFrom::Baseline,
            seeds: seeds.clone(),
            indices,
            settings: StoredSettings {
                n_seeds: N,
                alpha: pybench_cli::settings::Alpha::DEFAULT,
                min_effect: None,
            },
            library: "libbig.so".into(),
            library_hash: "sha256:0".into(),
            environment: Environment::current(
                &Default::default(),
                std::path::Path::new("/nonexistent"),
            ),
            error: None,
            error_index: None,
            results,
            output: String::new(),
            inputs: None,
            source: None,
        }
        .write(dir.path())
        .unwrap();
    }
    let baseline = Baseline {
        bench: "bench_big".into(),
        timestamp: String::new(),
        git_commit: None,
        git_dirty: false,
        seeds: seeds.clone(),
        scores: ScoreTable::from_results(
            seeds
                .iter()
                .map(|&s| (s, score(s ^ 1)))
                .collect::<Vec<_>>()
                .iter()
                .map(|(s, t)| (*s, t.as_str())),
        )
        .unwrap(),
        env: None,
        settings: None,
        inputs: None,
        source: None,
    };
    let dirs = vec![dir.path().to_path_buf()];

    let mut group = c.benchmark_group("merge");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    group.bench_function("1000_shards_x_1000_seeds", |b| {
        b.iter(|| {
            let merged = scaleout::collect(&dirs).unwrap();
            let result = verdict::judge_joined(&merged[0], Some(&baseline));
            assert!(result.comparison().is_some(), "{:?}", result.error());
            result
        })
    });
    group.finish();
}

criterion_group!(benches, merge_1000);
criterion_main!(benches);
