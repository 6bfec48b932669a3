//! `--plot DIR` and `pybench show --plot DIR`: one SVG per benchmark, each
//! metric's baseline and current mean over steps with ±sd bands, flagged
//! slots marked with a red cross.

use std::path::{Path, PathBuf};

use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use super::{Exporter, RunReport, xml};
use crate::result::BenchResult;
use crate::scores::ScoreTable;
use crate::stats::numeric;
use crate::store::Baseline;
use crate::store::atomic::WriteError;

/// One point of a metric's curve.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    pub step: i64,
    /// Baseline (mean, sd), if known.
    pub baseline: Option<(f64, f64)>,
    /// Current (mean, sd), if known.
    pub current: Option<(f64, f64)>,
    pub flagged: bool,
}

/// One metric's curve, points sorted by step.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub metric: String,
    pub points: Vec<Point>,
}

fn mean_sd(column: &[f64]) -> (f64, f64) {
    let mean = numeric::mean(column);
    (mean, numeric::std_ddof1_around(column, mean))
}

/// Group `(metric, point)` pairs by metric (first-seen order), sort by step.
fn group(points: impl IntoIterator<Item = (String, Point)>) -> Vec<Series> {
    let mut series: Vec<Series> = Vec::new();
    for (metric, point) in points {
        match series.iter_mut().find(|s| s.metric == metric) {
            Some(s) => s.points.push(point),
            None => series.push(Series {
                metric,
                points: vec![point],
            }),
        }
    }
    for s in &mut series {
        s.points.sort_by_key(|p| p.step);
    }
    series
}

/// The curves of a run's result (none for ERROR).
pub fn series_of_result(result: &BenchResult) -> Vec<Series> {
    if let Some(cmp) = result.comparison() {
        return group(cmp.slots.iter().map(|s| {
            (
                s.slot.metric.clone(),
                Point {
                    step: s.slot.step,
                    baseline: Some((s.baseline_mean, s.baseline_std)),
                    current: Some((s.current_mean, s.current_std)),
                    flagged: s.flagged,
                },
            )
        }));
    }
    match result.current() {
        Some(table) => series_of_table(table, false),
        None => Vec::new(),
    }
}

/// The curves of one table, as the baseline or as the current run.
pub fn series_of_table(table: &ScoreTable, as_baseline: bool) -> Vec<Series> {
    group(
        table
            .slots()
            .iter()
            .zip(table.columns())
            .map(|(slot, column)| {
                let stats = Some(mean_sd(column));
                (
                    slot.metric.clone(),
                    Point {
                        step: slot.step,
                        baseline: if as_baseline { stats } else { None },
                        current: if as_baseline { None } else { stats },
                        flagged: false,
                    },
                )
            }),
    )
}

fn svg_path(dir: &Path, bench: &str) -> PathBuf {
    let safe: String = bench
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    dir.join(format!("{}.svg", short_name(&safe, bench)))
}

/// The most bytes of a benchmark's name a plot's file name keeps: file
/// systems allow 255 bytes in all.
const FILE_NAME_BYTES: usize = 100;

/// `safe` cut to at most [`FILE_NAME_BYTES`] bytes (at a character) and
/// told apart by a hash of the whole `name` when it is longer.
fn short_name(safe: &str, name: &str) -> String {
    if safe.len() <= FILE_NAME_BYTES {
        return safe.to_string();
    }
    let at = (0..=FILE_NAME_BYTES)
        .rev()
        .find(|&i| safe.is_char_boundary(i))
        .unwrap_or(0);
    let hash = crate::store::fingerprint::hash_bytes(name.as_bytes());
    let hex = hash.trim_start_matches("sha256:");
    format!("{}-{}", &safe[..at], &hex[..12])
}

fn plot_error(path: &Path, e: impl std::fmt::Display) -> WriteError {
    WriteError::new(path, std::io::Error::other(e.to_string()))
}

fn create_dir(dir: &Path) -> Result<(), WriteError> {
    std::fs::create_dir_all(dir).map_err(|source| WriteError::new(dir, source))
}

/// One SVG per benchmark of a run that has scores.
pub fn write_results(dir: &Path, results: &[BenchResult]) -> Result<Vec<PathBuf>, WriteError> {
    create_dir(dir)?;
    let mut written = Vec::new();
    for result in results {
        let series = series_of_result(result);
        if series.is_empty() {
            continue;
        }
        let path = svg_path(dir, &result.name);
        draw(&path, &result.name, &series)?;
        written.push(path);
    }
    Ok(written)
}

/// One SVG per stored baseline (`pybench show --plot`).
pub fn write_baselines<'a>(
    dir: &Path,
    baselines: impl IntoIterator<Item = &'a Baseline>,
) -> Result<Vec<PathBuf>, WriteError> {
    create_dir(dir)?;
    let mut written = Vec::new();
    for baseline in baselines {
        let path = svg_path(dir, &baseline.bench);
        let title = format!(
            "{} (baseline @ {})",
            baseline.bench,
            baseline.git_commit.as_deref().unwrap_or("-------")
        );
        draw(&path, &title, &series_of_table(&baseline.scores, true))?;
        written.push(path);
    }
    Ok(written)
}

