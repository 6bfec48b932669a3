//! `pybench bisect` in a temporary repository of a dozen commits: each
//! redraws part of the benchmark's noise, two in the middle do not build,
//! and one adds a regression of about one noise sd.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::util::{NOISE_RS, Pybench, Run, TestRepo, workspace};

/// The benchmark crate at one commit: `0.5 + shift + noise(seed) +
/// noise(seed ^ salt)`, the second term redrawn whenever `salt` changes
/// (sd of each term 0.058, of the paired difference 0.082).
fn write_crate(repo: &TestRepo, shift: f64, salt: u64, builds: bool) {
    let manifest = format!(
        "[package]\nname = \"bisecttest\"\nversion = \"0.1.0\"\nedition = \"2024\"\npublish = false\n\n\
         [lib]\ncrate-type = [\"cdylib\"]\n\n[dependencies]\npybench = {{ path = {:?} }}\n\n[workspace]\n",
        workspace().join("src/authoring").display().to_string()
    );
    repo.write("bench/Cargo.toml", manifest.as_bytes());
    let broken = if builds { "" } else { "this does not compile" };
    let source = format!(
        "{NOISE_RS}{broken}
pybench::bench! {{
    #[settings(n_seeds = 20)]
    pub fn bench_ab(seed: u64) -> pybench::Metrics {{
        let loss = 0.5 + {shift:?} + noise(seed) + noise(seed ^ {salt});
        pybench::Metrics::from([(\"min:loss\".to_string(), loss)])
    }}
}}

pybench::bench! {{
    #[settings(n_seeds = 20)]
    pub fn bench_steady(seed: u64) -> pybench::Metrics {{
        pybench::Metrics::from([(\"max:score\".to_string(), 2.0 + noise(seed) + noise(seed ^ {salt}))])
    }}
}}
"
    );
    repo.write("bench/src/lib.rs", source.as_bytes());
}

/// Every file of the repository but the build caches, by path: the work
/// tree, the index, HEAD, refs, objects and worktrees.
fn snapshot(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if rel == "target" || rel == ".git/pybench" {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else {
                files.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    files
}

/// The repository: GOOD (c0), its baseline committed in c1, c2–c12 with
/// the regression in c8 and c5, c6 unbuildable. The commits' ids.
fn history(repo: &TestRepo, cmd: &Pybench) -> Vec<String> {
    repo.write(".gitignore", b"target/\n");
    write_crate(repo, 0.0, 0, true);
    let mut ids = vec![repo.commit_all("the benchmark")];
    let run = cmd.run(&["bench"]);
    assert_eq!(run.code, 0, "{run:?}");
    ids.push(repo.commit_all("the baseline"));
    let plan: [(f64, u64, bool, &str); 11] = [
        (0.0, 1, true, "tune the learning rate"),
        (0.0, 2, true, "refactor the loop"),
        (0.0, 3, true, "reorder the data"),
        (0.0, 3, false, "half-done rewrite"),
        (0.0, 4, false, "rewrite, still broken"),
        (0.0, 5, true, "finish the rewrite"),
        (0.08, 6, true, "cache the gradients"),
        (0.08, 7, true, "rename things"),
        (0.08, 8, true, "faster data loading"),
        (0.08, 9, true, "another tweak"),
        (0.08, 10, true, "last change"),
    ];
    for (shift, salt, builds, subject) in plan {
        write_crate(repo, shift, salt, builds);
        ids.push(repo.commit_all(subject));
    }
    ids
}

/// Every one of `texts` is in `run`'s stdout.
fn assert_prints(run: &Run, texts: &[&str]) {
    for text in texts {
        assert!(run.stdout.contains(text), "no {text:?} in:\n{}", run.stdout);
    }
}

/// The defaults: GOOD is the baseline's commit, BAD is HEAD, the benchmark
/// is the one that FAILs; probes pair with the stored scores.
fn bisect_with_the_defaults(repo: &TestRepo, cmd: &Pybench, ids: &[String]) {
    let json = repo.path().join("target/bisect.json");
    let run = cmd.run(&["bisect", "--json", json.to_str().unwrap(), "bench"]);
    assert_eq!(run.code, 0, "{run:?}");
    // The middle of the range does not build: a probe there is skipped.
    let skipped = |i: usize| {
        let start = format!("  {}  ", &ids[i][..7]);
        run.stdout
            .lines()
            .any(|l| l.starts_with(&start) && l.ends_with("SKIP  did not build"))
    };
    assert!(skipped(5) || skipped(6), "{}", run.stdout);
    assert_prints(
        &run,
        &[
            &format!(
                "bench_ab: first bad commit: {} cache the gradients\n",
                &ids[8][..7]
            ),
            "alpha/⌈log2 12⌉ = 0.05/4 = 0.0125, against its stored scores",
            &format!("  culprit {}  cache the gradients", &ids[8][..7]),
            &format!("  parent  {}  finish the rewrite", &ids[7][..7]),
            "SKIP  did not build",
            "  sensitivity: 20 seeds detect a drop of ",
        ],
    );
    // The benchmark that does not regress is not bisected: BAD passes.
    assert_prints(&run, &["bench_steady: no regression: BAD"]);
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    crate::reports::assert_valid(&crate::reports::schema("bisect.schema.json"), &report);
    assert_eq!(report["benchmarks"][1]["name"], "bench_steady");
    assert_eq!(report["benchmarks"][1]["answer"]["kind"], "no_regression");
    assert_eq!(
        report["benchmarks"][1]["probes"].as_array().unwrap().len(),
        1
    );
    let bench = &report["benchmarks"][0];
    assert_eq!(bench["answer"]["kind"], "culprit");
    assert_eq!(bench["answer"]["first"]["id"], ids[8].as_str());
    assert_eq!(bench["probe_alpha"], 0.0125);
    assert_eq!(bench["reference"], "stored");
    assert_eq!(report["good"]["id"], ids[0].as_str());
    assert_eq!(report["candidates"], 12);
}

pbtest!(
    bisect_names_the_regressing_commit_and_touches_nothing,
    |repo: TestRepo, cmd: Pybench| {
        let cmd = cmd.own_target_dir();
        let ids = history(&repo, &cmd);
        let expected = format!(
            "bench_ab: first bad commit: {} cache the gradients\n",
            &ids[8][..7]
        );
        let before = snapshot(repo.path());
        bisect_with_the_defaults(&repo, &cmd, &ids);

        // The explicit range from c2, which has no baseline of its own: GOOD
        // runs once on the baseline's seeds.
        let range = format!("{}..HEAD", &ids[2][..7]);
        let run = cmd.run(&["bisect", &range, "bench", "--bench", "ab"]);
        assert_eq!(run.code, 0, "{run:?}");
        assert_prints(&run, &[&expected, "GOOD run once on the baseline's seeds"]);

        // Adaptive looks: the same answer, clear probes stopping early.
        let run = cmd.run(&["bisect", "--adaptive", "--bench", "ab", "bench"]);
        assert_eq!(run.code, 0, "{run:?}");
        assert_prints(&run, &[&expected, " of 20 seeds)"]);

        // No regression between c0 and c7: exit 2, one error line.
        let run = cmd.run(&["bisect", &ids[0], &ids[7], "bench"]);
        assert_eq!(run.code, 2, "{run:?}");
        assert_prints(&run, &["bench_ab: no regression: BAD"]);
        assert_eq!(run.error_lines().len(), 1, "{}", run.stderr);
        let error = run.error_lines()[0];
        assert!(
            error.starts_with("error: bisect: no regression between GOOD"),
            "{error}"
        );

        // GOOD after BAD: not an ancestor, exit 2.
        let run = cmd.run(&["bisect", "HEAD", &ids[3], "bench"]);
        assert_eq!(run.code, 2, "{run:?}");
        assert!(
            run.error_lines()[0].contains("is not an ancestor of"),
            "{}",
            run.stderr
        );

        // BAD does not build: nothing to bisect, exit 2.
        let run = cmd.run(&["bisect", &ids[0], &ids[5], "bench"]);
        assert_eq!(run.code, 2, "{run:?}");
        let error = run.error_lines().last().copied().unwrap_or_default();
        assert!(
            error.starts_with("error: bisect: nothing could be judged at BAD"),
            "{}",
            run.stderr
        );

        assert!(
            before == snapshot(repo.path()),
            "bisect changed the repository"
        );
        assert!(!repo.path().join(".git/worktrees").exists());

        // A dirty tree is not a candidate, and bisect says so; stored scores
        // from another machine are named once.
        repo.write("bench/src/lib.rs", b"// work in progress\n");
        elsewhere(&repo);
        let run = cmd.run(&["bisect", "-q", "--bench", "ab", "bench"]);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(
            run.stderr.contains("note: the working tree is dirty"),
            "{}",
            run.stderr
        );
        let note = "GOOD's scores were measured on another environment (cpu \"";
        assert_eq!(run.stderr.matches(note).count(), 1, "{}", run.stderr);
    }
);

/// Make the stored baselines read as measured on another CPU.
fn elsewhere(repo: &TestRepo) {
    let path = repo.path().join(".pybench/baselines.jsonl");
    let mut lines = Vec::new();
    for line in std::fs::read_to_string(&path).unwrap().lines() {
        let mut baseline: Value = serde_json::from_str(line).unwrap();
        baseline["env"]["cpu"] = Value::from("Elsewhere");
        lines.push(serde_json::to_string(&baseline).unwrap());
    }
    repo.write(
        ".pybench/baselines.jsonl",
        (lines.join("\n") + "\n").as_bytes(),
    );
}

pbtest!(
    ctrl_c_stops_a_bisection_with_130_and_leaves_the_repository_as_it_was,
    |repo: TestRepo, cmd: Pybench| {
        let cmd = cmd.own_target_dir();
        repo.write(".gitignore", b"target/\n");
        write_crate(&repo, 0.0, 0, true);
        let good = repo.commit_all("the benchmark");
        for (salt, subject) in [(1, "one"), (2, "two"), (3, "three")] {
            write_crate(&repo, 0.08, salt, true);
            repo.commit_all(subject);
        }
        let before = snapshot(repo.path());
        // BAD's probe line, then Ctrl-C while the next commit builds.
        let child = crate::util::Running::until(&cmd, &["bisect", &good, "bench"], &[], "three");
        child.signal("INT");
        let out = child.finish();
        assert_eq!(out.code, 130, "{}", out.stderr);
        assert!(!out.stdout.contains("first bad commit"), "{}", out.stdout);
        assert!(
            before == snapshot(repo.path()),
            "bisect changed the repository"
        );
    }
);

pbtest!(
    skipped_commits_next_to_the_regression_leave_a_named_range,
    |repo: TestRepo, cmd: Pybench| {
        let cmd = cmd.own_target_dir();
        repo.write(".gitignore", b"target/\n");
        write_crate(&repo, 0.0, 0, true);
        let good = repo.commit_all("the benchmark");
        let mut ids = Vec::new();
        for (builds, subject) in [(false, "broken"), (false, "still broken")] {
            write_crate(&repo, 0.0, 1, builds);
            ids.push(repo.commit_all(subject));
        }
        write_crate(&repo, 0.08, 2, true);
        ids.push(repo.commit_all("fixed, and slower"));
        let run = cmd.run(&["bisect", &good, "--bench", "ab", "bench"]);
        assert_eq!(run.code, 0, "{run:?}");
        let short: Vec<&str> = ids.iter().map(|id| &id[..7]).collect();
        let range = format!(
            "bench_ab: the first bad commit is one of {}..{} ({}, {} did not build)\n",
            short[0], short[2], short[0], short[1]
        );
        assert_prints(
            &run,
            &[
                &range,
                &format!("  culprit {}  fixed, and slower", short[2]),
            ],
        );
        assert_prints(
            &run,
            &[&format!("  parent  {}  is GOOD, the reference", &good[..7])],
        );
    }
);
