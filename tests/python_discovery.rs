//! Which Python files are benchmark files, which functions are benchmarks,
//! and how their settings are read: with `ast`, importing nothing, unless
//! a default is not a literal or a module constant.

use std::path::Path;

use crate::util::{TestDir, TestRepo, python3};

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A benchmark file that leaves `marker` behind if it is ever imported.
fn marking(name: &str, marker: &str) -> String {
    format!(
        "open({marker:?}, 'w').close()\n\ndef bench_{name}(seed, *, n_seeds=5):\n    return seed % 3\n"
    )
}

pbtest!(
    discovery_searches_recursively_and_skips_what_it_should,
    |repo: TestRepo, cmd: Pybench| {
        let root = repo.path();
        let marker = |name: &str| root.join(format!("{name}.imported")).display().to_string();
        write(
            root,
            "benchmarks/bench_top.py",
            &marking("top", &marker("top")),
        );
        write(
            root,
            "benchmarks/deep/er/bench_deep.py",
            &marking("deep", &marker("deep")),
        );
        write(
            root,
            "benchmarks/.hidden/bench_hidden.py",
            &marking("hidden", &marker("hidden")),
        );
        write(
            root,
            "benchmarks/__pycache__/bench_cache.py",
            &marking("cache", &marker("cache")),
        );
        write(root, "benchmarks/env/pyvenv.cfg", "home = /usr/bin\n");
        write(
            root,
            "benchmarks/env/lib/bench_venv.py",
            &marking("venv", &marker("venv")),
        );
        write(
            root,
            "benchmarks/ignored/bench_ignored.py",
            &marking("ignored", &marker("ignored")),
        );
        write(root, ".gitignore", "ignored/\n");
        // A helper without a __main__ guard: no bench_* of its own, so never run.
        write(
            root,
            "benchmarks/helper.py",
            &format!("open({:?}, 'w').close()\n", marker("helper")),
        );
        // A bench_* imported from elsewhere is not a benchmark of this file.
        write(
            root,
            "benchmarks/bench_reexport.py",
            "from bench_top import bench_top as bench_again\nfrom bench_top import *\n",
        );
        let run = cmd.run_env(&["--list"], &[("PYBENCH_PYTHON", python3())]);
        assert_eq!(run.code, 0, "{run:?}");
        let names: Vec<&str> = run
            .stdout
            .lines()
            .filter_map(|l| l.split_whitespace().next())
            .collect();
        assert_eq!(names, ["bench_deep", "bench_top"], "{run:?}");
        for name in [
            "top", "deep", "hidden", "cache", "venv", "ignored", "helper",
        ] {
            assert!(
                !Path::new(&marker(name)).exists(),
                "{name} was imported to list it"
            );
        }
        // No bytecode of the benchmark file, whatever the Python version.
        let cached = std::fs::read_dir(root.join("benchmarks/__pycache__"))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned());
        for name in cached {
            assert!(!name.starts_with("bench_top."), "{name} was written");
        }
    }
);

pbtest!(
    a_name_defined_in_two_files_is_an_error_naming_both,
    |dir: TestDir, cmd: Pybench| {
        write(
            dir.path(),
            "benchmarks/a/bench_one.py",
            "def bench_same(seed):\n    return 1.0\n",
        );
        write(
            dir.path(),
            "benchmarks/b/bench_two.py",
            "def bench_same(seed):\n    return 1.0\n",
        );
        let run = cmd.run_env(&[], &[("PYBENCH_PYTHON", python3())]);
        assert_eq!(run.code, 2, "{run:?}");
        assert_eq!(
            run.error_lines(),
            [
                "error: benchmark `bench_same` is defined twice: in benchmarks/a/bench_one.py and in benchmarks/b/bench_two.py (hint: rename one of them, or pass only one of the paths)"
            ],
            "{run:?}"
        );
        let named = cmd.run_env(
            &["benchmarks/a/helper.py"],
            &[("PYBENCH_PYTHON", python3())],
        );
        assert_eq!(named.code, 2, "{named:?}");
        write(dir.path(), "benchmarks/a/helper.py", "X = 1\n");
        let named = cmd.run_env(
            &["benchmarks/a/helper.py"],
            &[("PYBENCH_PYTHON", python3())],
        );
        assert_eq!(
            named.error_lines(),
            [
                "error: benchmarks/a/helper.py defines no bench_* function (hint: a Python benchmark is a function `def bench_NAME(seed)` defined at the top level of the file)"
            ],
            "{named:?}"
        );
    }
);

const SETTINGS: &str = r#"import time
SEEDS = 7

def bench_literal(seed, *, n_seeds=SEEDS, alpha=0.01, min_effect=None, model="resnet", looks=(3, 7)):
    return 1.0

def bench_positional(seed, n_seeds=6, workers=2):
    return 1.0

def bench_bad_alpha(seed, *, alpha=1.5):
    return 1.0

def bench_bad_type(seed, *, n_seeds=6.5):
    return 1.0
"#;

pbtest!(
    settings_come_from_defaults_through_the_companion_validators,
    |dir: TestDir, cmd: Pybench| {
        write(dir.path(), "benchmarks/bench_settings.py", SETTINGS);
        let run = cmd.run_env(&["--list"], &[("PYBENCH_PYTHON", python3())]);
        let line = |name: &str| {
            run.stdout
                .lines()
                .find(|l| l.starts_with(&format!("{name} ")))
                .unwrap_or_else(|| panic!("{name} in {run:?}"))
                .to_string()
        };
        assert!(
            line("bench_literal").contains("n_seeds=7  alpha=0.01  min_effect=none  workers=1"),
            "{run:?}"
        );
        assert!(
            line("bench_positional").contains("n_seeds=6  alpha=0.05  min_effect=none  workers=2"),
            "{run:?}"
        );
        assert!(
            line("bench_bad_alpha").contains("alpha=1.5 must be between 0 and 1"),
            "{run:?}"
        );
        assert!(
            line("bench_bad_type").contains("invalid type: floating point `6.5`, expected usize"),
            "{run:?}"
        );
    }
);

