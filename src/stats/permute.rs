//! The sign-flip permutation test: the statistic under every (or many random)
//! sign patterns, and the meta-p.
//!
//! `Σd²` does not change when signs flip, so a pattern only needs each slot's
//! `S = Σ ε_i d_i`: mean `S/n`, variance `(Σd² − S²/n)/(n−1)`. All patterns'
//! sums form a sign-matrix × difference-matrix product, computed "four
//! Russians" style: per block of slots and chunk of 8 seeds, the 256 subset
//! sums are tabulated once, and a pattern's sum is one lookup per chunk.
//!
//! Each slot's differences are divided by their power-of-two scale
//! ([`numeric::pow2_scale`], exact) before anything is summed or squared, so
//! `Σd²`, `S` and `S²` neither overflow nor underflow at any scale; means are
//! scaled back only for the `min_effect` gate.

use rayon::prelude::*;

use super::criterion::{Criterion, Statistic};
use super::numeric;
use super::signs::{self, CHUNK};
use super::slot::{DEGENERATE_RTOL, Differences, degenerate_t, is_degenerate, t_value};

/// Sign patterns drawn when `2^n` is larger than this; enumerated otherwise.
pub const N_PERMUTATIONS: usize = 4096;

/// Statistics within this relative distance of the observed one count as
/// ties (`≥`): mathematically equal patterns (e.g. flipping a zero
/// difference, or two opposite equal ones) may differ by rounding.
pub const TIE_RTOL: f64 = 1e-9;

/// Slots tabulated together: 256 sums × 16 slots × 8 bytes = 32 KiB per
/// 8-seed chunk, so a 100-seed block (~420 KiB) stays in L2, and a pattern's
/// 16 running sums stay in SSE2 registers. Measured: 16 beats 8 and 32 on
/// 100 seeds × 1000 slots (17 ms vs 21 and 26); 8 wins only on 3 slots.
const SLOT_BLOCK: usize = 16;
const _: () = assert!(SLOT_BLOCK <= 64, "candidates are a u64 bit mask");

/// Patterns per rayon task.
const PATTERN_TASK: usize = 64;

/// Below this much work (pattern × slot × chunk lookups) threads cost more
/// than they save; the arithmetic is the same either way.
const PARALLEL_WORK: usize = 1 << 18;

/// Below `Σd² / 2^10` the fast variance `Σd² − S²/n` has lost too many bits
/// to cancellation (its rounding error is up to ~3nε·Σd²; at the extreme,
/// equal |d| with agreeing signs give a true 0 but a rounded ~1e-17·Σd²,
/// i.e. an sd far above the degenerate cut-off `1e-12·sqrt(Σd²/n)`). Such
/// patterns, only those with |t| ≳ 32√n, are recomputed directly in numpy's
/// two-pass way, so the degenerate rule and the t value agree with the
/// observed slot's. The degenerate zone (`Σd² − S²/n ≤ (n−1)·1e-24·Σd²/n`)
/// lies far inside this one.
const CANCELLATION_RATIO: f64 = 1.0 / 1024.0;

/// How a permutation test is run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct PermutationOptions {
    /// The statistic compared against the observed one.
    pub statistic: Statistic,
    /// Enumerate when `2^n` is at most this, else draw this many patterns.
    pub n_permutations: usize,
    /// ChaCha20 seed of the random patterns (see [`signs::permutation_seed`]).
    pub rng_seed: u64,
}

/// Outcome of a permutation test.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MetaP {
    /// The meta-p: `#{T_b ≥ T}/2^n` exact, `(#{T_b ≥ T}+1)/(B+1)` sampled.
    pub p: f64,
    /// Whether every pattern was enumerated.
    pub exact: bool,
    /// Patterns evaluated (`2^n` or `B`), the observed one not counted extra.
    pub n_permutations: usize,
    /// Patterns whose statistic reached the observed one.
    pub n_extreme: usize,
    /// The observed statistic, computed on the same path as the patterns.
    pub observed: f64,
}

/// The sign-flip meta-p of `diffs` under `criterion`.
pub fn meta_p(diffs: &Differences, criterion: &Criterion, options: &PermutationOptions) -> MetaP {
    let (patterns, exact, observed_row) = patterns_for(diffs.n_seeds(), options);
    let stats = statistics(diffs, criterion, options.statistic, &patterns);
    summarize(&stats, exact, observed_row, options)
}

