//! The C example: any C-ABI language can provide benchmarks.

mod common;

use common::cli::{c_example, pybench};

#[test]
fn c_benchmark_runs_new_then_pass_then_detects_a_slowdown() {
    let dir = tempfile::tempdir().unwrap();
    let lib = c_example();
    let lib = lib.to_str().unwrap();
    let run = pybench(dir.path(), &[lib], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.line_of("bench_solver"),
        "bench_solver      .......... NEW   2 metrics × 3 steps   (baseline saved)"
    );
    let stored = std::fs::read_to_string(dir.path().join(".pybench/baselines.jsonl")).unwrap();
    assert!(
        stored.contains("\"n\": 20"),
        "the C companion's n_seeds is used"
    );

    let run = pybench(dir.path(), &[lib], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.line_of("bench_solver"),
        "bench_solver      .......... PASS   2 metrics × 3 steps   0/6 slots flagged  meta-p=1.000"
    );

    let run = pybench(dir.path(), &[lib, "-v"], &[("SOLVER_SLOWDOWN", "1.5")]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.line_of("bench_solver").contains(" FAIL "));
    assert!(run.stdout.contains("  min:residual "), "{}", run.stdout);
}
