//! Run-level false-alarm control (`--family`) and sensitivity (MDE), through
//! the binary, on a C library exporting 20 independent benchmarks whose
//! scores carry run-specific noise (`fixtures/c/many.c`): the same seed
//! gives another score in another run, as a real benchmark would with
//! nothing changed. Everything is seeded, so every verdict is fixed.

use serde_json::Value;

use crate::util::{Pybench, Run, TestRepo, c_library};

fn many() -> String {
    c_library("many", include_str!("fixtures/c/many.c"))
        .to_str()
        .unwrap()
        .to_string()
}

/// Baselines for the 20 benchmarks (run 0), committed.
fn with_baselines(repo: &TestRepo, cmd: &Pybench) -> String {
    let lib = many();
    let run = cmd.run(&[&lib, "--family", "none"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("0 failed, 0 passed, 20 new"), "{run:?}");
    repo.commit_all("baselines");
    lib
}

fn rerun(cmd: &Pybench, lib: &str, run: &str, extra: &[&str], env: &[(&str, &str)]) -> Run {
    let mut args = vec![lib];
    args.extend_from_slice(extra);
    let mut vars = vec![("PYBENCH_MANY_RUN", run)];
    vars.extend_from_slice(env);
    cmd.run_env(&args, &vars)
}

pbtest!(
    twenty_unchanged_benchmarks_pass_with_the_default_correction,
    |repo: TestRepo, cmd: Pybench| {
        let lib = with_baselines(&repo, &cmd);
        // Run 5: nothing changed, but four benchmarks' own meta-p fall
        // below 0.05 — the Python tool's per-benchmark gate fails the run.
        let none = rerun(&cmd, &lib, "5", &["--family", "none"], &[]);
        assert_eq!(none.code, 1, "{none:?}");
        assert!(
            none.stdout.contains("4 failed, 16 passed, 0 new"),
            "{}",
            none.stdout
        );
        // The default (BH over the 20) keeps the run honest.
        let bh = rerun(&cmd, &lib, "5", &[], &[]);
        assert_eq!(bh.code, 0, "{bh:?}");
        assert!(
            bh.stdout
                .contains("0 failed, 20 passed, 0 new  (BH over 20 benchmarks, run-level α=0.05)"),
            "{}",
            bh.stdout
        );
        let holm = rerun(&cmd, &lib, "5", &["--family", "holm"], &[]);
        assert_eq!(holm.code, 0, "{holm:?}");
        assert!(
            holm.stdout.contains("(HOLM over 20 benchmarks"),
            "{}",
            holm.stdout
        );
    }
);

pbtest!(
    one_real_regression_among_twenty_is_still_caught,
    |repo: TestRepo, cmd: Pybench| {
        let lib = with_baselines(&repo, &cmd);
        let regress = [("PYBENCH_MANY_REGRESS", "b07")];
        for family in ["bh", "holm"] {
            let run = rerun(&cmd, &lib, "5", &["--family", family], &regress);
            assert_eq!(run.code, 1, "{run:?}");
            assert!(
                run.line_of("bench_b07").contains(" FAIL "),
                "{family}: {}",
                run.stdout
            );
        }
        // Holm controls P(any false FAIL): only the real one fails.
        let holm = rerun(&cmd, &lib, "5", &["--family", "holm"], &regress);
        assert!(
            holm.stdout.contains("1 failed, 19 passed"),
            "{}",
            holm.stdout
        );
    }
);

pbtest!(
    raw_and_adjusted_meta_p_and_mde_are_reported,
    |repo: TestRepo, cmd: Pybench| {
        let lib = with_baselines(&repo, &cmd);
        let json = repo.path().join("report.json");
        let json_arg = json.to_str().unwrap();
        let run = rerun(&cmd, &lib, "5", &["-v", "--json", json_arg], &[]);
        assert_eq!(run.code, 0, "{run:?}");
        // -v: each compared benchmark's own and adjusted meta-p.
        assert!(
            run.stdout
                .contains("adjusted (BH over 20 benchmarks, FAIL below 0.05)"),
            "{}",
            run.stdout
        );
        // Twelve seeds of this noise cannot see a 10 % drop: -v says so.
        assert!(
            run.stderr
                .contains("12 seeds cannot see drops smaller than"),
            "{}",
            run.stderr
        );
        let doc: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
        crate::reports::assert_valid(&crate::reports::schema("report.schema.json"), &doc);
        assert_eq!(doc["family"]["method"], "bh");
        assert_eq!(doc["family"]["m"], 20);
        let bench = &doc["benchmarks"][0];
        let family = &bench["family"];
        let raw = family["raw_meta_p"].as_f64().unwrap();
        let adjusted = family["adjusted_meta_p"].as_f64().unwrap();
        assert!(adjusted >= raw && adjusted <= 1.0, "{family}");
        assert_eq!(bench["meta_p"].as_f64().unwrap(), raw);
        let slot = &bench["slots"][0];
        let (mde, mde_rel) = (
            slot["mde"].as_f64().unwrap(),
            slot["mde_rel"].as_f64().unwrap(),
        );
        assert!(mde > 0.0 && mde_rel > 0.1, "{slot}");
        let base = slot["baseline_mean"].as_f64().unwrap();
        assert!((mde / base - mde_rel).abs() < 1e-12, "{slot}");
        assert!(
            bench["warnings"][0]
                .as_str()
                .unwrap()
                .contains("cannot see drops smaller than"),
            "{bench}"
        );
    }
);

/// The 20 benchmarks with `n_seeds` each, in their own library.
pub(crate) fn many_with_seeds(n_seeds: usize) -> String {
    let source = include_str!("fixtures/c/many.c")
        .replace("\\\"n_seeds\\\":12", &format!("\\\"n_seeds\\\":{n_seeds}"));
    assert!(
        source.contains(&format!(":{n_seeds}}}")),
        "n_seeds replaced"
    );
    c_library(&format!("many{n_seeds}"), &source)
        .to_str()
        .unwrap()
        .to_string()
}

pbtest!(
    seeds_that_cannot_reach_the_corrected_threshold_are_an_error,
    |repo: TestRepo, cmd: Pybench| {
        // 8 seeds reach 0.05 alone (1/256) but never 0.05/20: the gate could
        // not fail, so each is an ERROR naming the seeds it needs — even the
        // benchmark regressed by 4 sd, which used to PASS with exit 0.
        let lib = many_with_seeds(8);
        assert_eq!(cmd.run(&[&lib]).code, 0);
        repo.commit_all("eight seeds");
        let regress = [("PYBENCH_MANY_REGRESS", "b07")];
        for family in ["bh", "holm"] {
            let run = rerun(&cmd, &lib, "5", &["--family", family], &regress);
            assert_eq!(run.code, 2, "{run:?}");
            let line = run.line_of("bench_b07");
            assert!(
                line.ends_with(&format!(
                    " ERROR   8 seeds can never reach the corrected threshold 0.0025, alpha=0.05's share under {} over 20 benchmarks (alpha/20): set n_seeds ≥ 9, or pass --family none",
                    family.to_uppercase()
                )),
                "{line}"
            );
            assert!(
                run.stdout.contains("0 failed, 0 passed, 0 new, 20 errors"),
                "{}",
                run.stdout
            );
        }
        // Alone, the same seeds do reach 0.05: the regression FAILs.
        let none = rerun(&cmd, &lib, "5", &["--family", "none"], &regress);
        assert_eq!(none.code, 1, "{none:?}");
        assert!(
            none.line_of("bench_b07").contains(" FAIL "),
            "{}",
            none.stdout
        );
        // An adaptive check says whose share its alpha is.
        let run = rerun(&cmd, &lib, "5", &["--adaptive"], &regress);
        assert_eq!(run.code, 2, "{run:?}");
        assert!(
            run.line_of("bench_b07").ends_with(
                "the smallest n_seeds that can is 9; alpha=0.0025 is the Bonferroni share alpha/20 of the declared alpha=0.05 over 20 benchmarks"
            ),
            "{}",
            run.stdout
        );
    }
);

pbtest!(
    show_sensitivity_uses_the_last_paired_run_else_a_bound,
    |repo: TestRepo, cmd: Pybench| {
        let path = crate::util::synthetic();
        let path = path.to_str().unwrap();
        assert_eq!(cmd.run(&[path]).code, 0);
        repo.commit_all("baseline");
        // Before any paired run: the bound, labelled as such.
        let show = cmd.run(&["show", "--sensitivity", "--effect", "0.05"]);
        assert_eq!(show.code, 0, "{show:?}");
        assert!(
            show.stdout.contains("no paired run yet: a bound"),
            "{}",
            show.stdout
        );
        assert!(
            show.stdout.contains("a 5.0 % drop needs"),
            "{}",
            show.stdout
        );
        // A resampled run pairs noisy differences: their sd is recorded.
        let run = cmd.run_env(&[path], &[("PYBENCH_SYNTHETIC_RESAMPLE", "1")]);
        assert_eq!(run.code, 0, "{run:?}");
        let show = cmd.run(&["show", "--sensitivity"]);
        assert!(
            show.stdout.contains("paired sd from the last judged run"),
            "{}",
            show.stdout
        );
        assert!(
            show.stdout.contains("min:loss@100     MDE "),
            "{}",
            show.stdout
        );
        // An unchanged deterministic benchmark: every change is detected.
        assert_eq!(cmd.run(&[path]).code, 0);
        let show = cmd.run(&["show", "--sensitivity"]);
        assert!(
            show.stdout.contains("any change is detected"),
            "{}",
            show.stdout
        );
        // Checks leave the tracked baseline alone: the record is in .git.
        assert!(repo.path().join(".git/pybench/sensitivity.json").is_file());
    }
);
