//! Scale-out: a benchmark's seeds run as 3 shards (separate processes, at
//! once) and `pybench merge` give exactly what one unsharded run gives —
//! same report lines, same `--json`, same exit code, same baseline — for
//! NEW, PASS, FAIL, update and ERROR; and a merge of shards that do not make
//! one whole run is refused with one clear line.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::util::{Pybench, Run, TestDir, baseline_path, c_example, faults, synthetic};

/// Run `pybench [update] PATH --shard k/3 --out DIR/shard-k` for k = 1..3 as
/// three processes at once; each must succeed.
fn run_shards(cmd: &Pybench, update: bool, path: &Path, extra: &[&str], env: &[(&str, &str)]) {
    let children: Vec<_> = (1..=3)
        .map(|k| {
            let shard = format!("{k}/3");
            let out = format!("shards/{k}");
            let mut args: Vec<&str> = Vec::new();
            if update {
                args.push("update");
            }
            args.extend([path.to_str().unwrap(), "--no-build", "--shard", &shard]);
            args.extend(["--out", &out]);
            args.extend(extra);
            cmd.command(&args)
                .envs(env.iter().copied())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert_eq!(
            output.status.code(),
            Some(0),
            "shard failed: {}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

fn merge(cmd: &Pybench, extra: &[&str]) -> Run {
    let mut args = vec!["merge", "shards/1", "shards/2", "shards/3"];
    args.extend(extra);
    cmd.run(&args)
}

/// The `--json` report without timing fields (any key naming a time).
fn report(path: &Path) -> Value {
    fn strip(value: &mut Value) {
        match value {
            Value::Object(map) => {
                map.retain(|k, _| {
                    !["time", "elapsed", "duration", "seconds"]
                        .iter()
                        .any(|t| k.contains(t))
                });
                map.values_mut().for_each(strip);
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut value: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    strip(&mut value);
    value
}

/// The baseline file's lines without `timestamp`.
fn baselines(dir: &Path) -> Vec<Value> {
    std::fs::read_to_string(baseline_path(dir))
        .unwrap()
        .lines()
        .map(|line| {
            let mut value: Value = serde_json::from_str(line).unwrap();
            value.as_object_mut().unwrap().remove("timestamp");
            value
        })
        .collect()
}

/// Report lines, without the summary's duration.
fn lines(run: &Run) -> Vec<String> {
    run.stdout
        .lines()
        .map(|l| match l.split_once("  in ") {
            Some((head, _)) => head.to_string(),
            None => l.to_string(),
        })
        .collect()
}

fn assert_same(case: &str, single: &Run, merged: &Run, single_json: &Path, merged_json: &Path) {
    assert_eq!(
        single.code, merged.code,
        "{case}: exit codes\n{single:?}\n{merged:?}"
    );
    assert_eq!(lines(single), lines(merged), "{case}: report lines");
    assert_eq!(report(single_json), report(merged_json), "{case}: --json");
}

pbtest!(
    three_shards_and_merge_equal_one_run,
    |one: TestDir, one_cmd: Pybench| {
        let many = TestDir::new("many");
        let many_cmd = Pybench::new(many.path());
        let (one, many) = (one.path(), many.path());
        let syn = synthetic();
        let syn_arg = syn.to_str().unwrap();

        // NEW: fresh seeds; the shards take theirs from the seed plan.
        let single = one_cmd.run(&[syn_arg, "--json", "new.json"]);
        assert_eq!(single.code, 0, "{single:?}");
        assert!(single.line_of("bench_synthetic").contains(" NEW "));
        let plan = many_cmd.run(&["seeds", syn_arg, "--no-build"]);
        assert_eq!(plan.code, 0, "{plan:?}");
        assert!(many.join(".pybench/seed-plan.json").exists());
        run_shards(&many_cmd, false, &syn, &[], &[]);
        let merged = merge(&many_cmd, &["--json", "new.json"]);
        assert_same(
            "NEW",
            &single,
            &merged,
            &one.join("new.json"),
            &many.join("new.json"),
        );
        assert_eq!(
            baselines(one),
            baselines(many),
            "NEW writes the same baseline"
        );

        // PASS: the stored seeds, no plan needed.
        std::fs::remove_file(many.join(".pybench/seed-plan.json")).unwrap();
        for (case, env, code) in [
            ("PASS", vec![], 0),
            (
                "PASS resampled",
                vec![("PYBENCH_SYNTHETIC_RESAMPLE", "1")],
                0,
            ),
            ("FAIL", vec![("PYBENCH_SYNTHETIC_REGRESS", "local")], 1),
        ] {
            let single = one_cmd.run_env(&[syn_arg, "--no-build", "-v", "--json", "r.json"], &env);
            assert_eq!(single.code, code, "{case}: {single:?}");
            std::fs::remove_dir_all(many.join("shards")).ok();
            run_shards(&many_cmd, false, &syn, &[], &env);
            let merged = merge(&many_cmd, &["-v", "--json", "r.json"]);
            assert_same(
                case,
                &single,
                &merged,
                &one.join("r.json"),
                &many.join("r.json"),
            );
        }
        assert_eq!(baselines(one), baselines(many), "checks write nothing");

        // update: fresh seeds from other entropy, drawn once by `pybench seeds`.
        let entropy = [("PYBENCH_SEED_ENTROPY", "7")];
        let single = one_cmd.run_env(
            &["update", syn_arg, "--no-build", "--json", "u.json"],
            &entropy,
        );
        assert_eq!(single.code, 0, "{single:?}");
        let plan = many_cmd.run_env(&["seeds", syn_arg, "--no-build"], &entropy);
        assert_eq!(plan.code, 0, "{plan:?}");
        std::fs::remove_dir_all(many.join("shards")).ok();
        run_shards(&many_cmd, true, &syn, &[], &[]);
        let merged = merge(&many_cmd, &["--json", "u.json"]);
        assert_same(
            "update",
            &single,
            &merged,
            &one.join("u.json"),
            &many.join("u.json"),
        );
        assert_eq!(
            merged.stdout,
            format!(
                "pybench update — 1 benchmark discovered\n\nbench_synthetic    updated   30 seeds\n{}\n1 baseline rewritten\n",
                "─".repeat(62)
            )
        );
        assert_eq!(
            baselines(one),
            baselines(many),
            "update writes the same baseline"
        );
    }
);

pbtest!(
    errors_in_shards_merge_to_the_same_error,
    |one: TestDir, one_cmd: Pybench| {
        let many = TestDir::new("many");
        let many_cmd = Pybench::new(many.path());
        let (one, many) = (one.path(), many.path());
        let faults = faults();
        let mut args: Vec<&str> = vec![faults.to_str().unwrap(), "-j", "1"];
        for bench in ["healthy", "errors", "shifting_slots", "nan", "aborts"] {
            args.extend(["--bench", bench]);
        }
        let mut single_args = args.clone();
        single_args.extend(["--json", "e.json"]);
        let single = one_cmd.run(&single_args);
        assert_eq!(single.code, 2, "{single:?}");
        let mut plan_args = vec!["seeds"];
        plan_args.extend(&args);
        assert_eq!(many_cmd.run(&plan_args).code, 0);
        run_shards(&many_cmd, false, &faults, &args[1..], &[]);
        let merged = merge(&many_cmd, &["--json", "e.json"]);
        assert_same(
            "ERROR",
            &single,
            &merged,
            &one.join("e.json"),
            &many.join("e.json"),
        );
        assert!(
            merged.line_of("bench_aborts").contains("SIGABRT"),
            "{}",
            merged.stdout
        );
        assert!(merged.line_of("bench_errors").contains("dataset shard"));
        assert_eq!(baselines(one), baselines(many));
    }
);

/// Gives the directory of `cmd` a C benchmark with a baseline, and its three
/// shards in `shards/K`; returns the benchmark's library.
fn sharded_c(cmd: &Pybench) -> PathBuf {
    let lib = c_example();
    let first = cmd.run(&[lib.to_str().unwrap()]);
    assert_eq!(first.code, 0, "{first:?}");
    run_shards(cmd, false, &lib, &[], &[]);
    lib
}

fn assert_refused(dir: &Path, run: &Run, says: &[&str]) {
    assert_eq!(run.code, 2, "{run:?}");
    let errors = run.error_lines();
    assert_eq!(errors.len(), 1, "one error line: {}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    for part in says {
        assert!(errors[0].contains(part), "{part:?} in {}", errors[0]);
    }
    assert!(errors[0].contains("(hint: "), "{}", errors[0]);
    assert_eq!(run.stdout, "", "nothing judged");
    let _ = dir;
}

fn shard_file(dir: &Path, k: usize) -> PathBuf {
    dir.join(format!("shards/{k}/bench_solver.shard-{k}-of-3.json"))
}

fn seeds_of(dir: &Path, k: usize) -> Vec<u64> {
    let file: Value =
        serde_json::from_str(&std::fs::read_to_string(shard_file(dir, k)).unwrap()).unwrap();
    file["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["seed"].as_u64().unwrap())
        .collect()
}

pbtest!(a_missing_shard_is_named, |dir: TestDir, cmd: Pybench| {
    sharded_c(&cmd);
    let before = std::fs::read(baseline_path(dir.path())).unwrap();
    let run = cmd.run(&["merge", "shards/1", "shards/3"]);
    let missing = seeds_of(dir.path(), 2);
    assert_refused(
        dir.path(),
        &run,
        &[
            "error: cannot merge bench_solver: ",
            "of 20 seeds are missing (no file for shard 2/3)",
            &missing[0].to_string(),
        ],
    );
    assert_eq!(std::fs::read(baseline_path(dir.path())).unwrap(), before);
    // Shard 2 re-run alone gives the same share; the whole set merges, and PASSes.
    let lost = std::fs::read_to_string(shard_file(dir.path(), 2)).unwrap();
    std::fs::remove_dir_all(dir.path().join("shards/2")).unwrap();
    let lib = c_example();
    let args = [lib.to_str().unwrap(), "--shard", "2/3", "--out", "shards/2"];
    assert_eq!(cmd.run(&args).code, 0);
    let again = std::fs::read_to_string(shard_file(dir.path(), 2)).unwrap();
    let results = |text: &str| serde_json::from_str::<Value>(text).unwrap()["results"].clone();
    assert_eq!(results(&lost), results(&again));
    let run = cmd.run(&["merge", "shards/1", "shards/2", "shards/3"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.line_of("bench_solver").contains(" PASS "));
});

pbtest!(a_duplicated_shard_is_named, |dir: TestDir, cmd: Pybench| {
    sharded_c(&cmd);
    std::fs::create_dir_all(dir.path().join("again")).unwrap();
    std::fs::copy(
        shard_file(dir.path(), 2),
        dir.path().join("again/bench_solver.shard-2-of-3.json"),
    )
    .unwrap();
    let run = cmd.run(&["merge", "shards/1", "shards/2", "shards/3", "again"]);
    let twice = seeds_of(dir.path(), 2);
    assert_refused(
        dir.path(),
        &run,
        &[
            "cannot merge bench_solver: 7 seeds are duplicated, run by both shard 2/3 of ",
            "again/bench_solver.shard-2-of-3.json",
            &twice[0].to_string(),
        ],
    );
});

pbtest!(
    shards_of_two_library_builds_are_refused,
    |dir: TestDir, cmd: Pybench| {
        let lib = sharded_c(&cmd);
        // Another build: the same code with other bytes (a rebuilt library).
        let other = dir.path().join("other").join(lib.file_name().unwrap());
        std::fs::create_dir_all(other.parent().unwrap()).unwrap();
        let mut bytes = std::fs::read(&lib).unwrap();
        bytes.extend_from_slice(b"another build");
        std::fs::write(&other, bytes).unwrap();
        let run = cmd.run(&[
            other.to_str().unwrap(),
            "--shard",
            "2/3",
            "--out",
            "rebuilt",
        ]);
        assert_eq!(run.code, 0, "{run:?}");
        let run = cmd.run(&["merge", "shards/1", "rebuilt", "shards/3"]);
        assert_refused(
            dir.path(),
            &run,
            &["cannot merge bench_solver: shards come from different library builds: sha256:"],
        );
    }
);

pbtest!(
    shards_with_different_settings_are_refused,
    |dir: TestDir, cmd: Pybench| {
        let lib = sharded_c(&cmd);
        let run = cmd.run(&[
            lib.to_str().unwrap(),
            "--shard",
            "2/3",
            "--out",
            "other",
            "--alpha",
            "0.1",
        ]);
        assert_eq!(run.code, 0, "{run:?}");
        let run = cmd.run(&["merge", "shards/1", "other", "shards/3"]);
        assert_refused(
            dir.path(),
            &run,
            &[
                "cannot merge bench_solver: shards ran with different settings: alpha=0.05",
                "alpha=0.1",
            ],
        );
    }
);

pbtest!(
    fresh_seeds_need_a_plan_and_auto_reads_the_engine,
    |dir: TestDir, cmd: Pybench| {
        let lib = c_example();
        let lib = lib.to_str().unwrap();
        let run = cmd.run(&[lib, "--shard", "1/2", "--out", "s"]);
        assert_eq!(run.code, 2, "{run:?}");
        assert!(
        run.stderr.starts_with(
            "error: bench_solver needs fresh seeds, and no seed plan was given (hint: draw the seeds once with `pybench seeds PATH`"
        ),
        "{}",
        run.stderr
    );
        let run = cmd.run(&["seeds", lib, "--n-seeds", "12", "--seed-plan", "plan.json"]);
        assert_eq!(run.code, 0, "{run:?}");
        // Slurm array 4-5: task 5 is shard 2/2; Kubernetes index 0 is shard 1/2.
        let slurm = [
            ("SLURM_ARRAY_TASK_ID", "5"),
            ("SLURM_ARRAY_TASK_MIN", "4"),
            ("SLURM_ARRAY_TASK_COUNT", "2"),
        ];
        let args = [
            lib,
            "--shard",
            "auto",
            "--out",
            "s",
            "--seed-plan",
            "plan.json",
        ];
        let run = cmd.run_env(&args, &slurm);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(run.stdout.contains("shard 2/2"), "{}", run.stdout);
        let mut k8s_args = args.to_vec();
        k8s_args.extend(["--shard-count", "2"]);
        let run = cmd.run_env(&k8s_args, &[("JOB_COMPLETION_INDEX", "0")]);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(run.stdout.contains("shard 1/2"), "{}", run.stdout);
        let merged = cmd.run(&["merge", "s", "--json", "m.json"]);
        assert_eq!(merged.code, 0, "{merged:?}");
        assert!(merged.line_of("bench_solver").contains(" NEW "));
        let json = report(&dir.path().join("m.json"));
        assert_eq!(
            json["benchmarks"][0]["n_seeds"], 12,
            "the plan's seed count"
        );
        // --shard auto with nothing to read is a usage error.
        let run = cmd.run(&args);
        assert_eq!(run.code, 2, "{run:?}");
        assert!(run.stderr.contains("--shard auto found no shard variables"));
    }
);
