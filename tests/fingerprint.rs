//! Environment fingerprints in baselines: additive keys that the Python
//! tool's reader ignores, a warning when the machine differs (and never when
//! it does not), and the per-seed determinism check.

use serde_json::Value;

use crate::util::{Pybench, Run, TestDir, baseline_path, synthetic};

/// What the Python tool reads from a line: bench, seeds, n, and each
/// slot's (step, metric, number of values).
pub struct PythonView {
    pub bench: String,
    pub seeds: Vec<u64>,
    pub n: usize,
    pub slots: Vec<(String, String, usize)>,
}

/// The Python pybench 0.1.0's reading of a baseline line, as documented in
/// DESIGN.md: it takes these keys, with these types, and ignores the rest.
pub fn read_like_the_python_tool(line: &str) -> PythonView {
    let value: Value = serde_json::from_str(line).unwrap();
    let object = value.as_object().unwrap();
    let bench = object["bench"].as_str().unwrap().to_string();
    assert!(object["timestamp"].is_string());
    assert!(object["git_commit"].is_string() || object["git_commit"].is_null());
    assert!(object["git_dirty"].is_boolean());
    let seeds: Vec<u64> = object["seeds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_u64().unwrap())
        .collect();
    let n = object["n"].as_u64().unwrap() as usize;
    let mut slots = Vec::new();
    for (step, metrics) in object["scores"].as_object().unwrap() {
        step.parse::<i64>().unwrap();
        for (metric, values) in metrics.as_object().unwrap() {
            slots.push((
                step.clone(),
                metric.clone(),
                values.as_array().unwrap().len(),
            ));
        }
    }
    PythonView {
        bench,
        seeds,
        n,
        slots,
    }
}

fn synthetic_run(cmd: &Pybench, extra: &[&str]) -> Run {
    let path = synthetic();
    let mut args = vec![path.to_str().unwrap()];
    args.extend_from_slice(extra);
    cmd.run(&args)
}

fn edit_line(dir: &std::path::Path, edit: impl FnOnce(&mut Value)) {
    let path = baseline_path(dir);
    let mut value: Value =
        serde_json::from_str(std::fs::read_to_string(&path).unwrap().trim()).unwrap();
    edit(&mut value);
    std::fs::write(&path, format!("{value}\n")).unwrap();
}

pbtest!(
    baselines_carry_env_and_settings_and_stay_python_readable,
    |dir: TestDir, cmd: Pybench| {
        assert_eq!(synthetic_run(&cmd, &[]).code, 0);
        let line = std::fs::read_to_string(baseline_path(dir.path())).unwrap();
        let PythonView {
            bench,
            seeds,
            n,
            slots,
        } = read_like_the_python_tool(line.trim());
        assert_eq!(
            (bench.as_str(), seeds.len(), n),
            ("bench_synthetic", 30, 30)
        );
        assert_eq!(slots.len(), 3);
        assert!(
            slots
                .iter()
                .all(|(_, metric, count)| metric == "min:loss" && *count == 30)
        );

        let value: Value = serde_json::from_str(line.trim()).unwrap();
        let env = &value["env"];
        for key in ["cpu", "os", "arch", "pybench"] {
            assert!(
                env[key].as_str().is_some_and(|s| !s.is_empty()),
                "env.{key} in {env}"
            );
        }
        assert!(env["cores"].as_u64().unwrap() >= 1);
        assert!(
            env["rustc"].as_str().unwrap().starts_with("1."),
            "the rustc that built the library: {env}"
        );
        assert!(env["library_hash"].as_str().unwrap().starts_with("sha256:"));
        assert_eq!(
            value["settings"],
            serde_json::json!({"n_seeds": 30, "alpha": 0.05, "min_effect": null})
        );
        // The Python tool's key order comes first, the additive keys last.
        let keys: Vec<&String> = value.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "bench",
                "timestamp",
                "git_commit",
                "git_dirty",
                "seeds",
                "n",
                "scores",
                "env",
                "settings"
            ]
        );
    }
);

pbtest!(
    environment_warning_names_what_differs_and_only_then,
    |dir: TestDir, cmd: Pybench| {
        assert_eq!(synthetic_run(&cmd, &[]).code, 0);
        let same = synthetic_run(&cmd, &[]);
        assert_eq!(same.code, 0, "{same:?}");
        assert!(
            !same.stderr.contains("warning:"),
            "identical environment, no warning: {}",
            same.stderr
        );

        edit_line(dir.path(), |v| {
            v["env"]["cores"] = 999.into();
            v["env"]["cpu"] = "Imaginary CPU".into();
        });
        let report = dir.path().join("report.json");
        let run = synthetic_run(&cmd, &["--json", report.to_str().unwrap()]);
        assert_eq!(run.code, 0, "{run:?}");
        let warnings: Vec<&str> = run
            .stderr
            .lines()
            .filter(|l| l.starts_with("warning:"))
            .collect();
        assert_eq!(warnings.len(), 1, "{}", run.stderr);
        assert!(warnings[0].starts_with("warning: bench_synthetic: measured on another environment than its baseline: cpu \"Imaginary CPU\" → "), "{}", warnings[0]);
        assert!(warnings[0].contains(", cores 999 → "), "{}", warnings[0]);
        let json: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
        let differences = json["benchmarks"][0]["environment_differences"]
            .as_array()
            .unwrap();
        assert_eq!(differences.len(), 2, "{differences:?}");
    }
);

pbtest!(
    a_seed_that_does_not_reproduce_is_named_once,
    |dir: TestDir, cmd: Pybench| {
        assert_eq!(synthetic_run(&cmd, &[]).code, 0);
        let mut first_seed = 0;
        edit_line(dir.path(), |v| {
            first_seed = v["seeds"][0].as_u64().unwrap();
            let old = v["scores"]["30"]["min:loss"][0].as_f64().unwrap();
            v["scores"]["30"]["min:loss"][0] = (old + 1e-6).into();
        });
        let run = synthetic_run(&cmd, &[]);
        assert_eq!(run.code, 0, "{run:?}");
        let warnings: Vec<&str> = run
            .stderr
            .lines()
            .filter(|l| l.starts_with("warning:"))
            .collect();
        assert_eq!(
        warnings,
        [format!("warning: bench_synthetic: same library and seed {first_seed}, different scores: the benchmark is not deterministic per seed (or its inputs changed), which weakens pairing").as_str()]
    );
    }
);
