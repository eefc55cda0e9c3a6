//! The Gamma-Gamma spend model (Fader & Hardie, "The Gamma-Gamma Model of Monetary Value",
//! 2013): a customer's transaction values are Gamma(p, ν) around their own mean, with
//! ν ~ Gamma(q, γ) across customers. Fitted on repeat buyers: x is the number of repeat
//! purchases and m the mean value of those (the first purchase excluded; purchases on one day
//! summed as one). With BG/NBD it gives a discounted customer lifetime value.

use super::bgnbd::{self, History};
use super::optimize::nelder_mead;
use super::special::ln_gamma;

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

/// A fitted model.
#[derive(Debug, Clone)]
pub struct Fit {
    pub params: Params,
    pub log_likelihood: f64,
    pub customers: usize,
    pub iterations: usize,
    pub converged: bool,
}

/// Fewest repeat buyers a fit is attempted with.
pub const MIN_BUYERS: usize = 20;

/// Maximum-likelihood estimate of (p, q, γ) on repeat buyers (x ≥ 1, mean > 0); others are
/// ignored. `None` with fewer than [`MIN_BUYERS`].
pub fn fit(spends: &[Spend]) -> Option<Fit> {
    let buyers: Vec<Spend> = spends
        .iter()
        .copied()
        .filter(|s| s.x >= 1.0 && s.mean > 0.0 && s.mean.is_finite())
        .collect();
    if buyers.len() < MIN_BUYERS {
        return None;
    }
    let objective = |v: &[f64]| {
        let params = Params {
            p: v[0].exp(),
            q: v[1].exp(),
            gamma: v[2].exp(),
        };
        -buyers
            .iter()
            .map(|s| log_likelihood(&params, s))
            .sum::<f64>()
    };
    let mean = buyers.iter().map(|s| s.mean).sum::<f64>() / buyers.len() as f64;
    // Start at p = 1, q = 2: a population mean of γ, so γ at the observed mean.
    let mut start = vec![0.0, 2f64.ln(), mean.ln()];
    let mut iterations = 0;
    let mut best = None;
    for _ in 0..3 {
        let m = nelder_mead(objective, &start, 0.5, 1e-12, 4000);
        iterations += m.iterations;
        start.clone_from(&m.point);
        best = Some(m);
    }
    let m = best?;
    m.value.is_finite().then(|| Fit {
        params: Params {
            p: m.point[0].exp(),
            q: m.point[1].exp(),
            gamma: m.point[2].exp(),
        },
        log_likelihood: -m.value,
        customers: buyers.len(),
        iterations,
        converged: m.converged,
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
