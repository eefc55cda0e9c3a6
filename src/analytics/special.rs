//! Special functions: ln Γ, its derivative ψ, rising factorials, and the Gaussian
//! hypergeometric function ₂F₁.

/// ln Γ(x) for x > 0.
pub fn ln_gamma(x: f64) -> f64 {
    libm::lgamma(x)
}

/// The digamma function ψ(x) = d/dx ln Γ(x), for x > 0 (NaN otherwise).
///
/// Moved up by ψ(x) = ψ(x+1) − 1/x until x ≥ 10, then the asymptotic series
/// ln x − 1/(2x) − Σ B₂ₖ/(2k·x²ᵏ), whose first six terms leave an error below 1e-15 there.
pub fn digamma(x: f64) -> f64 {
    if x.is_nan() || x <= 0.0 {
        return f64::NAN;
    }
    let mut x = x;
    let mut shift = 0.0;
    while x < 10.0 {
        shift -= 1.0 / x;
        x += 1.0;
    }
    let inv2 = 1.0 / (x * x);
    // B₂/2, B₄/4, B₆/6, B₈/8, B₁₀/10, B₁₂/12
    let series = inv2
        * (1.0 / 12.0
            - inv2
                * (1.0 / 120.0
                    - inv2
                        * (1.0 / 252.0
                            - inv2
                                * (1.0 / 240.0 - inv2 * (1.0 / 132.0 - inv2 * 691.0 / 32760.0)))));
    shift + x.ln() - 0.5 / x - series
}

/// ln Γ(c+x) − ln Γ(c) and ψ(c+x) − ψ(c) for each of `xs` (ascending, ≥ 0), for c > 0.
///
/// Whole x up to [`RISING_SUM_LIMIT`] are summed as Σₖ₌₀ˣ⁻¹ ln(c+k) and Σ 1/(c+k), shared
/// between them since `xs` ascend: exact where the difference of two large ln Γ values would
/// cancel (c in the millions, as when a model's parameter runs to its limit) and cheaper than
/// ln Γ. Other x take the difference of [`ln_gamma`] and [`digamma`].
pub fn rising(c: f64, xs: &[f64], out: &mut Vec<(f64, f64)>) {
    out.clear();
    let (ln_c, psi_c) = (ln_gamma(c), digamma(c));
    let mut k = 0.0;
    let (mut sum_ln, mut sum_inv) = (0.0, 0.0);
    for &x in xs {
        if x.fract() == 0.0 && (0.0..=RISING_SUM_LIMIT).contains(&x) && x >= k {
            while k < x {
                sum_ln += (c + k).ln();
                sum_inv += 1.0 / (c + k);
                k += 1.0;
            }
            out.push((sum_ln, sum_inv));
        } else {
            out.push((ln_gamma(c + x) - ln_c, digamma(c + x) - psi_c));
        }
    }
}

/// Largest whole x whose rising factorial [`rising`] sums term by term.
pub const RISING_SUM_LIMIT: f64 = 4096.0;

