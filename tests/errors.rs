//! Bad inputs: each is one `error:` line (or one ERROR benchmark line) with
//! exit code 2, and the baseline file's bytes stay as they were.

use crate::util::{
    Pybench, Run, TestDir, baseline_bytes, baseline_path, c_library, faults, synthetic,
};

/// Gives `dir` a synthetic baseline; returns that baseline's bytes.
fn with_baseline(dir: &TestDir, cmd: &Pybench) -> Vec<u8> {
    let run = cmd.run(&[synthetic().to_str().unwrap()]);
    assert_eq!(run.code, 0, "{run:?}");
    baseline_bytes(dir.path()).unwrap()
}

fn assert_one_error(run: &Run, starts_with: &str) {
    assert_eq!(run.code, 2, "{run:?}");
    let errors = run.error_lines();
    assert_eq!(errors.len(), 1, "exactly one error line: {}", run.stderr);
    assert!(errors[0].starts_with(starts_with), "{}", errors[0]);
    assert!(errors[0].contains("(hint: "), "a hint: {}", errors[0]);
    assert!(
        !run.stderr.contains("panicked"),
        "no Rust panic: {}",
        run.stderr
    );
}

pbtest!(missing_path, |dir: TestDir, cmd: Pybench| {
    let bytes = with_baseline(&dir, &cmd);
    let run = cmd.run(&["nonexist"]);
    assert_one_error(&run, "error: path does not exist: nonexist");
    assert_eq!(baseline_bytes(dir.path()).unwrap(), bytes);
});

