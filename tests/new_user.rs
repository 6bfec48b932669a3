//! What a new user trips on: the messages and output details of issue 25
//! (quiet runs, typo hints, number formatting, ...), each through the real
//! binary.

use crate::util::{Pybench, Run, Running, TestDir, TestRepo, c_library};
use crate::workspace::write_workspace;

fn pybench(repo: &TestRepo, args: &[&str]) -> Run {
    Pybench::new(repo.path())
        .target_dir(&repo.path().join("target"))
        .run(args)
}

pbtest!(quiet_prints_only_errors_and_verdicts, |repo: TestRepo| {
    write_workspace(&repo, &[]);
    repo.commit_all("sources");
    let run = pybench(&repo, &["-q"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.stderr, "", "no benchmarking/building/built lines");
    assert!(
        run.stdout.starts_with("0 failed, 0 passed, 1 new  in "),
        "{}",
        run.stdout
    );
    assert_eq!(run.stdout.lines().count(), 1, "{}", run.stdout);
    // Without -q the same run says what it benchmarks and builds.
    let run = pybench(&repo, &[]);
    assert!(
        run.stderr.contains("pybench: benchmarking crate bench"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("building bench (cargo build --release)"),
        "{}",
        run.stderr
    );
});

pbtest!(
    subcommand_typos_say_what_was_meant,
    |dir: TestDir, cmd: Pybench| {
        let run = cmd.run(&["updte"]);
        assert_eq!(run.code, 2, "{run:?}");
        assert_eq!(
            run.error_lines(),
            ["error: path does not exist: updte (hint: did you mean `pybench update`?)"]
        );
        let run = cmd.run(&["shw", "--history"]);
        assert_eq!(run.code, 2, "{run:?}");
        assert_eq!(
            run.error_lines(),
            ["error: unrecognized subcommand `shw` (hint: did you mean `pybench show`?)"]
        );
        assert!(!run.stderr.contains("--list"), "{}", run.stderr);
        let run = cmd.run(&["update", "--adaptive"]);
        assert_eq!(run.code, 2, "{run:?}");
        let line = run.error_lines().concat();
        // It names every command that takes the flag (`bisect` does too).
        assert!(
            line.starts_with("error: '--adaptive' applies to checks (`pybench`)")
                && line.ends_with(
                    ", not to `pybench update` (hint: `pybench update --help` lists what it takes)"
                ),
            "{}",
            run.stderr
        );
        // A misspelt flag of the right command: clap names the flag meant.
        let run = cmd.run(&["show", "--hist"]);
        assert_eq!(run.code, 2, "{run:?}");
        assert!(run.stderr.contains("'--history'"), "{}", run.stderr);
        assert!(
            dir.path().read_dir().unwrap().next().is_none(),
            "nothing written"
        );
    }
);

pbtest!(cargo_pybench_usage_reads_cargo_pybench, |dir: TestDir| {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_cargo-pybench"))
        .args(["pybench", "--verbos"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("Usage: cargo pybench "), "{stderr}");
    assert!(!stderr.contains("cargo-pybench"), "{stderr}");
});

/// A C benchmark whose `min:loss` is about 1e-3; `PB_REGRESS` adds 2e-4.
fn small_metric() -> std::path::PathBuf {
    c_library(
        "small_metric",
        r#"#include <stdio.h>
#include <stdlib.h>
#include "pybench.h"
PYBENCH_META(small, "{\"abi\":1,\"n_seeds\":12}")
PYBENCH_EXPORT int32_t bench_small(uint64_t seed, void *ctx, pybench_emit emit) {
    char s[128];
    double worse = getenv("PB_REGRESS") ? 2e-4 : 0.0;
    int n = snprintf(s, sizeof s, "{\"min:loss\": %.17g}", 1e-3 + (double)(seed % 7) * 1e-5 + worse);
    emit(ctx, (const uint8_t *)s, (size_t)n); return 0;
}
"#,
    )
}

pbtest!(
    small_numbers_keep_three_significant_digits,
    |dir: TestDir, cmd: Pybench| {
        let lib = small_metric();
        let lib = lib.to_str().unwrap();
        assert_eq!(cmd.run(&[lib]).code, 0);
        assert_eq!(cmd.run(&[lib, "--json", "a.json"]).code, 0);
        let summary = dir.path().join("summary.md");
        let env = [
            ("PB_REGRESS", "1"),
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_STEP_SUMMARY", summary.to_str().unwrap()),
        ];
        let run = cmd.run_env(&[lib, "-v", "--json", "b.json"], &env);
        assert_eq!(run.code, 1, "{run:?}");
        let line = run.line_of("bench_small");
        assert!(line.contains(" FAIL "), "{line}");
        // Neither `0.000→0.000` nor `Δ-0.0%`: the means and Δ keep their digits.
        assert!(line.contains("min:loss  0.00103→0.00123  Δ-19."), "{line}");
        let table: Vec<&str> = run
            .stdout
            .lines()
            .skip_while(|l| !l.contains("metric"))
            .take(2)
            .collect();
        assert!(table[1].contains("0.00103±0.0000"), "{table:?}");
        assert!(table[1].contains("0.00123±0.0000"), "{table:?}");
        let show = cmd.run(&["show"]);
        assert!(
            show.stdout.contains("min:loss@0: 0.00103"),
            "{}",
            show.stdout
        );
        // The GitHub annotation and step summary, and compare's table.
        assert!(
            run.stdout.contains("min:loss@0 0.00103→0.00123 (-19."),
            "{}",
            run.stdout
        );
        let text = std::fs::read_to_string(&summary).unwrap();
        assert!(text.contains("| `min:loss` | 0 | 0.00103±0.0000"), "{text}");
        assert!(text.contains(" | 0.00123±0.0000"), "{text}");
        assert!(text.contains(" | -19."), "{text}");
        let compare = cmd.run(&["compare", "a.json", "b.json"]);
        assert_eq!(compare.code, 1, "{compare:?}");
        let row = compare
            .stdout
            .lines()
            .find(|l| l.trim_start().starts_with("min:loss"))
            .unwrap_or_else(|| panic!("{}", compare.stdout));
        assert!(row.contains("0.00103±0.0000"), "{row}");
        assert!(row.contains("0.00123±0.0000"), "{row}");
        assert!(row.contains("  -19."), "{row}");
    }
);

pbtest!(
    verbose_table_columns_line_up,
    |dir: TestDir, cmd: Pybench| {
        let lib =
            crate::errors::scored_library("wide_delta", r#"{"abi":1,"n_seeds":12}"#, "min:loss");
        let lib = lib.to_str().unwrap();
        assert_eq!(cmd.run(&[lib]).code, 0);
        let run = cmd.run_env(&[lib, "-v"], &[("PB_REGRESS", "1")]);
        assert_eq!(run.code, 1, "{run:?}");
        let table: Vec<&str> = run
            .stdout
            .lines()
            .skip_while(|l| !l.trim_start().starts_with("metric"))
            .take(2)
            .collect();
        assert_eq!(table.len(), 2, "{}", run.stdout);
        // Every column ends where its heading ends (right-aligned Δ, p, MDE).
        for heading in ["Δ", "p", "MDE"] {
            // " p" so as not to find the p of "step".
            let end = table[0].find(&format!(" {heading}")).unwrap() + 1 + heading.len();
            let column = table[0][..end].chars().count();
            let row_end: usize = table[1].chars().take(column).count();
            assert_eq!(row_end, column, "{table:?}");
            let cell_end = table[1].chars().nth(column - 1).unwrap();
            assert_ne!(cell_end, ' ', "{heading} column ends on a cell: {table:?}");
        }
    }
);

pbtest!(update_counts_what_it_wrote, |dir: TestDir, cmd: Pybench| {
    let faults = crate::util::faults();
    let faults = faults.to_str().unwrap();
    let run = cmd.run(&["update", faults, "--bench", "healthy", "--bench", "panics"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stdout
            .starts_with("pybench update — 2 benchmarks discovered\n\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.ends_with("\n1 baseline rewritten, 1 error\n"),
        "{}",
        run.stdout
    );
});

pbtest!(
    show_says_when_there_was_no_commit,
    |dir: TestDir, cmd: Pybench| {
        let lib = crate::errors::scored_library("no_commit", r#"{"abi":1,"n_seeds":6}"#, "score");
        assert_eq!(cmd.run(&[lib.to_str().unwrap()]).code, 0);
        let show = cmd.run(&["show"]);
        assert!(
            show.stdout
                .starts_with("bench_no_commit  measured before the first commit  "),
            "{}",
            show.stdout
        );
        let history = cmd.run(&["show", "--history"]);
        assert_eq!(history.code, 0, "{history:?}");
        assert_eq!(
            history.stderr,
            "note: not inside a git repository: no history for .pybench/baselines.jsonl\n"
        );
        let forget = cmd.run(&["forget", "no_commit"]);
        assert_eq!(forget.code, 0, "{forget:?}");
        assert_eq!(
            forget.stdout,
            "forgot bench_no_commit: 6 seeds, measured before the first commit\n"
        );
    }
);

pbtest!(
    an_export_without_companion_is_named_with_the_fix,
    |dir: TestDir, cmd: Pybench| {
        let lib = c_library(
            "orphan_warning",
            r#"#include "pybench.h"
PYBENCH_EXPORT int32_t bench_orphan(uint64_t seed, void *ctx, pybench_emit emit) {
    (void)seed; emit(ctx, (const uint8_t *)"1", 1); return 0;
}
PYBENCH_META(real, "{\"abi\":1,\"n_seeds\":6}")
PYBENCH_EXPORT int32_t bench_real(uint64_t seed, void *ctx, pybench_emit emit) {
    emit(ctx, (const uint8_t *)((seed % 2) ? "1" : "2"), 1); return 0;
}
"#,
        );
        let run = cmd.run(&[lib.to_str().unwrap()]);
        assert_eq!(run.code, 0, "{run:?}");
        let warning = run
            .stderr
            .lines()
            .find(|l| l.starts_with("warning: bench_orphan"))
            .unwrap_or_else(|| panic!("{}", run.stderr));
        assert!(
            warning.ends_with(
                "has no companion pybench_meta_orphan, so it is not a benchmark and does not run \
             (hint: add PYBENCH_META(orphan, ...) beside it in C, or define it inside \
             pybench::bench! in Rust)"
            ),
            "{warning}"
        );
    }
);

pbtest!(
    progress_lines_and_streamed_verdicts_without_a_terminal,
    |dir: TestDir, cmd: Pybench| {
        let faults = crate::util::faults();
        let faults = faults.to_str().unwrap();
        let args = [faults, "--bench", "healthy", "--bench", "slow"];
        let env = [("PYBENCH_FAULTS_SLEEP_MS", "300")];
        let mut running = Running::until(&cmd, &args, &env, "bench_healthy ");
        assert!(
            running.child.try_wait().unwrap().is_none(),
            "bench_healthy's line came while bench_slow still ran"
        );
        let run = running.finish();
        assert_eq!(run.code, 0, "{run:?}");
        for line in [
            "pybench: bench_slow started: 8 seeds",
            "pybench: bench_healthy started: ",
        ] {
            assert!(run.stderr.contains(line), "{line:?} in {}", run.stderr);
        }
        assert!(
            run.stderr
                .contains("pybench: bench_slow finished: 8/8 seeds in "),
            "{}",
            run.stderr
        );
    }
);

pbtest!(
    a_seed_longer_than_the_interval_still_gets_progress_lines,
    |dir: TestDir, cmd: Pybench| {
        let faults = crate::util::faults();
        let args = [faults.to_str().unwrap(), "--bench", "slow", "-j", "8"];
        // Every seed takes 1.5 s: only a heartbeat can speak before one ends.
        let env = [
            ("PYBENCH_FAULTS_SLEEP_MS", "1500"),
            ("PYBENCH_PROGRESS_INTERVAL", "0.3"),
        ];
        let run = cmd.run_env(&args, &env);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(
            run.stderr.contains("pybench: bench_slow: 0/8 seeds, "),
            "{}",
            run.stderr
        );
        let bad = cmd.run_env(
            &args,
            &[
                ("PYBENCH_FAULTS_SLEEP_MS", "0"),
                ("PYBENCH_PROGRESS_INTERVAL", "soon"),
            ],
        );
        assert_eq!(bad.code, 0, "{bad:?}");
        assert!(
            bad.stderr.contains(
                "warning: PYBENCH_PROGRESS_INTERVAL=soon is not a number of seconds from 0.1 to 86400; progress lines come every 30 s"
            ),
            "{}",
            bad.stderr
        );
    }
);

pbtest!(
    a_flagged_slot_draws_no_sensitivity_warning,
    |dir: TestDir, cmd: Pybench| {
        // The regression varies by seed: a large MDE, and the slot still flagged.
        let lib = c_library(
            "noisy_regress",
            r#"#include <stdio.h>
#include <stdlib.h>
#include "pybench.h"
PYBENCH_META(noisy, "{\"abi\":1,\"n_seeds\":12}")
PYBENCH_EXPORT int32_t bench_noisy(uint64_t seed, void *ctx, pybench_emit emit) {
    char s[128];
    double worse = getenv("PB_REGRESS") ? (double)(seed % 5) * 10.0 : 0.0;
    int n = snprintf(s, sizeof s, "{\"min:loss\": %.17g}", (double)(seed % 97) + worse);
    emit(ctx, (const uint8_t *)s, (size_t)n); return 0;
}
"#,
        );
        let lib = lib.to_str().unwrap();
        assert_eq!(cmd.run(&[lib]).code, 0);
        let run = cmd.run_env(&[lib, "-v"], &[("PB_REGRESS", "1")]);
        assert_eq!(run.code, 1, "{run:?}");
        assert!(
            run.line_of("bench_noisy").contains(" FAIL "),
            "{}",
            run.stdout
        );
        assert!(!run.stderr.contains("cannot see drops"), "{}", run.stderr);
    }
);

pbtest!(
    a_failed_build_says_when_the_last_one_was_made,
    |dir: TestDir| {
        let bench = dir.path().join("bench");
        std::fs::create_dir_all(bench.join("src")).unwrap();
        std::fs::write(
        bench.join("Cargo.toml"),
        format!(
            "[package]\nname = \"stale\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n\
             [lib]\ncrate-type = [\"cdylib\"]\n\n[dependencies]\npybench = {{ path = {:?} }}\n\n[workspace]\n",
            crate::util::workspace().join("src/authoring").display().to_string()
        ),
    )
    .unwrap();
        let source = "pybench::bench! {\n    pub fn bench_stale(seed: u64) -> f64 {\n        (seed % 7) as f64\n    }\n}\n";
        std::fs::write(bench.join("src/lib.rs"), source).unwrap();
        let cmd = Pybench::new(dir.path()).own_target_dir();
        assert_eq!(cmd.run(&["bench", "--list"]).code, 0);
        std::fs::write(bench.join("src/lib.rs"), format!("{source}broken\n")).unwrap();
        let run = cmd.run(&["bench"]);
        assert_eq!(run.code, 2, "{run:?}");
        let error = run.error_lines().last().copied().unwrap_or_default();
        assert!(
            error.starts_with(
                "error: cargo build failed for bench (exit status: 101); its last build, made "
            ),
            "{error}"
        );
        assert!(
            error.ends_with(
                " UTC), is not the current source (hint: fix the build errors above; --no-build \
             would run that last build, not this source)"
            ),
            "{error}"
        );
    }
);

pbtest!(list_says_that_it_builds, |repo: TestRepo| {
    write_workspace(&repo, &[]);
    repo.commit_all("sources");
    let run = pybench(&repo, &["--list"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.starts_with("bench_loss  n_seeds=20  "),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr
            .contains("building bench (cargo build --release)"),
        "{}",
        run.stderr
    );
    assert!(
        !crate::util::baseline_path(repo.path()).exists(),
        "no benchmark ran, nothing saved"
    );
    // The help says so, instead of "run nothing".
    let help = pybench(&repo, &["--help"]).stdout;
    let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        help.contains(
            "List the discovered benchmarks and their settings; runs no benchmark, but builds \
             the Cargo packages it lists"
        ),
        "{help}"
    );
});
