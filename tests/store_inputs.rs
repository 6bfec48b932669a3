//! What pybench reads as its own files: a device node or FIFO given as the
//! baseline file, a shard file or a seed plan is refused with one line and
//! left alone (never read forever, never blocked on, never renamed over);
//! and a baseline file's oddities get accurate messages — a byte-order mark
//! is accepted, and empty, repeated or oversized seeds are named.
//!
//! The special files are made in each test's own directory (`mknod`,
//! `mkfifo`): the tests run as root and never point at the system's.

use std::os::unix::fs::FileTypeExt;
use std::path::Path;

use serde_json::Value;

use crate::store_safety::{assert_error, faults_arg, make_node, run_within};
use crate::util::{Pybench, TestDir, baseline_bytes, baseline_path};

/// A character device like /dev/null (1, 3) at `path`.
fn char_device(path: &Path) {
    make_node("mknod", path, &["c", "1", "3"]);
}

fn fifo(path: &Path) {
    make_node("mkfifo", path, &[]);
}

fn is_char_device(path: &Path) -> bool {
    std::fs::symlink_metadata(path)
        .unwrap()
        .file_type()
        .is_char_device()
}

fn is_fifo(path: &Path) -> bool {
    std::fs::symlink_metadata(path)
        .unwrap()
        .file_type()
        .is_fifo()
}

fn healthy_baseline(cmd: &Pybench) {
    let run = cmd.run(&[&faults_arg(), "--bench", "healthy"]);
    assert_eq!(run.code, 0, "{run:?}");
}

// Fault 4: `--baseline /dev/null` read as empty, and root renamed the
// temporary file over the device node.
pbtest!(
    char_device_as_baseline_is_refused_and_left_alone,
    |dir: TestDir, cmd: Pybench| {
        char_device(&dir.path().join("null"));
        let run = run_within(
            &cmd,
            &[&faults_arg(), "--bench", "healthy", "--baseline", "null"],
            120,
        );
        assert_error(
            &run,
            2,
            "error: cannot read baseline file null: it is a character device, not a regular file (hint: pass --baseline FILE naming a regular file",
        );
        assert!(is_char_device(&dir.path().join("null")));
    }
);

// Fault 4: a FIFO as the baseline file blocked the run forever.
pbtest!(
    fifo_as_baseline_is_refused_without_blocking,
    |dir: TestDir, cmd: Pybench| {
        fifo(&dir.path().join("fifo"));
        let run = run_within(
            &cmd,
            &[&faults_arg(), "--bench", "healthy", "--baseline", "fifo"],
            120,
        );
        assert_error(
            &run,
            2,
            "error: cannot read baseline file fifo: it is a FIFO, not a regular file (hint: ",
        );
        assert!(is_fifo(&dir.path().join("fifo")));
    }
);

// Fault 4: a special file among the shard files (merge reads it) or where a
// shard writes its file.
pbtest!(
    device_and_fifo_shard_files_are_refused,
    |dir: TestDir, cmd: Pybench| {
        healthy_baseline(&cmd);
        let before = baseline_bytes(dir.path()).unwrap();
        std::fs::create_dir(dir.path().join("shards")).unwrap();
        fifo(&dir.path().join("shards/bench_healthy.shard-1-of-1.json"));
        let run = run_within(&cmd, &["merge", "shards"], 120);
        assert_error(
            &run,
            2,
            "error: cannot read shards/bench_healthy.shard-1-of-1.json: it is a FIFO, not a regular file (hint: ",
        );
        assert_eq!(baseline_bytes(dir.path()).unwrap(), before);

        std::fs::create_dir(dir.path().join("out")).unwrap();
        let node = dir.path().join("out/bench_healthy.shard-1-of-1.json");
        char_device(&node);
        let faults = faults_arg();
        let args = [
            &faults, "--bench", "healthy", "--shard", "1/1", "--out", "out",
        ];
        let run = run_within(&cmd, &args, 120);
        assert_error(
            &run,
            2,
            "error: cannot write out/bench_healthy.shard-1-of-1.json: it is a character device, not a regular file (hint: ",
        );
        assert!(
            !run.stdout.contains("bench_healthy"),
            "nothing ran: {run:?}"
        );
        assert!(is_char_device(&node));
    }
);

// Fault 4: a special file as the seed plan (`--seed-plan`, `pybench seeds`).
pbtest!(
    device_and_fifo_seed_plans_are_refused,
    |dir: TestDir, cmd: Pybench| {
        fifo(&dir.path().join("plan-fifo"));
        let faults = faults_arg();
        let args = [
            &faults,
            "--bench",
            "healthy",
            "--shard",
            "1/2",
            "--out",
            "out",
            "--seed-plan",
            "plan-fifo",
        ];
        let run = run_within(&cmd, &args, 120);
        assert_error(
            &run,
            2,
            "error: cannot read plan-fifo: it is a FIFO, not a regular file (hint: ",
        );
        assert!(is_fifo(&dir.path().join("plan-fifo")));

        char_device(&dir.path().join("plan-dev"));
        let args = [
            "seeds",
            &faults,
            "--bench",
            "healthy",
            "--seed-plan",
            "plan-dev",
        ];
        let run = run_within(&cmd, &args, 120);
        assert_error(
            &run,
            2,
            "error: cannot read plan-dev: it is a character device, not a regular file (hint: ",
        );
        assert!(is_char_device(&dir.path().join("plan-dev")));
        assert!(!dir.path().join("out").exists());
    }
);

