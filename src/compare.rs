//! `pybench compare A B`: judge run B against run A, where each is a JSON
//! report (`--json`) or a baseline file (`baselines.jsonl`).
//!
//! Benchmarks are matched by name. When A and B ran the same seeds in the
//! same order the comparison is the paired one of a normal run (per-slot
//! paired t, sign-flip permutation of the severity, and its mirror for
//! improvements). Otherwise it is *unpaired*, with a warning: per slot a
//! one-sided Welch t of B's goodness against A's, and a label-permutation
//! test of the same severity statistic (whole seed rows are reassigned
//! between A and B, so the slots' correlation is kept). Exit 1 when any
//! benchmark of B regresses against A, else 2 when one cannot be compared.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};

use owo_colors::AnsiColors;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha20Rng;
use serde::Serialize;
use serde_json::Value;
use statrs::distribution::{ContinuousCDF, StudentsT};

use crate::error::Error;
use crate::scores::{ScoreTable, SlotKey};
use crate::stats::{self, CompareOptions, EFFECT_FLOOR, N_PERMUTATIONS, numeric};
use crate::store::Store;

#[derive(Debug, Clone, clap::Args)]
pub struct CompareArgs {
    /// The reference run: a JSON report or a baseline file.
    pub a: PathBuf,
    /// The run judged against A: a JSON report or a baseline file.
    pub b: PathBuf,
    /// Significance level [default: A's per benchmark (JSON), else 0.05].
    #[arg(long, value_parser = parse_alpha)]
    pub alpha: Option<f64>,
    /// Minimum relative goodness change for a slot to count, e.g. 0.02.
    #[arg(long, value_name = "FRACTION", value_parser = parse_min_effect)]
    pub min_effect: Option<f64>,
    /// Only this benchmark (repeatable); `bench_x` or `x`.
    #[arg(long = "bench", value_name = "NAME")]
    pub benches: Vec<String>,
    /// Also write the comparison as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Colour: auto, always or never.
    #[arg(long, value_name = "WHEN", default_value = "auto")]
    pub color: crate::color::ColorChoice,
}

fn parse_alpha(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(alpha) if alpha > 0.0 && alpha < 1.0 => Ok(alpha),
        Ok(alpha) => Err(format!("alpha must be between 0 and 1, got {alpha}")),
        Err(_) => Err(format!("`{text}` is not a number")),
    }
}

fn parse_min_effect(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(effect) if effect.is_finite() && effect >= 0.0 => Ok(effect),
        Ok(effect) => Err(format!("min-effect must be a fraction ≥ 0, got {effect}")),
        Err(_) => Err(format!("`{text}` is not a number")),
    }
}

/// One benchmark of one side.
#[derive(Debug, Clone)]
pub struct Side {
    pub seeds: Vec<u64>,
    pub table: ScoreTable,
    pub alpha: Option<f64>,
    pub min_effect: Option<f64>,
}

/// A whole side: benchmarks by name.
pub type Run = BTreeMap<String, Side>;

/// Read a JSON report or a baseline file.
pub fn load(path: &Path) -> Result<Run, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::ReadInput {
        path: path.to_path_buf(),
        reason: source.to_string(),
    })?;
    let bad = |reason: String| Error::ReadInput {
        path: path.to_path_buf(),
        reason,
    };
    if let Ok(document) = serde_json::from_str::<Value>(&text)
        && document.get("schema_version").is_some()
    {
        return from_report(&document).map_err(bad);
    }
    let store = Store::parse(path, &text).map_err(|e| bad(e.to_string()))?;
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

fn from_report(document: &Value) -> Result<Run, String> {
    let version = document["schema_version"].as_u64().unwrap_or(0);
    if version != u64::from(crate::json_report::SCHEMA_VERSION) {
        return Err(format!(
            "schema_version {version} is not supported (expected {})",
            crate::json_report::SCHEMA_VERSION
        ));
    }
    let mut run = Run::new();
    for bench in document["benchmarks"].as_array().into_iter().flatten() {
        let name = bench["name"].as_str().ok_or("a benchmark without a name")?;
        let slots = bench["slots"].as_array().cloned().unwrap_or_default();
        if slots.is_empty() {
            continue; // ERROR: nothing ran.
        }
        let seeds: Vec<u64> = serde_json::from_value(bench["seeds"].clone()).map_err(|e| {
            format!("{name}: `seeds`: {e} (a report of pybench ≥ this version is needed)")
        })?;
        let mut keys = Vec::new();
        let mut values = Vec::new();
        for slot in &slots {
            let step = slot["step"]
                .as_i64()
                .ok_or(format!("{name}: a slot without a step"))?;
            let metric = slot["metric"]
                .as_str()
                .ok_or(format!("{name}: a slot without a metric"))?;
            let column: Vec<f64> = serde_json::from_value(slot["current_values"].clone())
                .map_err(|e| format!("{name}: `current_values`: {e}"))?;
            keys.push(SlotKey::new(step, metric));
            values.push(column);
        }
        let table = ScoreTable::new(keys, values).map_err(|e| format!("{name}: {e}"))?;
        run.insert(
            name.to_string(),
            Side {
                seeds,
                table,
                alpha: bench["alpha"].as_f64(),
                min_effect: bench["min_effect"].as_f64(),
            },
        );
    }
    Ok(run)
}

