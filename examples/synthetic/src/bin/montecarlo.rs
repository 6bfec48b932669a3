//! The Monte-Carlo study of pybench's verdict: false-positive and detection
//! rates of four regression tests on simulated loss curves.
//!
//! `cargo run --release -p synthetic --features montecarlo --bin montecarlo -- --help`

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use synthetic::study::adaptive::{self, AdaptiveConfig};
use synthetic::study::{self, Config};

/// Replay the Python pybench's Monte-Carlo study with pybench's engine, and
/// extend it to null cases that bend the paired t-test's assumptions.
/// Prints one Markdown table per group of cases, one row per test.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    /// Replications per case.
    #[arg(long, default_value_t = 200)]
    replications: usize,
    /// Seeds per run (the `few-seeds` case always uses 6).
    #[arg(long, default_value_t = 10)]
    seeds: usize,
    /// Sign patterns per permutation test: all `2^n` are enumerated when
    /// there are at most this many, else this many are drawn. Default 800,
    /// and the engine's 4096 for the adaptive cases.
    #[arg(long)]
    permutations: Option<usize>,
    /// Seed of every random draw: the same seed gives the same table.
    #[arg(long, default_value_t = 1)]
    master_seed: u64,
    /// Comma-separated cases or groups: all, reference, null, limit,
    /// correlated-null, global-shift, local-spike, heavy-tails, skewed,
    /// autocorrelated, few-seeds, multi-metric, nondeterministic,
    /// skew-vanishes, skew-appears, run-drift; and the adaptive-seeds
    /// study (not part of all): adaptive, adaptive-null, adaptive-mde,
    /// adaptive-large, adaptive-correlated-null, adaptive-local-spike.
    #[arg(long, default_value = "all")]
    cases: String,
    /// Print JSON instead of Markdown.
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let (adaptive, rest): (Vec<&str>, Vec<&str>) = args
        .cases
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .partition(|item| adaptive::is_adaptive(item));
    let adaptive_cases: Vec<_> = adaptive::ADAPTIVE_CASES
        .iter()
        .filter(|c| adaptive.iter().any(|&i| i == "adaptive" || i == c.name))
        .collect();
    let cases = if rest.is_empty() && !adaptive_cases.is_empty() {
        Vec::new()
    } else {
        match study::select(&rest.join(",")) {
            Ok(cases) => cases,
            Err(e) => return fail(&e),
        }
    };
    if args.replications == 0 || args.permutations == Some(0) {
        return fail("--replications and --permutations must be at least 1");
    }
    let config = Config {
        replications: args.replications,
        seeds: args.seeds,
        permutations: args.permutations.unwrap_or(800),
        master_seed: args.master_seed,
    };
    let adaptive_config = AdaptiveConfig {
        replications: args.replications,
        permutations: args.permutations.unwrap_or(pybench::stats::N_PERMUTATIONS),
        master_seed: args.master_seed,
    };
    for case in &cases {
        let n = case.n_seeds(config.seeds);
        if !(2..1024).contains(&n) {
            return fail(&format!("{}: {n} seeds; use 2 to 1023", case.name));
        }
        if let Err(e) = pybench::stats::check_reachable(study::ALPHA, n) {
            return fail(&format!("{}: {e}", case.name));
        }
    }
    let total = ((cases.len() + adaptive_cases.len()) * config.replications) as u64;
    let bar = progress_bar(total);
    let start = Instant::now();
    let results = study::run(&cases, &config, &|| bar.inc(1));
    let adaptive_results = adaptive::run(&adaptive_cases, &adaptive_config, &|| bar.inc(1));
    bar.finish_and_clear();
    if args.json {
        let four = study::report::json(&config, &results);
        let seq = study::adaptive_report::json(&adaptive_config, &adaptive_results);
        let json = match (cases.is_empty(), adaptive_cases.is_empty()) {
            (false, true) => four,
            (true, false) => seq,
            _ => serde_json::json!({ "study": four, "adaptive": seq }),
        };
        println!(
            "{}",
            serde_json::to_string_pretty(&json).expect("JSON values serialise")
        );
    } else {
        if !cases.is_empty() {
            print!("{}", study::report::markdown(&config, &results));
        }
        if !adaptive_cases.is_empty() {
            if !cases.is_empty() {
                println!();
            }
            let table = study::adaptive_report::markdown(&adaptive_config, &adaptive_results);
            print!("{table}");
        }
    }
    eprintln!(
        "montecarlo: {} case(s) × {} replications in {:.1}s",
        cases.len() + adaptive_cases.len(),
        config.replications,
        start.elapsed().as_secs_f64()
    );
    ExitCode::SUCCESS
}

/// A progress bar on a terminal, hidden otherwise.
fn progress_bar(total: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:40}] {pos}/{len} eta {eta}")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    bar
}

fn fail(message: &str) -> ExitCode {
    eprintln!("montecarlo: error: {message}");
    ExitCode::from(2)
}
