//! Crash isolation, the parent's side: a benchmark's seeds run in a worker
//! process — pybench re-executing itself as `pybench __worker` (see
//! `worker.rs`) — so that a benchmark that aborts, segfaults or hangs fails
//! alone, as in cargo-nextest. The parent sends the job as JSON on the
//! worker's stdin and follows its messages (see `protocol.rs`).

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use super::call::{Reply, RunError, SeedResult};
use super::context::RunContext;
pub use super::protocol::Side;
use super::protocol::{Decoded, Decoder, Event, Job};
use crate::exit::WORKER_SETUP_FAILED;

pub use super::worker::worker_main;

/// The hidden first argument that turns pybench into a worker.
pub const WORKER_ARG: &str = "__worker";

/// The most of a benchmark's own output kept for `-v` (the tail is kept).
const MAX_CAPTURED_BYTES: usize = 1 << 20;

/// The results of every side and seed (`[side][seed index]`), plus what
/// the benchmarks printed.
pub struct WorkerRun {
    pub outcomes: Result<Vec<Vec<SeedResult>>, RunError>,
    pub output: String,
}

/// How long the worker's stderr gets to drain once the worker has exited.
const DRAIN: Duration = Duration::from_millis(500);

/// Polls (5 ms apart) of an idle reader after the worker exited before the
/// parent stops waiting for its channel to close.
const IDLE_POLLS: u32 = 20;

/// Run every side on `seeds` in one worker process started from `exe`
/// (pybench's own executable), sides interleaved per seed as
/// [`run::call_all`] does; `timeout` bounds one seed (all its sides);
/// `reply` says whether seeds come back as scores or as text.
///
/// The worker leads its own process group. When it ends (or times out, or
/// `context` is stopped by a signal) the whole group is killed, so a
/// process a benchmark left behind can neither hold the pipes open nor
/// outlive the run.
#[allow(clippy::too_many_arguments)]
pub fn run_in_worker(
    context: &RunContext,
    exe: &Path,
    sides: &[Side],
    seeds: &[u64],
    workers: usize,
    reply: Reply,
    timeout: Option<Duration>,
    on_done: impl Fn(),
) -> WorkerRun {
    let mut child = match spawn(exe, WORKER_ARG) {
        Ok(child) => child,
        Err(e) => return failed(format!("cannot start a worker process: {e}")),
    };
    if let Some(mut stdin) = child.stdin.take() {
        let job = Job {
            sides: sides.to_vec(),
            seeds: seeds.to_vec(),
            workers,
            reply,
        };
        // A worker that died at once shows up below through its exit status.
        let _ = serde_json::to_writer(&mut stdin, &job);
    }
    let captured = Captured::start(child.stderr.take().expect("stderr is piped"));
    let messages = Messages::read(child.stdout.take().expect("stdout is piped"));
    let mut watch = Watch {
        outcomes: vec![vec![None; seeds.len()]; sides.len()],
        in_flight: Vec::new(),
        seeds,
        on_done,
        context,
    };
    let early_error = watch.follow(&mut child, &messages, timeout);
    if early_error.is_none() {
        // The channel closes as the worker exits: let it finish exiting
        // before its group is killed, or the kill would be its cause of death.
        while !has_exited(&child) && context.stopped().is_none() {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    kill_group(&child);
    let status = child.wait();
    let output = captured.finish();
    let outcomes = match early_error {
        Some(error) => Err(error),
        None => watch.verdict(status, &output),
    };
    WorkerRun { outcomes, output }
}

/// Start pybench as a worker of kind `role` (`WORKER_ARG` or the describe
/// job's), leading its own process group, with every stdio piped. It
/// must be started from a thread that outlives it: on Linux the worker is
/// killed when that thread ends, which is how it dies with a pybench that
/// was killed outright (SIGKILL) instead of running on as an orphan.
pub(super) fn spawn(exe: &Path, role: &str) -> std::io::Result<Child> {
    let mut command = Command::new(exe);
    command
        .arg(role)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        command.process_group(0);
    }
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;
        let parent = std::process::id() as libc::pid_t;
        // SAFETY: prctl and getppid are async-signal-safe, and the closure
        // touches no memory but the copied pid.
        unsafe {
            command.pre_exec(move || {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                // The parent died before the death signal was armed.
                if libc::getppid() != parent {
                    return Err(std::io::Error::other("pybench exited"));
                }
                Ok(())
            });
        }
    }
    command.spawn()
}

