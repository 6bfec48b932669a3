//! Faults in loading a library or in its `pybench_meta_*` companions
//! (`tests/fixtures/c/load_fault.c`). None of a library's code runs in
//! pybench itself: a describe worker loads it, so such a library becomes one
//! ERROR naming it and the cause, every other benchmark is still judged, and
//! a FAIL elsewhere still exits 1.

use std::path::PathBuf;

use crate::util::{Pybench, Run, TestDir, baseline_bytes, c_library, workspace};

fn fixture(file: &str) -> String {
    std::fs::read_to_string(workspace().join("tests/fixtures/c").join(file)).unwrap()
}

/// `load_fault.c` compiled with `#define {define}`.
fn load_fault(define: &str) -> PathBuf {
    let name = format!("load_{}", define.to_lowercase());
    c_library(
        &name,
        &format!("#define {define}\n{}", fixture("load_fault.c")),
    )
}

/// `bench_drift`, its scores lowered by `shift`.
fn drift(tag: &str, shift: &str) -> PathBuf {
    let source = format!("#define SHIFT {shift}\n{}", fixture("drift.c"));
    c_library(&format!("drift_{tag}"), &source)
}

/// A benchmark that never changes.
fn steady() -> PathBuf {
    c_library(
        "steady",
        "#include \"pybench.h\"\n#include <string.h>\nPYBENCH_META(steady, \"{\\\"abi\\\":1,\\\"n_seeds\\\":8}\")\nPYBENCH_EXPORT int32_t bench_steady(uint64_t seed, void *ctx, pybench_emit emit) { const char *s = (seed % 2) ? \"0.5\" : \"0.25\"; emit(ctx, (const uint8_t *)s, strlen(s)); return 0; }\n",
    )
}

fn text(path: &std::path::Path) -> &str {
    path.to_str().unwrap()
}

/// The library's ERROR line names it and the cause.
fn assert_library_error(run: &Run, library: &std::path::Path, cause: &str) {
    let line = run.line_of(&format!("`{}`", library.display()));
    assert!(line.contains(" ERROR "), "{line}");
    assert!(line.contains(cause), "names the cause {cause:?}: {line}");
    assert!(
        !run.stderr.contains("RUST_BACKTRACE"),
        "pybench itself never panics: {}",
        run.stderr
    );
}

/// `define`'s library beside a steady benchmark and `bench_drift`, both
/// with a baseline: with no regression the run exits 2 with the library's
/// ERROR; with `bench_drift` regressed it FAILs and the run exits 1.
fn library_fault(dir: &TestDir, cmd: &Pybench, define: &str, cause: &str, flags: &[&str]) {
    let (steady, base, regressed) = (steady(), drift("base", "0"), drift("regressed", "0.5"));
    let fault = load_fault(define);
    let first = cmd.run(&[text(&steady), text(&base)]);
    assert_eq!(first.code, 0, "{first:?}");
    let bytes = baseline_bytes(dir.path()).unwrap();

    let run = cmd.run(&[&[text(&steady), text(&base), text(&fault)], flags].concat());
    assert_eq!(run.code, 2, "{run:?}");
    assert_library_error(&run, &fault, cause);
    assert!(run.line_of("bench_steady").contains(" PASS "), "{run:?}");
    assert!(run.line_of("bench_drift").contains(" PASS "), "{run:?}");
    assert!(
        run.stdout
            .contains("\n0 failed, 2 passed, 0 new, 1 error  ("),
        "{}",
        run.stdout
    );

    let run = cmd.run(&[&[text(&steady), text(&regressed), text(&fault)], flags].concat());
    assert_eq!(run.code, 1, "a FAIL exits 1 whatever else failed: {run:?}");
    assert_library_error(&run, &fault, cause);
    assert!(run.line_of("bench_drift").contains(" FAIL "), "{run:?}");
    assert!(run.line_of("bench_steady").contains(" PASS "), "{run:?}");
    assert_eq!(baseline_bytes(dir.path()).unwrap(), bytes, "baseline kept");
}

pbtest!(
    constructor_exit0_becomes_error_and_fail_still_exits_1,
    |dir: TestDir, cmd: Pybench| {
        library_fault(
            &dir,
            &cmd,
            "FAULT_CTOR_EXIT",
            "library failed while loading: the worker process exited with code 0",
            &[],
        );
    }
);

pbtest!(
    constructor_segfault_becomes_error_and_fail_still_exits_1,
    |dir: TestDir, cmd: Pybench| {
        library_fault(
            &dir,
            &cmd,
            "FAULT_CTOR_SEGV",
            "library failed while loading: the worker process was killed by SIGSEGV",
            &[],
        );
    }
);

pbtest!(
    companion_exit0_becomes_error_and_fail_still_exits_1,
    |dir: TestDir, cmd: Pybench| {
        library_fault(
            &dir,
            &cmd,
            "FAULT_META_EXIT",
            "library failed in pybench_meta_loadfault: the worker process exited with code 0",
            &[],
        );
    }
);

pbtest!(
    companion_infinite_loop_times_out_and_fail_still_exits_1,
    |dir: TestDir, cmd: Pybench| {
        library_fault(
            &dir,
            &cmd,
            "FAULT_META_LOOP",
            "library failed in pybench_meta_loadfault: timed out after 1 s",
            &["--timeout", "1"],
        );
    }
);

pbtest!(
    constructor_exit0_in_a_listed_library_is_shown_by_list,
    |dir: TestDir, cmd: Pybench| {
        let fault = load_fault("FAULT_CTOR_EXIT");
        let run = cmd.run(&[text(&steady()), text(&fault), "--list"]);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(run.stdout.contains("bench_steady  n_seeds=8"), "{run:?}");
        let line = run.line_of(&format!("`{}`", fault.display()));
        assert!(line.contains("library failed while loading"), "{line}");
    }
);

pbtest!(
    constructor_exit0_in_a_shard_is_an_error_naming_the_library,
    |dir: TestDir, cmd: Pybench| {
        let fault = load_fault("FAULT_CTOR_EXIT");
        let run = cmd.run(&[
            text(&steady()),
            text(&fault),
            "--shard",
            "1/2",
            "--out",
            "out",
        ]);
        assert_eq!(run.code, 2, "{run:?}");
        let errors = run.error_lines();
        assert_eq!(errors.len(), 1, "{run:?}");
        assert!(
            errors[0].starts_with(&format!(
                "error: {}: library failed while loading: the worker process exited with code 0",
                fault.display()
            )),
            "{run:?}"
        );
        assert!(!dir.path().join("out").exists(), "no shard file written");
    }
);
