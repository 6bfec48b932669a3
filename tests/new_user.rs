//! What a new user trips on: the messages and output details of issue 25
//! (quiet runs, typo hints, number formatting, ...), each through the real
//! binary.

use crate::util::{Pybench, Run, TestRepo};
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
