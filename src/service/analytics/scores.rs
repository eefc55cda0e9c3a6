//! Fitting the churn (BG/NBD) and spend (Gamma-Gamma) models on the store's own orders, and
//! keeping each fit with its parameters, as-of date, data size, log-likelihood and time.
//!
//! A customer's history is read from their counted orders (cancelled and refunded left out)
//! up to the end of the as-of date: purchase *days* in UTC, so several orders on one day are
//! one purchase whose value is their sum; x = purchase days after the first, tₓ and T in days
//! from the first. Spend uses orders in the server's currency.

pub use crate::types::scores::{BgNbdParams, FitReport, GammaGammaParams, RfmCuts};
use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use entity::amount::Amount;
use entity::{order, score_model};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use crate::analytics::{bgnbd, gamma_gamma, rfm};
use crate::error::{AppError, AppResult};

/// One customer's purchase days up to the as-of date: (day, value in the base currency).
/// Values are exact decimal sums; the models take them as `f64` only at their input.
#[derive(Debug, Clone, Default)]
pub struct PurchaseDays {
    pub days: BTreeMap<NaiveDate, Decimal>,
    /// Counted orders (several may fall on one day).
    pub orders: i64,
}

impl PurchaseDays {
    /// The BG/NBD summary as of the end of `as_of`.
    pub fn history(&self, as_of: NaiveDate) -> Option<bgnbd::History> {
        let first = *self.days.keys().next()?;
        let last = *self.days.keys().next_back()?;
        let x = (self.days.len() - 1) as f64;
        let t_x = (last - first).num_days() as f64;
        let t = (as_of - first).num_days() as f64;
        Some(bgnbd::History { x, t_x, t })
    }

    /// Spend over all purchase days, exact.
    pub fn total(&self) -> Decimal {
        self.days.values().sum()
    }

    /// The Gamma-Gamma summary: repeat purchase days and their mean value.
    pub fn spend(&self) -> Option<gamma_gamma::Spend> {
        let repeat: Vec<f64> = self
            .days
            .values()
            .skip(1)
            .map(|v| model_input(*v))
            .collect();
        if repeat.is_empty() {
            return None;
        }
        let x = repeat.len() as f64;
        Some(gamma_gamma::Spend {
            x,
            mean: repeat.iter().sum::<f64>() / x,
        })
    }
}

/// An amount as a model input (the statistical models work in `f64`).
fn model_input(value: Decimal) -> f64 {
    value.to_f64().unwrap_or(f64::MAX)
}

/// The first instant after the as-of date (UTC).
pub fn end_of(as_of: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(
        &as_of
            .succ_opt()
            .unwrap_or(as_of)
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default(),
    )
}

/// Every customer's (or only `only`'s) purchase days up to the end of `as_of`, read in
/// pages by order id.
///
/// # Errors
/// Database failures.
pub async fn purchase_days(
    conn: &impl ConnectionTrait,
    as_of: NaiveDate,
    base_currency: &str,
    only: Option<&[Uuid]>,
) -> AppResult<BTreeMap<Uuid, PurchaseDays>> {
    const BATCH: u64 = 20_000;
    let end = end_of(as_of);
    let mut out: BTreeMap<Uuid, PurchaseDays> = BTreeMap::new();
    let mut after: Option<Uuid> = None;
    loop {
        let mut query = order::Entity::find()
            .select_only()
            .column(order::Column::Id)
            .column(order::Column::CustomerId)
            .column(order::Column::OrderedAt)
            .column(order::Column::Total)
            .column(order::Column::Currency)
            .filter(order::Column::OrderedAt.lt(end))
            .filter(order::Column::Status.is_not_in(["cancelled", "refunded"]))
            .order_by_asc(order::Column::Id)
            .limit(BATCH);
        if let Some(id) = after {
            query = query.filter(order::Column::Id.gt(id));
        }
        if let Some(ids) = only {
            query = query.filter(order::Column::CustomerId.is_in(ids.iter().copied()));
        }
        let rows: Vec<(Uuid, Uuid, DateTime<Utc>, Amount, String)> =
            query.into_tuple().all(conn).await?;
        let Some(last) = rows.last() else { break };
        after = Some(last.0);
        let base = base_currency.to_owned();
        out = crate::service::shed::cpu(move || {
            for (_, customer, at, total, currency) in rows {
                let value = if currency == base {
                    total.value()
                } else {
                    Decimal::ZERO
                };
                let entry = out.entry(customer).or_default();
                entry.orders += 1;
                *entry.days.entry(at.date_naive()).or_default() += value;
            }
            Ok(out)
        })
        .await?;
    }
    Ok(out)
}

