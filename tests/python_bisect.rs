//! `pybench bisect` on a Python project: a temporary repository whose
//! benchmark imports a package beside it, one commit of which regresses
//! the package. Each probe runs the commit's files from its checkout, so
//! the package imported is the commit's.

use crate::util::{TestRepo, python3};

const BENCH: &str = r#"import random

from pkg import accuracy

def bench_pkg(seed, *, n_seeds=10):
    return {"acc": accuracy(seed)}
"#;

/// The package at one commit: `0.8 + shift`, noise of the seed, and noise
/// redrawn whenever `salt` changes.
fn package(shift: f64, salt: u64) -> String {
    format!(
        "import random\n\ndef accuracy(seed):\n    noise = random.Random(seed).gauss(0, 0.01) + random.Random(seed ^ {salt}).gauss(0, 0.01)\n    return 0.8 + {shift:?} + noise\n"
    )
}

pbtest!(
    bisect_names_the_commit_that_regressed_an_imported_module,
    |repo: TestRepo, cmd: Pybench| {
        repo.write("benchmarks/bench_pkg.py", BENCH.as_bytes());
        repo.write("benchmarks/pkg/__init__.py", package(0.0, 0).as_bytes());
        let good = repo.commit_all("the benchmark");
        let env = [("PYBENCH_PYTHON", python3())];
        let stored = cmd.run_env(&[], &env);
        assert_eq!(stored.code, 0, "{stored:?}");
        repo.commit_all("the baseline");
        let plan = [
            (0.0, 1, "tidy the package"),
            (0.0, 2, "reorder the data"),
            (-0.05, 3, "a faster optimiser"),
            (-0.05, 4, "rename things"),
        ];
        let mut ids = Vec::new();
        for (shift, salt, subject) in plan {
            repo.write(
                "benchmarks/pkg/__init__.py",
                package(shift, salt).as_bytes(),
            );
            ids.push(repo.commit_all(subject));
        }
        let run = cmd.run_env(&["bisect"], &env);
        assert_eq!(run.code, 0, "{run:?}");
        let culprit = format!(
            "bench_pkg: first bad commit: {} a faster optimiser\n",
            &ids[2][..7]
        );
        assert!(run.stdout.contains(&culprit), "{run:?}");
        let parent = format!("  parent  {}  reorder the data", &ids[1][..7]);
        assert!(run.stdout.contains(&parent), "{run:?}");
        assert!(
            run.stdout.contains(&good[..7]),
            "GOOD is the baseline's commit: {run:?}"
        );
    }
);
