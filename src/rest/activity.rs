//! Interactions, surveys, complaints, preferences, consent, relationships, loyalty and the
//! timeline: nested under `/api/v1/customers/{id}/…`, with top-level lists where useful.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::body::JsonBody;
use super::error::{Problem, method_not_allowed};
use super::if_match;
use super::params::PageParams;
use super::params::{bool_param, enum_param};
use super::records::{
    self, ComplaintPage, ConsentEventPage, InteractionPage, PointsPage, SurveyPage, TimelinePage,
    ok_with_etag, private_json, window,
};
use crate::domain::{ComplaintSeverity, ComplaintStatus, InteractionKind, TimelineKind, parse_id};
use crate::error::{AppError, AppResult};
use crate::policy::Principal;
use crate::service::behaviour::engagement::{self, ComplaintFilter, InteractionFilter};
use crate::service::{customers::timeline, relations};
use crate::state::AppState;
use crate::types::engagement::{
    ComplaintInput, ComplaintTransitionInput, ComplaintView, InteractionInput, InteractionView,
    SurveyInput, SurveyView,
};
use crate::types::relations::{
    ConsentEventView, ConsentInput, ConsentView, LoyaltyInput, LoyaltyView, PointsEntryView,
    PointsInput, PreferencesInput, PreferencesView, RelationshipInput, RelationshipView,
};

/// Routes of the activity and relations of customers.
pub fn configure(cfg: &mut web::ServiceConfig) {
    let r = |path: &str| web::resource(path.to_owned());
    cfg.service(
        r("/customers/{id}/interactions")
            .route(web::get().to(customer_interactions))
            .route(web::post().to(record_interaction))
            .default_service(method_not_allowed("GET, POST")),
    )
    .service(
        r("/interactions")
            .route(web::get().to(list_interactions))
            .default_service(method_not_allowed("GET")),
    )
    .service(
        r("/interactions/{id}")
            .route(web::get().to(get_interaction))
            .route(web::patch().to(update_interaction))
            .default_service(method_not_allowed("GET, PATCH")),
    )
    .service(
        r("/customers/{id}/surveys")
            .route(web::get().to(customer_surveys))
            .route(web::post().to(record_survey))
            .default_service(method_not_allowed("GET, POST")),
    )
    .service(
        r("/surveys")
            .route(web::get().to(list_surveys))
            .default_service(method_not_allowed("GET")),
    )
    .service(
        r("/customers/{id}/complaints")
            .route(web::get().to(customer_complaints))
            .route(web::post().to(open_complaint))
            .default_service(method_not_allowed("GET, POST")),
    )
    .service(
        r("/complaints")
            .route(web::get().to(list_complaints))
            .default_service(method_not_allowed("GET")),
    )
    .service(
        r("/complaints/{id}")
            .route(web::get().to(get_complaint))
            .route(web::patch().to(update_complaint))
            .default_service(method_not_allowed("GET, PATCH")),
    )
    .service(
        r("/complaints/{id}/transitions")
            .route(web::post().to(transition_complaint))
            .default_service(method_not_allowed("POST")),
    )
    .service(
        r("/customers/{id}/preferences")
            .route(web::get().to(get_preferences))
            .route(web::put().to(put_preferences))
            .default_service(method_not_allowed("GET, PUT")),
    )
    .service(
        r("/customers/{id}/consents")
            .route(web::get().to(get_consents))
            .route(web::post().to(record_consent))
            .default_service(method_not_allowed("GET, POST")),
    )
    .service(
        r("/customers/{id}/consents/history")
            .route(web::get().to(consent_history))
            .default_service(method_not_allowed("GET")),
    )
    .service(
        r("/customers/{id}/relationships")
            .route(web::get().to(get_relationships))
            .route(web::post().to(link))
            .default_service(method_not_allowed("GET, POST")),
    )
    .service(
        r("/customers/{id}/relationships/{relationship_id}")
            .route(web::delete().to(unlink))
            .default_service(method_not_allowed("DELETE")),
    )
    .service(
        r("/customers/{id}/loyalty")
            .route(web::get().to(get_loyalty))
            .route(web::put().to(put_loyalty))
            .default_service(method_not_allowed("GET, PUT")),
    )
    .service(
        r("/customers/{id}/points")
            .route(web::get().to(points_ledger))
            .route(web::post().to(record_points))
            .default_service(method_not_allowed("GET, POST")),
    )
    .service(
        r("/customers/{id}/timeline")
            .route(web::get().to(get_timeline))
            .default_service(method_not_allowed("GET")),
    );
}

