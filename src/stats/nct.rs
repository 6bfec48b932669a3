//! The noncentral t's upper tail, `P(T > c)` for `T ~ nct(ν, λ)`, by
//! quadrature over the sd's distribution (scipy's `nct.sf` is the oracle,
//! `tests/fixtures/stats_family.json`).

use statrs::function::erf::erfc;

/// 8-point Gauss–Legendre nodes on [−1, 1] (positive half) and weights.
const GL_X: [f64; 4] = [
    0.183_434_642_495_649_8,
    0.525_532_409_916_329,
    0.796_666_477_413_626_7,
    0.960_289_856_497_536_3,
];
const GL_W: [f64; 4] = [
    0.362_683_783_378_362,
    0.313_706_645_877_887_3,
    0.222_381_034_453_374_5,
    0.101_228_536_290_376_3,
];

/// Panels per piece of the integration range.
const PANELS: usize = 32;

/// `P(T > c)` for `T ~ nct(nu, lambda)`: with `T = (Z + λ)/S`, `S =
/// √(χ²_ν/ν)`, it is `E[Φ(λ − cS)]`, integrated over `S`'s density by
/// Gauss–Legendre. The range is cut where the density lives (±16 sd) and,
/// since `Φ(λ − cs)` steps over a width `1/|c|` around `s = λ/c`, refined
/// there too. The density is normalised by its own quadrature, so errors
/// of range and `lnΓ` cancel.
pub fn nct_sf(c: f64, nu: f64, lambda: f64) -> f64 {
    nct_tail(c, nu, lambda).0
}

/// [`nct_sf`] and its slope in `λ`, `E[φ(λ − cS)]`, from the same nodes
/// (the tail is the same number either way).
pub(super) fn nct_tail(c: f64, nu: f64, lambda: f64) -> (f64, f64) {
    let mode = ((nu - 1.0).max(0.0) / nu).sqrt();
    // S's sd is about 1/√(2ν); its right tail is the longer one.
    let (lo, hi) = (
        (mode - 16.0 / (2.0 * nu).sqrt()).max(0.0),
        mode + 16.0 / nu.sqrt(),
    );
    let ln_density = |s: f64| {
        let log_ratio = if mode > 0.0 { (s / mode).ln() } else { 0.0 };
        (nu - 1.0) * log_ratio - nu * (s * s - mode * mode) / 2.0
    };
    let mut cuts = vec![lo, hi];
    if c != 0.0 {
        let centre = lambda / c;
        let width = 12.0 / c.abs();
        cuts.extend([centre - width, centre + width].map(|x| x.clamp(lo, hi)));
    }
    cuts.sort_by(f64::total_cmp);
    let (mut mass, mut hit, mut slope) = (0.0, 0.0, 0.0);
    for piece in cuts.windows(2) {
        let h = (piece[1] - piece[0]) / PANELS as f64;
        if h <= 0.0 {
            continue;
        }
        for k in 0..PANELS {
            let mid = piece[0] + (k as f64 + 0.5) * h;
            for (x, w) in GL_X.iter().zip(GL_W) {
                for s in [mid - x * h / 2.0, mid + x * h / 2.0] {
                    let f = w * h / 2.0 * ln_density(s).exp();
                    mass += f;
                    let x = lambda - c * s;
                    hit += f * normal_cdf(x);
                    slope += f * normal_pdf(x);
                }
            }
        }
    }
    (hit / mass, slope / mass)
}

/// `φ(x)`.
fn normal_pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// `Φ(x)`, accurate in both tails.
fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}
