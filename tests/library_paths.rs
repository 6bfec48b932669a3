//! Which file runs, and where results go: every library path is made
//! canonical before it is loaded (a bare file name works, and a namesake on
//! `LD_LIBRARY_PATH` never runs in its place), and `--in-process` resolves
//! every output path before the first benchmark call and drops an `emit`
//! that comes after its call returned.

use std::path::{Path, PathBuf};

use crate::util::{TestDir, baseline_path, c_library, workspace};

fn fixture(file: &str) -> String {
    std::fs::read_to_string(workspace().join("tests/fixtures/c").join(file)).unwrap()
}

/// `in_process.c` with `#define {define}`.
fn in_process_library(define: &str) -> PathBuf {
    let name = format!("inproc_{}", define.to_lowercase());
    c_library(
        &name,
        &format!("#define {define}\n{}", fixture("in_process.c")),
    )
}

/// `bench_drift` lowered by `shift`.
fn drift(tag: &str, shift: &str) -> PathBuf {
    let source = format!("#define SHIFT {shift}\n{}", fixture("drift.c"));
    c_library(&format!("drift_{tag}"), &source)
}

/// The one stored baseline of `dir`: its seeds and its `score` column.
fn stored_scores(dir: &Path) -> (Vec<u64>, Vec<f64>) {
    let text = std::fs::read_to_string(baseline_path(dir)).unwrap();
    let line: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    let seeds = line["seeds"].as_array().unwrap().iter();
    let scores = line["scores"]["0"]["score"].as_array().unwrap().iter();
    (
        seeds.map(|s| s.as_u64().unwrap()).collect(),
        scores.map(|s| s.as_f64().unwrap()).collect(),
    )
}

/// Every stored score is `(seed % 1000) / 1000` minus `shift`.
fn assert_scores_are_the_files(dir: &Path, shift: f64) {
    let (seeds, scores) = stored_scores(dir);
    assert!(!seeds.is_empty());
    for (seed, score) in seeds.iter().zip(&scores) {
        let expected = (seed % 1000) as f64 / 1000.0 - shift;
        assert!(
            (score - expected).abs() < 1e-12,
            "seed {seed}: {score} ≠ {expected}"
        );
    }
}

pbtest!(
    bare_file_name_in_the_librarys_directory_loads,
    |dir: TestDir, cmd: Pybench| {
        std::fs::copy(drift("base", "0"), dir.path().join("libdrift.so")).unwrap();
        let run = cmd.run(&["libdrift.so"]);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(run.line_of("bench_drift").contains(" NEW "), "{run:?}");
        assert_scores_are_the_files(dir.path(), 0.0);
    }
);

pbtest!(
    ld_library_path_namesake_is_not_the_file_that_runs,
    |dir: TestDir, cmd: Pybench| {
        std::fs::copy(drift("base", "0"), dir.path().join("libdrift.so")).unwrap();
        let other = dir.path().join("other");
        std::fs::create_dir(&other).unwrap();
        std::fs::copy(drift("regressed", "0.5"), other.join("libdrift.so")).unwrap();
        let other = other.to_str().unwrap();
        let run = cmd.run_env(&["libdrift.so"], &[("LD_LIBRARY_PATH", other)]);
        assert_eq!(run.code, 0, "{run:?}");
        // The hashed file (the local one, shift 0) is the one that ran.
        assert_scores_are_the_files(dir.path(), 0.0);
        let run = cmd.run_env(&["libdrift.so"], &[("LD_LIBRARY_PATH", other)]);
        assert!(run.line_of("bench_drift").contains(" PASS "), "{run:?}");
        let run = cmd.run_env(
            &["libdrift.so", "--in-process"],
            &[("LD_LIBRARY_PATH", other)],
        );
        assert!(run.line_of("bench_drift").contains(" PASS "), "{run:?}");
    }
);

pbtest!(
    in_process_chdir_does_not_move_the_baseline_or_reports,
    |dir: TestDir, cmd: Pybench| {
        let library = in_process_library("FAULT_CHDIR");
        let elsewhere = dir.path().join("elsewhere");
        std::fs::create_dir(&elsewhere).unwrap();
        let args = [
            library.to_str().unwrap(),
            "--in-process",
            "--json",
            "out/run.json",
            "--junit",
            "junit.xml",
        ];
        let run = cmd.run_env(
            &args,
            &[("PYBENCH_TEST_CHDIR", elsewhere.to_str().unwrap())],
        );
        assert_eq!(run.code, 0, "{run:?}");
        assert!(run.line_of("bench_inproc").contains(" NEW "), "{run:?}");
        assert!(dir.path().join("out/run.json").is_file(), "{run:?}");
        assert!(dir.path().join("junit.xml").is_file(), "{run:?}");
        assert_scores_are_the_files(dir.path(), 0.0);
        let moved: Vec<_> = std::fs::read_dir(&elsewhere).unwrap().collect();
        assert!(moved.is_empty(), "nothing written where it went: {moved:?}");
    }
);

pbtest!(
    in_process_late_emit_from_a_stray_thread_is_dropped,
    |dir: TestDir, cmd: Pybench| {
        let library = in_process_library("FAULT_LATE_EMIT");
        let run = cmd.run(&[library.to_str().unwrap(), "--in-process", "-j", "1"]);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(run.line_of("bench_inproc").contains(" NEW "), "{run:?}");
        // No seed's score took in another seed's late "9".
        assert_scores_are_the_files(dir.path(), 0.0);
    }
);
