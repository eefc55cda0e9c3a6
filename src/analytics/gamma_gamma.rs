//! The Gamma-Gamma spend model (Fader & Hardie, "The Gamma-Gamma Model of Monetary Value",
//! 2013): a customer's transaction values are Gamma(p, ν) around their own mean, with
//! ν ~ Gamma(q, γ) across customers. Fitted on repeat buyers: x is the number of repeat
//! purchases and m the mean value of those (the first purchase excluded; purchases on one day
//! summed as one). With BG/NBD it gives a discounted customer lifetime value.

use super::bgnbd::{self, History};
use super::optimize::{lbfgsb, nelder_mead};
use super::special::{digamma, ln_gamma};

/// The model's three parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    pub p: f64,
    pub q: f64,
    pub gamma: f64,
}

/// A repeat buyer's spending: repeat purchases and their mean value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spend {
    pub x: f64,
    pub mean: f64,
}

/// Log-likelihood of one repeat buyer's mean value.
pub fn log_likelihood(params: &Params, s: &Spend) -> f64 {
    let Params { p, q, gamma } = *params;
    let px = p * s.x;
    ln_gamma(px + q) - ln_gamma(px) - ln_gamma(q)
        + q * gamma.ln()
        + (px - 1.0) * s.mean.ln()
        + px * s.x.ln()
        - (px + q) * (gamma + s.mean * s.x).ln()
}

/// Repeat buyers as the likelihood needs them: what depends on the parameters through x
/// alone is computed once per distinct x, and the sums that do not depend on them at all
/// once per fit.
#[derive(Debug, Clone)]
struct Buyers {
    /// Distinct x and the buyers with each.
    xs: Vec<(f64, f64)>,
    /// Each buyer's x and total repeat spend x·m.
    spends: Vec<(f64, f64)>,
    /// Σ x ln m + Σ x ln x (the coefficient of p) and Σ ln m.
    p_coefficient: f64,
    sum_ln_mean: f64,
}

impl Buyers {
    fn of(buyers: &[Spend]) -> Self {
        let mut xs: Vec<(f64, f64)> = Vec::new();
        let mut sorted: Vec<f64> = buyers.iter().map(|s| s.x).collect();
        sorted.sort_by(f64::total_cmp);
        for x in sorted {
            match xs.last_mut() {
                Some((last, n)) if *last == x => *n += 1.0,
                _ => xs.push((x, 1.0)),
            }
        }
        Self {
            xs,
            spends: buyers.iter().map(|s| (s.x, s.x * s.mean)).collect(),
            p_coefficient: buyers.iter().map(|s| s.x * (s.mean.ln() + s.x.ln())).sum(),
            sum_ln_mean: buyers.iter().map(|s| s.mean.ln()).sum(),
        }
    }

    /// The summed log-likelihood and its gradient with respect to (p, q, γ).
    fn log_likelihood(&self, params: &Params) -> (f64, [f64; 3]) {
        let Params { p, q, gamma } = *params;
        let n = self.spends.len() as f64;
        let ln_gamma_scale = gamma.ln();
        let mut ll =
            n * (q * ln_gamma_scale - ln_gamma(q)) + p * self.p_coefficient - self.sum_ln_mean;
        let mut dp = self.p_coefficient;
        let mut dq = n * (ln_gamma_scale - digamma(q));
        let mut dgamma = n * q / gamma;
        // ln Γ(px+q) − ln Γ(px), per distinct x.
        for &(x, count) in &self.xs {
            let px = p * x;
            ll += count * (ln_gamma(px + q) - ln_gamma(px));
            dp += count * x * (digamma(px + q) - digamma(px));
            dq += count * digamma(px + q);
        }
        // −(px+q) ln(γ + x·m), per buyer.
        for &(x, z) in &self.spends {
            let (ln_z, inv_z) = ((gamma + z).ln(), 1.0 / (gamma + z));
            let shape = p * x + q;
            ll -= shape * ln_z;
            dp -= x * ln_z;
            dq -= ln_z;
            dgamma -= shape * inv_z;
        }
        (ll, [dp, dq, dgamma])
    }
}

/// A fitted model.
#[derive(Debug, Clone)]
pub struct Fit {
    pub params: Params,
    pub log_likelihood: f64,
    pub customers: usize,
    pub iterations: usize,
    pub converged: bool,
    /// Parameters that ended on a bound of the search ([`BOUNDS`]).
    pub at_bound: Vec<&'static str>,
}

/// Fewest repeat buyers a fit is attempted with.
pub const MIN_BUYERS: usize = 20;

/// The range each parameter is searched in, as for BG/NBD; p runs far, so the upper bound is
/// wider.
pub const BOUNDS: (f64, f64) = (1e-8, 1e12);

const NAMES: [&str; 3] = ["p", "q", "gamma"];

fn params_of(v: &[f64]) -> Params {
    Params {
        p: v[0].exp(),
        q: v[1].exp(),
        gamma: v[2].exp(),
    }
}

