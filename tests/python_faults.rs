//! Every way a Python benchmark can fail is one ERROR line naming what
//! happened and the seed, and the run exits 2; the other benchmarks are
//! still judged.

use crate::util::{TestDir, numpy_python, python3};

const FAULTS: &str = r#"import os, sys, time, ctypes

def helper(x):
    raise ValueError("boom %d" % (x * 0))

def bench_raises(seed, *, n_seeds=5):
    helper(seed)

def bench_exits(seed, *, n_seeds=5):
    sys.exit(3)

def bench_os_exit(seed, *, n_seeds=5):
    os._exit(5)

def bench_segfault(seed, *, n_seeds=5):
    ctypes.string_at(0)

def bench_hangs(seed, *, n_seeds=5, timeout=0.5):
    time.sleep(60)

def bench_bool(seed, *, n_seeds=5):
    return True

def bench_nan(seed, *, n_seeds=5):
    return {"loss": float("nan")}

def bench_text(seed, *, n_seeds=5):
    return "0.5"

def bench_fine(seed, *, n_seeds=5):
    print("printed by the benchmark")
    return 0.5 + (seed % 100) / 1000

def bench_lazy_import(seed, *, n_seeds=5):
    import lazy_missing_module
    return 1.0
"#;

pbtest!(
    each_failure_kind_is_one_error_line_with_its_seed,
    |dir: TestDir, cmd: Pybench| {
        let bench = dir.path().join("benchmarks");
        std::fs::create_dir_all(&bench).unwrap();
        std::fs::write(bench.join("bench_faults.py"), FAULTS).unwrap();
        std::fs::write(
            bench.join("bench_missing.py"),
            "\"\"\"Three benchmarks that need a module the environment lacks.\"\"\"\nimport os\nimport no_such_module_here\n\ndef bench_m1(seed):\n    return 1.0\n\ndef bench_m2(seed):\n    return 1.0\n\ndef bench_m3(seed):\n    return 1.0\n",
        )
        .unwrap();
        // Imports after a statement that may change sys.path are left to
        // the import: this one finds its module.
        std::fs::create_dir_all(dir.path().join("lib")).unwrap();
        std::fs::write(dir.path().join("lib/beside.py"), "VALUE = 0.25\n").unwrap();
        std::fs::write(
            bench.join("bench_pathed.py"),
            "import os, sys\nsys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'lib'))\nimport beside\n\ndef bench_pathed(seed, *, n_seeds=5):\n    return beside.VALUE + seed % 3\n",
        )
        .unwrap();
        std::fs::write(
            bench.join("bench_syntax.py"),
            "def bench_s(seed):\n    return 1.0 +\n",
        )
        .unwrap();
        let run = cmd.run_env(&["-v"], &[("PYBENCH_PYTHON", python3())]);
        assert_eq!(run.code, 2, "{run:?}");
        let line = |b: &str| normal(run.line_of(b));
        let expect = [
            (
                "bench_raises",
                "ERROR seed N: ValueError: boom 0 (at benchmarks/bench_faults.py:4)",
            ),
            ("bench_exits", "ERROR seed N: called sys.exit(3)"),
            (
                "bench_os_exit",
                "ERROR worker process exited with code 5 while running seed N",
            ),
            (
                "bench_segfault",
                "ERROR worker process was killed by SIGSEGV (segmentation fault) while running seed N",
            ),
            ("bench_hangs", "ERROR timed out after 0.5 s on seed N"),
            (
                "bench_bool",
                "ERROR seed N: the score is true, expected a finite number",
            ),
            (
                "bench_nan",
                "ERROR seed N: metric `loss` is NaN, expected a finite number",
            ),
            (
                "bench_text",
                "ERROR seed N: returned str; a benchmark returns a number, a dict of metrics or a list of step dicts",
            ),
            (
                "`benchmarks/bench_syntax.py`",
                "ERROR SyntaxError: invalid syntax (at benchmarks/bench_syntax.py:2)",
            ),
        ];
        for (bench, expected) in expect {
            assert!(
                line(bench).ends_with(expected),
                "{bench}: {:?}",
                line(bench)
            );
        }
        let lazy = line("bench_lazy_import");
        let lazy_import = "ERROR seed N: ModuleNotFoundError: No module named 'lazy_missing_module' (at benchmarks/bench_faults.py:35); interpreter /";
        assert!(lazy.contains(lazy_import), "{lazy}");
        // A file that cannot import is one ERROR, named after it, not one
        // per benchmark in it.
        let missing = line("`benchmarks/bench_missing.py`");
        let import = "ERROR cannot import benchmarks/bench_missing.py: ModuleNotFoundError: No module named 'no_such_module_here' (at benchmarks/bench_missing.py:3); interpreter /";
        assert!(missing.contains(import), "{missing}");
        assert_eq!(run.stdout.matches("bench_missing.py").count(), 3, "{run:?}");
        assert!(!run.stdout.contains("bench_m1"), "{run:?}");
        assert!(line("bench_fine").contains("NEW"), "{run:?}");
        assert!(line("bench_pathed").contains("NEW"), "{run:?}");
        // -v: the full traceback of the exception, the stack of the hung seed.
        assert!(
            run.stdout.contains("line 7, in bench_raises"),
            "{}",
            run.stdout
        );
        assert!(run.stdout.contains("in bench_hangs"), "{}", run.stdout);
        assert!(
            !run.stdout.contains(", in serve_seed"),
            "the worker's own frames are left out"
        );
    }
);

