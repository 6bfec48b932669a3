//! The C example: any C-ABI language can provide benchmarks.

use crate::util::{TestDir, c_example};

pbtest!(
    c_benchmark_runs_new_then_pass_then_detects_a_slowdown,
    |dir: TestDir, cmd: Pybench| {
        let lib = c_example();
        let lib = lib.to_str().unwrap();
        let run = cmd.run(&[lib]);
        assert_eq!(run.code, 0, "{run:?}");
        assert_eq!(
            run.line_of("bench_solver"),
            "bench_solver      .......... NEW   6 slots: 2 metrics × 3 steps   (baseline saved)"
        );
        let stored = std::fs::read_to_string(dir.path().join(".pybench/baselines.jsonl")).unwrap();
        assert!(
            stored.contains("\"n\": 20"),
            "the C companion's n_seeds is used"
        );

        let run = cmd.run(&[lib]);
        assert_eq!(run.code, 0, "{run:?}");
        assert_eq!(
            run.line_of("bench_solver"),
            "bench_solver      .......... PASS   6 slots: 2 metrics × 3 steps   0/6 slots flagged  meta-p=1.000"
        );

        let run = cmd.run_env(&[lib, "-v"], &[("SOLVER_SLOWDOWN", "1.5")]);
        assert_eq!(run.code, 1, "{run:?}");
        assert!(run.line_of("bench_solver").contains(" FAIL "));
        assert!(run.stdout.contains("  min:residual "), "{}", run.stdout);
    }
);
