//! Computed scores (`/customers/{id}/scores`), the models behind them (`/scores/…`) and
//! saved segments (`/segments`).

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::IntoParams;

use super::body::{ActionBody, JsonBody};
use super::error::{Problem, method_not_allowed};
use super::if_match;
use super::params::PageParams;
use super::params::{ExportParams, enum_param};
use super::records;
use super::records::AlertPage;
use super::records::attachment;
use crate::domain::parse_id;
use crate::domain::{AlertKind, AlertStatus};
use crate::error::{AppError, AppResult};
use crate::policy::Principal;
use crate::service::analytics::alerts::{self, AlertFilter};
use crate::service::analytics::scores::ValidationReport;
use crate::service::analytics::scoring::{self, ScoreRequest};
use crate::service::analytics::segments;
use crate::service::input::Submitted;
use crate::service::input::parse_document;
use crate::state::AppState;
use crate::types::alerts::{
    AlertRuleInput, AlertRuleList, AlertRuleView, AlertView, EvaluationView, ResolveInput,
};
use crate::types::scores::ScoresView;
use crate::types::scores::{
    FitRequest, FitResponse, OverviewView, SnapshotView, ValidationRequest,
};
use crate::types::segments::{MemberPage, SegmentInput, SegmentList, SegmentView};

