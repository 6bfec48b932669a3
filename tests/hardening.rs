//! The third hardening round, through the binary: invalid settings name
//! their cause first, every view escapes names, every XML file is XML,
//! report files are readable by others, Cargo packages reached through
//! symlinks are built and kept, a workspace builds in one cargo run, and
//! long names stay within their column and their file name.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::Path;

use crate::errors::scored_library;
use crate::util::{Pybench, Run, TestDir, TestRepo, c_library, workspace};

/// A benchmark `bench_{name}` whose companion returns `meta`.
fn declared(name: &str, meta: &str) -> String {
    let source = format!(
        r#"#include <string.h>
#include "pybench.h"
PYBENCH_META({name}, "{meta}")
PYBENCH_EXPORT int32_t bench_{name}(uint64_t seed, void *ctx, pybench_emit emit) {{
    const char *s = (seed % 2) ? "0.5" : "0.25";
    emit(ctx, (const uint8_t *)s, strlen(s));
    return 0;
}}
"#,
        meta = meta.replace('"', "\\\"")
    );
    c_library(&format!("declared_{}", name.len().min(40)), &source)
        .to_str()
        .unwrap()
        .to_string()
}

pbtest!(
    invalid_settings_name_their_cause_before_the_text,
    |dir: TestDir, cmd: Pybench| {
        // 600 spaces push the cause past what one line shows.
        let meta = format!(r#"{{"abi":1,{}"n_seeds":8,"n_seeds":9}}"#, " ".repeat(600));
        let lib = declared("dupfield", &meta);
        let run = cmd.run(&[&lib]);
        assert_eq!(run.code, 2, "{run:?}");
        let line = run.line_of("bench_dupfield");
        assert!(
            line.contains(" ERROR   invalid settings: duplicate field `n_seeds`"),
            "{line}"
        );
        assert!(line.contains("more bytes)"), "the text is cut: {line}");
        assert!(line.chars().count() < 400, "{line}");
    }
);

pbtest!(
    looks_are_checked_with_the_other_settings,
    |dir: TestDir, cmd: Pybench| {
        let lib = declared("onelook", r#"{"abi":1,"n_seeds":8,"looks":[1,8]}"#);
        let run = cmd.run(&[&lib]);
        assert_eq!(run.code, 2, "not only at --adaptive time: {run:?}");
        assert!(
            run.line_of("bench_onelook").ends_with(
                " ERROR   looks [1, 8]: the first look has 1 seed: at least 2 are needed"
            ),
            "{}",
            run.stdout
        );
    }
);

pbtest!(
    show_sensitivity_escapes_names,
    |dir: TestDir, cmd: Pybench| {
        let line = r#"{"bench": "::error::x\u001b]0;t\u0007", "timestamp": "2026-11-23T19:17:36Z", "git_commit": null, "git_dirty": false, "seeds": [1, 2, 3], "n": 3, "scores": {"0": {"min:lo\n::error::y\u001b[2J": [1.0, 2.0, 3.5]}}}"#;
        std::fs::write(dir.path().join("edited.jsonl"), format!("{line}\n")).unwrap();
        let run = cmd.run(&["show", "--sensitivity", "--baseline", "edited.jsonl"]);
        assert_eq!(run.code, 0, "{run:?}");
        for c in ['\u{1b}', '\u{7}'] {
            assert!(!run.stdout.contains(c), "{c:?}: {}", run.stdout);
        }
        assert!(
            !run.stdout.lines().any(|l| l.starts_with("::")),
            "{}",
            run.stdout
        );
        assert!(
            run.stdout.contains(r"`::error::x\x1b]0;t\x07`"),
            "{}",
            run.stdout
        );
        assert!(
            run.stdout.contains(r"min:lo\n::error::y\x1b[2J@0"),
            "{}",
            run.stdout
        );
    }
);

pbtest!(
    svg_and_junit_files_are_xml_whatever_the_names,
    |dir: TestDir, cmd: Pybench| {
        // ESC, BEL and U+FFFF: none may appear in an XML 1.0 document.
        let lib = scored_library(
            "xml_metric",
            r#"{"abi":1,"n_seeds":8}"#,
            r"min:lo\u001b]0;t\u0007\uffff",
        );
        let lib = lib.to_str().unwrap();
        let parse = |path: &Path| {
            let text = std::fs::read_to_string(path).unwrap();
            roxmltree::Document::parse(&text)
                .unwrap_or_else(|e| panic!("{} is not XML: {e}", path.display()))
                .root_element()
                .tag_name()
                .name()
                .to_string()
        };
        let run = cmd.run(&[lib, "--plot", "plots"]);
        assert_eq!(run.code, 0, "{run:?}");
        let regress = [("PB_REGRESS", "1")];
        let args = [
            lib, "--family", "none", "--plot", "plots", "--junit", "r.xml",
        ];
        let run = cmd.run_env(&args, &regress);
        assert_eq!(run.code, 1, "{run:?}");
        assert_eq!(parse(&dir.path().join("r.xml")), "testsuites");
        let show = cmd.run(&["show", "--plot", "stored"]);
        assert_eq!(show.code, 0, "{show:?}");
        for plots in ["plots", "stored"] {
            let svg = dir.path().join(plots).join("bench_xml_metric.svg");
            assert_eq!(parse(&svg), "svg");
        }
    }
);

/// `pybench ARGS` run with umask 022.
fn run_with_umask(cmd: &Pybench, args: &[&str]) -> Run {
    let mut command = cmd.command(args);
    // SAFETY: umask is async-signal-safe and touches no memory.
    unsafe {
        command.pre_exec(|| {
            libc::umask(0o022);
            Ok(())
        });
    }
    let out = command.output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

pbtest!(
    report_files_follow_the_umask_and_keep_their_mode,
    |dir: TestDir, cmd: Pybench| {
        let lib = declared("modes", r#"{"abi":1,"n_seeds":8}"#);
        let reports = ["--json", "r.json", "--junit", "r.xml", "--bmf", "r.bmf"];
        let mut args = vec![lib.as_str()];
        args.extend(reports);
        let run = run_with_umask(&cmd, &args);
        assert_eq!(run.code, 0, "{run:?}");
        for file in ["r.json", "r.xml", "r.bmf"] {
            assert_eq!(mode(&dir.path().join(file)), 0o644, "{file}");
        }
        let compare = [
            "compare",
            ".pybench/baselines.jsonl",
            ".pybench/baselines.jsonl",
        ];
        let mut args = compare.to_vec();
        args.extend(["--json", "c.json"]);
        assert_eq!(run_with_umask(&cmd, &args).code, 0);
        assert_eq!(mode(&dir.path().join("c.json")), 0o644);
        // An existing report keeps its mode when rewritten.
        for file in ["r.json", "r.xml", "r.bmf", "c.json"] {
            let path = dir.path().join(file);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        }
        let mut args = vec![lib.as_str()];
        args.extend(reports);
        assert_eq!(run_with_umask(&cmd, &args).code, 0);
        args = compare.to_vec();
        args.extend(["--json", "c.json"]);
        assert_eq!(run_with_umask(&cmd, &args).code, 0);
        for file in ["r.json", "r.xml", "r.bmf", "c.json"] {
            assert_eq!(mode(&dir.path().join(file)), 0o640, "{file}");
        }
    }
);

pbtest!(
    a_long_name_is_cut_in_its_column_and_its_plot_file_name,
    |dir: TestDir, cmd: Pybench| {
        let name = format!("long{}", "x".repeat(3000));
        let lib = declared(&name, r#"{"abi":1,"n_seeds":8}"#);
        let other = declared("short", r#"{"abi":1,"n_seeds":8}"#);
        let run = cmd.run(&[&lib, &other, "--plot", "plots"]);
        assert_eq!(run.code, 0, "{run:?}");
        let short = run.line_of("bench_short");
        assert!(short.chars().count() < 130, "the column is capped: {short}");
        let long = run
            .stdout
            .lines()
            .find(|l| l.starts_with("bench_longxxx"))
            .unwrap();
        assert!(long.contains("x… "), "{long}");
        assert!(long.chars().count() < 300, "{long}");
        let files: Vec<String> = std::fs::read_dir(dir.path().join("plots"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(files.len(), 2, "{files:?}");
        let long_file = files.iter().find(|f| f.starts_with("bench_long")).unwrap();
        assert!(long_file.len() <= 120, "{long_file}");
    }
);

/// A Cargo package `name` (a cdylib depending on pybench) at `dir`.
fn write_bench_crate(dir: &Path, name: &str) {
    std::fs::create_dir_all(dir.join("src")).unwrap();
    let manifest = format!(
        "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[lib]\ncrate-type = [\"cdylib\"]\n\n[dependencies]\npybench = {{ path = {:?} }}\n",
        workspace().join("src/authoring").display().to_string()
    );
    std::fs::write(dir.join("Cargo.toml"), manifest).unwrap();
    let source = format!(
        "pybench::bench! {{\n    #[settings(n_seeds = 8)]\n    pub fn bench_{name}(seed: u64) -> pybench::Metrics {{\n        pybench::Metrics::from([(\"min:loss\".to_string(), (seed % 7) as f64)])\n    }}\n}}\n"
    );
    std::fs::write(dir.join("src/lib.rs"), source).unwrap();
}

pbtest!(
    cargo_packages_reached_through_symlinks_are_kept,
    |dir: TestDir| {
        let root = dir.path();
        write_bench_crate(&root.join("crates/linked"), "linked");
        std::fs::create_dir_all(root.join("ws")).unwrap();
        std::fs::write(
            root.join("ws/Cargo.toml"),
            "[workspace]\nmembers = [\"linked\"]\nresolver = \"3\"\n",
        )
        .unwrap();
        std::os::unix::fs::symlink("../crates/linked", root.join("ws/linked")).unwrap();
        std::os::unix::fs::symlink("crates", root.join("via")).unwrap();
        let cmd = Pybench::new(root).target_dir(&root.join("target"));
        let in_ws = Pybench::new(&root.join("ws")).target_dir(&root.join("target"));
        for (cmd, args) in [
            (&in_ws, &["--list"][..]),
            (&cmd, &["ws/linked", "--list"]),
            (&cmd, &["via/linked", "--list"]),
        ] {
            let run = cmd.run(args);
            assert_eq!(run.code, 0, "{args:?}: {run:?}");
            assert!(
                run.stdout.contains("bench_linked"),
                "{args:?}: {}",
                run.stdout
            );
        }
    }
);

pbtest!(a_workspace_builds_in_one_cargo_run, |repo: TestRepo| {
    let root = repo.path();
    let names = ["wa", "wb", "wc"];
    for name in names {
        write_bench_crate(&root.join(name), name);
    }
    std::fs::write(
        root.join("Cargo.toml"),
        "[workspace]\nmembers = [\"wa\", \"wb\", \"wc\"]\nresolver = \"3\"\n",
    )
    .unwrap();
    let cmd = Pybench::new(root).target_dir(&root.join("target"));
    let run = cmd.run(&["--list"]);
    assert_eq!(run.code, 0, "{run:?}");
    let builds: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("building "))
        .collect();
    assert_eq!(builds.len(), 1, "{}", run.stderr);
    assert!(
        builds[0].starts_with("building 3 packages of "),
        "{}",
        builds[0]
    );
    for name in names {
        assert!(
            run.stdout.contains(&format!("bench_{name}")),
            "{}",
            run.stdout
        );
    }
});

pbtest!(cargo_errors_are_shown_in_full, |repo: TestRepo| {
    let root = repo.path();
    std::fs::write(
        root.join("Cargo.toml"),
        "[workspace]\nmembers = []\nresolver = \"3\"\n",
    )
    .unwrap();
    write_bench_crate(&root.join("nested"), "nested");
    let cmd = Pybench::new(&root.join("nested")).target_dir(&root.join("target"));
    let run = cmd.run(&[]);
    assert_eq!(run.code, 2, "{run:?}");
    let errors = run.error_lines();
    assert_eq!(errors.len(), 1, "{}", run.stderr);
    assert!(
        errors[0].contains("believes it's in a workspace when it's not")
            && errors[0].contains("workspace.members"),
        "cargo's whole message, with its advice: {}",
        errors[0]
    );
});
