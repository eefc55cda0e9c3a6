//! The BG/NBD model (Fader, Hardie & Lee 2005, "Counting Your Customers the Easy Way"):
//! while alive, a customer buys as a Poisson process with rate λ ~ Gamma(r, α); after each
//! repeat purchase they drop out with probability p ~ Beta(a, b).
//!
//! A customer is summarised as (x, tₓ, T): x repeat purchases (purchase days after the
//! first), tₓ the time from the first to the last purchase, T the time from the first
//! purchase to the as-of date, all in days.

use std::collections::HashMap;

use super::optimize::nelder_mead;
use super::special::{hyp2f1, ln_gamma};

/// The model's four parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    pub r: f64,
    pub alpha: f64,
    pub a: f64,
    pub b: f64,
}

/// One customer's purchase history, as the model sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct History {
    /// Repeat purchases.
    pub x: f64,
    /// Days from the first purchase to the last.
    pub t_x: f64,
    /// Days from the first purchase to the as-of date.
    pub t: f64,
}

/// ln(eᵘ + eᵛ) without overflow.
fn log_add(u: f64, v: f64) -> f64 {
    let m = u.max(v);
    if m == f64::NEG_INFINITY {
        return m;
    }
    m + ((u - m).exp() + (v - m).exp()).ln()
}

/// The log-likelihood of one customer's history (FHL 2005, eq. 6).
pub fn log_likelihood(p: &Params, h: &History) -> f64 {
    let Params { r, alpha, a, b } = *p;
    let x = h.x;
    let ln_a1 = ln_gamma(r + x) - ln_gamma(r) + r * alpha.ln();
    let ln_a2 = ln_gamma(a + b) + ln_gamma(b + x) - ln_gamma(b) - ln_gamma(a + b + x);
    let ln_a3 = -(r + x) * (alpha + h.t).ln();
    let tail = if x > 0.0 {
        let ln_a4 = a.ln() - (b + x - 1.0).ln() - (r + x) * (alpha + h.t_x).ln();
        log_add(ln_a3, ln_a4)
    } else {
        ln_a3
    };
    ln_a1 + ln_a2 + tail
}

/// Histories with their multiplicity: customers with the same (x, tₓ, T) are evaluated once.
fn grouped(histories: &[History]) -> Vec<(History, f64)> {
    let mut groups: HashMap<(u64, u64, u64), (History, f64)> = HashMap::new();
    for h in histories {
        groups
            .entry((h.x.to_bits(), h.t_x.to_bits(), h.t.to_bits()))
            .or_insert((*h, 0.0))
            .1 += 1.0;
    }
    groups.into_values().collect()
}

/// The summed log-likelihood of many customers.
pub fn total_log_likelihood(p: &Params, histories: &[History]) -> f64 {
    histories.iter().map(|h| log_likelihood(p, h)).sum()
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

/// Why a model was not fitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FitError {
    /// Fewer customers than the model needs to say anything.
    TooFewCustomers { have: usize, need: usize },
    /// Nobody bought twice: the dropout process is not identifiable.
    NoRepeatPurchases,
    /// A history with negative or inconsistent times.
    InvalidHistory,
    /// The optimiser ended somewhere the model is undefined.
    DidNotConverge,
}

/// Fewest customers a fit is attempted with.
pub const MIN_CUSTOMERS: usize = 30;

