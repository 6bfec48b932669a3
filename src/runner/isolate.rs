//! Crash isolation: a benchmark's seeds run in a worker process — pybench
//! re-executing itself as `pybench __worker` — so that a benchmark that
//! aborts, segfaults or hangs fails alone, as in cargo-nextest.
//!
//! The parent sends the job as JSON on the worker's stdin. The worker keeps
//! its original stdout as a private channel of JSON lines (`start` and
//! `done` per seed) and points fd 1 at its stderr, so whatever the benchmark
//! prints is captured with its stderr instead of garbling the channel.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, mpsc};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::call::{self as run, RunError, SeedOutcome};
use super::library;

/// The hidden first argument that turns pybench into a worker.
pub const WORKER_ARG: &str = "__worker";

/// The most of a benchmark's own output kept for `-v` (the tail is kept).
const MAX_CAPTURED_BYTES: usize = 1 << 20;

/// One side of a run: a benchmark in a library. A run has one side, or two
/// with `--against` (the revision's and the working tree's).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Side {
    pub library: PathBuf,
    pub bench: String,
}

#[derive(Serialize, Deserialize)]
struct Job {
    sides: Vec<Side>,
    seeds: Vec<u64>,
    workers: usize,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
enum Message {
    Start {
        index: usize,
    },
    Done {
        index: usize,
        side: usize,
        outcome: SeedOutcome,
    },
}

/// Set by the Ctrl-C handler; running workers are killed when it is seen.
pub static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// The outcomes of every side and seed (`[side][seed index]`), plus what
/// the benchmarks printed.
pub struct WorkerRun {
    pub outcomes: Result<Vec<Vec<SeedOutcome>>, RunError>,
    pub output: String,
}

/// Run every side on `seeds` in one worker process started from `exe`
/// (pybench's own executable), sides interleaved per seed as
/// [`run::call_all`] does; `timeout` bounds one seed (all its sides).
pub fn run_in_worker(
    exe: &Path,
    sides: &[Side],
    seeds: &[u64],
    workers: usize,
    timeout: Option<Duration>,
    on_done: impl Fn(),
) -> WorkerRun {
    let mut child = match Command::new(exe)
        .arg(WORKER_ARG)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(e) => return failed(format!("cannot start a worker process: {e}")),
    };
    let job = Job {
        sides: sides.to_vec(),
        seeds: seeds.to_vec(),
        workers,
    };
    if let Some(mut stdin) = child.stdin.take() {
        // A worker that died at once shows up below through its exit status.
        let _ = serde_json::to_writer(&mut stdin, &job);
    }

    let stderr = child.stderr.take().expect("stderr is piped");
    let captured = std::thread::spawn(move || read_tail(stderr, MAX_CAPTURED_BYTES));
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().expect("stdout is piped");
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let message = serde_json::from_str::<Message>(&line).map_err(|_| line);
            if tx.send(message).is_err() {
                break;
            }
        }
    });

    let mut outcomes: Vec<Vec<Option<SeedOutcome>>> = vec![vec![None; seeds.len()]; sides.len()];
    let mut in_flight: Vec<(usize, Instant)> = Vec::new();
    let mut early_error = None;
    loop {
        match rx.recv_timeout(Duration::from_millis(20)) {
            Ok(Ok(Message::Start { index })) if index < seeds.len() => {
                in_flight.push((index, Instant::now()));
            }
            Ok(Ok(Message::Done {
                index,
                side,
                outcome,
            })) if index < seeds.len() && side < sides.len() => {
                outcomes[side][index] = Some(outcome);
                if outcomes.iter().all(|o| o[index].is_some()) {
                    in_flight.retain(|(i, _)| *i != index);
                    on_done();
                }
            }
            Ok(Ok(_)) => early_error = Some(RunError::Worker("seed index out of range".into())),
            Ok(Err(line)) => {
                let shown: String = line.chars().take(80).collect();
                early_error = Some(RunError::Worker(format!("unexpected output {shown:?}")));
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
        if INTERRUPTED.load(Ordering::SeqCst) {
            early_error = Some(RunError::Interrupted);
        }
        if let (Some(limit), Some(&(index, started))) = (timeout, in_flight.first())
            && started.elapsed() > limit
        {
            early_error = Some(RunError::TimedOut {
                seconds: limit.as_secs_f64(),
                seed: seeds[index],
            });
        }
        if early_error.is_some() {
            let _ = child.kill();
            break;
        }
    }
    let status = child.wait();
    let output = captured.join().unwrap_or_default();
    let output = String::from_utf8_lossy(&output).into_owned();
    if let Some(error) = early_error {
        return WorkerRun {
            outcomes: Err(error),
            output,
        };
    }
    let crashed = |how: String| RunError::Crashed {
        how,
        seeds: in_flight.iter().map(|&(i, _)| seeds[i]).collect(),
    };
    let outcomes = match status {
        Err(e) => Err(RunError::Worker(format!("cannot wait for the worker: {e}"))),
        Ok(_) if INTERRUPTED.load(Ordering::SeqCst) => Err(RunError::Interrupted),
        Ok(status) if status.success() => outcomes
            .into_iter()
            .map(|side| side.into_iter().collect::<Option<Vec<_>>>())
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| RunError::Worker("the worker stopped before every seed ran".into())),
        Ok(status) => match signal_of(&status) {
            Some(signal) => Err(crashed(format!("was killed by {signal}"))),
            // Exit code 3 is the worker's own failure (it said why on stderr).
            None if status.code() == Some(WORKER_SETUP_FAILED) => Err(RunError::Worker(
                output
                    .lines()
                    .last()
                    .unwrap_or("no message")
                    .trim_start_matches("error: ")
                    .into(),
            )),
            None => Err(crashed(format!(
                "exited with code {}",
                status.code().unwrap_or(-1)
            ))),
        },
    };
    WorkerRun { outcomes, output }
}