/// A customer's consent in force on every channel.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentList {
    pub data: Vec<ConsentView>,
}

/// A customer's relationships, read from this customer's side.
#[derive(Debug, Serialize, ToSchema)]
pub struct RelationshipList {
    pub data: Vec<RelationshipView>,
}

fn customer_id(raw: &str) -> AppResult<uuid::Uuid> {
    parse_id("id", raw)
}

// ---------------------------------------------------------------------------------------
// Interactions

/// Query parameters of `GET /interactions`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InteractionParams {
    cursor: Option<String>,
    #[param(value_type = Option<u32>, minimum = 1, maximum = 200)]
    limit: Option<String>,
    #[param(value_type = Option<uuid::Uuid>)]
    customer_id: Option<String>,
    /// `call`, `email`, `meeting`, `visit`, `social`, `chat`, `sms` or `other`.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    #[param(value_type = Option<crate::domain::InteractionKind>)]
    kind: Option<String>,
    /// The user who had the interaction.
    #[param(value_type = Option<uuid::Uuid>)]
    user_id: Option<String>,
    /// Occurred at or after this RFC 3339 time.
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    occurred_after: Option<String>,
    /// Occurred before this RFC 3339 time.
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    occurred_before: Option<String>,
    /// `true`: only those whose next follow-up is due.
    #[param(value_type = Option<bool>)]
    follow_up_due: Option<String>,
}

/// List interactions with the customers the caller may see, newest first.
#[utoipa::path(get, path = "/api/v1/interactions", operation_id = "interactions_list", tag = "interactions", params(InteractionParams),
    responses((status = 200, description = "A page of interactions", body = InteractionPage),
        (status = 400, description = "A bad parameter", body = Problem, content_type = "application/problem+json")))]
pub async fn list_interactions(
    state: web::Data<AppState>,
    principal: Principal,
    params: web::Query<InteractionParams>,
) -> AppResult<HttpResponse> {
    let p = params.into_inner();
    let filter = InteractionFilter {
        customer_id: p
            .customer_id
            .map(|v| parse_id("customer_id", v.trim()))
            .transpose()?,
        kind: enum_param(
            "type",
            p.kind,
            InteractionKind::parse,
            InteractionKind::expected,
        )?,
        user_id: p
            .user_id
            .map(|v| parse_id("user_id", v.trim()))
            .transpose()?,
        occurred_after: super::time_param("occurred_after", p.occurred_after.as_deref())?,
        occurred_before: super::time_param("occurred_before", p.occurred_before.as_deref())?,
        follow_up_due: bool_param("follow_up_due", p.follow_up_due.as_deref())?,
    };
    let page = engagement::list_interactions(
        &state,
        &principal,
        filter,
        &window(p.cursor, p.limit.as_deref())?,
    )
    .await?;
    Ok(records::page::<_, InteractionPage>(page))
}

/// A customer's interactions, newest first.
#[utoipa::path(get, path = "/api/v1/customers/{id}/interactions", operation_id = "customer_interactions_list", tag = "interactions",
    params(("id" = uuid::Uuid, Path, description = "Customer id"), PageParams),
    responses((status = 200, description = "A page of interactions", body = InteractionPage),
        (status = 404, description = "No such customer", body = Problem, content_type = "application/problem+json")))]