/// Maximum-likelihood estimate of (p, q, γ) on repeat buyers (x ≥ 1, mean > 0); others are
/// ignored. Bounded L-BFGS on the logarithms with the analytic gradient, Nelder–Mead from
/// where it stopped if it did not converge. `None` with fewer than [`MIN_BUYERS`].
pub fn fit(spends: &[Spend]) -> Option<Fit> {
    let buyers: Vec<Spend> = spends
        .iter()
        .copied()
        .filter(|s| s.x >= 1.0 && s.mean > 0.0 && s.mean.is_finite())
        .collect();
    if buyers.len() < MIN_BUYERS {
        return None;
    }
    let summary = Buyers::of(&buyers);
    let (lo, hi) = (BOUNDS.0.ln(), BOUNDS.1.ln());
    let objective = |v: &[f64], gradient: &mut [f64]| {
        let params = params_of(v);
        let (ll, d) = summary.log_likelihood(&params);
        gradient[0] = -params.p * d[0];
        gradient[1] = -params.q * d[1];
        gradient[2] = -params.gamma * d[2];
        -ll
    };
    let mean = buyers.iter().map(|s| s.mean).sum::<f64>() / buyers.len() as f64;
    // Start at p = 1, q = 2: a population mean of γ, so γ at the observed mean.
    let start = [0.0, 2f64.ln(), mean.ln().clamp(lo, hi)];
    let mut m = lbfgsb(objective, &start, &[lo; 3], &[hi; 3], 1e-10, 1000);
    if !m.converged {
        let value = |v: &[f64]| {
            if v.iter().all(|c| (lo..=hi).contains(c)) {
                -summary.log_likelihood(&params_of(v)).0
            } else {
                f64::INFINITY
            }
        };
        let from = if m.value.is_finite() {
            m.point.clone()
        } else {
            start.to_vec()
        };
        let simplex = nelder_mead(value, &from, 0.5, 1e-12, 4000);
        let iterations = m.iterations + simplex.iterations;
        if simplex.value < m.value {
            m = simplex;
        }
        m.iterations = iterations;
    }
    let at_bound = NAMES
        .iter()
        .zip(&m.point)
        .filter(|(_, v)| (**v - lo).abs() < 1e-9 || (**v - hi).abs() < 1e-9)
        .map(|(name, _)| *name)
        .collect();
    m.value.is_finite().then(|| Fit {
        params: params_of(&m.point),
        log_likelihood: -m.value,
        customers: buyers.len(),
        iterations: m.iterations,
        converged: m.converged,
        at_bound,
    })
}

/// Expected average transaction value of a customer; with no repeat purchase, the
/// population mean pγ/(q−1). Needs q > 1.
pub fn expected_average_value(params: &Params, s: Option<&Spend>) -> Option<f64> {
    let Params { p, q, gamma } = *params;
    if q <= 1.0 {
        return None;
    }
    let value = match s.filter(|s| s.x >= 1.0) {
        Some(s) => p * (gamma + s.x * s.mean) / (p * s.x + q - 1.0),
        None => p * gamma / (q - 1.0),
    };
    value.is_finite().then_some(value)
}

/// Days in a month, for horizons given in months.
pub const DAYS_PER_MONTH: f64 = 365.25 / 12.0;

