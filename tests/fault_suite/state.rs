//! Faults in the run's own state and settings rather than in a benchmark:
//! one baseline file named two ways, special files where pybench keeps its
//! caches, and a run-level correction no benchmark could ever fail. Each
//! ends in a clear line and an exit code, never a hang, a lost update or a
//! gate that cannot fail.

use crate::util::{TestRepo, baseline_bytes};

pbtest!(
    a_correction_no_benchmark_can_fail_is_an_error,
    |repo: TestRepo, cmd: Pybench| {
        let lib = crate::family::many_with_seeds(8);
        assert_eq!(cmd.run(&[&lib]).code, 0);
        repo.commit_all("eight seeds");
        let before = baseline_bytes(repo.path()).unwrap();
        let run = cmd.run_env(&[&lib], &[("PYBENCH_MANY_REGRESS", "b03")]);
        assert_eq!(run.code, 2, "the gate could not fail: {run:?}");
        assert!(
            run.line_of("bench_b03")
                .contains(" ERROR   8 seeds can never reach the corrected threshold 0.0025"),
            "{}",
            run.stdout
        );
        assert!(!run.stdout.contains(" PASS "), "{}", run.stdout);
        assert_eq!(baseline_bytes(repo.path()).unwrap(), before);
    }
);
