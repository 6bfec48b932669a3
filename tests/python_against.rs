//! `--against REV` with Python benchmarks: REV's file runs from REV's
//! checkout, whose root and `src/` come first on its `sys.path`, so REV's
//! package is imported there even when the environment points at the
//! working tree's (as an editable install does).

use crate::util::{TestRepo, python3};

const BENCH: &str = r#"import random

from pkg import accuracy

def bench_pkg(seed, *, n_seeds=8, workers=2):
    return {"acc": accuracy(random.Random(seed))}
"#;

fn package(mean: f64) -> String {
    format!("def accuracy(rng):\n    return {mean} + rng.gauss(0, 0.01)\n")
}

pbtest!(
    against_runs_each_side_with_its_own_package,
    |repo: TestRepo, cmd: Pybench| {
        repo.write("benchmarks/bench_pkg.py", BENCH.as_bytes());
        repo.write("src/pkg/__init__.py", package(0.8).as_bytes());
        repo.write("requirements.txt", b"numpy\n");
        repo.commit_all("the package");
        repo.write("src/pkg/__init__.py", package(0.7).as_bytes());
        repo.write("requirements.txt", b"numpy==2.0\n");
        // The working tree's package is what the environment imports.
        let src = repo.path().join("src");
        let env = [
            ("PYBENCH_PYTHON", python3()),
            ("PYTHONPATH", src.to_str().unwrap()),
        ];
        let run = cmd.run_env(&["--against", "HEAD"], &env);
        assert_eq!(run.code, 1, "{run:?}");
        assert!(run.line_of("bench_pkg").contains("FAIL"), "{run:?}");
        assert!(
            run.stderr
                .contains("warning: requirements.txt differ between HEAD (")
                && run
                    .stderr
                    .contains("but both sides run in one Python environment"),
            "{run:?}"
        );
        // Unchanged code: the same package on both sides passes, and the
        // kept checkout is reused.
        repo.write("src/pkg/__init__.py", package(0.8).as_bytes());
        repo.write("requirements.txt", b"numpy\n");
        let same = cmd.run_env(&["--against", "HEAD"], &env);
        assert_eq!(same.code, 0, "{same:?}");
        assert!(same.line_of("bench_pkg").contains("PASS"), "{same:?}");
        assert!(!same.stderr.contains("warning"), "{same:?}");
    }
);
