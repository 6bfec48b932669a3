//! Each command takes only the flags it honours: a flag it used to accept
//! and then ignore is a usage error (exit 2) that runs and writes nothing,
//! and its help lists only what it does. And stdout closed early is no
//! reason to panic.

use std::process::Stdio;

use crate::errors::{assert_usage_error, scored_library};
use crate::util::{Pybench, TestDir, baseline_bytes};

const EIGHT_SEEDS: &str = r#"{"abi":1,"n_seeds":8}"#;

pbtest!(
    flags_accepted_and_then_ignored,
    |dir: TestDir, cmd: Pybench| {
        let lib = scored_library("settings_ok", EIGHT_SEEDS, "min:loss");
        let lib = lib.to_str().unwrap();
        let cases: [(&[&str], &str); 17] = [
            (&["seeds", lib, "--json", "r.json"], "'--json'"),
            (&["seeds", lib, "--against", "HEAD"], "'--against'"),
            (&["seeds", lib, "--list"], "'--list'"),
            (&["seeds", lib, "--shard", "1/2"], "'--shard'"),
            (&["merge", "shards", "--against", "HEAD"], "'--against'"),
            // It used to write the shards' baselines.
            (&["merge", "shards", "--list"], "'--list'"),
            (&["merge", "shards", "--alpha", "0.1"], "'--alpha'"),
            (&["merge", "shards", "-j", "2"], "'-j'"),
            (&["update", lib, "--family", "holm"], "'--family'"),
            (&["update", lib, "--stored-seeds"], "'--stored-seeds'"),
            // It used to run the shard.
            (&[lib, "--list", "--shard", "1/2", "--out", "s"], "'--list'"),
            (&[lib, "--list", "--against", "HEAD"], "'--list'"),
            (&[lib, "--list", "--json", "r.json"], "'--list'"),
            (
                &[lib, "--against", "HEAD", "--shard", "1/2", "--out", "s"],
                "'--against <REV>' cannot be used with '--shard",
            ),
            (
                &[lib, "--shard", "1/2", "--out", "s", "--junit", "r.xml"],
                "cannot be used with",
            ),
            (&[lib, "--out", "s"], "required arguments were not provided"),
            (
                &[lib, "--seed-plan", "p.json"],
                "required arguments were not provided",
            ),
        ];
        for (args, says) in cases {
            let run = cmd.run(args);
            assert_usage_error(&run, says);
            for written in ["s", "r.json", "r.xml", "seed-plan.json", ".pybench"] {
                assert!(
                    !dir.path().join(written).exists(),
                    "{args:?} wrote {written}"
                );
            }
        }
        assert!(baseline_bytes(dir.path()).is_none());
    }
);

pbtest!(help_listed_every_run_flag, |dir: TestDir, cmd: Pybench| {
    let help = |command: &str| {
        let run = cmd.run(&[command, "--help"]);
        assert_eq!(run.code, 0, "{run:?}");
        run.stdout
    };
    let flags = |text: &str| -> Vec<String> {
        text.split_whitespace()
            .filter(|w| w.starts_with("--"))
            .map(|w| w.trim_end_matches([',', '.']).to_string())
            .collect()
    };
    let seeds = flags(&help("seeds"));
    for flag in [
        "--json",
        "--against",
        "--list",
        "--shard",
        "--out",
        "--yes",
        "--family",
    ] {
        assert!(
            !seeds.contains(&flag.to_string()),
            "seeds: {flag} in {seeds:?}"
        );
    }
    for flag in ["--n-seeds", "--seed-plan", "--bench", "--baseline"] {
        assert!(seeds.contains(&flag.to_string()), "seeds: no {flag}");
    }
    let merge = flags(&help("merge"));
    for flag in [
        "--against",
        "--list",
        "--alpha",
        "--workers",
        "--shard",
        "--timeout",
    ] {
        assert!(
            !merge.contains(&flag.to_string()),
            "merge: {flag} in {merge:?}"
        );
    }
    for flag in ["--json", "--family", "--baseline", "--yes"] {
        assert!(merge.contains(&flag.to_string()), "merge: no {flag}");
    }
    let update = flags(&help("update"));
    for flag in ["--against", "--stored-seeds", "--family"] {
        assert!(
            !update.contains(&flag.to_string()),
            "update: {flag} in {update:?}"
        );
    }
    for flag in ["--n-seeds", "--shard", "--json", "--list"] {
        assert!(update.contains(&flag.to_string()), "update: no {flag}");
    }
});

/// `pybench ARGS` with stdout a pipe whose reader is already gone.
fn run_into_closed_pipe(cmd: &Pybench, args: &[&str]) -> std::process::Output {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    cmd.command(args)
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .unwrap()
}