/// [`meta_p`] of `diffs` and of `−diffs` (the mirror test) under the same
/// patterns, in one pass: a pattern's sum for `−d` is minus its sum for
/// `d`, so the table lookups — most of the work — are shared. Both are bit
/// for bit what two [`meta_p`] calls give.
pub fn meta_p_mirrored(
    diffs: &Differences,
    criterion: &Criterion,
    options: &PermutationOptions,
) -> (MetaP, MetaP) {
    let (patterns, exact, observed_row) = patterns_for(diffs.n_seeds(), options);
    let [stats, mirrored] = statistics_of(diffs, criterion, options.statistic, &patterns, true);
    (
        summarize(&stats, exact, observed_row, options),
        summarize(&mirrored, exact, observed_row, options),
    )
}

/// The patterns of a test on `n` seeds, whether they are all of them, and
/// the row of the observed data. The observed data is pattern 0 when
/// enumerating, and an extra last row when sampling, so that it goes
/// through the very same arithmetic as the patterns it is compared with.
fn patterns_for(n: usize, options: &PermutationOptions) -> (Vec<u8>, bool, usize) {
    let exact = n < 63 && (1usize << n) <= options.n_permutations;
    if exact {
        (signs::enumerate(n), true, 0)
    } else {
        let mut p = signs::sample(n, options.n_permutations, options.rng_seed);
        p.resize(p.len() + signs::n_chunks(n), 0);
        (p, false, options.n_permutations)
    }
}

/// The meta-p from every pattern's statistic.
fn summarize(
    stats: &[f64],
    exact: bool,
    observed_row: usize,
    options: &PermutationOptions,
) -> MetaP {
    let observed = stats[observed_row];
    let threshold = observed - TIE_RTOL * observed.abs();
    let (n_permutations, n_extreme) = if exact {
        (
            stats.len(),
            stats.iter().filter(|&&t| t >= threshold).count(),
        )
    } else {
        let drawn = &stats[..options.n_permutations];
        (
            drawn.len(),
            drawn.iter().filter(|&&t| t >= threshold).count(),
        )
    };
    let p = if exact {
        n_extreme as f64 / n_permutations as f64
    } else {
        (n_extreme + 1) as f64 / (n_permutations + 1) as f64
    };
    MetaP {
        p,
        exact,
        n_permutations,
        n_extreme,
        observed,
    }
}

/// Per-slot constants of the fast path, one array per field so that a
/// block of slots is scanned with vector instructions.
///
/// Every sum is of the slot's differences divided by `scale`.
struct SlotConstants {
    /// The slot's power-of-two scale ([`numeric::pow2_scale`] of its `d`).
    scale: Vec<f64>,
    /// `Σ(d/scale)²`, the same under every pattern.
    sum_sq: Vec<f64>,
    /// `sqrt(Σ(d/scale)²/n)`, the degenerate rule's yardstick, the same
    /// under every pattern.
    rms: Vec<f64>,
    /// At or below this `Σd² − S²/n`, recompute directly (cancellation).
    cancellation_floor: Vec<f64>,
    /// At or below this `Σd² − S²/n`, always take the exact path: the
    /// cancellation floor, or (were it ever larger) the degenerate zone,
    /// where a pattern's t is ∓1e9 whatever its |S|.
    exact_below: Vec<f64>,
    /// The effect's denominator.
    denominator: Vec<f64>,
}

impl SlotConstants {
    fn new(diffs: &Differences) -> SlotConstants {
        let nf = diffs.n_seeds() as f64;
        let (sum_sq, scale): (Vec<f64>, Vec<f64>) = (0..diffs.n_slots())
            .map(|s| numeric::scaled_sum_of_squares(diffs.column(s)))
            .unzip();
        let rms: Vec<f64> = sum_sq.iter().map(|q| (q / nf).sqrt()).collect();
        let cancellation_floor: Vec<f64> = sum_sq.iter().map(|q| q * CANCELLATION_RATIO).collect();
        // sd ≤ 1e-12·rms ⇔ centred ≤ (n−1)·1e-24·Σd²/n; 2× leaves room for
        // rounding. Always below the cancellation floor for n < 1e20.
        let degenerate_rtol_sq = DEGENERATE_RTOL * DEGENERATE_RTOL;
        SlotConstants {
            exact_below: cancellation_floor
                .iter()
                .zip(&sum_sq)
                .map(|(f, q)| f.max(2.0 * (nf - 1.0) * degenerate_rtol_sq * q / nf))
                .collect(),
            scale,
            sum_sq,
            rms,
            cancellation_floor,
            denominator: (0..diffs.n_slots())
                .map(|s| diffs.effect_denominator(s))
                .collect(),
        }
    }
}

