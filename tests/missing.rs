//! MISSING: a benchmark in the baseline file whose recorded source lies
//! within the searched scope but that is not discovered fails the run
//! (exit 2) instead of passing silently; `pybench forget` drops its line
//! on purpose, under `update`'s dirty-tree rule.

use crate::reports::{assert_valid, read_json, schema};
use crate::util::{Pybench, Run, TestRepo, baseline_path};
use crate::workspace::{bench_manifest, write_workspace};

const TWO_BENCHMARKS: &[u8] = b"pybench::bench! {
    #[settings(n_seeds = 20)]
    pub fn bench_loss(seed: u64) -> pybench::Metrics {
        pybench::Metrics::from([(\"min:loss\".to_string(), core::loss(seed))])
    }
}
pybench::bench! {
    #[settings(n_seeds = 20)]
    pub fn bench_slow(seed: u64) -> f64 {
        core::loss(seed) * 2.0
    }
}
";

fn pybench(repo: &TestRepo, args: &[&str]) -> Run {
    Pybench::new(repo.path())
        .target_dir(&repo.path().join("target"))
        .run(args)
}

/// The run exits 2 with `name` MISSING, and `bench_loss` still passes.
fn assert_missing(run: &Run, name: &str) {
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(
        run.line_of(name),
        format!(
            "{name:<18}.......... MISSING   in the baseline file but not discovered (hint: \
             restore it, or run `pybench forget NAME` to drop its baseline on purpose)"
        )
    );
    assert!(
        run.line_of("bench_loss").contains(" PASS "),
        "{}",
        run.stdout
    );
}

pbtest!(
    a_deleted_benchmark_is_missing_until_forgotten,
    |repo: TestRepo| {
        write_workspace(&repo, &[]);
        repo.write("bench/src/lib.rs", TWO_BENCHMARKS);
        repo.write("README.md", b"x\n");
        repo.commit_all("two benchmarks");
        let run = pybench(&repo, &[]);
        assert_eq!(run.code, 0, "{run:?}");
        let stored = std::fs::read_to_string(baseline_path(repo.path())).unwrap();
        assert_eq!(
            stored.matches(r#""source": "bench""#).count(),
            2,
            "{stored}"
        );
        repo.commit_all("baselines");

        // bench_slow deleted from the code: bare pybench, and the crate named.
        write_workspace(&repo, &[]);
        repo.commit_all("drop bench_slow");
        for args in [&[][..], &["bench"], &["--json", "run.json"]] {
            let run = pybench(&repo, args);
            assert_missing(&run, "bench_slow");
            assert!(
                run.stdout
                    .contains("0 failed, 1 passed, 0 new, 1 missing  in "),
                "{}",
                run.stdout
            );
        }
        let report = read_json(&repo.path().join("run.json"));
        assert_valid(&schema("report.schema.json"), &report);
        assert_eq!(report["benchmarks"][1]["name"], "bench_slow");
        assert_eq!(report["benchmarks"][1]["status"], "MISSING");

        // --bench excludes it; so does a PATH that does not hold its source.
        let run = pybench(&repo, &["--bench", "loss"]);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(!run.stdout.contains("bench_slow"), "{}", run.stdout);

        // forget follows update's dirty-tree rule, then drops only that line.
        repo.write("README.md", b"edited\n");
        let run = pybench(&repo, &["forget", "slow"]);
        assert_eq!(run.code, 2, "{run:?}");
        assert_eq!(
            run.error_lines(),
            [
                "error: refusing to write baselines for bench_slow: the git working tree is dirty \
          (hint: commit first, or pass --yes to write anyway)"
            ]
        );
        repo.commit_all("edit");
        let run = pybench(&repo, &["forget", "bench_nope"]);
        assert_eq!(run.code, 2, "{run:?}");
        assert!(
            run.error_lines()[0].starts_with("error: no baseline of bench_nope in "),
            "{}",
            run.stderr
        );
        let run = pybench(&repo, &["forget", "slow"]);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(
            run.stdout
                .starts_with("forgot bench_slow: 20 seeds, measured at "),
            "{}",
            run.stdout
        );
        let left = std::fs::read_to_string(baseline_path(repo.path())).unwrap();
        assert_eq!(left, stored.lines().next().unwrap().to_string() + "\n");
        let run = pybench(&repo, &[]);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(
            run.stdout.contains("0 failed, 1 passed, 0 new  in "),
            "{}",
            run.stdout
        );
    }
);

pbtest!(
    a_line_from_elsewhere_or_without_a_source_is_not_missing,
    |repo: TestRepo| {
        write_workspace(&repo, &[]);
        repo.write("bench/src/lib.rs", TWO_BENCHMARKS);
        repo.commit_all("two benchmarks");
        assert_eq!(pybench(&repo, &[]).code, 0);
        let stored = std::fs::read_to_string(baseline_path(repo.path())).unwrap();
        write_workspace(&repo, &[]);
        // bench_slow was found in a library run by name (a bare run answers
        // only for the workspace's packages), or in another package than
        // the PATH searched; an older line records no source at all.
        let source = |key: &str| stored.replace(r#""source": "bench"}"#, key);
        for (edited, args) in [
            (source(r#""source": "libs/libslow.so"}"#), &[][..]),
            (source(r#""source": "elsewhere"}"#), &["bench"]),
            (stored.replace(r#", "source": "bench""#, ""), &[]),
        ] {
            std::fs::write(baseline_path(repo.path()), &edited).unwrap();
            repo.commit_all("baselines");
            let run = pybench(&repo, args);
            assert_eq!(run.code, 0, "{run:?}");
            assert!(!run.stdout.contains("MISSING"), "{}", run.stdout);
        }
    }
);

pbtest!(
    a_merged_baseline_records_its_source_and_can_go_missing,
    |repo: TestRepo| {
        write_workspace(&repo, &[]);
        repo.write("bench/src/lib.rs", TWO_BENCHMARKS);
        repo.commit_all("two benchmarks");
        assert_eq!(pybench(&repo, &["seeds"]).code, 0);
        for k in ["1/2", "2/2"] {
            let out = format!("shards/{}", &k[..1]);
            let run = pybench(&repo, &["--no-build", "--shard", k, "--out", &out]);
            assert_eq!(run.code, 0, "{k}: {run:?}");
        }
        let run = pybench(&repo, &["merge", "shards/1", "shards/2"]);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(
            run.line_of("bench_slow").contains(" NEW "),
            "{}",
            run.stdout
        );
        // The merge writes the same `source` as an unsharded run.
        let stored = std::fs::read_to_string(baseline_path(repo.path())).unwrap();
        assert_eq!(
            stored.matches(r#""source": "bench""#).count(),
            2,
            "{stored}"
        );
        std::fs::remove_dir_all(repo.path().join("shards")).unwrap();
        repo.commit_all("merged baselines");

        write_workspace(&repo, &[]);
        repo.commit_all("drop bench_slow");
        assert_missing(&pybench(&repo, &[]), "bench_slow");
    }
);

/// A second benchmark crate, `other`, beside the workspace's `bench`.
fn write_other(repo: &TestRepo, cdylib: bool) {
    repo.write(
        "other/Cargo.toml",
        bench_manifest("other", cdylib, "").as_bytes(),
    );
    repo.write(
        "other/src/lib.rs",
        b"pybench::bench! {\n    #[settings(n_seeds = 6)]\n    \
          pub fn bench_other(seed: u64) -> f64 { core::loss(seed) }\n}\n",
    );
}

// Found by looking (no PATH, no configured paths), a bare run answers for
// the whole workspace: a crate that drops out of discovery is MISSING.
pbtest!(
    a_crate_that_drops_out_of_discovery_is_missing,
    |repo: TestRepo| {
        write_workspace(&repo, &["other"]);
        write_other(&repo, true);
        repo.write(".gitignore", b"/target\n");
        repo.commit_all("two crates");
        assert_eq!(pybench(&repo, &[]).code, 0);
        repo.commit_all("baselines");

        // No longer a cdylib: its warning, and its benchmark MISSING.
        write_other(&repo, false);
        let run = pybench(&repo, &[]);
        assert_missing(&run, "bench_other");
        assert!(
            run.stderr
                .contains("warning: crate `other` depends on pybench but builds no cdylib"),
            "{}",
            run.stderr
        );
        // No longer a member of the workspace.
        write_other(&repo, true);
        write_workspace(&repo, &[]);
        assert_missing(&pybench(&repo, &[]), "bench_other");
        // Named PATHs answer only for themselves.
        let run = pybench(&repo, &["bench"]);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(!run.stdout.contains("bench_other"), "{}", run.stdout);
    }
);
