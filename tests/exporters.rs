//! The outputs for CI, on the synthetic example through the real binary:
//! JUnit, the GitHub summary and annotations, Bencher Metric Format, SVG
//! plots, progress (never on a non-terminal) and the CLI polish.

use std::path::Path;

use crate::reports::{read_json, synthetic_run, with_baseline};
use crate::util::{TestDir, TestRepo, baseline_bytes, c_example};

pbtest!(
    junit_xml_parses_with_one_case_per_benchmark,
    |repo: TestRepo, cmd: Pybench| {
        with_baseline(&repo, &cmd);
        let parse = |file: &str| {
            let reader =
                std::io::BufReader::new(std::fs::File::open(repo.path().join(file)).unwrap());
            junit_parser::from_reader(reader).expect("valid JUnit XML")
        };

        let run = synthetic_run(&cmd, &["--junit", "pass.xml"], &[]);
        assert_eq!(run.code, 0, "{run:?}");
        let suites = parse("pass.xml");
        assert_eq!(suites.suites.len(), 1);
        let suite = &suites.suites[0];
        assert_eq!((suite.tests, suite.failures, suite.errors), (1, 0, 0));
        assert_eq!(suite.cases.len(), 1);
        assert_eq!(suite.cases[0].original_name, "bench_synthetic");
        assert_eq!(suite.cases[0].classname.as_deref(), Some("pybench"));
        assert!(suite.cases[0].status.is_success());

        let run = synthetic_run(
            &cmd,
            &["--junit", "fail.xml"],
            &[("PYBENCH_SYNTHETIC_REGRESS", "local")],
        );
        assert_eq!(run.code, 1, "{run:?}");
        let suites = parse("fail.xml");
        let suite = &suites.suites[0];
        assert_eq!((suite.tests, suite.failures, suite.errors), (1, 1, 0));
        let case = &suite.cases[0];
        assert!(case.status.is_failure());
        let failure = case.status.failure_as_ref();
        assert!(
            failure.message.starts_with("FAIL: 1/3 slots flagged"),
            "{}",
            failure.message
        );
        assert!(
            failure.message.contains("min:loss    100"),
            "{}",
            failure.message
        );
        assert!(failure.text.contains("✗"), "{}", failure.text);

        let run = synthetic_run(
            &cmd,
            &["--junit", "error.xml"],
            &[("PYBENCH_SYNTHETIC_REGRESS", "<bogus & \"quoted\">")],
        );
        assert_eq!(run.code, 2, "{run:?}");
        let suites = parse("error.xml");
        let suite = &suites.suites[0];
        assert_eq!((suite.tests, suite.failures, suite.errors), (1, 0, 1));
        let error = suite.cases[0].status.error_as_ref();
        assert!(
            error.message.contains("<bogus & \\\"quoted\\\">"),
            "{}",
            error.message
        );
    }
);

pbtest!(
    github_actions_summary_and_annotations,
    |repo: TestRepo, cmd: Pybench| {
        with_baseline(&repo, &cmd);
        let summary = repo.path().join("summary.md");
        let summary_env = summary.to_str().unwrap();
        let github = [
            ("GITHUB_STEP_SUMMARY", summary_env),
            ("GITHUB_ACTIONS", "true"),
        ];

        let run = synthetic_run(&cmd, &[], &github);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(!run.stdout.contains("::error"), "{}", run.stdout);
        let text = std::fs::read_to_string(&summary).unwrap();
        assert!(
            text.starts_with("## pybench\n\n0 failed, 1 passed, 0 new, 0 errors\n"),
            "{text}"
        );
        assert!(text.contains("| benchmark | status | slots flagged | meta-p | detail |"));
        assert!(
            text.contains("| `bench_synthetic` | ✅ PASS | 0/3 | 1.0000 |"),
            "{text}"
        );

        let mut env = github.to_vec();
        env.push(("PYBENCH_SYNTHETIC_REGRESS", "local"));
        let run = synthetic_run(&cmd, &[], &env);
        assert_eq!(run.code, 1, "{run:?}");
        let annotation = run
            .stdout
            .lines()
            .find(|l| l.starts_with("::error "))
            .unwrap_or_else(|| panic!("no annotation in {}", run.stdout));
        assert!(
            annotation.starts_with(
                "::error title=pybench%3A bench_synthetic regressed::FAIL: 1/3 slots flagged"
            ),
            "{annotation}"
        );
        assert!(annotation.contains("%0Amin:loss@100 "), "{annotation}");
        let text = std::fs::read_to_string(&summary).unwrap();
        assert_eq!(text.matches("## pybench").count(), 2, "appended: {text}");
        assert!(
            text.contains("| `bench_synthetic` | ❌ FAIL | 1/3 |"),
            "{text}"
        );
        assert!(text.contains("### `bench_synthetic`"), "{text}");
        assert!(text.contains("| `min:loss` | 100 |"), "{text}");

        let mut env = github.to_vec();
        env.push(("PYBENCH_SYNTHETIC_REGRESS", "bogus"));
        let run = synthetic_run(&cmd, &[], &env);
        assert_eq!(run.code, 2, "{run:?}");
        assert!(
            run.stdout
                .contains("::error title=pybench%3A bench_synthetic errored::"),
            "{}",
            run.stdout
        );

        // Outside GitHub Actions: no annotations, no summary.
        let run = synthetic_run(&cmd, &[], &[("PYBENCH_SYNTHETIC_REGRESS", "local")]);
        assert!(!run.stdout.contains("::error"), "{}", run.stdout);
    }
);

