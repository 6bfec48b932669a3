//! The pipeline every judging command shares: for each benchmark, produce
//! its result (run it, or join its shards), print its line, collect the
//! baselines to write; then write them, print the summary, write the
//! reports, and choose the exit code. A normal run, `update` and `merge`
//! share it, so a merged run reads exactly as an unsharded one.

use std::time::Instant;

use super::saving::{Saving, confirm_dirty};
use crate::error::Error;
use crate::exit;
use crate::judge::family;
use crate::judge::{Reference, References};
use crate::report::terminal::{self, NameColumn};
use crate::report::{self, ExportManager, Provenance, RunReport, shared_error};
use crate::result::{BenchResult, RunFamily, Status};
use crate::runner::RunContext;
use crate::settings::RunMode;
use crate::stats::Family;
use crate::stats::mde::{Lambdas, SdSource};
use crate::store::git::{self, RepoState};
use crate::store::sensitivity;
use crate::store::{Baseline, Store, StoreError};

/// How the pipeline reports and writes.
pub struct Pipeline {
    /// The run's signals: a stopped run writes nothing.
    pub context: RunContext,
    pub mode: RunMode,
    /// The run-level correction of a check's verdicts.
    pub family: Family,
    /// Write baselines on a dirty tree without asking.
    pub yes: bool,
    pub verbose: bool,
    /// Only FAIL and ERROR lines and the summary.
    pub quiet: bool,
    /// A report goes to stdout (`--json -`), so the text goes to stderr.
    pub text_to_stderr: bool,
    pub started: Instant,
    /// Every report target, checked before anything ran.
    pub exports: ExportManager,
    /// MISSING benchmarks: in the baseline file and in scope, but not
    /// discovered. Shown after those that ran.
    pub missing: Vec<BenchResult>,
    /// The width of the name column, fitted to the run's names once they
    /// are known.
    pub column: NameColumn,
    /// The `λ*` of the run's MDEs, each solved once for the whole run.
    pub lambdas: Lambdas,
    /// How many results are shown, when lines stream.
    pub shown: usize,
}

