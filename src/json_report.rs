//! `--json FILE`: the run's results as a versioned JSON document.

use std::path::Path;

use serde::Serialize;

use crate::error::Error;
use crate::report::{BenchResult, Status};
use crate::stats;

/// Bumped whenever a field changes meaning or disappears.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct Document<'a> {
    schema_version: u32,
    pybench_version: &'static str,
    benchmarks: Vec<Bench<'a>>,
}

#[derive(Serialize)]
struct Bench<'a> {
    name: &'a str,
    status: Status,
    meta_p: Option<f64>,
    alpha: f64,
    min_effect: Option<f64>,
    n_seeds: usize,
    n_flagged: Option<usize>,
    severity: Option<f64>,
    error: Option<&'a str>,
    slots: Vec<Slot<'a>>,
}

#[derive(Serialize)]
struct Slot<'a> {
    step: i64,
    metric: &'a str,
    baseline_mean: Option<f64>,
    baseline_std: Option<f64>,
    current_mean: f64,
    current_std: f64,
    effect: Option<f64>,
    effect_unreliable: Option<bool>,
    p: Option<f64>,
    flagged: bool,
}

fn bench(result: &BenchResult) -> Bench<'_> {
    let slots = match (&result.comparison, &result.current) {
        (Some(cmp), _) => cmp
            .slots
            .iter()
            .map(|s| Slot {
                step: s.slot.step,
                metric: &s.slot.metric,
                baseline_mean: Some(s.baseline_mean),
                baseline_std: Some(s.baseline_std),
                current_mean: s.current_mean,
                current_std: s.current_std,
                effect: Some(s.effect),
                effect_unreliable: Some(s.effect_unreliable),
                p: Some(s.p),
                flagged: s.flagged,
            })
            .collect(),
        (None, Some(table)) => table
            .slots()
            .iter()
            .zip(table.columns())
            .map(|(slot, column)| {
                let mean = stats::numeric::mean(column);
                let std = stats::numeric::std_ddof1_around(column, mean);
                Slot {
                    step: slot.step,
                    metric: &slot.metric,
                    baseline_mean: None,
                    baseline_std: None,
                    current_mean: mean,
                    current_std: std,
                    effect: None,
                    effect_unreliable: None,
                    p: None,
                    flagged: false,
                }
            })
            .collect(),
        (None, None) => Vec::new(),
    };
    Bench {
        name: &result.name,
        status: result.status,
        meta_p: result.comparison.as_ref().map(|c| c.meta_p),
        alpha: result.alpha,
        min_effect: result.min_effect,
        n_seeds: result.seeds.len(),
        n_flagged: result.comparison.as_ref().map(|c| c.n_flagged()),
        severity: result.comparison.as_ref().map(|c| c.severity),
        error: result.error.as_deref(),
        slots,
    }
}

/// Write the report for `results` to `path`.
pub fn write(path: &Path, results: &[BenchResult]) -> Result<(), Error> {
    let document = Document {
        schema_version: SCHEMA_VERSION,
        pybench_version: env!("CARGO_PKG_VERSION"),
        benchmarks: results.iter().map(bench).collect(),
    };
    let mut text = serde_json::to_string_pretty(&document).expect("reports hold finite numbers");
    text.push('\n');
    std::fs::write(path, text).map_err(|source| Error::WriteReport {
        path: path.to_path_buf(),
        source,
    })
}