pub async fn customer_interactions(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
    params: web::Query<PageParams>,
) -> AppResult<HttpResponse> {
    let id = customer_id(&id)?;
    crate::service::records::visible_customer(&state.db, &principal, id).await?;
    let p = params.into_inner();
    let filter = InteractionFilter {
        customer_id: Some(id),
        ..Default::default()
    };
    let page = engagement::list_interactions(
        &state,
        &principal,
        filter,
        &window(p.cursor, p.limit.as_deref())?,
    )
    .await?;
    Ok(records::page::<_, InteractionPage>(page))
}

/// Record an interaction (everyone but analysts); the user defaults to the caller.
#[utoipa::path(post, path = "/api/v1/customers/{id}/interactions", operation_id = "customer_interactions_record", tag = "interactions", request_body = InteractionInput,
    params(("id" = uuid::Uuid, Path, description = "Customer id"),
           ("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key and body get the first response (24 h). The effect and the stored response commit together: a request that failed on the server or died leaves the key free; a retry while the first is running waits for it")),
    responses((status = 201, description = "Recorded", body = InteractionView),
        (status = 404, description = "No such customer", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json")))]
pub async fn record_interaction(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    id: web::Path<String>,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    let id = customer_id(&id)?;
    let (state, principal) = (state.get_ref(), &principal);
    records::create(
        state,
        principal,
        &req,
        body.0,
        Some("/api/v1/interactions"),
        |db, doc| async move { engagement::record_interaction_in(&*db, principal, id, doc).await },
    )
    .await
}

/// Read one interaction.
#[utoipa::path(get, path = "/api/v1/interactions/{id}", operation_id = "interactions_get", tag = "interactions",
    params(("id" = uuid::Uuid, Path, description = "Interaction id")),
    responses((status = 200, description = "The interaction", body = InteractionView),
        (status = 404, description = "No such interaction", body = Problem, content_type = "application/problem+json")))]
pub async fn get_interaction(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let view = engagement::get_interaction(&state, &principal, parse_id("id", &id)?).await?;
    Ok(ok_with_etag(&view))
}

/// Change an interaction (merge patch: only the fields sent, `null` clears).
#[utoipa::path(patch, path = "/api/v1/interactions/{id}", operation_id = "interactions_update", tag = "interactions", request_body = InteractionInput,
    params(("id" = uuid::Uuid, Path, description = "Interaction id"),
           ("If-Match" = Option<String>, Header, description = "ETag of the version this change is based on")),
    responses((status = 200, description = "Updated", body = InteractionView),
        (status = 404, description = "No such interaction", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Stale `If-Match`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json")))]
pub async fn update_interaction(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    id: web::Path<String>,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    let id = parse_id("id", &id)?;
    let view =
        engagement::update_interaction(&state, &principal, id, if_match(&req)?, body.0).await?;
    Ok(ok_with_etag(&view))
}

// ---------------------------------------------------------------------------------------
// Surveys

/// Query parameters of `GET /surveys`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SurveyParams {
    cursor: Option<String>,
    #[param(value_type = Option<u32>, minimum = 1, maximum = 200)]
    limit: Option<String>,
    #[param(value_type = Option<uuid::Uuid>)]
    customer_id: Option<String>,
}

/// List survey answers of the customers the caller may see, newest first.
#[utoipa::path(get, path = "/api/v1/surveys", operation_id = "surveys_list", tag = "surveys", params(SurveyParams),
    responses((status = 200, description = "A page of survey answers", body = SurveyPage)))]
pub async fn list_surveys(
    state: web::Data<AppState>,
    principal: Principal,
    params: web::Query<SurveyParams>,
) -> AppResult<HttpResponse> {
    let p = params.into_inner();
    let id = p
        .customer_id
        .map(|v| parse_id("customer_id", v.trim()))
        .transpose()?;
    let page = engagement::list_surveys(
        &state,
        &principal,
        id,
        &window(p.cursor, p.limit.as_deref())?,
    )
    .await?;
    Ok(records::page::<_, SurveyPage>(page))
}