/// The worker's messages, decoded on a thread of their own; bytes that are
/// not a message come through as themselves.
struct Messages {
    received: mpsc::Receiver<Result<Event, String>>,
    /// The reader is waiting for bytes that have not been written yet.
    idle: Arc<AtomicBool>,
}

impl Messages {
    fn read(stdout: ChildStdout) -> Messages {
        let (tx, received) = mpsc::channel();
        let idle = Arc::new(AtomicBool::new(false));
        let waiting = Arc::clone(&idle);
        std::thread::spawn(move || {
            let mut reader = BufReader::with_capacity(1 << 16, stdout);
            let mut pending = Vec::new();
            let mut decoder = Decoder::default();
            loop {
                waiting.store(true, Ordering::SeqCst);
                let Ok(buffer) = reader.fill_buf() else { break };
                waiting.store(false, Ordering::SeqCst);
                if buffer.is_empty() {
                    break;
                }
                pending.extend_from_slice(buffer);
                let taken = buffer.len();
                reader.consume(taken);
                let mut at = 0;
                loop {
                    let event = match decoder.next(&pending[at..]) {
                        Ok(Decoded::Partial) => break,
                        Ok(Decoded::Frame(len, event)) => {
                            at += len;
                            event.map(Ok)
                        }
                        Err(()) => Some(Err(String::from_utf8_lossy(&pending[at..]).into_owned())),
                    };
                    let stop = matches!(event, Some(Err(_)));
                    if event.is_some_and(|event| tx.send(event).is_err()) || stop {
                        return;
                    }
                }
                pending.drain(..at);
            }
        });
        Messages { received, idle }
    }
}

/// The parent's view of a running worker.
struct Watch<'a, F: Fn()> {
    outcomes: Vec<Vec<Option<SeedResult>>>,
    /// Seeds started and not yet done, with when they started.
    in_flight: Vec<(usize, Instant)>,
    seeds: &'a [u64],
    on_done: F,
    context: &'a RunContext,
}

