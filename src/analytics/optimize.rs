//! Minimisation of a function of a few variables.
//!
//! - [`lbfgsb`]: limited-memory BFGS within box bounds (projected quasi-Newton steps with a
//!   backtracking line search), for functions with an analytic gradient. The models fit on
//!   log-parameters within bounds, so a parameter that runs to its limit stops at the bound
//!   instead of drifting for thousands of iterations.
//! - [`nelder_mead`]: the downhill simplex method (reflection 1, expansion 2, contraction ½,
//!   shrink ½), needing values only; the fallback when the gradient search fails. A
//!   non-finite value counts as +∞, which keeps the simplex away from where a model is
//!   undefined.

use std::collections::VecDeque;

/// The best point found, its value, and the iterations used.
#[derive(Debug, Clone)]
pub struct Minimum {
    pub point: Vec<f64>,
    pub value: f64,
    pub iterations: usize,
    pub converged: bool,
}

/// Correction pairs [`lbfgsb`] remembers.
const MEMORY: usize = 8;

/// Minimise `f` within `lower` ≤ x ≤ `upper` from `start` (moved into the box), where
/// `f(x, gradient)` returns the value and writes the gradient.
///
/// Each iteration takes the L-BFGS direction over the variables not held at a bound (a
/// variable is held when it sits on a bound and the gradient pushes it outwards), projects
/// the step back into the box and halves it until the value falls enough (Armijo). It ends
/// converged when the largest component of the projected gradient is at most
/// `tolerance × (1 + |f|)`, or when a step no longer changes the value beyond rounding; it
/// ends unconverged after `max_iterations`, at a non-finite value or gradient, or when no
/// step along even the steepest descent lowers the value.
pub fn lbfgsb(
    f: impl Fn(&[f64], &mut [f64]) -> f64,
    start: &[f64],
    lower: &[f64],
    upper: &[f64],
    tolerance: f64,
    max_iterations: usize,
) -> Minimum {
    let n = start.len();
    let project = |x: &mut [f64]| {
        for i in 0..n {
            x[i] = x[i].clamp(lower[i], upper[i]);
        }
    };
    let finite = |v: f64, g: &[f64]| v.is_finite() && g.iter().all(|c| c.is_finite());
    let mut x = start.to_vec();
    project(&mut x);
    let mut g = vec![0.0; n];
    let mut value = f(&x, &mut g);
    let result = |point: Vec<f64>, value: f64, iterations: usize, converged: bool| Minimum {
        point,
        value: if value.is_finite() {
            value
        } else {
            f64::INFINITY
        },
        iterations,
        converged,
    };
    if !finite(value, &g) {
        return result(x, value, 0, false);
    }
    let mut memory: VecDeque<(Vec<f64>, Vec<f64>, f64)> = VecDeque::with_capacity(MEMORY);
    let (mut trial, mut trial_g) = (vec![0.0; n], vec![0.0; n]);
    let mut iterations = 0;
    while iterations < max_iterations {
        iterations += 1;
        let free: Vec<bool> = (0..n)
            .map(|i| !((x[i] <= lower[i] && g[i] > 0.0) || (x[i] >= upper[i] && g[i] < 0.0)))
            .collect();
        let projected = (0..n)
            .filter(|&i| free[i])
            .map(|i| g[i].abs())
            .fold(0.0, f64::max);
        if projected <= tolerance * (1.0 + value.abs()) {
            return result(x, value, iterations, true);
        }
        let dot = |u: &[f64], v: &[f64]| {
            (0..n)
                .filter(|&i| free[i])
                .map(|i| u[i] * v[i])
                .sum::<f64>()
        };
        let steepest = || -> Vec<f64> {
            let scale = 1.0 / projected.max(1.0);
            (0..n)
                .map(|i| if free[i] { -g[i] * scale } else { 0.0 })
                .collect()
        };
        let mut direction = if memory.is_empty() {
            steepest()
        } else {
            // The two-loop recursion over the free variables.
            let mut q: Vec<f64> = (0..n).map(|i| if free[i] { g[i] } else { 0.0 }).collect();
            let mut alphas = Vec::with_capacity(memory.len());
            for (s, y, rho) in memory.iter().rev() {
                let alpha = rho * dot(s, &q);
                for i in 0..n {
                    if free[i] {
                        q[i] -= alpha * y[i];
                    }
                }
                alphas.push(alpha);
            }
            let (s, y, _) = &memory[memory.len() - 1];
            let yy = dot(y, y);
            let gamma = if yy > 0.0 { dot(s, y) / yy } else { 1.0 };
            for c in &mut q {
                *c *= gamma;
            }
            for ((s, y, rho), alpha) in memory.iter().zip(alphas.iter().rev()) {
                let beta = rho * dot(y, &q);
                for i in 0..n {
                    if free[i] {
                        q[i] += s[i] * (alpha - beta);
                    }
                }
            }
            q.iter().map(|c| -c).collect()
        };
        let slope = dot(&direction, &g);
        if slope.is_nan() || slope >= 0.0 || direction.iter().any(|c| !c.is_finite()) {
            memory.clear();
            direction = steepest();
        }
        // Backtracking along the projected path; once more from the steepest descent if the
        // quasi-Newton direction finds no lower value.
        let mut accepted = None;
        for attempt in 0..2 {
            if attempt == 1 {
                if memory.is_empty() {
                    break;
                }
                memory.clear();
                direction = steepest();
            }
            let mut t = 1.0;
            for _ in 0..60 {
                for i in 0..n {
                    trial[i] = x[i] + t * direction[i];
                }
                project(&mut trial);
                if trial == x {
                    break;
                }
                let v = f(&trial, &mut trial_g);
                let decrease: f64 = (0..n).map(|i| g[i] * (trial[i] - x[i])).sum();
                if finite(v, &trial_g) && v <= value + 1e-4 * decrease {
                    accepted = Some(v);
                    break;
                }
                t *= 0.5;
            }
            if accepted.is_some() {
                break;
            }
        }
        let Some(next) = accepted else {
            // No lower value along any descent direction: the value is flat to rounding
            // here. Converged if the gradient is small on that scale.
            let converged = projected <= tolerance.sqrt() * (1.0 + value.abs());
            return result(x, value, iterations, converged);
        };
        let s: Vec<f64> = (0..n).map(|i| trial[i] - x[i]).collect();
        let y: Vec<f64> = (0..n).map(|i| trial_g[i] - g[i]).collect();
        let sy: f64 = s.iter().zip(&y).map(|(a, b)| a * b).sum();
        if sy
            > 1e-12
                * s.iter().map(|c| c * c).sum::<f64>().sqrt()
                * y.iter().map(|c| c * c).sum::<f64>().sqrt()
        {
            if memory.len() == MEMORY {
                memory.pop_front();
            }
            memory.push_back((s, y, 1.0 / sy));
        }
        let change = value - next;
        x.clone_from(&trial);
        g.clone_from(&trial_g);
        value = next;
        if change <= 4.0 * f64::EPSILON * (1.0 + value.abs()) {
            return result(x, value, iterations, true);
        }
    }
    result(x, value, iterations, false)
}

