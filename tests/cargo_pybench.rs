//! `cargo pybench [ARGS]` works like `pybench [ARGS]`: cargo finds the
//! `cargo-pybench` binary on the PATH and runs it as `cargo-pybench pybench
//! ARGS`.

use std::path::Path;
use std::process::Command;

use crate::util::{TestRepo, synthetic};

fn cargo_pybench(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let bin = Path::new(env!("CARGO_BIN_EXE_cargo-pybench"));
    let path = std::env::join_paths(std::iter::once(bin.parent().unwrap().to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    let output = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .arg("pybench")
        .args(args)
        .current_dir(dir)
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .env("PYBENCH_SEED_ENTROPY", "20261123")
        .output()
        .expect("run cargo");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

pbtest!(cargo_pybench_runs_like_pybench, |repo: TestRepo| {
    let path = synthetic();
    let path = path.to_str().unwrap();
    let (code, stdout, stderr) = cargo_pybench(repo.path(), &[path]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains("bench_synthetic   .......... NEW"),
        "{stdout}"
    );
    repo.commit_all("baseline");
    let (code, stdout, stderr) = cargo_pybench(repo.path(), &[path]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains("bench_synthetic   .......... PASS"),
        "{stdout}"
    );
    let (code, stdout, _) = cargo_pybench(repo.path(), &[path, "--family", "none"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("0 failed, 1 passed"), "{stdout}");
});

pbtest!(cargo_pybench_regression_exits_1, |repo: TestRepo| {
    let path = synthetic();
    let path = path.to_str().unwrap();
    assert_eq!(cargo_pybench(repo.path(), &[path]).0, 0);
    repo.commit_all("baseline");
    // The worker processes are cargo-pybench too; a regression still FAILs.
    let bin = Path::new(env!("CARGO_BIN_EXE_cargo-pybench"));
    let output = Command::new(bin)
        .args(["pybench", path])
        .current_dir(repo.path())
        .env("NO_COLOR", "1")
        .env("PYBENCH_SYNTHETIC_REGRESS", "global")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains(" FAIL "), "{stdout}");
});
