//! Data quality: a customer's duplicate candidates and the data-quality report.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::analytics::int_param;
use super::error::{Problem, method_not_allowed};
use super::records;
use crate::domain::parse_id;
use crate::error::AppResult;
use crate::policy::Principal;
use crate::service::customers::duplicates::{self, Candidate, PairPage};
use crate::service::quality::standardise::{self, StandardiseReport};
use crate::service::quality::{self, QualityReport};
use crate::state::AppState;

/// Routes of data quality.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/customers/{id}/duplicates")
            .route(web::get().to(customer_duplicates))
            .default_service(method_not_allowed("GET")),
    )
    .service(
        web::resource("/duplicates")
            .route(web::get().to(duplicate_pairs))
            .default_service(method_not_allowed("GET")),
    )
    .service(
        web::resource("/data-quality")
            .route(web::get().to(report))
            .default_service(method_not_allowed("GET")),
    )
    .service(
        web::resource("/data-quality/standardise")
            .route(web::post().to(standardise))
            .default_service(method_not_allowed("POST")),
    );
}

/// Duplicate candidates, best first.
#[derive(Debug, Serialize, ToSchema)]
pub struct CandidateList {
    pub data: Vec<Candidate>,
}

/// Customers who may be the same party as this one, with a score and the reasons: same
/// credit code, same phone or e-mail (for callers who may read contact details), a similar
/// name in the same city. Only customers the caller can see are listed.
#[utoipa::path(get, path = "/api/v1/customers/{id}/duplicates", operation_id = "customer_duplicates_list", tag = "data quality",
    params(("id" = uuid::Uuid, Path, description = "Customer id")),
    responses((status = 200, description = "The candidates", body = CandidateList),
        (status = 404, description = "No such customer", body = Problem, content_type = "application/problem+json")))]
pub async fn customer_duplicates(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let data = duplicates::of_customer(&state, &principal, parse_id("id", &id)?).await?;
    Ok(records::private_json(
        actix_web::http::StatusCode::OK,
        &CandidateList { data },
    ))
}

/// Query parameters of the report.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportParams {
    /// Customers not updated for this many months count as stale, 1–120 (default 12).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 120)]
    stale_months: Option<String>,
}

/// The data-quality report (admins, managers, analysts): completeness by field, missing and
/// invalid contacts, stale records, customers sharing an identifier, consent coverage.
#[utoipa::path(get, path = "/api/v1/data-quality", operation_id = "data_quality_report", tag = "data quality", params(ReportParams),
    responses((status = 200, description = "The report", body = QualityReport),
        (status = 403, description = "Not allowed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`stale_months` out of range", body = Problem, content_type = "application/problem+json")))]
pub async fn report(
    state: web::Data<AppState>,
    principal: Principal,
    params: web::Query<ReportParams>,
) -> AppResult<HttpResponse> {
    let months = int_param("stale_months", params.stale_months.as_deref())?.unwrap_or(12);
    let view = quality::report(&state, &principal, months).await?;
    Ok(records::private_json(
        actix_web::http::StatusCode::OK,
        &view,
    ))
}

/// Every pair of customers (that the caller can see) sharing an identifier: credit code, and
/// phone or e-mail for callers who may read them; with score and reasons, a page at a time.
/// Similar names alone are checked per customer (`/customers/{id}/duplicates`).
#[utoipa::path(get, path = "/api/v1/duplicates", operation_id = "duplicates_list", tag = "data quality",
    params(super::params::PageParams),
    responses((status = 200, description = "A page of pairs", body = PairPage),
        (status = 400, description = "A bad cursor or limit", body = Problem, content_type = "application/problem+json")))]
pub async fn duplicate_pairs(
    state: web::Data<AppState>,
    principal: Principal,
    params: web::Query<super::params::PageParams>,
) -> AppResult<HttpResponse> {
    let p = params.into_inner();
    let w = records::window(p.cursor, p.limit.as_deref())?;
    let page = duplicates::pair_page(&state, &principal, &w).await?;
    Ok(records::private_json(
        actix_web::http::StatusCode::OK,
        &page,
    ))
}

/// Query parameters of a re-standardisation.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StandardiseParams {
    /// `true` reports what would change and writes nothing.
    #[param(value_type = Option<bool>)]
    dry_run: Option<String>,
}

/// Re-standardise every customer written before the current rules (admins): names folded,
/// e-mails lower-cased, phones in E.164, provinces and cities in their standard spelling.
/// Changes are audited as updates with the reason `standardise`; customers the current rules
/// refuse are left as they are and listed.
#[utoipa::path(post, path = "/api/v1/data-quality/standardise", operation_id = "data_quality_standardise", tag = "data quality",
    params(StandardiseParams),
    responses((status = 200, description = "What changed", body = StandardiseReport),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json")))]
pub async fn standardise(
    state: web::Data<AppState>,
    principal: Principal,
    params: web::Query<StandardiseParams>,
) -> AppResult<HttpResponse> {
    let dry_run = super::params::bool_param("dry_run", params.dry_run.as_deref())?;
    let report = standardise::run(&state, &principal, dry_run).await?;
    Ok(records::private_json(
        actix_web::http::StatusCode::OK,
        &report,
    ))
}
