//! The fault suite: one misbehaving benchmark per fault, in Rust
//! (`examples/faults`) and in C (`tests/fixtures/c/fault.c`, one library per
//! fault), each run beside a healthy benchmark whose baseline already
//! exists. pybench must exit normally with code 2, name the benchmark, the
//! seed and the cause on one line, still report the healthy benchmark, and
//! leave the baseline file's bytes as they were.

mod common;

use std::path::{Path, PathBuf};

use common::cli::{Run, baseline_bytes, c_library, faults, pybench, workspace};

/// A C library for `define` (e.g. `FAULT_ABORT`), named after it.
fn c_fault(define: &str) -> PathBuf {
    let source = std::fs::read_to_string(workspace().join("tests/fixtures/c/fault.c")).unwrap();
    let name = define.to_lowercase();
    let defines: String = define
        .split(' ')
        .map(|d| format!("#define {}\n", d.replacen('=', " ", 1)))
        .collect();
    c_library(
        &format!("fault_{name}").replace([' ', '=', '"', '\\', '{', '}', ':', ','], "_"),
        &format!("{defines}{source}"),
    )
}

/// A directory with a committed-style baseline for the healthy benchmark of
/// `paths`, and that file's bytes.
fn with_healthy_baseline(healthy: &[&str]) -> (tempfile::TempDir, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let run = pybench(dir.path(), healthy, &[]);
    assert_eq!(run.code, 0, "{run:?}");
    let bytes = baseline_bytes(dir.path()).unwrap();
    (dir, bytes)
}

fn assert_fault(run: &Run, dir: &Path, bytes: &[u8], bench: &str, healthy: &str, cause: &str) {
    assert_eq!(run.code, 2, "{run:?}");
    let line = run.line_of(bench);
    assert!(line.contains(" ERROR   "), "{line}");
    assert!(line.contains("seed "), "names the seed: {line}");
    assert!(line.contains(cause), "names the cause {cause:?}: {line}");
    assert!(run.line_of(healthy).contains(" PASS "), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("0 failed, 1 passed, 0 new, 1 error  in "),
        "{}",
        run.stdout
    );
    assert!(
        !run.stderr.contains("RUST_BACKTRACE"),
        "pybench itself never panics: {}",
        run.stderr
    );
    assert_eq!(
        baseline_bytes(dir).unwrap(),
        bytes,
        "baseline bytes unchanged"
    );
}

fn rust_fault(bench: &str, cause: &str) {
    let faults = faults();
    let faults = faults.to_str().unwrap();
    let (dir, bytes) = with_healthy_baseline(&[faults, "--bench", "healthy"]);
    let run = pybench(
        dir.path(),
        &[faults, "--bench", "healthy", "--bench", bench],
        &[],
    );
    assert_fault(
        &run,
        dir.path(),
        &bytes,
        &format!("bench_{bench}"),
        "bench_healthy",
        cause,
    );
}

fn c_fault_run(define: &str, cause: &str) {
    let healthy = c_library(
        "healthy_ok",
        "#include \"pybench.h\"\n#include <string.h>\nPYBENCH_META(ok, \"{\\\"abi\\\":1,\\\"n_seeds\\\":8}\")\nPYBENCH_EXPORT int32_t bench_ok(uint64_t seed, void *ctx, pybench_emit emit) { const char *s = (seed % 2) ? \"0.5\" : \"0.25\"; emit(ctx, (const uint8_t *)s, strlen(s)); return 0; }\n",
    );
    let healthy = healthy.to_str().unwrap();
    let fault = c_fault(define);
    let (dir, bytes) = with_healthy_baseline(&[healthy]);
    let run = pybench(dir.path(), &[healthy, fault.to_str().unwrap()], &[]);
    assert_fault(&run, dir.path(), &bytes, "bench_fault", "bench_ok", cause);
}

#[test]
fn rust_panic() {
    rust_fault("panics", "panicked: index out of range for seed ");
}

#[test]
fn rust_abort() {
    rust_fault("aborts", "worker process was killed by SIGABRT");
}

#[test]
fn rust_segfault() {
    rust_fault("segfaults", "worker process was killed by SIGSEGV");
}

#[test]
fn rust_infinite_loop_times_out() {
    rust_fault("hangs", "timed out after 2 s on seed ");
}

#[test]
fn rust_nan() {
    rust_fault("nan", "metric `min:loss` is NaN, expected a finite number");
}

#[test]
fn rust_infinity() {
    rust_fault(
        "infinite",
        "the score is Infinity, expected a finite number",
    );
}

#[test]
fn rust_boolean() {
    rust_fault("boolean", "the score is true, expected a finite number");
}

#[test]
fn rust_string() {
    rust_fault("string", "the score is \"0.93\", expected a finite number");
}

#[test]
fn rust_missing_step() {
    rust_fault("missing_step", "record #1 has no `step`");
}

#[test]
fn rust_duplicate_step() {
    rust_fault("duplicate_step", "step 5 appears more than once");
}

#[test]
fn rust_slots_change_between_seeds() {
    rust_fault("shifting_slots", "slots differ from seed ");
}