/// A customer's survey answers, newest first.
#[utoipa::path(get, path = "/api/v1/customers/{id}/surveys", operation_id = "customer_surveys_list", tag = "surveys",
    params(("id" = uuid::Uuid, Path, description = "Customer id"), PageParams),
    responses((status = 200, description = "A page of survey answers", body = SurveyPage),
        (status = 404, description = "No such customer", body = Problem, content_type = "application/problem+json")))]
pub async fn customer_surveys(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
    params: web::Query<PageParams>,
) -> AppResult<HttpResponse> {
    let id = customer_id(&id)?;
    crate::service::records::visible_customer(&state.db, &principal, id).await?;
    let p = params.into_inner();
    let page = engagement::list_surveys(
        &state,
        &principal,
        Some(id),
        &window(p.cursor, p.limit.as_deref())?,
    )
    .await?;
    Ok(records::page::<_, SurveyPage>(page))
}

/// Record a survey answer: CSAT 1–5 and/or NPS 0–10.
#[utoipa::path(post, path = "/api/v1/customers/{id}/surveys", operation_id = "customer_surveys_record", tag = "surveys", request_body = SurveyInput,
    params(("id" = uuid::Uuid, Path, description = "Customer id")),
    responses((status = 201, description = "Recorded", body = SurveyView),
        (status = 404, description = "No such customer", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json")))]
pub async fn record_survey(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    id: web::Path<String>,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    let id = customer_id(&id)?;
    let (state, principal) = (state.get_ref(), &principal);
    records::create(state, principal, &req, body.0, None, |db, doc| async move {
        engagement::record_survey_in(&*db, principal, id, doc).await
    })
    .await
}

// ---------------------------------------------------------------------------------------
// Complaints

/// Query parameters of `GET /complaints`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ComplaintParams {
    cursor: Option<String>,
    #[param(value_type = Option<u32>, minimum = 1, maximum = 200)]
    limit: Option<String>,
    #[param(value_type = Option<uuid::Uuid>)]
    customer_id: Option<String>,
    /// `open`, `acknowledged`, `in_progress`, `resolved` or `closed`.
    #[param(value_type = Option<crate::domain::ComplaintStatus>)]
    status: Option<String>,
    /// `low`, `medium`, `high` or `critical`.
    #[param(value_type = Option<crate::domain::ComplaintSeverity>)]
    severity: Option<String>,
    /// `true`: only unresolved complaints past their SLA.
    #[param(value_type = Option<bool>)]
    overdue: Option<String>,
}

/// List complaints of the customers the caller may see, newest first.
#[utoipa::path(get, path = "/api/v1/complaints", operation_id = "complaints_list", tag = "complaints", params(ComplaintParams),
    responses((status = 200, description = "A page of complaints", body = ComplaintPage),
        (status = 400, description = "A bad parameter", body = Problem, content_type = "application/problem+json")))]
pub async fn list_complaints(
    state: web::Data<AppState>,
    principal: Principal,
    params: web::Query<ComplaintParams>,
) -> AppResult<HttpResponse> {
    let p = params.into_inner();
    let filter = ComplaintFilter {
        customer_id: p
            .customer_id
            .map(|v| parse_id("customer_id", v.trim()))
            .transpose()?,
        status: enum_param(
            "status",
            p.status,
            ComplaintStatus::parse,
            ComplaintStatus::expected,
        )?,
        severity: enum_param(
            "severity",
            p.severity,
            ComplaintSeverity::parse,
            ComplaintSeverity::expected,
        )?,
        overdue: bool_param("overdue", p.overdue.as_deref())?,
    };
    let page = engagement::list_complaints(
        &state,
        &principal,
        filter,
        &window(p.cursor, p.limit.as_deref())?,
    )
    .await?;
    Ok(records::page::<_, ComplaintPage>(page))
}