pbtest!(default_path_is_benchmarks, |dir: TestDir, cmd: Pybench| {
    let run = cmd.run(&[]);
    assert_one_error(&run, "error: nothing to benchmark in ");
    std::fs::create_dir(dir.path().join("benchmarks")).unwrap();
    std::fs::copy(
        crate::util::c_example(),
        dir.path().join("benchmarks/libsolver.so"),
    )
    .unwrap();
    let run = cmd.run(&["--list"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("  benchmarks/libsolver.so"),
        "{}",
        run.stdout
    );
});

pbtest!(unknown_bench, |dir: TestDir, cmd: Pybench| {
    let bytes = with_baseline(&dir, &cmd);
    let run = cmd.run(&[synthetic().to_str().unwrap(), "--bench", "bench_nope"]);
    assert_one_error(&run, "error: no benchmark matches --bench bench_nope");
    assert_eq!(baseline_bytes(dir.path()).unwrap(), bytes);
});

pbtest!(
    bench_selects_by_either_name,
    |dir: TestDir, cmd: Pybench| {
        let faults = faults();
        let run = cmd.run(&[faults.to_str().unwrap(), "--bench", "healthy"]);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(run.stdout.contains("pybench — 1 benchmark discovered"));
        assert!(run.line_of("bench_healthy").contains(" NEW "));
    }
);

pbtest!(benchmark_defined_twice, |dir: TestDir, cmd: Pybench| {
    let bytes = with_baseline(&dir, &cmd);
    let source = r#"#include "pybench.h"
PYBENCH_META(twin, "{\"abi\":1}")
PYBENCH_EXPORT int32_t bench_twin(uint64_t seed, void *ctx, pybench_emit emit) {
    (void)seed; emit(ctx, (const uint8_t *)"1", 1); return 0;
}
"#;
    let copies = TestDir::new("copies");
    for name in ["twin_a", "twin_b"] {
        let lib = c_library(name, source);
        std::fs::copy(&lib, copies.path().join(lib.file_name().unwrap())).unwrap();
    }
    let run = cmd.run(&[copies.path().to_str().unwrap()]);
    assert_one_error(&run, "error: benchmark `bench_twin` is defined twice: in ");
    assert_eq!(baseline_bytes(dir.path()).unwrap(), bytes);
});

pbtest!(library_without_benchmarks, |dir: TestDir, cmd: Pybench| {
    let lib = c_library("nobench", "int helper(int x) { return x + 1; }\n");
    let run = cmd.run(&[lib.to_str().unwrap()]);
    assert_one_error(&run, "error: ");
    assert!(run.error_lines()[0].contains("exports no benchmarks"));
});

pbtest!(
    bench_export_without_companion_is_skipped,
    |dir: TestDir, cmd: Pybench| {
        let lib = c_library(
            "nocompanion",
            r#"#include "pybench.h"
PYBENCH_EXPORT int32_t bench_orphan(uint64_t seed, void *ctx, pybench_emit emit) {
    (void)seed; emit(ctx, (const uint8_t *)"1", 1); return 0;
}
PYBENCH_META(real, "{\"abi\":1,\"n_seeds\":6}")
PYBENCH_EXPORT int32_t bench_real(uint64_t seed, void *ctx, pybench_emit emit) {
    char s[32]; int n = snprintf(s, sizeof s, "%llu", (unsigned long long)(seed % 97));
    emit(ctx, (const uint8_t *)s, (size_t)n); return 0;
}
"#
            .replace(
                "#include \"pybench.h\"",
                "#include <stdio.h>\n#include \"pybench.h\"",
            )
            .as_str(),
        );
        let run = cmd.run(&[lib.to_str().unwrap(), "-v"]);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(
            run.stdout.contains("pybench — 1 benchmark discovered"),
            "{}",
            run.stdout
        );
        assert!(run.line_of("bench_real").contains(" NEW "));
        assert!(
            run.stderr.contains("bench_orphan") && run.stderr.contains("not a benchmark"),
            "{}",
            run.stderr
        );
    }
);

pbtest!(
    too_few_seeds_says_the_smallest_n_seeds_that_can_reach_alpha,
    |dir: TestDir, cmd: Pybench| {
        let bytes = with_baseline(&dir, &cmd);
        let run = cmd.run(&["update", synthetic().to_str().unwrap(), "--n-seeds", "4"]);
        assert_eq!(run.code, 2, "{run:?}");
        assert!(
        run.stdout
            .contains("alpha=0.05 can never flag a regression with n_seeds=4: the smallest n_seeds that can is 5"),
        "{}",
        run.stdout
    );
        assert_eq!(baseline_bytes(dir.path()).unwrap(), bytes);
    }
);

pbtest!(
    slots_that_differ_from_the_baseline,
    |dir: TestDir, cmd: Pybench| {
        with_baseline(&dir, &cmd);
        let path = baseline_path(dir.path());
        let edited = String::from_utf8(std::fs::read(&path).unwrap())
            .unwrap()
            .replace("\"100\":", "\"99\":");
        std::fs::write(&path, &edited).unwrap();
        let run = cmd.run(&[synthetic().to_str().unwrap()]);
        assert_eq!(run.code, 2, "{run:?}");
        let line = run.line_of("bench_synthetic");
        assert!(line.contains(" ERROR "), "{line}");
        assert!(
            line.ends_with("Re-run `pybench update` to reset."),
            "{line}"
        );
        assert!(
            line.contains("missing min:loss@99") && line.contains("unexpected min:loss@100"),
            "{line}"
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), edited);
    }
);

pbtest!(malformed_baseline_line, |dir: TestDir, cmd: Pybench| {
    with_baseline(&dir, &cmd);
    let path = baseline_path(dir.path());
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str("{\"bench\": \"bench_broken\", \"seeds\": [1, 2]\n");
    std::fs::write(&path, &text).unwrap();
    let run = cmd.run(&[synthetic().to_str().unwrap()]);
    let shown = path
        .strip_prefix(dir.path())
        .unwrap_or(&path)
        .display()
        .to_string();
    assert_one_error(&run, &format!("error: malformed baseline at {shown}:2: "));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
});