#[test]
fn rust_error_value() {
    rust_fault("errors", "dataset shard ");
}

#[test]
fn rust_huge_result_is_refused() {
    rust_fault("huge", "over the limit of 100000");
}

#[test]
fn c_abort() {
    c_fault_run("FAULT_ABORT", "worker process was killed by SIGABRT");
}

#[test]
fn c_segfault() {
    c_fault_run("FAULT_SEGV", "worker process was killed by SIGSEGV");
}

#[test]
fn c_infinite_loop_times_out() {
    c_fault_run("FAULT_LOOP", "timed out after 2 s on seed ");
}

#[test]
fn c_error_return() {
    c_fault_run("FAULT_ERROR", "solver diverged");
}

#[test]
fn c_nan() {
    c_fault_run("FAULT_NAN", "metric `accuracy` is NaN");
}

#[test]
fn c_infinity() {
    c_fault_run("FAULT_INF", "the score is Infinity");
}

#[test]
fn c_boolean() {
    c_fault_run("FAULT_BOOL", "the score is false");
}

#[test]
fn c_string() {
    c_fault_run("FAULT_STRING", "the score is \"0.93\"");
}

#[test]
fn c_missing_step() {
    c_fault_run("FAULT_MISSING_STEP", "record #1 has no `step`");
}

#[test]
fn c_duplicate_step() {
    c_fault_run("FAULT_DUP_STEP", "step 5 appears more than once");
}

#[test]
fn c_slots_change_between_seeds() {
    c_fault_run("FAULT_SHIFTING", "slots differ from seed ");
}

#[test]
fn c_unknown_abi_version() {
    let healthy_and_fault = || c_fault("META=\"{\\\"abi\\\":2}\"");
    let fault = healthy_and_fault();
    let dir = tempfile::tempdir().unwrap();
    let run = pybench(dir.path(), &[fault.to_str().unwrap()], &[]);
    assert_eq!(run.code, 2, "{run:?}");
    let line = run.line_of("bench_fault");
    assert!(
        line.ends_with("ERROR   unknown ABI version 2 (this pybench speaks version 1)"),
        "{line}"
    );
    assert!(baseline_bytes(dir.path()).is_none());
}

#[test]
fn c_bench_without_companion_is_skipped() {
    let orphan = c_fault("NO_COMPANION");
    let healthy = c_fault("HEALTHY");
    let dir = tempfile::tempdir().unwrap();
    // The orphan alone: no benchmark at all, an error naming the library.
    let run = pybench(dir.path(), &[orphan.to_str().unwrap()], &[]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.error_lines()[0].contains("exports no benchmarks"),
        "{}",
        run.stderr
    );
    // In a directory beside a real benchmark: skipped, and -v says so.
    let both = tempfile::tempdir().unwrap();
    for lib in [&orphan, &healthy] {
        std::fs::copy(lib, both.path().join(lib.file_name().unwrap())).unwrap();
    }
    let run = pybench(dir.path(), &[both.path().to_str().unwrap(), "-v"], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("pybench — 1 benchmarks discovered"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.contains("bench_fault in ") && run.stderr.contains("skipped"),
        "{}",
        run.stderr
    );
}

#[test]
fn stdout_garbage_never_reaches_the_report() {
    for (label, paths) in [
        (
            "rust",
            vec![
                faults().to_str().unwrap().to_string(),
                "--bench".into(),
                "noisy".into(),
            ],
        ),
        (
            "c",
            vec![c_fault("FAULT_STDOUT").to_str().unwrap().to_string()],
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let report = dir.path().join("report.json");
        let mut args: Vec<&str> = paths.iter().map(String::as_str).collect();
        args.extend(["--json", report.to_str().unwrap()]);
        let run = pybench(dir.path(), &args, &[]);
        assert_eq!(run.code, 0, "{label}: {run:?}");
        assert!(!run.stdout.contains("GARBAGE"), "{label}: {}", run.stdout);
        assert!(run.stdout.contains(" NEW "), "{label}: {}", run.stdout);
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
        assert_eq!(json["benchmarks"][0]["status"], "NEW", "{label}");
    }
}

#[test]
fn verbose_shows_what_a_failing_benchmark_printed() {
    let dir = tempfile::tempdir().unwrap();
    let faults = faults();
    let run = pybench(
        dir.path(),
        &[
            faults.to_str().unwrap(),
            "--bench",
            "talks_then_panics",
            "-v",
        ],
        &[],
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.line_of("bench_talks_then_panics")
            .contains("panicked: checkpoint is corrupt")
    );
    assert!(run.stdout.contains("  output:\n"), "{}", run.stdout);
    assert!(
        run.stdout.contains("  | loading checkpoint for seed "),
        "{}",
        run.stdout
    );
    let quiet = pybench(
        dir.path(),
        &[faults.to_str().unwrap(), "--bench", "talks_then_panics"],
        &[],
    );
    assert!(
        !quiet.stdout.contains("loading checkpoint"),
        "only with -v: {}",
        quiet.stdout
    );
}