/// Cut points of every customer's (days since last purchase, purchase days, spend).
fn rfm_cuts_of(customers: &BTreeMap<Uuid, PurchaseDays>, as_of: NaiveDate) -> Option<RfmCuts> {
    let mut recency = Vec::new();
    let mut frequency = Vec::new();
    let mut monetary = Vec::new();
    for c in customers.values() {
        let Some(last) = c.days.keys().next_back() else {
            continue;
        };
        recency.push((as_of - *last).num_days() as f64);
        frequency.push(c.days.len() as f64);
        monetary.push(model_input(c.total()));
    }
    Some(RfmCuts {
        recency_days: rfm::cut_points(&recency)?,
        frequency: rfm::cut_points(&frequency)?,
        monetary: rfm::cut_points(&monetary)?,
    })
}

/// What the search ended with, for the notes.
#[derive(Debug, Clone, Copy, Default)]
struct Ending<'a> {
    /// Parameters left on a bound of the search.
    at_bound: &'a [&'static str],
    /// The search ran out of iterations without converging.
    unconverged: bool,
}

/// Parameters at a boundary are limits, not nonsense: say what they mean, and which ones the
/// search left on the bounds of its range.
fn boundary_notes(
    bg: Option<(&BgNbdParams, Ending<'_>)>,
    gg: Option<(&GammaGammaParams, Ending<'_>)>,
) -> Vec<String> {
    const HUGE: f64 = 1e4;
    let mut notes = Vec::new();
    let ended = |notes: &mut Vec<String>, model: &str, e: Ending<'_>, bounds: (f64, f64)| {
        if !e.at_bound.is_empty() {
            notes.push(format!(
                "{model}: the search stopped on the bound of its range ({:e} to {:e}) for {}: \
                 the data drive these parameters to a limit of the model, where the likelihood \
                 no longer changes; read them as that limit, not as estimates",
                bounds.0,
                bounds.1,
                e.at_bound.join(", ")
            ));
        }
        if e.unconverged {
            notes.push(format!(
                "{model}: the search used every iteration it is allowed without converging; \
                 the parameters are the best found"
            ));
        }
    };
    if let Some((p, e)) = bg {
        if p.a > HUGE && p.b > HUGE {
            notes.push(format!(
                "BG/NBD: a and b ran to their limit: every customer has the same chance to drop \
                 out after a purchase, {:.4}",
                p.a / (p.a + p.b)
            ));
        }
        if p.r > HUGE && p.alpha > HUGE {
            notes.push(format!(
                "BG/NBD: r and alpha ran to their limit: customers hardly differ in how often \
                 they buy; while active each buys about {:.4} times a day",
                p.r / p.alpha
            ));
        }
        if p.a < 1.0 / HUGE && p.b >= 1.0 / HUGE {
            notes.push(
                "BG/NBD: a ran towards 0: hardly anyone seems to drop out after a purchase, so \
                 everyone who bought again counts as alive"
                    .to_owned(),
            );
        }
        ended(&mut notes, "BG/NBD", e, bgnbd::BOUNDS);
    }
    if let Some((p, e)) = gg {
        if p.p > HUGE {
            notes.push(
                "Gamma-Gamma: p ran to its limit (and γ towards 0): order values barely vary \
                 around each customer's own mean, so a repeat buyer's expected order value is \
                 that mean"
                    .to_owned(),
            );
        }
        if p.q > HUGE && p.gamma > HUGE {
            notes.push(format!(
                "Gamma-Gamma: q and γ ran to their limit: customers hardly differ in their \
                 average order value, about {:.2} for everyone",
                p.p * p.gamma / (p.q - 1.0)
            ));
        }
        ended(&mut notes, "Gamma-Gamma", e, gamma_gamma::BOUNDS);
    }
    notes
}

/// Fit both models as of the end of `as_of` and store the result (a refusal too), for
/// those who may fit models.
///
/// # Errors
/// `Forbidden`; `Validation` for an as-of date before any order or in the future; database
/// failures.
pub async fn fit(
    db: &sea_orm::DatabaseConnection,
    principal: &crate::policy::Principal,
    as_of: NaiveDate,
    base_currency: &str,
) -> AppResult<FitReport> {
    crate::policy::authorize(principal, crate::policy::Action::FitModels)?;
    let today = Utc::now().date_naive();
    if as_of > today {
        return Err(AppError::invalid(
            "as_of",
            "in_future",
            "must not be after today",
        ));
    }
    let started = std::time::Instant::now();
    let customers = purchase_days(db, as_of, base_currency, None).await?;
    if customers.is_empty() {
        return Err(AppError::invalid(
            "as_of",
            "before_data",
            "there are no counted orders up to this date",
        ));
    }
    // The summaries and the optimiser are CPU-bound: keep them off the async workers.
    let customer_count = customers.len();
    let (bg, gg, repeat_buyers, rfm_cuts, value_quantiles) = crate::service::shed::cpu(move || {
        let histories: Vec<bgnbd::History> = customers
            .values()
            .filter_map(|c| c.history(as_of))
            .collect();
        let spends: Vec<gamma_gamma::Spend> =
            customers.values().filter_map(PurchaseDays::spend).collect();
        let value_quantiles = rfm::quantile_points(
            &customers
                .values()
                .map(|c| model_input(c.total()))
                .collect::<Vec<f64>>(),
            100,
        );
        Ok((
            bgnbd::fit(&histories),
            gamma_gamma::fit(&spends),
            spends.len(),
            rfm_cuts_of(&customers, as_of),
            value_quantiles,
        ))
    })
    .await?;
    let (status, message) = match (&bg, &gg) {
        (Ok(_), Some(_)) => ("fitted", None),
        (Err(e), _) => (
            "insufficient_data",
            Some(format!(
                "the churn model was not fitted ({e:?}); scores use the RFM rules"
            )),
        ),
        (Ok(_), None) => (
            "insufficient_data",
            Some(format!(
                "fewer than {} repeat buyers for the spend model; scores use the RFM rules",
                gamma_gamma::MIN_BUYERS
            )),
        ),
    };
    let report = FitReport {
        id: Uuid::now_v7(),
        status: status.to_owned(),
        bgnbd: bg.as_ref().ok().map(|f| BgNbdParams {
            r: f.params.r,
            alpha: f.params.alpha,
            a: f.params.a,
            b: f.params.b,
        }),
        gamma_gamma: gg.as_ref().map(|f| GammaGammaParams {
            p: f.params.p,
            q: f.params.q,
            gamma: f.params.gamma,
        }),
        time_unit: "days",
        as_of: as_of.into(),
        customers: customer_count,
        repeat_buyers,
        rfm_cuts,
        value_quantiles,
        log_likelihood: bg.as_ref().ok().map(|f| f.log_likelihood),
        gamma_gamma_log_likelihood: gg.as_ref().map(|f| f.log_likelihood),
        bgnbd_iterations: bg.as_ref().ok().map(|f| f.iterations),
        gamma_gamma_iterations: gg.as_ref().map(|f| f.iterations),
        fit_seconds: started.elapsed().as_secs_f64(),
        fitted_at: crate::clock::now().into(),
        message,
        notes: Vec::new(),
    };
    let report = FitReport {
        notes: boundary_notes(
            report.bgnbd.as_ref().zip(bg.as_ref().ok().map(|f| Ending {
                at_bound: &f.at_bound,
                unconverged: !f.converged,
            })),
            report.gamma_gamma.as_ref().zip(gg.as_ref().map(|f| Ending {
                at_bound: &f.at_bound,
                unconverged: !f.converged,
            })),
        ),
        ..report
    };
    score_model::ActiveModel {
        id: Set(report.id),
        fitted_at: Set(report.fitted_at.0),
        as_of: Set(as_of),
        status: Set(report.status.clone()),
        customers: Set(i64::try_from(report.customers).unwrap_or(i64::MAX)),
        repeat_buyers: Set(i64::try_from(repeat_buyers).unwrap_or(i64::MAX)),
        params: Set(json!(report)),
        log_likelihood: Set(report.log_likelihood),
        fit_millis: Set(i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX)),
        message: Set(report.message.clone()),
    }
    .insert(db)
    .await?;
    tracing::info!(
        status,
        customers = report.customers,
        seconds = report.fit_seconds,
        "scores fitted"
    );
    Ok(report)
}