/// The verdict on one benchmark of B against A.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Regressed,
    Improved,
    Unchanged,
    Error,
}

impl Verdict {
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Regressed => "REGRESSED",
            Verdict::Improved => "IMPROVED",
            Verdict::Unchanged => "UNCHANGED",
            Verdict::Error => "ERROR",
        }
    }
}

/// One slot of a comparison.
#[derive(Clone, Debug, Serialize)]
pub struct SlotDiff {
    pub step: i64,
    pub metric: String,
    pub a_mean: f64,
    pub a_std: f64,
    pub b_mean: f64,
    pub b_std: f64,
    /// Relative goodness change of B against A.
    pub effect: f64,
    /// One-sided p that B is worse (paired t, or Welch t when unpaired).
    pub p: f64,
    pub verdict: &'static str,
}

/// One benchmark's comparison.
#[derive(Clone, Debug, Serialize)]
pub struct BenchDiff {
    pub name: String,
    pub verdict: Verdict,
    pub paired: bool,
    pub n_seeds_a: usize,
    pub n_seeds_b: usize,
    pub alpha: f64,
    pub min_effect: Option<f64>,
    pub meta_p: Option<f64>,
    pub improvement_meta_p: Option<f64>,
    pub severity: Option<f64>,
    pub error: Option<String>,
    pub slots: Vec<SlotDiff>,
}

/// The comparison of two runs.
#[derive(Clone, Debug, Serialize)]
pub struct CompareReport {
    pub schema_version: u32,
    pub kind: &'static str,
    pub pybench_version: &'static str,
    pub a: String,
    pub b: String,
    pub benchmarks: Vec<BenchDiff>,
    pub only_in_a: Vec<String>,
    pub only_in_b: Vec<String>,
}

/// Compare every benchmark present in both runs.
pub fn compare_runs(a: &Run, b: &Run, args: &CompareArgs) -> CompareReport {
    let selected = |name: &str| {
        args.benches.is_empty()
            || args
                .benches
                .iter()
                .any(|w| crate::cli::bench_name_matches(w, name))
    };
    let mut benchmarks = Vec::new();
    for (name, side_a) in a.iter().filter(|(n, _)| selected(n)) {
        let Some(side_b) = b.get(name) else { continue };
        let alpha = args
            .alpha
            .or(side_a.alpha)
            .unwrap_or(crate::settings::DEFAULT_ALPHA);
        let min_effect = args.min_effect.or(side_a.min_effect);
        benchmarks.push(compare_bench(name, side_a, side_b, alpha, min_effect));
    }
    let missing = |x: &Run, y: &Run| {
        x.keys()
            .filter(|n| selected(n) && !y.contains_key(*n))
            .cloned()
            .collect()
    };
    CompareReport {
        schema_version: crate::json_report::SCHEMA_VERSION,
        kind: "compare",
        pybench_version: env!("CARGO_PKG_VERSION"),
        a: args.a.display().to_string(),
        b: args.b.display().to_string(),
        benchmarks,
        only_in_a: missing(a, b),
        only_in_b: missing(b, a),
    }
}

