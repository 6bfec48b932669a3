//! The baseline file survives everything: a truncated or malformed file is
//! reported and left alone, and concurrent runs take turns (Ctrl-C in the
//! middle of a run: fault_suite/signals.rs).

use std::io::Read;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::util::{Pybench, Run, Running, TestDir, baseline_path, faults};

pub(crate) fn faults_arg() -> String {
    faults().to_str().unwrap().to_string()
}

/// Run `pybench ARGS`, killing it (and failing the test) if it has not
/// ended within `seconds`: for inputs that used to block forever.
pub(crate) fn run_within(cmd: &Pybench, args: &[&str], seconds: u64) -> Run {
    let mut child = cmd
        .command(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("pybench {args:?} was still running after {seconds} s (blocked?)");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Run {
        code: status.code().unwrap_or(-1),
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    }
}

/// Make a special file at `path` with a system tool (`mkfifo PATH`, or
/// `mknod PATH c 1 3` for a character device like /dev/null), always inside
/// the test's own directory: the tests run as root and must never touch
/// the system's device nodes.
pub(crate) fn make_node(tool: &str, path: &Path, args: &[&str]) {
    let status = std::process::Command::new(tool)
        .arg(path)
        .args(args)
        .status()
        .unwrap();
    assert!(status.success(), "{tool} {}", path.display());
}

/// Exactly one `error:` line, starting with `starts_with`, with a hint, and
/// exit code `code`.
pub(crate) fn assert_error(run: &Run, code: i32, starts_with: &str) {
    assert_eq!(run.code, code, "{run:?}");
    let errors = run.error_lines();
    assert_eq!(errors.len(), 1, "exactly one error line: {}", run.stderr);
    assert!(errors[0].starts_with(starts_with), "{}", errors[0]);
    assert!(errors[0].contains(" (hint: "), "a hint: {}", errors[0]);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
}

pbtest!(
    truncated_baseline_file_is_an_error_and_left_alone,
    |dir: TestDir, cmd: Pybench| {
        let faults = faults_arg();
        let run = cmd.run(&[&faults, "--bench", "healthy"]);
        assert_eq!(run.code, 0, "{run:?}");
        let path = baseline_path(dir.path());
        let bytes = std::fs::read(&path).unwrap();
        let truncated = &bytes[..bytes.len() / 2];
        std::fs::write(&path, truncated).unwrap();
        let run = cmd.run(&[&faults, "--bench", "healthy"]);
        assert_eq!(run.code, 2, "{run:?}");
        let errors = run.error_lines();
        assert_eq!(errors.len(), 1, "{}", run.stderr);
        assert!(
            errors[0].starts_with("error: malformed baseline at .pybench/baselines.jsonl:1: EOF"),
            "{}",
            errors[0]
        );
        assert_eq!(std::fs::read(&path).unwrap(), truncated);
    }
);

pbtest!(concurrent_runs_take_turns, |dir: TestDir, cmd: Pybench| {
    let faults = faults_arg();
    let args = [faults.as_str(), "--bench", "slow"];
    let env = [("PYBENCH_FAULTS_SLEEP_MS", "100")];
    let children: Vec<Child> = (0..2)
        .map(|_| {
            cmd.command(&args)
                .envs(env.iter().copied())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outputs: Vec<String> = children
        .into_iter()
        .map(|c| {
            let out = c.wait_with_output().unwrap();
            assert_eq!(out.status.code(), Some(0), "{out:?}");
            String::from_utf8(out.stdout).unwrap()
        })
        .collect();
    let new = outputs
        .iter()
        .filter(|o| o.contains("bench_slow        .......... NEW"))
        .count();
    let pass = outputs
        .iter()
        .filter(|o| o.contains("bench_slow        .......... PASS"))
        .count();
    assert_eq!(
        (new, pass),
        (1, 1),
        "one run saved the baseline, the other compared: {outputs:?}"
    );
    let text = std::fs::read_to_string(baseline_path(dir.path())).unwrap();
    assert_eq!(text.lines().count(), 1);
});

pbtest!(
    no_wait_fails_fast_while_another_run_holds_the_file,
    |dir: TestDir, cmd: Pybench| {
        let faults = faults_arg();
        let args = [faults.as_str(), "--bench", "slow"];
        let first = Running::until(
            &cmd,
            &args,
            &[("PYBENCH_FAULTS_SLEEP_MS", "400")],
            "discovered",
        );
        let run = cmd.run(&[faults.as_str(), "--bench", "slow", "--no-wait"]);
        assert_eq!(run.code, 2, "{run:?}");
        assert_eq!(run.error_lines().len(), 1, "{}", run.stderr);
        assert!(
            run.error_lines()[0]
                .starts_with("error: another pybench run is using .pybench/baselines.jsonl"),
            "{}",
            run.stderr
        );
        let first = first.finish();
        assert_eq!(first.code, 0, "{first:?}");
    }
);
