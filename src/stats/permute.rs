//! The sign-flip permutation test: the statistic under every (or many random)
//! sign patterns, and the meta-p.
//!
//! `Σd²` does not change when signs flip, so a pattern only needs each slot's
//! `S = Σ ε_i d_i`: mean `S/n`, variance `(Σd² − S²/n)/(n−1)`. All patterns'
//! sums form a sign-matrix × difference-matrix product, computed "four
//! Russians" style: per block of slots and chunk of 8 seeds, the 256 subset
//! sums are tabulated once, and a pattern's sum is one lookup per chunk.

use rayon::prelude::*;

use super::criterion::{Criterion, Statistic};
use super::numeric;
use super::signs::{self, CHUNK};
use super::slot::{DEGENERATE_SD, Differences, t_value};

/// Sign patterns drawn when `2^n` is larger than this; enumerated otherwise.
pub const N_PERMUTATIONS: usize = 4096;

/// Statistics within this relative distance of the observed one count as
/// ties (`≥`): mathematically equal patterns (e.g. flipping a zero
/// difference, or two opposite equal ones) may differ by rounding.
pub const TIE_RTOL: f64 = 1e-9;

/// Slots tabulated together: 8-seed chunks × 256 sums × 32 slots × 8 bytes
/// = 64 KiB per chunk, so a 100-seed block (~850 KiB) stays in L2.
const SLOT_BLOCK: usize = 32;

/// Patterns per rayon task.
const PATTERN_TASK: usize = 64;

/// Below this much work (pattern × slot × chunk lookups) threads cost more
/// than they save; the arithmetic is the same either way.
const PARALLEL_WORK: usize = 1 << 18;

/// Below `Σd² / 2^10` the fast variance `Σd² − S²/n` has lost too many bits
/// to cancellation (its rounding error is up to ~3nε·Σd²; at the extreme,
/// equal |d| with agreeing signs give a true 0 but a rounded ~1e-17·Σd²,
/// i.e. an sd far above the 1e-12 degenerate cut-off). Such patterns, only
/// those with |t| ≳ 32√n, are recomputed directly in numpy's two-pass way,
/// so the degenerate rule and the t value agree with the observed slot's.
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
    let n = diffs.n_seeds();
    let exact = n < 63 && (1usize << n) <= options.n_permutations;
    // The observed data is pattern 0 when enumerating, and an extra last
    // row when sampling, so that it goes through the very same arithmetic
    // as the patterns it is compared with.
    let (patterns, observed_row) = if exact {
        (signs::enumerate(n), 0)
    } else {
        let mut p = signs::sample(n, options.n_permutations, options.rng_seed);
        p.resize(p.len() + signs::n_chunks(n), 0);
        (p, options.n_permutations)
    };
    let stats = statistics(diffs, criterion, options.statistic, &patterns);
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

/// Per-slot constants of the fast path.
struct SlotConstants {
    sum_sq: f64,
    cancellation_floor: f64,
    denominator: f64,
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
    let n = diffs.n_seeds();
    let nc = signs::n_chunks(n);
    let n_rows = patterns.len() / nc;
    let constants: Vec<SlotConstants> = (0..diffs.n_slots())
        .map(|s| {
            let squares: Vec<f64> = diffs.column(s).iter().map(|d| d * d).collect();
            let sum_sq = numeric::pairwise_sum(&squares);
            SlotConstants {
                sum_sq,
                cancellation_floor: sum_sq * CANCELLATION_RATIO,
                denominator: diffs.effect_denominator(s),
            }
        })
        .collect();
    let engine = Engine {
        diffs,
        criterion,
        statistic,
        constants: &constants,
        n,
        nc,
        sqrt_n: (n as f64).sqrt(),
    };
    let mut out = vec![0.0; n_rows];
    let mut table = Vec::new();
    let parallel = n_rows * diffs.n_slots() * nc >= PARALLEL_WORK;
    for first in (0..diffs.n_slots()).step_by(SLOT_BLOCK) {
        let width = SLOT_BLOCK.min(diffs.n_slots() - first);
        engine.tabulate(first, width, &mut table);
        let task = |(t, rows): (usize, &mut [f64])| {
            let first_row = t * PATTERN_TASK;
            for (r, acc) in rows.iter_mut().enumerate() {
                let row = first_row + r;
                let pattern = &patterns[row * nc..(row + 1) * nc];
                *acc = engine.add_block(*acc, pattern, &table, first, width);
            }
        };
        if parallel {
            out.par_chunks_mut(PATTERN_TASK).enumerate().for_each(task);
        } else {
            out.chunks_mut(PATTERN_TASK).enumerate().for_each(task);
        }
    }
    out
}