/// Maximum-likelihood estimate of (r, α, a, b), by Nelder–Mead on their logarithms with
/// two restarts from the best point.
///
/// # Errors
/// [`FitError`] when the data cannot identify the model.
pub fn fit(histories: &[History]) -> Result<Fit, FitError> {
    if histories.len() < MIN_CUSTOMERS {
        return Err(FitError::TooFewCustomers {
            have: histories.len(),
            need: MIN_CUSTOMERS,
        });
    }
    if histories
        .iter()
        .any(|h| !(h.x >= 0.0 && h.t_x >= 0.0 && h.t >= h.t_x && h.t.is_finite()))
    {
        return Err(FitError::InvalidHistory);
    }
    if histories.iter().all(|h| h.x == 0.0) {
        return Err(FitError::NoRepeatPurchases);
    }
    let groups = grouped(histories);
    let objective = |v: &[f64]| {
        let p = Params {
            r: v[0].exp(),
            alpha: v[1].exp(),
            a: v[2].exp(),
            b: v[3].exp(),
        };
        -groups
            .iter()
            .map(|(h, n)| n * log_likelihood(&p, h))
            .sum::<f64>()
    };
    let mean_x = histories.iter().map(|h| h.x).sum::<f64>() / histories.len() as f64;
    let mean_t = histories.iter().map(|h| h.t).sum::<f64>() / histories.len() as f64;
    // Start where a unit-shape Gamma matches the average purchase rate.
    let mut start = vec![0.0, (mean_t / mean_x.max(0.1)).max(1e-3).ln(), 0.0, 1.0];
    let mut iterations = 0;
    let mut best = None;
    for _ in 0..3 {
        let m = nelder_mead(objective, &start, 0.5, 1e-12, 4000);
        iterations += m.iterations;
        start.clone_from(&m.point);
        best = Some(m);
    }
    let m = best.ok_or(FitError::DidNotConverge)?;
    if !m.value.is_finite() {
        return Err(FitError::DidNotConverge);
    }
    Ok(Fit {
        params: Params {
            r: m.point[0].exp(),
            alpha: m.point[1].exp(),
            a: m.point[2].exp(),
            b: m.point[3].exp(),
        },
        log_likelihood: -m.value,
        customers: histories.len(),
        iterations,
        converged: m.converged,
    })
}

/// `a`, moved off the removable singularity at 1 of the expectation formulas.
fn off_one(a: f64) -> f64 {
    if (a - 1.0).abs() < 1e-7 {
        1.0 + 1e-7
    } else {
        a
    }
}

/// P(alive | x, tₓ, T) (FHL 2005, eq. 11); 1 for a customer with no repeat purchase.
pub fn p_alive(p: &Params, h: &History) -> f64 {
    if h.x == 0.0 {
        return 1.0;
    }
    let Params { r, alpha, a, b } = *p;
    let ln_odds =
        a.ln() - (b + h.x - 1.0).ln() + (r + h.x) * ((alpha + h.t).ln() - (alpha + h.t_x).ln());
    1.0 / (1.0 + ln_odds.exp())
}

/// Expected purchases in the next `days` of a customer with this history (FHL 2005,
/// eq. 10), for `days` ≥ 0. Finite for every a > 0: at a = 1 both factors of the formula
/// vanish together, and it is evaluated a hair away.
pub fn expected_purchases(p: &Params, h: &History, days: f64) -> Option<f64> {
    let Params { r, alpha, b, .. } = *p;
    let a = off_one(p.a);
    if days.is_nan() || days < 0.0 {
        return None;
    }
    if days == 0.0 {
        return Some(0.0);
    }
    let x = h.x;
    let z = days / (alpha + h.t + days);
    let f = hyp2f1(r + x, b + x, a + b + x - 1.0, z)?;
    let ratio = ((alpha + h.t) / (alpha + h.t + days)).powf(r + x);
    let numerator = (a + b + x - 1.0) / (a - 1.0) * (1.0 - ratio * f);
    let denominator = if x > 0.0 {
        1.0 + a / (b + x - 1.0) * ((alpha + h.t) / (alpha + h.t_x)).powf(r + x)
    } else {
        1.0
    };
    let e = numerator / denominator;
    e.is_finite().then_some(e.max(0.0))
}

