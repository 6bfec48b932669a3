//! Whole runs of the built `pybench` binary, process start to exit: an
//! unchanged rerun of the synthetic example (30 seeds) and of a C benchmark
//! serving a stored 100 seeds × 1000 slots table (`fixtures/table.c`, the
//! table read once per process), each against its stored baseline — the
//! table rerun both on the same table (paired differences all 0, as a
//! deterministic benchmark's) and on a noisy one (current = baseline +
//! N(0, 0.1) per seed and slot, as real benchmarks' differ); and `pybench
//! show --sensitivity` on 1000 one-slot baselines and on one 300-slot one.
//! The tables and stores are written by the scripts `benches/whole_cli.sh`
//! uses (`fixtures/make_table.py`, `fixtures/many_baselines.py`).
//! `cargo bench --bench whole_run`; `benches/whole_cli.sh` prints the same
//! cases with peak memory.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use pybench_cli::runner::build;

fn workspace() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn synthetic_library() -> PathBuf {
    build::build_package(&workspace().join("examples/synthetic"), None, false)
        .expect("build examples/synthetic")
        .into_iter()
        .next()
        .expect("examples/synthetic is a cdylib")
}

fn table_library(dir: &Path) -> PathBuf {
    let library = dir.join("libtable.so");
    let status = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()))
        .args(["-O2", "-shared", "-fPIC", "-I"])
        .arg(workspace().join("src/authoring/include"))
        .arg("-o")
        .arg(&library)
        .arg(workspace().join("benches/fixtures/table.c"))
        .arg("-lpthread")
        .status()
        .expect("run cc");
    assert!(status.success(), "cc failed");
    library
}

/// Runs one of `benches/fixtures`' Python scripts.
fn fixture_script(script: &str, args: &[&str]) {
    let status = Command::new("python3")
        .arg(workspace().join("benches/fixtures").join(script))
        .args(args)
        .status()
        .expect("run python3");
    assert!(status.success(), "{script} failed");
}

fn pybench(dir: &Path, table: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pybench"));
    command
        .current_dir(dir)
        .args(args)
        .env("PYBENCH_SEED_ENTROPY", "1")
        .env("PYBENCH_TABLE", table)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

/// A directory holding `library` and its baseline, stored from a table of
/// `slots` metrics (`table.txt` in it).
fn prepared(library: &Path, slots: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let name = library.file_name().unwrap().to_str().unwrap();
    std::fs::copy(library, dir.path().join(name)).unwrap();
    let table = dir.path().join("table.txt");
    fixture_script(
        "make_table.py",
        &[table.to_str().unwrap(), "100", &slots.to_string()],
    );
    let lib = format!("./{name}");
    assert!(
        pybench(dir.path(), &table, &["update", "--yes", &lib])
            .status()
            .unwrap()
            .success()
    );
    // Past the library hash cache's settling time, as a library built a
    // while ago is.
    std::thread::sleep(Duration::from_millis(3200));
    dir
}

/// Where `prepared` stores the baselines.
fn baselines(dir: &Path) -> String {
    dir.join(".pybench/baselines.jsonl")
        .to_str()
        .unwrap()
        .to_owned()
}

fn whole_run(c: &mut Criterion) {
    let scratch = tempfile::tempdir().unwrap();
    let synthetic = synthetic_library();
    let table = table_library(scratch.path());
    let synthetic_dir = prepared(&synthetic, 1);
    let table_dir = prepared(&table, 1000);
    let noisy = table_dir.path().join("noisy.txt");
    fixture_script(
        "make_table.py",
        &[
            noisy.to_str().unwrap(),
            "100",
            "1000",
            "--noise",
            "0.1",
            "--seeds",
            &baselines(table_dir.path()),
        ],
    );
    let one_slot = prepared(&table, 1);
    fixture_script("many_baselines.py", &[&baselines(one_slot.path()), "1000"]);
    let wide = prepared(&table, 300);
    let same = table_dir.path().join("table.txt");
    let cases: [(&str, &Path, &Path, &[&str]); 5] = [
        (
            "synthetic_30_seeds",
            synthetic_dir.path(),
            &same,
            &["./libsynthetic.so"],
        ),
        (
            "table_100x1000_zero_variance",
            table_dir.path(),
            &same,
            &["./libtable.so"],
        ),
        (
            "table_100x1000_noisy",
            table_dir.path(),
            &noisy,
            &["./libtable.so"],
        ),
        (
            "show_sensitivity_1000x1_slot",
            one_slot.path(),
            &same,
            &["show", "--sensitivity"],
        ),
        (
            "show_sensitivity_1x300_slots",
            wide.path(),
            &same,
            &["show", "--sensitivity"],
        ),
    ];
    let mut group = c.benchmark_group("whole_run");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(5));
    for (label, dir, table, args) in cases {
        group.bench_function(label, |b| {
            b.iter(|| {
                let status = pybench(dir, table, args).status().unwrap();
                assert!(status.success(), "{label}: exit 0");
            })
        });
    }
    group.finish();
}

criterion_group!(benches, whole_run);
criterion_main!(benches);