/// `--plot DIR`.
pub struct PlotExporter {
    dir: PathBuf,
}

impl PlotExporter {
    pub fn new(dir: PathBuf) -> PlotExporter {
        PlotExporter { dir }
    }
}

impl Exporter for PlotExporter {
    fn open(&mut self) -> Result<(), WriteError> {
        create_dir(&self.dir)?;
        tempfile::Builder::new()
            .prefix(".pybench-probe.")
            .tempfile_in(&self.dir)
            .map(drop)
            .map_err(|e| WriteError::new(&self.dir, e))
    }

    fn write(&mut self, run: &RunReport) -> Result<(), WriteError> {
        write_results(&self.dir, run.results).map(drop)
    }
}

/// Draw `series` into an SVG file at `path`.
pub fn draw(path: &Path, title: &str, series: &[Series]) -> Result<(), WriteError> {
    let Some((x, y)) = bounds(series) else {
        return Ok(());
    };
    let root = SVGBackend::new(path, (900, 540)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| plot_error(path, e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(xml::label(title), ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(64)
        .build_cartesian_2d(x, y)
        .map_err(|e| plot_error(path, e))?;
    chart
        .configure_mesh()
        .x_desc("step")
        .y_desc("value (mean ± sd)")
        .draw()
        .map_err(|e| plot_error(path, e))?;
    for (index, s) in series.iter().enumerate() {
        draw_metric(&mut chart, s, index).map_err(|e| plot_error(path, e))?;
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .map_err(|e| plot_error(path, e))?;
    root.present().map_err(|e| plot_error(path, e))?;
    Ok(())
}

/// The padded step and value ranges of every point's mean ± sd; `None`
/// when there is nothing to draw.
fn bounds(series: &[Series]) -> Option<(std::ops::Range<f64>, std::ops::Range<f64>)> {
    let (mut x_lo, mut x_hi) = (f64::INFINITY, f64::NEG_INFINITY);
    let (mut y_lo, mut y_hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for p in series.iter().flat_map(|s| &s.points) {
        x_lo = x_lo.min(p.step as f64);
        x_hi = x_hi.max(p.step as f64);
        for (mean, sd) in [p.baseline, p.current].into_iter().flatten() {
            y_lo = y_lo.min(mean - sd);
            y_hi = y_hi.max(mean + sd);
        }
    }
    if !(x_lo.is_finite() && y_lo.is_finite()) {
        return None;
    }
    let x_pad = ((x_hi - x_lo) * 0.05).max(0.5);
    let y_pad = ((y_hi - y_lo) * 0.08).max(1e-9 + y_hi.abs() * 0.01);
    Some((
        (x_lo - x_pad)..(x_hi + x_pad),
        (y_lo - y_pad)..(y_hi + y_pad),
    ))
}

type Chart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// One metric: baseline and current means with ±sd bands, flagged slots
/// crossed out.
fn draw_metric(chart: &mut Chart, s: &Series, index: usize) -> Result<(), String> {
    let color = Palette99::pick(index).to_rgba();
    let err = |e: DrawingAreaErrorKind<_>| e.to_string();
    for (which, pick, opacity, width) in [
        (
            "baseline",
            (|p: &Point| p.baseline) as fn(&Point) -> Option<(f64, f64)>,
            0.35,
            1,
        ),
        ("current", |p: &Point| p.current, 1.0, 2),
    ] {
        let points: Vec<(f64, f64, f64)> = s
            .points
            .iter()
            .filter_map(|p| pick(p).map(|(m, sd)| (p.step as f64, m, sd)))
            .collect();
        if points.is_empty() {
            continue;
        }
        let band: Vec<(f64, f64)> = points
            .iter()
            .map(|&(x, m, sd)| (x, m + sd))
            .chain(points.iter().rev().map(|&(x, m, sd)| (x, m - sd)))
            .collect();
        chart
            .draw_series(std::iter::once(Polygon::new(
                band,
                color.mix(0.12 * opacity),
            )))
            .map_err(err)?;
        let line_color = color.mix(opacity);
        chart
            .draw_series(LineSeries::new(
                points.iter().map(|&(x, m, _)| (x, m)),
                line_color.stroke_width(width),
            ))
            .map_err(err)?
            .label(xml::label(&format!("{} {which}", s.metric)))
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], line_color.stroke_width(width))
            });
        chart
            .draw_series(
                points
                    .iter()
                    .map(|&(x, m, _)| Circle::new((x, m), 3, line_color.filled())),
            )
            .map_err(err)?;
    }
    chart
        .draw_series(
            s.points
                .iter()
                .filter(|p| p.flagged)
                .filter_map(|p| p.current.map(|(m, _)| (p.step as f64, m)))
                .map(|xy| Cross::new(xy, 7, RED.stroke_width(3))),
        )
        .map_err(err)?;
    Ok(())
}