/// A customer's complaints, newest first.
#[utoipa::path(get, path = "/api/v1/customers/{id}/complaints", operation_id = "customer_complaints_list", tag = "complaints",
    params(("id" = uuid::Uuid, Path, description = "Customer id"), PageParams),
    responses((status = 200, description = "A page of complaints", body = ComplaintPage),
        (status = 404, description = "No such customer", body = Problem, content_type = "application/problem+json")))]
pub async fn customer_complaints(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
    params: web::Query<PageParams>,
) -> AppResult<HttpResponse> {
    let id = customer_id(&id)?;
    crate::service::records::visible_customer(&state.db, &principal, id).await?;
    let p = params.into_inner();
    let filter = ComplaintFilter {
        customer_id: Some(id),
        ..Default::default()
    };
    let page = engagement::list_complaints(
        &state,
        &principal,
        filter,
        &window(p.cursor, p.limit.as_deref())?,
    )
    .await?;
    Ok(records::page::<_, ComplaintPage>(page))
}

/// Open a complaint; its SLA follows from its severity.
#[utoipa::path(post, path = "/api/v1/customers/{id}/complaints", operation_id = "customer_complaints_open", tag = "complaints", request_body = ComplaintInput,
    params(("id" = uuid::Uuid, Path, description = "Customer id"),
           ("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key and body get the first response (24 h). The effect and the stored response commit together: a request that failed on the server or died leaves the key free; a retry while the first is running waits for it")),
    responses((status = 201, description = "Opened", body = ComplaintView),
        (status = 404, description = "No such customer", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json")))]
pub async fn open_complaint(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    id: web::Path<String>,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    let id = customer_id(&id)?;
    let (state, principal) = (state.get_ref(), &principal);
    records::create(
        state,
        principal,
        &req,
        body.0,
        Some("/api/v1/complaints"),
        |db, doc| async move { engagement::open_complaint_in(&*db, principal, id, doc).await },
    )
    .await
}

/// Read one complaint with its history.
#[utoipa::path(get, path = "/api/v1/complaints/{id}", operation_id = "complaints_get", tag = "complaints",
    params(("id" = uuid::Uuid, Path, description = "Complaint id")),
    responses((status = 200, description = "The complaint", body = ComplaintView),
        (status = 404, description = "No such complaint", body = Problem, content_type = "application/problem+json")))]
pub async fn get_complaint(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let view = engagement::get_complaint(&state, &principal, parse_id("id", &id)?).await?;
    Ok(ok_with_etag(&view))
}

/// Change a complaint's category, severity (moves the SLA), subject, description or
/// post-resolution satisfaction.
#[utoipa::path(patch, path = "/api/v1/complaints/{id}", operation_id = "complaints_update", tag = "complaints", request_body = ComplaintInput,
    params(("id" = uuid::Uuid, Path, description = "Complaint id"),
           ("If-Match" = Option<String>, Header, description = "ETag of the version this change is based on")),
    responses((status = 200, description = "Updated", body = ComplaintView),
        (status = 404, description = "No such complaint", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Stale `If-Match`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json")))]
pub async fn update_complaint(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    id: web::Path<String>,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    let id = parse_id("id", &id)?;
    let view =
        engagement::update_complaint(&state, &principal, id, if_match(&req)?, body.0).await?;
    Ok(ok_with_etag(&view))
}

/// Move a complaint along open → acknowledged → in_progress → resolved → closed (reopen from
/// resolved or closed). An illegal step is a 409 whose `allowed` lists the legal ones.
#[utoipa::path(post, path = "/api/v1/complaints/{id}/transitions", operation_id = "complaints_transition", tag = "complaints", request_body = ComplaintTransitionInput,
    params(("id" = uuid::Uuid, Path, description = "Complaint id"),
           ("If-Match" = Option<String>, Header, description = "ETag of the version this step is based on")),
    responses((status = 200, description = "Moved; the step is in `events`", body = ComplaintView),
        (status = 404, description = "No such complaint", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Illegal transition", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Stale `If-Match`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields (a resolution is required to resolve)", body = Problem, content_type = "application/problem+json")))]
