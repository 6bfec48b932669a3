//! One look's conditional calibration: which sign vectors first cross here,
//! the threshold that separates them, and the observed stage-wise p.

use super::super::TIE_RTOL;

/// The calibration of one look over its sign vectors ("rows").
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Calibration {
    /// Rows that crossed at an earlier look.
    pub crossed_before: usize,
    /// Rows that first cross at this look.
    pub crossed_now: usize,
    /// Per row: not crossed at this look or any earlier one.
    pub alive: Vec<bool>,
    /// The largest severity of a surviving row that does not cross: a row
    /// crosses iff its severity is above it.
    pub threshold: f64,
    /// The observed row's stage-wise p: `(crossed_before + #{surviving rows
    /// with severity ≥ the observed one}) / rows`.
    pub p: f64,
    /// The observed row crosses: FAIL.
    pub fail: bool,
}

/// Calibrate one look.
///
/// `severity[r]` is row `r`'s severity on this look's prefix, `survived[r]`
/// whether its path crossed no earlier look, `observed` the observed data's
/// row (which has survived, or the check would have stopped). A surviving
/// row crosses iff its own stage-wise p is below `cumulative_alpha`,
/// compared as `count / rows < alpha` exactly as [`super::super::meta_p`]'s
/// `p < alpha`. The same rule for every row keeps the crossing set a
/// symmetric function of the rows (what makes sampled rows valid), and the
/// crossing rows are the top ones, so at most `⌈α(t_k)·rows⌉ − 1 −
/// crossed_before` rows cross: the cumulative share stays below `α(t_k)`.
/// `can_fail = false` makes no row cross (alpha is carried forward).
pub(super) fn calibrate(
    severity: &[f64],
    survived: &[bool],
    observed: usize,
    cumulative_alpha: f64,
    can_fail: bool,
) -> Calibration {
    let rows = severity.len();
    let mut descending: Vec<f64> = severity
        .iter()
        .zip(survived)
        .filter_map(|(&s, &alive)| alive.then_some(s))
        .collect();
    descending.sort_unstable_by(|a, b| b.total_cmp(a));
    let crossed_before = rows - descending.len();
    // Rows within TIE_RTOL of `s` count as ties (`≥`), as in `meta_p`:
    // mathematically equal severities may differ by rounding.
    let at_least = |s: f64| {
        let floor = s - TIE_RTOL * s.abs();
        descending.partition_point(|&v| v >= floor)
    };
    let stage_p = |s: f64| (crossed_before + at_least(s)) as f64 / rows as f64;
    let crosses = |s: f64| can_fail && stage_p(s) < cumulative_alpha;
    let mut alive = Vec::with_capacity(rows);
    let mut crossed_now = 0;
    let mut threshold = 0.0f64;
    for (&s, &before) in severity.iter().zip(survived) {
        let cross = before && crosses(s);
        crossed_now += usize::from(cross);
        if before && !cross {
            threshold = threshold.max(s);
        }
        alive.push(before && !cross);
    }
    let s_obs = severity[observed];
    Calibration {
        crossed_before,
        crossed_now,
        alive,
        threshold,
        p: stage_p(s_obs),
        fail: crosses(s_obs),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_rows_cross_within_the_budget() {
        // 10 rows, alpha 0.35: counts 0..3 pass `count/10 < 0.35`.
        let s = [5.0, 4.0, 4.0, 3.0, 2.0, 0.0, 0.0, 0.0, 0.0, 1.0];
        let c = calibrate(&s, &[true; 10], 9, 0.35, true);
        // 5 (p .1), 4 and 4 (p .3) cross; 3 (p .4) does not.
        assert_eq!(c.crossed_now, 3);
        assert_eq!(c.threshold, 3.0);
        assert_eq!(c.p, 0.6);
        assert!(!c.fail);
        // One row crossed before: the budget shrinks by one; the two tied
        // 4s cannot both cross, so neither does.
        let mut survived = [true; 10];
        survived[3] = false;
        let c = calibrate(&s, &survived, 0, 0.35, true);
        assert_eq!((c.crossed_before, c.crossed_now), (1, 1));
        assert_eq!(c.threshold, 4.0);
        assert!(c.fail && c.p == 0.2);
        let c = calibrate(&s, &survived, 0, 0.35, false);
        assert_eq!(c.crossed_now, 0);
        assert!(!c.fail);
    }
}
