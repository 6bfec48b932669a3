//! What a directory search enters, loads and builds: every directory once
//! (symlink loops end), every library once (a symlink to one is not a
//! second definition), no build output, hidden or git-ignored directories,
//! and no Cargo package outside the project unless it is named.

use std::os::unix::fs::symlink;
use std::time::{Duration, Instant};

use crate::util::{Pybench, TestDir, TestRepo, c_example, c_library, workspace};

/// The benchmark names of a `--list` run.
fn listed(stdout: &str) -> Vec<&str> {
    stdout
        .lines()
        .filter(|l| l.starts_with("bench_"))
        .filter_map(|l| l.split_whitespace().next())
        .collect()
}

pbtest!(
    symlink_loops_to_a_parent_end_and_list_each_benchmark_once,
    |dir: TestDir, cmd: Pybench| {
        let libs = dir.path().join("libs");
        std::fs::create_dir_all(libs.join("a")).unwrap();
        std::fs::create_dir_all(libs.join("b")).unwrap();
        std::fs::copy(c_example(), libs.join("libsolver.so")).unwrap();
        symlink("..", libs.join("a/up")).unwrap();
        symlink("../..", libs.join("b/up")).unwrap();
        let started = Instant::now();
        let run = cmd.run(&["--list", "libs"]);
        assert!(started.elapsed() < Duration::from_secs(30));
        assert_eq!(run.code, 0, "{run:?}");
        let once = Pybench::new(dir.path()).run(&["--list", "libs/libsolver.so"]);
        assert_eq!(listed(&run.stdout).len(), listed(&once.stdout).len());
        assert!(!listed(&once.stdout).is_empty(), "{}", once.stdout);
    }
);

pbtest!(
    symlink_to_a_library_is_not_a_second_definition,
    |dir: TestDir, cmd: Pybench| {
        let libs = dir.path().join("libs");
        std::fs::create_dir_all(&libs).unwrap();
        std::fs::copy(c_example(), libs.join("libsolver.so")).unwrap();
        symlink("libsolver.so", libs.join("libalias.so")).unwrap();
        let run = cmd.run(&["--list", "libs"]);
        assert_eq!(run.code, 0, "{run:?}");
        let once = cmd.run(&["--list", "libs/libsolver.so"]);
        assert_eq!(listed(&run.stdout), listed(&once.stdout));
        // Named twice on the command line: still one library.
        let twice = cmd.run(&["--list", "libs/libalias.so", "libs/libsolver.so"]);
        assert_eq!(twice.code, 0, "{twice:?}");
    }
);

pbtest!(
    search_skips_git_ignored_hidden_and_target_directories,
    |repo: TestRepo, cmd: Pybench| {
        repo.write(".gitignore", b"ignored/\n");
        // Copies of one library: a search that entered any skipped
        // directory would find its benchmarks defined twice.
        for dir in ["found", "ignored", ".hidden", "target"] {
            std::fs::create_dir_all(repo.path().join(dir)).unwrap();
            std::fs::copy(c_example(), repo.path().join(dir).join("libsolver.so")).unwrap();
        }
        let run = cmd.run(&["--list", "-v", "."]);
        assert_eq!(run.code, 0, "{run:?}");
        for note in [
            "note: skipped ./.hidden: a hidden directory",
            "note: skipped ./ignored: ignored by git",
            "note: skipped ./target: build output (target/)",
        ] {
            assert!(
                run.stderr.lines().any(|l| l == note),
                "{note}: {}",
                run.stderr
            );
        }
    }
);

/// A benchmark crate at `dir`, depending on the authoring crate.
fn write_crate(dir: &std::path::Path) {
    std::fs::create_dir_all(dir.join("src")).unwrap();
    let manifest = format!(
        "[package]\nname = \"outside\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n\
         [lib]\ncrate-type = [\"cdylib\"]\n\n[dependencies]\npybench = {{ path = {:?} }}\n\n[workspace]\n",
        workspace().join("src/authoring").display().to_string()
    );
    std::fs::write(dir.join("Cargo.toml"), manifest).unwrap();
    std::fs::write(
        dir.join("src/lib.rs"),
        "pybench::bench! {\n    pub fn bench_outside(seed: u64) -> f64 {\n        (seed % 7) as f64\n    }\n}\n",
    )
    .unwrap();
}

pbtest!(
    search_outside_the_project_builds_no_package_and_v_says_why,
    |dir: TestDir, cmd: Pybench| {
        let elsewhere = TestDir::new("elsewhere");
        let pkg = elsewhere.path().join("pkg");
        write_crate(&pkg);
        let nobench = c_library("scope_nobench", "int helper(int x) { return x + 1; }\n");
        std::fs::copy(&nobench, elsewhere.path().join("libnobench.so")).unwrap();
        let target = elsewhere.path().join("target");
        let cmd_in = |args: &[&str]| Pybench::new(dir.path()).target_dir(&target).run(args);
        let searched = elsewhere.path().to_str().unwrap();
        let run = cmd.run(&[searched]);
        assert_eq!(run.code, 2, "{run:?}");
        assert_eq!(
            run.error_lines(),
            [format!(
                "error: no benchmarks found in {searched} (hint: a benchmark is an exported `bench_NAME` with its `pybench_meta_NAME` companion; -v lists every library and crate searched and why each was skipped)"
            )]
        );
        let verbose = cmd_in(&[searched, "-v"]);
        assert_eq!(verbose.code, 2, "{verbose:?}");
        for note in [
            format!("note: skipped {searched}/libnobench.so: no benchmarks"),
            format!(
                "note: skipped the Cargo package {searched}/pkg: outside the current workspace and repository (name it to build it)"
            ),
        ] {
            assert!(
                verbose.stderr.lines().any(|l| l == note),
                "{note}: {}",
                verbose.stderr
            );
        }
        assert!(!target.exists(), "nothing was built");
        // Named, it is built.
        let named = cmd_in(&["--list", pkg.to_str().unwrap()]);
        assert_eq!(named.code, 0, "{named:?}");
        assert!(
            named.stdout.starts_with("bench_outside "),
            "{}",
            named.stdout
        );
    }
);
