//! The BG/NBD model (Fader, Hardie & Lee 2005, "Counting Your Customers the Easy Way"):
//! while alive, a customer buys as a Poisson process with rate λ ~ Gamma(r, α); after each
//! repeat purchase they drop out with probability p ~ Beta(a, b).
//!
//! A customer is summarised as (x, tₓ, T): x repeat purchases (purchase days after the
//! first), tₓ the time from the first to the last purchase, T the time from the first
//! purchase to the as-of date, all in days.

use std::collections::HashMap;

use super::optimize;
use super::special::{self, hyp2f1, ln_gamma};

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

/// The summed log-likelihood of many customers.
pub fn total_log_likelihood(p: &Params, histories: &[History]) -> f64 {
    histories.iter().map(|h| log_likelihood(p, h)).sum()
}

/// Customers who share an (x, tₓ, T), evaluated once: indexes into the distinct values of
/// [`Summary`] and their number.
#[derive(Debug, Clone, Copy)]
struct Group {
    x: u32,
    t_x: u32,
    t: u32,
    n: f64,
}

/// The sufficient statistics of many histories for the likelihood: customers grouped by
/// (x, tₓ, T), and the distinct values of x, tₓ and T, so that what depends on one of them
/// only (the ln Γ terms per x, ln(α + T) per T) is computed once per value, not per customer.
#[derive(Debug, Clone)]
pub struct Summary {
    xs: Vec<f64>,
    /// Customers per distinct x.
    x_counts: Vec<f64>,
    t_xs: Vec<f64>,
    ts: Vec<f64>,
    groups: Vec<Group>,
}

/// Ascending distinct values and the index of each of `values` among them.
fn distinct(values: impl Iterator<Item = f64>) -> (Vec<f64>, HashMap<u64, u32>) {
    let mut all: Vec<f64> = values.collect();
    all.sort_by(f64::total_cmp);
    all.dedup();
    let index = all
        .iter()
        .enumerate()
        .map(|(i, v)| (v.to_bits(), u32::try_from(i).unwrap_or(u32::MAX)))
        .collect();
    (all, index)
}

impl Summary {
    /// Group valid histories (x ≥ 0, 0 ≤ tₓ ≤ T, finite).
    pub fn of(histories: &[History]) -> Self {
        let (xs, x_index) = distinct(histories.iter().map(|h| h.x));
        let (t_xs, t_x_index) = distinct(histories.iter().map(|h| h.t_x));
        let (ts, t_index) = distinct(histories.iter().map(|h| h.t));
        let mut x_counts = vec![0.0; xs.len()];
        let mut groups: HashMap<(u32, u32, u32), f64> = HashMap::new();
        for h in histories {
            let key = (
                x_index[&h.x.to_bits()],
                t_x_index[&h.t_x.to_bits()],
                t_index[&h.t.to_bits()],
            );
            x_counts[key.0 as usize] += 1.0;
            *groups.entry(key).or_default() += 1.0;
        }
        let mut groups: Vec<Group> = groups
            .into_iter()
            .map(|((x, t_x, t), n)| Group { x, t_x, t, n })
            .collect();
        // A fixed order, so that a fit's sums (and so its result) do not depend on hashing.
        groups.sort_by_key(|g| (g.x, g.t_x, g.t));
        Self {
            xs,
            x_counts,
            t_xs,
            ts,
            groups,
        }
    }

    /// Distinct (x, tₓ, T) among the customers.
    pub fn groups(&self) -> usize {
        self.groups.len()
    }