/// `statistic` under each pattern (rows of `patterns`, one byte per chunk).
///
/// Each pattern's value is summed over slots in slot order by one thread, so
/// the result does not depend on the number of threads.
pub fn statistics(
    diffs: &Differences,
    criterion: &Criterion,
    statistic: Statistic,
    patterns: &[u8],
) -> Vec<f64> {
    let [stats, _] = statistics_of(diffs, criterion, statistic, patterns, false);
    stats
}

/// [`statistics`] of `diffs`, and with `mirrored` of `−diffs` too (else
/// empty).
fn statistics_of(
    diffs: &Differences,
    criterion: &Criterion,
    statistic: Statistic,
    patterns: &[u8],
    mirrored: bool,
) -> [Vec<f64>; 2] {
    let n = diffs.n_seeds();
    let nc = signs::n_chunks(n);
    let n_rows = patterns.len() / nc;
    let nf = n as f64;
    let constants = SlotConstants::new(diffs);
    // t < t_crit < 0 ⇔ S < 0 and S²(n−1) > t_crit²·n·(Σd² − S²/n): a test
    // without division or square root that discards most slot-patterns.
    // The 1e-6 slack only lets more through to the exact computation.
    let prefilter = (criterion.t_crit < 0.0)
        .then(|| criterion.t_crit * criterion.t_crit * nf / (nf - 1.0) * (1.0 - 1e-6));
    let engine = Engine {
        diffs,
        criterion,
        statistic,
        constants: &constants,
        n,
        nc,
        inv_n: 1.0 / nf,
        sqrt_n: nf.sqrt(),
        prefilter,
    };
    // Each row: the statistic of `d`, then (mirrored) of `−d`.
    let directions = if mirrored { 2 } else { 1 };
    let mut out = vec![0.0; n_rows * directions];
    let mut table = Vec::new();
    let parallel = n_rows * diffs.n_slots() * nc >= PARALLEL_WORK;
    for first in (0..diffs.n_slots()).step_by(SLOT_BLOCK) {
        let width = SLOT_BLOCK.min(diffs.n_slots() - first);
        engine.tabulate(first, width, &mut table);
        let task = |(t, rows): (usize, &mut [f64])| {
            let first_row = t * PATTERN_TASK;
            for (r, accs) in rows.chunks_exact_mut(directions).enumerate() {
                let row = first_row + r;
                let pattern = &patterns[row * nc..(row + 1) * nc];
                engine.add_block(accs, pattern, &table, first, width);
            }
        };
        if parallel {
            out.par_chunks_mut(PATTERN_TASK * directions)
                .enumerate()
                .for_each(task);
        } else {
            out.chunks_mut(PATTERN_TASK * directions)
                .enumerate()
                .for_each(task);
        }
    }
    if !mirrored {
        return [out, Vec::new()];
    }
    let (forward, mirror): (Vec<f64>, Vec<f64>) =
        out.chunks_exact(2).map(|pair| (pair[0], pair[1])).unzip();
    [forward, mirror]
}

struct Engine<'a> {
    diffs: &'a Differences,
    criterion: &'a Criterion,
    statistic: Statistic,
    constants: &'a SlotConstants,
    n: usize,
    nc: usize,
    inv_n: f64,
    sqrt_n: f64,
    /// `t_crit²·n/(n−1)`, slightly lowered; `None` when `t_crit ≥ 0`.
    prefilter: Option<f64>,
}

