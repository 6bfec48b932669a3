//! Whole runs of the built `pybench` binary, process start to exit: an
//! unchanged rerun of the synthetic example (30 seeds) and of a C benchmark
//! serving a stored 100 seeds × 1000 slots table (`fixtures/table.c`, the
//! table read once per process), each against its stored baseline.
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

/// The table `table.c` serves: 100 rows of 1000 metrics, fixed values.
fn write_table(path: &Path) {
    let mut state = 20240601u64;
    let mut text = String::new();
    for _ in 0..100 {
        let fields: Vec<String> = (0..1000)
            .map(|j| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let v = 0.5 + 0.05 * ((state >> 11) as f64 / (1u64 << 53) as f64 - 0.5);
                format!("\"m{j:04}\": {v:?}")
            })
            .collect();
        text.push_str(&format!("{{{}}}\n", fields.join(", ")));
    }
    std::fs::write(path, text).unwrap();
}

fn pybench(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pybench"));
    command
        .current_dir(dir)
        .args(args)
        .env("PYBENCH_SEED_ENTROPY", "1")
        .env("PYBENCH_TABLE", dir.join("table.txt"))
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

/// A directory holding `library` and its stored baseline.
fn prepared(library: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let name = library.file_name().unwrap().to_str().unwrap();
    std::fs::copy(library, dir.path().join(name)).unwrap();
    write_table(&dir.path().join("table.txt"));
    let lib = format!("./{name}");
    assert!(
        pybench(dir.path(), &["update", "--yes", &lib])
            .status()
            .unwrap()
            .success()
    );
    // Past the library hash cache's settling time, as a library built a
    // while ago is.
    std::thread::sleep(Duration::from_millis(3200));
    dir
}

fn whole_run(c: &mut Criterion) {
    let scratch = tempfile::tempdir().unwrap();
    let cases = [
        ("synthetic_30_seeds", synthetic_library()),
        ("table_100x1000", table_library(scratch.path())),
    ];
    let mut group = c.benchmark_group("whole_run");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(5));
    for (label, library) in &cases {
        let dir = prepared(library);
        let lib = format!("./{}", library.file_name().unwrap().to_str().unwrap());
        group.bench_function(*label, |b| {
            b.iter(|| {
                let status = pybench(dir.path(), &[&lib]).status().unwrap();
                assert!(status.success(), "an unchanged rerun passes");
            })
        });
    }
    group.finish();
}

criterion_group!(benches, whole_run);
criterion_main!(benches);
