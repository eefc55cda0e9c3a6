//! Computed scores: `/api/v1/customers/{id}/scores`.

use actix_web::{HttpResponse, web};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::IntoParams;

use super::error::{Problem, method_not_allowed};
use super::records;
use crate::auth::Principal;
use crate::domain::parse_id;
use crate::error::{AppError, AppResult};
use crate::service::scoring::{self, ScoreRequest};
use crate::state::AppState;
use crate::types::scores::ScoresView;

/// Routes of the scores.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/customers/{id}/scores")
            .route(web::get().to(customer_scores))
            .default_service(method_not_allowed("GET")),
    );
}

/// An optional `YYYY-MM-DD` query parameter, named in the error when malformed.
pub fn date_param(name: &str, raw: Option<&str>) -> AppResult<Option<NaiveDate>> {
    raw.map(|v| {
        NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").map_err(|_| {
            AppError::bad_param(name, "invalid_date", "must be a date such as 2026-01-31")
        })
    })
    .transpose()
}

/// An optional whole-number query parameter, named in the error when malformed.
pub fn int_param(name: &str, raw: Option<&str>) -> AppResult<Option<i32>> {
    raw.map(|v| {
        v.trim()
            .parse::<i32>()
            .map_err(|_| AppError::bad_param(name, "invalid_integer", "must be a whole number"))
    })
    .transpose()
}

/// Query parameters of the scores.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ScoreParams {
    /// Scores as of the end of this date (`YYYY-MM-DD`), for backtests: purchases up to
    /// it and the newest model fitted as of it. Default: now.
    pub as_of: Option<String>,
    /// Horizon of `churn.expected_purchases`, 1–3650 days (default 90).
    pub horizon_days: Option<String>,
    /// Horizon of `lifetime_value`, 1–120 months (default 12).
    pub months: Option<String>,
}

impl ScoreParams {
    /// Parse and check the parameters.
    ///
    /// # Errors
    /// 400 for a malformed value, 422 for one out of range or an as-of date outside the data.
    pub async fn request(&self, state: &AppState) -> AppResult<ScoreRequest> {
        ScoreRequest::new(
            &state.db,
            date_param("as_of", self.as_of.as_deref())?,
            int_param("horizon_days", self.horizon_days.as_deref())?,
            int_param("months", self.months.as_deref())?,
        )
        .await
    }
}

/// A customer's scores: RFM with segment, churn risk and expected purchases, lifetime value,
/// loyalty with its components, grade, lifecycle stage and profile completeness. Scores
/// derived from money (monetary, M, segment, lifetime value, grade, the monetary loyalty
/// component) need financial clearance.
#[utoipa::path(get, path = "/api/v1/customers/{id}/scores", tag = "scores",
    params(("id" = String, Path, description = "Customer id"), ScoreParams),
    responses((status = 200, description = "The scores", body = ScoresView),
        (status = 400, description = "A malformed parameter", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A horizon out of range, or an as-of date in the future or before any order", body = Problem, content_type = "application/problem+json")))]
pub async fn customer_scores(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
    params: web::Query<ScoreParams>,
) -> AppResult<HttpResponse> {
    let id = parse_id("id", &id)?;
    let request = params.request(&state).await?;
    let view = scoring::customer_scores(&state, &principal, id, request).await?;
    Ok(records::private_json(
        actix_web::http::StatusCode::OK,
        &view,
    ))
}