/// ₂F₁(a, b; c; z) by its power series, for |z| < 1 and c not a non-positive integer.
///
/// Terms follow the recurrence tₖ₊₁ = tₖ · (a+k)(b+k) / ((c+k)(k+1)) · z, summed until a term
/// no longer changes the sum at double precision. Returns `None` outside the domain or if
/// the series has not converged after a million terms (z extremely close to 1).
pub fn hyp2f1(a: f64, b: f64, c: f64, z: f64) -> Option<f64> {
    if z.is_nan() || z.abs() >= 1.0 || (c <= 0.0 && c.fract() == 0.0) {
        return None;
    }
    let mut term = 1.0_f64;
    let mut sum = 1.0_f64;
    for k in 0..1_000_000u32 {
        let k = f64::from(k);
        term *= (a + k) * (b + k) / ((c + k) * (k + 1.0)) * z;
        sum += term;
        if term == 0.0 || (term.abs() <= sum.abs() * 1e-16 && k > 2.0) {
            return sum.is_finite().then_some(sum);
        }
        if !sum.is_finite() {
            return None;
        }
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly")]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * b.abs().max(1.0)
    }

    #[test]
    fn ln_gamma_matches_factorials() {
        assert!(close(ln_gamma(1.0), 0.0, 1e-14));
        assert!(close(ln_gamma(5.0), 24f64.ln(), 1e-14));
        assert!(close(
            ln_gamma(0.5),
            std::f64::consts::PI.sqrt().ln(),
            1e-14
        ));
    }

    #[test]
    fn digamma_matches_known_values() {
        const EULER: f64 = 0.577_215_664_901_532_9;
        assert!(close(digamma(1.0), -EULER, 1e-14));
        assert!(close(digamma(0.5), -EULER - 2.0 * 2f64.ln(), 1e-14));
        // ψ(n) = −γ + Σₖ₌₁ⁿ⁻¹ 1/k
        let h: f64 = (1..20).map(|k| 1.0 / f64::from(k)).sum();
        assert!(close(digamma(20.0), -EULER + h, 1e-14));
        // The derivative of ln Γ, by central differences.
        for x in [0.05, 0.7, 3.3, 12.0, 250.0, 4.0e6] {
            let step = 1e-5 * x;
            let numeric = (ln_gamma(x + step) - ln_gamma(x - step)) / (2.0 * step);
            assert!(close(digamma(x), numeric, 1e-7), "x={x}");
        }
        assert!(digamma(0.0).is_nan() && digamma(-1.5).is_nan());
    }

    #[test]
    fn rising_factorials_agree_with_ln_gamma() {
        let xs = [0.0, 1.0, 1.0, 2.5, 7.0, 30.0, 5000.0];
        let mut out = Vec::new();
        for c in [0.24, 3.0, 150.0] {
            rising(c, &xs, &mut out);
            for (x, (ln, psi)) in xs.iter().zip(&out) {
                assert!(
                    close(*ln, ln_gamma(c + x) - ln_gamma(c), 1e-12),
                    "c={c} x={x}"
                );
                assert!(
                    close(*psi, digamma(c + x) - digamma(c), 1e-12),
                    "c={c} x={x}"
                );
            }
        }
        // Where ln Γ cancels: Γ(c+2)/Γ(c) = c(c+1) exactly.
        let c = 1.0e8;
        rising(c, &[2.0], &mut out);
        assert!(close(out[0].0, (c * (c + 1.0)).ln(), 1e-15));
        assert!(close(out[0].1, 1.0 / c + 1.0 / (c + 1.0), 1e-15));
    }

    #[test]
    fn hyp2f1_matches_closed_forms() {
        // ₂F₁(1, 1; 2; z) = −ln(1−z)/z
        for z in [0.1_f64, 0.5, 0.9, -0.5] {
            let exact = -(1.0 - z).ln() / z;
            assert!(
                close(hyp2f1(1.0, 1.0, 2.0, z).unwrap(), exact, 1e-12),
                "z={z}"
            );
        }
        // ₂F₁(a, b; b; z) = (1−z)^(−a)
        assert!(close(
            hyp2f1(2.5, 3.0, 3.0, 0.3).unwrap(),
            0.7f64.powf(-2.5),
            1e-12
        ));
        // ₂F₁(1/2, 1/2; 3/2; z²) = arcsin(z)/z
        let z: f64 = 0.8;
        assert!(close(
            hyp2f1(0.5, 0.5, 1.5, z * z).unwrap(),
            z.asin() / z,
            1e-12
        ));
        // ₂F₁(1, 2; 3; z) = −2(z + ln(1−z))/z²; at z = ½ that is 8 ln 2 − 4.
        let z = 0.5;
        let exact = -2.0 * (z + (1.0f64 - z).ln()) / (z * z);
        assert!(close(exact, 8.0 * 2f64.ln() - 4.0, 1e-12));
        assert!(close(hyp2f1(1.0, 2.0, 3.0, z).unwrap(), exact, 1e-12));
    }

    #[test]
    fn hyp2f1_refuses_outside_its_domain() {
        assert!(hyp2f1(1.0, 1.0, 2.0, 1.0).is_none());
        assert!(hyp2f1(1.0, 1.0, -2.0, 0.5).is_none());
        assert!(hyp2f1(1.0, 1.0, 2.0, f64::NAN).is_none());
    }
}
