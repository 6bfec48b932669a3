//! Messages that used to mislead: each is now one accurate line. Numbers
//! read compactly, p never looks equal to the alpha it was judged against,
//! and a command that stops says why.

use std::path::Path;

use pybench_cli::scores::{ScoreTable, SlotKey};
use pybench_cli::stats::{self, CompareOptions};
use serde_json::Value;

use crate::errors::{assert_usage_error, scored_library};
use crate::util::{Pybench, Run, TestDir, TestRepo, baseline_path};

const EIGHT_SEEDS: &str = r#"{"abi":1,"n_seeds":8}"#;

pbtest!(
    update_against_hinted_at_git_repositories,
    |dir: TestDir, cmd: Pybench| {
        let lib = scored_library("settings_ok", EIGHT_SEEDS, "min:loss");
        let run = cmd.run(&["update", lib.to_str().unwrap(), "--against", "HEAD"]);
        assert_usage_error(
            &run,
            "error: --against writes no baseline, so it does not go with `update` (hint: run `pybench --against REV` to compare, `pybench update` to rewrite baselines)",
        );
        assert!(!run.stderr.contains("repository"), "{}", run.stderr);
        assert!(!baseline_path(dir.path()).exists());
    }
);

/// `error: --against: …` with the flag named once and a hint for the cause.
fn assert_against_error(run: &Run, cause: &str, hint: &str) {
    assert_usage_error(run, &format!("error: --against: {cause}"));
    let line = run.error_lines()[0];
    assert_eq!(line.matches("--against").count(), 1, "{line}");
    assert!(line.ends_with(&format!("(hint: {hint})")), "{line}");
}

pbtest!(against_doubled_its_prefix, |dir: TestDir, cmd: Pybench| {
    let lib = scored_library("settings_ok", EIGHT_SEEDS, "min:loss");
    let run = cmd.run(&[lib.to_str().unwrap(), "--against", "HEAD"]);
    assert_against_error(
        &run,
        "not inside a git repository",
        "run inside the git repository that holds the benchmarks",
    );
    let repo = TestRepo::new("against_doubled_its_prefix_repo");
    repo.write("README.md", b"x\n");
    repo.commit_all("start");
    let run = Pybench::new(repo.path()).run(&["benchmarks", "--against", "nope"]);
    assert_against_error(
        &run,
        "cannot resolve revision \"nope\"",
        "name a revision git knows: a branch, a tag, HEAD~1 or a SHA",
    );
});

pbtest!(
    alpha_1e_300_printed_300_zeros,
    |dir: TestDir, cmd: Pybench| {
        let lib = scored_library("settings_ok", EIGHT_SEEDS, "min:loss");
        let lib = lib.to_str().unwrap();
        let run = cmd.run(&[lib, "--alpha", "1e-300", "--list"]);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(
            run.line_of("bench_settings_ok")
                .contains("  alpha=1e-300  "),
            "{}",
            run.stdout
        );
        let run = cmd.run(&[lib, "--alpha", "1e-300"]);
        assert_eq!(run.code, 2, "{run:?}");
        assert!(
            run.line_of("bench_settings_ok")
                .ends_with(" ERROR   alpha=1e-300 can never flag a regression with n_seeds=8: the smallest n_seeds that can is 997"),
            "{}",
            run.stdout
        );
        for text in [&run.stdout, &run.stderr] {
            assert!(!text.contains(&"0".repeat(20)), "{text}");
        }
    }
);

pbtest!(
    job_completion_index_2_pow_64_minus_1_wrapped_to_shard_0,
    |dir: TestDir, cmd: Pybench| {
        let lib = scored_library("settings_ok", EIGHT_SEEDS, "min:loss");
        let args = [
            lib.to_str().unwrap(),
            "--shard",
            "auto",
            "--shard-count",
            "2",
            "--out",
            "s",
        ];
        let index = u64::MAX.to_string();
        let run = cmd.run_env(&args, &[("JOB_COMPLETION_INDEX", &index)]);
        assert_usage_error(
            &run,
            &format!(
                "error: Kubernetes Indexed Job: JOB_COMPLETION_INDEX={index} is not below the shard count 2 (indices are 0-based)"
            ),
        );
        assert!(!dir.path().join("s").exists());
    }
);

/// Two baseline files, of the benchmarks `a` and `b`, in `dir`.
fn baselines_of(dir: &Path, cmd: &Pybench, a: &str, b: &str) {
    for (name, file) in [(a, "a.jsonl"), (b, "b.jsonl")] {
        let lib = scored_library(name, EIGHT_SEEDS, "min:loss");
        let run = cmd.run(&[lib.to_str().unwrap(), "--baseline", file]);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(dir.join(file).exists());
    }
}