impl Engine<'_> {
    /// Fill `table[(c·256 + mask)·SLOT_BLOCK + b]` with `Σ_j ±d[8c+j]/scale`
    /// of slot `first + b`, summed in seed order, `−` where bit `j` of mask
    /// is set. Columns `b ≥ width` are zero, so every block has the same,
    /// compile-time width.
    fn tabulate(&self, first: usize, width: usize, table: &mut Vec<f64>) {
        table.resize(self.nc * 256 * SLOT_BLOCK, 0.0);
        let mut d = [0.0f64; SLOT_BLOCK];
        for (c, chunk) in table.chunks_mut(256 * SLOT_BLOCK).enumerate() {
            chunk[..SLOT_BLOCK].fill(0.0);
            let seeds = CHUNK.min(self.n - c * CHUNK);
            for j in 0..seeds {
                for (b, x) in d[..width].iter_mut().enumerate() {
                    let s = first + b;
                    *x = self.diffs.column(s)[c * CHUNK + j] / self.constants.scale[s];
                }
                // Rows m < half hold the sums over seeds < j; extend each
                // by +d_j in place and by −d_j into row m + half.
                let half = 1 << j;
                let (low, high) = chunk.split_at_mut(half * SLOT_BLOCK);
                for (lo, hi) in low
                    .chunks_exact_mut(SLOT_BLOCK)
                    .zip(high.chunks_exact_mut(SLOT_BLOCK))
                {
                    for ((l, h), &x) in lo.iter_mut().zip(hi.iter_mut()).zip(&d) {
                        *h = *l - x;
                        *l += x;
                    }
                }
            }
        }
    }

    /// Add to `accs[0]` the terms of slots `first..first + width` under
    /// `pattern`, and (when there are two) to `accs[1]` their terms on `−d`.
    ///
    /// `−d`'s sums are the negated sums, exactly but for the sign of a
    /// zero, which no term reads (a zero mean or t never counts).
    fn add_block(
        &self,
        accs: &mut [f64],
        pattern: &[u8],
        table: &[f64],
        first: usize,
        width: usize,
    ) {
        let row = |c: usize| -> &[f64; SLOT_BLOCK] {
            let start = (c * 256 + pattern[c] as usize) * SLOT_BLOCK;
            table[start..start + SLOT_BLOCK].try_into().unwrap()
        };
        let mut sums = *row(0);
        for c in 1..self.nc {
            for (s, &v) in sums.iter_mut().zip(row(c)) {
                *s += v;
            }
        }
        let sums = &sums[..width];
        accs[0] = self.add_terms::<false>(accs[0], sums, pattern, first);
        if let Some(acc) = accs.get_mut(1) {
            *acc = self.add_terms::<true>(*acc, sums, pattern, first);
        }
    }

    /// `acc` plus the terms of slots `first..` whose sums are `sums`, or
    /// `−sums` when `MIRRORED`.
    fn add_terms<const MIRRORED: bool>(
        &self,
        mut acc: f64,
        sums: &[f64],
        pattern: &[u8],
        first: usize,
    ) -> f64 {
        let signed = |s: f64| if MIRRORED { -s } else { s };
        let Some(k) = self.prefilter else {
            for (b, &sum) in sums.iter().enumerate() {
                acc += self.term(first + b, signed(sum), pattern, MIRRORED);
            }
            return acc;
        };
        let range = first..first + sums.len();
        // Branch-free (`&`, `|`, not `&&`, `||`) so that it vectorises; a
        // set bit marks a slot-pattern that needs the exact computation.
        let mut candidates: u64 = 0;
        for (b, ((&s, &q), &low)) in sums
            .iter()
            .zip(&self.constants.sum_sq[range.clone()])
            .zip(&self.constants.exact_below[range])
            .enumerate()
        {
            let s = signed(s);
            let centred = q - s * s * self.inv_n;
            let hit = (s < 0.0) & ((centred <= low) | (s * s >= k * centred));
            candidates |= u64::from(hit) << b;
        }
        while candidates != 0 {
            let b = candidates.trailing_zeros() as usize;
            candidates &= candidates - 1;
            acc += self.term(first + b, signed(sums[b]), pattern, MIRRORED);
        }
        acc
    }

    /// Slot `s`'s term under `pattern`, given its signed (scaled) sum, on
    /// `−d` when `mirrored`.
    fn term(&self, s: usize, sum: f64, pattern: &[u8], mirrored: bool) -> f64 {
        let k = self.constants;
        let n = self.n as f64;
        let centred = k.sum_sq[s] - sum * sum * self.inv_n;
        let (mean, t) = if centred > k.cancellation_floor[s] {
            let mean = sum / n;
            let sd = (centred / (n - 1.0)).sqrt();
            let t = if is_degenerate(sd, k.rms[s]) {
                degenerate_t(mean)
            } else {
                mean / (sd / self.sqrt_n)
            };
            (mean, t)
        } else {
            self.direct(s, pattern, mirrored)
        };
        // The gate compares the mean in the metric's units (exact scaling).
        self.criterion
            .term(self.statistic, mean * k.scale[s], t, k.denominator[s])
    }

    /// Mean and t of slot `s` under `pattern`, the two-pass way, on the
    /// scaled differences (negated when `mirrored`).
    #[cold]
    fn direct(&self, s: usize, pattern: &[u8], mirrored: bool) -> (f64, f64) {
        let scale = self.constants.scale[s];
        let signed: Vec<f64> = self
            .diffs
            .column(s)
            .iter()
            .enumerate()
            .map(|(i, &d)| {
                let d = if mirrored { -d } else { d };
                (if signs::flipped(pattern, i) { -d } else { d }) / scale
            })
            .collect();
        let mean = numeric::mean(&signed);
        let sd = numeric::std_ddof1_around(&signed, mean);
        (mean, t_value(mean, sd, self.constants.rms[s], self.n))
    }
}
