//! Everything a run writes besides its terminal lines: the JSON report,
//! JUnit XML, the GitHub Actions summary and annotations, Bencher Metric
//! Format, SVG plots; plus `-q`, `--list` and the IMPROVED mirror test.
//!
//! `app::run` calls [`write_all`] once, after every benchmark has a result.

use std::io::Write;
use std::path::Path;

use crate::cli::RunArgs;
use crate::error::Error;
use crate::git::RepoState;
use crate::json_report::{self, Provenance};
use crate::library::Benchmark;
use crate::report::{self, BenchResult, Status};
use crate::store::{Baseline, Store};

/// Write every requested output for a finished run.
pub fn write_all(
    args: &RunArgs,
    results: &[BenchResult],
    repo: Option<&RepoState>,
    seconds: f64,
) -> Result<(), Error> {
    if args.quiet {
        let mut text = String::new();
        for result in results
            .iter()
            .filter(|r| matches!(r.status, Status::Fail | Status::Error))
        {
            text.push_str(&report::bench_lines(result, args.verbose));
        }
        text.push_str(&report::summary(results, seconds));
        text.push('\n');
        let _ = std::io::stdout().write_all(text.as_bytes());
    }
    let provenance = Provenance::now(repo);
    if let Some(path) = &args.json {
        json_report::write(path, results, &provenance)?;
    }
    if let Some(path) = &args.junit {
        json_report::write_text(path, &crate::junit::render(results, seconds))?;
    }
    if let Some(path) = &args.bmf {
        json_report::write_text(path, &crate::bmf::render(results))?;
    }
    if let Some(dir) = &args.plot {
        crate::plot::write_results(dir, results)?;
    }
    crate::github::report(results)?;
    Ok(())
}

/// Where the per-benchmark lines go: stdout, or nowhere with `-q`.
pub fn stdout(quiet: bool) -> Box<dyn Write> {
    if quiet {
        Box::new(std::io::sink())
    } else {
        Box::new(std::io::stdout().lock())
    }
}

/// The mirror test for a compared benchmark (`None` for NEW and ERROR).
pub fn improvement(
    result: &BenchResult,
    stored: Option<&Baseline>,
) -> Option<crate::stats::Mirror> {
    let cmp = result.comparison.as_ref()?;
    let current = result.current.as_ref()?;
    let baseline = stored?;
    crate::stats::mirror(
        &result.name,
        &result.seeds,
        &baseline.scores,
        current,
        cmp.alpha,
        cmp.min_effect,
    )
    .ok()
}

/// ` (improved)` after `PASS` when the mirror test is significant.
pub fn improved_label(result: &BenchResult) -> &'static str {
    if json_report::improved(result) {
        " (improved)"
    } else {
        ""
    }
}

/// Under an improved PASS: the improved slots and a hint to update.
pub fn improved_lines(result: &BenchResult) -> String {
    let (true, Some(cmp)) = (json_report::improved(result), &result.comparison) else {
        return String::new();
    };
    let slots: Vec<String> = cmp
        .slots
        .iter()
        .enumerate()
        .filter(|(i, _)| json_report::slot_verdict(result, *i) == "improved")
        .map(|(_, s)| format!("{} {:+.1}%", s.slot, s.effect * 100.0))
        .collect();
    format!(
        "  improved: {}  (improvement meta-p={:.3}; run `pybench update` to make it the baseline)\n",
        if slots.is_empty() {
            "no single slot".to_string()
        } else {
            slots.join(", ")
        },
        result.improvement.as_ref().map_or(1.0, |m| m.meta_p)
    )
}

/// `--list`: each benchmark with its settings and stored baseline; exit 0.
pub fn list(args: &RunArgs, benchmarks: &[Benchmark], store: &Store) -> i32 {
    let overrides = args.overrides(None);
    let mut text = String::new();
    for bench in benchmarks {
        let settings = bench.resolve_settings(&overrides);
        let detail = match settings {
            Ok(s) => format!(
                "n_seeds={}  alpha={}  min_effect={}  workers={}",
                s.n_seeds,
                s.alpha,
                s.min_effect.map_or("none".to_string(), |m| m.to_string()),
                s.workers
            ),
            Err(message) => format!("invalid settings: {message}"),
        };
        let baseline = match store.get(&bench.name) {
            Some(b) => format!(
                "baseline: {} seeds @ {}",
                b.seeds.len(),
                b.git_commit.as_deref().unwrap_or("-------")
            ),
            None => "no baseline".to_string(),
        };
        text.push_str(&format!(
            "{}  {detail}  {baseline}  {}\n",
            bench.name,
            display(&bench.library.path)
        ));
    }
    let _ = std::io::stdout().write_all(text.as_bytes());
    0
}

fn display(path: &Path) -> String {
    path.display().to_string()
}
