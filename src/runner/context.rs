//! The run context: what a run passes down to every layer that waits on a
//! worker, instead of process-wide flags (nextest hands its signal handler
//! to its runner the same way). Today it carries the run's cancellation:
//! Ctrl-C (SIGINT), SIGTERM (CI cancellation, `timeout`, `docker stop`)
//! and SIGHUP all stop the run the same way — every worker group killed,
//! nothing written, exit 128 + the signal's number.

use std::sync::atomic::{AtomicI32, Ordering};

/// The number of the first stopping signal caught, 0 while none was. The
/// one piece of process-wide state: a signal handler can reach nothing else.
static CAUGHT: AtomicI32 = AtomicI32::new(0);

/// What a run's layers share while it runs. Cheap to copy; every function
/// that starts or waits on a worker takes one.
#[derive(Clone, Copy, Debug)]
pub struct RunContext {
    caught: &'static AtomicI32,
}

/// The run was stopped by `signal` (SIGINT, SIGTERM or SIGHUP).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stopped {
    pub signal: i32,
}

impl Stopped {
    /// The exit code of a run stopped by a signal: 128 + its number, the
    /// shell's convention (130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP).
    pub fn exit_code(self) -> i32 {
        crate::exit::stopped_by(self.signal)
    }
}

impl RunContext {
    /// The context of a run that stops on SIGINT, SIGTERM and SIGHUP. Made
    /// once a command starts work it must be able to stop (workers, builds):
    /// before that, and in commands that never start one, a signal ends
    /// pybench at once as usual.
    pub fn catching_signals() -> RunContext {
        install_handlers();
        RunContext { caught: &CAUGHT }
    }

    /// Whether a stopping signal arrived: running workers must be killed
    /// and the run must end without writing anything.
    pub fn stopped(&self) -> Option<Stopped> {
        match self.caught.load(Ordering::SeqCst) {
            0 => None,
            signal => Some(Stopped { signal }),
        }
    }

    /// `Err` once the run was stopped.
    pub fn check(&self) -> Result<(), Stopped> {
        self.stopped().map_or(Ok(()), Err)
    }
}

#[cfg(unix)]
extern "C" fn on_signal(signal: libc::c_int) {
    // Only the first signal counts: a SIGHUP after Ctrl-C still exits 130.
    let _ = CAUGHT.compare_exchange(0, signal, Ordering::SeqCst, Ordering::SeqCst);
}

#[cfg(unix)]
fn install_handlers() {
    for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        // SAFETY: an all-zero sigaction is valid; the handler only stores
        // to an atomic, which is async-signal-safe. SA_RESTART keeps the
        // reads and waits the run is in from failing with EINTR: every
        // loop that waits on a worker polls the context instead.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
            action.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(signal, &action, std::ptr::null_mut());
        }
    }
}

#[cfg(not(unix))]
fn install_handlers() {
    // Ctrl-C is the only stopping signal there is; SIGINT's number.
    let _ = ctrlc::set_handler(|| {
        let _ = CAUGHT.compare_exchange(0, 2, Ordering::SeqCst, Ordering::SeqCst);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exit_code_is_128_plus_the_signal() {
        assert_eq!(Stopped { signal: 2 }.exit_code(), 130);
        assert_eq!(Stopped { signal: 15 }.exit_code(), 143);
        assert_eq!(Stopped { signal: 1 }.exit_code(), 129);
    }
}