struct Engine<'a> {
    diffs: &'a Differences,
    criterion: &'a Criterion,
    statistic: Statistic,
    constants: &'a [SlotConstants],
    n: usize,
    nc: usize,
    sqrt_n: f64,
}

impl Engine<'_> {
    /// Fill `table[(c·256 + mask)·width + b]` with `Σ_j ±d[8c+j]` of slot
    /// `first + b`, summed in seed order, `−` where bit `j` of mask is set.
    fn tabulate(&self, first: usize, width: usize, table: &mut Vec<f64>) {
        table.clear();
        table.resize(self.nc * 256 * width, 0.0);
        let mut sums = [0.0f64; 256];
        for b in 0..width {
            let column = self.diffs.column(first + b);
            for (c, chunk) in column.chunks(CHUNK).enumerate() {
                sums[0] = 0.0;
                for (j, &d) in chunk.iter().enumerate() {
                    let half = 1 << j;
                    for m in 0..half {
                        sums[m | half] = sums[m] - d;
                        sums[m] += d;
                    }
                }
                for (m, &s) in sums[..1 << chunk.len()].iter().enumerate() {
                    table[(c * 256 + m) * width + b] = s;
                }
            }
        }
    }

    /// `acc` plus the terms of slots `first..first + width` under `pattern`.
    fn add_block(
        &self,
        mut acc: f64,
        pattern: &[u8],
        table: &[f64],
        first: usize,
        width: usize,
    ) -> f64 {
        let mut sums = [0.0f64; SLOT_BLOCK];
        let sums = &mut sums[..width];
        let row = |c: usize| {
            let start = (c * 256 + pattern[c] as usize) * width;
            &table[start..start + width]
        };
        sums.copy_from_slice(row(0));
        for c in 1..self.nc {
            for (s, &v) in sums.iter_mut().zip(row(c)) {
                *s += v;
            }
        }
        for (b, &sum) in sums.iter().enumerate() {
            // t ≥ 0 (or a degenerate 0/+1e9) never counts: t_crit < 0.
            if sum < 0.0 {
                acc += self.term(first + b, sum, pattern);
            }
        }
        acc
    }

    /// Slot `s`'s term under `pattern`, given its signed sum (negative).
    #[inline]
    fn term(&self, s: usize, sum: f64, pattern: &[u8]) -> f64 {
        let k = &self.constants[s];
        let n = self.n as f64;
        let centred = k.sum_sq - sum * sum / n;
        let (mean, t) = if centred > k.cancellation_floor {
            let mean = sum / n;
            let sd = (centred / (n - 1.0)).sqrt();
            let t = if sd < DEGENERATE_SD {
                t_value(mean, sd, self.n)
            } else {
                mean / (sd / self.sqrt_n)
            };
            (mean, t)
        } else {
            self.direct(s, pattern)
        };
        self.criterion.term(self.statistic, mean, t, k.denominator)
    }

    /// Mean and t of slot `s` under `pattern`, the two-pass way.
    #[cold]
    fn direct(&self, s: usize, pattern: &[u8]) -> (f64, f64) {
        let signed: Vec<f64> = self
            .diffs
            .column(s)
            .iter()
            .enumerate()
            .map(|(i, &d)| if signs::flipped(pattern, i) { -d } else { d })
            .collect();
        let mean = numeric::mean(&signed);
        let sd = numeric::std_ddof1_around(&signed, mean);
        (mean, t_value(mean, sd, self.n))
    }
}
