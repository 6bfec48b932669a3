//! Reading a library's benchmarks without running any of its code in
//! pybench itself. Loading a library runs its constructors, and its
//! `pybench_meta_*` companions are its code too: either may exit, crash or
//! hang. So a describe worker — pybench re-executing itself as
//! `pybench __describe`, in its own process group like the seed workers of
//! `isolate.rs` — loads the library, calls the companions and sends their
//! text back; the parent parses it. A library that fails there fails alone,
//! as one ERROR naming the library and the cause. Every library gets its
//! own worker, all at once, so describing costs about one process start.
//!
//! The describe job speaks its own protocol (below), apart from the seed
//! job's.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, ExitStatus};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::context::RunContext;
use super::discover::LibraryError;
use super::isolate::{self, Captured};
use super::library::{self, parse_settings};
use super::worker::private_stdout;
use crate::exit::WORKER_SETUP_FAILED;
use crate::settings::{DeclaredSettings, MAX_TIMEOUT, SettingsError};

/// The hidden first argument that turns pybench into a describe worker.
pub const DESCRIBE_ARG: &str = "__describe";

/// How long loading a library and calling its companions may take when
/// no `--timeout` is given.
pub const DEFAULT_LIMIT: Duration = Duration::from_secs(60);

/// The most describe workers running at once.
const MAX_CONCURRENT: usize = 16;

/// The most of a failed library's last output line quoted in its error.
const QUOTED_CHARS: usize = 120;

#[derive(Serialize, Deserialize)]
struct Job {
    library: PathBuf,
    companions: Vec<String>,
}

/// The describe worker's messages, one JSON line each: `loaded`, then one
/// `meta` per companion in the job's order; or `load_failed` at any point.
#[derive(Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
enum Report {
    Loaded,
    LoadFailed { reason: String },
    Meta { text: MetaText },
}

/// What a companion returned.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum MetaText {
    Text(String),
    Null,
    NotUtf8,
}

/// A library to describe: its canonical path and its companions, one per
/// benchmark.
pub struct Request {
    pub library: PathBuf,
    pub companions: Vec<String>,
}

/// Each companion's declared settings, in the request's order; or why the
/// library could not be described (`library failed while loading: ...`).
pub type Description = Result<Vec<Result<DeclaredSettings, SettingsError>>, String>;

/// The limit on describing one library: `--timeout` when given (and
/// valid), else [`DEFAULT_LIMIT`].
pub fn limit(timeout: Option<f64>) -> Duration {
    timeout
        .filter(|t| *t > 0.0 && *t <= MAX_TIMEOUT)
        .and_then(|t| Duration::try_from_secs_f64(t).ok())
        .unwrap_or(DEFAULT_LIMIT)
}

/// Describe every library, each in its own worker, concurrently; the
/// descriptions come back in the order of `requests`.
pub fn describe_all(
    context: &RunContext,
    requests: &[Request],
    limit: Duration,
) -> Vec<Description> {
    let exe = match isolate::own_executable() {
        Ok(exe) => exe,
        Err(e) => return requests.iter().map(|_| Err(e.to_string())).collect(),
    };
    let next = AtomicUsize::new(0);
    let mut described: Vec<(usize, Description)> = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..requests.len().min(MAX_CONCURRENT))
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let index = next.fetch_add(1, Ordering::SeqCst);
                        let Some(request) = requests.get(index) else {
                            return mine;
                        };
                        mine.push((index, describe(context, &exe, request, limit)));
                    }
                })
            })
            .collect();
        threads
            .into_iter()
            .flat_map(|t| t.join().unwrap_or_default())
            .collect()
    });
    described.sort_by_key(|(index, _)| *index);
    described.into_iter().map(|(_, d)| d).collect()
}

/// How following a describe worker stopped short.
enum Stopped {
    /// It said why, or took too long: the whole message.
    Because(String),
    /// It exited during `stage` ("while loading", "in pybench_meta_x").
    Ended(String),
}

/// Describe one library in a worker started from `exe`.
fn describe(context: &RunContext, exe: &Path, request: &Request, limit: Duration) -> Description {
    let mut child = isolate::spawn(exe, DESCRIBE_ARG)
        .map_err(|e| format!("cannot start a worker process: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        let job = Job {
            library: request.library.clone(),
            companions: request.companions.clone(),
        };
        // A worker that died at once shows up below through its exit status.
        let _ = serde_json::to_writer(&mut stdin, &job);
    }
    let captured = Captured::start(child.stderr.take().expect("stderr is piped"));
    let reports = read_reports(child.stdout.take().expect("stdout is piped"));
    let followed = follow(context, &child, &reports, &request.companions, limit);
    isolate::kill_group(&child);
    let status = child.wait();
    let output = captured.finish();
    match followed {
        Ok(texts) => Ok(texts.into_iter().map(settings_of).collect()),
        Err(Stopped::Because(message)) => Err(format!("library failed {message}")),
        Err(Stopped::Ended(stage)) => Err(format!(
            "library failed {stage}: {}",
            how_it_ended(status, &output)
        )),
    }
}

/// The worker's reports, parsed on a thread of their own; a line that is
/// not a report comes through as itself.
fn read_reports(stdout: ChildStdout) -> mpsc::Receiver<Result<Report, String>> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let report = serde_json::from_str(&line).map_err(|_| line);
            if tx.send(report).is_err() {
                break;
            }
        }
    });
    rx
}