/// Expected purchases of a new customer in their first `days` (FHL 2005, eq. 9).
pub fn expected_purchases_new(p: &Params, days: f64) -> Option<f64> {
    let Params { r, alpha, b, .. } = *p;
    let a = off_one(p.a);
    if days.is_nan() || days < 0.0 {
        return None;
    }
    let f = hyp2f1(r, b, a + b - 1.0, days / (alpha + days))?;
    let e = (a + b - 1.0) / (a - 1.0) * (1.0 - (alpha / (alpha + days)).powf(r) * f);
    e.is_finite().then_some(e)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly")]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng, rngs::StdRng};
    use rand_distr::{Beta, Distribution, Exp, Gamma};

    pub(crate) fn simulate(p: &Params, n: usize, seed: u64) -> Vec<History> {
        let mut rng = StdRng::seed_from_u64(seed);
        let gamma = Gamma::new(p.r, 1.0 / p.alpha).unwrap();
        let beta = Beta::new(p.a, p.b).unwrap();
        (0..n)
            .map(|_| {
                let lambda: f64 = gamma.sample(&mut rng);
                let dropout: f64 = beta.sample(&mut rng);
                let horizon = rng.random_range(180.0..730.0);
                let (mut x, mut t_x, mut t) = (0.0, 0.0, 0.0);
                let wait = Exp::new(lambda.max(1e-12)).unwrap();
                loop {
                    t += wait.sample(&mut rng);
                    if t > horizon {
                        break;
                    }
                    x += 1.0;
                    t_x = t;
                    if rng.random::<f64>() < dropout {
                        break;
                    }
                }
                History { x, t_x, t: horizon }
            })
            .collect()
    }

    #[test]
    fn the_likelihood_matches_a_hand_computed_value() {
        // r=1, α=1, a=1, b=1; x=1, tₓ=1, T=2:
        // A1 = Γ(2)·1/Γ(1) = 1; A2 = Γ(2)Γ(2)/(Γ(1)Γ(3)) = 1/2;
        // A3 = (1/3)²; A4 = 1/(1+1−1)·(1/2)² = 1/4 → L = ½(1/9 + 1/4) = 13/72.
        let p = Params {
            r: 1.0,
            alpha: 1.0,
            a: 1.0,
            b: 1.0,
        };
        let h = History {
            x: 1.0,
            t_x: 1.0,
            t: 2.0,
        };
        assert!((log_likelihood(&p, &h) - (13.0f64 / 72.0).ln()).abs() < 1e-12);
        // No repeat purchase: L = A1·A2·A3 = 1 · 1 · 1/(1+T) with r=α=a=b=1, x=0.
        let h0 = History {
            x: 0.0,
            t_x: 0.0,
            t: 4.0,
        };
        assert!((log_likelihood(&p, &h0) - (0.2f64).ln()).abs() < 1e-12);
    }

    #[test]
    fn p_alive_matches_its_closed_form() {
        // a/(b+x−1)·((α+T)/(α+tₓ))^(r+x) = 1/2 · (3/2)^2 = 9/8 → P = 8/17.
        let p = Params {
            r: 1.0,
            alpha: 1.0,
            a: 1.0,
            b: 2.0,
        };
        let h = History {
            x: 1.0,
            t_x: 1.0,
            t: 2.0,
        };
        assert!((p_alive(&p, &h) - 8.0 / 17.0).abs() < 1e-12);
        assert_eq!(
            p_alive(
                &p,
                &History {
                    x: 0.0,
                    t_x: 0.0,
                    t: 100.0
                }
            ),
            1.0
        );
        // Buying right up to the as-of date: as alive as the prior allows.
        let recent = History {
            x: 10.0,
            t_x: 300.0,
            t: 300.0,
        };
        let lapsed = History {
            x: 10.0,
            t_x: 30.0,
            t: 300.0,
        };
        assert!(p_alive(&p, &recent) > 0.9 && p_alive(&p, &lapsed) < 0.01);
    }

    #[test]
    fn expected_purchases_agree_with_simulation() {
        let p = Params {
            r: 0.5,
            alpha: 10.0,
            a: 1.5,
            b: 4.0,
        };
        // Also when a < 1 (many customers drop out after few purchases), and at a = 1.
        new_customers_match_simulation(&Params { a: 0.5, ..p });
        let near = expected_purchases_new(&Params { a: 1.0, ..p }, 365.0).unwrap();
        let below = expected_purchases_new(&Params { a: 0.999, ..p }, 365.0).unwrap();
        let above = expected_purchases_new(&Params { a: 1.001, ..p }, 365.0).unwrap();
        assert!(below > near && near > above, "{below} {near} {above}");
        assert!((below - above).abs() / near < 0.01);
        new_customers_match_simulation(&p);
        conditional_expectations_behave(&p);
        conditional_expectations_behave(&Params { a: 0.3, ..p });
    }

    fn new_customers_match_simulation(p: &Params) {
        // A new customer's expected purchases against the mean of many simulated ones.
        let days = 365.0;
        let mut rng = StdRng::seed_from_u64(11);
        let gamma = Gamma::new(p.r, 1.0 / p.alpha).unwrap();
        let beta = Beta::new(p.a, p.b).unwrap();
        let n = 40_000;
        let mut total = 0.0;
        for _ in 0..n {
            let lambda: f64 = gamma.sample(&mut rng);
            let dropout: f64 = beta.sample(&mut rng);
            let wait = Exp::new(lambda.max(1e-12)).unwrap();
            let mut t = 0.0;
            loop {
                t += wait.sample(&mut rng);
                if t > days {
                    break;
                }
                total += 1.0;
                if rng.random::<f64>() < dropout {
                    break;
                }
            }
        }
        let simulated = total / f64::from(n);
        let model = expected_purchases_new(p, days).unwrap();
        assert!(
            (model - simulated).abs() / simulated < 0.03,
            "{p:?}: {model} vs {simulated}"
        );
    }

    fn conditional_expectations_behave(p: &Params) {
        // Conditional expectations: zero days, monotone in the horizon, lower when lapsed.
        let h = History {
            x: 4.0,
            t_x: 200.0,
            t: 210.0,
        };
        assert_eq!(expected_purchases(p, &h, 0.0), Some(0.0));
        let e30 = expected_purchases(p, &h, 30.0).unwrap();
        let e90 = expected_purchases(p, &h, 90.0).unwrap();
        assert!(0.0 < e30 && e30 < e90, "{e30} {e90}");
        let lapsed = History {
            x: 4.0,
            t_x: 20.0,
            t: 210.0,
        };
        assert!(expected_purchases(p, &lapsed, 90.0).unwrap() < e90);
    }

    #[test]
    fn fitting_recovers_the_parameters_of_simulated_customers() {
        let truth = Params {
            r: 0.6,
            alpha: 20.0,
            a: 0.8,
            b: 2.5,
        };
        let data = simulate(&truth, 8000, 2026);
        let fit = fit(&data).unwrap();
        let got = fit.params;
        let rel = |x: f64, y: f64| (x - y).abs() / y;
        // Stated tolerance: within 25 % of each true value with 8 000 customers.
        assert!(rel(got.r, truth.r) < 0.25, "{got:?}");
        assert!(rel(got.alpha, truth.alpha) < 0.25, "{got:?}");
        assert!(rel(got.a, truth.a) < 0.25, "{got:?}");
        assert!(rel(got.b, truth.b) < 0.25, "{got:?}");
        assert!(fit.log_likelihood >= total_log_likelihood(&truth, &data) - 1e-6);
    }

    #[test]
    fn a_fit_whose_parameters_run_to_their_limit_stops_early() {
        // Everyone still buying on the as-of date at a steady rate: nobody seems to drop out
        // (a towards 0) and the rates hardly vary (r and α without bound); the search stops
        // once the likelihood stops moving instead of using every iteration it is allowed
        // (3 × 4,000).
        let steady: Vec<History> = (0..300)
            .map(|i| History {
                x: f64::from(4 + i % 9),
                t_x: 360.0 - f64::from(i % 5),
                t: 365.0,
            })
            .collect();
        let f = fit(&steady).unwrap();
        assert!(f.params.a < 1e-6 && f.params.r > 1e4, "{f:?}");
        assert!(!f.converged && f.iterations < 4000, "{f:?}");
    }

    #[test]
    fn edge_cases_are_refused_or_handled() {
        let few: Vec<History> = (0..5)
            .map(|_| History {
                x: 1.0,
                t_x: 1.0,
                t: 2.0,
            })
            .collect();
        assert!(matches!(fit(&few), Err(FitError::TooFewCustomers { .. })));
        let none: Vec<History> = (0..100)
            .map(|i| History {
                x: 0.0,
                t_x: 0.0,
                t: f64::from(i),
            })
            .collect();
        assert_eq!(fit(&none).unwrap_err(), FitError::NoRepeatPurchases);
        let bad: Vec<History> = (0..100)
            .map(|_| History {
                x: 1.0,
                t_x: 5.0,
                t: 2.0,
            })
            .collect();
        assert_eq!(fit(&bad).unwrap_err(), FitError::InvalidHistory);
        // Everyone bought on one day only (x = 0 everywhere except one): still a finite fit.
        let mut one_day: Vec<History> = (0..200)
            .map(|_| History {
                x: 0.0,
                t_x: 0.0,
                t: 100.0,
            })
            .collect();
        one_day.push(History {
            x: 1.0,
            t_x: 50.0,
            t: 100.0,
        });
        let f = fit(&one_day).unwrap();
        assert!(f.log_likelihood.is_finite());
        // A huge x does not overflow.
        let p = Params {
            r: 0.6,
            alpha: 20.0,
            a: 0.8,
            b: 2.5,
        };
        let huge = History {
            x: 10_000.0,
            t_x: 700.0,
            t: 730.0,
        };
        assert!(log_likelihood(&p, &huge).is_finite());
        assert!((0.0..=1.0).contains(&p_alive(&p, &huge)));
    }
}
