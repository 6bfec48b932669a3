//! Progress bars on a terminal: one per running benchmark, seeds done out of
//! the total with an ETA, on stderr. Nothing at all when stderr is not a
//! terminal (CI logs, pipes) or with `-q`, so bars never mix into stdout or
//! `--json`.
//!
//! The runner reports through [`Progress::bench_started`],
//! [`Bar::seed_done`] (safe from any worker thread) and [`Progress::finish`].

use std::io::IsTerminal;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The run's progress display; a no-op when disabled.
pub struct Progress {
    multi: Option<MultiProgress>,
}

/// One benchmark's bar (a no-op when progress is disabled).
pub struct Bar(Option<ProgressBar>);

impl Progress {
    /// Bars drawn on stderr when `enabled`; nothing otherwise.
    pub fn new(enabled: bool) -> Progress {
        Progress {
            multi: enabled.then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr())),
        }
    }

    /// Enabled only when stderr is a terminal and not `quiet`.
    pub fn for_terminal(quiet: bool) -> Progress {
        Progress::new(!quiet && std::io::stderr().is_terminal())
    }

    /// Bars drawn into nowhere (for tests of the bookkeeping).
    pub fn hidden() -> Progress {
        Progress {
            multi: Some(MultiProgress::with_draw_target(ProgressDrawTarget::hidden())),
        }
    }

    pub fn enabled(&self) -> bool {
        self.multi.is_some()
    }

    /// A bar for `name` running `n_seeds` seeds.
    pub fn bench_started(&self, name: &str, n_seeds: usize) -> Bar {
        Bar(self.multi.as_ref().map(|multi| {
            let bar = multi.add(ProgressBar::new(n_seeds as u64));
            bar.set_style(
                ProgressStyle::with_template(
                    "{prefix:18} [{bar:30}] {pos}/{len} seeds  {elapsed_precise}  ETA {eta}",
                )
                .expect("a valid template")
                .progress_chars("=> "),
            );
            bar.set_prefix(super::terminal::bench_name(name));
            bar
        }))
    }

    /// Remove a finished benchmark's bar from the screen.
    pub fn finish(&self, bar: Bar) {
        if let Some(bar) = bar.0 {
            bar.finish_and_clear();
            if let Some(multi) = &self.multi {
                multi.remove(&bar);
            }
        }
    }
}

impl Bar {
    /// One more seed done.
    pub fn seed_done(&self) {
        if let Some(bar) = &self.0 {
            bar.inc(1);
        }
    }

    /// Seeds done so far (0 when disabled).
    pub fn position(&self) -> u64 {
        self.0.as_ref().map_or(0, ProgressBar::position)
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
}