pbtest!(
    faulty_benchmarks_are_errors_and_the_others_still_run,
    |dir: TestDir, cmd: Pybench| {
        let faults = faults();
        let mut args = vec![faults.to_str().unwrap()];
        for bench in ["healthy", "nan", "panics", "errors", "shifting_slots"] {
            args.extend(["--bench", bench]);
        }
        let run = cmd.run(&args);
        assert_eq!(run.code, 2, "{run:?}");
        assert!(
            run.stdout.contains("pybench — 5 benchmarks discovered"),
            "{}",
            run.stdout
        );
        let nan = run.line_of("bench_nan");
        assert!(
            nan.contains(" ERROR ")
                && nan.contains("seed ")
                && nan.ends_with("metric `min:loss` is NaN, expected a finite number"),
            "{nan}"
        );
        let panics = run.line_of("bench_panics");
        assert!(
            panics.contains(" ERROR   seed ")
                && panics.contains("panicked: index out of range for seed "),
            "{panics}"
        );
        let errors = run.line_of("bench_errors");
        assert!(
            errors.contains(" ERROR   seed ") && errors.contains("dataset shard"),
            "{errors}"
        );
        let shifting = run.line_of("bench_shifting_slots");
        assert!(shifting.contains("slots differ from seed"), "{shifting}");
        assert!(run.line_of("bench_healthy").contains(" NEW "));
        assert!(
            run.stdout
                .contains("0 failed, 0 passed, 1 new, 4 errors  in "),
            "{}",
            run.stdout
        );
        assert!(
            !run.stderr.contains("panicked"),
            "the panic message is not printed raw: {}",
            run.stderr
        );
        // Only the healthy benchmark got a baseline.
        let text = std::fs::read_to_string(baseline_path(dir.path())).unwrap();
        assert_eq!(text.lines().count(), 1);
        assert!(text.starts_with("{\"bench\": \"bench_healthy\""));
    }
);

/// A C benchmark `bench_{name}` with companion settings `meta` (JSON),
/// scoring `seed % 97` under `metric`; `PB_REGRESS` set makes it 50 worse.
pub fn scored_library(name: &str, meta: &str, metric: &str) -> std::path::PathBuf {
    let c_string = |text: &str| text.replace('\\', "\\\\").replace('"', "\\\"");
    c_library(
        name,
        &format!(
            r#"#include <stdio.h>
#include <stdlib.h>
#include "pybench.h"
PYBENCH_META({name}, "{meta}")
PYBENCH_EXPORT int32_t bench_{name}(uint64_t seed, void *ctx, pybench_emit emit) {{
    char s[256];
    double worse = getenv("PB_REGRESS") ? 50.0 : 0.0;
    int n = snprintf(s, sizeof s, "{{\"%s\": %.1f}}", "{metric}", (double)(seed % 97) + worse);
    emit(ctx, (const uint8_t *)s, (size_t)n); return 0;
}}
"#,
            meta = c_string(meta),
            metric = c_string(metric),
        ),
    )
}

/// A usage error of clap's or ours: exit 2, one `error:` line containing
/// `text`, and no panic.
pub fn assert_usage_error(run: &Run, text: &str) {
    assert_eq!(run.code, 2, "{run:?}");
    let errors = run.error_lines();
    assert_eq!(errors.len(), 1, "exactly one error line: {}", run.stderr);
    assert!(errors[0].contains(text), "{text:?} in {}", errors[0]);
    assert!(
        !run.stderr.contains("panicked"),
        "no Rust panic: {}",
        run.stderr
    );
}

/// A benchmark with unusable settings: exit 2, its one ERROR line says
/// `cause`, and nothing panics.
fn assert_bench_error(run: &Run, bench: &str, cause: &str) {
    assert_eq!(run.code, 2, "{run:?}");
    let line = run.line_of(bench);
    assert!(line.contains(" ERROR   "), "{line}");
    assert!(line.ends_with(cause), "{cause:?} ending {line}");
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert!(
        !run.stdout.contains(&"0".repeat(20)),
        "compact: {}",
        run.stdout
    );
}