pbtest!(
    bencher_metric_format_holds_each_slots_current_mean,
    |repo: TestRepo, cmd: Pybench| {
        with_baseline(&repo, &cmd);
        let run = synthetic_run(
            &cmd,
            &["--bmf", "bmf.json", "--json", "report.json"],
            &[("PYBENCH_SYNTHETIC_REGRESS", "global")],
        );
        assert_eq!(run.code, 1, "{run:?}");
        let bmf = read_json(&repo.path().join("bmf.json"));
        let report = read_json(&repo.path().join("report.json"));
        let benchmarks = bmf.as_object().unwrap();
        let names: Vec<&String> = benchmarks.keys().collect();
        assert_eq!(
            names,
            [
                "bench_synthetic@1",
                "bench_synthetic@30",
                "bench_synthetic@100"
            ]
        );
        for (name, slot) in names
            .iter()
            .zip(report["benchmarks"][0]["slots"].as_array().unwrap())
        {
            let measures = benchmarks[*name].as_object().unwrap();
            assert_eq!(measures.len(), 1);
            let m = &measures["min:loss"];
            let (value, lower, upper) = (
                m["value"].as_f64().unwrap(),
                m["lower_value"].as_f64().unwrap(),
                m["upper_value"].as_f64().unwrap(),
            );
            assert_eq!(value, slot["current_mean"].as_f64().unwrap());
            assert!(lower < value && value < upper, "{m}");
            assert!((upper - value - slot["current_std"].as_f64().unwrap()).abs() < 1e-12);
        }
    }
);

/// The legend texts of an SVG (roxmltree parses it as XML).
fn svg_texts(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let doc = roxmltree::Document::parse(&text).expect("the SVG parses");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text())
        .map(|t| t.trim().to_string())
        .collect()
}

fn count_tags(path: &Path, tag: &str) -> usize {
    let text = std::fs::read_to_string(path).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    doc.descendants().filter(|n| n.has_tag_name(tag)).count()
}

pbtest!(
    plots_have_one_series_per_metric,
    |dir: TestDir, cmd: Pybench| {
        // The C example: two metrics at three steps.
        let lib = c_example();
        let lib = lib.to_str().unwrap();
        let run = cmd.run(&[lib, "--plot", "new"]);
        assert_eq!(run.code, 0, "{run:?}");
        let texts = svg_texts(&dir.path().join("new/bench_solver.svg"));
        let legend: Vec<&String> = texts
            .iter()
            .filter(|t| t.contains("current") || t.contains("baseline"))
            .collect();
        assert_eq!(
            legend.len(),
            2,
            "NEW: current only, one series per metric: {texts:?}"
        );

        let run = cmd.run_env(&[lib, "--plot", "plots"], &[("SOLVER_SLOWDOWN", "1.5")]);
        assert_eq!(run.code, 1, "{run:?}");
        let svg = dir.path().join("plots/bench_solver.svg");
        let texts = svg_texts(&svg);
        let legend: Vec<&String> = texts
            .iter()
            .filter(|t| t.ends_with(" current") || t.ends_with(" baseline"))
            .collect();
        assert_eq!(legend.len(), 4, "{texts:?}");
        for metric in ["accuracy", "min:residual"] {
            for which in ["baseline", "current"] {
                assert!(
                    texts.contains(&format!("{metric} {which}")),
                    "{metric} {which}: {texts:?}"
                );
            }
        }
        // A ±sd band per metric and run.
        assert_eq!(count_tags(&svg, "polygon"), 4);

        // `pybench show --plot`: each stored baseline.
        let run = cmd.run(&["show", "--plot", "shown"]);
        assert_eq!(run.code, 0, "{run:?}");
        let texts = svg_texts(&dir.path().join("shown/bench_solver.svg"));
        assert!(
            texts
                .iter()
                .any(|t| t.starts_with("bench_solver (baseline @")),
            "{texts:?}"
        );
        assert!(
            texts.contains(&"accuracy baseline".to_string()),
            "{texts:?}"
        );
        assert!(!texts.iter().any(|t| t.ends_with(" current")), "{texts:?}");
    }
);

