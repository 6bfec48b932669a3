//! `pybench show` and `pybench show --history`.

use std::fmt::Write as _;

use crate::cli::ShowArgs;
use crate::error::Error;
use crate::exit;
use crate::report::number::sig;
use crate::report::{self, plot, terminal};
use crate::stats;
use crate::store::git;
use crate::store::{Baseline, Store};

/// `min:loss@1: 1.06  min:loss@30: 0.46` — each slot's baseline mean.
fn slot_means(baseline: &Baseline) -> String {
    let table = &baseline.scores;
    let mut line = String::new();
    for (slot, column) in table.slots().iter().zip(table.columns()) {
        if !line.is_empty() {
            line.push_str("  ");
        }
        let slot = terminal::shown(&slot.to_string());
        let _ = write!(line, "{slot}: {}", sig(stats::numeric::mean(column), 2));
    }
    line
}

/// `measured at COMMIT`: the commit a baseline was measured at (not the
/// one that committed it), or that there was none yet.
pub(super) fn measured_at(baseline: &Baseline) -> String {
    match &baseline.git_commit {
        Some(commit) => format!("measured at {commit}"),
        None => "measured before the first commit".into(),
    }
}

pub fn run(args: &ShowArgs) -> Result<i32, Error> {
    if args.history {
        return history(args);
    }
    if args.sensitivity {
        return super::sensitivity::run(args);
    }
    let store = Store::open(&args.store.baseline())?;
    let selection = args.store.selection();
    if let Some(dir) = &args.plot {
        for path in plot::write_baselines(
            dir,
            store.baselines().filter(|b| selection.selects(&b.bench)),
        )? {
            eprintln!("wrote {}", path.display());
        }
    }
    let mut out = String::new();
    for baseline in store.baselines().filter(|b| selection.selects(&b.bench)) {
        let _ = writeln!(
            out,
            "{}  {}  {}  {} seeds{}",
            terminal::bench_name(&baseline.bench),
            measured_at(baseline),
            baseline.timestamp.get(..10).unwrap_or(&baseline.timestamp),
            baseline.seeds.len(),
            if baseline.git_dirty { " ⚠ dirty" } else { "" }
        );
        let _ = writeln!(out, "  {}", slot_means(baseline));
        for (input, pin) in baseline.inputs.iter().flatten() {
            let files = pin.files.as_ref().map_or(String::new(), |files| {
                format!("  ({})", terminal::count(files.len(), "file"))
            });
            let input = terminal::shown(input);
            let _ = writeln!(out, "  input {input}  {}{files}", pin.sha256);
        }
    }
    if store.is_empty() {
        let _ = writeln!(out, "no baselines in {}", store.path().display());
    }
    report::print(&out);
    Ok(exit::OK)
}

fn history(args: &ShowArgs) -> Result<i32, Error> {
    let path = &args.store.baseline();
    let cwd = std::env::current_dir().map_err(|source| git::GitError::Path {
        path: path.clone(),
        source,
    })?;
    let Some(versions) = git::file_history(&cwd, path)? else {
        eprintln!(
            "note: not inside a git repository: no history for {}",
            path.display()
        );
        return Ok(exit::OK);
    };
    let selection = args.store.selection();
    // bench name → lines, in the order the commits come (oldest first).
    let mut per_bench: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    let mut notes = Vec::new();
    for version in &versions {
        let store = match std::str::from_utf8(&version.contents) {
            Ok(text) => Store::parse(path, text).map_err(|e| e.to_string()),
            Err(_) => Err("not UTF-8".to_string()),
        };
        let store = match store {
            Ok(store) => store,
            Err(reason) => {
                notes.push(format!(
                    "note: skipped {} at {}: {reason}",
                    path.display(),
                    version.short_commit
                ));
                continue;
            }
        };
        let date = jiff::Timestamp::from_second(version.commit_time)
            .map(|t| t.strftime("%Y-%m-%d").to_string())
            .unwrap_or_default();
        for baseline in store.baselines().filter(|b| selection.selects(&b.bench)) {
            per_bench
                .entry(baseline.bench.clone())
                .or_default()
                .push(format!(
                    "  committed in {}  {date}  {}  {}",
                    version.short_commit,
                    measured_at(baseline),
                    slot_means(baseline)
                ));
        }
    }
    let mut out = String::new();
    for (bench, lines) in &per_bench {
        let _ = writeln!(
            out,
            "{}  (each commit that changed {})",
            terminal::bench_name(bench),
            path.display()
        );
        for line in lines {
            let _ = writeln!(out, "{line}");
        }
    }
    if per_bench.is_empty() {
        let _ = writeln!(out, "no committed baselines in {}", path.display());
    }
    report::print(&out);
    for note in notes {
        eprintln!("{note}");
    }
    Ok(exit::OK)
}
