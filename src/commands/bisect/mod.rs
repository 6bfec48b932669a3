//! `pybench bisect [GOOD [BAD]] [PATH...]`: the first-parent commit of
//! `GOOD..BAD` at which a benchmark starts to FAIL against GOOD.
//!
//! The search is `crate::bisection` (pure); this module reads the range
//! (`store::range`), builds and loads each probed commit once through the
//! `--against` cache (`probe::Commits`), judges every probe as a check
//! against GOOD's scores at `alpha/⌈log2 m⌉` (`probe::judge_probe`), and
//! prints one line per probe and the answer (`output`). It never touches
//! the work tree, the index, HEAD or the baseline file.

mod output;
mod probe;

use std::path::PathBuf;
use std::time::Instant;

use crate::bisection::{self, Answer, Bisection, Probe};
use crate::cli::BisectArgs;
use crate::error::{BisectError, Error};
use crate::exit;
use crate::report::progress::Progress;
use crate::runner::{self, Benchmark, RunContext, SeedSource};
use crate::settings::Overrides;
use crate::store::Store;
use crate::store::git;
use crate::store::range::{self, CommitRange};

use output::Outcome;
use probe::{Commits, ProbeRecord, Session};

/// The whole `pybench bisect` run; the result is the exit code.
pub fn run(args: &BisectArgs) -> Result<i32, Error> {
    let started = Instant::now();
    let cwd = std::env::current_dir().unwrap_or_default();
    let (revisions, paths) = split_args(&args.args)?;
    // Checked before anything builds, as a check's report targets are.
    if let Some(path) = args
        .json
        .as_deref()
        .filter(|p| !crate::report::is_stdout(p))
    {
        crate::report::probe_file(path)?;
    }
    let store = Store::open(&args.store.baseline())?;
    let selection = args.store.selection();
    let good = match revisions.0 {
        Some(good) => good,
        None => default_good(&store, &selection)?,
    };
    let bad = revisions.1.unwrap_or_else(|| "HEAD".into());
    let range = range::first_parent_range(&cwd, &good, &bad).map_err(BisectError::from)?;
    let mut search = runner::Search {
        paths,
        no_build: false,
        verbose: false,
        selection,
        in_process: false,
        timeout: args.settings.timeout,
        quiet: args.quiet,
        python: None,
        python_revision: None,
        project: args.store.project.root().to_path_buf(),
        hashes: args.store.project.hashes().clone(),
    };
    search.paths = runner::discover::resolve_paths(&search.paths, false, args.quiet)?;
    let printer = output::Printer::new(args.quiet, args.json.as_deref());
    if git::repo_state(&cwd)?.is_some_and(|r| r.dirty) {
        printer.note("the working tree is dirty: bisect judges commits, not uncommitted changes");
    }
    let progress = Progress::for_terminal(args.quiet);
    let context = RunContext::catching_signals();
    let session = Session {
        context,
        overrides: Overrides {
            adaptive: args.adaptive.then_some(true),
            ..super::overrides(&args.settings, args.store.project.root())?
        },
        seed_source: SeedSource::from_env()?,
        progress: &progress,
        project: &args.store.project,
        m: range.candidates.len(),
        lambdas: Default::default(),
    };
    let mut commits = Commits::new(context, search);
    printer.header(&range, &good, &bad);
    let outcomes = bisect_all(&range, &store, &session, &mut commits, &printer)?;
    let code = printer.conclude(&range, &outcomes, started.elapsed().as_secs_f64());
    if let Some(path) = &args.json {
        output::write_json(path, &range, &outcomes)?;
    }
    match code {
        Ok(()) => Ok(exit::OK),
        Err(e) => Err(e.into()),
    }
}

/// `[GOOD [BAD]] [PATH...]`, or `GOOD..BAD` first: an argument naming an
/// existing file or directory starts the PATHs.
type Revisions = (Option<String>, Option<String>);

fn split_args(args: &[PathBuf]) -> Result<(Revisions, Vec<PathBuf>), BisectError> {
    let mut revisions: Vec<String> = Vec::new();
    let mut paths = Vec::new();
    for arg in args {
        if !paths.is_empty() || arg.exists() {
            paths.push(arg.clone());
            continue;
        }
        let text = arg.to_string_lossy().into_owned();
        match text.split_once("..") {
            Some((good, bad)) if revisions.is_empty() => {
                let side = |s: &str| (!s.is_empty()).then(|| s.to_string());
                revisions = vec![
                    side(good).unwrap_or_default(),
                    side(bad).unwrap_or_default(),
                ];
            }
            _ if revisions.len() < 2 => revisions.push(text),
            _ => return Err(BisectError::TooManyRevisions(text)),
        }
    }
    let mut named = revisions.into_iter().map(|r| (!r.is_empty()).then_some(r));
    let good = named.next().flatten();
    let bad = named.next().flatten();
    Ok(((good, bad), paths))
}