/// Customer lifetime value over `months`, discounted at `monthly_discount` per month:
/// Σₖ (E[purchases by month k] − E[purchases by month k−1]) · value / (1 + d)ᵏ.
pub fn lifetime_value(
    model: &bgnbd::Params,
    history: &History,
    average_value: f64,
    months: u32,
    monthly_discount: f64,
) -> Option<f64> {
    if monthly_discount.is_nan() || monthly_discount <= -1.0 || !average_value.is_finite() {
        return None;
    }
    let mut total = 0.0;
    let mut previous = 0.0;
    for k in 1..=months {
        let cumulative = bgnbd::expected_purchases(model, history, DAYS_PER_MONTH * f64::from(k))?;
        total += (cumulative - previous) * average_value / (1.0 + monthly_discount).powi(k as i32);
        previous = cumulative;
    }
    Some(total)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly")]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng, rngs::StdRng};
    use rand_distr::{Distribution, Gamma};

    #[test]
    fn fitting_recovers_the_parameters_of_simulated_spending() {
        let truth = Params {
            p: 6.0,
            q: 4.0,
            gamma: 15.0,
        };
        let mut rng = StdRng::seed_from_u64(2026);
        let nu = Gamma::new(truth.q, 1.0 / truth.gamma).unwrap();
        let spends: Vec<Spend> = (0..4000)
            .map(|_| {
                let scale: f64 = nu.sample(&mut rng);
                let x = rng.random_range(1..12);
                let value = Gamma::new(truth.p, 1.0 / scale).unwrap();
                let sum: f64 = (0..x).map(|_| value.sample(&mut rng)).sum();
                Spend {
                    x: f64::from(x),
                    mean: sum / f64::from(x),
                }
            })
            .collect();
        let fit = fit(&spends).unwrap();
        let got = fit.params;
        let rel = |x: f64, y: f64| (x - y).abs() / y;
        // Stated tolerance: within 25 % of each true value with 4 000 repeat buyers.
        assert!(rel(got.p, truth.p) < 0.25, "{got:?}");
        assert!(rel(got.q, truth.q) < 0.25, "{got:?}");
        assert!(rel(got.gamma, truth.gamma) < 0.25, "{got:?}");
        // The expected population mean matches the data's.
        let observed = spends.iter().map(|s| s.mean).sum::<f64>() / spends.len() as f64;
        let expected = expected_average_value(&got, None).unwrap();
        assert!(rel(expected, observed) < 0.1, "{expected} vs {observed}");
    }

    fn cdnow_buyers() -> Vec<Spend> {
        bgnbd::tests::cdnow()
            .into_iter()
            .map(|(h, mean)| Spend { x: h.x, mean })
            .filter(|s| s.x >= 1.0)
            .collect()
    }

    #[test]
    fn the_fit_reproduces_the_published_cdnow_estimates() {
        // Fader & Hardie (2013), "The Gamma-Gamma Model of Monetary Value": 946 repeat buyers,
        // p = 6.25, q = 3.74, γ = 15.44 (15.45 as the `lifetimes` package rounds it).
        let buyers = cdnow_buyers();
        assert_eq!(buyers.len(), 946);
        let f = fit(&buyers).unwrap();
        let near = |got: f64, published: f64| (got - published).abs() < 5e-3;
        assert!(near(f.params.p, 6.25) && near(f.params.q, 3.74), "{f:?}");
        assert!((f.params.gamma - 15.445).abs() < 5e-3, "{f:?}");
        assert!(
            f.converged && f.at_bound.is_empty() && f.iterations < 100,
            "{f:?}"
        );
        let per_buyer: f64 = buyers.iter().map(|s| log_likelihood(&f.params, s)).sum();
        assert!((f.log_likelihood - per_buyer).abs() < 1e-8);
    }

    #[test]
    fn the_gradient_matches_finite_differences() {
        let summary = Buyers::of(&cdnow_buyers());
        for params in [
            Params {
                p: 6.25,
                q: 3.74,
                gamma: 15.44,
            },
            Params {
                p: 0.4,
                q: 11.0,
                gamma: 0.2,
            },
            Params {
                p: 40.0,
                q: 1.2,
                gamma: 0.5,
            },
        ] {
            let (value, gradient) = summary.log_likelihood(&params);
            let v = [params.p, params.q, params.gamma];
            for i in 0..3 {
                // As for BG/NBD: a step between truncation and rounding.
                let h: f64 = 1e-4;
                let at = |factor: f64| {
                    let mut w = v;
                    w[i] *= factor;
                    summary
                        .log_likelihood(&Params {
                            p: w[0],
                            q: w[1],
                            gamma: w[2],
                        })
                        .0
                };
                let numeric = (at(h.exp()) - at((-h).exp())) / (2.0 * h);
                let analytic = v[i] * gradient[i];
                assert!(
                    (numeric - analytic).abs() <= 1e-6 * (1.0 + value.abs()),
                    "{params:?} parameter {i}: {analytic} vs {numeric}"
                );
            }
        }
    }

    #[test]
    fn expected_value_shrinks_toward_the_population_mean() {
        let params = Params {
            p: 6.0,
            q: 4.0,
            gamma: 15.0,
        };
        let population = expected_average_value(&params, None).unwrap();
        assert!((population - 30.0).abs() < 1e-12, "pγ/(q−1) = 6·15/3");
        let big = Spend {
            x: 2.0,
            mean: 100.0,
        };
        let e = expected_average_value(&params, Some(&big)).unwrap();
        // (γ + x·m)·p/(p·x + q − 1) = (15 + 200)·6/(12 + 3) = 86
        assert!((e - 86.0).abs() < 1e-12);
        assert!(population < e && e < 100.0);
        assert!(expected_average_value(&Params { q: 0.5, ..params }, None).is_none());
        assert!(fit(&[Spend { x: 1.0, mean: 5.0 }; 5]).is_none());
    }

    #[test]
    fn lifetime_value_is_discounted_and_grows_with_the_horizon() {
        let model = bgnbd::Params {
            r: 0.6,
            alpha: 20.0,
            a: 1.5,
            b: 2.5,
        };
        let h = History {
            x: 6.0,
            t_x: 300.0,
            t: 320.0,
        };
        let one_year = lifetime_value(&model, &h, 50.0, 12, 0.01).unwrap();
        let two_years = lifetime_value(&model, &h, 50.0, 24, 0.01).unwrap();
        let undiscounted = lifetime_value(&model, &h, 50.0, 12, 0.0).unwrap();
        assert!(0.0 < one_year && one_year < two_years && one_year < undiscounted);
        let purchases = bgnbd::expected_purchases(&model, &h, DAYS_PER_MONTH * 12.0).unwrap();
        assert!((undiscounted - purchases * 50.0).abs() < 1e-9);
        assert_eq!(lifetime_value(&model, &h, 50.0, 0, 0.01), Some(0.0));
    }
}
