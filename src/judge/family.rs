//! One honest gate for a whole run: the run-level correction of every judged
//! benchmark's meta-p (Holm or Benjamini–Hochberg, weighted by each
//! benchmark's alpha), sampled meta-p values refined near their corrected
//! thresholds, and each slot's minimum detectable effect at the threshold
//! it must beat.
//!
//! With one judged benchmark, or `--family none`, nothing is corrected or
//! refined: the verdicts and numbers are exactly those of the Python tool.

use crate::report::number::sig;
use crate::result::{BenchResult, FamilyOutcome, Note, NoteKind, RunFamily, Status};
use crate::scores::SlotKey;
use crate::stats::family::{self, Family};
use crate::stats::mde::{self, Mde, SdSource};
use crate::stats::numeric;
use crate::stats::refine::{self, Member, RefineOptions};
use crate::stats::{CompareOptions, Differences};

/// A slot whose MDE exceeds this share of its baseline mean gets a note
/// when the benchmark sets no `min_effect`.
pub const DEFAULT_RELEVANT_DROP: f64 = 0.10;

/// Correct the verdicts of every PASS/FAIL in `results` for their number,
/// and work out each slot's MDE. The run's correction, when it applied.
pub fn correct(results: &mut [BenchResult], method: Family) -> Option<RunFamily> {
    let judged: Vec<usize> = (0..results.len())
        .filter(|&i| judged(&results[i]))
        .collect();
    let m = judged.len();
    let run = if method != Family::None && m > 1 {
        apply(results, &judged, method)
    } else {
        None
    };
    let effective = if run.is_some() { method } else { Family::None };
    for &i in &judged {
        sensitivity(&mut results[i], effective, m);
    }
    run
}

/// Each slot's MDE for a benchmark judged on its own (no correction).
pub fn sense_alone(result: &mut BenchResult) {
    if judged(result) {
        sensitivity(result, Family::None, 1);
    }
}

fn judged(result: &BenchResult) -> bool {
    matches!(result.status, Status::Pass | Status::Fail)
        && result.comparison.is_some()
        && result.reference.is_some()
        && result.current.is_some()
}

/// Refine and correct; `None` (and the verdicts untouched) if the engine
/// refuses, which it cannot for results it already compared.
///
/// An adaptive check already spent its share `alpha/m` of the run's alpha
/// in its own looks; it enters the correction with p = 0 (FAIL) or 1
/// (PASS), so that the others' thresholds still count it, and keeps its
/// verdict.
fn apply(results: &mut [BenchResult], judged: &[usize], method: Family) -> Option<RunFamily> {
    let (adaptive, fixed_design): (Vec<usize>, Vec<usize>) = judged
        .iter()
        .partition(|&&i| results[i].sequential.is_some());
    let members: Vec<Member> = fixed_design
        .iter()
        .map(|&i| member(&results[i]))
        .collect::<Option<_>>()?;
    let fixed: Vec<(f64, f64)> = adaptive
        .iter()
        .map(|&i| {
            let failed = results[i].status == Status::Fail;
            (if failed { 0.0 } else { 1.0 }, results[i].alpha)
        })
        .collect();
    let verdict =
        refine::judge_with_fixed(&members, &fixed, method, &RefineOptions::default()).ok()?;
    let m = judged.len();
    let order = fixed_design.iter().chain(&adaptive);
    for (k, &i) in order.enumerate() {
        let result = &mut results[i];
        let decision = &verdict.decisions.decisions[k];
        let own_p = match verdict.meta.get(k) {
            Some(meta) => {
                if let Some(cmp) = result.comparison.as_mut() {
                    cmp.meta_p = meta.p;
                    cmp.exact = meta.exact;
                    cmp.n_permutations = meta.n_permutations;
                }
                result.status = if decision.failed {
                    Status::Fail
                } else {
                    Status::Pass
                };
                meta.p
            }
            None => result.comparison.as_ref().map_or(1.0, |c| c.meta_p),
        };
        result.family = Some(FamilyOutcome {
            method,
            m,
            raw_meta_p: own_p,
            adjusted_meta_p: decision.adjusted_p,
            level: decision.level,
            threshold: decision.threshold,
        });
        reach_note(result, method, m);
    }
    Some(RunFamily {
        method,
        m,
        alpha: verdict.decisions.level,
    })
}

