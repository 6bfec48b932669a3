//! Text from a benchmark (its error messages, metric names and output)
//! cannot fake a line of pybench's output, run a GitHub Actions workflow
//! command, drive the terminal, or flood it: control characters become
//! visible escapes, long texts are cut on the terminal (the full text stays
//! in `--json`), and such text never starts a line.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::errors::scored_library;
use crate::util::{Pybench, Run, TestDir, c_library};

/// The injection the error message carries: a newline and a workflow
/// command, a carriage return and a fake summary, an ANSI colour, an OSC
/// title, BEL and a C1 CSI.
const MESSAGE: &str =
    "bad\n::error::fake\r0 failed, 9 passed\u{1b}[31mred\u{1b}]0;title\u{7}\u{9b} end";
/// How MESSAGE reads on the terminal.
const SHOWN: &str = r"bad\n::error::fake\r0 failed, 9 passed\x1b[31mred\x1b]0;title\x07\u{9b} end";

fn injecting_library() -> PathBuf {
    c_library(
        "inject",
        r#"#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pybench.h"
PYBENCH_META(inject, "{\"abi\":1,\"n_seeds\":8}")
PYBENCH_EXPORT int32_t bench_inject(uint64_t seed, void *ctx, pybench_emit emit) {
    (void)seed;
    printf("captured\n::error::from stdout\r\x1b[2Kfake\n");
    fflush(stdout);
    static const char m[] =
        "bad\n::error::fake\r0 failed, 9 passed\x1b[31mred\x1b]0;title\x07\xc2\x9b end";
    emit(ctx, (const uint8_t *)m, sizeof m - 1);
    return 1;
}
PYBENCH_META(huge, "{\"abi\":1,\"n_seeds\":8}")
PYBENCH_EXPORT int32_t bench_huge(uint64_t seed, void *ctx, pybench_emit emit) {
    (void)seed;
    size_t n = (size_t)2 << 20;
    char *m = malloc(n);
    memset(m, 'x', n);
    emit(ctx, (const uint8_t *)m, n);
    free(m);
    return 1;
}
"#,
    )
}

/// Nothing in `text` drives a terminal.
fn assert_inert(text: &str) {
    for c in ['\u{1b}', '\r', '\u{7}', '\u{9b}'] {
        assert!(!text.contains(c), "{c:?} in:\n{text}");
    }
}

/// Every stdout line starts with pybench's own text: no workflow command
/// but our annotations, and one summary line.
fn assert_lines_are_ours(run: &Run) {
    for line in run.stdout.lines() {
        if line.starts_with("::") {
            assert!(line.starts_with("::error title=pybench"), "{line}");
        }
        assert!(
            !line.starts_with("fake") && !line.starts_with("red"),
            "{line}"
        );
    }
    let summaries = run
        .stdout
        .lines()
        .filter(|l| l.contains(" failed, ") && l.starts_with(char::is_numeric))
        .count();
    assert_eq!(summaries, 1, "{}", run.stdout);
}

/// Run `args` under GitHub Actions with every report, in `dir`.
fn run_reported(dir: &Path, cmd: &Pybench, args: &[&str]) -> Run {
    let summary = dir.join("summary.md");
    let mut all = args.to_vec();
    all.extend(["-v", "--json", "r.json", "--junit", "r.xml"]);
    cmd.run_env(
        &all,
        &[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_STEP_SUMMARY", summary.to_str().unwrap()),
        ],
    )
}

fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file)).unwrap()
}

