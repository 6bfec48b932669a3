//! The search of `pybench bisect`, with no I/O: which candidate to probe
//! next, and what the probes so far say.
//!
//! Candidates are the first-parent commits of `GOOD..BAD`, oldest first,
//! numbered `0..n`; the last is BAD, and GOOD (before candidate 0) counts as
//! a PASS. The first bad commit is the boundary `lo + 1 ..= hi` where `hi`
//! is the first candidate that FAILed and `lo` the last one below it that
//! PASSed (GOOD when none did). A candidate that could not be judged (did
//! not build, lacks the benchmark, ERRORed) is skipped, as `git bisect
//! skip` does, and the next probe is the untried candidate nearest the
//! middle of the boundary; when only skipped candidates are left between
//! `lo` and `hi`, the answer is the range `lo + 1 ..= hi`.
//!
//! A FAIL followed by a later PASS breaks the monotonicity the search
//! assumes; [`Bisection::contradictions`] names every such pair instead of
//! hiding it.

use serde::Serialize;

/// What one probe said about one candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Probe {
    /// It does not regress against GOOD.
    Pass,
    /// It regresses against GOOD.
    Fail,
    /// It could not be judged.
    Skip,
}

/// What the probes so far say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// More probes are needed ([`Bisection::next`] says which).
    Open,
    /// BAD was judged and does not regress against GOOD.
    NoRegression,
    /// BAD itself could not be judged.
    BadUnusable,
    /// The first bad commit is candidate `.0`: it FAILs, and the candidate
    /// before it (or GOOD) PASSes.
    Culprit(usize),
    /// The first bad commit is one of `first..=last`: `last` FAILs, the
    /// candidate before `first` (or GOOD) PASSes, and every candidate in
    /// `first..last` was skipped.
    Range { first: usize, last: usize },
}

/// The decisions a bisection over `m` candidates makes: `⌈log2 m⌉`, at
/// least 1 (the probe of BAD).
pub fn decisions(m: usize) -> u32 {
    m.max(1).next_power_of_two().trailing_zeros().max(1)
}

/// The level each probe is judged at: `alpha / ⌈log2 m⌉`. A wrong culprit
/// needs a false FAIL among the probes below the true one, and there are
/// at most that many decisions, so the chance is at most `alpha`.
pub fn probe_alpha(alpha: f64, m: usize) -> f64 {
    alpha / f64::from(decisions(m))
}

/// The probes of one bisection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bisection {
    probes: Vec<Option<Probe>>,
}

impl Bisection {
    /// A bisection over `n` candidates (the last is BAD), nothing probed.
    pub fn new(n: usize) -> Bisection {
        Bisection {
            probes: vec![None; n],
        }
    }

    pub fn len(&self) -> usize {
        self.probes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.probes.is_empty()
    }

    /// Record what candidate `index` said.
    pub fn record(&mut self, index: usize, probe: Probe) {
        self.probes[index] = Some(probe);
    }

    /// What candidate `index` said, if it was probed.
    pub fn probe(&self, index: usize) -> Option<Probe> {
        self.probes.get(index).copied().flatten()
    }

    /// The first candidate that FAILed.
    fn first_fail(&self) -> Option<usize> {
        self.probes.iter().position(|p| *p == Some(Probe::Fail))
    }

    /// The boundary `(lo, hi)`: `hi` the first FAIL, `lo` the last PASS
    /// below it (`None` = GOOD).
    fn boundary(&self) -> Option<(Option<usize>, usize)> {
        let hi = self.first_fail()?;
        let lo = self.probes[..hi]
            .iter()
            .rposition(|p| *p == Some(Probe::Pass));
        Some((lo, hi))
    }

    /// The candidate to probe next: BAD first, then the untried candidate
    /// nearest the middle of the boundary (the lower one on a tie); `None`
    /// when the answer is known.
    pub fn next(&self) -> Option<usize> {
        let Some((lo, hi)) = self.boundary() else {
            let bad = self.probes.len().checked_sub(1)?;
            return self.probes[bad].is_none().then_some(bad);
        };
        let first = lo.map_or(0, |l| l + 1);
        let middle = (first + hi).saturating_sub(1) / 2;
        (first..hi)
            .filter(|&i| self.probes[i].is_none())
            .min_by_key(|&i| (i.abs_diff(middle), i))
    }

    /// What the probes so far say.
    pub fn answer(&self) -> Answer {
        let Some((lo, hi)) = self.boundary() else {
            return match self.probes.last().copied().flatten() {
                Some(Probe::Pass) => Answer::NoRegression,
                Some(Probe::Skip) => Answer::BadUnusable,
                _ => Answer::Open,
            };
        };
        if self.next().is_some() {
            return Answer::Open;
        }
        let first = lo.map_or(0, |l| l + 1);
        if first == hi {
            Answer::Culprit(hi)
        } else {
            Answer::Range { first, last: hi }
        }
    }

    /// Every `(fail, pass)` pair of probes where candidate `fail` FAILed
    /// and the later candidate `pass` PASSed: evidence against
    /// monotonicity.
    pub fn contradictions(&self) -> Vec<(usize, usize)> {
        let mut pairs = Vec::new();
        for (fail, _) in self.indexed(Probe::Fail) {
            for (pass, _) in self.indexed(Probe::Pass).filter(|(p, _)| *p > fail) {
                pairs.push((fail, pass));
            }
        }
        pairs
    }

    fn indexed(&self, probe: Probe) -> impl Iterator<Item = (usize, Probe)> + '_ {
        self.probes
            .iter()
            .enumerate()
            .filter_map(move |(i, p)| (*p == Some(probe)).then_some((i, probe)))
    }
}

#[cfg(test)]
mod tests;
