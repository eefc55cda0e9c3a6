//! Special functions: ln Γ and the Gaussian hypergeometric function ₂F₁.

/// ln Γ(x) for x > 0.
pub fn ln_gamma(x: f64) -> f64 {
    libm::lgamma(x)
}

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
