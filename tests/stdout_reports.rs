//! `-` as a report path means stdout (`--json -`, `--junit -`, `--bmf -`,
//! `compare --json -`): stdout is then exactly that one document, the text
//! report goes to stderr, and no file named `-` appears.

use serde_json::Value;

use crate::reports::{synthetic_run, with_baseline};
use crate::util::TestRepo;

pbtest!(
    json_dash_makes_stdout_one_json_document,
    |repo: TestRepo, cmd: Pybench| {
        with_baseline(&repo, &cmd);
        let run = synthetic_run(&cmd, &["--json", "-"], &[]);
        assert_eq!(run.code, 0, "{run:?}");
        let report: Value = serde_json::from_str(&run.stdout).expect("stdout is one JSON document");
        assert_eq!(report["benchmarks"][0]["name"], "bench_synthetic");
        assert_eq!(report["benchmarks"][0]["status"], "PASS");
        assert!(
            run.stderr.contains("bench_synthetic   .......... PASS"),
            "{}",
            run.stderr
        );
        assert!(
            run.stderr.contains("0 failed, 1 passed, 0 new"),
            "{}",
            run.stderr
        );
        assert!(!repo.path().join("-").exists(), "no file named -");
    }
);

pbtest!(
    junit_and_bmf_dash_go_to_stdout_and_a_regression_still_exits_1,
    |repo: TestRepo, cmd: Pybench| {
        with_baseline(&repo, &cmd);
        let regress = [("PYBENCH_SYNTHETIC_REGRESS", "global")];
        let run = synthetic_run(&cmd, &["--junit", "-", "--json", "run.json"], &regress);
        assert_eq!(run.code, 1, "{run:?}");
        assert!(run.stdout.starts_with("<?xml"), "{}", run.stdout);
        assert_eq!(
            run.stdout.matches("<testsuites").count(),
            1,
            "{}",
            run.stdout
        );
        assert!(run.stdout.contains("<failure"), "{}", run.stdout);
        assert!(run.stderr.contains(".......... FAIL"), "{}", run.stderr);
        assert!(
            repo.path().join("run.json").is_file(),
            "the other report is still a file"
        );

        let run = synthetic_run(&cmd, &["--bmf", "-", "-q"], &[]);
        assert_eq!(run.code, 0, "{run:?}");
        let bmf: Value = serde_json::from_str(&run.stdout).expect("stdout is one BMF document");
        assert!(
            bmf["bench_synthetic@100"]["min:loss"]["value"].is_f64(),
            "{bmf}"
        );
        assert!(!repo.path().join("-").exists(), "no file named -");
    }
);

pbtest!(
    two_reports_on_stdout_are_a_usage_error,
    |repo: TestRepo, cmd: Pybench| {
        with_baseline(&repo, &cmd);
        let run = synthetic_run(&cmd, &["--json", "-", "--bmf", "-"], &[]);
        assert_eq!(run.code, 2, "{run:?}");
        assert_eq!(
            run.error_lines(),
            [
                "error: --json and --bmf both name stdout (-), which holds one document \
          (hint: send one report to stdout and write the others to files)"
            ]
        );
        assert!(run.stdout.is_empty(), "nothing ran: {}", run.stdout);
    }
);

pbtest!(
    compare_json_dash_prints_only_the_document,
    |repo: TestRepo, cmd: Pybench| {
        with_baseline(&repo, &cmd);
        let run = cmd.run(&[
            "compare",
            ".pybench/baselines.jsonl",
            ".pybench/baselines.jsonl",
            "--json",
            "-",
        ]);
        assert_eq!(run.code, 0, "{run:?}");
        let report: Value = serde_json::from_str(&run.stdout).expect("stdout is one JSON document");
        assert_eq!(
            report["benchmarks"][0]["name"], "bench_synthetic",
            "{report}"
        );
        assert!(run.stderr.contains("UNCHANGED"), "{}", run.stderr);
        assert!(!repo.path().join("-").exists(), "no file named -");
    }
);
