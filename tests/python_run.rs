//! Python benchmark files run unchanged: a project with
//! `benchmarks/bench_*.py` gives NEW, PASS, then FAIL after a change in the
//! code the file imports; workers import the file once each; the worker
//! environment is what the benchmark sees; Python files and libraries mix
//! in one run and one baseline file.

use crate::fingerprint::read_like_the_python_tool;
use crate::util::{TestDir, TestRepo, baseline_path, c_library, python3};

const BENCH_MODEL: &str = r#"import random

from model import accuracy

def bench_model(seed, *, n_seeds=8, workers=2):
    return {"acc": accuracy(random.Random(seed))}

def bench_curve(seed, *, n_seeds=8):
    rng = random.Random(seed)
    return [{"step": s, "min:loss": 1.0 / (s + 1) + rng.gauss(0, 0.01)} for s in range(3)]
"#;

fn model(mean: f64) -> String {
    format!("def accuracy(rng):\n    return {mean} + rng.gauss(0, 0.01)\n")
}

pbtest!(
    new_then_pass_then_fail_after_a_change_in_imported_code,
    |repo: TestRepo, cmd: Pybench| {
        repo.write("benchmarks/bench_model.py", BENCH_MODEL.as_bytes());
        repo.write("benchmarks/model.py", model(0.8).as_bytes());
        repo.commit_all("benchmarks");
        let python = [("PYBENCH_PYTHON", python3())];
        let first = cmd.run_env(&[], &python);
        assert_eq!(first.code, 0, "{first:?}");
        assert!(first.line_of("bench_model").contains("NEW"), "{first:?}");
        assert!(
            first.line_of("bench_curve").contains("NEW   3 slots"),
            "{first:?}"
        );
        let stored = std::fs::read_to_string(baseline_path(repo.path())).unwrap();
        let model_line = stored
            .lines()
            .find(|l| l.contains("\"bench_model\""))
            .unwrap();
        let view = read_like_the_python_tool(model_line);
        assert_eq!(
            (view.bench.as_str(), view.n, view.seeds.len()),
            ("bench_model", 8, 8)
        );
        assert_eq!(view.slots, [("0".to_string(), "acc".to_string(), 8)]);
        assert!(
            !repo
                .path()
                .join("benchmarks/__pycache__/bench_model.cpython")
                .exists()
                && !has_bench_bytecode(repo.path()),
            "no .pyc of the benchmark file"
        );
        repo.commit_all("baselines");

        let second = cmd.run_env(&[], &python);
        assert_eq!(second.code, 0, "{second:?}");
        assert!(second.line_of("bench_model").contains("PASS"), "{second:?}");

        repo.write("benchmarks/model.py", model(0.7).as_bytes());
        repo.write(
            "benchmarks/bench_broken.py",
            b"def bench_broken(seed, *, n_seeds=5):\n    raise RuntimeError('no data')\n",
        );
        let third = cmd.run_env(&["--yes"], &python);
        assert!(third.line_of("bench_model").contains("FAIL"), "{third:?}");
        assert!(third.line_of("bench_broken").contains("ERROR"), "{third:?}");
        // The code identity covers the module the file imports: a change
        // there is not "the same code giving different scores".
        assert!(!third.stderr.contains("not deterministic"), "{third:?}");
        let env: serde_json::Value = serde_json::from_str(model_line).unwrap();
        let python = &env["env"]["python"];
        assert!(
            python["version"].as_str().unwrap().starts_with("3."),
            "{python}"
        );
        assert_eq!(python["interpreter"], python3());
        assert_eq!(third.code, 1, "a FAIL exits 1 whatever else went wrong");
    }
);

fn has_bench_bytecode(root: &std::path::Path) -> bool {
    std::fs::read_dir(root.join("benchmarks/__pycache__"))
        .map(|entries| {
            entries
                .flatten()
                .any(|e| e.file_name().to_string_lossy().starts_with("bench_model."))
        })
        .unwrap_or(false)
}

const COUNTING: &str = r#"import os, time

LOG = os.environ["COUNT_LOG"]
with open(LOG, "a") as log:
    log.write("import %s\n" % os.environ["PYBENCH_WORKER"])

def bench_counted(seed, *, n_seeds=12, workers=3):
    time.sleep(0.05)
    keys = ["PYBENCH_WORKER", "PYBENCH_WORKERS", "OMP_NUM_THREADS", "CUDA_VISIBLE_DEVICES",
            "XLA_PYTHON_CLIENT_PREALLOCATE", "TF_FORCE_GPU_ALLOW_GROWTH", "PYTHONUNBUFFERED", "MKL_NUM_THREADS"]
    with open(LOG, "a") as log:
        log.write("seed " + " ".join("%s=%s" % (k, os.environ.get(k)) for k in keys) + "\n")
    return 0.5 + (seed % 100) / 1000

def bench_counted_too(seed, *, n_seeds=12, workers=3, adaptive=True, looks=(6, 12)):
    return (seed % 1000) / 1000
"#;

