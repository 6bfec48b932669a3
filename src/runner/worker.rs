//! The worker side of crash isolation: `pybench __worker` reads its job on
//! stdin, loads the libraries, runs the seeds, parses each seed's scores
//! and streams them back (see `protocol.rs`) on its original stdout, which it keeps as a
//! private channel; fd 1 is pointed at stderr, so whatever a benchmark
//! prints is captured with its stderr instead of garbling the channel.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::Mutex;

use super::call::{self as run, RunError};
use super::library;
use super::protocol::{self, Job};
use crate::exit::WORKER_SETUP_FAILED;
use crate::scores::SlotSets;

/// Why a worker could not run its job (its last stderr line, exit code 3).
#[derive(Debug, thiserror::Error)]
pub(super) enum WorkerError {
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
    Library(#[from] super::discover::LibraryError),
    #[error("{} no longer exports {bench}", .library.display())]
    Gone { library: PathBuf, bench: String },
    #[error(transparent)]
    Run(#[from] RunError),
}

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
        let path = library::canonical(&side.library)?;
        let handle = library::open(&path)?;
        let entry =
            library::bench_fn(&handle, &path, &side.bench).map_err(|_| WorkerError::Gone {
                library: side.library.clone(),
                bench: side.bench.clone(),
            })?;
        entries.push(entry);
        loaded.push(handle);
    }
    let send = |frame: &[u8]| {
        let mut channel = channel.lock().unwrap_or_else(|e| e.into_inner());
        if channel
            .write_all(frame)
            .and_then(|()| channel.flush())
            .is_err()
        {
            // The parent is gone: nobody will read another seed.
            parent_gone();
        }
    };
    // A new slot list goes out before any seed that uses it.
    let sets = SlotSets::announcing(|id, slots| send(&protocol::slots(id, slots)));
    run::call_all(
        &entries,
        &job.seeds,
        job.workers,
        job.reply,
        &sets,
        |index| send(&protocol::start(index)),
        |index, side, result| send(&protocol::done(index, side, result, &sets)),
    )?;
    Ok(())
}

/// Stop at once, with every process the benchmark started: the worker
/// leads its group (the parent made it so), and the seeds still running
/// in its threads must not finish for nobody.
fn parent_gone() -> ! {
    #[cfg(unix)]
    // SAFETY: signalling our own process group, which we lead, or
    // ending this process without running other threads' code.
    unsafe {
        if libc::getpgrp() == libc::getpid() {
            libc::kill(0, libc::SIGKILL);
        }
        libc::_exit(WORKER_SETUP_FAILED)
    }
    #[cfg(not(unix))]
    std::process::exit(WORKER_SETUP_FAILED)
}

/// Keep the real stdout for the channel and send fd 1 to stderr.
#[cfg(unix)]
pub(super) fn private_stdout() -> Result<std::fs::File, WorkerError> {
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
pub(super) fn private_stdout() -> Result<std::fs::File, WorkerError> {
    Err(WorkerError::Unsupported)
}
