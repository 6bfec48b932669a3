//! The common mistakes of a first benchmark crate, each with a message that
//! says what to do: a function not named `bench_`, `#[settings]` after a
//! doc comment, too few seeds. (A crate without a cdylib: workspace.rs.)

use std::path::Path;

use crate::util::{Pybench, TestDir, workspace};

/// A benchmark crate at `dir` whose `src/lib.rs` is `source`.
fn write_crate(dir: &Path, source: &str) {
    std::fs::create_dir_all(dir.join("src")).unwrap();
    let manifest = format!(
        "[package]\nname = \"hint\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n\
         [lib]\ncrate-type = [\"cdylib\"]\n\n[dependencies]\npybench = {{ path = {:?} }}\n\n[workspace]\n",
        workspace().join("src/authoring").display().to_string()
    );
    std::fs::write(dir.join("Cargo.toml"), manifest).unwrap();
    std::fs::write(dir.join("src/lib.rs"), source).unwrap();
}

pbtest!(
    bench_function_not_named_bench_is_a_compile_error_naming_the_fix,
    |dir: TestDir| {
        write_crate(
            &dir.path().join("hint"),
            "pybench::bench! {\n    pub fn training(seed: u64) -> f64 {\n        seed as f64\n    }\n}\n",
        );
        let run = Pybench::new(dir.path()).own_target_dir().run(&["hint"]);
        assert_eq!(run.code, 2, "{run:?}");
        assert!(
            run.stderr.contains(
                "pybench::bench!: `training` must be named `bench_training`: pybench runs only functions whose name starts with `bench_`"
            ),
            "{}",
            run.stderr
        );
        assert_eq!(
            run.error_lines().last().copied(),
            Some(
                "error: cargo build failed for hint (exit status: 101) (hint: fix the build errors above)"
            )
        );
    }
);

pbtest!(
    settings_after_a_doc_comment_apply_and_too_few_seeds_say_how_many,
    |dir: TestDir| {
        write_crate(
            &dir.path().join("hint"),
            "pybench::bench! {
    /// What this measures.
    #[settings(n_seeds = 4)]
    #[inline]
    pub fn bench_documented(seed: u64) -> f64 {
        (seed % 13) as f64
    }
}
",
        );
        let cmd = Pybench::new(dir.path()).own_target_dir();
        let list = cmd.run(&["hint", "--list"]);
        assert_eq!(list.code, 0, "{list:?}");
        assert!(
            list.stdout.starts_with("bench_documented  n_seeds=4  "),
            "{}",
            list.stdout
        );
        let run = cmd.run(&["hint"]);
        assert_eq!(run.code, 2, "{run:?}");
        assert!(
            run.line_of("bench_documented").ends_with(
                " ERROR   alpha=0.05 can never flag a regression with n_seeds=4: the smallest n_seeds that can is 5"
            ),
            "{}",
            run.stdout
        );
    }
);

pbtest!(
    settings_that_are_not_literals_name_the_expected_form,
    |dir: TestDir| {
        write_crate(
            &dir.path().join("hint"),
            "pybench::bench! {\n    #[settings(n_seeds = 2 * 10)]\n    pub fn bench_x(seed: u64) -> f64 {\n        seed as f64\n    }\n}\n",
        );
        let run = Pybench::new(dir.path()).own_target_dir().run(&["hint"]);
        assert_eq!(run.code, 2, "{run:?}");
        assert!(
            run.stderr
                .contains("pybench::bench! expects `#[settings(key = literal, ...)]`"),
            "{}",
            run.stderr
        );
    }
);
