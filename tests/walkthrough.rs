//! The synthetic walkthrough of the Python pybench, driven through the real
//! binary in a temporary git repository: NEW → PASS → PASS resampled → FAIL
//! global → FAIL local → update → show → show --history.

use serde_json::Value;

use crate::util::{Pybench, Run, TestDir, TestRepo, baseline_bytes, baseline_path, synthetic};

fn synthetic_run(cmd: &Pybench, extra: &[&str], env: &[(&str, &str)]) -> Run {
    let path = synthetic();
    let mut args = vec![path.to_str().unwrap()];
    args.extend_from_slice(extra);
    cmd.run_env(&args, env)
}

fn stored_line(repo: &TestRepo) -> Value {
    let text = std::fs::read_to_string(baseline_path(repo.path())).unwrap();
    assert_eq!(text.lines().count(), 1, "one line per benchmark");
    serde_json::from_str(text.lines().next().unwrap()).unwrap()
}

pbtest!(the_whole_walkthrough, |repo: TestRepo, cmd: Pybench| {
    repo.write("README.md", b"a project with a benchmark\n");
    let first_commit = repo.commit_all("start");

    // First run: NEW, and the baseline is saved with the commit it ran at.
    let run = synthetic_run(&cmd, &[], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout
            .starts_with("pybench — 1 benchmark discovered\n\n"),
        "{}",
        run.stdout
    );
    assert_eq!(
        run.line_of("bench_synthetic"),
        "bench_synthetic   .......... NEW   3 slots: 1 metric × 3 steps   (baseline saved)"
    );
    assert!(run.stdout.contains(&format!(
        "{}\n0 failed, 0 passed, 1 new  in ",
        "─".repeat(62)
    )));
    let line = stored_line(&repo);
    assert_eq!(line["bench"], "bench_synthetic");
    assert_eq!(line["n"], 30);
    assert_eq!(line["git_commit"], first_commit[..7]);
    assert_eq!(line["git_dirty"], false);
    let seeds: Vec<u64> = serde_json::from_value(line["seeds"].clone()).unwrap();
    assert_eq!(seeds.len(), 30);
    assert!(seeds.iter().all(|&s| s < 1 << 32));
    let steps: Vec<&String> = line["scores"].as_object().unwrap().keys().collect();
    assert_eq!(steps, ["1", "30", "100"]);
    let saved = baseline_bytes(repo.path()).unwrap();
    let baseline_commit = repo.commit_all("add the baseline");

    // Case 1: unchanged rerun on the stored seeds.
    let run = synthetic_run(&cmd, &[], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.line_of("bench_synthetic"),
        "bench_synthetic   .......... PASS   3 slots: 1 metric × 3 steps   0/3 slots flagged  meta-p=1.000"
    );
    assert!(run.stdout.contains("0 failed, 1 passed, 0 new  in "));

    // Case 2: every score changes, nothing regresses.
    let run = synthetic_run(&cmd, &[], &[("PYBENCH_SYNTHETIC_RESAMPLE", "1")]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.line_of("bench_synthetic")
            .contains(".......... PASS   3 slots: 1 metric × 3 steps")
    );

    // Case 3: a global regression flags every slot.
    let run = synthetic_run(&cmd, &[], &[("PYBENCH_SYNTHETIC_REGRESS", "global")]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(
        run.line_of("bench_synthetic"),
        "bench_synthetic   .......... FAIL   3 slots: 1 metric × 3 steps   3/3 slots flagged  meta-p=0.000"
    );
    assert!(run.stdout.contains("1 failed, 0 passed, 0 new  in "));

    // Case 4: a local regression in one step; -v shows the table.
    let run = synthetic_run(&cmd, &["-v"], &[("PYBENCH_SYNTHETIC_REGRESS", "local")]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(
        run.line_of("bench_synthetic"),
        "bench_synthetic   .......... FAIL   3 slots: 1 metric × 3 steps   1/3 slots flagged  meta-p=0.000"
    );
    let table: Vec<&str> = run.stdout.lines().filter(|l| l.starts_with("  ")).collect();
    assert_eq!(
        table[0],
        "  metric     step   baseline       current              Δ       p      MDE"
    );
    assert_eq!(table.len(), 4, "{}", run.stdout);
    assert!(table[1].starts_with("  min:loss      1   ") && !table[1].contains('✗'));
    assert!(table[2].starts_with("  min:loss     30   ") && !table[2].contains('✗'));
    assert!(
        table[3]
            .starts_with("  min:loss    100   0.141±0.0701   0.341±0.0701   -141.6%   0.000   ≤")
            && table[3].ends_with("%  ✗"),
        "{}",
        table[3]
    );

    // None of the comparisons touched the file.
    assert_eq!(baseline_bytes(repo.path()).unwrap(), saved);

    // update: fresh seeds (other entropy than the first run's), the line rewritten.
    let run = cmd.run_env(
        &["update", synthetic().to_str().unwrap()],
        &[("PYBENCH_SEED_ENTROPY", "1")],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.stdout,
        format!(
            "pybench update — 1 benchmark discovered\n\nbench_synthetic    updated   30 seeds\n{}\n1 baseline rewritten\n",
            "─".repeat(62)
        )
    );
    let updated = stored_line(&repo);
    assert_ne!(updated["seeds"], line["seeds"], "update draws fresh seeds");
    assert_eq!(updated["git_commit"], baseline_commit[..7]);
    let update_commit = repo.commit_all("update the baseline");

    // show: the stored baseline's means.
    let run = cmd.run(&["show"]);
    assert_eq!(run.code, 0, "{run:?}");
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", run.stdout);
    let date = &updated["timestamp"].as_str().unwrap()[..10];
    assert_eq!(
        lines[0],
        format!(
            "bench_synthetic  measured at {}  {date}  30 seeds",
            &baseline_commit[..7]
        )
    );
    assert!(lines[1].starts_with("  min:loss@1: 1.0"), "{}", lines[1]);
    assert!(lines[1].contains("  min:loss@30: 0.") && lines[1].contains("  min:loss@100: 0."));

    // show --history: one line per commit that changed the file, oldest first.
    let run = cmd.run(&["show", "--history"]);
    assert_eq!(run.code, 0, "{run:?}");
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", run.stdout);
    assert_eq!(
        lines[0],
        "bench_synthetic  (each commit that changed .pybench/baselines.jsonl)"
    );
    // The first commit holds the baseline measured at the commit before it.
    assert!(
        lines[1].starts_with(&format!("  committed in {}  ", &baseline_commit[..7])),
        "{}",
        lines[1]
    );
    assert!(
        lines[1].contains(&format!("  measured at {}  ", &first_commit[..7])),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].starts_with(&format!("  committed in {}  ", &update_commit[..7])),
        "{}",
        lines[2]
    );
    assert!(
        lines[2].contains(&format!("  measured at {}  ", &baseline_commit[..7])),
        "{}",
        lines[2]
    );
    assert!(lines[2].contains("  min:loss@1: 1.0"));
});

pbtest!(
    history_outside_a_repository_says_so,
    |dir: TestDir, cmd: Pybench| {
        let run = cmd.run(&["show", "--history"]);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(
            run.stderr.starts_with("note: not inside a git repository"),
            "{}",
            run.stderr
        );
    }
);

pbtest!(
    json_report_carries_every_slot,
    |repo: TestRepo, cmd: Pybench| {
        repo.write("README.md", b"x\n");
        repo.commit_all("start");
        let report = repo.path().join("report.json");
        let report_arg = report.to_str().unwrap();
        let run = synthetic_run(&cmd, &["--json", report_arg], &[]);
        assert_eq!(run.code, 0, "{run:?}");
        let new: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
        assert_eq!(new["schema_version"], 1);
        assert_eq!(new["benchmarks"][0]["status"], "NEW");
        assert_eq!(new["benchmarks"][0]["slots"].as_array().unwrap().len(), 3);

        let run = synthetic_run(
            &cmd,
            &["--json", report_arg],
            &[("PYBENCH_SYNTHETIC_REGRESS", "local")],
        );
        assert_eq!(run.code, 1, "{run:?}");
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
        let bench = &doc["benchmarks"][0];
        assert_eq!(bench["name"], "bench_synthetic");
        assert_eq!(bench["status"], "FAIL");
        assert_eq!(bench["alpha"], 0.05);
        assert_eq!(bench["n_seeds"], 30);
        assert!(bench["meta_p"].as_f64().unwrap() < 0.05);
        let slots = bench["slots"].as_array().unwrap();
        let flagged: Vec<i64> = slots
            .iter()
            .filter(|s| s["flagged"] == true)
            .map(|s| s["step"].as_i64().unwrap())
            .collect();
        assert_eq!(flagged, [100]);
        for slot in slots {
            assert_eq!(slot["metric"], "min:loss");
            for key in [
                "baseline_mean",
                "baseline_std",
                "current_mean",
                "current_std",
                "effect",
                "p",
            ] {
                assert!(slot[key].is_f64(), "{key} in {slot}");
            }
        }
        let step100 = &slots[2];
        let shift =
            step100["current_mean"].as_f64().unwrap() - step100["baseline_mean"].as_f64().unwrap();
        assert!(
            (shift - 0.20).abs() < 1e-9,
            "the local regression adds exactly 0.20: {shift}"
        );
    }
);

pbtest!(
    dirty_tree_without_terminal_saves_no_new_baseline_unless_yes,
    |repo: TestRepo, cmd: Pybench| {
        repo.write("README.md", b"x\n");
        repo.commit_all("start");
        repo.write("README.md", b"edited\n");
        let run = synthetic_run(&cmd, &[], &[]);
        assert_eq!(run.code, 0, "{run:?}");
        assert_eq!(
            run.line_of("bench_synthetic"),
            "bench_synthetic   .......... NEW   3 slots: 1 metric × 3 steps   not saved: working tree dirty (commit, or pass --yes)"
        );
        assert!(baseline_bytes(repo.path()).is_none(), "nothing written");
        let update = cmd.run(&["update", synthetic().to_str().unwrap()]);
        assert_eq!(update.code, 2, "update still refuses: {update:?}");
        assert_eq!(update.error_lines().len(), 1, "{}", update.stderr);
        assert!(
            update.error_lines()[0].contains("dirty") && update.error_lines()[0].contains("--yes")
        );
        assert!(baseline_bytes(repo.path()).is_none(), "nothing written");

        let run = synthetic_run(&cmd, &["--yes"], &[]);
        assert_eq!(run.code, 0, "{run:?}");
        assert_eq!(stored_line(&repo)["git_dirty"], true);
        let show = cmd.run(&["show"]);
        assert!(
            show.stdout
                .lines()
                .next()
                .unwrap()
                .ends_with("30 seeds ⚠ dirty"),
            "{}",
            show.stdout
        );
    }
);

pbtest!(
    no_build_loads_the_last_release_build,
    |dir: TestDir, cmd: Pybench| {
        // A normal run builds the package; --no-build then finds the same
        // library through `cargo metadata` without building.
        let path = synthetic();
        let built = cmd.run(&[path.to_str().unwrap()]);
        assert_eq!(built.code, 0, "{built:?}");
        let run = cmd.run(&[path.to_str().unwrap(), "--no-build"]);
        assert_eq!(run.code, 0, "{run:?}");
        assert_eq!(
            run.line_of("bench_synthetic"),
            "bench_synthetic   .......... PASS   3 slots: 1 metric × 3 steps   0/3 slots flagged  meta-p=1.000"
        );
    }
);
