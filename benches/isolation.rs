//! The cost of crash isolation: a ~1 µs benchmark over 10 000 seeds, run in
//! worker processes (the default) versus inside this process
//! (`--in-process`). `cargo bench --bench isolation`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use pybench_cli::runner::{self as run, build, call, isolate, library};
use pybench_cli::scores::SlotSets;

fn faults_library() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/faults");
    build::build_package(&dir, None, false)
        .expect("build examples/faults")
        .into_iter()
        .next()
        .expect("examples/faults is a cdylib")
}

fn isolation(c: &mut Criterion) {
    let path = faults_library();
    let mut skipped = Vec::new();
    let benchmarks = library::load_benchmarks(
        &path,
        None,
        &mut skipped,
        pybench_cli::runner::Libraries::shared(&Default::default()),
    )
    .unwrap();
    let tiny = benchmarks.iter().find(|b| b.name == "bench_tiny").unwrap();
    let entry = tiny.entry.expect("loaded in this process");
    let seeds = run::fresh_seeds(10_000, run::SeedSource::Fixed(1), "bench_tiny");
    let workers = std::thread::available_parallelism().map_or(1, usize::from);
    let exe = Path::new(env!("CARGO_BIN_EXE_pybench"));

    let mut group = c.benchmark_group("1us_x_10000_seeds");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(8));
    group.bench_function("in_process", |b| {
        b.iter(|| {
            let sets = SlotSets::default();
            let reply = call::Reply::Scores;
            call::call_all(
                &[entry],
                &seeds,
                workers,
                reply,
                &sets,
                |_| {},
                |_, _, _| {},
            )
            .unwrap()
        })
    });
    group.bench_function("worker_process", |b| {
        b.iter(|| {
            let side = isolate::Side {
                library: path.clone(),
                bench: "bench_tiny".into(),
            };
            let reply = call::Reply::Scores;
            let context = pybench_cli::runner::RunContext::catching_signals();
            isolate::run_in_worker(&context, exe, &[side], &seeds, workers, reply, None, || {})
                .outcomes
                .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, isolation);
criterion_main!(benches);