pub async fn transition_complaint(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    id: web::Path<String>,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    let id = parse_id("id", &id)?;
    let view =
        engagement::transition_complaint(&state, &principal, id, if_match(&req)?, body.0).await?;
    Ok(ok_with_etag(&view))
}

// ---------------------------------------------------------------------------------------
// Preferences and consent

/// A customer's preferences.
#[utoipa::path(get, path = "/api/v1/customers/{id}/preferences", operation_id = "customer_preferences_get", tag = "consent",
    params(("id" = uuid::Uuid, Path, description = "Customer id")),
    responses((status = 200, description = "The preferences; `ETag` set (`\"0\"` when never set)", body = PreferencesView),
        (status = 404, description = "No such customer", body = Problem, content_type = "application/problem+json")))]
pub async fn get_preferences(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let view = relations::preferences(&state, &principal, customer_id(&id)?).await?;
    Ok(records::ok_with_version(&view, view.version))
}

/// Replace a customer's preferences. `If-Match` makes it conditional (`"0"`: only if never
/// set).
#[utoipa::path(put, path = "/api/v1/customers/{id}/preferences", operation_id = "customer_preferences_put", tag = "consent", request_body = PreferencesInput,
    params(("id" = uuid::Uuid, Path, description = "Customer id"),
           ("If-Match" = Option<String>, Header, description = "ETag of the version this change is based on")),
    responses((status = 200, description = "The new preferences; new `ETag`", body = PreferencesView),
        (status = 404, description = "No such customer", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Stale `If-Match`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json")))]
pub async fn put_preferences(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    id: web::Path<String>,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    let id = customer_id(&id)?;
    let view = relations::set_preferences(&state, &principal, id, if_match(&req)?, body.0).await?;
    Ok(records::ok_with_version(&view, view.version))
}

/// The consent in force on each channel (email, sms, phone, wechat, post).
#[utoipa::path(get, path = "/api/v1/customers/{id}/consents", operation_id = "customer_consents_get", tag = "consent",
    params(("id" = uuid::Uuid, Path, description = "Customer id")),
    responses((status = 200, description = "Consent per channel", body = ConsentList),
        (status = 404, description = "No such customer", body = Problem, content_type = "application/problem+json")))]
pub async fn get_consents(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let data = relations::consents(&state, &principal, customer_id(&id)?).await?;
    Ok(private_json(StatusCode::OK, &ConsentList { data }))
}

/// Record a grant or withdrawal of consent; the history keeps every change.
#[utoipa::path(post, path = "/api/v1/customers/{id}/consents", operation_id = "customer_consents_record", tag = "consent", request_body = ConsentInput,
    params(("id" = uuid::Uuid, Path, description = "Customer id")),
    responses((status = 201, description = "Recorded", body = ConsentEventView),
        (status = 404, description = "No such customer", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json")))]
pub async fn record_consent(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    id: web::Path<String>,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    let id = customer_id(&id)?;
    let (state, principal) = (state.get_ref(), &principal);
    records::create(state, principal, &req, body.0, None, |db, doc| async move {
        relations::record_consent_in(&*db, principal, id, doc).await
    })
    .await
}

/// Every consent change of a customer, newest first.
#[utoipa::path(get, path = "/api/v1/customers/{id}/consents/history", operation_id = "customer_consents_history", tag = "consent",
    params(("id" = uuid::Uuid, Path, description = "Customer id"), PageParams),
    responses((status = 200, description = "A page of consent changes", body = ConsentEventPage),
        (status = 404, description = "No such customer", body = Problem, content_type = "application/problem+json")))]