/// How many iterations the search may go without real progress before it stops.
const STALL_WINDOW: usize = 100;

/// Minimise `f` from `start`, with initial steps `step` along each axis, until the values of
/// the simplex differ by less than `tolerance`, `max_iterations` pass, or the best value has
/// improved by less than `tolerance × 1000` (relative) over [`STALL_WINDOW`] iterations. The
/// last is a search drifting along a flat valley towards a boundary (a model's parameters
/// running to their limit): the value it would reach is already known to that precision, and
/// going on only costs time. It ends unconverged.
pub fn nelder_mead(
    f: impl Fn(&[f64]) -> f64,
    start: &[f64],
    step: f64,
    tolerance: f64,
    max_iterations: usize,
) -> Minimum {
    let n = start.len();
    let eval = |x: &[f64]| {
        let v = f(x);
        if v.is_finite() { v } else { f64::INFINITY }
    };
    let mut simplex: Vec<(Vec<f64>, f64)> = Vec::with_capacity(n + 1);
    simplex.push((start.to_vec(), eval(start)));
    for i in 0..n {
        let mut x = start.to_vec();
        x[i] += step;
        let v = eval(&x);
        simplex.push((x, v));
    }
    let mut iterations = 0;
    let mut converged = false;
    let mut checkpoint = f64::INFINITY;
    while iterations < max_iterations {
        iterations += 1;
        simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
        let (best, worst) = (simplex[0].1, simplex[n].1);
        if (worst - best).abs() <= tolerance * (best.abs() + tolerance) {
            converged = true;
            break;
        }
        if iterations % STALL_WINDOW == 0 {
            let stall = tolerance * 1e3;
            if checkpoint - best <= stall * (best.abs() + stall) {
                break;
            }
            checkpoint = best;
        }
        let centroid: Vec<f64> = (0..n)
            .map(|j| simplex[..n].iter().map(|(x, _)| x[j]).sum::<f64>() / n as f64)
            .collect();
        let toward = |t: f64| -> Vec<f64> {
            (0..n)
                .map(|j| centroid[j] + t * (simplex[n].0[j] - centroid[j]))
                .collect()
        };
        let reflected = toward(-1.0);
        let fr = eval(&reflected);
        if fr < simplex[0].1 {
            let expanded = toward(-2.0);
            let fe = eval(&expanded);
            simplex[n] = if fe < fr {
                (expanded, fe)
            } else {
                (reflected, fr)
            };
        } else if fr < simplex[n - 1].1 {
            simplex[n] = (reflected, fr);
        } else {
            let contracted = if fr < simplex[n].1 {
                toward(-0.5)
            } else {
                toward(0.5)
            };
            let fc = eval(&contracted);
            if fc < simplex[n].1.min(fr) {
                simplex[n] = (contracted, fc);
            } else {
                let best = simplex[0].0.clone();
                for (x, v) in simplex.iter_mut().skip(1) {
                    for j in 0..n {
                        x[j] = best[j] + 0.5 * (x[j] - best[j]);
                    }
                    *v = eval(x);
                }
            }
        }
    }
    simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
    let (point, value) = simplex.swap_remove(0);
    Minimum {
        point,
        value,
        iterations,
        converged,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly")]
mod tests {
    use super::*;

    #[test]
    fn finds_the_minimum_of_rosenbrock() {
        let rosenbrock = |x: &[f64]| (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2);
        let m = nelder_mead(rosenbrock, &[-1.2, 1.0], 0.5, 1e-14, 5000);
        assert!(m.converged);
        assert!(
            (m.point[0] - 1.0).abs() < 1e-4 && (m.point[1] - 1.0).abs() < 1e-4,
            "{m:?}"
        );
    }

    fn rosenbrock_with_gradient(x: &[f64], g: &mut [f64]) -> f64 {
        g[0] = -2.0 * (1.0 - x[0]) - 400.0 * x[0] * (x[1] - x[0] * x[0]);
        g[1] = 200.0 * (x[1] - x[0] * x[0]);
        (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2)
    }

    #[test]
    fn lbfgsb_finds_the_minimum_of_rosenbrock() {
        let wide = [-10.0, -10.0];
        let m = lbfgsb(
            rosenbrock_with_gradient,
            &[-1.2, 1.0],
            &wide,
            &[10.0, 10.0],
            1e-12,
            500,
        );
        assert!(m.converged, "{m:?}");
        assert!(
            (m.point[0] - 1.0).abs() < 1e-6 && (m.point[1] - 1.0).abs() < 1e-6,
            "{m:?}"
        );
        assert!(m.iterations < 100, "{m:?}");
    }

    #[test]
    fn lbfgsb_stops_at_a_bound_that_cuts_the_minimum_off() {
        // Without bounds the minimum is at (1, 1); with x₀ ≤ 0.5 it is at x₀ = 0.5 on the
        // bound, x₁ = 0.25 (the valley floor there).
        let m = lbfgsb(
            rosenbrock_with_gradient,
            &[-1.2, 1.0],
            &[-2.0, -2.0],
            &[0.5, 2.0],
            1e-12,
            500,
        );
        assert!(m.converged, "{m:?}");
        assert_eq!(m.point[0], 0.5);
        assert!((m.point[1] - 0.25).abs() < 1e-6, "{m:?}");
        // A start outside the box is moved into it.
        let q = |x: &[f64], g: &mut [f64]| {
            g[0] = 2.0 * (x[0] - 3.0);
            (x[0] - 3.0).powi(2)
        };
        let m = lbfgsb(q, &[100.0], &[-1.0], &[1.0], 1e-12, 50);
        assert_eq!(m.point, vec![1.0]);
        assert!(m.converged);
    }

    #[test]
    fn lbfgsb_reports_an_undefined_start() {
        let f = |_: &[f64], g: &mut [f64]| {
            g[0] = 0.0;
            f64::NAN
        };
        let m = lbfgsb(f, &[0.0], &[-1.0], &[1.0], 1e-12, 50);
        assert!(!m.converged && m.value == f64::INFINITY);
    }

    #[test]
    fn treats_undefined_values_as_infinitely_bad() {
        let f = |x: &[f64]| {
            if x[0] < 0.0 {
                f64::NAN
            } else {
                (x[0] - 2.0).powi(2)
            }
        };
        let m = nelder_mead(f, &[0.5], 1.0, 1e-12, 1000);
        assert!((m.point[0] - 2.0).abs() < 1e-4, "{m:?}");
    }
}