pbtest!(
    compare_with_no_common_benchmark_said_nothing,
    |dir: TestDir, cmd: Pybench| {
        baselines_of(dir.path(), &cmd, "cmp_left", "cmp_right");
        let run = cmd.run(&["compare", "a.jsonl", "b.jsonl"]);
        assert_usage_error(
            &run,
            "error: no benchmark is in both A (a.jsonl) and B (b.jsonl): 1 only in A, 1 only in B (hint: ",
        );
        assert!(
            run.stdout
                .contains("note: bench_cmp_left is only in A; not compared"),
            "{}",
            run.stdout
        );
        let run = cmd.run(&["compare", "a.jsonl", "a.jsonl", "--bench", "nope"]);
        assert_usage_error(&run, "error: no benchmark matches --bench nope (hint: ");
        std::fs::write(dir.path().join("empty.jsonl"), "").unwrap();
        let run = cmd.run(&["compare", "empty.jsonl", "a.jsonl"]);
        assert_usage_error(
            &run,
            "error: empty.jsonl holds no benchmark with scores (hint: ",
        );
    }
);

/// The p text after `prefix` in `line`, e.g. `0.052` of `… p=0.052 …`.
fn p_after<'a>(line: &'a str, prefix: &str) -> &'a str {
    let start = line
        .rfind(prefix)
        .unwrap_or_else(|| panic!("{prefix} in {line}"))
        + prefix.len();
    line[start..].split_whitespace().next().unwrap()
}

/// `printed` is `p` rounded, and does not read as `alpha`.
fn assert_p_apart(printed: &str, p: f64, alpha: f64) {
    let decimals = printed.split('.').nth(1).map_or(0, str::len);
    let value: f64 = printed.parse().unwrap();
    assert!(
        (value - p).abs() <= 0.5 * 10f64.powi(-(decimals as i32)) + 1e-12,
        "{printed} is not {p} rounded"
    );
    assert_ne!(
        printed,
        format!("{alpha:.decimals$}"),
        "p={p} reads as alpha={alpha}"
    );
}

/// The baseline line of `current.jsonl` in `dir`, with `min:loss` made
/// better than the current scores by `shift + pattern`, so that the slot p
/// of the current scores against it is `target`-ish; returns that p as the
/// engine computes it.
fn baseline_for_p(dir: &Path, target: f64) -> (String, f64) {
    let text = std::fs::read_to_string(dir.join("current.jsonl")).unwrap();
    let mut line: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    let seeds: Vec<u64> = serde_json::from_value(line["seeds"].clone()).unwrap();
    let current: Vec<f64> =
        serde_json::from_value(line["scores"]["0"]["min:loss"].clone()).unwrap();
    let pattern = [3.0, -2.0, 4.0, -1.0, 5.0, -3.0, 2.0, 0.0];
    let shifted = |shift: f64| -> Vec<f64> {
        let baseline: Vec<f64> = current
            .iter()
            .zip(pattern)
            .map(|(c, e)| c - (shift + e))
            .collect();
        baseline
    };
    let p_of = |shift: f64| {
        let table = |values: Vec<f64>| {
            ScoreTable::new(vec![SlotKey::new(0, "min:loss")], vec![values]).unwrap()
        };
        let options = CompareOptions {
            alpha: 0.05,
            min_effect: None,
        };
        let cmp = stats::compare(
            "bench_p",
            &seeds,
            &table(shifted(shift)),
            &table(current.clone()),
            &options,
        )
        .unwrap();
        cmp.slots[0].p
    };
    // p falls as the shift grows.
    let (mut low, mut high) = (0.0, 50.0);
    for _ in 0..80 {
        let mid = (low + high) / 2.0;
        if p_of(mid) > target {
            low = mid;
        } else {
            high = mid;
        }
    }
    line["scores"]["0"]["min:loss"] = serde_json::to_value(shifted(high)).unwrap();
    (
        format!("{}\n", serde_json::to_string(&line).unwrap()),
        p_of(high),
    )
}

pbtest!(
    p_read_as_alpha_beside_a_pass,
    |dir: TestDir, cmd: Pybench| {
        let lib = scored_library("p_near_alpha", EIGHT_SEEDS, "min:loss");
        let lib = lib.to_str().unwrap();
        let run = cmd.run(&[lib]);
        assert_eq!(run.code, 0, "{run:?}");
        std::fs::copy(baseline_path(dir.path()), dir.path().join("current.jsonl")).unwrap();

        // 0.0549 once printed as p=0.05 beside a PASS at alpha 0.05.
        let (line, p) = baseline_for_p(dir.path(), 0.0549);
        assert!((0.05..0.055).contains(&p), "{p}");
        std::fs::write(baseline_path(dir.path()), &line).unwrap();
        let run = cmd.run(&[lib, "--family", "none"]);
        assert_eq!(run.code, 0, "{run:?}");
        let bench_line = run.line_of("bench_p_near_alpha");
        assert!(bench_line.contains(" PASS "), "{run:?}");
        assert_p_apart(p_after(bench_line, "p="), p, 0.05);

        // compare rounds the same way: 0.0502 is not `0.050`.
        let (line, p) = baseline_for_p(dir.path(), 0.0502);
        assert!((0.0495..0.0505).contains(&p) && p != 0.05, "{p}");
        std::fs::write(dir.path().join("reference.jsonl"), &line).unwrap();
        let run = cmd.run(&["compare", "reference.jsonl", "current.jsonl"]);
        assert_eq!(run.code, 0, "{run:?}");
        let slot_line = run
            .stdout
            .lines()
            .find(|l| l.trim_start().starts_with("min:loss"))
            .unwrap_or_else(|| panic!("{run:?}"));
        assert_p_apart(slot_line.split_whitespace().nth(5).unwrap(), p, 0.05);
    }
);

