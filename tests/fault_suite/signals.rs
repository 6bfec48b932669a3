//! Signals: Ctrl-C, SIGTERM and SIGHUP (CI cancellation, `timeout`,
//! `docker stop`, a closed terminal) stop a run alike — every worker group
//! killed, exit 128 + the signal, the baseline file untouched — and a
//! worker whose pybench is gone stops at once instead of running its seeds
//! for nobody.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::store_safety::faults_arg;
use crate::util::{Pybench, Running, TestDir, baseline_bytes, c_library};

/// Processes (not zombies) whose environment holds `PYBENCH_TEST_MARK=mark`:
/// a run and every worker it started, which inherit its environment.
pub(crate) fn marked(mark: &str) -> Vec<u32> {
    let needle = format!("PYBENCH_TEST_MARK={mark}");
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            // The state follows the parenthesised command name.
            let zombie = stat.rsplit(") ").next().is_some_and(|s| s.starts_with('Z'));
            !zombie && environ.split(|&b| b == 0).any(|v| v == needle.as_bytes())
        })
        .collect()
}

/// Wait up to `limit` for no marked process to be left; those left.
pub(crate) fn gone_within(mark: &str, limit: Duration) -> Vec<u32> {
    let started = Instant::now();
    loop {
        let left = marked(mark);
        if left.is_empty() || started.elapsed() > limit {
            return left;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A run of the healthy and the slow benchmark (5 s a seed), started and
/// past its first line, with its workers marked by `mark`.
fn slow_run(cmd: &Pybench, mark: &str) -> Running {
    let faults = faults_arg();
    let args = [
        faults.as_str(),
        "--bench",
        "healthy",
        "--bench",
        "slow",
        "--family",
        "none",
    ];
    let env = [
        ("PYBENCH_FAULTS_SLEEP_MS", "5000"),
        ("PYBENCH_TEST_MARK", mark),
    ];
    let running = Running::until(cmd, &args, &env, "bench_healthy");
    // The slow benchmark's worker is starting or running.
    let started = Instant::now();
    while marked(mark).len() < 2 && started.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(marked(mark).len() >= 2, "a worker runs beside pybench");
    running
}

/// `kill -SIGNAL` while the slow benchmark runs: pybench exits `code`
/// saying it was `stopped` and left the file byte for byte as it was, with
/// no temporary file beside it and no worker left.
fn stopped_mid_run(dir: &TestDir, cmd: &Pybench, signal: &str, code: i32, stopped: &str) {
    let faults = faults_arg();
    let run = cmd.run(&[&faults, "--bench", "healthy"]);
    assert_eq!(run.code, 0, "{run:?}");
    let before = baseline_bytes(dir.path()).unwrap();
    let mark = format!("{signal}-{}", std::process::id());
    let running = slow_run(cmd, &mark);
    running.signal(signal);
    let started = Instant::now();
    let out = running.finish();
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "stopped at once, not after the seed: {:?}",
        started.elapsed()
    );
    assert_eq!(out.code, code, "exits 128 + the signal: {}", out.stderr);
    assert_eq!(
        out.error_lines(),
        [format!(
            "error: {stopped}; the baseline file was left as it was (hint: run again; baselines are only written when a run completes)"
        )],
        "{}",
        out.stderr
    );
    assert_eq!(baseline_bytes(dir.path()).unwrap(), before);
    let files: Vec<_> = std::fs::read_dir(dir.path().join(".pybench"))
        .unwrap()
        .collect();
    assert_eq!(files.len(), 1, "no temporary file left behind");
    let left = gone_within(&mark, Duration::from_secs(2));
    assert!(left.is_empty(), "no worker outlives the run: {left:?}");
}

// Ctrl-C: bench_healthy ran and passed; bench_slow (NEW) is interrupted.
pbtest!(
    ctrl_c_mid_run_leaves_the_file_byte_identical,
    |dir: TestDir, cmd: Pybench| {
        stopped_mid_run(&dir, &cmd, "INT", 130, "interrupted");
    }
);

pbtest!(
    sigterm_stops_every_worker_and_exits_143,
    |dir: TestDir, cmd: Pybench| {
        stopped_mid_run(&dir, &cmd, "TERM", 143, "stopped by SIGTERM");
    }
);

pbtest!(
    sighup_stops_every_worker_and_exits_129,
    |dir: TestDir, cmd: Pybench| {
        stopped_mid_run(&dir, &cmd, "HUP", 129, "stopped by SIGHUP");
    }
);

pbtest!(
    a_worker_whose_pybench_was_killed_stops_at_once,
    |_dir: TestDir, cmd: Pybench| {
        let mark = format!("KILL-{}", std::process::id());
        let mut running = slow_run(&cmd, &mark);
        // SIGKILL cannot be caught: only the worker can notice.
        running.child.kill().unwrap();
        let _ = running.child.wait();
        let left = gone_within(&mark, Duration::from_secs(2));
        assert!(left.is_empty(), "the orphaned worker still runs: {left:?}");
    }
);

/// A benchmark that takes 2 s a seed.
const SLEEPY: &str = "#include \"pybench.h\"\n#include <string.h>\n#include <unistd.h>\nPYBENCH_META(sleepy, \"{\\\"abi\\\":1,\\\"n_seeds\\\":8}\")\nPYBENCH_EXPORT int32_t bench_sleepy(uint64_t seed, void *ctx, pybench_emit emit) { (void)seed; sleep(2); emit(ctx, (const uint8_t *)\"1.0\", 3); return 0; }\n";

#[test]
fn a_worker_that_cannot_write_to_its_parent_stops_at_once() {
    let library = c_library("signals_sleepy", SLEEPY);
    let job = serde_json::json!({
        "sides": [{"library": library, "bench": "bench_sleepy"}],
        "seeds": [1, 2, 3, 4, 5, 6, 7, 8],
        "workers": 1,
        "reply": "Scores",
    });
    let mut worker = Command::new(env!("CARGO_BIN_EXE_pybench"))
        .arg("__worker")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Nobody will read: the worker's first message fails.
    drop(worker.stdout.take());
    let started = Instant::now();
    let mut stdin = worker.stdin.take().unwrap();
    stdin.write_all(job.to_string().as_bytes()).unwrap();
    drop(stdin);
    let status = worker.wait().unwrap();
    assert!(!status.success(), "{status:?}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "stopped at its first failed write, not after 8 seeds of 2 s: {:?}",
        started.elapsed()
    );
}
