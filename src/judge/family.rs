//! One honest gate for a whole run: the run-level correction of every judged
//! benchmark's meta-p (Holm or Benjamini–Hochberg, weighted by each
//! benchmark's alpha), sampled meta-p values refined near their corrected
//! thresholds, and each slot's minimum detectable effect at the threshold
//! it must beat.
//!
//! With one judged benchmark, or `--family none`, nothing is corrected or
//! refined: the verdicts and numbers are exactly those of the Python tool.

use crate::report::number::sig;
use crate::result::{BenchResult, FamilyOutcome, Note, NoteKind, Outcome, RunFamily, Status};
use crate::scores::SlotKey;
use crate::stats::family::{self, Family};
use crate::stats::mde::{self, Lambdas, Mde, SdSource};
use crate::stats::numeric;
use crate::stats::refine::{self, Member, RefineOptions};
use crate::stats::{CompareOptions, Differences};

/// A slot whose MDE exceeds this share of its baseline mean gets a note
/// when the benchmark sets no `min_effect`.
pub const DEFAULT_RELEVANT_DROP: f64 = 0.10;

/// Correct the verdicts of every PASS/FAIL in `results` for their number,
/// and work out each slot's MDE: new results, and the run's correction
/// when it applied.
pub fn correct(
    results: Vec<BenchResult>,
    method: Family,
    lambdas: &Lambdas,
) -> (Vec<BenchResult>, Option<RunFamily>) {
    let judged: Vec<usize> = (0..results.len())
        .filter(|&i| results[i].evidence().is_some())
        .collect();
    let m = judged.len();
    let corrected = if method != Family::None && m > 1 {
        apply(&results, &judged, method)
    } else {
        None
    };
    let (mut outcomes, run) = match corrected {
        Some((outcomes, run)) => (outcomes, Some(run)),
        None => (Vec::new(), None),
    };
    let effective = if run.is_some() { method } else { Family::None };
    let results = results
        .into_iter()
        .enumerate()
        .map(|(i, result)| match judged.iter().position(|&j| j == i) {
            None => result,
            Some(k) => {
                let result = match outcomes.get_mut(k).and_then(Option::take) {
                    Some(family) => with_family(result, family),
                    None => result,
                };
                sensed(result, effective, m, lambdas)
            }
        })
        .collect();
    (results, run)
}

/// `result` with each slot's MDE, judged on its own (no correction).
pub fn sense_alone(result: BenchResult, lambdas: &Lambdas) -> BenchResult {
    if result.evidence().is_some() {
        sensed(result, Family::None, 1, lambdas)
    } else {
        result
    }
}

/// Refine and correct: each judged benchmark's place in the correction (in
/// the order of `judged`) and the run's; `None` if the engine refuses,
/// which it cannot for results it already compared.
///
/// An adaptive check already spent its share `alpha/m` of the run's alpha
/// in its own looks; it enters the correction with p = 0 (FAIL) or 1
/// (PASS), so that the others' thresholds still count it, and keeps its
/// verdict.
fn apply(
    results: &[BenchResult],
    judged: &[usize],
    method: Family,
) -> Option<(Vec<Option<FamilyOutcome>>, RunFamily)> {
    let (adaptive, fixed_design): (Vec<usize>, Vec<usize>) = judged
        .iter()
        .partition(|&&i| results[i].sequential().is_some());
    let members: Vec<Member> = fixed_design
        .iter()
        .map(|&i| member(&results[i]))
        .collect::<Option<_>>()?;
    let fixed: Vec<(f64, f64)> = adaptive
        .iter()
        .map(|&i| {
            let failed = results[i].status() == Status::Fail;
            (if failed { 0.0 } else { 1.0 }, results[i].alpha.get())
        })
        .collect();
    let verdict =
        refine::judge_with_fixed(&members, &fixed, method, &RefineOptions::default()).ok()?;
    let m = judged.len();
    let mut outcomes = vec![None; m];
    for (k, &i) in fixed_design.iter().chain(&adaptive).enumerate() {
        let decision = &verdict.decisions.decisions[k];
        let refined = verdict.meta.get(k);
        let raw_meta_p = match refined {
            Some(meta) => meta.p,
            None => results[i].meta_p().unwrap_or(1.0),
        };
        let slot = judged.iter().position(|&j| j == i)?;
        outcomes[slot] = Some(FamilyOutcome {
            method,
            m,
            raw_meta_p,
            adjusted_meta_p: decision.adjusted_p,
            level: decision.level,
            threshold: decision.threshold,
            failed: refined.map(|_| decision.failed),
        });
    }
    let run = RunFamily {
        method,
        m,
        alpha: verdict.decisions.level,
    };
    Some((outcomes, run))
}