/// Routes of the scores, the models and the segments.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/customers/{id}/scores")
            .route(web::get().to(customer_scores))
            .default_service(method_not_allowed("GET")),
    )
    .service(
        web::resource("/scores/fit")
            .route(web::post().to(fit))
            .default_service(method_not_allowed("POST")),
    )
    .service(
        web::resource("/scores/snapshot")
            .route(web::get().to(snapshot))
            .route(web::post().to(refresh_snapshot))
            .default_service(method_not_allowed("GET, POST")),
    )
    .service(
        web::resource("/scores/validation")
            .route(web::post().to(validation))
            .default_service(method_not_allowed("POST")),
    )
    .service(
        web::resource("/alert-rules")
            .route(web::get().to(list_alert_rules))
            .route(web::post().to(create_alert_rule))
            .default_service(method_not_allowed("GET, POST")),
    )
    .service(
        web::resource("/alert-rules/{id}")
            .route(web::put().to(update_alert_rule))
            .route(web::delete().to(delete_alert_rule))
            .default_service(method_not_allowed("PUT, DELETE")),
    )
    .service(
        web::resource("/alerts")
            .route(web::get().to(list_alerts))
            .default_service(method_not_allowed("GET")),
    )
    .service(
        web::resource("/alerts/evaluate")
            .route(web::post().to(evaluate_alerts))
            .default_service(method_not_allowed("POST")),
    )
    .service(
        web::resource("/alerts/{id}")
            .route(web::get().to(get_alert))
            .default_service(method_not_allowed("GET")),
    )
    .service(
        web::resource("/alerts/{id}/acknowledge")
            .route(web::post().to(acknowledge_alert))
            .default_service(method_not_allowed("POST")),
    )
    .service(
        web::resource("/alerts/{id}/resolve")
            .route(web::post().to(resolve_alert))
            .default_service(method_not_allowed("POST")),
    )
    .service(
        web::resource("/overview")
            .route(web::get().to(overview))
            .default_service(method_not_allowed("GET")),
    )
    .service(
        web::resource("/segments")
            .route(web::get().to(list_segments))
            .route(web::post().to(create_segment))
            .default_service(method_not_allowed("GET, POST")),
    )
    .service(
        web::resource("/segments/{id}")
            .route(web::get().to(get_segment))
            .route(web::put().to(update_segment))
            .route(web::delete().to(delete_segment))
            .default_service(method_not_allowed("GET, PUT, DELETE")),
    )
    .service(
        web::resource("/segments/{id}/members")
            .route(web::get().to(segment_members))
            .default_service(method_not_allowed("GET")),
    )
    .service(
        web::resource("/segments/{id}/export")
            .route(web::get().to(export_segment))
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
    #[param(value_type = Option<chrono::NaiveDate>)]
    pub as_of: Option<String>,
    /// Horizon of `churn.expected_purchases`, 1–3650 days (default 90).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 3650)]
    pub horizon_days: Option<String>,
    /// Horizon of `lifetime_value`, 1–120 months (default 12).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 120)]
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
#[utoipa::path(get, path = "/api/v1/customers/{id}/scores", operation_id = "customer_scores_get", tag = "scores",
    params(("id" = uuid::Uuid, Path, description = "Customer id"), ScoreParams),
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

// ---------------------------------------------------------------------------------------
// Models, snapshot and validation

/// Fit the churn and spend models now and refresh the score snapshot (admins and managers).
/// With too little data the fit says so (`status: insufficient_data`) and scores use the
/// RFM rules.
#[utoipa::path(post, path = "/api/v1/scores/fit", operation_id = "scores_fit", tag = "scores", request_body = Option<FitRequest>,
    responses((status = 200, description = "The fit and the refreshed snapshot", body = FitResponse),
        (status = 403, description = "Not an admin or manager", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`as_of` in the future or before any order", body = Problem, content_type = "application/problem+json")))]
pub async fn fit(
    state: web::Data<AppState>,
    principal: Principal,
    body: ActionBody,
) -> AppResult<HttpResponse> {
    let (fit, snapshot) = scoring::fit_now(&state, &principal, Submitted::document(body.0)).await?;
    Ok(records::private_json(
        actix_web::http::StatusCode::OK,
        &FitResponse { fit, snapshot },
    ))
}

/// The score snapshot segment filters read: when it was refreshed and with which model.
#[utoipa::path(get, path = "/api/v1/scores/snapshot", operation_id = "scores_snapshot_get", tag = "scores",
    responses((status = 200, description = "The snapshot", body = SnapshotView)))]
pub async fn snapshot(state: web::Data<AppState>, principal: Principal) -> AppResult<HttpResponse> {
    let view = scoring::current_snapshot(&state.db, &principal).await?;
    Ok(records::private_json(
        actix_web::http::StatusCode::OK,
        &view,
    ))
}

/// Recompute every customer's scores into the snapshot now (admins, managers, analysts).
#[utoipa::path(post, path = "/api/v1/scores/snapshot", operation_id = "scores_snapshot_refresh", tag = "scores",
    responses((status = 200, description = "The refreshed snapshot", body = SnapshotView),
        (status = 403, description = "Not allowed", body = Problem, content_type = "application/problem+json")))]
pub async fn refresh_snapshot(
    state: web::Data<AppState>,
    principal: Principal,
) -> AppResult<HttpResponse> {
    let view = scoring::refresh_snapshot_now(&state, &principal).await?;
    Ok(records::private_json(
        actix_web::http::StatusCode::OK,
        &view,
    ))
}

/// How well the churn model predicts: fit on a calibration period, compare predicted with
/// actual purchases per customer in the holdout period (totals, mean absolute error, a table
/// by calibration purchases). Admins, managers and analysts.
#[utoipa::path(post, path = "/api/v1/scores/validation", operation_id = "scores_validate", tag = "scores", request_body = ValidationRequest,
    responses((status = 200, description = "The report", body = ValidationReport),
        (status = 403, description = "Not allowed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Dates in the wrong order, in the future, or too little data", body = Problem, content_type = "application/problem+json")))]
pub async fn validation(
    state: web::Data<AppState>,
    principal: Principal,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    let report = crate::service::analytics::scores::validate(
        &state,
        &principal,
        Submitted::document(body.0),
    )
    .await?;
    Ok(records::private_json(
        actix_web::http::StatusCode::OK,
        &report,
    ))
}

// ---------------------------------------------------------------------------------------
// Segments

