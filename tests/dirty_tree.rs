//! On a dirty tree, one NEW benchmark must not block the verdict on the
//! others: every benchmark with a baseline is judged and reported, the NEW
//! one is marked "not saved", and the exit code is the judged verdict.

use crate::errors::scored_library;
use crate::util::{Pybench, TestRepo, baseline_bytes};

const EIGHT_SEEDS: &str = r#"{"abi":1,"n_seeds":8}"#;

pbtest!(
    new_benchmark_on_a_dirty_tree_still_lets_a_regression_exit_1,
    |repo: TestRepo, cmd: Pybench| {
        let old = scored_library("dirty_old", EIGHT_SEEDS, "min:loss");
        let new = scored_library("dirty_new", EIGHT_SEEDS, "min:loss");
        let (old, new) = (old.to_str().unwrap(), new.to_str().unwrap());
        repo.write("README.md", b"x\n");
        assert_eq!(cmd.run(&[old]).code, 0);
        repo.commit_all("baseline");
        repo.write("README.md", b"edited\n");
        let bytes = baseline_bytes(repo.path()).unwrap();

        let run = cmd.run(&[old, new]);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(
            run.line_of("bench_dirty_old").contains(" PASS "),
            "{}",
            run.stdout
        );
        assert!(
            run.line_of("bench_dirty_new")
                .ends_with("   not saved: working tree dirty (commit, or pass --yes)"),
            "{}",
            run.stdout
        );
        assert!(run.error_lines().is_empty(), "{}", run.stderr);

        let run = cmd.run_env(&[old, new], &[("PB_REGRESS", "1")]);
        assert_eq!(run.code, 1, "{run:?}");
        assert!(
            run.line_of("bench_dirty_old").contains(" FAIL "),
            "{}",
            run.stdout
        );
        assert!(
            run.line_of("bench_dirty_new")
                .contains("not saved: working tree dirty")
        );
        assert_eq!(
            baseline_bytes(repo.path()).unwrap(),
            bytes,
            "nothing written"
        );

        let run = Pybench::new(repo.path()).run(&[old, new, "--yes"]);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(run.line_of("bench_dirty_new").ends_with("(baseline saved)"));
    }
);