impl<F: Fn()> Watch<'_, F> {
    /// Follow the worker until its channel closes, it exits, or something
    /// stops the run early (returned).
    fn follow(
        &mut self,
        child: &mut Child,
        messages: &Messages,
        timeout: Option<Duration>,
    ) -> Option<RunError> {
        let mut exited = false;
        // Polls in a row that found the reader waiting for bytes.
        let mut idle_polls = 0;
        loop {
            let mut drained = false;
            match messages.received.recv_timeout(Duration::from_millis(5)) {
                Ok(message) => {
                    if let Some(error) = self.take(message) {
                        return Some(error);
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => drained = true,
                Err(mpsc::RecvTimeoutError::Disconnected) => return None,
            }
            if self.context.stopped().is_some() {
                return Some(RunError::Interrupted);
            }
            if let (Some(limit), Some(&(index, started))) = (timeout, self.in_flight.first())
                && started.elapsed() > limit
            {
                return Some(RunError::TimedOut {
                    seconds: limit.as_secs_f64(),
                    seed: self.seeds[index],
                });
            }
            if exited {
                // The worker wrote all its messages before it exited; once
                // the reader has read them all and waits for more, only a
                // process outside the group can still be holding the pipe.
                idle_polls = if drained && messages.idle.load(Ordering::SeqCst) {
                    idle_polls + 1
                } else {
                    0
                };
                if idle_polls >= IDLE_POLLS {
                    return None;
                }
            } else if has_exited(child) {
                kill_group(child);
                exited = true;
            }
        }
    }

    /// Record one message; an error when it makes no sense.
    fn take(&mut self, message: Result<Event, String>) -> Option<RunError> {
        let n = self.seeds.len();
        match message {
            Ok(Event::Start { index }) if index < n => {
                self.in_flight.push((index, Instant::now()));
            }
            Ok(Event::Done {
                index,
                side,
                result,
            }) if index < n && side < self.outcomes.len() => {
                self.outcomes[side][index] = Some(result);
                if self.outcomes.iter().all(|o| o[index].is_some()) {
                    self.in_flight.retain(|(i, _)| *i != index);
                    (self.on_done)();
                }
            }
            Ok(_) => return Some(RunError::Worker("seed index out of range".into())),
            Err(line) => {
                let shown: String = line.chars().take(80).collect();
                return Some(RunError::Worker(format!("unexpected output {shown:?}")));
            }
        }
        None
    }

    /// The outcomes, or why the worker failed, from how it ended.
    fn verdict(
        self,
        status: std::io::Result<ExitStatus>,
        output: &str,
    ) -> Result<Vec<Vec<SeedResult>>, RunError> {
        let seeds = self.seeds;
        let crashed = |how: String| RunError::Crashed {
            how,
            seeds: self.in_flight.iter().map(|&(i, _)| seeds[i]).collect(),
        };
        match status {
            Err(e) => Err(RunError::Worker(format!("cannot wait for the worker: {e}"))),
            Ok(_) if self.context.stopped().is_some() => Err(RunError::Interrupted),
            // A benchmark's exit(0) ends the worker "successfully" mid-seed.
            Ok(status) if status.success() => self
                .outcomes
                .into_iter()
                .map(|side| side.into_iter().collect::<Option<Vec<_>>>())
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| crashed("exited with code 0".into())),
            Ok(status) => match signal_of(&status) {
                Some(signal) => Err(crashed(format!("was killed by {signal}"))),
                // The worker's own failure: it said why on stderr.
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
        }
    }
}

/// Whether the worker has exited, without reaping it: its pid, and so its
/// process group's id, stays reserved until `wait`.
#[cfg(unix)]
pub(super) fn has_exited(child: &Child) -> bool {
    // SAFETY: an all-zero siginfo_t is a valid value for waitid to fill.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    // SAFETY: waitid on our own child with a valid out-pointer; WNOWAIT
    // leaves it waitable.
    let rc = unsafe {
        libc::waitid(
            libc::P_PID,
            child.id(),
            &mut info,
            libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
        )
    };
    // SAFETY: waitid filled `info`; si_pid is 0 while the child runs.
    rc == 0 && unsafe { info.si_pid() } != 0
}

/// Elsewhere workers do not run at all (they fail at once and say so).
#[cfg(not(unix))]
pub(super) fn has_exited(_child: &Child) -> bool {
    true
}

/// Kill the worker and everything it started. Before `wait` only: until
/// then the worker's pid names its group and cannot be reused.
#[cfg(unix)]
pub(super) fn kill_group(child: &Child) {
    // SAFETY: signalling the process group our own unreaped child leads.
    unsafe {
        libc::kill(-(child.id() as libc::pid_t), libc::SIGKILL);
    }
}

#[cfg(not(unix))]
pub(super) fn kill_group(_child: &Child) {}

/// The worker's stderr (with the benchmark's stdout), read on a thread and
/// kept up to its last [`MAX_CAPTURED_BYTES`].
pub(super) struct Captured {
    buffer: Arc<Mutex<Vec<u8>>>,
    done: mpsc::Receiver<()>,
}

impl Captured {
    pub(super) fn start(mut stderr: ChildStderr) -> Captured {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let (tx, done) = mpsc::channel();
        let shared = Arc::clone(&buffer);
        std::thread::spawn(move || {
            let mut chunk = [0u8; 8192];
            while let Ok(n) = stderr.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                let mut kept = shared.lock().unwrap_or_else(|e| e.into_inner());
                kept.extend_from_slice(&chunk[..n]);
                if kept.len() > 2 * MAX_CAPTURED_BYTES {
                    let excess = kept.len() - MAX_CAPTURED_BYTES;
                    kept.drain(..excess);
                }
            }
            let _ = tx.send(());
        });
        Captured { buffer, done }
    }

    /// What was captured, once the pipe closes or [`DRAIN`] has passed
    /// (a process outside the group may still hold it open).
    pub(super) fn finish(self) -> String {
        let _ = self.done.recv_timeout(DRAIN);
        let mut kept = self.buffer.lock().unwrap_or_else(|e| e.into_inner());
        if kept.len() > MAX_CAPTURED_BYTES {
            let excess = kept.len() - MAX_CAPTURED_BYTES;
            kept.drain(..excess);
        }
        String::from_utf8_lossy(&kept).into_owned()
    }
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

#[cfg(unix)]
pub(super) fn signal_of(status: &std::process::ExitStatus) -> Option<String> {
    use std::os::unix::process::ExitStatusExt;
    status.signal().map(signal_name)
}

#[cfg(not(unix))]
pub(super) fn signal_of(_status: &std::process::ExitStatus) -> Option<String> {
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