/// Say so when the benchmark's seeds cannot reach the corrected threshold.
fn reach_note(result: &mut BenchResult, method: Family, m: usize) {
    let n = result
        .sequential
        .as_ref()
        .map_or(result.seeds.len(), |s| s.planned_seeds);
    let reach = family::reachability(n, result.alpha, m);
    if !reach.reachable {
        result.notes.push(Note {
            kind: NoteKind::Reach,
            text: format!(
                "{}: {n} seeds cannot reach the corrected threshold {} ({} over {m} benchmarks) on their own; it needs n_seeds ≥ {}",
                result.name,
                short(reach.threshold),
                method.name().to_uppercase(),
                reach.seeds_needed
            ),
        });
    }
}

/// The permutation test `compare` ran for `result`.
fn member(result: &BenchResult) -> Option<Member> {
    Member::from_tables(
        &result.name,
        &result.seeds,
        result.reference.as_ref()?,
        result.current.as_ref()?,
        &CompareOptions {
            alpha: result.alpha,
            min_effect: result.min_effect,
        },
    )
    .ok()
}

/// Each slot's MDE at the threshold the benchmark must beat, and a note for
/// each slot too noisy to see the drop that matters.
fn sensitivity(result: &mut BenchResult, method: Family, m: usize) {
    let (Some(reference), Some(current)) = (&result.reference, &result.current) else {
        return;
    };
    let Ok(diffs) = Differences::from_tables(reference, current) else {
        return;
    };
    let alpha = mde::mde_alpha(method, result.alpha, m);
    let mdes: Vec<Mde> = (0..diffs.n_slots())
        .map(|s| {
            let measured = mde::slot_mde(alpha, diffs.column(s), diffs.baseline_mean(s));
            zero_differences_bound(measured, &reference.slots()[s], reference.column(s))
        })
        .collect();
    let relevant = result.min_effect.unwrap_or(DEFAULT_RELEVANT_DROP);
    let flagged = |i: usize| {
        result
            .comparison
            .as_ref()
            .is_some_and(|c| c.slots.get(i).is_some_and(|s| s.flagged))
    };
    for (i, (slot, mde)) in reference.slots().iter().zip(&mdes).enumerate() {
        // A flagged slot saw its drop; a bound is no measurement.
        if flagged(i) || mde.sd_source == SdSource::RunBound {
            continue;
        }
        if !mde.any_change && !mde.rel_unreliable && mde.mde_rel > relevant {
            result.notes.push(Note {
                kind: NoteKind::Sensitivity,
                text: format!(
                    "{}: {} seeds cannot see drops smaller than {} % in {slot}",
                    result.name,
                    result.seeds.len(),
                    sig(mde.mde_rel * 100.0, 1)
                ),
            });
        }
    }
    result.sensitivity = mdes;
}

/// `measured` — unless the paired differences were all zero (a benchmark
/// deterministic per seed, run unchanged): that says nothing about a change
/// that redraws part of the noise, so the bound `√2 · s_between` of the
/// baseline's seeds (`column` of `slot`) stands in, as before any paired
/// run. Zero differences show only that a change keeping the random stream
/// would be seen at any size.
pub fn zero_differences_bound(measured: Mde, slot: &SlotKey, column: &[f64]) -> Mde {
    if !measured.any_change {
        return measured;
    }
    let goodness: Vec<f64> = column.iter().map(|&v| slot.goodness(v)).collect();
    let mean = numeric::mean(&goodness);
    let between = numeric::std_ddof1_around(&goodness, mean);
    let bound = mde::slot_mde_from_run_sd(measured.alpha, goodness.len(), between, mean);
    if bound.any_change { measured } else { bound }
}

/// A probability in as few digits as tell it apart.
fn short(p: f64) -> String {
    format!("{}", (p * 1e6).round() / 1e6)
}
