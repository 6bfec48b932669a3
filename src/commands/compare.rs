//! `pybench compare A B`: judge run B against run A, where each is a JSON
//! report (`--json`) or a baseline file (`baselines.jsonl`). Benchmarks are
//! matched by name; `judge::compare` makes the verdicts. Exit 1 when any
//! benchmark of B regresses against A, else 2 when one cannot be compared.

use std::path::Path;

use serde::Deserialize;

use crate::cli::CompareArgs;
use crate::error::{Error, InputError, NothingToCompare};
use crate::exit;
use crate::judge::compare::{Run, RunsOptions, Side, compare_runs};
use crate::report::json::{ReadBench, ReadDocument, ReadName, ReadVersion, SCHEMA_VERSION};
use crate::report::{self, terminal};
use crate::result::compare::Verdict;
use crate::runner::{DiscoverError, Selection};
use crate::scores::{ScoreTable, SlotKey};
use crate::store::{self, Store};

/// Read a JSON report or a baseline file.
pub fn load(path: &Path) -> Result<Run, Error> {
    let bad = |reason: InputError| Error::ReadInput {
        path: path.to_path_buf(),
        reason,
    };
    // A device node or FIFO is refused unread: it could block or read forever.
    let bytes = store::atomic::read_regular(path)
        .map_err(|e| bad(InputError::Io(e.into())))?
        .ok_or_else(|| bad(InputError::Io(std::io::ErrorKind::NotFound.into())))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        bad(InputError::Io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            e,
        )))
    })?;
    if let Ok(version) = serde_json::from_str::<ReadVersion>(&text) {
        return from_report(&text, version.schema_version).map_err(bad);
    }
    let store = Store::parse(path, &text).map_err(|e| bad(InputError::Store(Box::new(e))))?;
    Ok(store
        .baselines()
        .map(|b| {
            (
                b.bench.clone(),
                Side {
                    seeds: b.seeds.clone(),
                    table: b.scores.clone(),
                    alpha: None,
                    min_effect: None,
                },
            )
        })
        .collect())
}

/// A `--json` report's benchmarks, read with the report's own schema
/// (`report::json`).
fn from_report(text: &str, version: u64) -> Result<Run, InputError> {
    if version != u64::from(SCHEMA_VERSION) {
        return Err(InputError::Version {
            found: version,
            expected: SCHEMA_VERSION,
        });
    }
    let document: ReadDocument =
        serde_json::from_str(text).map_err(|e| InputError::Json(e.to_string()))?;
    let mut run = Run::new();
    for bench in &document.benchmarks {
        let name = ReadName::deserialize(bench)
            .ok()
            .and_then(|n| n.name)
            .ok_or(InputError::NoName)?;
        let field = |what: String| InputError::Field {
            bench: name.clone(),
            what,
        };
        let read = ReadBench::deserialize(bench).map_err(|e| field(e.to_string()))?;
        if read.slots.is_empty() {
            continue; // ERROR: nothing ran.
        }
        let seeds = read.seeds.ok_or_else(|| {
            field("`seeds` is missing (a report of pybench ≥ this version is needed)".into())
        })?;
        let mut keys = Vec::new();
        let mut values = Vec::new();
        for slot in read.slots {
            let step = slot
                .step
                .ok_or_else(|| field("a slot without a step".into()))?;
            let metric = slot
                .metric
                .ok_or_else(|| field("a slot without a metric".into()))?;
            keys.push(SlotKey::new(step, &metric));
            values.push(slot.current_values);
        }
        let table = ScoreTable::new(keys, values).map_err(|e| field(e.to_string()))?;
        run.insert(
            name.clone(),
            Side {
                seeds,
                table,
                alpha: read.alpha,
                min_effect: read.min_effect,
            },
        );
    }
    Ok(run)
}

/// The `compare` command; the result is the exit code.
pub fn run(args: &CompareArgs) -> Result<i32, Error> {
    let a = load(&args.a)?;
    let b = load(&args.b)?;
    for (run, path) in [(&a, &args.a), (&b, &args.b)] {
        if run.is_empty() {
            return Err(NothingToCompare::Empty(path.clone()).into());
        }
    }
    let selection = Selection {
        names: args.benches.clone(),
    };
    let names = a.keys().chain(b.keys()).map(String::as_str);
    if let Some(unknown) = selection.unknown(names) {
        return Err(DiscoverError::UnknownBench(unknown.to_string()).into());
    }
    let options = RunsOptions {
        a: args.a.display().to_string(),
        b: args.b.display().to_string(),
        alpha: args.alpha,
        min_effect: args.min_effect,
        selection,
    };
    let report = compare_runs(&a, &b, &options);
    for d in report
        .benchmarks
        .iter()
        .filter(|d| !d.paired && d.error.is_none())
    {
        eprintln!(
            "warning: {}: A and B ran different seeds, so the comparison is unpaired \
             (Welch t per slot, label-permutation test): seed-to-seed noise no longer \
             cancels and small changes may go unseen. Compare runs on the same seeds \
             (the same baseline file) for a paired test.",
            terminal::escape(&d.name)
        );
    }
    // `--json -` makes stdout that one document.
    if args.json.as_deref().is_some_and(report::is_stdout) {
        report::eprint(&report::compare::render(&report));
    } else {
        report::print(&report::compare::render(&report));
    }
    if let Some(path) = &args.json {
        report::compare::write_json(path, &report)?;
    }
    if report.benchmarks.is_empty() {
        return Err(NothingToCompare::NoneInCommon {
            a: args.a.clone(),
            b: args.b.clone(),
            only_a: report.only_in_a.len(),
            only_b: report.only_in_b.len(),
        }
        .into());
    }
    Ok(exit::of(
        report.count(Verdict::Regressed) > 0,
        report.count(Verdict::Error) > 0,
    ))
}