/// A result line with its runs of spaces and dots made one space and
/// every seed number `N`.
fn normal(line: &str) -> String {
    let words: Vec<&str> = line
        .split(' ')
        .filter(|w| !w.trim_matches('.').is_empty())
        .collect();
    let mut out = words.join(" ");
    while let Some(at) = out
        .find("seed ")
        .filter(|&at| out[at + 5..].starts_with(|c: char| c.is_ascii_digit()))
    {
        let digits = out[at + 5..]
            .chars()
            .take_while(char::is_ascii_digit)
            .count();
        out.replace_range(at + 5..at + 5 + digits, "N");
    }
    out
}

const NUMPY_VALUES: &str = r#"import numpy as np

def bench_zero_d(seed, *, n_seeds=5):
    return np.array(0.5 + (seed % 100) / 1000)

def bench_scalars(seed, *, n_seeds=5):
    return [{"step": np.int64(s), "acc": np.float32(0.5 + (seed % 7) / 100), "n": np.int64(seed % 5)} for s in range(2)]

def bench_numpy_bool(seed, *, n_seeds=5):
    return np.bool_(True)

def bench_numpy_bool_metric(seed, *, n_seeds=5):
    return {"ok": np.bool_(False)}
"#;

pbtest!(
    numpy_numbers_and_zero_d_arrays_count_but_numpy_bools_do_not,
    |dir: TestDir, cmd: Pybench| {
        let Some(python) = numpy_python("numpy_numbers_and_zero_d_arrays_count") else {
            return;
        };
        let bench = dir.path().join("benchmarks");
        std::fs::create_dir_all(&bench).unwrap();
        std::fs::write(bench.join("bench_np.py"), NUMPY_VALUES).unwrap();
        let run = cmd.run_env(&[], &[("PYBENCH_PYTHON", python)]);
        assert_eq!(run.code, 2, "{run:?}");
        assert!(
            normal(run.line_of("bench_zero_d")).contains("NEW 1 slot"),
            "{run:?}"
        );
        assert!(
            normal(run.line_of("bench_scalars")).contains("NEW 4 slots: 2 metrics × 2 steps"),
            "{run:?}"
        );
        assert!(
            normal(run.line_of("bench_numpy_bool"))
                .ends_with("ERROR seed N: the score is true, expected a finite number"),
            "{run:?}"
        );
        assert!(
            normal(run.line_of("bench_numpy_bool_metric"))
                .ends_with("ERROR seed N: metric `ok` is false, expected a finite number"),
            "{run:?}"
        );
    }
);

/// Two benchmarks: a quick one, then one whose seed starts a child process
/// of its own and sleeps.
const SLEEPING: &str = r#"import subprocess, time

def bench_a_quick(seed, *, n_seeds=5):
    return seed % 7

def bench_b_sleeps(seed, *, n_seeds=5):
    subprocess.Popen(["sleep", "60"])
    time.sleep(60)
    return 1.0
"#;

pbtest!(
    sigterm_stops_python_workers_and_what_they_started,
    |dir: TestDir, cmd: Pybench| {
        use std::time::{Duration, Instant};

        use crate::fault_suite::signals::{gone_within, marked};
        use crate::util::Running;

        let bench = dir.path().join("benchmarks");
        std::fs::create_dir_all(&bench).unwrap();
        std::fs::write(bench.join("bench_sleeping.py"), SLEEPING).unwrap();
        let mark = format!("python-TERM-{}", std::process::id());
        let env = [
            ("PYBENCH_PYTHON", python3()),
            ("PYBENCH_TEST_MARK", mark.as_str()),
        ];
        let running = Running::until(&cmd, &["--family", "none"], &env, "bench_a_quick");
        // pybench, the worker, and the process its seed started.
        let started = Instant::now();
        while marked(&mark).len() < 3 && started.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(marked(&mark).len() >= 3, "the seed is running");
        running.signal("TERM");
        let out = running.finish();
        assert_eq!(out.code, 143, "{out:?}");
        let left = gone_within(&mark, Duration::from_secs(2));
        assert!(
            left.is_empty(),
            "no Python worker or child of one outlives the run: {left:?}"
        );
    }
);

/// A file whose top-level code raises: each import appends to a count file.
const RAISES_ON_IMPORT: &str = r#"import os

with open(os.environ["PYBENCH_TEST_COUNT"], "a") as count:
    count.write("imported\n")
raise RuntimeError("no dataset here")

def bench_first(seed, *, n_seeds=5):
    return 1.0

def bench_second(seed, *, n_seeds=5):
    return 1.0
"#;

pbtest!(
    a_file_that_raises_while_importing_is_imported_once,
    |dir: TestDir, cmd: Pybench| {
        let bench = dir.path().join("benchmarks");
        std::fs::create_dir_all(&bench).unwrap();
        std::fs::write(bench.join("bench_raising.py"), RAISES_ON_IMPORT).unwrap();
        std::fs::write(
            bench.join("bench_fine.py"),
            "def bench_fine(seed, *, n_seeds=5):\n    return seed % 3\n",
        )
        .unwrap();
        let count = dir.path().join("imports.txt");
        let env = [
            ("PYBENCH_PYTHON", python3()),
            ("PYBENCH_TEST_COUNT", count.to_str().unwrap()),
        ];
        let run = cmd.run_env(&[], &env);
        assert_eq!(run.code, 2, "{run:?}");
        let error = "ERROR cannot import benchmarks/bench_raising.py: RuntimeError: no dataset here (at benchmarks/bench_raising.py:5)";
        for name in ["bench_first", "bench_second"] {
            assert!(normal(run.line_of(name)).ends_with(error), "{run:?}");
        }
        assert!(run.line_of("bench_fine").contains("NEW"), "{run:?}");
        let imports = std::fs::read_to_string(&count).unwrap();
        assert_eq!(
            imports.lines().count(),
            1,
            "imported once, not once per benchmark"
        );
    }
);
