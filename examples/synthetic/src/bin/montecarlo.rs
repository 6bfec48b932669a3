//! The Monte-Carlo study of pybench's verdict: false-positive and detection
//! rates of four regression tests on simulated loss curves; run-level false
//! alarms and power of the family corrections; the MDE's calibration; and
//! adaptive seed counts.
//!
//! `cargo run --release -p synthetic --features montecarlo --bin montecarlo -- --help`

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use synthetic::study::adaptive::{self, AdaptiveConfig};
use synthetic::study::bisect::{self, BisectConfig};
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
    /// family, correlated-null, global-shift, local-spike, heavy-tails,
    /// skewed, autocorrelated, few-seeds, multi-metric, nondeterministic,
    /// skew-vanishes, skew-appears, run-drift, family-null, family-one-drop,
    /// family-five-drops, mde-calibration. The family cases use pybench's
    /// 4096 sign patterns (all 2^12), not --permutations, and 12 seeds;
    /// mde-calibration runs 10 × --replications. And the adaptive-seeds
    /// study (not part of all): adaptive, adaptive-null, adaptive-mde,
    /// adaptive-large, adaptive-correlated-null, adaptive-local-spike. And
    /// the bisection study (not part of all): bisect, bisect-null,
    /// bisect-1sd, bisect-1sd-all-redrawn, bisect-two, bisect-1sd-at-alpha.
    #[arg(long, default_value = "all")]
    cases: String,
    /// Print JSON instead of Markdown.
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let bisect_items: Vec<&str> = args
        .cases
        .split(',')
        .map(str::trim)
        .filter(|i| bisect::is_bisect(i))
        .collect();
    let bisect_cases = bisect::select(&bisect_items);
    let rest: Vec<&str> = args
        .cases
        .split(',')
        .map(str::trim)
        .filter(|i| !bisect::is_bisect(i))
        .collect();
    let (selection, adaptive_cases) = match select(&rest.join(","), !bisect_cases.is_empty()) {
        Ok(selected) => selected,
        Err(e) => return fail(&e),
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
        permutations: args
            .permutations
            .unwrap_or(pybench_cli::stats::N_PERMUTATIONS),
        master_seed: args.master_seed,
    };
    for case in &selection.cases {
        let n = case.n_seeds(config.seeds);
        if !(2..1024).contains(&n) {
            return fail(&format!("{}: {n} seeds; use 2 to 1023", case.name));
        }
        if let Err(e) = pybench_cli::stats::check_reachable(study::ALPHA, n) {
            return fail(&format!("{}: {e}", case.name));
        }
    }
    let mde_replications = config.replications * study::mde::REPLICATION_FACTOR;
    let bisect_config = BisectConfig {
        replications: args.replications,
        permutations: adaptive_config.permutations,
        master_seed: args.master_seed,
    };
    let total = (selection.cases.len()
        + selection.family.len()
        + adaptive_cases.len()
        + bisect_cases.len())
        * config.replications
        + if selection.mde { mde_replications } else { 0 };
    let bar = progress(total as u64);
    let start = Instant::now();
    let tick = || bar.inc(1);
    let tables = Tables {
        results: study::run(&selection.cases, &config, &tick),
        family: selection
            .family
            .iter()
            .map(|case| {
                study::family::run_family(case, config.replications, config.master_seed, &tick)
            })
            .collect(),
        mde: selection
            .mde
            .then(|| study::mde::run_mde(mde_replications, config.master_seed, &tick)),
        adaptive: adaptive::run(&adaptive_cases, &adaptive_config, &tick),
        bisect: bisect::run(&bisect_cases, &bisect_config, &tick),
    };
    bar.finish_and_clear();
    if args.json {
        println!("{}", tables.json(&config, &adaptive_config, &bisect_config));
    } else {
        print!(
            "{}",
            tables.markdown(&config, &adaptive_config, &bisect_config)
        );
    }
    eprintln!(
        "montecarlo: {total} replications of {} case(s) in {:.1}s",
        selection.cases.len()
            + selection.family.len()
            + usize::from(selection.mde)
            + adaptive_cases.len()
            + bisect_cases.len(),
        start.elapsed().as_secs_f64()
    );
    ExitCode::SUCCESS
}

/// The study's cases, and the adaptive-seeds cases (not part of `all`).
/// `others`: another study (bisect) is selected, so an empty rest is fine.
fn select(
    cases: &str,
    others: bool,
) -> Result<(study::Selection, Vec<&'static adaptive::AdaptiveCase>), String> {
    let (adaptive_items, rest): (Vec<&str>, Vec<&str>) = cases
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .partition(|item| adaptive::is_adaptive(item));
    let adaptive_cases: Vec<_> = adaptive::ADAPTIVE_CASES
        .iter()
        .filter(|c| {
            adaptive_items
                .iter()
                .any(|&i| i == "adaptive" || i == c.name)
        })
        .collect();
    let selection = if rest.is_empty() && (others || !adaptive_cases.is_empty()) {
        study::Selection::default()
    } else {
        study::select_all(&rest.join(","))?
    };
    Ok((selection, adaptive_cases))
}

/// Everything a study measured.
struct Tables {
    results: Vec<study::CaseResult>,
    family: Vec<study::family::FamilyResult>,
    mde: Option<study::mde::MdeResult>,
    adaptive: Vec<adaptive::AdaptiveResult>,
    bisect: Vec<bisect::BisectResult>,
}

impl Tables {
    fn json(
        &self,
        config: &Config,
        adaptive_config: &AdaptiveConfig,
        bisect_config: &BisectConfig,
    ) -> String {
        let mut json = study::report::json(config, &self.results);
        if let (Some(out), Some(extra)) = (
            json.as_object_mut(),
            study::family_report::json(&self.family, self.mde.as_ref()).as_object(),
        ) {
            out.extend(extra.clone());
        }
        if !self.adaptive.is_empty()
            && let Some(out) = json.as_object_mut()
        {
            out.insert(
                "adaptive".into(),
                study::adaptive_report::json(adaptive_config, &self.adaptive),
            );
        }
        if !self.bisect.is_empty()
            && let Some(out) = json.as_object_mut()
        {
            out.insert("bisect".into(), bisect::json(bisect_config, &self.bisect));
        }
        serde_json::to_string_pretty(&json).expect("JSON values serialise")
    }

    fn markdown(
        &self,
        config: &Config,
        adaptive_config: &AdaptiveConfig,
        bisect_config: &BisectConfig,
    ) -> String {
        let mut out = if self.results.is_empty() {
            format!(
                "Master seed {}, {} replications per case.\n",
                config.master_seed, config.replications
            )
        } else {
            study::report::markdown(config, &self.results)
        };
        out.push_str(&study::family_report::markdown(
            &self.family,
            self.mde.as_ref(),
        ));
        if !self.adaptive.is_empty() {
            out.push('\n');
            out.push_str(&study::adaptive_report::markdown(
                adaptive_config,
                &self.adaptive,
            ));
        }
        out.push_str(&bisect::markdown(bisect_config, &self.bisect));
        out
    }
}

/// A progress bar on a terminal, nothing otherwise.
fn progress(total: u64) -> ProgressBar {
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
