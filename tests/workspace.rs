//! A bare `pybench` (and `cargo pybench`) in a Cargo workspace: which
//! crates it benchmarks, the one baseline file at the workspace root
//! wherever it starts, and the errors of a misconfigured workspace.

use std::process::Command;

use crate::util::{NOISE_RS, Pybench, Run, TestDir, TestRepo, workspace};

/// A library crate in `model/` whose `loss` is `0.5 + shift + noise(seed)`;
/// its package is called `core`, which must not shadow what `bench!` uses.
pub fn write_model(repo: &TestRepo, shift: f64) {
    repo.write(
        "model/Cargo.toml",
        b"[package]\nname = \"core\"\nversion = \"0.1.0\"\nedition = \"2024\"\n",
    );
    let source = format!(
        r#"{NOISE_RS}
pub fn loss(seed: u64) -> f64 {{
    0.5 + {shift:?} + noise(seed)
}}
"#
    );
    repo.write("model/src/lib.rs", source.as_bytes());
}

/// The manifest of a crate `name` that depends on pybench; a cdylib when
/// `cdylib`.
pub fn bench_manifest(name: &str, cdylib: bool, extra: &str) -> String {
    let lib = if cdylib {
        "[lib]\ncrate-type = [\"cdylib\"]\n"
    } else {
        ""
    };
    format!(
        "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2024\"\n{extra}\n{lib}\n\
         [dependencies]\npybench = {{ path = {:?} }}\ncore = {{ path = \"../model\" }}\n",
        workspace().join("src/authoring").display().to_string()
    )
}