/// Compare one benchmark of B against A.
pub fn compare_bench(
    name: &str,
    a: &Side,
    b: &Side,
    alpha: f64,
    min_effect: Option<f64>,
) -> BenchDiff {
    let paired = a.seeds == b.seeds;
    let mut diff = BenchDiff {
        name: name.to_string(),
        verdict: Verdict::Error,
        paired,
        n_seeds_a: a.seeds.len(),
        n_seeds_b: b.seeds.len(),
        alpha,
        min_effect,
        meta_p: None,
        improvement_meta_p: None,
        severity: None,
        error: None,
        slots: Vec::new(),
    };
    if let Some(difference) = a.table.slot_difference(&b.table) {
        diff.error = Some(format!("slots differ between A and B ({difference})"));
        return diff;
    }
    let outcome = if paired {
        paired_test(name, a, b, alpha, min_effect)
    } else {
        unpaired_test(name, a, b, alpha, min_effect)
    };
    match outcome {
        Ok(t) => {
            diff.verdict = if t.meta_p < alpha {
                Verdict::Regressed
            } else if t.improvement_meta_p < alpha {
                Verdict::Improved
            } else {
                Verdict::Unchanged
            };
            diff.meta_p = Some(t.meta_p);
            diff.improvement_meta_p = Some(t.improvement_meta_p);
            diff.severity = Some(t.severity);
            diff.slots = t.slots;
        }
        Err(e) => diff.error = Some(e),
    }
    diff
}

struct TestOutcome {
    meta_p: f64,
    improvement_meta_p: f64,
    severity: f64,
    slots: Vec<SlotDiff>,
}

fn slot_verdict(regressed: bool, improved: bool) -> &'static str {
    if regressed {
        "regressed"
    } else if improved {
        "improved"
    } else {
        "unchanged"
    }
}

fn paired_test(
    name: &str,
    a: &Side,
    b: &Side,
    alpha: f64,
    min_effect: Option<f64>,
) -> Result<TestOutcome, String> {
    let cmp = stats::compare(
        name,
        &a.seeds,
        &a.table,
        &b.table,
        &CompareOptions { alpha, min_effect },
    )
    .map_err(|e| e.to_string())?;
    let mirror = stats::mirror(name, &a.seeds, &a.table, &b.table, alpha, min_effect)
        .map_err(|e| e.to_string())?;
    let slots = cmp
        .slots
        .iter()
        .zip(&mirror.flagged)
        .map(|(s, &improved)| SlotDiff {
            step: s.slot.step,
            metric: s.slot.metric.clone(),
            a_mean: s.baseline_mean,
            a_std: s.baseline_std,
            b_mean: s.current_mean,
            b_std: s.current_std,
            effect: s.effect,
            p: s.p,
            verdict: slot_verdict(s.flagged, improved),
        })
        .collect();
    Ok(TestOutcome {
        meta_p: cmp.meta_p,
        improvement_meta_p: mirror.meta_p,
        severity: cmp.severity,
        slots,
    })
}

/// Pooled goodness rows (A's seeds, then B's), centred per slot so that
/// the one-pass sums below lose no precision, with their per-slot totals.
struct Pooled {
    rows: Vec<Vec<f64>>,
    total: Vec<f64>,
    total_sq: Vec<f64>,
    n_a: usize,
    n_b: usize,
}

impl Pooled {
    fn new(rows: Vec<Vec<f64>>, n_a: usize) -> Pooled {
        let n_slots = rows[0].len();
        let n = rows.len() as f64;
        let centre: Vec<f64> = (0..n_slots)
            .map(|s| rows.iter().map(|r| r[s]).sum::<f64>() / n)
            .collect();
        let rows: Vec<Vec<f64>> = rows
            .into_iter()
            .map(|r| r.iter().zip(&centre).map(|(x, c)| x - c).collect())
            .collect();
        let mut total = vec![0.0; n_slots];
        let mut total_sq = vec![0.0; n_slots];
        for row in &rows {
            for (s, &x) in row.iter().enumerate() {
                total[s] += x;
                total_sq[s] += x * x;
            }
        }
        let n_b = rows.len() - n_a;
        Pooled {
            rows,
            total,
            total_sq,
            n_a,
            n_b,
        }
    }

