//! The outputs for review, on the synthetic example through the real
//! binary: the JSON report against its shipped schema, IMPROVED and
//! `compare`. The CI formats are in `exporters.rs`.

use std::path::Path;

use serde_json::Value;

use crate::util::{Pybench, Run, TestRepo, synthetic, workspace};

pub(crate) fn synthetic_run(cmd: &Pybench, extra: &[&str], env: &[(&str, &str)]) -> Run {
    let path = synthetic();
    let mut args = vec![path.to_str().unwrap()];
    args.extend_from_slice(extra);
    cmd.run_env(&args, env)
}

/// Commits the synthetic example's baseline in `repo`.
pub(crate) fn with_baseline(repo: &TestRepo, cmd: &Pybench) {
    repo.write("README.md", b"a project with a benchmark\n");
    repo.commit_all("start");
    let run = synthetic_run(cmd, &[], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    repo.commit_all("baseline");
}

pub(crate) fn read_json(path: &Path) -> Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

pub(crate) fn schema(name: &str) -> jsonschema::Validator {
    let schema = read_json(&workspace().join("docs").join(name));
    jsonschema::validator_for(&schema).expect("the shipped schema compiles")
}

pub(crate) fn assert_valid(validator: &jsonschema::Validator, document: &Value) {
    let errors: Vec<String> = validator
        .iter_errors(document)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{errors:#?}\n{}",
        serde_json::to_string_pretty(document).unwrap()
    );
}

fn slot_verdicts(report: &Value) -> Vec<String> {
    report["benchmarks"][0]["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["verdict"].as_str().unwrap_or("null").to_string())
        .collect()
}

pbtest!(
    json_reports_follow_the_shipped_schema_and_report_improvements,
    |repo: TestRepo, cmd: Pybench| {
        let validator = schema("report.schema.json");
        repo.write("README.md", b"a project with a benchmark\n");
        repo.commit_all("start");
        let out = repo.path().join("out");

        // NEW.
        let run = synthetic_run(&cmd, &["--json", "out/new.json"], &[]);
        assert_eq!(run.code, 0, "{run:?}");
        let new = read_json(&out.join("new.json"));
        assert_valid(&validator, &new);
        assert_eq!(new["benchmarks"][0]["status"], "NEW");
        assert_eq!(
            new["benchmarks"][0]["slots"][0]["current_values"]
                .as_array()
                .unwrap()
                .len(),
            30
        );
        let head = repo.commit_all("baseline");

        // Unchanged rerun: PASS, never improved.
        let run = synthetic_run(&cmd, &["--json", "out/same.json"], &[]);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(!run.stdout.contains("improved"), "{}", run.stdout);
        let same = read_json(&out.join("same.json"));
        assert_valid(&validator, &same);
        let bench = &same["benchmarks"][0];
        assert_eq!(bench["status"], "PASS");
        assert_eq!(bench["improved"], false);
        assert_eq!(slot_verdicts(&same), ["unchanged"; 3]);
        assert_eq!(same["run"]["git_commit"], head[..7]);
        assert_eq!(same["run"]["git_dirty"], false);
        assert_eq!(same["run"]["pybench_version"], env!("CARGO_PKG_VERSION"));
        assert!(same["run"]["host"].is_string());
        assert_eq!(bench["seeds"], new["benchmarks"][0]["seeds"]);

        // Noise only (every seed remapped): not an improvement either.
        let run = synthetic_run(&cmd, &[], &[("PYBENCH_SYNTHETIC_RESAMPLE", "1")]);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(!run.stdout.contains("improved"), "{}", run.stdout);

        // An injected improvement: PASS (improved), exit 0, a hint to update.
        let run = synthetic_run(
            &cmd,
            &["--json", "out/improved.json"],
            &[("PYBENCH_SYNTHETIC_IMPROVE", "1")],
        );
        assert_eq!(
            run.code, 0,
            "an improvement never changes the exit code: {run:?}"
        );
        let line = run.line_of("bench_synthetic");
        assert!(
            line.contains(" PASS (improved)   3 slots: 1 metric × 3 steps"),
            "{line}"
        );
        assert!(
            run.stdout.contains("  improved: min:loss@1 ")
                && run.stdout.contains("min:loss@100")
                && run.stdout.contains("pybench update"),
            "{}",
            run.stdout
        );
        let improved = read_json(&out.join("improved.json"));
        assert_valid(&validator, &improved);
        assert_eq!(improved["benchmarks"][0]["status"], "PASS");
        assert_eq!(improved["benchmarks"][0]["improved"], true);
        assert!(
            improved["benchmarks"][0]["improvement_meta_p"]
                .as_f64()
                .unwrap()
                < 0.05
        );
        assert_eq!(slot_verdicts(&improved), ["improved"; 3]);

        // A local regression: FAIL, one slot regressed.
        let run = synthetic_run(
            &cmd,
            &["--json", "out/local.json"],
            &[("PYBENCH_SYNTHETIC_REGRESS", "local")],
        );
        assert_eq!(run.code, 1, "{run:?}");
        let local = read_json(&out.join("local.json"));
        assert_valid(&validator, &local);
        assert_eq!(
            slot_verdicts(&local),
            ["unchanged", "unchanged", "regressed"]
        );
        assert_eq!(local["benchmarks"][0]["improved"], false);

        // ERROR.
        let run = synthetic_run(
            &cmd,
            &["--json", "out/error.json"],
            &[("PYBENCH_SYNTHETIC_REGRESS", "bogus")],
        );
        assert_eq!(run.code, 2, "{run:?}");
        let error = read_json(&out.join("error.json"));
        assert_valid(&validator, &error);
        assert_eq!(error["benchmarks"][0]["status"], "ERROR");

        // The schema is not vacuous.
        let mut broken = same.clone();
        broken.as_object_mut().unwrap().remove("run");
        assert!(!validator.is_valid(&broken));
        let mut broken = same.clone();
        broken["benchmarks"][0]["slots"][0]["verdict"] = "better".into();
        assert!(!validator.is_valid(&broken));
    }
);

pbtest!(
    compare_judges_reports_and_baseline_files,
    |repo: TestRepo, cmd: Pybench| {
        let validator = schema("compare.schema.json");
        with_baseline(&repo, &cmd);
        let reports: [(&str, &[(&str, &str)]); 4] = [
            ("a.json", &[]),
            ("rerun.json", &[]),
            ("global.json", &[("PYBENCH_SYNTHETIC_REGRESS", "global")]),
            ("improved.json", &[("PYBENCH_SYNTHETIC_IMPROVE", "1")]),
        ];
        for (file, env) in reports {
            let run = synthetic_run(&cmd, &["--json", file], env);
            assert!(run.code <= 1, "{run:?}");
        }
        let compare = |a: &str, b: &str, json: &str| cmd.run(&["compare", a, b, "--json", json]);

        let run = compare("a.json", "rerun.json", "c-same.json");
        assert_eq!(run.code, 0, "{run:?}");
        assert!(
            run.line_of("bench_synthetic")
                .contains(" UNCHANGED   paired, 30 seeds"),
            "{}",
            run.stdout
        );
        let report = read_json(&repo.path().join("c-same.json"));
        assert_valid(&validator, &report);
        assert_eq!(report["benchmarks"][0]["verdict"], "unchanged");
        assert_eq!(report["benchmarks"][0]["paired"], true);
        assert!(run.stderr.is_empty(), "{}", run.stderr);

        let run = compare("a.json", "global.json", "c-global.json");
        assert_eq!(run.code, 1, "B regresses against A: {run:?}");
        assert!(run.line_of("bench_synthetic").contains(" REGRESSED "));
        assert!(run.stdout.contains("1 regressed, 0 improved, 0 unchanged"));
        let report = read_json(&repo.path().join("c-global.json"));
        assert_valid(&validator, &report);
        assert_eq!(report["benchmarks"][0]["verdict"], "regressed");

        let run = compare("a.json", "improved.json", "c-improved.json");
        assert_eq!(run.code, 0, "{run:?}");
        assert!(run.line_of("bench_synthetic").contains(" IMPROVED "));
        let report = read_json(&repo.path().join("c-improved.json"));
        assert_valid(&validator, &report);
        assert_eq!(report["benchmarks"][0]["verdict"], "improved");

        // Reversed, the improvement is a regression.
        let run = compare("improved.json", "a.json", "c-reversed.json");
        assert_eq!(run.code, 1, "{run:?}");

        // Baseline files drawn from other seeds: unpaired, with a warning.
        let other = |name: &str, env: &[(&str, &str)]| {
            let dir = TestRepo::new(name);
            let mut env = env.to_vec();
            env.push(("PYBENCH_SEED_ENTROPY", "7"));
            let run = synthetic_run(&Pybench::new(dir.path()), &[], &env);
            assert_eq!(run.code, 0, "{run:?}");
            let target = repo.path().join(name);
            std::fs::copy(dir.path().join(".pybench/baselines.jsonl"), &target).unwrap();
            target
        };
        other("b-same.jsonl", &[]);
        other("b-global.jsonl", &[("PYBENCH_SYNTHETIC_REGRESS", "global")]);
        other("b-improved.jsonl", &[("PYBENCH_SYNTHETIC_IMPROVE", "1")]);
        let a = ".pybench/baselines.jsonl";
        for (b, verdict, code) in [
            ("b-same.jsonl", "unchanged", 0),
            ("b-global.jsonl", "regressed", 1),
            ("b-improved.jsonl", "improved", 0),
        ] {
            let json = format!("c-{b}.json");
            let run = compare(a, b, &json);
            assert_eq!(run.code, code, "{b}: {run:?}");
            assert!(
                run.stderr
                    .contains("warning: bench_synthetic: A and B ran different seeds")
                    && run.stderr.contains("unpaired"),
                "{}",
                run.stderr
            );
            let report = read_json(&repo.path().join(&json));
            assert_valid(&validator, &report);
            assert_eq!(report["benchmarks"][0]["verdict"], verdict, "{b}");
            assert_eq!(report["benchmarks"][0]["paired"], false);
        }

        // Two baseline files on the same seeds are paired.
        let run = compare(a, a, "c-files.json");
        assert_eq!(run.code, 0, "{run:?}");
        assert!(
            run.line_of("bench_synthetic")
                .contains(" UNCHANGED   paired")
        );

        // Not a report.
        std::fs::write(repo.path().join("junk.json"), "[1, 2]").unwrap();
        let run = compare(a, "junk.json", "c-junk.json");
        assert_eq!(run.code, 2, "{run:?}");
        assert!(
            run.error_lines()[0].starts_with("error: cannot compare junk.json"),
            "{}",
            run.stderr
        );
    }
);
