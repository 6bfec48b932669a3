//! Input pinning through the binary: a C and a Rust benchmark name their
//! data (a file, a directory, a glob); NEW records each input's SHA-256,
//! an unchanged check PASSes, and a changed file, a directory that grew, a
//! glob that gained a match or a missing file make that benchmark an ERROR
//! naming the input, while the library's other benchmark still runs.
//! `update` re-pins. The checks leave the tree clean.

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::fingerprint::read_like_the_python_tool;
use crate::util::{Run, TestRepo, baseline_bytes, baseline_path, bench_crate, c_benches};

const INPUTS: &str = r#"["data/train.csv", "data/corpus", "data/*.parquet"]"#;

/// The score both Rust benchmarks emit (the C ones emit the same).
const SCORE: &str = "0.5 + (seed % 97) as f64 / 1000.0";

/// A C library of `bench_pinned`, which names the three inputs, and
/// `bench_free`, which names none.
fn c_library_of_inputs() -> String {
    let pinned = format!(r#""n_seeds":6,"inputs":{INPUTS}"#);
    c_benches(
        "pinned_inputs",
        &[("pinned", &pinned), ("free", r#""n_seeds":6"#)],
        "0.5 + (double)(seed % 97) / 1000.0",
    )
}

/// A Rust benchmark crate at the root of `repo` with the same two
/// benchmarks, its inputs in `#[settings(...)]`.
fn write_rust_crate(repo: &TestRepo) {
    let lib_rs = format!(
        "pybench::bench! {{\n    #[settings(n_seeds = 6, inputs = {INPUTS})]\n    \
         pub fn bench_pinned(seed: u64) -> f64 {{ {SCORE} }}\n}}\n\
         pybench::bench! {{\n    #[settings(n_seeds = 6)]\n    \
         pub fn bench_free(seed: u64) -> f64 {{ {SCORE} }}\n}}\n"
    );
    bench_crate(repo, ".", "pinned", "", &lib_rs);
}

fn write_data(repo: &TestRepo) {
    repo.write("data/train.csv", b"x,y\n1,2\n");
    repo.write("data/corpus/a.txt", b"alpha");
    repo.write("data/corpus/sub/b.txt", b"beta");
    repo.write("data/x.parquet", b"x");
}

fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(bytes))
}

/// The stored line of `bench`.
fn stored_text(repo: &TestRepo, bench: &str) -> String {
    let text = std::fs::read_to_string(baseline_path(repo.path())).unwrap();
    text.lines()
        .find(|l| l.contains(&format!("\"bench\": \"{bench}\"")))
        .unwrap_or_else(|| panic!("no line for {bench} in {text}"))
        .to_string()
}

/// The stored line of `bench` as JSON.
pub fn stored_line(repo: &TestRepo, bench: &str) -> Value {
    serde_json::from_str(&stored_text(repo, bench)).unwrap()
}

fn is_dirty(repo: &TestRepo) -> bool {
    gix::open(repo.path()).unwrap().is_dirty().unwrap()
}

/// `bench_pinned` is an ERROR saying `what`, exit 2; `bench_free` still
/// PASSes; nothing was written and the tree is as committed once `undo`
/// restored the data.
fn assert_refused(repo: &TestRepo, run: &Run, what: &str, undo: impl FnOnce()) {
    assert_eq!(run.code, 2, "{run:?}");
    let line = run.line_of("bench_pinned");
    assert!(line.contains("ERROR"), "{line}");
    assert!(
        run.stdout.contains(what),
        "expected {what:?} in:\n{}",
        run.stdout
    );
    assert!(run.line_of("bench_free").contains("PASS"), "{}", run.stdout);
    undo();
    assert!(!is_dirty(repo), "a check changed the tree");
}

fn assert_pass(run: &Run) {
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.line_of("bench_pinned").contains("PASS"),
        "{}",
        run.stdout
    );
}

/// The whole story on `run` (a C library or a Rust crate): NEW pins,
/// unchanged PASS, four kinds of drift refused, `update` re-pins.
fn pin_and_drift(repo: &TestRepo, run: impl Fn(&[&str]) -> Run) {
    write_data(repo);
    let commit = repo.commit_all("sources and data")[..7].to_string();
    let first = run(&[]);
    assert_eq!(first.code, 0, "{first:?}");
    assert!(
        first.line_of("bench_pinned").contains("NEW"),
        "{}",
        first.stdout
    );
    let line = stored_line(repo, "bench_pinned");
    let inputs = &line["inputs"];
    assert_eq!(inputs["data/train.csv"]["sha256"], sha256(b"x,y\n1,2\n"));
    assert_eq!(inputs["data/corpus"]["files"]["sub/b.txt"], sha256(b"beta"));
    assert_eq!(
        inputs["data/*.parquet"]["files"]["data/x.parquet"],
        sha256(b"x")
    );
    assert!(stored_line(repo, "bench_free").get("inputs").is_none());
    // The Python tool reads the line as before: `inputs` is one more key
    // it ignores.
    let view = read_like_the_python_tool(&stored_text(repo, "bench_pinned"));
    assert_eq!(
        (view.bench.as_str(), view.n, view.seeds.len()),
        ("bench_pinned", 6, 6)
    );
    repo.commit_all("baseline");
    let stored = baseline_bytes(repo.path()).unwrap();
    assert_pass(&run(&[]));

    repo.write("data/train.csv", b"x,y\n1,3\n");
    let changed = format!(
        "input data/train.csv changed since the baseline (measured at {commit}); if intended, run `pybench update`"
    );
    assert_refused(repo, &run(&[]), &changed, || write_data(repo));

    repo.write("data/corpus/c.txt", b"gamma");
    let grew = "input data/corpus gained 1 file (c.txt) since the baseline";
    let remove = |rel: &str| std::fs::remove_file(repo.path().join(rel)).unwrap();
    assert_refused(repo, &run(&[]), grew, || remove("data/corpus/c.txt"));

    repo.write("data/y.parquet", b"y");
    let matched = "input data/*.parquet gained 1 file (data/y.parquet)";
    assert_refused(repo, &run(&[]), matched, || remove("data/y.parquet"));

    remove("data/train.csv");
    let missing = "input data/train.csv went missing since the baseline";
    assert_refused(repo, &run(&[]), missing, || write_data(repo));
    assert_eq!(
        baseline_bytes(repo.path()).unwrap(),
        stored,
        "checks write nothing"
    );
    assert_pass(&run(&[]));

    repo.write("data/corpus/c.txt", b"gamma");
    let updated = run(&["update", "--yes"]);
    assert_eq!(updated.code, 0, "{updated:?}");
    let line = stored_line(repo, "bench_pinned");
    assert_eq!(
        line["inputs"]["data/corpus"]["files"]["c.txt"],
        sha256(b"gamma")
    );
    assert_pass(&run(&[]));
}

pbtest!(
    a_c_benchmark_pins_its_inputs,
    |repo: TestRepo, cmd: Pybench| {
        let lib = c_library_of_inputs();
        pin_and_drift(&repo, |args| {
            let mut all = args.to_vec();
            all.push(&lib);
            cmd.run(&all)
        });
    }
);

pbtest!(
    a_rust_benchmark_pins_its_inputs,
    |repo: TestRepo, cmd: Pybench| {
        write_rust_crate(&repo);
        let cmd = cmd.own_target_dir();
        pin_and_drift(&repo, |args| {
            let mut all = args.to_vec();
            all.push(".");
            cmd.run(&all)
        });
    }
);