/// Every segment the caller may use, by name, with its current size.
#[utoipa::path(get, path = "/api/v1/segments", operation_id = "segments_list", tag = "segments",
    responses((status = 200, description = "The segments", body = SegmentList)))]
pub async fn list_segments(
    state: web::Data<AppState>,
    principal: Principal,
) -> AppResult<HttpResponse> {
    let data = segments::list(&state, &principal).await?;
    Ok(records::private_json(
        actix_web::http::StatusCode::OK,
        &SegmentList { data },
    ))
}

/// Save a segment: a name and conditions over profile fields, tags and scores, all of which
/// must hold.
#[utoipa::path(post, path = "/api/v1/segments", operation_id = "segments_create", tag = "segments", request_body = SegmentInput,
    responses((status = 201, description = "Saved, with its current size", body = SegmentView),
        (status = 403, description = "A condition on a field the caller may not read", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The name is taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown field, unsuitable operator or bad value, named as `filter[i].…`", body = Problem, content_type = "application/problem+json")))]
pub async fn create_segment(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    let (state, principal) = (state.get_ref(), &principal);
    records::create(
        state,
        principal,
        &req,
        body.0,
        Some("/api/v1/segments"),
        |db, doc| async move { segments::create_in(&*db, principal, doc).await },
    )
    .await
}

/// One segment with its current size and the time of the snapshot it reads.
#[utoipa::path(get, path = "/api/v1/segments/{id}", operation_id = "segments_get", tag = "segments",
    params(("id" = uuid::Uuid, Path, description = "Segment id")),
    responses((status = 200, description = "The segment", body = SegmentView),
        (status = 403, description = "Its filter uses a field the caller may not read", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such segment", body = Problem, content_type = "application/problem+json")))]
pub async fn get_segment(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let view = segments::get(&state, &principal, parse_id("id", &id)?).await?;
    Ok(records::ok_with_etag(&view))
}

/// Replace a segment's name, description and filter (its author, a manager or an admin).
#[utoipa::path(put, path = "/api/v1/segments/{id}", operation_id = "segments_update", tag = "segments", request_body = SegmentInput,
    params(("id" = uuid::Uuid, Path, description = "Segment id"),
           ("If-Match" = Option<String>, Header, description = "ETag of the version this change is based on")),
    responses(
        (status = 409, description = "The name is taken", body = Problem, content_type = "application/problem+json"),(status = 200, description = "Saved", body = SegmentView),
        (status = 403, description = "Not the author", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such segment", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Stale `If-Match`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json")))]
pub async fn update_segment(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    id: web::Path<String>,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    let id = parse_id("id", &id)?;
    let view = segments::update(&state, &principal, id, if_match(&req)?, body.0).await?;
    Ok(records::ok_with_etag(&view))
}

/// Delete a segment (its customers are untouched).
#[utoipa::path(delete, path = "/api/v1/segments/{id}", operation_id = "segments_delete", tag = "segments",
    params(("id" = uuid::Uuid, Path, description = "Segment id"),
           ("If-Match" = Option<String>, Header, description = "ETag of the version to delete")),
    responses((status = 204, description = "Deleted"),
        (status = 403, description = "Not the author", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such segment", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Stale `If-Match`", body = Problem, content_type = "application/problem+json")))]