    /// The summed log-likelihood and its gradient with respect to (r, α, a, b).
    pub fn log_likelihood(&self, p: &Params) -> (f64, [f64; 4]) {
        let Params { r, alpha, a, b } = *p;
        let (ln_alpha, ln_a) = (alpha.ln(), a.ln());
        let mut rising_r = Vec::new();
        let mut rising_b = Vec::new();
        let mut rising_ab = Vec::new();
        special::rising(r, &self.xs, &mut rising_r);
        special::rising(b, &self.xs, &mut rising_b);
        special::rising(a + b, &self.xs, &mut rising_ab);
        let at = |values: &[f64]| -> Vec<(f64, f64)> {
            values
                .iter()
                .map(|v| ((alpha + v).ln(), 1.0 / (alpha + v)))
                .collect()
        };
        let (by_t_x, by_t) = (at(&self.t_xs), at(&self.ts));
        // ln(b + x − 1) and its derivative, for x ≥ 1.
        let by_x: Vec<(f64, f64)> = self
            .xs
            .iter()
            .map(|x| ((b + x - 1.0).ln(), 1.0 / (b + x - 1.0)))
            .collect();
        let (mut ll, mut dr, mut dalpha, mut da, mut db) = (0.0, 0.0, 0.0, 0.0, 0.0);
        // ln A₁ + ln A₂, per distinct x:
        // ln Γ(r+x)/Γ(r) + r ln α + ln Γ(b+x)/Γ(b) − ln Γ(a+b+x)/Γ(a+b).
        for i in 0..self.xs.len() {
            let n = self.x_counts[i];
            let ((lr, pr), (lb, pb), (lab, pab)) = (rising_r[i], rising_b[i], rising_ab[i]);
            ll += n * (lr + r * ln_alpha + lb - lab);
            dr += n * (pr + ln_alpha);
            dalpha += n * r / alpha;
            da -= n * pab;
            db += n * (pb - pab);
        }
        // ln(A₃ + A₄) per group, A₃ = (α+T)^−(r+x), A₄ = a/(b+x−1)·(α+tₓ)^−(r+x) when x > 0.
        for g in &self.groups {
            let x = self.xs[g.x as usize];
            let (ln_t, inv_t) = by_t[g.t as usize];
            let rx = r + x;
            let a3 = -rx * ln_t;
            if x > 0.0 {
                let (ln_tx, inv_tx) = by_t_x[g.t_x as usize];
                let (ln_b1, inv_b1) = by_x[g.x as usize];
                let a4 = ln_a - ln_b1 - rx * ln_tx;
                // ln(e^A₃ + e^A₄) = A₃ + ln(1 + e^d), and the share of A₄ in the sum, σ(d).
                let d = a4 - a3;
                let e = (-d.abs()).exp();
                let softplus = d.max(0.0) + e.ln_1p();
                let w4 = if d >= 0.0 {
                    1.0 / (1.0 + e)
                } else {
                    e / (1.0 + e)
                };
                let w3 = 1.0 - w4;
                ll += g.n * (a3 + softplus);
                dr -= g.n * (w3 * ln_t + w4 * ln_tx);
                dalpha -= g.n * rx * (w3 * inv_t + w4 * inv_tx);
                da += g.n * w4 / a;
                db -= g.n * w4 * inv_b1;
            } else {
                ll += g.n * a3;
                dr -= g.n * ln_t;
                dalpha -= g.n * rx * inv_t;
            }
        }
        (ll, [dr, dalpha, da, db])
    }
}

/// A fitted model.
#[derive(Debug, Clone)]
pub struct Fit {
    pub params: Params,
    pub log_likelihood: f64,
    pub customers: usize,
    /// Distinct (x, tₓ, T) the likelihood was evaluated over.
    pub groups: usize,
    pub iterations: usize,
    pub converged: bool,
    /// Parameters that ended on a bound of the search ([`BOUNDS`]): limits the data drove
    /// them to, not estimates.
    pub at_bound: Vec<&'static str>,
    /// The search that produced the estimate.
    pub method: Method,
}

/// Which search produced an estimate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Bounded L-BFGS with the analytic gradient.
    Lbfgsb,
    /// Nelder–Mead, the fallback when the gradient search did not converge.
    NelderMead,
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

/// The range each parameter is searched in: (10⁻⁸, 10⁸), far beyond any estimate the data
/// can support, so that a parameter reaching it has run to a limit of the model.
pub const BOUNDS: (f64, f64) = (1e-8, 1e8);

/// Parameter names, in the order of the search's variables.
const NAMES: [&str; 4] = ["r", "alpha", "a", "b"];

fn params_of(v: &[f64]) -> Params {
    Params {
        r: v[0].exp(),
        alpha: v[1].exp(),
        a: v[2].exp(),
        b: v[3].exp(),
    }
}

