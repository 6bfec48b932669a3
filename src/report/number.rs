//! Numbers as pybench prints them: never fewer than three significant
//! digits, so that a metric around 1e-3 does not read `0.000→0.000`.

/// The decimals `value` needs to show three significant digits, and at
/// least `min_decimals` (at most 12).
fn decimals(value: f64, min_decimals: usize) -> usize {
    let magnitude = value.abs();
    if magnitude > 0.0 && magnitude.is_finite() {
        // -floor(log10): the places after the point before the first digit.
        let leading = -magnitude.log10().floor() as i64;
        usize::try_from(leading + 2)
            .unwrap_or(0)
            .clamp(min_decimals, 12)
    } else {
        min_decimals
    }
}

/// `value` with `min_decimals` decimals, or more until it shows three
/// significant digits: `0.00275` stays `0.00275` where `{:.2}` would
/// print `0.00`; `1.0661` with 2 is `1.07`.
pub fn sig(value: f64, min_decimals: usize) -> String {
    let decimals = decimals(value, min_decimals);
    format!("{value:.decimals$}")
}

/// `mean±sd`, each with three significant digits and at least two decimals.
pub fn mean_sd(mean: f64, sd: f64) -> String {
    format!("{}±{}", sig(mean, 2), sig(sd, 2))
}

/// A relative change (a fraction) in percent, signed, from the unrounded
/// value: `+4.70%`, `-134.9%`, `-0.0412%`.
pub fn percent(fraction: f64) -> String {
    let value = fraction * 100.0;
    let decimals = decimals(value, 1);
    format!("{value:+.decimals$}%")
}

/// `p` with enough digits that it never looks equal to `threshold` when
/// the two differ.
pub fn p_text(p: f64, threshold: f64) -> String {
    p_digits(p, threshold, 3)
}

/// `p` with at least `digits` decimals, and more while it would look equal
/// to `threshold` though it differs: `p=0.0549` beside a PASS at alpha 0.05
/// reads `0.055`, not `0.05`.
pub fn p_digits(p: f64, threshold: f64, digits: usize) -> String {
    let mut digits = digits;
    while digits < 12
        && format!("{p:.digits$}") == format!("{threshold:.digits$}")
        && p != threshold
    {
        digits += 1;
    }
    format!("{p:.digits$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_significant_digits_at_least() {
        assert_eq!(sig(0.00275, 2), "0.00275");
        assert_eq!(sig(1.0661, 2), "1.07");
        assert_eq!(sig(0.4632, 2), "0.463");
        assert_eq!(sig(0.0482, 2), "0.0482");
        assert_eq!(sig(152.7, 1), "152.7");
        assert_eq!(sig(0.0, 2), "0.00");
        assert_eq!(sig(-0.000412, 1), "-0.000412");
        assert_eq!(sig(0.09996, 2), "0.1000");
        assert_eq!(sig(f64::NAN, 2), "NaN");
    }

    #[test]
    fn percentages_carry_a_sign_and_their_digits() {
        assert_eq!(percent(0.047), "+4.70%");
        assert_eq!(percent(-1.349), "-134.9%");
        assert_eq!(percent(-0.000412), "-0.0412%");
        assert_eq!(percent(0.0), "+0.0%");
    }
}