/// Follow the worker until every companion's text is in, it fails, it
/// exits, or `limit` passes.
fn follow(
    context: &RunContext,
    child: &Child,
    reports: &mpsc::Receiver<Result<Report, String>>,
    companions: &[String],
    limit: Duration,
) -> Result<Vec<MetaText>, Stopped> {
    let started = Instant::now();
    let mut loaded = false;
    let mut texts = Vec::new();
    let mut closed = false;
    while !loaded || texts.len() < companions.len() {
        let stage = if loaded {
            format!("in {}", companions[texts.len()])
        } else {
            "while loading".to_string()
        };
        if context.stopped().is_some() {
            return Err(Stopped::Because(format!("{stage}: interrupted")));
        }
        if started.elapsed() > limit {
            let seconds = limit.as_secs_f64();
            return Err(Stopped::Because(format!(
                "{stage}: timed out after {seconds} s"
            )));
        }
        if closed {
            // Wait for the exit itself, or the group kill would be its cause.
            if isolate::has_exited(child) {
                return Err(Stopped::Ended(stage));
            }
            std::thread::sleep(Duration::from_millis(2));
            continue;
        }
        match reports.recv_timeout(Duration::from_millis(5)) {
            Ok(Ok(Report::Loaded)) if !loaded => loaded = true,
            Ok(Ok(Report::Meta { text })) if loaded => texts.push(text),
            Ok(Ok(Report::LoadFailed { reason })) => {
                return Err(Stopped::Because(format!("{stage}: {reason}")));
            }
            Ok(Ok(_)) => {
                return Err(Stopped::Because(format!("{stage}: a report out of order")));
            }
            Ok(Err(line)) => {
                let shown: String = line.chars().take(QUOTED_CHARS).collect();
                return Err(Stopped::Because(format!(
                    "{stage}: unexpected output {shown:?}"
                )));
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => closed = true,
        }
    }
    Ok(texts)
}

/// "the worker process exited with code 0", with the last line it printed.
fn how_it_ended(status: std::io::Result<ExitStatus>, output: &str) -> String {
    let how = match status {
        Err(e) => return format!("cannot wait for the worker process: {e}"),
        Ok(status) => match isolate::signal_of(&status) {
            Some(signal) => format!("the worker process was killed by {signal}"),
            None => format!(
                "the worker process exited with code {}",
                status.code().unwrap_or(-1)
            ),
        },
    };
    match output.lines().rev().find(|l| !l.trim().is_empty()) {
        Some(last) => {
            let shown: String = last.trim().chars().take(QUOTED_CHARS).collect();
            format!("{how} (its last output: {shown:?})")
        }
        None => how,
    }
}

fn settings_of(text: MetaText) -> Result<DeclaredSettings, SettingsError> {
    match text {
        MetaText::Text(text) => parse_settings(&text),
        MetaText::Null => Err(SettingsError::NullCompanion),
        MetaText::NotUtf8 => Err(SettingsError::NotUtf8),
    }
}

/// The describe worker: load the library, call each companion, report.
/// Returns the process exit code.
pub fn describe_main() -> i32 {
    let channel = match private_stdout() {
        Ok(channel) => channel,
        Err(e) => {
            eprintln!("error: {e}");
            return WORKER_SETUP_FAILED;
        }
    };
    let mut channel = std::io::BufWriter::new(channel);
    let mut send = |report: &Report| {
        // The parent gone means nobody is listening: nothing left to do.
        let _ = serde_json::to_writer(&mut channel, report);
        let _ = channel.write_all(b"\n");
        let _ = channel.flush();
    };
    let mut input = String::new();
    let job = std::io::stdin()
        .read_to_string(&mut input)
        .map_err(|e| format!("cannot read the job: {e}"))
        .and_then(|_| serde_json::from_str::<Job>(&input).map_err(|e| format!("invalid job: {e}")));
    let job = match job {
        Ok(job) => job,
        Err(reason) => {
            send(&Report::LoadFailed { reason });
            return 0;
        }
    };
    let handle = match library::open(&job.library) {
        Ok(handle) => handle,
        Err(e) => {
            send(&Report::LoadFailed {
                reason: load_reason(e),
            });
            return skip_teardown();
        }
    };
    send(&Report::Loaded);
    for companion in &job.companions {
        let report = match library::meta_fn(&handle, &job.library, companion) {
            Ok(meta) => Report::Meta {
                text: match library::companion_text(meta) {
                    Ok(text) => MetaText::Text(text),
                    Err(SettingsError::NullCompanion) => MetaText::Null,
                    Err(_) => MetaText::NotUtf8,
                },
            },
            Err(e) => Report::LoadFailed {
                reason: load_reason(e),
            },
        };
        send(&report);
    }
    skip_teardown()
}

/// A load error without the path (the ERROR line names the library).
fn load_reason(e: LibraryError) -> String {
    match e {
        LibraryError::Load { reason, .. } => reason,
        other => other.to_string(),
    }
}

/// Exit at once: the library's destructors and `atexit` handlers are no
/// part of describing it, and must not turn a described library into a
/// failed one.
fn skip_teardown() -> i32 {
    #[cfg(unix)]
    // SAFETY: `_exit` ends the process; everything sent was flushed.
    unsafe {
        libc::_exit(0)
    }
    #[cfg(not(unix))]
    0
}