pbtest!(
    timeout_1e300_in_meta_json_panicked,
    |dir: TestDir, cmd: Pybench| {
        let lib = scored_library(
            "timeout_huge",
            r#"{"abi":1,"n_seeds":8,"timeout":1e300}"#,
            "min:loss",
        );
        let run = cmd.run(&[lib.to_str().unwrap()]);
        assert_bench_error(
            &run,
            "bench_timeout_huge",
            "timeout=1e300 must be a positive number of seconds, at most 604800 (a week)",
        );
        assert!(baseline_bytes(dir.path()).is_none());
    }
);

pbtest!(timeout_flag_1e20_panicked, |dir: TestDir, cmd: Pybench| {
    let lib = scored_library("settings_ok", r#"{"abi":1,"n_seeds":8}"#, "min:loss");
    let run = cmd.run(&[lib.to_str().unwrap(), "--timeout", "1e20"]);
    assert_usage_error(
        &run,
        "timeout=1e20 must be a positive number of seconds, at most 604800 (a week)",
    );
    assert!(baseline_bytes(dir.path()).is_none());
});

pbtest!(
    n_seeds_1e9_in_meta_json_was_unbounded,
    |dir: TestDir, cmd: Pybench| {
        let lib = scored_library(
            "seeds_billion",
            r#"{"abi":1,"n_seeds":1000000000}"#,
            "min:loss",
        );
        let run = cmd.run(&[lib.to_str().unwrap()]);
        assert_bench_error(
            &run,
            "bench_seeds_billion",
            "n_seeds=1000000000 is too many: at most 100000 are allowed",
        );
    }
);

pbtest!(
    n_seeds_2_pow_64_minus_1_in_meta_json_was_unbounded,
    |dir: TestDir, cmd: Pybench| {
        let lib = scored_library(
            "seeds_max",
            r#"{"abi":1,"n_seeds":18446744073709551615}"#,
            "min:loss",
        );
        let run = cmd.run(&[lib.to_str().unwrap()]);
        assert_bench_error(
            &run,
            "bench_seeds_max",
            "n_seeds=18446744073709551615 is too many: at most 100000 are allowed",
        );
    }
);

pbtest!(
    update_n_seeds_4294967295_was_unbounded,
    |dir: TestDir, cmd: Pybench| {
        let lib = scored_library("settings_ok", r#"{"abi":1,"n_seeds":8}"#, "min:loss");
        let lib = lib.to_str().unwrap();
        let run = cmd.run(&["update", lib, "--n-seeds", "4294967295"]);
        assert_usage_error(
            &run,
            "n_seeds=4294967295 is too many: at most 100000 are allowed",
        );
        assert!(baseline_bytes(dir.path()).is_none());
    }
);

pbtest!(
    workers_5000_for_8_seeds_were_unbounded,
    |dir: TestDir, cmd: Pybench| {
        let lib = scored_library("settings_ok", r#"{"abi":1,"n_seeds":8}"#, "min:loss");
        let lib = lib.to_str().unwrap();
        let run = cmd.run(&[lib, "-j", "5000"]);
        assert_usage_error(&run, "workers=5000 is too many: at most 1024 are allowed");
        // The most workers allowed, for 8 seeds: 8 run, at once.
        let started = std::time::Instant::now();
        let run = cmd.run(&[lib, "-j", "1024"]);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(run.line_of("bench_settings_ok").contains(" NEW "));
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "took {:?}",
            started.elapsed()
        );
        // And declared by the benchmark: its one ERROR line.
        let declared = scored_library(
            "workers_many",
            r#"{"abi":1,"n_seeds":8,"workers":5000}"#,
            "min:loss",
        );
        let run = cmd.run(&[declared.to_str().unwrap()]);
        assert_bench_error(
            &run,
            "bench_workers_many",
            "workers=5000 is too many: at most 1024 are allowed",
        );
    }
);