    /// Per slot `(mean difference B − A, Welch t, Welch–Satterthwaite df)`
    /// when `b_rows` are B's rows and the others A's.
    fn welch(&self, b_rows: &[usize], sum: &mut [f64], sum_sq: &mut [f64]) -> Vec<(f64, f64, f64)> {
        sum.fill(0.0);
        sum_sq.fill(0.0);
        for &i in b_rows {
            for (s, &x) in self.rows[i].iter().enumerate() {
                sum[s] += x;
                sum_sq[s] += x * x;
            }
        }
        let (na, nb) = (self.n_a as f64, self.n_b as f64);
        (0..sum.len())
            .map(|s| {
                let (sum_b, sq_b) = (sum[s], sum_sq[s]);
                let (sum_a, sq_a) = (self.total[s] - sum_b, self.total_sq[s] - sq_b);
                let (mb, ma) = (sum_b / nb, sum_a / na);
                let var_b = ((sq_b - nb * mb * mb) / (nb - 1.0)).max(0.0);
                let var_a = ((sq_a - na * ma * ma) / (na - 1.0)).max(0.0);
                let (va, vb) = (var_a / na, var_b / nb);
                let se = (va + vb).sqrt();
                let mean = mb - ma;
                let t = if se < stats::DEGENERATE_SD {
                    if mean < 0.0 {
                        -stats::DEGENERATE_T
                    } else if mean > 0.0 {
                        stats::DEGENERATE_T
                    } else {
                        0.0
                    }
                } else {
                    mean / se
                };
                let df = if va + vb > 0.0 {
                    (va + vb).powi(2) / (va.powi(2) / (na - 1.0) + vb.powi(2) / (nb - 1.0))
                } else {
                    na + nb - 2.0
                };
                (mean, t, df)
            })
            .collect()
    }
}

fn unpaired_test(
    name: &str,
    a: &Side,
    b: &Side,
    alpha: f64,
    min_effect: Option<f64>,
) -> Result<TestOutcome, String> {
    let (na, nb) = (a.table.n_seeds(), b.table.n_seeds());
    if na < 2 || nb < 2 {
        return Err(format!(
            "{na} and {nb} seeds: at least 2 on each side are needed"
        ));
    }
    let slots = a.table.slots();
    let n_slots = slots.len();
    // Goodness rows: A's seeds first, then B's.
    let rows: Vec<Vec<f64>> = (0..na)
        .map(|i| {
            (0..n_slots)
                .map(|s| slots[s].goodness(a.table.column(s)[i]))
                .collect()
        })
        .chain((0..nb).map(|i| {
            (0..n_slots)
                .map(|s| slots[s].goodness(b.table.column(s)[i]))
                .collect()
        }))
        .collect();
    let denominators: Vec<f64> = (0..n_slots)
        .map(|s| {
            let base: Vec<f64> = rows[..na].iter().map(|r| r[s]).collect();
            numeric::mean(&base).abs().max(EFFECT_FLOOR)
        })
        .collect();
    // One critical value for every labelling: df = na + nb − 2.
    let t_crit = stats::t_critical(alpha, na + nb - 1);
    let gate = |mean: f64, s: usize| min_effect.is_none_or(|m| mean / denominators[s] < -m);
    let statistics = |ts: &[(f64, f64, f64)]| {
        let mut worse = 0.0;
        let mut better = 0.0;
        for (s, &(mean, t, _)) in ts.iter().enumerate() {
            if t < t_crit && gate(mean, s) {
                worse += t_crit - t;
            }
            if -t < t_crit && gate(-mean, s) {
                better += t_crit + t;
            }
        }
        (worse, better)
    };
    let pooled = Pooled::new(rows, na);
    let (mut sum, mut sum_sq) = (vec![0.0; n_slots], vec![0.0; n_slots]);
    let b_rows: Vec<usize> = (na..na + nb).collect();
    let observed = pooled.welch(&b_rows, &mut sum, &mut sum_sq);
    let (obs_worse, obs_better) = statistics(&observed);
    let mut rng = ChaCha20Rng::seed_from_u64(
        stats::permutation_seed(name, &a.seeds) ^ stats::permutation_seed("unpaired", &b.seeds),
    );
    let mut labels: Vec<usize> = (0..na + nb).collect();
    let (mut ge_worse, mut ge_better) = (0usize, 0usize);
    let tolerance = |x: f64| x * (1.0 - stats::TIE_RTOL);
    for _ in 0..N_PERMUTATIONS {
        labels.shuffle(&mut rng);
        let ts = pooled.welch(&labels[na..], &mut sum, &mut sum_sq);
        let (worse, better) = statistics(&ts);
        if worse >= tolerance(obs_worse) {
            ge_worse += 1;
        }
        if better >= tolerance(obs_better) {
            ge_better += 1;
        }
    }
    let p_of = |count: usize| (count + 1) as f64 / (N_PERMUTATIONS + 1) as f64;
    let slot_diffs = observed
        .iter()
        .enumerate()
        .map(|(s, &(mean, t, df))| {
            let col_a = a.table.column(s);
            let col_b = b.table.column(s);
            let (ma, mb) = (numeric::mean(col_a), numeric::mean(col_b));
            let p = if t.abs() >= stats::DEGENERATE_T {
                if t < 0.0 { 0.0 } else { 1.0 }
            } else {
                StudentsT::new(0.0, 1.0, df.max(1.0))
                    .map(|dist| dist.cdf(t))
                    .unwrap_or(f64::NAN)
            };
            SlotDiff {
                step: slots[s].step,
                metric: slots[s].metric.clone(),
                a_mean: ma,
                a_std: numeric::std_ddof1_around(col_a, ma),
                b_mean: mb,
                b_std: numeric::std_ddof1_around(col_b, mb),
                effect: mean / denominators[s],
                p,
                verdict: slot_verdict(t < t_crit && gate(mean, s), -t < t_crit && gate(-mean, s)),
            }
        })
        .collect();
    Ok(TestOutcome {
        meta_p: p_of(ge_worse),
        improvement_meta_p: p_of(ge_better),
        severity: obs_worse,
        slots: slot_diffs,
    })
}