/// Rewrite the `seeds` of the file's first line with `edit`.
fn edit_seeds(dir: &Path, edit: impl FnOnce(&mut Vec<Value>)) {
    let path = baseline_path(dir);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut line: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    let seeds = line["seeds"].as_array_mut().unwrap();
    edit(seeds);
    std::fs::write(&path, format!("{line}\n")).unwrap();
}

// Fault 5: a byte-order mark gave "expected value at line 1 column 1".
pbtest!(
    baseline_file_with_a_utf8_bom_is_read_and_keeps_it,
    |dir: TestDir, cmd: Pybench| {
        healthy_baseline(&cmd);
        let path = baseline_path(dir.path());
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend(std::fs::read(&path).unwrap());
        std::fs::write(&path, &bytes).unwrap();
        let run = cmd.run(&[&faults_arg(), "--bench", "healthy", "--bench", "noisy"]);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(run.line_of("bench_healthy").contains(" PASS "), "{run:?}");
        let after = std::fs::read(&path).unwrap();
        assert!(after.starts_with(&bytes), "BOM and line kept");
        assert!(after[bytes.len()..].starts_with(b"{\"bench\": \"bench_noisy\""));
    }
);

// Fault 5: an empty `seeds` list said "alpha can never flag".
pbtest!(
    baseline_with_no_seeds_says_so,
    |dir: TestDir, cmd: Pybench| {
        healthy_baseline(&cmd);
        let path = baseline_path(dir.path());
        let text = std::fs::read_to_string(&path).unwrap();
        let mut line: Value = serde_json::from_str(text.trim_end()).unwrap();
        line["seeds"] = Value::Array(Vec::new());
        line["n"] = Value::from(0);
        // The slots stay, each with no values: the shape that used to pass
        // as a baseline and then say "alpha can never flag".
        for metrics in line["scores"].as_object_mut().unwrap().values_mut() {
            for values in metrics.as_object_mut().unwrap().values_mut() {
                *values = Value::Array(Vec::new());
            }
        }
        std::fs::write(&path, format!("{line}\n")).unwrap();
        let run = cmd.run(&[&faults_arg(), "--bench", "healthy"]);
        assert_error(
            &run,
            2,
            "error: malformed baseline at .pybench/baselines.jsonl:1: `seeds` is empty: the baseline has no seeds (hint: ",
        );
        assert!(!run.stdout.contains("can never flag"), "{run:?}");
    }
);

// Fault 5: a seed listed twice was accepted silently.
pbtest!(
    baseline_with_a_duplicate_seed_names_it,
    |dir: TestDir, cmd: Pybench| {
        healthy_baseline(&cmd);
        let mut twice = 0;
        edit_seeds(dir.path(), |seeds| {
            seeds[0] = seeds[1].clone();
            twice = seeds[1].as_u64().unwrap();
        });
        let run = cmd.run(&[&faults_arg(), "--bench", "healthy"]);
        assert_error(
            &run,
            2,
            &format!(
                "error: malformed baseline at .pybench/baselines.jsonl:1: seed {twice} appears twice in `seeds` (hint: "
            ),
        );
    }
);

// Fault 5: a seed of 2^32 or more was accepted silently.
pbtest!(
    baseline_with_a_seed_of_2_pow_32_names_it,
    |dir: TestDir, cmd: Pybench| {
        healthy_baseline(&cmd);
        edit_seeds(dir.path(), |seeds| seeds[3] = Value::from(1u64 << 32));
        let run = cmd.run(&[&faults_arg(), "--bench", "healthy"]);
        assert_error(
            &run,
            2,
            "error: malformed baseline at .pybench/baselines.jsonl:1: seed 4294967296 in `seeds` is not below 2^32",
        );
    }
);

// A FIFO given to `compare` blocked it forever.
pbtest!(
    fifo_given_to_compare_is_refused_without_blocking,
    |dir: TestDir, cmd: Pybench| {
        healthy_baseline(&cmd);
        fifo(&dir.path().join("run-b"));
        let run = run_within(&cmd, &["compare", ".pybench/baselines.jsonl", "run-b"], 120);
        assert_error(
            &run,
            2,
            "error: cannot compare run-b: it is a FIFO, not a regular file",
        );
        assert!(is_fifo(&dir.path().join("run-b")));
    }
);
