//! The fault suite: one misbehaving benchmark per fault, in Rust
//! (`examples/faults`) and in C (`tests/fixtures/c/fault.c`, one library per
//! fault), each run beside a healthy benchmark whose baseline already
//! exists. pybench must exit normally with code 2, name the benchmark, the
//! seed and the cause on one line, still report the healthy benchmark, and
//! leave the baseline file's bytes as they were.

pub(crate) mod signals;
mod state;

use std::path::{Path, PathBuf};

use crate::util::{Pybench, Run, TestDir, baseline_bytes, c_library, faults, workspace};

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

/// Gives `dir` a committed-style baseline for the healthy benchmark of
/// `paths`; returns that file's bytes.
fn with_healthy_baseline(dir: &TestDir, cmd: &Pybench, healthy: &[&str]) -> Vec<u8> {
    let run = cmd.run(healthy);
    assert_eq!(run.code, 0, "{run:?}");
    baseline_bytes(dir.path()).unwrap()
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

fn rust_fault(dir: &TestDir, cmd: &Pybench, bench: &str, cause: &str) {
    let faults = faults();
    let faults = faults.to_str().unwrap();
    let bytes = with_healthy_baseline(dir, cmd, &[faults, "--bench", "healthy"]);
    let run = cmd.run(&[faults, "--bench", "healthy", "--bench", bench]);
    assert_fault(
        &run,
        dir.path(),
        &bytes,
        &format!("bench_{bench}"),
        "bench_healthy",
        cause,
    );
}

fn c_fault_run(dir: &TestDir, cmd: &Pybench, define: &str, cause: &str) {
    let healthy = c_library(
        "healthy_ok",
        "#include \"pybench.h\"\n#include <string.h>\nPYBENCH_META(ok, \"{\\\"abi\\\":1,\\\"n_seeds\\\":8}\")\nPYBENCH_EXPORT int32_t bench_ok(uint64_t seed, void *ctx, pybench_emit emit) { const char *s = (seed % 2) ? \"0.5\" : \"0.25\"; emit(ctx, (const uint8_t *)s, strlen(s)); return 0; }\n",
    );
    let healthy = healthy.to_str().unwrap();
    let fault = c_fault(define);
    let bytes = with_healthy_baseline(dir, cmd, &[healthy]);
    let run = cmd.run(&[healthy, fault.to_str().unwrap()]);
    assert_fault(&run, dir.path(), &bytes, "bench_fault", "bench_ok", cause);
}

pbtest!(rust_panic, |dir: TestDir, cmd: Pybench| {
    rust_fault(
        &dir,
        &cmd,
        "panics",
        "panicked: index out of range for seed ",
    );
});

pbtest!(rust_abort, |dir: TestDir, cmd: Pybench| {
    rust_fault(&dir, &cmd, "aborts", "worker process was killed by SIGABRT");
});

pbtest!(rust_segfault, |dir: TestDir, cmd: Pybench| {
    rust_fault(
        &dir,
        &cmd,
        "segfaults",
        "worker process was killed by SIGSEGV",
    );
});

pbtest!(
    rust_infinite_loop_times_out,
    |dir: TestDir, cmd: Pybench| {
        rust_fault(&dir, &cmd, "hangs", "timed out after 2 s on seed ");
    }
);

pbtest!(rust_nan, |dir: TestDir, cmd: Pybench| {
    rust_fault(
        &dir,
        &cmd,
        "nan",
        "metric `min:loss` is NaN, expected a finite number",
    );
});

pbtest!(rust_infinity, |dir: TestDir, cmd: Pybench| {
    rust_fault(
        &dir,
        &cmd,
        "infinite",
        "the score is Infinity, expected a finite number",
    );
});

pbtest!(rust_boolean, |dir: TestDir, cmd: Pybench| {
    rust_fault(
        &dir,
        &cmd,
        "boolean",
        "the score is true, expected a finite number",
    );
});

pbtest!(rust_string, |dir: TestDir, cmd: Pybench| {
    rust_fault(
        &dir,
        &cmd,
        "string",
        "the score is \"0.93\", expected a finite number",
    );
});

pbtest!(rust_missing_step, |dir: TestDir, cmd: Pybench| {
    rust_fault(&dir, &cmd, "missing_step", "record #1 has no `step`");
});

pbtest!(rust_duplicate_step, |dir: TestDir, cmd: Pybench| {
    rust_fault(
        &dir,
        &cmd,
        "duplicate_step",
        "step 5 appears more than once",
    );
});

pbtest!(
    rust_slots_change_between_seeds,
    |dir: TestDir, cmd: Pybench| {
        rust_fault(&dir, &cmd, "shifting_slots", "slots differ from seed ");
    }
);

pbtest!(rust_error_value, |dir: TestDir, cmd: Pybench| {
    rust_fault(&dir, &cmd, "errors", "dataset shard ");
});

pbtest!(rust_huge_result_is_refused, |dir: TestDir, cmd: Pybench| {
    rust_fault(&dir, &cmd, "huge", "over the limit of 100000");
});

pbtest!(c_abort, |dir: TestDir, cmd: Pybench| {
    c_fault_run(
        &dir,
        &cmd,
        "FAULT_ABORT",
        "worker process was killed by SIGABRT",
    );
});

pbtest!(c_segfault, |dir: TestDir, cmd: Pybench| {
    c_fault_run(
        &dir,
        &cmd,
        "FAULT_SEGV",
        "worker process was killed by SIGSEGV",
    );
});

pbtest!(
    c_exit0_mid_seed_names_the_seed,
    |dir: TestDir, cmd: Pybench| {
        c_fault_run(
            &dir,
            &cmd,
            "FAULT_EXIT0",
            "worker process exited with code 0 while running seed ",
        );
    }
);

pbtest!(c_infinite_loop_times_out, |dir: TestDir, cmd: Pybench| {
    c_fault_run(&dir, &cmd, "FAULT_LOOP", "timed out after 2 s on seed ");
});

pbtest!(c_error_return, |dir: TestDir, cmd: Pybench| {
    c_fault_run(&dir, &cmd, "FAULT_ERROR", "solver diverged");
});

pbtest!(c_nan, |dir: TestDir, cmd: Pybench| {
    c_fault_run(&dir, &cmd, "FAULT_NAN", "metric `accuracy` is NaN");
});

pbtest!(c_infinity, |dir: TestDir, cmd: Pybench| {
    c_fault_run(&dir, &cmd, "FAULT_INF", "the score is Infinity");
});

pbtest!(c_boolean, |dir: TestDir, cmd: Pybench| {
    c_fault_run(&dir, &cmd, "FAULT_BOOL", "the score is false");
});

pbtest!(c_string, |dir: TestDir, cmd: Pybench| {
    c_fault_run(&dir, &cmd, "FAULT_STRING", "the score is \"0.93\"");
});

pbtest!(c_missing_step, |dir: TestDir, cmd: Pybench| {
    c_fault_run(&dir, &cmd, "FAULT_MISSING_STEP", "record #1 has no `step`");
});

pbtest!(c_duplicate_step, |dir: TestDir, cmd: Pybench| {
    c_fault_run(
        &dir,
        &cmd,
        "FAULT_DUP_STEP",
        "step 5 appears more than once",
    );
});

pbtest!(
    c_slots_change_between_seeds,
    |dir: TestDir, cmd: Pybench| {
        c_fault_run(&dir, &cmd, "FAULT_SHIFTING", "slots differ from seed ");
    }
);

pbtest!(c_unknown_abi_version, |dir: TestDir, cmd: Pybench| {
    let healthy_and_fault = || c_fault("META=\"{\\\"abi\\\":2}\"");
    let fault = healthy_and_fault();
    let run = cmd.run(&[fault.to_str().unwrap()]);
    assert_eq!(run.code, 2, "{run:?}");
    let line = run.line_of("bench_fault");
    assert!(
        line.ends_with("ERROR   unknown ABI version 2 (this pybench speaks version 1)"),
        "{line}"
    );
    assert!(baseline_bytes(dir.path()).is_none());
});

pbtest!(
    c_bench_without_companion_is_skipped,
    |dir: TestDir, cmd: Pybench| {
        let orphan = c_fault("NO_COMPANION");
        let healthy = c_fault("HEALTHY");
        // The orphan alone: no benchmark at all, an error naming the library.
        let run = cmd.run(&[orphan.to_str().unwrap()]);
        assert_eq!(run.code, 2, "{run:?}");
        assert!(
            run.error_lines()[0].contains("exports no benchmarks"),
            "{}",
            run.stderr
        );
        // In a directory beside a real benchmark: skipped, and -v says so.
        let both = TestDir::new("both");
        for lib in [&orphan, &healthy] {
            std::fs::copy(lib, both.path().join(lib.file_name().unwrap())).unwrap();
        }
        let run = cmd.run(&[both.path().to_str().unwrap(), "-v"]);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(
            run.stdout.contains("pybench — 1 benchmark discovered"),
            "{}",
            run.stdout
        );
        assert!(
            run.stderr.contains("bench_fault in ") && run.stderr.contains("skipped"),
            "{}",
            run.stderr
        );
    }
);

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
        let dir = TestDir::new(label);
        let report = dir.path().join("report.json");
        let mut args: Vec<&str> = paths.iter().map(String::as_str).collect();
        args.extend(["--json", report.to_str().unwrap()]);
        let run = Pybench::new(dir.path()).run(&args);
        assert_eq!(run.code, 0, "{label}: {run:?}");
        assert!(!run.stdout.contains("GARBAGE"), "{label}: {}", run.stdout);
        assert!(run.stdout.contains(" NEW "), "{label}: {}", run.stdout);
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
        assert_eq!(json["benchmarks"][0]["status"], "NEW", "{label}");
    }
}