/// The `--json` report's benchmark `name`.
fn json_bench(dir: &Path, name: &str) -> Value {
    let report: Value = serde_json::from_str(&read(dir, "r.json")).unwrap();
    report["benchmarks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["name"] == name)
        .cloned()
        .unwrap()
}

pbtest!(
    error_text_faked_lines_and_workflow_commands,
    |dir: TestDir, cmd: Pybench| {
        let lib = injecting_library();
        let run = run_reported(
            dir.path(),
            &cmd,
            &[lib.to_str().unwrap(), "--bench", "inject"],
        );
        assert_eq!(run.code, 2, "{run:?}");
        assert_inert(&run.stdout);
        assert_inert(&run.stderr);
        assert_lines_are_ours(&run);
        let line = run.line_of("bench_inject");
        assert!(line.ends_with(SHOWN), "{line}");
        // -v shows the captured output, each line behind `  | `.
        assert!(
            run.stdout
                .contains("\n  | ::error::from stdout\\r\\x1b[2Kfake\n"),
            "{}",
            run.stdout
        );
        // The annotation carries the escaped text, still escaped for the
        // workflow command (`%0A` would be a line break in it).
        let annotation = run
            .stdout
            .lines()
            .find(|l| l.starts_with("::error title="))
            .unwrap();
        assert!(annotation.ends_with(SHOWN), "{annotation}");
        // The reports: the summary escaped, JUnit valid, JSON whole.
        let summary = read(dir.path(), "summary.md");
        assert_inert(&summary);
        assert!(summary.contains(SHOWN), "{summary}");
        roxmltree::Document::parse(&read(dir.path(), "r.xml")).unwrap();
        let error = json_bench(dir.path(), "bench_inject")["error"].clone();
        assert!(error.as_str().unwrap().ends_with(MESSAGE), "{error}");
    }
);

pbtest!(
    a_2mb_error_message_was_printed_in_full,
    |dir: TestDir, cmd: Pybench| {
        let lib = injecting_library();
        let run = run_reported(
            dir.path(),
            &cmd,
            &[lib.to_str().unwrap(), "--bench", "huge"],
        );
        assert_eq!(run.code, 2, "{run:?}");
        assert!(run.stdout.len() < 10_000, "{} bytes", run.stdout.len());
        let line = run.line_of("bench_huge");
        assert!(line.chars().count() < 700, "{line}");
        assert!(
            line.ends_with(" more bytes; the full text is in --json)"),
            "{line}"
        );
        assert!(read(dir.path(), "summary.md").len() < 10_000);
        let error = json_bench(dir.path(), "bench_huge")["error"].clone();
        assert!(error.as_str().unwrap().len() > 2 << 20, "the whole message");
    }
);

pbtest!(
    metric_names_with_control_characters_reached_the_terminal,
    |dir: TestDir, cmd: Pybench| {
        // JSON escapes in the score's key: ESC, an OSC title, BEL, a newline.
        let lib = scored_library(
            "odd_metric",
            r#"{"abi":1,"n_seeds":8}"#,
            r"min:lo\u001b]0;t\u0007\n::error::x",
        );
        let lib = lib.to_str().unwrap();
        let shown = r"min:lo\x1b]0;t\x07\n::error::x";
        let run = cmd.run(&[lib]);
        assert_eq!(run.code, 0, "{run:?}");
        // The single-slot line, then the -v slot table of a FAIL, the
        // summary's table and the annotation.
        let run = cmd.run(&[lib, "--family", "none"]);
        assert_inert(&run.stdout);
        assert!(
            run.line_of("bench_odd_metric").contains(shown),
            "{}",
            run.stdout
        );
        let run = cmd.run_env(&[lib, "--family", "none", "-v"], &[("PB_REGRESS", "1")]);
        assert_eq!(run.code, 1, "{run:?}");
        assert_inert(&run.stdout);
        assert!(
            run.stdout
                .lines()
                .any(|l| l.starts_with(&format!("  {shown} "))),
            "the slot table: {}",
            run.stdout
        );
        let reported = cmd.run_env(
            &[lib, "--family", "none"],
            &[
                ("PB_REGRESS", "1"),
                ("GITHUB_ACTIONS", "true"),
                (
                    "GITHUB_STEP_SUMMARY",
                    dir.path().join("summary.md").to_str().unwrap(),
                ),
            ],
        );
        assert_eq!(reported.code, 1, "{reported:?}");
        assert_inert(&reported.stdout);
        assert_lines_are_ours(&reported);
        let summary = read(dir.path(), "summary.md");
        assert_inert(&summary);
        assert!(summary.contains(&format!("| `{shown}` |")), "{summary}");
        // `show` lists the stored slot escaped too.
        let run = cmd.run(&["show"]);
        assert_inert(&run.stdout);
        assert!(
            run.stdout.contains(&format!("{shown}@0: ")),
            "{}",
            run.stdout
        );
    }
);

pbtest!(
    names_in_a_hand_edited_baseline_started_lines,
    |dir: TestDir, cmd: Pybench| {
        let line = r#"{"bench": "::error::x\u001b[2J", "timestamp": "2026-11-23T19:17:36Z", "git_commit": null, "git_dirty": false, "seeds": [1, 2, 3], "n": 3, "scores": {"0": {"min:loss": [1.0, 2.0, 3.0]}}}"#;
        std::fs::write(dir.path().join("edited.jsonl"), format!("{line}\n")).unwrap();
        for args in [
            &["show", "--baseline", "edited.jsonl"][..],
            &["compare", "edited.jsonl", "edited.jsonl"],
        ] {
            let run = cmd.run(args);
            assert_inert(&run.stdout);
            assert!(
                run.stdout.contains(r"`::error::x\x1b[2J`"),
                "{args:?}: {}",
                run.stdout
            );
            assert!(
                !run.stdout.lines().any(|l| l.starts_with("::")),
                "{args:?}: {}",
                run.stdout
            );
        }
    }
);