/// The terminal rendering of a comparison.
pub fn render(report: &CompareReport) -> String {
    let mut out = format!("pybench compare — A: {}  B: {}\n\n", report.a, report.b);
    for d in &report.benchmarks {
        let color = match d.verdict {
            Verdict::Regressed => AnsiColors::Red,
            Verdict::Improved => AnsiColors::Cyan,
            Verdict::Unchanged => AnsiColors::Green,
            Verdict::Error => AnsiColors::BrightRed,
        };
        let status = crate::report::colored(d.verdict.label(), color);
        let detail = match (&d.error, d.meta_p) {
            (Some(e), _) => e.clone(),
            (None, Some(meta_p)) => format!(
                "{}  {}/{} slots regressed, {} improved  meta-p={meta_p:.3}  improvement meta-p={:.3}",
                if d.paired {
                    format!("paired, {} seeds", d.n_seeds_a)
                } else {
                    format!("unpaired, {} vs {} seeds", d.n_seeds_a, d.n_seeds_b)
                },
                d.slots.iter().filter(|s| s.verdict == "regressed").count(),
                d.slots.len(),
                d.slots.iter().filter(|s| s.verdict == "improved").count(),
                d.improvement_meta_p.unwrap_or(1.0)
            ),
            _ => String::new(),
        };
        let name = if d.name.chars().count() >= 18 {
            format!("{} ", d.name)
        } else {
            format!("{:<18}", d.name)
        };
        let _ = writeln!(out, "{name}.......... {status}   {detail}");
        if d.slots.is_empty() {
            continue;
        }
        let width = d
            .slots
            .iter()
            .map(|s| s.metric.chars().count())
            .max()
            .unwrap_or(0)
            .max(8)
            + 2;
        let _ = writeln!(
            out,
            "  {:<width$}{:>5}   {:<11}   {:<11}   {:>7}   {:>6}",
            "metric", "step", "A", "B", "Δ", "p"
        );
        for s in &d.slots {
            let mark = match s.verdict {
                "regressed" => "  ✗",
                "improved" => "  ↑",
                _ => "",
            };
            let _ = writeln!(
                out,
                "  {:<width$}{:>5}   {:<11}   {:<11}   {:>+6.1}%   {:.3}{mark}",
                s.metric,
                s.step,
                format!("{:.3}±{:.3}", s.a_mean, s.a_std),
                format!("{:.3}±{:.3}", s.b_mean, s.b_std),
                s.effect * 100.0,
                s.p
            );
        }
    }
    for name in &report.only_in_a {
        let _ = writeln!(out, "note: {name} is only in A; not compared");
    }
    for name in &report.only_in_b {
        let _ = writeln!(out, "note: {name} is only in B; not compared");
    }
    let count = |v| report.benchmarks.iter().filter(|d| d.verdict == v).count();
    let _ = writeln!(
        out,
        "{}\n{} regressed, {} improved, {} unchanged{}",
        crate::report::rule(),
        count(Verdict::Regressed),
        count(Verdict::Improved),
        count(Verdict::Unchanged),
        match count(Verdict::Error) {
            0 => String::new(),
            n => format!(", {n} error{}", if n == 1 { "" } else { "s" }),
        }
    );
    out
}