pub async fn delete_segment(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    segments::delete(&state, &principal, parse_id("id", &id)?, if_match(&req)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A page of a segment's members (by id), each with its current scores.
#[utoipa::path(get, path = "/api/v1/segments/{id}/members", operation_id = "segment_members_list", tag = "segments",
    params(("id" = uuid::Uuid, Path, description = "Segment id"), PageParams),
    responses((status = 200, description = "A page of members", body = MemberPage),
        (status = 403, description = "Its filter uses a field the caller may not read", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such segment", body = Problem, content_type = "application/problem+json")))]
pub async fn segment_members(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
    params: web::Query<PageParams>,
) -> AppResult<HttpResponse> {
    let p = params.into_inner();
    let id = parse_id("id", &id)?;
    let w = records::window(p.cursor, p.limit.as_deref())?;
    let page = segments::members(&state, &principal, id, &w).await?;
    let snapshot_at = segments::snapshot_at(&state).await?;
    Ok(records::private_json(
        actix_web::http::StatusCode::OK,
        &MemberPage {
            data: page.items,
            next_cursor: page.next_cursor,
            snapshot_at,
        },
    ))
}

/// A segment's members, with their scores, as CSV or NDJSON, streamed. Fields the caller may
/// not read are empty; phone and e-mail only for managers and admins; five exports per
/// caller per hour; audited.
#[utoipa::path(get, path = "/api/v1/segments/{id}/export", operation_id = "segments_export", tag = "segments",
    params(("id" = uuid::Uuid, Path, description = "Segment id"), ExportParams),
    responses((status = 200, description = "The members, one row or line each", content((String = "text/csv"), (String = "application/x-ndjson"))),
        (status = 403, description = "Its filter uses a field the caller may not read", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such segment", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Over five exports in an hour", body = Problem, content_type = "application/problem+json")))]
pub async fn export_segment(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
    params: web::Query<ExportParams>,
) -> AppResult<HttpResponse> {
    let id = parse_id("id", &id)?;
    let format = crate::service::integration::export::Format::parse(params.format.as_deref())?;
    let stream = crate::service::integration::export::segment(
        state.get_ref().clone(),
        principal,
        id,
        format,
    )
    .await?;
    Ok(attachment(stream, format, &format!("segment-{id}")))
}

// ---------------------------------------------------------------------------------------
// Overview

/// Query parameters of the overview.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OverviewParams {
    /// Months of revenue, 1–36 (default 12).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 36)]
    pub months: Option<String>,
    /// Customers in the lifetime-value ranking, 1–100 (default 10).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub top: Option<String>,
}

/// The customer base at a glance: counts by RFM segment, grade and lifecycle stage, the
/// churn-risk histogram, the top customers by lifetime value (from the score snapshot) and
/// revenue by month and channel. Sales users see their own customers; money needs financial
/// clearance (withheld parts are null and named in `masked`).
#[utoipa::path(get, path = "/api/v1/overview", operation_id = "overview_get", tag = "scores", params(OverviewParams),
    responses((status = 200, description = "The overview", body = OverviewView),
        (status = 400, description = "A malformed parameter", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A parameter out of range", body = Problem, content_type = "application/problem+json")))]
pub async fn overview(
    state: web::Data<AppState>,
    principal: Principal,
    params: web::Query<OverviewParams>,
) -> AppResult<HttpResponse> {
    let months = int_param("months", params.months.as_deref())?.unwrap_or(12);
    let top = int_param("top", params.top.as_deref())?.unwrap_or(10);
    let view =
        crate::service::analytics::overview::overview(&state, &principal, months, top).await?;
    Ok(records::private_json(
        actix_web::http::StatusCode::OK,
        &view,
    ))
}

// ---------------------------------------------------------------------------------------
// Alerts

/// Every alert rule, by name.
#[utoipa::path(get, path = "/api/v1/alert-rules", operation_id = "alert_rules_list", tag = "alerts",
    responses((status = 200, description = "The rules", body = AlertRuleList)))]
pub async fn list_alert_rules(
    state: web::Data<AppState>,
    principal: Principal,
) -> AppResult<HttpResponse> {
    let data = alerts::list_rules(&state, &principal).await?;
    Ok(records::private_json(
        actix_web::http::StatusCode::OK,
        &AlertRuleList { data },
    ))
}

/// Configure an alert rule (admins and managers).
#[utoipa::path(post, path = "/api/v1/alert-rules", operation_id = "alert_rules_create", tag = "alerts", request_body = AlertRuleInput,
    responses((status = 201, description = "Configured, with its defaults filled in", body = AlertRuleView),
        (status = 403, description = "Not an admin or manager", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The name is taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad parameter, named as `params.…`", body = Problem, content_type = "application/problem+json")))]
pub async fn create_alert_rule(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    let (state, principal) = (state.get_ref(), &principal);
    records::create(state, principal, &req, body.0, None, |db, doc| async move {
        alerts::create_rule_in(&*db, principal, doc).await
    })
    .await
}

/// Replace an alert rule (admins and managers).
#[utoipa::path(put, path = "/api/v1/alert-rules/{id}", operation_id = "alert_rules_update", tag = "alerts", request_body = AlertRuleInput,
    params(("id" = uuid::Uuid, Path, description = "Rule id"),
           ("If-Match" = Option<String>, Header, description = "ETag of the version this change is based on")),
    responses(
        (status = 409, description = "The name is taken", body = Problem, content_type = "application/problem+json"),(status = 200, description = "Saved", body = AlertRuleView),
        (status = 404, description = "No such rule", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Stale `If-Match`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json")))]
pub async fn update_alert_rule(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    id: web::Path<String>,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    let id = parse_id("id", &id)?;
    let view = alerts::update_rule(&state, &principal, id, if_match(&req)?, body.0).await?;
    Ok(records::ok_with_etag(&view))
}

/// Delete an alert rule; its alerts stay, for the record.
#[utoipa::path(delete, path = "/api/v1/alert-rules/{id}", operation_id = "alert_rules_delete", tag = "alerts",
    params(("id" = uuid::Uuid, Path, description = "Rule id"),
           ("If-Match" = Option<String>, Header, description = "ETag of the version to delete")),
    responses((status = 204, description = "Deleted"),
        (status = 404, description = "No such rule", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Stale `If-Match`", body = Problem, content_type = "application/problem+json")))]
pub async fn delete_alert_rule(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    alerts::delete_rule(&state, &principal, parse_id("id", &id)?, if_match(&req)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Query parameters of `GET /alerts`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AlertParams {
    cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 200)]
    limit: Option<String>,
    /// `open`, `acknowledged` or `resolved`.
    #[param(value_type = Option<crate::domain::AlertStatus>)]
    status: Option<String>,
    /// `overdue_receivable`, `churn_risk`, `no_contact` or `complaint_sla`.
    #[param(value_type = Option<crate::domain::AlertKind>)]
    kind: Option<String>,
    #[param(value_type = Option<uuid::Uuid>)]
    customer_id: Option<String>,
    #[param(value_type = Option<uuid::Uuid>)]
    rule_id: Option<String>,
    /// `customer` embeds each alert's customer (rendered through the policy, absent when the
    /// caller may not see it), in one more statement for the page; needs `customers:read`.
    #[param(value_type = Option<super::params::RecordExpand>)]
    expand: Option<String>,
}

/// Alerts the caller may see, newest first: their customers' (sales), and kinds whose data
/// they may read (receivables, churn by grade and silent high-value customers need financial
/// clearance).
#[utoipa::path(get, path = "/api/v1/alerts", operation_id = "alerts_list", tag = "alerts", params(AlertParams),
    responses((status = 200, description = "A page of alerts", body = AlertPage),
        (status = 400, description = "A bad parameter", body = Problem, content_type = "application/problem+json")))]
pub async fn list_alerts(
    state: web::Data<AppState>,
    principal: Principal,
    params: web::Query<AlertParams>,
) -> AppResult<HttpResponse> {
    let p = params.into_inner();
    let expand = records::expand_customer(p.expand.as_deref())?;
    let filter = AlertFilter {
        status: enum_param(
            "status",
            p.status,
            AlertStatus::parse,
            AlertStatus::expected,
        )?,
        kind: enum_param("kind", p.kind, AlertKind::parse, AlertKind::expected)?,
        customer_id: p
            .customer_id
            .map(|v| parse_id("customer_id", v.trim()))
            .transpose()?,
        rule_id: p
            .rule_id
            .map(|v| parse_id("rule_id", v.trim()))
            .transpose()?,
    };
    let w = records::window(p.cursor, p.limit.as_deref())?;
    let mut page = alerts::list(&state, &principal, &filter, &w).await?;
    if expand {
        records::with_customers(&state, &principal, &mut page.items).await?;
    }
    Ok(records::page::<_, AlertPage>(page))
}

/// Evaluate every enabled rule now: raise alerts for new subjects, resolve those whose
/// condition cleared (admins, managers, analysts). The background job does the same every
/// quarter of an hour.
#[utoipa::path(post, path = "/api/v1/alerts/evaluate", operation_id = "alerts_evaluate", tag = "alerts",
    responses((status = 200, description = "What the evaluation did", body = EvaluationView),
        (status = 403, description = "Not allowed", body = Problem, content_type = "application/problem+json")))]
pub async fn evaluate_alerts(
    state: web::Data<AppState>,
    principal: Principal,
) -> AppResult<HttpResponse> {
    let view = alerts::evaluate_now(&state, &principal).await?;
    Ok(records::private_json(
        actix_web::http::StatusCode::OK,
        &view,
    ))
}

/// One alert.
#[utoipa::path(get, path = "/api/v1/alerts/{id}", operation_id = "alerts_get", tag = "alerts",
    params(("id" = uuid::Uuid, Path, description = "Alert id"), records::ExpandParams),
    responses((status = 200, description = "The alert", body = AlertView),
        (status = 400, description = "A bad parameter", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such alert (or not visible)", body = Problem, content_type = "application/problem+json")))]
pub async fn get_alert(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
    params: web::Query<records::ExpandParams>,
) -> AppResult<HttpResponse> {
    let expand = records::expand_customer(params.expand.as_deref())?;
    let mut view = alerts::get(&state, &principal, parse_id("id", &id)?).await?;
    if expand {
        records::with_customers(&state, &principal, std::slice::from_mut(&mut view)).await?;
    }
    Ok(records::private_json(
        actix_web::http::StatusCode::OK,
        &view,
    ))
}

/// Acknowledge an open alert.
#[utoipa::path(post, path = "/api/v1/alerts/{id}/acknowledge", operation_id = "alerts_acknowledge", tag = "alerts",
    params(("id" = uuid::Uuid, Path, description = "Alert id")),
    responses((status = 200, description = "Acknowledged", body = AlertView),
        (status = 404, description = "No such alert", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not open; `allowed` lists the legal moves", body = Problem, content_type = "application/problem+json")))]
pub async fn acknowledge_alert(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = parse_id("id", &id)?;
    let view = alerts::transition(&state, &principal, id, AlertStatus::Acknowledged, None).await?;
    Ok(records::private_json(
        actix_web::http::StatusCode::OK,
        &view,
    ))
}

/// Resolve an alert, with an optional note of what was done.
#[utoipa::path(post, path = "/api/v1/alerts/{id}/resolve", operation_id = "alerts_resolve", tag = "alerts", request_body = Option<ResolveInput>,
    params(("id" = uuid::Uuid, Path, description = "Alert id")),
    responses((status = 200, description = "Resolved", body = AlertView),
        (status = 404, description = "No such alert", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already resolved", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Resolution too long", body = Problem, content_type = "application/problem+json")))]
pub async fn resolve_alert(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
    body: ActionBody,
) -> AppResult<HttpResponse> {
    let id = parse_id("id", &id)?;
    let input: ResolveInput = parse_document(body.0)?;
    let view = alerts::transition(
        &state,
        &principal,
        id,
        AlertStatus::Resolved,
        input.resolution,
    )
    .await?;
    Ok(records::private_json(
        actix_web::http::StatusCode::OK,
        &view,
    ))
}