/// Maximum-likelihood estimate of (r, α, a, b): bounded L-BFGS on their logarithms with the
/// analytic gradient over the grouped histories; Nelder–Mead from where it stopped if it did
/// not converge, keeping the better of the two.
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
    let summary = Summary::of(histories);
    let (lo, hi) = (BOUNDS.0.ln(), BOUNDS.1.ln());
    let objective = |v: &[f64], gradient: &mut [f64]| {
        let p = params_of(v);
        let (ll, d) = summary.log_likelihood(&p);
        // d/d ln θ = θ · d/dθ, of the negative log-likelihood.
        gradient[0] = -p.r * d[0];
        gradient[1] = -p.alpha * d[1];
        gradient[2] = -p.a * d[2];
        gradient[3] = -p.b * d[3];
        -ll
    };
    let mean_x = histories.iter().map(|h| h.x).sum::<f64>() / histories.len() as f64;
    let mean_t = histories.iter().map(|h| h.t).sum::<f64>() / histories.len() as f64;
    // Start where a unit-shape Gamma matches the average purchase rate.
    let start = [
        0.0,
        (mean_t / mean_x.max(0.1)).max(1e-3).ln().clamp(lo, hi),
        0.0,
        1.0,
    ];
    let mut m = optimize::lbfgsb(objective, &start, &[lo; 4], &[hi; 4], 1e-10, 1000);
    let mut method = Method::Lbfgsb;
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
        let simplex = optimize::nelder_mead(value, &from, 0.5, 1e-12, 4000);
        let iterations = m.iterations + simplex.iterations;
        if simplex.value < m.value {
            m = simplex;
            method = Method::NelderMead;
        }
        m.iterations = iterations;
    }
    if !m.value.is_finite() {
        return Err(FitError::DidNotConverge);
    }
    // On the bound to rounding (the logarithms are compared).
    let at_bound = NAMES
        .iter()
        .zip(&m.point)
        .filter(|(_, v)| (**v - lo).abs() < 1e-9 || (**v - hi).abs() < 1e-9)
        .map(|(name, _)| *name)
        .collect();
    Ok(Fit {
        params: params_of(&m.point),
        log_likelihood: -m.value,
        customers: histories.len(),
        groups: summary.groups(),
        iterations: m.iterations,
        converged: m.converged,
        at_bound,
        method,
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
pub(crate) mod tests {
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

    /// The CDNOW sample of Fader, Hardie & Lee (2005): 2,357 customers' (x, tₓ, T) in weeks
    /// and the mean value of their repeat purchases, as distributed with the `lifetimes`
    /// Python package (`cdnow_customers_summary_with_transactions.csv`).
    pub(crate) fn cdnow() -> Vec<(History, f64)> {
        include_str!("testdata/cdnow.csv")
            .lines()
            .skip(1)
            .filter(|l| !l.is_empty())
            .map(|line| {
                let v: Vec<f64> = line.split(',').map(|c| c.parse().unwrap()).collect();
                (
                    History {
                        x: v[1],
                        t_x: v[2],
                        t: v[3],
                    },
                    v[4],
                )
            })
            .collect()
    }

    #[test]
    fn the_fit_reproduces_the_published_cdnow_estimates() {
        // FHL 2005, table 1 (weeks): r = 0.2426, α = 4.4136, a = 0.7930, b = 2.4259,
        // log-likelihood −9,582.4.
        let data: Vec<History> = cdnow().into_iter().map(|(h, _)| h).collect();
        assert_eq!(data.len(), 2357);
        let f = fit(&data).unwrap();
        let p = f.params;
        let near = |got: f64, published: f64| (got - published).abs() < 5e-4;
        assert!(near(p.r, 0.2426) && near(p.alpha, 4.4136), "{f:?}");
        assert!(near(p.a, 0.7930) && near(p.b, 2.4259), "{f:?}");
        assert!((f.log_likelihood + 9582.43).abs() < 0.01, "{f:?}");
        assert!(
            f.converged && f.method == Method::Lbfgsb && f.at_bound.is_empty(),
            "{f:?}"
        );
        assert!(f.iterations < 100, "{f:?}");
        // The grouped likelihood is the per-customer one.
        let (grouped, _) = Summary::of(&data).log_likelihood(&p);
        assert!((grouped - total_log_likelihood(&p, &data)).abs() < 1e-8);
    }

    #[test]
    fn the_gradient_matches_finite_differences() {
        let data: Vec<History> = cdnow().into_iter().map(|(h, _)| h).collect();
        let summary = Summary::of(&data);
        let points = [
            Params {
                r: 0.2426,
                alpha: 4.4136,
                a: 0.793,
                b: 2.4259,
            },
            Params {
                r: 1.7,
                alpha: 0.3,
                a: 0.05,
                b: 12.0,
            },
            Params {
                r: 40.0,
                alpha: 160.0,
                a: 3.0,
                b: 0.4,
            },
        ];
        for p in points {
            let (value, gradient) = summary.log_likelihood(&p);
            let v = [p.r, p.alpha, p.a, p.b];
            for i in 0..4 {
                // Central differences in ln θ, compared with θ · ∂/∂θ; the step balances
                // truncation (h²) against the rounding of a sum over a thousand groups.
                let h: f64 = 1e-4;
                let mut up = v;
                let mut down = v;
                up[i] *= h.exp();
                down[i] *= (-h).exp();
                let at = |w: [f64; 4]| {
                    let q = Params {
                        r: w[0],
                        alpha: w[1],
                        a: w[2],
                        b: w[3],
                    };
                    summary.log_likelihood(&q).0
                };
                let numeric = (at(up) - at(down)) / (2.0 * h);
                let analytic = v[i] * gradient[i];
                assert!(
                    (numeric - analytic).abs() <= 1e-6 * (1.0 + value.abs()),
                    "{p:?} parameter {i}: {analytic} vs {numeric}"
                );
            }
        }
    }

    #[test]
    fn a_fit_whose_parameters_run_to_their_limit_stops_at_the_bounds() {
        // Everyone still buying on the as-of date at a steady rate: nobody seems to drop out
        // (a towards 0) and the rates hardly vary (r and α without bound); the search stops
        // on the bounds of its range and says which parameters it left there.
        let steady: Vec<History> = (0..300)
            .map(|i| History {
                x: f64::from(4 + i % 9),
                t_x: 360.0 - f64::from(i % 5),
                t: 365.0,
            })
            .collect();
        let f = fit(&steady).unwrap();
        assert!(f.params.a < 1e-6 && f.params.r > 1e4, "{f:?}");
        // a stops on its bound; r and α climb their flat ridge until the value stops moving.
        assert!(f.at_bound.contains(&"a") && f.params.alpha > 1e6, "{f:?}");
        assert!(f.iterations < 200, "{f:?}");
        // Every customer's purchase rate r/α is the one they share: about 8 in 365 days.
        let rate = f.params.r / f.params.alpha;
        assert!((rate * 365.0 - 8.0).abs() < 1.0, "{rate}");
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
