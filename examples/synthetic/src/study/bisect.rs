//! The bisection study (`--cases bisect`, not part of `all`): how often
//! `pybench bisect`'s search (`pybench_cli::bisection`, each probe judged
//! by the engine's sign-flip test at `alpha/⌈log2 m⌉`) blames a commit when
//! nothing regressed, and how often it names the right one.
//!
//! Model: 16 first-parent candidates after GOOD, 30 seeds, one slot of
//! goodness. Seed `i` at commit `c` scores `10 − shift(c) + s_i + e_i(c)`:
//! `s_i` is what the seed decides at every commit (`N(0, 1 − f)`), `e_i(c)`
//! the part each commit redraws (`N(0, f)`, independent per commit), so one
//! run's noise sd is 1 and a "1-sd regression" is `shift = 1`. GOOD's
//! scores are its own draw, as stored scores are.

use pybench_cli::bisection::{Answer, Bisection, Probe, probe_alpha};
use pybench_cli::stats::{Criterion, Differences, PermutationOptions, Statistic, meta_p, numeric};
use rand::{Rng, RngCore};
use rayon::prelude::*;

use super::{ALPHA, stream_rng};
use crate::curve::standard_normal;

/// Candidates in the range (the last is BAD).
pub const CANDIDATES: usize = 16;

/// Seeds per probe.
pub const SEEDS: usize = 30;

/// One bisection case.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BisectCase {
    /// Name used by `--cases`, in tables and in JSON.
    pub name: &'static str,
    /// One line on what is simulated.
    pub summary: &'static str,
    /// Regressions of 1 sd each, at distinct candidates drawn uniformly.
    pub regressions: usize,
    /// The share `f` of the noise variance each commit redraws.
    pub redrawn: f64,
    /// Each probe at `alpha` itself, not `alpha/⌈log2 m⌉` (for comparison).
    pub uncorrected: bool,
}

/// Every bisection case, in report order.
pub const BISECT_CASES: &[BisectCase] = &[
    BisectCase {
        name: "bisect-null",
        summary: "no regression in 16 commits, each redrawing half the noise variance",
        regressions: 0,
        redrawn: 0.5,
        uncorrected: false,
    },
    BisectCase {
        name: "bisect-1sd",
        summary: "one 1-sd regression at a random one of 16 commits, half the noise redrawn per commit",
        regressions: 1,
        redrawn: 0.5,
        uncorrected: false,
    },
    BisectCase {
        name: "bisect-1sd-all-redrawn",
        summary: "one 1-sd regression, every commit redrawing all the noise (pairing cancels nothing)",
        regressions: 1,
        redrawn: 1.0,
        uncorrected: false,
    },
    BisectCase {
        name: "bisect-two",
        summary: "two 1-sd regressions at random commits, half the noise redrawn: is the first one named?",
        regressions: 2,
        redrawn: 0.5,
        uncorrected: false,
    },
    BisectCase {
        name: "bisect-1sd-at-alpha",
        summary: "bisect-1sd with every probe at alpha itself, without the division by ⌈log2 m⌉",
        regressions: 1,
        redrawn: 0.5,
        uncorrected: true,
    },
];

/// Settings of the study.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BisectConfig {
    pub replications: usize,
    /// Sign vectors drawn per probe.
    pub permutations: usize,
    pub master_seed: u64,
}

/// What one replication's bisection said.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Named {
    /// The first regressing commit.
    Right,
    /// Another commit.
    Wrong,
    /// No regression between GOOD and BAD.
    Nothing,
}

/// One case's counts.
#[derive(Clone, Debug, PartialEq)]
pub struct BisectResult {
    pub case: &'static BisectCase,
    pub replications: usize,
    pub right: usize,
    pub wrong: usize,
    pub nothing: usize,
    /// Probes made, summed over replications.
    pub probes: usize,
}

impl BisectResult {
    fn rate(&self, count: usize) -> f64 {
        count as f64 / self.replications as f64
    }

    /// The share of replications that named the first regressing commit.
    pub fn right_rate(&self) -> f64 {
        self.rate(self.right)
    }

    /// The share that named a commit that is not it (with no regression:
    /// any commit, the false-blame rate).
    pub fn wrong_rate(&self) -> f64 {
        self.rate(self.wrong)
    }

    pub fn nothing_rate(&self) -> f64 {
        self.rate(self.nothing)
    }

    pub fn mean_probes(&self) -> f64 {
        self.rate(self.probes)
    }
}

