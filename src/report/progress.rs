//! Progress on stderr, never on stdout or in `--json`. On a terminal, one
//! bar per running benchmark (seeds done of the total, with an ETA).
//! Without one (CI logs, pipes) a line when a benchmark starts, a line when
//! it finishes, and during a long benchmark a line every 30 s (or
//! `PYBENCH_PROGRESS_INTERVAL`), also while one seed takes an hour, so a
//! CI log is never silent for long. Nothing with `-q`.
//!
//! The runner reports through [`Progress::bench_started`],
//! [`Bar::seed_done`] (safe from any worker thread) and [`Progress::finish`].

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How often, at most, a line reports a running benchmark without a terminal.
pub const LINE_INTERVAL: Duration = Duration::from_secs(30);

/// The environment variable that sets that interval, in seconds.
pub const INTERVAL_VAR: &str = "PYBENCH_PROGRESS_INTERVAL";

/// The run's progress display.
pub struct Progress {
    mode: Mode,
}

enum Mode {
    Off,
    Bars(MultiProgress),
    Lines(Duration),
}

/// One benchmark's progress.
pub struct Bar(BarKind);

enum BarKind {
    Off,
    Bar(ProgressBar),
    /// The lines, and the heartbeat that says them while no seed ends.
    Line(Arc<Lines>, Heartbeat),
}

/// A thread that says a benchmark's progress every interval; dropping
/// `stop` ends it.
struct Heartbeat {
    stop: Sender<()>,
    thread: JoinHandle<()>,
}

/// A benchmark's progress as lines: its seeds done and when it last said so.
struct Lines {
    name: String,
    total: usize,
    done: AtomicU64,
    started: Instant,
    interval: Duration,
    last: Mutex<Instant>,
}

impl Progress {
    /// Bars drawn on stderr when `enabled`; nothing otherwise.
    pub fn new(enabled: bool) -> Progress {
        let mode = if enabled {
            Mode::Bars(MultiProgress::with_draw_target(ProgressDrawTarget::stderr()))
        } else {
            Mode::Off
        };
        Progress { mode }
    }

    /// Bars on a terminal, lines without one, nothing when `quiet`.
    pub fn for_terminal(quiet: bool) -> Progress {
        if quiet {
            Progress::new(false)
        } else if std::io::stderr().is_terminal() {
            Progress::new(true)
        } else {
            Progress::lines(line_interval())
        }
    }

    /// Lines on stderr, a running benchmark's at most every `interval`.
    pub fn lines(interval: Duration) -> Progress {
        Progress {
            mode: Mode::Lines(interval),
        }
    }

    /// Bars drawn into nowhere (for tests of the bookkeeping).
    pub fn hidden() -> Progress {
        Progress {
            mode: Mode::Bars(MultiProgress::with_draw_target(ProgressDrawTarget::hidden())),
        }
    }

    pub fn enabled(&self) -> bool {
        !matches!(self.mode, Mode::Off)
    }

    /// Progress for `name` running `n_seeds` seeds.
    pub fn bench_started(&self, name: &str, n_seeds: usize) -> Bar {
        Bar(match &self.mode {
            Mode::Off => BarKind::Off,
            Mode::Bars(multi) => {
                let bar = multi.add(ProgressBar::new(n_seeds as u64));
                bar.set_style(
                    ProgressStyle::with_template(
                        "{prefix:18} [{bar:30}] {pos}/{len} seeds  {elapsed_precise}  ETA {eta}",
                    )
                    .expect("a valid template")
                    .progress_chars("=> "),
                );
                bar.set_prefix(super::terminal::bench_name(name));
                BarKind::Bar(bar)
            }
            Mode::Lines(interval) => {
                let lines = Lines {
                    name: super::terminal::bench_name(name),
                    total: n_seeds,
                    done: AtomicU64::new(0),
                    started: Instant::now(),
                    interval: *interval,
                    last: Mutex::new(Instant::now()),
                };
                eprintln!("pybench: {} started: {n_seeds} seeds", lines.name);
                let lines = Arc::new(lines);
                BarKind::Line(Arc::clone(&lines), heartbeat(lines))
            }
        })
    }

    /// Remove a finished benchmark's bar, or say that it finished.
    pub fn finish(&self, bar: Bar) {
        match (bar.0, &self.mode) {
            (BarKind::Bar(bar), Mode::Bars(multi)) => {
                bar.finish_and_clear();
                multi.remove(&bar);
            }
            (BarKind::Line(lines, heartbeat), _) => {
                // Stopped first, so that no line of it follows this one.
                drop(heartbeat.stop);
                let _ = heartbeat.thread.join();
                eprintln!("{}", lines.finished());
            }
            _ => {}
        }
    }
}

impl Bar {
    /// One more seed done.
    pub fn seed_done(&self) {
        match &self.0 {
            BarKind::Off => {}
            BarKind::Bar(bar) => bar.inc(1),
            BarKind::Line(lines, _) => {
                lines.done.fetch_add(1, Ordering::Relaxed);
                if let Some(line) = lines.due(Instant::now()) {
                    eprintln!("{line}");
                }
            }
        }
    }