pbtest!(
    completions_panicked_on_a_closed_pipe,
    |dir: TestDir, cmd: Pybench| {
        let output = run_into_closed_pipe(&cmd, &["completions", "bash"]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{stderr}");
        assert!(
            !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
            "{stderr}"
        );
        // A run whose stdout is gone still writes its baseline.
        let lib = scored_library("settings_ok", EIGHT_SEEDS, "min:loss");
        let output = run_into_closed_pipe(&cmd, &[lib.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(baseline_bytes(dir.path()).is_some());
    }
);

// `--n-seeds` is a setting like `--alpha`: a check draws that many seeds
// for a NEW benchmark, and says once that a stored baseline keeps its own
// seeds until `pybench update`, instead of ignoring the flag in silence.
pbtest!(
    n_seeds_on_a_check_draws_new_seeds_and_keeps_stored_ones,
    |dir: TestDir, cmd: Pybench| {
        let lib = scored_library("n_seeds_flag", EIGHT_SEEDS, "min:loss");
        let lib = lib.to_str().unwrap();
        let run = cmd.run(&[lib, "--n-seeds", "10"]);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(!run.stderr.contains("note: --n-seeds"), "{}", run.stderr);
        let stored = String::from_utf8(baseline_bytes(dir.path()).unwrap()).unwrap();
        let line: serde_json::Value = serde_json::from_str(stored.trim()).unwrap();
        assert_eq!(line["seeds"].as_array().unwrap().len(), 10, "{line}");

        let run = cmd.run(&[lib, "--n-seeds", "12", "--json", "r.json"]);
        assert_eq!(run.code, 0, "{run:?}");
        let notes: Vec<&str> = run
            .stderr
            .lines()
            .filter(|l| l.starts_with("note:"))
            .collect();
        assert_eq!(
            notes,
            [
                "note: --n-seeds 12 does not change the seeds of a stored baseline: bench_n_seeds_flag (10) keep theirs until `pybench update`"
            ],
            "{}",
            run.stderr
        );
        let report = std::fs::read_to_string(dir.path().join("r.json")).unwrap();
        let report: serde_json::Value = serde_json::from_str(&report).unwrap();
        assert_eq!(report["benchmarks"][0]["n_seeds"], 10, "{report}");
        assert_eq!(baseline_bytes(dir.path()).unwrap(), stored.as_bytes());
    }
);

// A benchmark that declares an n_seeds other than its stored baseline's
// seed count is told so in one note; the check runs the stored seeds and
// leaves the baseline as it was, and `pybench update` takes the new count.
pbtest!(
    a_declared_n_seeds_change_is_noted_until_update,
    |dir: TestDir, cmd: Pybench| {
        let lib = scored_library("n_seeds_declared", EIGHT_SEEDS, "min:loss");
        let lib = lib.to_str().unwrap();
        let notes = |run: &crate::util::Run| -> Vec<String> {
            run.stderr
                .lines()
                .filter(|l| l.starts_with("note:"))
                .map(str::to_string)
                .collect()
        };
        let seeds_stored = || {
            let stored = String::from_utf8(baseline_bytes(dir.path()).unwrap()).unwrap();
            let line: serde_json::Value = serde_json::from_str(stored.trim()).unwrap();
            line["seeds"].as_array().unwrap().len()
        };
        let run = cmd.run(&["update", "--yes", lib, "--n-seeds", "10"]);
        assert_eq!(run.code, 0, "{run:?}");
        assert_eq!(seeds_stored(), 10);
        let stored = baseline_bytes(dir.path()).unwrap();

        let run = cmd.run(&[lib]);
        assert_eq!(run.code, 0, "{run:?}");
        assert_eq!(
            notes(&run),
            [
                "note: a declared n_seeds does not change the seeds of a stored baseline: bench_n_seeds_declared (8 declared, 10 stored) keep theirs until `pybench update`"
            ],
            "{}",
            run.stderr
        );
        assert_eq!(baseline_bytes(dir.path()).unwrap(), stored);

        let run = cmd.run(&["update", "--yes", lib]);
        assert_eq!(run.code, 0, "{run:?}");
        assert_eq!(seeds_stored(), 8);
        let run = cmd.run(&[lib]);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(notes(&run).is_empty(), "{}", run.stderr);
    }
);

// `show --sensitivity --effect` names its own flag when the value is bad.
pbtest!(
    a_bad_effect_names_the_effect_flag,
    |_dir: TestDir, cmd: Pybench| {
        let run = cmd.run(&["show", "--sensitivity", "--effect", "1.5"]);
        assert_usage_error(&run, "--effect=1.5 must be a fraction between 0 and 1");
        assert!(!run.stderr.contains("min_effect"), "{}", run.stderr);
    }
);