/// The newest stored fit, if any.
///
/// # Errors
/// Database failures.
pub async fn latest(conn: &impl ConnectionTrait) -> AppResult<Option<serde_json::Value>> {
    Ok(score_model::Entity::find()
        .order_by_desc(score_model::Column::FittedAt)
        .one(conn)
        .await?
        .map(|m| m.params))
}

/// One row of the validation table: customers grouped by repeat purchases in the
/// calibration period (the last row holds 7 and more).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "ValidationRow")]
pub struct FrequencyRow {
    pub calibration_repeat_purchases: String,
    pub customers: usize,
    /// Mean purchases per customer the model predicted for the holdout.
    pub predicted_mean: f64,
    /// Mean purchases per customer that happened.
    pub actual_mean: f64,
}

/// How well the churn model fitted on a calibration period predicted a holdout period.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "ValidationReport")]
pub struct ValidationReport {
    pub calibration_end: crate::types::time::Date,
    pub holdout_end: crate::types::time::Date,
    pub holdout_days: i64,
    /// Customers whose first purchase lies in the calibration period.
    pub customers: usize,
    pub bgnbd: BgNbdParams,
    pub predicted_total: f64,
    pub actual_total: f64,
    /// Mean absolute error of the per-customer predictions.
    pub mae: f64,
    pub by_frequency: Vec<FrequencyRow>,
}

