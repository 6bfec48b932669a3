//! One Python worker process: the script of `worker.py` run by the chosen
//! interpreter, leading its own process group (killed whole when it ends,
//! times out or the run is interrupted), its stderr captured, and one JSON
//! line a message each way on its stdin and stdout (the worker keeps those
//! for pybench and gives the benchmark /dev/null and stderr).

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::Python;
use crate::runner::RunContext;
use crate::runner::isolate::{self, Captured};

/// The worker script, shipped inside the binary.
pub const WORKER_SCRIPT: &str = include_str!("worker.py");

/// A line from worker `id`, or `None` when its channel closed.
pub(super) type Line = (usize, Option<String>);

/// A running worker.
pub(super) struct Spawned {
    child: Child,
    stdin: Option<ChildStdin>,
    captured: Option<Captured>,
}

impl Spawned {
    /// Start worker `id` with `env` added; its lines go to `lines`.
    pub(super) fn start(
        python: &Python,
        env: &[(String, String)],
        id: usize,
        lines: Sender<Line>,
    ) -> std::io::Result<Spawned> {
        let mut command = Command::new(&python.interpreter.path);
        command
            .arg("-c")
            .arg(WORKER_SCRIPT)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        #[cfg(unix)]
        {
            use std::os::unix::process::CommandExt;
            command.process_group(0);
        }
        isolate::die_with_parent(&mut command);
        let mut child = command.spawn()?;
        let stdout = child.stdout.take().expect("stdout is piped");
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if lines.send((id, Some(line))).is_err() {
                    return;
                }
            }
            let _ = lines.send((id, None));
        });
        let captured = Captured::start(child.stderr.take().expect("stderr is piped"));
        Ok(Spawned {
            stdin: child.stdin.take(),
            child,
            captured: Some(captured),
        })
    }

    /// Send one request; a worker that is gone shows up as its channel closing.
    pub(super) fn send(&mut self, request: &Value) {
        if let Some(stdin) = &mut self.stdin {
            let mut line = request.to_string();
            line.push('\n');
            let _ = stdin
                .write_all(line.as_bytes())
                .and_then(|()| stdin.flush());
        }
    }

    /// What the worker printed since last asked.
    pub(super) fn output(&self) -> String {
        self.captured
            .as_ref()
            .map(Captured::take)
            .unwrap_or_default()
    }

    /// Ask the worker for every thread's stack (faulthandler, on stderr).
    #[cfg(unix)]
    pub(super) fn dump_stacks(&self) {
        // SAFETY: signalling our own unreaped child.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, libc::SIGUSR1);
        }
    }

    #[cfg(not(unix))]
    pub(super) fn dump_stacks(&self) {}

    /// How the worker ended, once its channel has closed: `exited with
    /// code 3`, `was killed by SIGSEGV (…)`.
    pub(super) fn how_it_ended(&mut self) -> String {
        let deadline = Instant::now() + Duration::from_secs(1);
        while !isolate::has_exited(&self.child) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(2));
        }
        isolate::kill_group(&self.child);
        match self.child.wait() {
            Ok(status) => match isolate::signal_of(&status) {
                Some(signal) => format!("was killed by {signal}"),
                None => format!("exited with code {}", status.code().unwrap_or(-1)),
            },
            Err(e) => format!("could not be waited for: {e}"),
        }
    }

    /// Tell the worker there are no more requests: it exits.
    pub(super) fn close_input(&mut self) {
        drop(self.stdin.take());
    }

    /// End the worker (its whole group) and return what it printed.
    pub(super) fn finish(mut self) -> String {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_millis(200);
        while !isolate::has_exited(&self.child) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        isolate::kill_group(&self.child);
        let _ = self.child.wait();
        self.captured
            .take()
            .map(Captured::finish)
            .unwrap_or_default()
    }
}

/// Why waiting for a worker's reply stopped short.
pub(super) enum Stopped {
    TimedOut(Duration),
    /// Its channel closed: how it ended.
    Ended(String),
    Interrupted,
    /// It sent something that is not a reply.
    Garbled(String),
}

impl Stopped {
    /// One line, with the last line the worker printed when it says why.
    pub(super) fn explain(&self, output: &str) -> String {
        let last = output.lines().rev().find(|l| !l.trim().is_empty());
        let said = last.map(|l| format!(": {}", l.trim())).unwrap_or_default();
        match self {
            Stopped::TimedOut(limit) => {
                format!("the Python worker took more than {} s", limit.as_secs_f64())
            }
            Stopped::Ended(how) => format!("the Python worker {how}{said}"),
            Stopped::Interrupted => "interrupted".into(),
            Stopped::Garbled(line) => format!("the Python worker sent {line:?}"),
        }
    }
}

/// Wait up to `limit` for the next line of `lines` and read it as JSON.
pub(super) fn receive(
    context: &RunContext,
    lines: &Receiver<Line>,
    worker: &mut Spawned,
    limit: Duration,
) -> Result<Value, Stopped> {
    let deadline = Instant::now() + limit;
    loop {
        if context.stopped().is_some() {
            return Err(Stopped::Interrupted);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Stopped::TimedOut(limit));
        }
        match lines.recv_timeout(left.min(Duration::from_millis(20))) {
            Ok((_, Some(line))) => {
                return serde_json::from_str(&line).map_err(|_| Stopped::Garbled(line));
            }
            Ok((_, None)) | Err(RecvTimeoutError::Disconnected) => {
                return Err(Stopped::Ended(worker.how_it_ended()));
            }
            Err(RecvTimeoutError::Timeout) => {}
        }
    }
}

/// Start one worker, send it `request` and read its one reply within `limit`.
pub(super) fn ask_once(
    context: &RunContext,
    python: &Python,
    request: &Value,
    limit: Duration,
) -> Result<Value, String> {
    let (tx, lines) = mpsc::channel();
    let mut worker = Spawned::start(python, &python.worker_env(1, 0), 0, tx)
        .map_err(|e| format!("cannot start {}: {e}", python.interpreter.path.display()))?;
    worker.send(request);
    let reply = receive(context, &lines, &mut worker, limit);
    let output = worker.finish();
    reply.map_err(|stopped| stopped.explain(&output))
}
