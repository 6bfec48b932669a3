//! The search against brute force: every culprit, every set of skipped
//! candidates and every non-monotone oracle of small bisections.

use super::*;

/// Drive a bisection of `n` candidates with `oracle`, checking that no
/// candidate is probed twice; the bisection and the order of its probes.
fn drive(n: usize, oracle: impl Fn(usize) -> Probe) -> (Bisection, Vec<usize>) {
    let mut bisection = Bisection::new(n);
    let mut order = Vec::new();
    while let Some(next) = bisection.next() {
        assert!(next < n, "probe {next} of {n}");
        assert_eq!(
            bisection.probe(next),
            None,
            "probed {next} twice: {order:?}"
        );
        assert_eq!(bisection.answer(), Answer::Open);
        bisection.record(next, oracle(next));
        order.push(next);
        assert!(order.len() <= n, "more probes than candidates");
    }
    (bisection, order)
}

/// The smallest `k` with `2^k ≥ m`, counted out.
fn log2_ceiling(m: usize) -> u32 {
    let mut k = 0;
    while (1usize << k) < m {
        k += 1;
    }
    k
}

#[test]
fn decisions_are_the_rounded_up_log2_and_at_least_one() {
    for m in 0..300 {
        assert_eq!(decisions(m), log2_ceiling(m).max(1), "m = {m}");
    }
    assert_eq!(decisions(12), 4);
    assert!((probe_alpha(0.05, 12) - 0.0125).abs() < 1e-15);
    assert!((probe_alpha(0.05, 1) - 0.05).abs() < 1e-15);
}

#[test]
fn every_culprit_and_every_skip_set_gives_the_true_boundary() {
    for n in 1..=9usize {
        for culprit in 0..n {
            for skipped in 0u32..(1 << n) {
                let is_skipped = |i: usize| skipped & (1 << i) != 0;
                let (bisection, order) = drive(n, |i| match i {
                    _ if is_skipped(i) => Probe::Skip,
                    _ if i >= culprit => Probe::Fail,
                    _ => Probe::Pass,
                });
                if is_skipped(n - 1) {
                    assert_eq!(bisection.answer(), Answer::BadUnusable);
                    assert_eq!(order, vec![n - 1]);
                    continue;
                }
                let last = (culprit..n).find(|&i| !is_skipped(i)).unwrap();
                let first = (0..culprit)
                    .rev()
                    .find(|&i| !is_skipped(i))
                    .map_or(0, |i| i + 1);
                let expected = if first == last {
                    Answer::Culprit(last)
                } else {
                    Answer::Range { first, last }
                };
                assert_eq!(
                    bisection.answer(),
                    expected,
                    "n {n} culprit {culprit} skipped {skipped:b}"
                );
                assert!(bisection.contradictions().is_empty());
                if skipped == 0 {
                    // BAD, then at most ⌈log2 n⌉ probes: the level's premise.
                    assert!(order.len() - 1 <= log2_ceiling(n) as usize, "{order:?}");
                }
            }
        }
    }
}

#[test]
fn bad_that_passes_is_no_regression_after_one_probe() {
    for n in 1..20 {
        let (bisection, order) = drive(n, |_| Probe::Pass);
        assert_eq!(order, vec![n - 1]);
        assert_eq!(bisection.answer(), Answer::NoRegression);
    }
    assert_eq!(Bisection::new(0).next(), None);
}

#[test]
fn every_non_monotone_oracle_ends_on_a_pass_fail_boundary_with_its_contradictions() {
    for n in 1..=7usize {
        for code in 0..3usize.pow(n as u32) {
            let verdict = |i: usize| match code / 3usize.pow(i as u32) % 3 {
                0 => Probe::Pass,
                1 => Probe::Fail,
                _ => Probe::Skip,
            };
            let (bisection, order) = drive(n, verdict);
            let passes =
                |i: Option<usize>| i.is_none_or(|i| bisection.probe(i) == Some(Probe::Pass));
            match bisection.answer() {
                Answer::Culprit(c) => {
                    assert_eq!(bisection.probe(c), Some(Probe::Fail));
                    assert!(passes(c.checked_sub(1)));
                }
                Answer::Range { first, last } => {
                    assert!(first < last);
                    assert_eq!(bisection.probe(last), Some(Probe::Fail));
                    assert!(passes(first.checked_sub(1)));
                    assert!((first..last).all(|i| bisection.probe(i) == Some(Probe::Skip)));
                }
                Answer::NoRegression => assert_eq!(verdict(n - 1), Probe::Pass),
                Answer::BadUnusable => assert_eq!(verdict(n - 1), Probe::Skip),
                Answer::Open => panic!("search stopped without an answer"),
            }
            let mut expected = Vec::new();
            for &fail in order.iter().filter(|&&i| verdict(i) == Probe::Fail) {
                for &pass in order
                    .iter()
                    .filter(|&&i| verdict(i) == Probe::Pass && i > fail)
                {
                    expected.push((fail, pass));
                }
            }
            expected.sort();
            assert_eq!(bisection.contradictions(), expected);
        }
    }
}

#[test]
fn skipped_middle_commits_leave_the_range_the_issue_names() {
    // c1..c8 (indices 0..8): c5 and c6 do not build, c7 is the culprit,
    // and c7 does not build either, so c5..c8 it is.
    let (bisection, order) = drive(8, |i| match i {
        4..=6 => Probe::Skip,
        7 => Probe::Fail,
        _ => Probe::Pass,
    });
    assert_eq!(bisection.answer(), Answer::Range { first: 4, last: 7 });
    assert_eq!(order[0], 7);
    assert_eq!(order[1], 3, "the middle of 0..7 first");
}

#[test]
fn a_pass_recorded_above_a_fail_is_reported_and_the_first_fail_bounds_the_search() {
    let mut bisection = Bisection::new(6);
    bisection.record(5, Probe::Fail);
    bisection.record(2, Probe::Fail);
    bisection.record(4, Probe::Pass);
    assert_eq!(bisection.contradictions(), vec![(2, 4)]);
    assert_eq!(bisection.next(), Some(0));
}
