//! Baseline files written by the Python pybench 0.1.0 (copied from the
//! reference into tests/fixtures) are read and shown unchanged.

use crate::util::{Pybench, TestDir, workspace};

fn show(dir: &TestDir, cmd: &Pybench, fixture: &str) -> (String, Vec<u8>) {
    let bytes = std::fs::read(workspace().join("tests/fixtures").join(fixture)).unwrap();
    std::fs::create_dir_all(dir.path().join(".pybench")).unwrap();
    let path = dir.path().join(".pybench/baselines.jsonl");
    std::fs::write(&path, &bytes).unwrap();
    let run = cmd.run(&["show"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(std::fs::read(&path).unwrap(), bytes, "show never writes");
    (run.stdout, bytes)
}

pbtest!(clean_reference_baseline, |dir: TestDir, cmd: Pybench| {
    let (stdout, _) = show(&dir, &cmd, "baselines.reference-2.jsonl");
    assert_eq!(
        stdout,
        "bench_synthetic  measured at 47fc140  2026-11-23  30 seeds\n  min:loss@1: 1.06  min:loss@30: 0.457  min:loss@100: 0.150\n"
    );
});

pbtest!(dirty_reference_baseline, |dir: TestDir, cmd: Pybench| {
    let (stdout, _) = show(&dir, &cmd, "baselines.reference.jsonl");
    let first = stdout.lines().next().unwrap();
    assert_eq!(
        first,
        "bench_synthetic  measured at 55efb67  2026-06-25  30 seeds ⚠ dirty"
    );
    assert!(stdout.lines().nth(1).unwrap().starts_with("  min:loss@1: "));
});
