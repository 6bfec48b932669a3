//! `pybench show --sensitivity [--effect F]`: for each stored benchmark and
//! slot, the smallest drop its stored seeds detect with power 0.80 at the
//! threshold it must beat (its alpha, over m under a run-level correction),
//! and the seeds a drop of `F` would need.
//!
//! The paired-difference sd is the one the last judged run measured on
//! these seeds (`store::sensitivity`); before any paired run it falls back
//! to the bound `s_d ≤ √2 · s_between` and says so.

use std::fmt::Write as _;

use crate::cli::ShowArgs;
use crate::error::Error;
use crate::exit;
use crate::judge::family::zero_differences_bound;
use crate::report;
use crate::report::number::sig;
use crate::report::terminal::{bench_name, escape};
use crate::settings::DEFAULT_ALPHA;
use crate::stats::mde::{self, Lambdas, Mde, SdSource, SeedsNeeded};
use crate::stats::numeric;
use crate::store::git;
use crate::store::sensitivity::{self, PairedSd};
use crate::store::{Baseline, Store};

/// The relative drop `--effect` defaults to.
pub const DEFAULT_EFFECT: f64 = 0.02;

pub fn run(args: &ShowArgs) -> Result<i32, Error> {
    let store = Store::open(&args.store.baseline())?;
    let selection = args.store.selection();
    let records = match git::repo_state(&git::existing_dir(store.path()))? {
        Some(repo) => sensitivity::read(&repo.git_dir),
        None => Default::default(),
    };
    let m = store.baselines().count();
    let effect = args.effect.unwrap_or(DEFAULT_EFFECT);
    let mut out = String::new();
    // One search over `n` per slot: the `λ*` each solves bound the next.
    let lambdas = Lambdas::default();
    for baseline in store.baselines().filter(|b| selection.selects(&b.bench)) {
        let alpha = baseline
            .settings
            .as_ref()
            .map_or(DEFAULT_ALPHA, |s| s.alpha.get());
        let alpha = mde::mde_alpha(args.family, alpha, m);
        let paired = records
            .get(&baseline.bench)
            .filter(|r| r.seeds == baseline.seeds);
        out.push_str(&benchmark(&lambdas, baseline, paired, (alpha, effect)));
    }
    if store.is_empty() {
        let path = store.path().display().to_string();
        let _ = writeln!(out, "no baselines in {}", escape(&path));
    }
    report::print(&out);
    Ok(exit::OK)
}

/// One benchmark's block.
fn benchmark(
    lambdas: &Lambdas,
    baseline: &Baseline,
    paired: Option<&PairedSd>,
    (alpha, effect): (f64, f64),
) -> String {
    let n = baseline.seeds.len();
    let source = match paired {
        Some(_) => "paired sd from the last judged run",
        None => "no paired run yet: a bound, √2 × the baseline's sd",
    };
    // Names are escaped as in every other view: a name may hold a newline
    // or a terminal escape, and one not starting `bench_` is quoted, so
    // that no name starts a line (a `::error::` command in a CI log).
    let mut out = format!(
        "{}  {n} seeds  (α′={}; {source})\n",
        bench_name(&baseline.bench),
        report::terminal::p_text(alpha, 0.0)
    );
    let table = &baseline.scores;
    for (slot, column) in table.slots().iter().zip(table.columns()) {
        let goodness: Vec<f64> = column.iter().map(|&v| slot.goodness(v)).collect();
        let mean = numeric::mean(&goodness);
        let name = slot.to_string();
        let paired_sd = paired.and_then(|p| p.sd.get(&name)).copied();
        let estimate = match paired_sd {
            Some(sd) => zero_differences_bound(
                lambdas,
                lambdas.with_paired_sd(alpha, n, sd, mean),
                slot,
                column,
            ),
            None => {
                let sd = numeric::std_ddof1_around(&goodness, mean);
                lambdas.slot_mde_from_run_sd(alpha, n, sd, mean)
            }
        };
        let mut text = line(lambdas, &estimate, (alpha, effect), mean);
        if paired_sd == Some(0.0) && estimate.sd_source == SdSource::RunBound {
            text.push_str(ZERO_DIFFERENCES);
        }
        let shown = escape(&name);
        let _ = writeln!(out, "  {shown:<16} {text}");
    }
    out
}

/// After a slot whose last paired differences were all zero.
const ZERO_DIFFERENCES: &str = "   (a bound, √2 × the baseline's sd: the last paired differences were \
     all zero, which shows only that a change keeping the random stream is seen at any size)";

/// `MDE 0.012 (2.4 %)   a 2.0 % drop needs 48 seeds`.
fn line(lambdas: &Lambdas, estimate: &Mde, (alpha, effect): (f64, f64), mean: f64) -> String {
    if estimate.any_change {
        return "any change is detected (neither the paired differences nor the baseline's seeds vary)"
            .into();
    }
    let mde_text = if estimate.rel_unreliable {
        format!("MDE {} (the baseline mean is ~0)", sig(estimate.mde, 4))
    } else {
        format!(
            "MDE {} ({} %)",
            sig(estimate.mde, 4),
            sig(estimate.mde_rel * 100.0, 1)
        )
    };
    let drop = effect * mean.abs();
    let needed = match lambdas.seeds_needed(alpha, estimate.sd, drop) {
        SeedsNeeded::Seeds(n) => format!("{n} seeds"),
        SeedsNeeded::MoreThan(n) => format!("more than {n} seeds"),
    };
    format!("{mde_text}   a {:.1} % drop needs {needed}", effect * 100.0)
}