pbtest!(
    each_worker_imports_the_file_once_and_sees_its_environment,
    |dir: TestDir, cmd: Pybench| {
        let bench = dir.path().join("benchmarks");
        std::fs::create_dir_all(&bench).unwrap();
        std::fs::write(bench.join("bench_counted.py"), COUNTING).unwrap();
        let log = dir.path().join("count.log");
        let log_text = log.to_str().unwrap();
        let env = [
            ("PYBENCH_PYTHON", python3()),
            ("COUNT_LOG", log_text),
            ("CUDA_VISIBLE_DEVICES", "3,5"),
            ("MKL_NUM_THREADS", "9"),
        ];
        let run = cmd.run_env(&[], &env);
        assert_eq!(run.code, 0, "{run:?}");
        let text = std::fs::read_to_string(&log).unwrap();
        let imports = |text: &str| {
            let mut found: Vec<String> = text
                .lines()
                .filter(|l| l.starts_with("import"))
                .map(String::from)
                .collect();
            found.sort();
            found
        };
        // Two benchmarks, one import per worker.
        assert_eq!(
            imports(&text),
            ["import 0", "import 1", "import 2"],
            "{text}"
        );
        // A check (adaptive, in looks) reuses the pool too.
        std::fs::remove_file(&log).unwrap();
        let check = cmd.run_env(&[], &env);
        assert_eq!(check.code, 0, "{check:?}");
        let checked = std::fs::read_to_string(&log).unwrap();
        assert_eq!(
            imports(&checked),
            ["import 0", "import 1", "import 2"],
            "{checked}"
        );
        let seeds: Vec<&str> = text.lines().filter(|l| l.starts_with("seed")).collect();
        assert_eq!(seeds.len(), 12, "{text}");
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let threads = (cores / 3).max(1);
        for line in &seeds {
            let worker: usize = field(line, "PYBENCH_WORKER").parse().unwrap();
            let device = if worker.is_multiple_of(2) { "3" } else { "5" };
            assert_eq!(field(line, "CUDA_VISIBLE_DEVICES"), device, "{line}");
            assert_eq!(field(line, "PYBENCH_WORKERS"), "3", "{line}");
            assert_eq!(
                field(line, "OMP_NUM_THREADS"),
                threads.to_string(),
                "{line}"
            );
            assert_eq!(
                field(line, "MKL_NUM_THREADS"),
                "9",
                "the user's own value stays"
            );
            assert_eq!(field(line, "XLA_PYTHON_CLIENT_PREALLOCATE"), "false");
            assert_eq!(field(line, "TF_FORCE_GPU_ALLOW_GROWTH"), "true");
            assert_eq!(
                field(line, "PYTHONUNBUFFERED"),
                std::env::var("PYTHONUNBUFFERED").unwrap_or("1".into())
            );
        }
    }
);

fn field<'a>(line: &'a str, key: &str) -> &'a str {
    line.split(' ')
        .find_map(|kv| kv.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("{key} in {line}"))
}

const C_TWIN: &str = r#"#include <stdio.h>
#include <stdint.h>
#include "pybench.h"
int bench_twin(uint64_t seed, void *ctx, pybench_emit emit) {
    char text[64];
    int n = snprintf(text, sizeof text, "{\"acc\": %.17g}", 0.5 + (double)(seed % 1000) / 10000.0);
    emit(ctx, (const uint8_t *)text, (size_t)n);
    return 0;
}
const char *pybench_meta_twin(void) { return "{\"abi\":1,\"n_seeds\":6}"; }
"#;

const PY_TWIN: &str =
    "def bench_twin(seed, *, n_seeds=6):\n    return {\"acc\": 0.5 + (seed % 1000) / 10000.0}\n";

pbtest!(
    python_and_library_benchmarks_share_a_run_and_a_baseline_file,
    |dir: TestDir, cmd: Pybench| {
        let library = c_library("pytwin", C_TWIN);
        let bench = dir.path().join("benchmarks");
        std::fs::create_dir_all(&bench).unwrap();
        std::fs::write(bench.join("bench_twin.py"), PY_TWIN).unwrap();
        std::fs::write(
            bench.join("bench_other.py"),
            "def bench_other(seed, *, n_seeds=6):\n    return seed % 7\n",
        )
        .unwrap();
        let python = [("PYBENCH_PYTHON", python3())];
        // Written by a Python run…
        let run = cmd.run_env(&["benchmarks"], &python);
        assert_eq!(run.code, 0, "{run:?}");
        // …read by a library run of the same benchmark and, in the same
        // run, by the other Python file.
        std::fs::remove_file(bench.join("bench_twin.py")).unwrap();
        let lib = library.to_str().unwrap();
        let mixed = cmd.run_env(&[lib, "benchmarks"], &python);
        assert_eq!(mixed.code, 0, "{mixed:?}");
        assert!(mixed.line_of("bench_twin").contains("PASS"), "{mixed:?}");
        assert!(mixed.line_of("bench_other").contains("PASS"), "{mixed:?}");
        // Both kinds define bench_twin: a duplicate naming both files.
        std::fs::write(bench.join("bench_twin.py"), PY_TWIN).unwrap();
        let twice = cmd.run_env(&[lib, "benchmarks"], &python);
        assert_eq!(twice.code, 2, "{twice:?}");
        assert!(
            twice
                .stderr
                .contains("benchmark `bench_twin` is defined twice"),
            "{twice:?}"
        );
        assert!(twice.stderr.contains("bench_twin.py"), "{twice:?}");
    }
);