pub async fn consent_history(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
    params: web::Query<PageParams>,
) -> AppResult<HttpResponse> {
    let p = params.into_inner();
    let page = relations::consent_history(
        &state,
        &principal,
        customer_id(&id)?,
        &window(p.cursor, p.limit.as_deref())?,
    )
    .await?;
    Ok(records::page::<_, ConsentEventPage>(page))
}

// ---------------------------------------------------------------------------------------
// Relationships

/// A customer's relationships in both directions, read from this customer's side.
#[utoipa::path(get, path = "/api/v1/customers/{id}/relationships", operation_id = "customer_relationships_list", tag = "relationships",
    params(("id" = uuid::Uuid, Path, description = "Customer id")),
    responses((status = 200, description = "The relationships", body = RelationshipList),
        (status = 404, description = "No such customer", body = Problem, content_type = "application/problem+json")))]
pub async fn get_relationships(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let data = relations::relationships(&state, &principal, customer_id(&id)?).await?;
    Ok(private_json(StatusCode::OK, &RelationshipList { data }))
}

/// Link this customer to another (no self-links, no duplicates).
#[utoipa::path(post, path = "/api/v1/customers/{id}/relationships", operation_id = "customer_relationships_link", tag = "relationships", request_body = RelationshipInput,
    params(("id" = uuid::Uuid, Path, description = "Customer id")),
    responses((status = 201, description = "Linked", body = RelationshipView),
        (status = 404, description = "No such customer", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already linked", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid link", body = Problem, content_type = "application/problem+json")))]
pub async fn link(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    id: web::Path<String>,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    let id = customer_id(&id)?;
    let (state, principal) = (state.get_ref(), &principal);
    records::create(state, principal, &req, body.0, None, |db, doc| async move {
        relations::link_in(&*db, principal, id, doc).await
    })
    .await
}

/// Remove a link.
#[utoipa::path(delete, path = "/api/v1/customers/{id}/relationships/{relationship_id}", operation_id = "customer_relationships_unlink", tag = "relationships",
    params(("id" = uuid::Uuid, Path, description = "Customer id"), ("relationship_id" = uuid::Uuid, Path, description = "Relationship id")),
    responses((status = 204, description = "Removed"),
        (status = 404, description = "No such link", body = Problem, content_type = "application/problem+json")))]
pub async fn unlink(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (id, link) = path.into_inner();
    relations::unlink(
        &state,
        &principal,
        customer_id(&id)?,
        parse_id("relationship_id", &link)?,
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

// ---------------------------------------------------------------------------------------
// Loyalty

/// A customer's membership tier and points balance.
#[utoipa::path(get, path = "/api/v1/customers/{id}/loyalty", operation_id = "customer_loyalty_get", tag = "loyalty",
    params(("id" = uuid::Uuid, Path, description = "Customer id")),
    responses((status = 200, description = "Membership and balance; `ETag` set (`\"0\"` when not a member)", body = LoyaltyView),
        (status = 404, description = "No such customer", body = Problem, content_type = "application/problem+json")))]
pub async fn get_loyalty(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let view = relations::loyalty(&state, &principal, customer_id(&id)?).await?;
    Ok(records::ok_with_version(&view, view.version))
}

