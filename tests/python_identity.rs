//! What a Python benchmark's baseline records about where it ran: its
//! code identity is the benchmark file and the project files it imported
//! (not every `.py` under the root), and the fingerprint holds each
//! worker's environment and the versions of the frameworks it had
//! imported, read without importing any.

use serde_json::Value;

use crate::util::{TestDir, TestRepo, baseline_path, numpy_python, python3};

/// Its score moves with `PYBENCH_TEST_NUDGE`, which is no code: the same
/// code then gives other scores for the same seeds.
const NUDGED: &str = r#"import os, random

from pkg import accuracy

def bench_nudged(seed, *, n_seeds=6):
    nudge = float(os.environ.get("PYBENCH_TEST_NUDGE", "0"))
    return accuracy(random.Random(seed)) + nudge
"#;

const NOT_DETERMINISTIC: &str = "different scores: the benchmark is not deterministic per seed";

pbtest!(
    the_code_identity_is_the_files_the_benchmark_imported,
    |repo: TestRepo, cmd: Pybench| {
        repo.write("benchmarks/bench_nudged.py", NUDGED.as_bytes());
        repo.write(
            "benchmarks/pkg/__init__.py",
            b"def accuracy(rng):\n    return 0.8 + rng.gauss(0, 0.01)\n",
        );
        repo.write("benchmarks/unrelated.py", b"RATE = 1\n");
        repo.write("tools/script.py", b"print('a helper')\n");
        repo.commit_all("a benchmark");
        let run = |nudge: &str| {
            let env = [("PYBENCH_PYTHON", python3()), ("PYBENCH_TEST_NUDGE", nudge)];
            let out = cmd.run_env(&[], &env);
            format!("{}{}", out.stdout, out.stderr)
        };
        assert!(run("0").contains("NEW"));
        // Files the benchmark never imported changed: the same code gave
        // other scores, which the determinism check calls out.
        repo.write("benchmarks/unrelated.py", b"RATE = 2\n");
        repo.write("tools/script.py", b"print('another helper')\n");
        let unrelated = run("1e-9");
        assert!(unrelated.contains(NOT_DETERMINISTIC), "{unrelated}");
        // The package it imports changed: other scores are the change's.
        repo.write(
            "benchmarks/pkg/__init__.py",
            b"def accuracy(rng):\n    # reworded\n    return 0.8 + rng.gauss(0, 0.01)\n",
        );
        let imported = run("1e-9");
        assert!(!imported.contains(NOT_DETERMINISTIC), "{imported}");
    }
);

const TWO_WORKERS: &str = r#"def bench_plain(seed, *, n_seeds=5, workers=2):
    return seed % 5
"#;

const WITH_NUMPY: &str = r#"import numpy as np

def bench_numpy(seed, *, n_seeds=5):
    return float(np.random.default_rng(seed).normal())
"#;

/// The `env.python` of each benchmark in the baseline file.
fn python_envs(dir: &std::path::Path) -> Vec<(String, Value)> {
    std::fs::read_to_string(baseline_path(dir))
        .unwrap()
        .lines()
        .map(|line| {
            let record: Value = serde_json::from_str(line).unwrap();
            (
                record["bench"].as_str().unwrap().to_string(),
                record["env"]["python"].clone(),
            )
        })
        .collect()
}

pbtest!(
    the_fingerprint_has_each_workers_environment_and_only_imported_frameworks,
    |dir: TestDir, cmd: Pybench| {
        let Some(python) = numpy_python("the_fingerprint_has_only_imported_frameworks") else {
            return;
        };
        let bench = dir.path().join("benchmarks");
        std::fs::create_dir_all(&bench).unwrap();
        std::fs::write(bench.join("bench_plain.py"), TWO_WORKERS).unwrap();
        std::fs::write(bench.join("bench_numpy.py"), WITH_NUMPY).unwrap();
        let env = [("PYBENCH_PYTHON", python), ("CUDA_VISIBLE_DEVICES", "3,5")];
        let run = cmd.run_env(&["-v"], &env);
        assert_eq!(run.code, 0, "{run:?}");
        for worker in ["1/2", "2/2"] {
            let device = if worker == "1/2" { "3" } else { "5" };
            let shown = format!("pybench: Python worker {worker} environment: ");
            let line = run.stderr.lines().find(|l| l.starts_with(&shown));
            let line = line.unwrap_or_else(|| panic!("{shown} in {run:?}"));
            assert!(
                line.contains(&format!(" CUDA_VISIBLE_DEVICES={device} ")),
                "{line}"
            );
        }
        let numpy_version = std::process::Command::new(python)
            .args(["-c", "import numpy; print(numpy.__version__)"])
            .output()
            .unwrap();
        let numpy_version = String::from_utf8(numpy_version.stdout).unwrap();
        let envs = python_envs(dir.path());
        let of = |name: &str| &envs.iter().find(|(b, _)| b == name).unwrap().1;
        assert_eq!(
            of("bench_numpy")["frameworks"],
            serde_json::json!({"numpy": numpy_version.trim()})
        );
        // numpy is installed in the same environment, but this benchmark
        // never imports it: nothing imports it to fingerprint it.
        let plain = of("bench_plain");
        assert!(plain.get("frameworks").is_none(), "{plain}");
        let worker = |env: &Value| -> Vec<String> {
            serde_json::from_value::<Vec<String>>(env.clone()).unwrap()
        };
        let first = worker(&plain["worker_env"]);
        let second = worker(&plain["other_workers_env"][0]);
        assert!(
            first.contains(&"CUDA_VISIBLE_DEVICES=3".to_string()),
            "{plain}"
        );
        assert!(
            second.contains(&"CUDA_VISIBLE_DEVICES=5".to_string()),
            "{plain}"
        );
        assert!(second.contains(&"PYBENCH_WORKER=1".to_string()), "{plain}");
        assert!(of("bench_numpy").get("other_workers_env").is_none());
    }
);