/// Replication `r` of `case`: what was named, and the probes made.
pub fn replicate(case: &BisectCase, config: &BisectConfig, r: usize) -> (Named, usize) {
    let mut rng = stream_rng(config.master_seed, case.name, r);
    let mut culprits: Vec<usize> = Vec::new();
    while culprits.len() < case.regressions {
        let c = rng.random_range(0..CANDIDATES);
        if !culprits.contains(&c) {
            culprits.push(c);
        }
    }
    let first = culprits.iter().min().copied();
    let shared = (1.0 - case.redrawn).sqrt();
    let own = case.redrawn.sqrt();
    let seed_part: Vec<f64> = (0..SEEDS)
        .map(|_| shared * standard_normal(&mut rng))
        .collect();
    let good = scores(&seed_part, own, 0.0, &mut rng);
    let at: Vec<Vec<f64>> = (0..CANDIDATES)
        .map(|c| {
            let shift = culprits.iter().filter(|&&x| x <= c).count() as f64;
            scores(&seed_part, own, shift, &mut rng)
        })
        .collect();
    let level = if case.uncorrected {
        ALPHA
    } else {
        probe_alpha(ALPHA, CANDIDATES)
    };
    let mut bisection = Bisection::new(CANDIDATES);
    let mut probes = 0;
    while let Some(c) = bisection.next() {
        let d: Vec<f64> = at[c].iter().zip(&good).map(|(x, g)| x - g).collect();
        let diffs = Differences::new(SEEDS, vec![d], vec![numeric::mean(&good)])
            .expect("30 seeds, one slot");
        let options = PermutationOptions {
            statistic: Statistic::Severity,
            n_permutations: config.permutations,
            rng_seed: rng.next_u64(),
        };
        let p = meta_p(&diffs, &Criterion::new(level, SEEDS, None), &options).p;
        bisection.record(c, if p < level { Probe::Fail } else { Probe::Pass });
        probes += 1;
    }
    let named = match (bisection.answer(), first) {
        (Answer::Culprit(c), Some(f)) if c == f => Named::Right,
        (Answer::Culprit(_) | Answer::Range { .. }, _) => Named::Wrong,
        _ => Named::Nothing,
    };
    (named, probes)
}

/// One commit's scores: the seeds' shared part, its own redrawn part.
fn scores(seed_part: &[f64], own: f64, shift: f64, rng: &mut impl Rng) -> Vec<f64> {
    seed_part
        .iter()
        .map(|s| 10.0 - shift + s + own * standard_normal(rng))
        .collect()
}

fn run_case(
    case: &'static BisectCase,
    config: &BisectConfig,
    tick: &(dyn Fn() + Sync),
) -> BisectResult {
    let runs: Vec<(Named, usize)> = (0..config.replications)
        .into_par_iter()
        .map(|r| {
            let run = replicate(case, config, r);
            tick();
            run
        })
        .collect();
    let count = |named: Named| runs.iter().filter(|(n, _)| *n == named).count();
    BisectResult {
        case,
        replications: config.replications,
        right: count(Named::Right),
        wrong: count(Named::Wrong),
        nothing: count(Named::Nothing),
        probes: runs.iter().map(|(_, p)| p).sum(),
    }
}

/// Run `cases`, one after the other.
pub fn run(
    cases: &[&'static BisectCase],
    config: &BisectConfig,
    tick: &(dyn Fn() + Sync),
) -> Vec<BisectResult> {
    cases.iter().map(|c| run_case(c, config, tick)).collect()
}

/// Whether `item` of a `--cases` list names the group or one of its cases.
pub fn is_bisect(item: &str) -> bool {
    item == "bisect" || BISECT_CASES.iter().any(|c| c.name == item)
}

/// The cases a `--cases` list names.
pub fn select(items: &[&str]) -> Vec<&'static BisectCase> {
    BISECT_CASES
        .iter()
        .filter(|c| items.iter().any(|&i| i == "bisect" || i == c.name))
        .collect()
}

/// The results as a Markdown table, one row per case.
pub fn markdown(config: &BisectConfig, results: &[BisectResult]) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    if results.is_empty() {
        return out;
    }
    let _ = writeln!(
        out,
        "\n#### Bisection\n\nMaster seed {}, {} replications per case, {CANDIDATES} candidates, \
         {SEEDS} seeds, {} sign vectors, each probe at alpha/⌈log2 {CANDIDATES}⌉ = {ALPHA}/4 = {}.\n",
        config.master_seed,
        config.replications,
        config.permutations,
        probe_alpha(ALPHA, CANDIDATES)
    );
    out.push_str("| case | right commit | wrong commit (false blame) | no regression | probes |\n");
    out.push_str("| --- | --- | --- | --- | --- |\n");
    for r in results {
        let _ = writeln!(
            out,
            "| {} | {:.3} | {:.3} | {:.3} | {:.2} |",
            r.case.name,
            r.right_rate(),
            r.wrong_rate(),
            r.nothing_rate(),
            r.mean_probes()
        );
    }
    out.push('\n');
    for r in results {
        let _ = writeln!(out, "- `{}`: {}", r.case.name, r.case.summary);
    }
    out
}

/// The results as JSON.
pub fn json(config: &BisectConfig, results: &[BisectResult]) -> serde_json::Value {
    serde_json::json!({
        "replications": config.replications,
        "candidates": CANDIDATES,
        "seeds": SEEDS,
        "probe_alpha": probe_alpha(ALPHA, CANDIDATES),
        "cases": results.iter().map(|r| serde_json::json!({
            "name": r.case.name,
            "right": r.right_rate(),
            "wrong": r.wrong_rate(),
            "no_regression": r.nothing_rate(),
            "mean_probes": r.mean_probes(),
        })).collect::<Vec<_>>(),
    })
}