/// Enrol a customer or change their tier. `If-Match` makes it conditional (`"0"`: only if
/// not yet a member).
#[utoipa::path(put, path = "/api/v1/customers/{id}/loyalty", operation_id = "customer_loyalty_put", tag = "loyalty", request_body = LoyaltyInput,
    params(("id" = uuid::Uuid, Path, description = "Customer id"),
           ("If-Match" = Option<String>, Header, description = "ETag of the version this change is based on")),
    responses((status = 200, description = "Membership and balance; new `ETag`", body = LoyaltyView),
        (status = 404, description = "No such customer", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Stale `If-Match`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid tier", body = Problem, content_type = "application/problem+json")))]
pub async fn put_loyalty(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    id: web::Path<String>,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    let id = customer_id(&id)?;
    let view = relations::set_tier(&state, &principal, id, if_match(&req)?, body.0).await?;
    Ok(records::ok_with_version(&view, view.version))
}

/// A customer's points ledger, newest first.
#[utoipa::path(get, path = "/api/v1/customers/{id}/points", operation_id = "customer_points_list", tag = "loyalty",
    params(("id" = uuid::Uuid, Path, description = "Customer id"), PageParams),
    responses((status = 200, description = "A page of the ledger", body = PointsPage),
        (status = 404, description = "No such customer", body = Problem, content_type = "application/problem+json")))]
pub async fn points_ledger(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
    params: web::Query<PageParams>,
) -> AppResult<HttpResponse> {
    let p = params.into_inner();
    let page = relations::points_ledger(
        &state,
        &principal,
        customer_id(&id)?,
        &window(p.cursor, p.limit.as_deref())?,
    )
    .await?;
    Ok(records::page::<_, PointsPage>(page))
}

/// Earn, redeem, expire or adjust points; redeeming more than the balance is refused.
#[utoipa::path(post, path = "/api/v1/customers/{id}/points", operation_id = "customer_points_record", tag = "loyalty", request_body = PointsInput,
    params(("id" = uuid::Uuid, Path, description = "Customer id"),
           ("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key and body get the first response (24 h). The effect and the stored response commit together: a request that failed on the server or died leaves the key free; a retry while the first is running waits for it")),
    responses((status = 201, description = "Recorded, with the balance after it", body = PointsEntryView),
        (status = 404, description = "No such customer", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid points or more than the balance (`exceeds_balance`)", body = Problem, content_type = "application/problem+json")))]
pub async fn record_points(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    id: web::Path<String>,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    let id = customer_id(&id)?;
    let (state, principal) = (state.get_ref(), &principal);
    records::create(state, principal, &req, body.0, None, |db, doc| async move {
        relations::record_points_in(&*db, principal, id, doc).await
    })
    .await
}

// ---------------------------------------------------------------------------------------
// Timeline

/// Query parameters of the timeline.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TimelineParams {
    cursor: Option<String>,
    #[param(value_type = Option<u32>, minimum = 1, maximum = 200)]
    limit: Option<String>,
    /// Comma-separated kinds to include: `order`, `interaction`, `survey`,
    /// `complaint_event`, `consent` (default all).
    #[param(value_type = Option<Vec<TimelineKind>>, style = Form, explode = false)]
    types: Option<String>,
}

/// A customer's timeline: orders, interactions, survey answers, complaint steps and consent
/// changes, newest first.
#[utoipa::path(get, path = "/api/v1/customers/{id}/timeline", operation_id = "customer_timeline_list", tag = "timeline",
    params(("id" = uuid::Uuid, Path, description = "Customer id"), TimelineParams),
    responses((status = 200, description = "A page of the timeline", body = TimelinePage),
        (status = 400, description = "A bad parameter", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer", body = Problem, content_type = "application/problem+json")))]
pub async fn get_timeline(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
    params: web::Query<TimelineParams>,
) -> AppResult<HttpResponse> {
    let p = params.into_inner();
    let kinds = p
        .types
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| {
            TimelineKind::parse(t).ok_or_else(|| {
                AppError::bad_param(
                    "types",
                    "invalid_enum",
                    format!("must be among: {}", TimelineKind::expected()),
                )
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    let page = timeline::timeline(
        &state,
        &principal,
        customer_id(&id)?,
        &kinds,
        &window(p.cursor, p.limit.as_deref())?,
    )
    .await?;
    Ok(records::page::<_, TimelinePage>(page))
}
