//! `pybench --against REV` in temporary git repositories holding a small
//! benchmark crate whose regression is a code change between commits (not
//! an environment variable), and the additive fingerprint keys of baselines.

use serde_json::Value;

use crate::util::{NOISE_RS, Pybench, Run, TestRepo, workspace};

/// A benchmark crate whose loss is `0.5 + shift + noise(seed)`. Every test
/// of this file writes one named `abtest`, so each builds it into its own
/// target directory (`Pybench::own_target_dir`).
fn write_crate(repo: &TestRepo, shift: f64) {
    let manifest = format!(
        r#"[package]
name = "abtest"
version = "0.1.0"
edition = "2024"
publish = false

[lib]
crate-type = ["cdylib"]

[dependencies]
pybench = {{ path = {:?} }}

[workspace]
"#,
        workspace().join("src/authoring").display().to_string()
    );
    repo.write("bench/Cargo.toml", manifest.as_bytes());
    let source = format!(
        r#"{NOISE_RS}
pybench::bench! {{
    #[settings(n_seeds = 20)]
    pub fn bench_ab(seed: u64) -> pybench::Metrics {{
        pybench::Metrics::from([("min:loss".to_string(), 0.5 + {shift:?} + noise(seed))])
    }}
}}
"#
    );
    repo.write("bench/src/lib.rs", source.as_bytes());
}

fn against(cmd: &Pybench, rev: &str, extra: &[&str]) -> Run {
    let mut args = vec!["--against", rev, "bench"];
    args.extend_from_slice(extra);
    cmd.run(&args)
}

fn cache_record(repo: &TestRepo, commit: &str) -> Value {
    let path = repo
        .path()
        .join(".git/pybench/against")
        .join(commit)
        .join("record.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

pbtest!(
    against_a_revision_fails_on_a_code_regression_and_reuses_its_build,
    |repo: TestRepo, cmd: Pybench| {
        let cmd = cmd.own_target_dir();
        repo.write(".gitignore", b"target/\n");
        write_crate(&repo, 0.0);
        let base = repo.commit_all("the benchmark");
        repo.write("README.md", b"docs only\n");
        let docs = repo.commit_all("docs only");

        // An unchanged revision: PASS, and nothing is written.
        let run = against(&cmd, "HEAD~1", &[]);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(
            run.stdout.starts_with(&format!(
                "pybench — 1 benchmark discovered, against HEAD~1 ({})\n",
                &base[..7]
            )),
            "{}",
            run.stdout
        );
        assert!(run.line_of("bench_ab").contains(" PASS "), "{}", run.stdout);
        assert!(
            !repo.path().join(".pybench").exists(),
            "--against writes no baseline"
        );
        assert_eq!(cache_record(&repo, &base)["builds"], 1);

        // A code change that regresses by 0.05: FAIL, and the table is headed
        // by the revision.
        write_crate(&repo, 0.05);
        let regressed = repo.commit_all("slower convergence");
        let run = against(&cmd, "HEAD~1", &["-v"]);
        assert_eq!(run.code, 1, "{run:?}");
        assert!(run.line_of("bench_ab").contains(" FAIL "), "{}", run.stdout);
        assert!(
            run.stdout
                .contains(&format!("  metric     step   {}   ", &docs[..7])),
            "{}",
            run.stdout
        );

        // The second run against the same commit reuses its cached build.
        let run = against(&cmd, "HEAD~1", &[]);
        assert_eq!(run.code, 1, "{run:?}");
        assert!(
            run.stderr.contains(&format!(
                "using the cached build of HEAD~1 ({})",
                &docs[..7]
            )),
            "{}",
            run.stderr
        );
        let record = cache_record(&repo, &docs);
        assert_eq!(
            (record["builds"].as_u64(), record["uses"].as_u64()),
            (Some(1), Some(2))
        );
        assert_eq!(cache_record(&repo, &base)["uses"], 1);
        let _ = regressed;
    }
);

pbtest!(
    benchmarks_on_one_side_only_are_reported_not_errors,
    |repo: TestRepo, cmd: Pybench| {
        let cmd = cmd.own_target_dir();
        repo.write(".gitignore", b"target/\n");
        write_crate(&repo, 0.0);
        repo.commit_all("the benchmark");
        // Rename the benchmark in the working tree: bench_ab is only at HEAD,
        // bench_ab2 only in the working tree.
        let source = std::fs::read_to_string(repo.path().join("bench/src/lib.rs")).unwrap();
        repo.write(
            "bench/src/lib.rs",
            source.replace("fn bench_ab(", "fn bench_ab2(").as_bytes(),
        );
        let run = against(&cmd, "HEAD", &[]);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(
            run.line_of("bench_ab2")
                .contains("NEW   only in the working tree, not in HEAD ("),
            "{}",
            run.stdout
        );
        assert!(
            run.stdout.contains("bench_ab           only in HEAD ("),
            "{}",
            run.stdout
        );
    }
);

pbtest!(
    against_needs_a_revision_git_knows,
    |repo: TestRepo, cmd: Pybench| {
        let cmd = cmd.own_target_dir();
        write_crate(&repo, 0.0);
        repo.commit_all("the benchmark");
        let run = against(&cmd, "no-such-branch", &[]);
        assert_eq!(run.code, 2, "{run:?}");
        assert_eq!(run.error_lines().len(), 1, "{}", run.stderr);
        assert!(
            run.error_lines()[0].contains("no-such-branch"),
            "{}",
            run.stderr
        );
    }
);

pbtest!(
    stored_seeds_pair_with_the_committed_baseline_seeds,
    |repo: TestRepo, cmd: Pybench| {
        let cmd = cmd.own_target_dir();
        repo.write(".gitignore", b"target/\n");
        write_crate(&repo, 0.0);
        repo.commit_all("the benchmark");
        let run = cmd.run(&["bench"]);
        assert_eq!(run.code, 0, "{run:?}");
        let line = std::fs::read_to_string(repo.path().join(".pybench/baselines.jsonl")).unwrap();
        let stored: Value = serde_json::from_str(line.trim()).unwrap();
        let report = repo.path().join("ab.json");
        let run = against(
            &cmd,
            "HEAD",
            &["--stored-seeds", "--json", report.to_str().unwrap()],
        );
        assert_eq!(run.code, 0, "{run:?}");
        let json: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
        assert_eq!(
            json["benchmarks"][0]["seeds"], stored["seeds"],
            "the stored seeds, in order"
        );
        assert_eq!(json["benchmarks"][0]["status"], "PASS");
        // Without --stored-seeds the seeds are drawn afresh (other entropy).
        let fresh = cmd.run_env(
            &[
                "--against",
                "HEAD",
                "bench",
                "--json",
                report.to_str().unwrap(),
            ],
            &[("PYBENCH_SEED_ENTROPY", "7")],
        );
        assert_eq!(fresh.code, 0, "{fresh:?}");
        let json: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
        assert_ne!(json["benchmarks"][0]["seeds"], stored["seeds"]);
    }
);