impl Pipeline {
    /// Judge `benchmarks` in order against `references` (`produce` runs
    /// or joins one, given its reference), print, write baselines (only
    /// against stored ones) and reports. The result is the exit code.
    /// `sources` says where each was found (shorter when unknown): a
    /// streamed line of a failed import waits while the next benchmark is
    /// of the same file, so that the file reads as one line.
    pub fn run(
        mut self,
        benchmarks: &[&str],
        sources: &[Option<String>],
        mut references: References,
        mut produce: impl FnMut(usize, Reference<'_>) -> BenchResult,
    ) -> Result<i32, Error> {
        let (repo, saving) = self.prepare(benchmarks, &mut references)?;
        self.column = self.column(benchmarks, &references);
        self.print(&self.header(benchmarks, &references));
        let mut results = Vec::with_capacity(benchmarks.len());
        let mut updates = Vec::new();
        for (index, bench) in benchmarks.iter().enumerate() {
            let reference = match self.mode {
                RunMode::Check => references.of(bench),
                RunMode::Update => Reference::None,
            };
            let result = produce(index, reference);
            self.context.check()?;
            let result = saving.keep(result, &mut updates, repo.as_ref());
            self.take(result, &mut results);
            self.show_unless_file_continues(&results, sources.get(index + 1));
        }
        for missing in std::mem::take(&mut self.missing) {
            self.take(missing, &mut results);
        }
        self.show_unless_file_continues(&results, None);
        let (results, unsaved, trailer) = match &mut references {
            References::Stored(store) => {
                let (results, unsaved) = save(store, updates, results);
                (results, unsaved, String::new())
            }
            References::Revision(against) => (results, false, against.trailer.clone()),
        };
        let summary = self.mode == RunMode::Check;
        self.conclude_with(results, &trailer, repo.as_ref(), summary, unsaved)
    }

    /// How many benchmarks of a corrected check will be judged: an
    /// adaptive check spends its alpha divided by it (1 when nothing is
    /// corrected).
    pub fn family_size(&self, benchmarks: &[&str], references: &References) -> usize {
        if self.mode != RunMode::Check || self.family == Family::None {
            return 1;
        }
        let judged = benchmarks.iter().filter(|b| references.of(b).judges());
        judged.count().max(1)
    }

    /// The run's git state and how it saves NEW baselines: asked on a dirty
    /// tree, and the file probed, before anything runs (a file that cannot
    /// be written would otherwise be found only after every benchmark ran).
    fn prepare(
        &self,
        benchmarks: &[&str],
        references: &mut References,
    ) -> Result<(Option<RepoState>, Saving), Error> {
        let store = match references {
            References::Revision(against) => {
                return Ok((git::repo_state(&against.repo_dir)?, Saving::Off));
            }
            References::Stored(store) => store,
        };
        let writes = match self.mode {
            RunMode::Check => benchmarks.iter().any(|b| store.get(b).is_none()),
            RunMode::Update => true,
        };
        let repo = git::repo_state(&git::existing_dir(store.path()))?;
        let declined = writes && !self.confirm_write(benchmarks, store, repo.as_ref())?;
        if writes && !declined {
            store.probe_write()?;
        }
        let saving = if declined {
            Saving::Declined
        } else {
            Saving::On
        };
        Ok((repo, saving))
    }

    /// The column that fits every name the run will print.
    fn column(&self, benchmarks: &[&str], references: &References) -> NameColumn {
        let names = benchmarks.iter().copied();
        match references {
            References::Revision(against) => {
                NameColumn::fitting(names.chain(against.benchmarks.iter().map(|b| b.name.as_str())))
            }
            References::Stored(_) => {
                NameColumn::fitting(names.chain(self.missing.iter().map(|r| r.name.as_str())))
            }
        }
    }

    /// The run's first lines.
    fn header(&self, benchmarks: &[&str], references: &References) -> String {
        if let References::Revision(against) = references {
            return format!(
                "pybench — {} discovered, against {}\n\n",
                terminal::count(against.discovered, "benchmark"),
                against.revision.label
            );
        }
        match self.mode {
            RunMode::Check => format!("{}\n", terminal::header(benchmarks.len())),
            RunMode::Update => format!(
                "pybench update — {} discovered\n\n",
                terminal::count(benchmarks.len(), "benchmark")
            ),
        }
    }

    /// Whether the lines wait for the whole run: a corrected verdict
    /// depends on every benchmark's meta-p.
    pub fn defers(&self) -> bool {
        self.family != Family::None && self.mode == RunMode::Check
    }

    /// Keep a produced result; unless the lines wait for the whole run,
    /// it is shown by [`Pipeline::show_unless_file_continues`] (or at the
    /// end).
    fn take(&self, result: BenchResult, results: &mut Vec<BenchResult>) {
        if self.defers() {
            results.push(result);
        } else {
            results.push(family::sense_alone(result, &self.lambdas));
        }
    }

    /// Show what is not shown yet, unless the last is a failed import and
    /// the next benchmark (found at `next`) is of the same file.
    fn show_unless_file_continues(
        &mut self,
        results: &[BenchResult],
        next: Option<&Option<String>>,
    ) {
        if self.defers() {
            return;
        }
        let waits = results
            .get(self.shown..)
            .and_then(<[_]>::last)
            .is_some_and(|last| {
                shared_error::failed_import(last) && next.is_some_and(|s| *s == last.source)
            });
        if !waits {
            self.show_unshown(results);
        }
    }

    /// Show what is not shown yet, a file's failed imports as one line.
    fn show_unshown(&mut self, results: &[BenchResult]) {
        for run in shared_error::runs(results.get(self.shown..).unwrap_or_default()) {
            self.show(&shared_error::as_one(run));
        }
        self.shown = results.len();
    }

    /// Correct the run's verdicts, show what waited and then `trailer`,
    /// then [`Pipeline::finish`].
    pub fn conclude(
        self,
        results: Vec<BenchResult>,
        trailer: &str,
        repo: Option<&RepoState>,
        summary: bool,
    ) -> Result<i32, Error> {
        self.conclude_with(results, trailer, repo, summary, false)
    }

    /// [`Pipeline::conclude`], for a run whose baselines were not all saved
    /// when `unsaved`: that is an error, and a regression still exits 1.
    fn conclude_with(
        mut self,
        results: Vec<BenchResult>,
        trailer: &str,
        repo: Option<&RepoState>,
        summary: bool,
        unsaved: bool,
    ) -> Result<i32, Error> {
        let (results, run_family) = if self.defers() {
            let (results, run_family) = family::correct(results, self.family, &self.lambdas);
            // All lines are known now, so the benchmarks of a file that
            // failed alike read as one line.
            for run in shared_error::runs(&results) {
                self.show(&shared_error::as_one(run));
            }
            (results, run_family)
        } else {
            self.show_unshown(&results);
            (results, None)
        };
        self.print(trailer);
        if self.mode == RunMode::Check
            && let Some(repo) = repo
        {
            // Advice for `show --sensitivity`; a failure to keep it is not
            // the run's failure.
            let _ = sensitivity::write(&repo.git_dir, paired_sds(&results));
        }
        self.finish(&results, run_family.as_ref(), repo, summary, unsaved)
    }

    /// Print one benchmark's line (and its warnings on stderr).
    pub fn show(&self, result: &BenchResult) {
        match self.mode {
            RunMode::Check => {
                self.print(&terminal::bench_lines(result, self.verbose, self.column));
            }
            RunMode::Update => {
                self.print(&format!(
                    "{}\n",
                    terminal::updated_line(result, self.column)
                ));
            }
        }
        for warning in terminal::warnings(result, self.verbose) {
            eprintln!("{warning}");
        }
    }

    /// Print unless `-q`.
    pub fn print(&self, text: &str) {
        if !self.quiet {
            self.text(text);
        }
    }

    /// Print the text report: to stdout, unless a report holds it.
    fn text(&self, text: &str) {
        if self.text_to_stderr {
            report::eprint(text);
        } else {
            report::print(text);
        }
    }

    /// The rule and summary (when `summary`), the reports, the exit code.
    /// A report or baseline that cannot be written (`unsaved`) is an error,
    /// but a regression still exits 1.
    fn finish(
        mut self,
        results: &[BenchResult],
        family: Option<&RunFamily>,
        repo: Option<&RepoState>,
        summary: bool,
        unsaved: bool,
    ) -> Result<i32, Error> {
        let seconds = self.started.elapsed().as_secs_f64();
        if summary {
            self.print(&format!(
                "{}\n{}\n",
                terminal::rule(),
                terminal::summary(results, family, seconds)
            ));
        }
        if self.mode == RunMode::Update {
            // Counted now: a benchmark that errored, or whose write failed,
            // was not rewritten.
            self.print(&format!(
                "{}\n{}\n",
                terminal::rule(),
                terminal::rewritten(results)
            ));
        }
        if self.quiet {
            self.text(&terminal::quiet_lines(
                results,
                family,
                seconds,
                self.verbose,
                self.column,
            ));
        }
        let provenance = Provenance::now(repo);
        let failed_writes = self.exports.write_all(&RunReport {
            results,
            seconds,
            provenance: &provenance,
            family,
        });
        let write_failed = !failed_writes.is_empty();
        for failure in failed_writes {
            print_error(&Error::Report(failure));
        }
        let regressed = results.iter().any(|r| r.status() == Status::Fail);
        let errored = results.iter().any(|r| r.status().is_error());
        Ok(exit::of(regressed, errored || write_failed || unsaved))
    }

    /// On a dirty tree, ask before writing; without a terminal, refuse
    /// unless `--yes`. Refused, `update` stops, while a check judges every
    /// benchmark with a baseline and saves no NEW one (false): one new
    /// benchmark must not hide the verdict on all the others.
    fn confirm_write(
        &self,
        benchmarks: &[&str],
        store: &Store,
        repo: Option<&RepoState>,
    ) -> Result<bool, Error> {
        let names: Vec<&str> = benchmarks
            .iter()
            .filter(|b| self.mode == RunMode::Update || store.get(b).is_none())
            .copied()
            .collect();
        let names = names.join(", ");
        match (confirm_dirty(self.yes, repo, &names)?, self.mode) {
            (true, _) => Ok(true),
            (false, RunMode::Check) => Ok(false),
            (false, RunMode::Update) => Err(Error::DirtyTree(names)),
        }
    }
}

/// The paired sds of every benchmark compared with its stored baseline on
/// all its seeds.
fn paired_sds(results: &[BenchResult]) -> sensitivity::Records {
    results
        .iter()
        .filter(|r| r.against.is_none() && r.sequential().is_none())
        .filter_map(|r| {
            let slots = r.reference()?.slots();
            (slots.len() == r.sensitivity.len() && !slots.is_empty()).then(|| {
                let sd = slots
                    .iter()
                    .zip(&r.sensitivity)
                    // A bound stood in for differences that were all zero:
                    // what was measured is zero.
                    .map(|(slot, mde)| {
                        let measured = match mde.sd_source {
                            SdSource::Paired => mde.sd,
                            SdSource::RunBound => 0.0,
                        };
                        (slot.to_string(), measured)
                    })
                    .collect();
                let record = sensitivity::PairedSd {
                    seeds: r.seeds.clone(),
                    sd,
                };
                (r.name.clone(), record)
            })
        })
        .collect()
}

/// Write the run's baselines: the results, and true when some were not
/// saved (their results then say so). The lines
/// that said "(baseline saved)" may already be on screen, so a failure is
/// answered with one error line naming the benchmarks not saved, and their
/// results (the deferred lines, the reports) say "not saved". The caller
/// turns it into exit 2, or 1 when anything regressed: a failed write never
/// hides a regression.
fn save(
    store: &mut Store,
    updates: Vec<Baseline>,
    results: Vec<BenchResult>,
) -> (Vec<BenchResult>, bool) {
    let names: Vec<String> = updates.iter().map(|b| b.bench.clone()).collect();
    let (error, unsaved) = match store.write(updates) {
        Ok(written) if written.kept.is_empty() => return (results, false),
        Ok(written) => (
            StoreError::Changed {
                path: store.path().to_path_buf(),
                benches: written.kept.clone(),
            },
            written.kept,
        ),
        Err(source) => (
            StoreError::NotSaved {
                source: Box::new(source),
                benches: names.clone(),
            },
            names,
        ),
    };
    print_error(&Error::Store(error));
    let results = results
        .into_iter()
        .map(|result| match unsaved.contains(&result.name) {
            true => BenchResult {
                saved: false,
                ..result
            },
            false => result,
        })
        .collect();
    (results, true)
}

/// Print `error` as its one line on stderr, escaped: names and paths in
/// it may come from a benchmark. The one reporter of run-level errors.
pub fn print_error(error: &Error) {
    eprintln!("{}", terminal::escape(&error.line()));
}
