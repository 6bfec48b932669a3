//! Adaptive seed counts (`--adaptive`, or `adaptive = true` in a
//! benchmark's settings), through the binary: a large regression FAILs at
//! the first look, no change stops early with PASS, and seeds that did not
//! run are never results.

use serde_json::Value;

use crate::util::{Pybench, TestRepo, baseline_bytes, c_library, synthetic};

/// The synthetic benchmark (30 seeds) with a committed baseline.
fn synthetic_baseline(repo: &TestRepo, cmd: &Pybench) -> String {
    let path = synthetic().to_str().unwrap().to_string();
    let run = cmd.run(&[&path]);
    assert_eq!(run.code, 0, "{run:?}");
    repo.commit_all("baseline");
    path
}

pbtest!(
    a_large_regression_fails_at_the_first_look,
    |repo: TestRepo, cmd: Pybench| {
        let path = synthetic_baseline(&repo, &cmd);
        let json = repo.path().join("report.json");
        let regress = [("PYBENCH_SYNTHETIC_REGRESS", "global")];
        let run = cmd.run_env(
            &[&path, "--adaptive", "--json", json.to_str().unwrap()],
            &regress,
        );
        assert_eq!(run.code, 1, "{run:?}");
        let line = run.line_of("bench_synthetic");
        assert!(line.contains(" FAIL "), "{line}");
        assert!(
            line.ends_with("(stopped at look 1/3: 10 of 30 seeds)"),
            "{line}"
        );
        let doc: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
        crate::reports::assert_valid(&crate::reports::schema("report.schema.json"), &doc);
        let bench = &doc["benchmarks"][0];
        assert_eq!(bench["seeds_run"], 10);
        assert_eq!(bench["seeds"].as_array().unwrap().len(), 10);
        let adaptive = &bench["adaptive"];
        assert_eq!(adaptive["planned_seeds"], 30);
        assert_eq!(adaptive["looks"], serde_json::json!([10, 20, 30]));
        let look = &adaptive["outcome"]["looks"][0];
        assert_eq!(look["decision"], "fail");
        assert!(look["severity"].as_f64().unwrap() > look["threshold"].as_f64().unwrap());
        assert!(look["cumulative_alpha"].as_f64().unwrap() < 0.0075);
        // The fixed design on the same data also fails, on all 30 seeds.
        let fixed = cmd.run_env(&[&path], &regress);
        assert_eq!(fixed.code, 1, "{fixed:?}");
        assert!(!fixed.line_of("bench_synthetic").contains("look"));
    }
);

pbtest!(
    no_change_stops_early_with_pass,
    |repo: TestRepo, cmd: Pybench| {
        let path = synthetic_baseline(&repo, &cmd);
        let before = baseline_bytes(repo.path()).unwrap();
        let run = cmd.run(&[&path, "--adaptive"]);
        assert_eq!(run.code, 0, "{run:?}");
        let line = run.line_of("bench_synthetic");
        assert!(line.contains(" PASS "), "{line}");
        assert!(
            line.ends_with("(no drop at look 1/3: 10 of 30 seeds)"),
            "{line}"
        );
        // A check writes nothing: the seeds that did not run stay as stored.
        assert_eq!(baseline_bytes(repo.path()).unwrap(), before);
    }
);

const DECLARED: &str = r#"#include "pybench.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
PYBENCH_META(declared, "{\"abi\":1,\"n_seeds\":16,\"adaptive\":true,\"looks\":[8,16]}")
PYBENCH_EXPORT int32_t bench_declared(uint64_t seed, void *ctx, pybench_emit emit) {
    const char *drop = getenv("PYBENCH_DECLARED_DROP");
    double score = 0.5 + (double)(seed % 97) / 1000.0 - (drop ? atof(drop) : 0.0);
    char json[64];
    int n = snprintf(json, sizeof json, "%.17g", score);
    emit(ctx, (const uint8_t *)json, (size_t)n);
    return 0;
}
"#;

pbtest!(
    declared_adaptive_settings_and_looks_are_used,
    |repo: TestRepo, cmd: Pybench| {
        let lib = c_library("declared_adaptive", DECLARED);
        let lib = lib.to_str().unwrap();
        // NEW runs every seed: only a check against a baseline is adaptive.
        let run = cmd.run(&[lib]);
        assert_eq!(run.code, 0, "{run:?}");
        let stored = std::fs::read_to_string(repo.path().join(".pybench/baselines.jsonl")).unwrap();
        assert!(stored.contains("\"n\": 16"), "{stored}");
        repo.commit_all("baseline");
        let run = cmd.run_env(&[lib], &[("PYBENCH_DECLARED_DROP", "0.2")]);
        assert_eq!(run.code, 1, "{run:?}");
        assert!(
            run.line_of("bench_declared")
                .ends_with("(stopped at look 1/2: 8 of 16 seeds)"),
            "{}",
            run.stdout
        );
        // update still draws and runs every seed.
        let run = cmd.run(&["update", lib, "--yes"]);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(run.stdout.contains("updated   16 seeds"), "{}", run.stdout);
    }
);

pbtest!(
    adaptive_and_shard_do_not_go_together,
    |repo: TestRepo, cmd: Pybench| {
        let path = synthetic_baseline(&repo, &cmd);
        let run = cmd.run(&[&path, "--adaptive", "--shard", "1/2", "--out", "shards"]);
        assert_eq!(run.code, 2, "{run:?}");
        assert!(
            run.stderr
                .contains("'--adaptive' cannot be used with '--shard"),
            "{}",
            run.stderr
        );
    }
);