pbtest!(
    cli_polish_quiet_list_color_completions_and_no_progress_off_a_terminal,
    |repo: TestRepo, cmd: Pybench| {
        repo.write("README.md", b"x\n");
        repo.commit_all("start");

        // --list runs nothing and writes nothing.
        let run = synthetic_run(&cmd, &["--list"], &[]);
        assert_eq!(run.code, 0, "{run:?}");
        let line = run.line_of("bench_synthetic");
        assert!(
            line.contains("n_seeds=30  alpha=0.05  min_effect=none  workers="),
            "{line}"
        );
        assert!(line.contains("no baseline"), "{line}");
        assert!(baseline_bytes(repo.path()).is_none());

        let run = synthetic_run(&cmd, &[], &[]);
        assert_eq!(run.code, 0, "{run:?}");
        // No progress bars when stderr is not a terminal.
        assert!(
            !run.stderr.contains("seeds  ") && !run.stderr.contains("ETA"),
            "{}",
            run.stderr
        );
        repo.commit_all("baseline");
        let run = synthetic_run(&cmd, &["--list"], &[]);
        assert!(
            run.line_of("bench_synthetic")
                .contains("baseline: 30 seeds @ "),
            "{}",
            run.stdout
        );

        // -q: only FAIL/ERROR lines and the summary.
        let run = synthetic_run(&cmd, &["-q"], &[]);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(
            run.stdout.starts_with("0 failed, 1 passed, 0 new  in "),
            "{}",
            run.stdout
        );
        assert_eq!(run.stdout.lines().count(), 1, "{}", run.stdout);
        let run = synthetic_run(&cmd, &["-q"], &[("PYBENCH_SYNTHETIC_REGRESS", "global")]);
        assert_eq!(run.code, 1, "{run:?}");
        let lines: Vec<&str> = run.stdout.lines().collect();
        assert_eq!(lines.len(), 2, "{}", run.stdout);
        assert!(lines[0].starts_with("bench_synthetic   .......... FAIL"));
        assert!(lines[1].starts_with("1 failed, 0 passed, 0 new  in "));

        // Colour: flags over NO_COLOR over FORCE_COLOR / CLICOLOR_FORCE.
        let esc = "\u{1b}[";
        let run = synthetic_run(&cmd, &["--color", "always"], &[]);
        assert!(run.stdout.contains(esc), "{}", run.stdout);
        let run = synthetic_run(&cmd, &["--color", "never"], &[("FORCE_COLOR", "1")]);
        assert!(!run.stdout.contains(esc), "{}", run.stdout);
        let run = synthetic_run(&cmd, &[], &[("NO_COLOR", ""), ("FORCE_COLOR", "1")]);
        assert!(run.stdout.contains(esc), "{}", run.stdout);
        let run = synthetic_run(&cmd, &[], &[("NO_COLOR", ""), ("CLICOLOR_FORCE", "1")]);
        assert!(run.stdout.contains(esc), "{}", run.stdout);
        let run = synthetic_run(&cmd, &[], &[("NO_COLOR", "1"), ("FORCE_COLOR", "1")]);
        assert!(!run.stdout.contains(esc), "{}", run.stdout);
        let run = synthetic_run(&cmd, &[], &[]);
        assert!(!run.stdout.contains(esc), "a pipe is not a terminal");

        // Completions.
        for shell in ["bash", "zsh", "fish"] {
            let run = cmd.run(&["completions", shell]);
            assert_eq!(run.code, 0, "{run:?}");
            assert!(run.stdout.contains("pybench"), "{shell}");
            assert!(
                run.stdout.contains("compare"),
                "{shell}: subcommands complete"
            );
        }
        let run = cmd.run(&["completions", "tcsh"]);
        assert_eq!(run.code, 2, "{run:?}");
    }
);