/// `result` with its place in the run's correction. Seeds that cannot
/// reach their share of alpha under the correction could never FAIL alone:
/// an ERROR saying so, unless it FAILed (then a note).
fn with_family(result: BenchResult, family: FamilyOutcome) -> BenchResult {
    let n = result
        .sequential()
        .map_or(result.seeds.len(), |s| s.planned_seeds);
    let unreachable = family::unreachable_share(n, result.alpha.get(), family.method, family.m);
    let result = BenchResult {
        family: Some(family),
        ..result
    };
    let Some(text) = unreachable else {
        return result;
    };
    if result.status() == Status::Fail {
        let mut notes = result.notes.clone();
        notes.push(Note {
            kind: NoteKind::Reach,
            text: format!("{}: {text}", result.name),
        });
        return BenchResult { notes, ..result };
    }
    let current = result.evidence().map(|e| e.current.clone());
    BenchResult {
        outcome: Outcome::Error {
            message: text,
            current,
        },
        ..result
    }
}

/// The permutation test `compare` ran for `result`.
fn member(result: &BenchResult) -> Option<Member> {
    Member::from_tables(
        &result.name,
        &result.seeds,
        result.reference()?,
        result.current()?,
        &CompareOptions {
            alpha: result.alpha.get(),
            min_effect: result.min_effect,
        },
    )
    .ok()
}

/// `result` with each slot's MDE at the threshold it must beat, and a
/// note for each slot too noisy to see the drop that matters.
fn sensed(result: BenchResult, method: Family, m: usize, lambdas: &Lambdas) -> BenchResult {
    let Some(evidence) = result.evidence() else {
        return result;
    };
    let Ok(diffs) = Differences::from_tables(&evidence.reference, &evidence.current) else {
        return result;
    };
    let alpha = mde::mde_alpha(method, result.alpha.get(), m);
    let mdes: Vec<Mde> = (0..diffs.n_slots())
        .map(|s| {
            let measured = lambdas.slot_mde(alpha, diffs.column(s), diffs.baseline_mean(s));
            zero_differences_bound(
                lambdas,
                measured,
                &evidence.reference.slots()[s],
                evidence.reference.column(s),
            )
        })
        .collect();
    let relevant = result.min_effect.unwrap_or(DEFAULT_RELEVANT_DROP);
    let flagged = |i: usize| {
        result
            .comparison()
            .is_some_and(|c| c.slots.get(i).is_some_and(|s| s.flagged))
    };
    let mut notes = result.notes.clone();
    for (i, (slot, mde)) in evidence.reference.slots().iter().zip(&mdes).enumerate() {
        // A flagged slot saw its drop; a bound is no measurement.
        if flagged(i) || mde.sd_source == SdSource::RunBound {
            continue;
        }
        if !mde.any_change && !mde.rel_unreliable && mde.mde_rel > relevant {
            notes.push(Note {
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
    BenchResult {
        sensitivity: mdes,
        notes,
        ..result
    }
}

/// `measured` — unless the paired differences were all zero (a benchmark
/// deterministic per seed, run unchanged): that says nothing about a change
/// that redraws part of the noise, so the bound `√2 · s_between` of the
/// baseline's seeds (`column` of `slot`) stands in, as before any paired
/// run. Zero differences show only that a change keeping the random stream
/// would be seen at any size.
pub fn zero_differences_bound(
    lambdas: &Lambdas,
    measured: Mde,
    slot: &SlotKey,
    column: &[f64],
) -> Mde {
    if !measured.any_change {
        return measured;
    }
    let goodness: Vec<f64> = column.iter().map(|&v| slot.goodness(v)).collect();
    let mean = numeric::mean(&goodness);
    let between = numeric::std_ddof1_around(&goodness, mean);
    let bound = lambdas.slot_mde_from_run_sd(measured.alpha, goodness.len(), between, mean);
    if bound.any_change { measured } else { bound }
}