/// The `compare` command; the result is the exit code.
pub fn run(args: &CompareArgs) -> Result<i32, Error> {
    let a = load(&args.a)?;
    let b = load(&args.b)?;
    let report = compare_runs(&a, &b, args);
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
            d.name
        );
    }
    let _ = std::io::stdout().write_all(render(&report).as_bytes());
    if let Some(path) = &args.json {
        let mut text = serde_json::to_string_pretty(&report).expect("finite numbers");
        text.push('\n');
        crate::json_report::write_text(path, &text)?;
    }
    if report.benchmarks.is_empty() {
        return Err(Error::ReadInput {
            path: args.b.clone(),
            reason: "no benchmark is in both A and B".into(),
        });
    }
    Ok(
        if report
            .benchmarks
            .iter()
            .any(|d| d.verdict == Verdict::Regressed)
        {
            1
        } else if report
            .benchmarks
            .iter()
            .any(|d| d.verdict == Verdict::Error)
        {
            2
        } else {
            0
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A one-slot side with `values`, on seeds starting at `first_seed`.
    fn side(values: Vec<f64>, first_seed: u64) -> Side {
        let n = values.len() as u64;
        Side {
            seeds: (first_seed..first_seed + n).collect(),
            table: ScoreTable::new(vec![SlotKey::new(0, "score")], vec![values]).unwrap(),
            alpha: None,
            min_effect: None,
        }
    }

    /// Deterministic noise in [−0.5, 0.5).
    fn noise(i: u64) -> f64 {
        let x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 11;
        x as f64 / (1u64 << 53) as f64 - 0.5
    }

    #[test]
    fn one_pass_welch_matches_two_pass() {
        let rows: Vec<Vec<f64>> = (0..20)
            .map(|i| vec![1000.0 + noise(i), noise(i + 100) * 3.0])
            .collect();
        let pooled = Pooled::new(rows.clone(), 8);
        let (mut sum, mut sum_sq) = (vec![0.0; 2], vec![0.0; 2]);
        let b_rows: Vec<usize> = (8..20).collect();
        let fast = pooled.welch(&b_rows, &mut sum, &mut sum_sq);
        for (s, &(mean, t, _)) in fast.iter().enumerate() {
            let a: Vec<f64> = rows[..8].iter().map(|r| r[s]).collect();
            let b: Vec<f64> = rows[8..].iter().map(|r| r[s]).collect();
            let (ma, mb) = (numeric::mean(&a), numeric::mean(&b));
            let va = numeric::std_ddof1_around(&a, ma).powi(2) / 8.0;
            let vb = numeric::std_ddof1_around(&b, mb).powi(2) / 12.0;
            assert!((mean - (mb - ma)).abs() < 1e-9);
            assert!((t - (mb - ma) / (va + vb).sqrt()).abs() < 1e-6, "{t}");
        }
    }

    #[test]
    fn unpaired_verdicts() {
        let a = side((0..30).map(|i| 0.5 + 0.05 * noise(i)).collect(), 0);
        let same = side((0..30).map(|i| 0.5 + 0.05 * noise(i + 1000)).collect(), 500);
        let worse = side(
            (0..30).map(|i| 0.47 + 0.05 * noise(i + 1000)).collect(),
            500,
        );
        let better = side(
            (0..30).map(|i| 0.53 + 0.05 * noise(i + 1000)).collect(),
            500,
        );
        let verdict = |b: &Side| compare_bench("bench_x", &a, b, 0.05, None);
        let d = verdict(&same);
        assert!(!d.paired);
        assert_eq!(d.verdict, Verdict::Unchanged, "{d:?}");
        assert_eq!(verdict(&worse).verdict, Verdict::Regressed);
        assert_eq!(verdict(&better).verdict, Verdict::Improved);
        // Deterministic.
        assert_eq!(verdict(&worse).meta_p, verdict(&worse).meta_p);
        // With a min_effect larger than the change, nothing counts.
        let gated = compare_bench("bench_x", &a, &worse, 0.05, Some(0.2));
        assert_eq!(gated.verdict, Verdict::Unchanged, "{gated:?}");
    }

    #[test]
    fn paired_when_the_seeds_match() {
        let a = side((0..12).map(|i| 0.5 + 0.05 * noise(i)).collect(), 0);
        let b = side(
            (0..12)
                .map(|i| 0.45 + 0.05 * noise(i) + 0.001 * noise(i + 7))
                .collect(),
            0,
        );
        let d = compare_bench("bench_x", &a, &b, 0.05, None);
        assert!(d.paired);
        assert_eq!(d.verdict, Verdict::Regressed, "{d:?}");
        assert_eq!(d.slots[0].verdict, "regressed");
    }
}