pbtest!(
    verbose_shows_what_a_failing_benchmark_printed,
    |dir: TestDir, cmd: Pybench| {
        let faults = faults();
        let run = cmd.run(&[
            faults.to_str().unwrap(),
            "--bench",
            "talks_then_panics",
            "-v",
        ]);
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
        let quiet = cmd.run(&[faults.to_str().unwrap(), "--bench", "talks_then_panics"]);
        assert!(
            !quiet.stdout.contains("loading checkpoint"),
            "only with -v: {}",
            quiet.stdout
        );
    }
);

// A library that vanished from a searched directory: its benchmark stays
// in the baseline file, so it is MISSING (exit 2), the other benchmark is
// still judged, and the file is untouched.
pbtest!(vanished_library_is_missing, |dir: TestDir, cmd: Pybench| {
    let libs = dir.path().join("libs");
    std::fs::create_dir_all(&libs).unwrap();
    let solver = crate::util::c_example();
    let gone = c_fault("FAULT_NONE");
    for lib in [&solver, &gone] {
        std::fs::copy(lib, libs.join(lib.file_name().unwrap())).unwrap();
    }
    let bytes = with_healthy_baseline(&dir, &cmd, &["libs"]);
    std::fs::remove_file(libs.join(gone.file_name().unwrap())).unwrap();
    let run = cmd.run(&["libs"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.line_of("bench_solver").contains(" PASS "),
        "{}",
        run.stdout
    );
    assert_eq!(
        run.line_of("bench_fault"),
        "bench_fault       .......... MISSING   in the baseline file but not discovered \
         (hint: restore it, or run `pybench forget NAME` to drop its baseline on purpose)"
    );
    assert!(
        run.stdout
            .contains("0 failed, 1 passed, 0 new, 1 missing  in "),
        "{}",
        run.stdout
    );
    assert_eq!(
        baseline_bytes(dir.path()).unwrap(),
        bytes,
        "baseline bytes unchanged"
    );
    // A shard of a check decides it as the check does, after writing its files.
    let run = cmd.run(&["libs", "--shard", "1/2", "--out", "shards"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.line_of("bench_fault").contains(" MISSING   "),
        "{}",
        run.stdout
    );
    assert!(
        dir.path()
            .join("shards")
            .read_dir()
            .unwrap()
            .next()
            .is_some()
    );
});