/// pybench's own executable, for starting workers.
pub fn own_executable() -> Result<PathBuf, RunError> {
    std::env::current_exe()
        .map_err(|e| RunError::Worker(format!("cannot find the pybench executable: {e}")))
}

fn failed(message: String) -> WorkerRun {
    WorkerRun {
        outcomes: Err(RunError::Worker(message)),
        output: String::new(),
    }
}

/// Read everything, keeping only the last `limit` bytes.
fn read_tail(mut reader: impl Read, limit: usize) -> Vec<u8> {
    let mut kept = Vec::new();
    let mut chunk = [0u8; 8192];
    while let Ok(n) = reader.read(&mut chunk) {
        if n == 0 {
            break;
        }
        kept.extend_from_slice(&chunk[..n]);
        if kept.len() > 2 * limit {
            kept.drain(..kept.len() - limit);
        }
    }
    if kept.len() > limit {
        kept.drain(..kept.len() - limit);
    }
    kept
}

#[cfg(unix)]
fn signal_of(status: &std::process::ExitStatus) -> Option<String> {
    use std::os::unix::process::ExitStatusExt;
    status.signal().map(signal_name)
}

#[cfg(not(unix))]
fn signal_of(_status: &std::process::ExitStatus) -> Option<String> {
    None
}

/// `SIGSEGV (segmentation fault)` and the like.
#[cfg(unix)]
pub fn signal_name(signal: i32) -> String {
    let name = match signal {
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGILL => "SIGILL",
        libc::SIGKILL => "SIGKILL",
        libc::SIGTERM => "SIGTERM",
        libc::SIGINT => "SIGINT",
        libc::SIGPIPE => "SIGPIPE",
        _ => return format!("signal {signal}"),
    };
    // SAFETY: strsignal returns a pointer to a static (or thread-local) string.
    let description = unsafe {
        let text = libc::strsignal(signal);
        if text.is_null() {
            String::new()
        } else {
            std::ffi::CStr::from_ptr(text)
                .to_string_lossy()
                .to_lowercase()
        }
    };
    if description.is_empty() {
        name.to_string()
    } else {
        format!("{name} ({description})")
    }
}

/// Why a worker could not run its job (its last stderr line, exit code 3).
#[derive(Debug, thiserror::Error)]
enum WorkerError {
    #[error("cannot redirect stdout: {0}")]
    Redirect(std::io::Error),
    #[cfg(not(unix))]
    #[error("worker processes need a Unix system; run with --in-process")]
    Unsupported,
    #[error("cannot read the job: {0}")]
    ReadJob(std::io::Error),
    #[error("invalid job: {0}")]
    BadJob(serde_json::Error),
    #[error(transparent)]
    Library(#[from] super::library::LibraryError),
    #[error("{} no longer exports {bench}", .library.display())]
    Gone { library: PathBuf, bench: String },
    #[error(transparent)]
    Run(#[from] RunError),
}

/// The worker's exit code when it could not even start the benchmark.
const WORKER_SETUP_FAILED: i32 = 3;

/// The worker side: read the job, run it, stream the outcomes. Returns the
/// process exit code.
pub fn worker_main() -> i32 {
    match serve() {
        Ok(()) => 0,
        Err(message) => {
            eprintln!("error: {message}");
            WORKER_SETUP_FAILED
        }
    }
}

fn serve() -> Result<(), WorkerError> {
    let channel = Mutex::new(std::io::BufWriter::new(private_stdout()?));
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .map_err(WorkerError::ReadJob)?;
    let job: Job = serde_json::from_str(&input).map_err(WorkerError::BadJob)?;
    let mut entries = Vec::new();
    // Kept alive for the entry points' sake.
    let mut loaded = Vec::new();
    for side in &job.sides {
        let mut skipped = Vec::new();
        let benchmarks = library::load_benchmarks(&side.library, &mut skipped)?;
        let bench = benchmarks
            .iter()
            .find(|b| b.name == side.bench)
            .ok_or_else(|| WorkerError::Gone {
                library: side.library.clone(),
                bench: side.bench.clone(),
            })?;
        entries.push(bench.entry);
        loaded.push(benchmarks);
    }
    let send = |message: &Message| {
        let mut channel = channel.lock().unwrap_or_else(|e| e.into_inner());
        // The parent gone means nobody is listening: nothing left to do.
        let _ = serde_json::to_writer(&mut *channel, message);
        let _ = channel.write_all(b"\n");
        let _ = channel.flush();
    };
    run::call_all(
        &entries,
        &job.seeds,
        job.workers,
        |index| send(&Message::Start { index }),
        |index, side, outcome| {
            send(&Message::Done {
                index,
                side,
                outcome: outcome.clone(),
            })
        },
    )?;
    Ok(())
}

/// Keep the real stdout for the channel and send fd 1 to stderr.
#[cfg(unix)]
fn private_stdout() -> Result<std::fs::File, WorkerError> {
    use std::os::fd::FromRawFd;
    // SAFETY: plain fd duplication on this process's own descriptors.
    unsafe {
        let channel = libc::dup(libc::STDOUT_FILENO);
        if channel < 0 || libc::dup2(libc::STDERR_FILENO, libc::STDOUT_FILENO) < 0 {
            return Err(WorkerError::Redirect(std::io::Error::last_os_error()));
        }
        Ok(std::fs::File::from_raw_fd(channel))
    }
}

#[cfg(not(unix))]
fn private_stdout() -> Result<std::fs::File, WorkerError> {
    Err(WorkerError::Unsupported)
}
