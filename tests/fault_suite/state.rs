//! Faults in the run's own state and settings rather than in a benchmark:
//! one baseline file named two ways, special files where pybench keeps its
//! caches, and a run-level correction no benchmark could ever fail. Each
//! ends in a clear line and an exit code, never a hang, a lost update or a
//! gate that cannot fail.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use pybench_cli::store::fingerprint::hash_bytes;

use crate::store_safety::{make_node, run_within};
use crate::util::{Pybench, Run, TestDir, TestRepo, baseline_bytes, baseline_path, c_library};

pbtest!(
    a_correction_no_benchmark_can_fail_is_an_error,
    |repo: TestRepo, cmd: Pybench| {
        let lib = crate::family::many_with_seeds(8);
        assert_eq!(cmd.run(&[&lib]).code, 0);
        repo.commit_all("eight seeds");
        let before = baseline_bytes(repo.path()).unwrap();
        let run = cmd.run_env(&[&lib], &[("PYBENCH_MANY_REGRESS", "b03")]);
        assert_eq!(run.code, 2, "the gate could not fail: {run:?}");
        assert!(
            run.line_of("bench_b03")
                .contains(" ERROR   8 seeds can never reach the corrected threshold 0.0025"),
            "{}",
            run.stdout
        );
        assert!(!run.stdout.contains(" PASS "), "{}", run.stdout);
        assert_eq!(baseline_bytes(repo.path()).unwrap(), before);
    }
);

/// One benchmark, `bench_{name}`, whose first seed touches the file
/// `$PYBENCH_HELD_MARK` names and then waits (20 s at most) until the file
/// `$PYBENCH_HELD_RELEASE` names exists: a run that holds its lock for as
/// long as the test needs.
fn held_library(name: &str) -> String {
    let source = format!(
        r#"#include "pybench.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
PYBENCH_META({name}, "{{\"abi\":1,\"n_seeds\":6}}")
PYBENCH_EXPORT int32_t bench_{name}(uint64_t seed, void *ctx, pybench_emit emit) {{
    const char *mark = getenv("PYBENCH_HELD_MARK");
    const char *release = getenv("PYBENCH_HELD_RELEASE");
    if (mark) {{ FILE *f = fopen(mark, "w"); if (f) fclose(f); }}
    for (int i = 0; release && i < 400 && access(release, F_OK) != 0; i++) usleep(50000);
    const char *s = (seed % 2) ? "0.5" : "0.25";
    emit(ctx, (const uint8_t *)s, strlen(s));
    return 0;
}}
"#
    );
    c_library(&format!("held_{name}"), &source)
        .to_str()
        .unwrap()
        .to_string()
}

/// `.pybench/baselines.jsonl` as a symlink to `shared/b.jsonl`.
fn linked_baseline(dir: &TestDir) {
    std::fs::create_dir_all(dir.path().join("shared")).unwrap();
    std::fs::create_dir_all(dir.path().join(".pybench")).unwrap();
    std::os::unix::fs::symlink("../shared/b.jsonl", baseline_path(dir.path())).unwrap();
}

pbtest!(
    one_baseline_file_named_two_ways_takes_one_lock,
    |dir: TestDir, cmd: Pybench| {
        linked_baseline(&dir);
        let (mark, release) = (dir.path().join("mark"), dir.path().join("release"));
        let held = held_library("lockheld");
        let mut first = cmd
            .command(&[&held])
            .env("PYBENCH_HELD_MARK", &mark)
            .env("PYBENCH_HELD_RELEASE", &release)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while !mark.exists() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(mark.exists(), "the first run started its seeds");
        // The first run holds the lock of `.pybench/baselines.jsonl`; the
        // same file by its other name must wait for it.
        let other = held_library("lockother");
        let second = cmd.run(&[&other, "--baseline", "shared/b.jsonl", "--no-wait"]);
        std::fs::write(&release, b"").unwrap();
        assert!(first.wait().unwrap().success());
        assert_eq!(second.code, 2, "{second:?}");
        assert!(
            second
                .stderr
                .contains("another pybench run is using shared/b.jsonl"),
            "{}",
            second.stderr
        );
        let text = std::fs::read_to_string(dir.path().join("shared/b.jsonl")).unwrap();
        assert!(text.contains("bench_lockheld"), "{text}");
    }
);

