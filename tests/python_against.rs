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

const MATURIN_BENCH: &str = r#"import random

from pkg import accuracy

def bench_pkg(seed, *, n_seeds=8):
    return {"acc": accuracy(random.Random(seed))}
"#;

const PYTHONPATH: &[u8] =
    b"[project]\nname = \"pkg\"\n\n[tool.pybench]\npythonpath = [\"python\"]\n";

pbtest!(
    pythonpath_puts_a_layouts_package_first_on_both_sides,
    |repo: TestRepo, cmd: Pybench| {
        // maturin's layout: the Python package lives in python/.
        repo.write("benchmarks/bench_pkg.py", MATURIN_BENCH.as_bytes());
        repo.write("python/pkg/__init__.py", package(0.8).as_bytes());
        repo.write("pyproject.toml", PYTHONPATH);
        repo.commit_all("the package");
        let env = [("PYBENCH_PYTHON", python3())];
        let first = cmd.run_env(&["--yes"], &env);
        assert_eq!(first.code, 0, "{first:?}");
        assert!(first.line_of("bench_pkg").contains("NEW"), "{first:?}");
        repo.write("python/pkg/__init__.py", package(0.7).as_bytes());
        let run = cmd.run_env(&["--against", "HEAD"], &env);
        assert_eq!(run.code, 1, "{run:?}");
        assert!(run.line_of("bench_pkg").contains("FAIL"), "{run:?}");
        assert!(!run.stderr.contains("warning"), "{run:?}");
    }
);

pbtest!(
    a_package_loaded_from_outside_its_sides_tree_is_a_warning,
    |repo: TestRepo, cmd: Pybench| {
        repo.write("benchmarks/bench_pkg.py", MATURIN_BENCH.as_bytes());
        repo.write("python/pkg/__init__.py", package(0.8).as_bytes());
        repo.commit_all("the package");
        repo.write("python/pkg/__init__.py", package(0.7).as_bytes());
        // No `pythonpath`: the environment finds the working tree's
        // package (as an editable install would), on REV's side too.
        let python = repo.path().join("python");
        let env = [
            ("PYBENCH_PYTHON", python3()),
            ("PYTHONPATH", python.to_str().unwrap()),
        ];
        let run = cmd.run_env(&["--against", "HEAD"], &env);
        let warning = run
            .stderr
            .lines()
            .find(|l| l.starts_with("warning: at HEAD ("))
            .unwrap_or_else(|| panic!("{run:?}"));
        let expected = format!(
            "benchmarks/bench_pkg.py imported `pkg` from {}, not from HEAD (",
            python
                .canonicalize()
                .unwrap()
                .join("pkg/__init__.py")
                .display()
        );
        assert!(warning.contains(&expected), "{warning}");
        assert!(warning.ends_with("set `pythonpath` under [tool.pybench], or check which copy the environment installs"), "{warning}");
        assert_eq!(run.stderr.matches("imported `pkg`").count(), 1, "{run:?}");
    }
);

pbtest!(
    a_pythonpath_leaving_the_project_is_one_error,
    |repo: TestRepo, cmd: Pybench| {
        repo.write("benchmarks/bench_pkg.py", MATURIN_BENCH.as_bytes());
        repo.write(
            "pyproject.toml",
            b"[tool.pybench]\npythonpath = [\"../elsewhere\"]\n",
        );
        let run = cmd.run_env(&[], &[("PYBENCH_PYTHON", python3())]);
        assert_eq!(run.code, 2, "{run:?}");
        assert_eq!(
            run.error_lines(),
            [
                "error: cannot read [tool.pybench] pythonpath in ./pyproject.toml: \"../elsewhere\" is not a directory inside the project (hint: write `pythonpath = [\"python\"]` under [tool.pybench]: directories inside the project, relative to its root)"
            ],
            "{run:?}"
        );
        assert!(!run.stderr.contains("panicked"), "{run:?}");
    }
);