/// An edit that breaks a `--json` report.
type Edit = fn(&mut Value);

/// Remove `key` from the object `value`, which has it.
fn remove(value: &mut Value, key: &str) {
    value.as_object_mut().unwrap().remove(key).unwrap();
}

/// Each way a report can be malformed: its file name, the edit, and the
/// error line `compare` must give for it.
fn report_edits() -> [(&'static str, Edit, &'static str); 8] {
    [
        (
            "version",
            |r| r["schema_version"] = 99.into(),
            "error: cannot compare version.json: schema_version 99 is not supported (expected 1) (hint: ",
        ),
        (
            "nameless",
            |r| remove(&mut r["benchmarks"][0], "name"),
            "error: cannot compare nameless.json: a benchmark without a name (hint: ",
        ),
        (
            "seedless",
            |r| remove(&mut r["benchmarks"][0], "seeds"),
            "error: cannot compare seedless.json: bench_cmp_report: `seeds` is missing (a report of pybench ≥ this version is needed) (hint: ",
        ),
        (
            "stepless",
            |r| remove(&mut r["benchmarks"][0]["slots"][0], "step"),
            "error: cannot compare stepless.json: bench_cmp_report: a slot without a step (hint: ",
        ),
        (
            "metricless",
            |r| r["benchmarks"][0]["slots"][0]["metric"] = Value::Null,
            "error: cannot compare metricless.json: bench_cmp_report: a slot without a metric (hint: ",
        ),
        (
            "alpha",
            |r| r["benchmarks"][0]["alpha"] = 1.5.into(),
            "error: cannot compare alpha.json: bench_cmp_report: alpha=1.5 must be between 0 and 1 (hint: ",
        ),
        (
            "min_effect",
            |r| r["benchmarks"][0]["min_effect"] = (-0.5).into(),
            "error: cannot compare min_effect.json: bench_cmp_report: min_effect=-0.5 must be a fraction ≥ 0 (hint: ",
        ),
        (
            "values",
            |r| r["benchmarks"][0]["slots"][0]["current_values"] = "many".into(),
            "error: cannot compare values.json: bench_cmp_report: invalid type: string \"many\", expected a sequence (hint: ",
        ),
    ]
}

// `compare` reads a `--json` report with the report's own schema: each
// malformed document is one error line naming the file, the benchmark and
// the field.
pbtest!(
    compare_names_what_is_wrong_in_a_report,
    |dir: TestDir, cmd: Pybench| {
        let lib = scored_library("cmp_report", EIGHT_SEEDS, "min:loss");
        let run = cmd.run(&[lib.to_str().unwrap(), "--json", "a.json"]);
        assert_eq!(run.code, 0, "{run:?}");
        let report: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.path().join("a.json")).unwrap())
                .unwrap();
        let run = cmd.run(&["compare", "a.json", "a.json"]);
        assert_eq!(run.code, 0, "a well-formed report reads back: {run:?}");
        for (name, edit, line) in report_edits() {
            let mut broken = report.clone();
            edit(&mut broken);
            let file = format!("{name}.json");
            std::fs::write(dir.path().join(&file), broken.to_string()).unwrap();
            let run = cmd.run(&["compare", "a.json", &file]);
            assert_usage_error(&run, line);
        }
    }
);

// An alpha is checked where it is read: a hand-edited baseline whose
// recorded alpha is out of (0, 1) is read as recording none (its settings
// are advisory), never used — `show --sensitivity` used to panic on it.
pbtest!(
    a_baseline_alpha_out_of_range_is_not_used,
    |dir: TestDir, cmd: Pybench| {
        let lib = scored_library("bad_stored_alpha", EIGHT_SEEDS, "min:loss");
        let run = cmd.run(&[lib.to_str().unwrap()]);
        assert_eq!(run.code, 0, "{run:?}");
        let path = baseline_path(dir.path());
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("\"alpha\": 0.05"), "{text}");
        std::fs::write(&path, text.replace("\"alpha\": 0.05", "\"alpha\": 1.5")).unwrap();
        let run = cmd.run(&["show", "--sensitivity"]);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
        assert!(
            run.stdout
                .contains("bench_bad_stored_alpha  8 seeds  (α′=0.050;"),
            "{}",
            run.stdout
        );
    }
);