pbtest!(
    the_clean_up_acts_beside_the_file_a_symlink_names,
    |dir: TestDir, cmd: Pybench| {
        linked_baseline(&dir);
        // What a killed run left beside the real file.
        let stale = dir.path().join("shared/.baselines.k1lled.tmp");
        std::fs::write(&stale, b"half a file").unwrap();
        let lib = held_library("cleanup");
        let run = cmd.run(&[&lib]);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(!stale.exists(), "the stale temporary is removed");
        let link = std::fs::symlink_metadata(baseline_path(dir.path())).unwrap();
        assert!(link.file_type().is_symlink(), "the link stays a link");
        let text = std::fs::read_to_string(dir.path().join("shared/b.jsonl")).unwrap();
        assert!(text.contains("bench_cleanup"), "{text}");
    }
);

pbtest!(
    concurrent_updates_through_two_names_lose_nothing,
    |dir: TestDir, cmd: Pybench| {
        linked_baseline(&dir);
        let libs: Vec<String> = (0..8).map(|i| held_library(&format!("two{i}"))).collect();
        let children: Vec<_> = libs
            .iter()
            .enumerate()
            .map(|(i, lib)| {
                let name = [".pybench/baselines.jsonl", "shared/b.jsonl"][i % 2];
                cmd.command(&["update", lib, "--yes", "--baseline", name])
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for child in children {
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let text = std::fs::read_to_string(dir.path().join("shared/b.jsonl")).unwrap();
        for i in 0..8 {
            assert!(
                text.contains(&format!("\"bench_two{i}\"")),
                "two{i}: {text}"
            );
        }
        assert_eq!(text.lines().count(), 8, "{text}");
    }
);

pbtest!(
    concurrent_seed_plans_through_two_names_lose_nothing,
    |dir: TestDir, cmd: Pybench| {
        std::fs::create_dir_all(dir.path().join("plans")).unwrap();
        std::os::unix::fs::symlink("plans/plan.json", dir.path().join("plan.json")).unwrap();
        let libs: Vec<String> = (0..6).map(|i| held_library(&format!("plan{i}"))).collect();
        let children: Vec<_> = libs
            .iter()
            .enumerate()
            .map(|(i, lib)| {
                let name = ["plan.json", "plans/plan.json"][i % 2];
                cmd.command(&["seeds", lib, "--seed-plan", name])
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for child in children {
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let text = std::fs::read_to_string(dir.path().join("plans/plan.json")).unwrap();
        for i in 0..6 {
            assert!(
                text.contains(&format!("\"bench_plan{i}\"")),
                "plan{i}: {text}"
            );
        }
    }
);

/// A copy of a small library inside `dir/libs`, where the cache beside it
/// (outside a repository) or in `.git/pybench/` (inside one) belongs.
fn library_in(dir: &Path) -> (PathBuf, String) {
    let libs = dir.join("libs");
    std::fs::create_dir_all(&libs).unwrap();
    let library = libs.join("libstate.so");
    std::fs::copy(held_library("state"), &library).unwrap();
    let arg = library.to_str().unwrap().to_string();
    (library, arg)
}

/// The run ends (no hang on a special file), reporting the benchmark.
fn completes(cmd: &Pybench, args: &[&str]) -> Run {
    let run = run_within(cmd, args, 30);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("bench_state "), "{}", run.stdout);
    run
}

/// A special file, made in the test's own directory where pybench expects
/// a regular one.
#[derive(Clone, Copy, Debug)]
enum Special {
    Fifo,
    /// A character device like /dev/zero (1, 5): endless bytes.
    Zero,
}

impl Special {
    /// Make it at `path`, replacing what a run left there.
    fn make_at(self, path: &Path) {
        let _ = std::fs::remove_file(path);
        match self {
            Special::Fifo => make_node("mkfifo", path, &[]),
            Special::Zero => make_node("mknod", path, &["c", "1", "5"]),
        }
    }
}

// Where a run keeps its caches, a special file is passed over: each run
// completes. Outside a repository the hash cache sits beside the library.
pbtest!(
    a_fifo_or_device_at_the_hash_cache_is_ignored,
    |dir: TestDir, cmd: Pybench| {
        let (library, arg) = library_in(dir.path());
        let cache = library.with_file_name(".pybench-library-hashes.json");
        for (special, args) in [
            (Special::Fifo, vec![arg.as_str()]),
            (Special::Zero, vec!["update", &arg, "--yes"]),
        ] {
            special.make_at(&cache);
            completes(&cmd, &args);
        }
    }
);

// Inside one, the caches and the sensitivity record live in .git/pybench/.
pbtest!(
    a_fifo_or_device_in_the_git_directory_is_ignored,
    |repo: TestRepo, cmd: Pybench| {
        let (_, arg) = library_in(repo.path());
        let state = repo.path().join(".git/pybench");
        std::fs::create_dir_all(&state).unwrap();
        let check = [arg.as_str()];
        let show = ["show", "--sensitivity"];
        for (file, special, args) in [
            ("library-hashes.json", Special::Fifo, &check[..]),
            ("sensitivity.json", Special::Fifo, &check),
            ("sensitivity.json", Special::Zero, &check),
            ("sensitivity.json", Special::Fifo, &show),
            ("sensitivity.json", Special::Zero, &show),
        ] {
            special.make_at(&state.join(file));
            completes(&cmd, args);
            repo.commit_all(&format!("{file} as {special:?}"));
        }
    }
);

pbtest!(
    a_hash_cache_another_user_planted_is_not_believed,
    |dir: TestDir, cmd: Pybench| {
        let (library, arg) = library_in(dir.path());
        let path = std::fs::canonicalize(&library).unwrap();
        let meta = std::fs::metadata(&path).unwrap();
        let ns = |s: i64, n: i64| i128::from(s) * 1_000_000_000 + i128::from(n);
        let key = serde_json::json!({
            "path": path, "dev": meta.dev(), "ino": meta.ino(), "size": meta.size(),
            "mtime_ns": ns(meta.mtime(), meta.mtime_nsec()),
            "ctime_ns": ns(meta.ctime(), meta.ctime_nsec()),
        });
        let planted =
            serde_json::json!({"entries": [[key, {"hash": "sha256:feed", "rustc": null}]]});
        let cache = library.with_file_name(".pybench-library-hashes.json");
        std::fs::write(&cache, planted.to_string()).unwrap();
        let stored = |run: &Run| {
            assert_eq!(run.code, 0, "{run:?}");
            let line = std::fs::read_to_string(baseline_path(dir.path())).unwrap();
            let value: serde_json::Value = serde_json::from_str(line.trim()).unwrap();
            value["env"]["library_hash"].as_str().unwrap().to_string()
        };
        // This user's cache is believed (the key is right)...
        assert_eq!(stored(&cmd.run(&["update", &arg, "--yes"])), "sha256:feed");
        // ...another user's is not: the file's own hash is stored.
        std::os::unix::fs::chown(&cache, Some(65534), Some(65534)).unwrap();
        let real = hash_bytes(&std::fs::read(&library).unwrap());
        assert_eq!(stored(&cmd.run(&["update", &arg, "--yes"])), real);
        // Nor is one in a directory others may write to (like /tmp).
        std::os::unix::fs::chown(&cache, Some(0), Some(0)).unwrap();
        let libs = library.parent().unwrap();
        std::fs::set_permissions(libs, std::fs::Permissions::from_mode(0o1777)).unwrap();
        assert_eq!(stored(&cmd.run(&["update", &arg, "--yes"])), real);
    }
);

pbtest!(
    a_fifo_or_device_named_like_a_library_is_skipped_or_refused,
    |dir: TestDir, cmd: Pybench| {
        let (library, _) = library_in(dir.path());
        for special in [Special::Fifo, Special::Zero] {
            special.make_at(&library.with_file_name("libspecial.so"));
            // Searched: skipped, never opened (it would block, or never end).
            completes(&cmd, &["libs"]);
            // Named: refused, and said so.
            let run = run_within(&cmd, &["libs/libspecial.so"], 30);
            assert_eq!(run.code, 2, "{special:?}: {run:?}");
            assert!(
                run.stderr
                    .contains("not a shared library or a directory: libs/libspecial.so"),
                "{special:?}: {}",
                run.stderr
            );
        }
    }
);