/// A workspace of `model` and the benchmark crate `bench` (plus `members`).
pub fn write_workspace(repo: &TestRepo, members: &[&str]) {
    let mut all = vec!["\"model\"".to_string(), "\"bench\"".to_string()];
    all.extend(members.iter().map(|m| format!("{m:?}")));
    repo.write(
        "Cargo.toml",
        format!(
            "[workspace]\nmembers = [{}]\nresolver = \"3\"\n",
            all.join(", ")
        )
        .as_bytes(),
    );
    repo.write(
        "bench/Cargo.toml",
        bench_manifest("bench", true, "").as_bytes(),
    );
    repo.write(
        "bench/src/lib.rs",
        b"pybench::bench! {
    #[settings(n_seeds = 20)]
    pub fn bench_loss(seed: u64) -> pybench::Metrics {
        pybench::Metrics::from([(\"min:loss\".to_string(), core::loss(seed))])
    }
}
",
    );
    write_model(repo, 0.0);
}

/// `pybench ARGS` started in `rel` of the repository, building into the
/// repository's own target directory.
fn pybench_in(repo: &TestRepo, rel: &str, args: &[&str]) -> Run {
    Pybench::new(&repo.path().join(rel))
        .target_dir(&repo.path().join("target"))
        .run(args)
}

/// `cargo-pybench pybench ARGS` (as cargo runs it), started in `rel`.
fn cargo_pybench_in(repo: &TestRepo, rel: &str, args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_cargo-pybench"))
        .arg("pybench")
        .args(args)
        .current_dir(repo.path().join(rel))
        .env("NO_COLOR", "1")
        .env("PYBENCH_SEED_ENTROPY", "20261123")
        .env("CARGO_TARGET_DIR", repo.path().join("target"))
        .output()
        .expect("run cargo-pybench");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn is_dirty(repo: &TestRepo) -> bool {
    gix::open(repo.path())
        .expect("open the test repository")
        .is_dirty()
        .expect("git status")
}

fn assert_verdict(run: &Run, code: i32, verdict: &str) {
    assert_eq!(run.code, code, "{run:?}");
    assert!(
        run.line_of("bench_loss").contains(verdict),
        "{verdict}: {}",
        run.stdout
    );
}

/// NEW, PASS from every directory, FAIL after a real change in `model`:
/// one baseline file, at the root, and a clean tree after committed runs.
fn new_pass_fail(repo: &TestRepo, run: impl Fn(&str) -> Run) {
    write_workspace(repo, &[]);
    repo.commit_all("sources");
    let first = run("");
    assert_verdict(&first, 0, " NEW");
    assert!(
        first.stderr.contains(
            "pybench: benchmarking crate bench (the workspace members that build a cdylib and depend on pybench)"
        ),
        "{}",
        first.stderr
    );
    assert!(repo.path().join(".pybench/baselines.jsonl").is_file());
    repo.commit_all("baseline");
    for dir in ["", "bench", "model/src"] {
        assert_verdict(&run(dir), 0, " PASS");
        assert!(!is_dirty(repo), "a check from {dir:?} dirtied the tree");
    }
    for dir in ["bench", "model", "model/src"] {
        assert!(!repo.path().join(dir).join(".pybench").exists(), "{dir}");
    }
    write_model(repo, 0.3);
    repo.commit_all("a regression in model");
    assert_verdict(&run("model"), 1, " FAIL");
    assert_verdict(&run(""), 1, " FAIL");
    assert!(!is_dirty(repo));
}

pbtest!(
    bare_pybench_in_a_workspace_goes_new_pass_fail_from_any_member,
    |repo: TestRepo| {
        new_pass_fail(&repo, |dir| pybench_in(&repo, dir, &[]));
    }
);

pbtest!(
    bare_cargo_pybench_in_a_workspace_goes_new_pass_fail_from_any_member,
    |repo: TestRepo| {
        new_pass_fail(&repo, |dir| cargo_pybench_in(&repo, dir, &[]));
    }
);

pbtest!(
    builds_without_a_terminal_print_a_start_and_an_end_line,
    |repo: TestRepo| {
        write_workspace(&repo, &[]);
        let run = pybench_in(&repo, "bench", &["--list"]);
        assert_eq!(run.code, 0, "{run:?}");
        let lines: Vec<&str> = run.stderr.lines().collect();
        assert!(
            lines.contains(&"building . (cargo build --release)"),
            "{}",
            run.stderr
        );
        assert!(
            lines.iter().any(|l| l.starts_with("built . in ")),
            "{}",
            run.stderr
        );
        assert!(
            !run.stdout.lines().any(|l| l.starts_with("buil")),
            "stdout stays clean: {}",
            run.stdout
        );
    }
);

pbtest!(
    member_that_depends_on_pybench_without_cdylib_is_warned_and_the_rest_run,
    |repo: TestRepo| {
        write_workspace(&repo, &["rlib"]);
        repo.write(
            "rlib/Cargo.toml",
            bench_manifest("rlib", false, "").as_bytes(),
        );
        repo.write("rlib/src/lib.rs", b"pub fn helper() {}\n");
        let run = pybench_in(&repo, "", &[]);
        assert_verdict(&run, 0, " NEW");
        assert!(
            run.stderr.lines().any(|l| l
                == "warning: crate `rlib` depends on pybench but builds no cdylib, so pybench cannot load its benchmarks; add `crate-type = [\"cdylib\"]` under [lib] in rlib/Cargo.toml"),
            "{}",
            run.stderr
        );
    }
);

pbtest!(
    rlib_package_named_explicitly_says_the_line_to_add,
    |repo: TestRepo| {
        write_workspace(&repo, &["rlib"]);
        repo.write(
            "rlib/Cargo.toml",
            bench_manifest("rlib", false, "")
                .replace("\n\n[dep", "\n[lib]\ncrate-type = [\"rlib\"]\n\n[dep")
                .as_bytes(),
        );
        repo.write("rlib/src/lib.rs", b"pub fn helper() {}\n");
        let run = pybench_in(&repo, "", &["rlib"]);
        assert_eq!(run.code, 2, "{run:?}");
        assert_eq!(
            run.error_lines(),
            [
                "error: rlib builds no cdylib, so it has no library for pybench to load (hint: add `crate-type = [\"cdylib\"]` under [lib] in its Cargo.toml)"
            ]
        );
    }
);

/// Runs bare `pybench` in a workspace whose `bench` crate's manifest has
/// `metadata` added, and expects one error line starting with `error`.
fn misconfigured(repo: &TestRepo, metadata: &str, error: &str) {
    write_workspace(repo, &[]);
    repo.write(
        "bench/Cargo.toml",
        bench_manifest("bench", true, metadata).as_bytes(),
    );
    let run = pybench_in(repo, "bench", &[]);
    assert_eq!(run.code, 2, "{run:?}");
    let errors = run.error_lines();
    assert_eq!(errors.len(), 1, "{}", run.stderr);
    assert!(errors[0].starts_with(error), "{}", errors[0]);
    assert!(errors[0].contains("(hint: "), "{}", errors[0]);
}

pbtest!(
    malformed_package_metadata_paths_is_one_error_line,
    |repo: TestRepo| {
        misconfigured(
            &repo,
            "\n[package.metadata.pybench]\npaths = \"benches\"\n",
            "error: [package.metadata.pybench] paths in Cargo.toml: expected a list of paths, found \"benches\"",
        );
    }
);

pbtest!(
    configured_path_that_does_not_exist_is_one_error_line,
    |repo: TestRepo| {
        misconfigured(
            &repo,
            "\n[package.metadata.pybench]\npaths = [\"nowhere\"]\n",
            "error: [package.metadata.pybench] paths in Cargo.toml names nowhere, which does not exist",
        );
    }
);

pbtest!(
    configured_paths_are_what_a_bare_run_benchmarks,
    |repo: TestRepo| {
        write_workspace(&repo, &[]);
        let root = std::fs::read_to_string(repo.path().join("Cargo.toml")).unwrap();
        let root = format!("{root}\n[workspace.metadata.pybench]\npaths = [\"bench\"]\n");
        repo.write("Cargo.toml", root.as_bytes());
        let run = pybench_in(&repo, "model", &["--list"]);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(
            run.stderr
                .lines()
                .any(|l| l
                    == "pybench: benchmarking ../bench (from [workspace.metadata.pybench] paths)"),
            "{}",
            run.stderr
        );
        assert!(run.stdout.starts_with("bench_loss "), "{}", run.stdout);
    }
);

pbtest!(
    nothing_to_benchmark_outside_a_project_is_one_error_line,
    |dir: TestDir, cmd: Pybench| {
        let run = cmd.run(&[]);
        assert_eq!(run.code, 2, "{run:?}");
        let errors = run.error_lines();
        assert_eq!(errors.len(), 1, "{}", run.stderr);
        assert!(
            errors[0].starts_with("error: nothing to benchmark in ")
                && errors[0].contains("no ./benchmarks directory and no Cargo.toml here or above"),
            "{}",
            errors[0]
        );
        assert!(!dir.path().join(".pybench").exists());
    }
);

pbtest!(
    relative_paths_stay_relative_to_the_start_directory,
    |repo: TestRepo| {
        let lib = crate::util::c_example();
        std::fs::create_dir_all(repo.path().join("sub/deeper")).unwrap();
        std::fs::copy(&lib, repo.path().join("sub/libsolver.so")).unwrap();
        let run = Pybench::new(&repo.path().join("sub/deeper")).run(&["../libsolver.so"]);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(repo.path().join(".pybench/baselines.jsonl").is_file());
        assert!(!repo.path().join("sub/deeper/.pybench").exists());
        let explicit = Pybench::new(&repo.path().join("sub")).run(&[
            "libsolver.so",
            "--baseline",
            "mine.jsonl",
            "--list",
        ]);
        assert_eq!(explicit.code, 0, "{explicit:?}");
        assert!(
            explicit.stdout.contains("no baseline"),
            "{}",
            explicit.stdout
        );
    }
);