/// Fit BG/NBD on the orders up to `calibration_end` and compare each customer's expected
/// purchases in (`calibration_end`, `holdout_end`] with the purchase days they had.
///
/// # Errors
/// `Forbidden` unless the caller may run analytics; `Validation` for dates in the wrong
/// order or the future, or too little data to fit; `Busy` when the caller or the server
/// already runs as many expensive operations as allowed.
pub async fn validate(
    state: &crate::state::AppState,
    principal: &crate::policy::Principal,
    request: crate::service::input::Submitted<crate::types::scores::ValidationRequest>,
) -> AppResult<ValidationReport> {
    crate::policy::authorize(principal, crate::policy::Action::RunAnalytics)?;
    let request = request.accept()?;
    check_periods(&request)?;
    let _admission = state
        .shedder
        .admit(principal, crate::policy::cost::Expensive::ScoreValidation)?;
    validation(&state.db, request, &state.settings.currency).await
}

/// [`validate`] for the operator at the command line: no admission.
///
/// # Errors
/// As [`validate`].
pub async fn validate_as_operator(
    db: &sea_orm::DatabaseConnection,
    request: crate::service::input::Submitted<crate::types::scores::ValidationRequest>,
    base_currency: &str,
) -> AppResult<ValidationReport> {
    let request = request.accept()?;
    check_periods(&request)?;
    validation(db, request, base_currency).await
}

/// The holdout must follow the calibration period and not reach into the future.
fn check_periods(request: &crate::types::scores::ValidationRequest) -> AppResult<()> {
    let (calibration_end, holdout_end) = (request.calibration_end, request.holdout_end);
    if holdout_end <= calibration_end {
        return Err(AppError::invalid(
            "holdout_end",
            "not_after_calibration",
            "must be after calibration_end",
        ));
    }
    if holdout_end > Utc::now().date_naive() {
        return Err(AppError::invalid(
            "holdout_end",
            "in_future",
            "must not be after today",
        ));
    }
    Ok(())
}

/// Read the orders, then fit and compare off the async workers.
async fn validation(
    db: &sea_orm::DatabaseConnection,
    request: crate::types::scores::ValidationRequest,
    base_currency: &str,
) -> AppResult<ValidationReport> {
    let crate::types::scores::ValidationRequest {
        calibration_end,
        holdout_end,
    } = request;
    let all = purchase_days(db, holdout_end, base_currency, None).await?;
    crate::service::shed::cpu(move || compare(&all, calibration_end, holdout_end)).await
}