/// The commit the selected stored baselines were measured at.
fn default_good(store: &Store, selection: &runner::Selection) -> Result<String, BisectError> {
    let mut commits: Vec<String> = store
        .baselines()
        .filter(|b| selection.selects(&b.bench))
        .filter_map(|b| b.git_commit.clone())
        .collect();
    commits.sort();
    commits.dedup();
    match commits.as_slice() {
        [] => Err(BisectError::NoGood),
        [one] => Ok(one.clone()),
        many => Err(BisectError::GoodsDiffer(many.join(", "))),
    }
}

/// Gate every benchmark at BAD, then bisect each that FAILs there.
fn bisect_all(
    range: &CommitRange,
    store: &Store,
    session: &Session,
    commits: &mut Commits,
    printer: &output::Printer,
) -> Result<Vec<Outcome>, Error> {
    let bad = range.candidates.len() - 1;
    let loaded = commits
        .benchmarks(&range.candidates[bad])
        .map(<[Benchmark]>::to_vec);
    session.context.check()?;
    let at_bad: Vec<Benchmark> = match loaded {
        Ok(benches) => benches,
        Err(reason) => {
            return Err(BisectError::BadUnusable {
                commit: range.bad.short.clone(),
                reason,
            }
            .into());
        }
    };
    let mut outcomes = Vec::new();
    let mut unusable = None;
    for bench in at_bad.iter().filter(|b| !b.library_failed()) {
        let reference = match probe::reference(bench, range, store, session, commits)? {
            Ok(reference) => reference,
            Err(why) => {
                printer.note(&format!("{}: not bisected: {why}", bench.name));
                unusable.get_or_insert(why);
                continue;
            }
        };
        let level = session.level(bench);
        printer.bench(&bench.name, level, reference.source, range);
        let mut bisection = Bisection::new(range.candidates.len());
        let mut records: Vec<ProbeRecord> = Vec::new();
        while let Some(index) = bisection.next() {
            let record = session.probe(commits, range, index, &bench.name, &reference, level)?;
            printer.probe(&record);
            if records.iter().all(|r| r.result.is_none()) {
                printer.environment(&record);
            }
            bisection.record(index, record.verdict);
            records.push(record);
        }
        outcomes.push(Outcome {
            bench: bench.name.clone(),
            alpha: level.alpha,
            level: level.probe_alpha.get(),
            decisions: bisection::decisions(range.candidates.len()),
            reference: reference.source,
            answer: bisection.answer(),
            contradictions: bisection.contradictions(),
            probes: records,
        });
    }
    if outcomes.is_empty() {
        return Err(match unusable {
            Some(reason) => BisectError::GoodUnusable {
                commit: range.good.short.clone(),
                reason,
            },
            None => BisectError::BadUnusable {
                commit: range.bad.short.clone(),
                reason: "no benchmark could be loaded there".into(),
            },
        }
        .into());
    }
    Ok(outcomes)
}

/// Whether an outcome names a commit or a range (exit 0).
pub fn named(answer: &Answer) -> bool {
    matches!(answer, Answer::Culprit(_) | Answer::Range { .. })
}

/// The probe of candidate `index`, if it was made.
pub fn probe_at(records: &[ProbeRecord], index: usize) -> Option<&ProbeRecord> {
    records.iter().find(|r| r.index == index)
}

/// A probe that says the commit regresses.
pub fn fails(record: &ProbeRecord) -> bool {
    record.verdict == Probe::Fail
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(args: &[&str]) -> Result<(Revisions, Vec<PathBuf>), BisectError> {
        let args: Vec<PathBuf> = args.iter().map(PathBuf::from).collect();
        split_args(&args)
    }

    fn some(text: &str) -> Option<String> {
        Some(text.to_string())
    }

    // `cargo test` runs in the package root, where `src` exists.
    #[test]
    fn revisions_come_first_and_an_existing_path_starts_the_paths() {
        let (revs, paths) = split(&["v1", "HEAD~2", "src"]).unwrap();
        assert_eq!(revs, (some("v1"), some("HEAD~2")));
        assert_eq!(paths, vec![PathBuf::from("src")]);
        let (revs, paths) = split(&["src", "v1"]).unwrap();
        assert_eq!(revs, (None, None));
        assert_eq!(paths, vec![PathBuf::from("src"), PathBuf::from("v1")]);
        assert_eq!(split(&[]).unwrap(), ((None, None), vec![]));
    }

    #[test]
    fn a_dotted_range_names_both_and_either_side_may_be_left_out() {
        assert_eq!(split(&["v1..v2"]).unwrap().0, (some("v1"), some("v2")));
        assert_eq!(split(&["v1.."]).unwrap().0, (some("v1"), None));
        assert_eq!(split(&["..v2"]).unwrap().0, (None, some("v2")));
    }

    #[test]
    fn a_third_revision_that_is_no_path_is_refused() {
        let error = split(&["a", "b", "no-such-path-or-rev"]).unwrap_err();
        assert!(
            matches!(error, BisectError::TooManyRevisions(ref t) if t == "no-such-path-or-rev")
        );
        assert!(matches!(
            split(&["a..b", "c"]),
            Err(BisectError::TooManyRevisions(_))
        ));
    }
}