    /// Print `line` on stderr, the bar redrawn below it.
    pub fn say(&self, line: &str) {
        match &self.0 {
            BarKind::Bar(bar) => bar.suspend(|| eprintln!("{line}")),
            _ => eprintln!("{line}"),
        }
    }

    /// Seeds done so far (0 when disabled).
    pub fn position(&self) -> u64 {
        match &self.0 {
            BarKind::Off => 0,
            BarKind::Bar(bar) => bar.position(),
            BarKind::Line(lines, _) => lines.done.load(Ordering::Relaxed),
        }
    }
}

impl Lines {
    /// The progress line, when `interval` has passed since the last line.
    fn due(&self, now: Instant) -> Option<String> {
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        if now.duration_since(*last) < self.interval {
            return None;
        }
        *last = now;
        Some(format!(
            "pybench: {}: {}/{} seeds, {}",
            self.name,
            self.done.load(Ordering::Relaxed),
            self.total,
            elapsed(now.duration_since(self.started))
        ))
    }

    fn finished(&self) -> String {
        format!(
            "pybench: {} finished: {}/{} seeds in {}",
            self.name,
            self.done.load(Ordering::Relaxed),
            self.total,
            elapsed(self.started.elapsed())
        )
    }
}

/// Say `lines`' progress every interval, also while no seed ends (a seed
/// can take an hour).
fn heartbeat(lines: Arc<Lines>) -> Heartbeat {
    let (stop, stopped) = mpsc::channel::<()>();
    let thread = std::thread::spawn(move || {
        while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(lines.interval) {
            if let Some(line) = lines.due(Instant::now()) {
                eprintln!("{line}");
            }
        }
    });
    Heartbeat { stop, thread }
}

/// The interval of [`INTERVAL_VAR`], else [`LINE_INTERVAL`]; a value that
/// is not a number of seconds from 0.1 to a day is said once and ignored.
fn line_interval() -> Duration {
    let Some(text) = std::env::var_os(INTERVAL_VAR) else {
        return LINE_INTERVAL;
    };
    let seconds = text.to_str().and_then(|t| t.trim().parse::<f64>().ok());
    match seconds {
        Some(s) if (0.1..=86_400.0).contains(&s) => Duration::from_secs_f64(s),
        _ => {
            eprintln!(
                "warning: {INTERVAL_VAR}={} is not a number of seconds from 0.1 to 86400; progress lines come every {} s",
                super::terminal::escape(&text.to_string_lossy()),
                LINE_INTERVAL.as_secs()
            );
            LINE_INTERVAL
        }
    }
}

/// `2.3s`, `4m 05s`, `1h 02m`.
fn elapsed(duration: Duration) -> String {
    let seconds = duration.as_secs_f64();
    let whole = duration.as_secs();
    if seconds < 60.0 {
        format!("{seconds:.1}s")
    } else if whole < 3600 {
        format!("{}m {:02}s", whole / 60, whole % 60)
    } else {
        format!("{}h {:02}m", whole / 3600, whole % 3600 / 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disabled_progress_is_a_no_op() {
        let progress = Progress::new(false);
        assert!(!progress.enabled());
        let bar = progress.bench_started("bench_x", 3);
        bar.seed_done();
        assert_eq!(bar.position(), 0);
        progress.finish(bar);
    }

    #[test]
    fn bars_count_seeds_from_worker_threads() {
        let progress = Progress::hidden();
        let bar = progress.bench_started("bench_x", 8);
        std::thread::scope(|scope| {
            for _ in 0..8 {
                scope.spawn(|| bar.seed_done());
            }
        });
        assert_eq!(bar.position(), 8);
        progress.finish(bar);
    }

    #[test]
    fn lines_come_at_most_once_per_interval() {
        let start = Instant::now();
        let lines = Lines {
            name: "bench_x".into(),
            total: 30,
            done: AtomicU64::new(12),
            started: start,
            interval: LINE_INTERVAL,
            last: Mutex::new(start),
        };
        assert_eq!(lines.due(start + Duration::from_secs(29)), None);
        assert_eq!(
            lines.due(start + Duration::from_secs(30)).as_deref(),
            Some("pybench: bench_x: 12/30 seeds, 30.0s")
        );
        assert_eq!(lines.due(start + Duration::from_secs(59)), None);
        assert_eq!(
            lines.due(start + Duration::from_secs(3725)).as_deref(),
            Some("pybench: bench_x: 12/30 seeds, 1h 02m")
        );
    }

    #[test]
    fn elapsed_reads_in_the_largest_units() {
        assert_eq!(elapsed(Duration::from_millis(2300)), "2.3s");
        assert_eq!(elapsed(Duration::from_secs(245)), "4m 05s");
    }
}