/// Fit on the calibration period and compare each customer's expectation with the holdout.
fn compare(
    all: &BTreeMap<Uuid, PurchaseDays>,
    calibration_end: NaiveDate,
    holdout_end: NaiveDate,
) -> AppResult<ValidationReport> {
    let mut calibration: Vec<(bgnbd::History, f64)> = Vec::new();
    for days in all.values() {
        let mut before = PurchaseDays::default();
        let mut after = 0.0;
        for (day, value) in &days.days {
            if *day <= calibration_end {
                before.days.insert(*day, *value);
            } else {
                after += 1.0;
            }
        }
        if let Some(h) = before.history(calibration_end) {
            calibration.push((h, after));
        }
    }
    if calibration.is_empty() {
        return Err(AppError::invalid(
            "calibration_end",
            "before_data",
            "there are no counted orders up to this date",
        ));
    }
    let histories: Vec<bgnbd::History> = calibration.iter().map(|(h, _)| *h).collect();
    let fit = bgnbd::fit(&histories).map_err(|e| {
        AppError::invalid(
            "calibration_end",
            "insufficient_data",
            format!("the churn model cannot be fitted on this period: {e:?}"),
        )
    })?;
    let holdout_days = (holdout_end - calibration_end).num_days();
    let mut predicted_total = 0.0;
    let mut actual_total = 0.0;
    let mut abs_error = 0.0;
    let mut rows: BTreeMap<usize, (usize, f64, f64)> = BTreeMap::new();
    for (h, actual) in &calibration {
        let predicted =
            bgnbd::expected_purchases(&fit.params, h, holdout_days as f64).ok_or_else(|| {
                AppError::invalid(
                    "calibration_end",
                    "model_undefined",
                    "the fitted model gives no finite expectation for this period",
                )
            })?;
        predicted_total += predicted;
        actual_total += actual;
        abs_error += (predicted - actual).abs();
        let bucket = (h.x as usize).min(7);
        let row = rows.entry(bucket).or_insert((0, 0.0, 0.0));
        row.0 += 1;
        row.1 += predicted;
        row.2 += actual;
    }
    let by_frequency = rows
        .into_iter()
        .map(|(x, (n, p, a))| FrequencyRow {
            calibration_repeat_purchases: if x == 7 {
                "7+".to_owned()
            } else {
                x.to_string()
            },
            customers: n,
            predicted_mean: p / n as f64,
            actual_mean: a / n as f64,
        })
        .collect();
    Ok(ValidationReport {
        calibration_end: calibration_end.into(),
        holdout_end: holdout_end.into(),
        holdout_days,
        customers: calibration.len(),
        bgnbd: BgNbdParams {
            r: fit.params.r,
            alpha: fit.params.alpha,
            a: fit.params.a,
            b: fit.params.b,
        },
        predicted_total,
        actual_total,
        mae: abs_error / calibration.len() as f64,
        by_frequency,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_at_a_boundary_are_explained() {
        let ordinary = BgNbdParams {
            r: 0.6,
            alpha: 20.0,
            a: 0.8,
            b: 2.5,
        };
        let spend = GammaGammaParams {
            p: 6.0,
            q: 4.0,
            gamma: 15.0,
        };
        let fine = Ending::default();
        assert!(boundary_notes(Some((&ordinary, fine)), Some((&spend, fine))).is_empty());
        let flat = BgNbdParams {
            a: 4.0e5,
            b: 1.6e7,
            ..ordinary
        };
        let fixed = GammaGammaParams {
            p: 4.0e9,
            q: 1.4,
            gamma: 1e-8,
        };
        let notes = boundary_notes(Some((&flat, fine)), Some((&fixed, fine)));
        assert_eq!(notes.len(), 2);
        assert!(notes[0].contains("0.0244"), "{notes:?}");
        assert!(notes[1].contains("own mean"));
        // Everyone buying at one rate and nobody dropping out: r and α without bound, a on
        // the lower bound of the search.
        let steady = BgNbdParams {
            r: 2.0e6,
            alpha: 9.0e7,
            a: 1e-8,
            b: 2.5,
        };
        let ending = Ending {
            at_bound: &["a"],
            unconverged: false,
        };
        let notes = boundary_notes(Some((&steady, ending)), None);
        assert_eq!(notes.len(), 3, "{notes:?}");
        assert!(notes[0].contains("0.0222 times a day"), "{notes:?}");
        assert!(notes[1].contains("drop out"), "{notes:?}");
        assert!(notes[2].contains("1e-8 to 1e8") && notes[2].ends_with("not as estimates"));
        assert!(notes[2].contains("for a:"), "{notes:?}");
        let same_spend = GammaGammaParams {
            p: 3.0,
            q: 3.0e6,
            gamma: 1.0e8,
        };
        let notes = boundary_notes(None, Some((&same_spend, fine)));
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].contains("about 100.00 for everyone"), "{notes:?}");
    }
}