const SLOW_IMPORT: &str = r#"import os, time
open(os.environ["IMPORT_MARKER"], "a").write("imported\n")
time.sleep(float(os.environ.get("IMPORT_SLEEP", "0")))
N = int("6")

def bench_slow(seed, *, n_seeds=5):
    return seed % 5

def bench_computed(seed, *, n_seeds=N):
    return seed % 5
"#;

pbtest!(
    a_slow_import_is_listed_without_importing_unless_a_default_needs_it,
    |dir: TestDir, cmd: Pybench| {
        let marker = dir.path().join("imports.log");
        let marker_text = marker.to_str().unwrap();
        write(
            dir.path(),
            "benchmarks/bench_slow.py",
            &SLOW_IMPORT.replace(
                "\ndef bench_computed(seed, *, n_seeds=N):\n    return seed % 5\n",
                "",
            ),
        );
        let env = [
            ("PYBENCH_PYTHON", python3()),
            ("IMPORT_MARKER", marker_text),
            ("IMPORT_SLEEP", "30"),
        ];
        let started = std::time::Instant::now();
        let run = cmd.run_env(&["--list"], &env);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(
            started.elapsed().as_secs() < 10,
            "listed by import: {:?}",
            started.elapsed()
        );
        assert!(!marker.exists(), "the file was imported to list it");
        // A default computed at import: the file is imported, under the limit.
        write(dir.path(), "benchmarks/bench_slow.py", SLOW_IMPORT);
        let env = [
            ("PYBENCH_PYTHON", python3()),
            ("IMPORT_MARKER", marker_text),
            ("IMPORT_SLEEP", "0"),
        ];
        let run = cmd.run_env(&["--list"], &env);
        assert!(run.stdout.contains("bench_computed  n_seeds=6"), "{run:?}");
        assert_eq!(std::fs::read_to_string(&marker).unwrap(), "imported\n");
        let env = [
            ("PYBENCH_PYTHON", python3()),
            ("IMPORT_MARKER", marker_text),
            ("IMPORT_SLEEP", "30"),
        ];
        let run = cmd.run_env(&["--list", "--timeout", "1"], &env);
        assert!(
            run.stdout.contains("the Python worker took more than 1 s"),
            "{run:?}"
        );
    }
);

pbtest!(a_bom_and_crlf_file_runs, |dir: TestDir, cmd: Pybench| {
    let text = "\u{feff}import random\r\n\r\ndef bench_crlf(seed, *, n_seeds=5):\r\n    return random.Random(seed).random()\r\n";
    write(dir.path(), "benchmarks/bench_crlf.py", text);
    let run = cmd.run_env(&[], &[("PYBENCH_PYTHON", python3())]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.line_of("bench_crlf").contains("NEW"), "{run:?}");
    assert!(
        !dir.path().join("benchmarks/__pycache__").exists(),
        "no __pycache__ left behind"
    );
});

pbtest!(
    the_interpreter_is_chosen_in_order_and_a_missing_one_is_one_line,
    |dir: TestDir, cmd: Pybench| {
        write(
            dir.path(),
            "benchmarks/bench_x.py",
            "def bench_x(seed, *, n_seeds=5):\n    return seed % 3\n",
        );
        let run = cmd.run_env(
            &["--list", "-v", "--python", python3()],
            &[("PYBENCH_PYTHON", "/nowhere/python")],
        );
        assert_eq!(run.code, 0, "{run:?}");
        assert!(
            run.stderr
                .contains(&format!("Python interpreter {} (from --python)", python3())),
            "{run:?}"
        );
        let run = cmd.run_env(&["--list"], &[("PYBENCH_PYTHON", "/nowhere/python")]);
        assert_eq!(run.code, 2, "{run:?}");
        assert_eq!(
            run.error_lines(),
            [
                "error: PYBENCH_PYTHON names /nowhere/python, which is not a file (hint: name an existing Python interpreter)"
            ]
        );
        write(
            dir.path(),
            "pyproject.toml",
            &format!("[tool.pybench]\npython = {:?}\n", python3()),
        );
        let configured = cmd
            .command(&["--list", "-v"])
            .env_remove("PYBENCH_PYTHON")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&configured.stderr);
        assert!(
            stderr.contains(&format!(
                "Python interpreter {} (from `python` in [tool.pybench])",
                python3()
            )),
            "{stderr}"
        );
        std::fs::remove_file(dir.path().join("pyproject.toml")).unwrap();
        let bare = cmd
            .command(&["--list"])
            .env("PATH", dir.path().join("empty-bin"))
            .env_remove("PYBENCH_PYTHON")
            .env_remove("VIRTUAL_ENV")
            .env_remove("CONDA_PREFIX")
            .output()
            .unwrap();
        assert_eq!(bare.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&bare.stderr);
        assert!(
            stderr.starts_with("error: no Python interpreter found for the Python benchmarks"),
            "{stderr}"
        );
        for way in [
            "--python",
            "PYBENCH_PYTHON",
            "virtual or conda environment",
            ".venv",
            "python3 on PATH",
        ] {
            assert!(stderr.contains(way), "{way} in {stderr}");
        }
    }
);
