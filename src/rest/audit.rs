//! `/api/v1/audit`: the audit log (admin only).

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::error::{Problem, method_not_allowed};
use crate::domain::parse_id;
use crate::error::{AppError, AppResult};
use crate::policy::Principal;
use crate::service::identity::audit::{self, AuditFilter};
use crate::service::records::Window;
use crate::state::AppState;
use crate::types::audit::AuditPage;

/// The audit routes.
pub fn scope() -> actix_web::Scope {
    web::scope("/audit").service(
        web::resource("")
            .route(web::get().to(list))
            .default_service(method_not_allowed("GET")),
    )
}

/// Query parameters of `GET /audit`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// Events by this user.
    #[param(value_type = Option<uuid::Uuid>)]
    actor_id: Option<String>,
    /// Events about this customer.
    #[param(value_type = Option<uuid::Uuid>)]
    customer_id: Option<String>,
    /// One action, e.g. `customer.updated` or `login.failed`.
    action: Option<String>,
    /// At or after this RFC 3339 time.
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    from: Option<String>,
    /// Before this RFC 3339 time.
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    to: Option<String>,
    /// Opaque cursor from a previous page.
    cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 200)]
    limit: Option<String>,
}

/// Read the audit log, newest first.
#[utoipa::path(get, path = "/api/v1/audit", operation_id = "audit_list", tag = "audit", params(AuditParams),
    responses(
        (status = 200, description = "A page of events", body = AuditPage),
        (status = 400, description = "A bad parameter", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    state: web::Data<AppState>,
    principal: Principal,
    params: web::Query<AuditParams>,
) -> AppResult<HttpResponse> {
    let p = params.into_inner();
    let filter = AuditFilter {
        actor_user_id: p
            .actor_id
            .as_deref()
            .map(|v| parse_id("actor_id", v.trim()))
            .transpose()?,
        customer_id: p
            .customer_id
            .as_deref()
            .map(|v| parse_id("customer_id", v.trim()))
            .transpose()?,
        action: p.action,
        from: super::time_param("from", p.from.as_deref())?,
        to: super::time_param("to", p.to.as_deref())?,
    };
    let limit = match p.limit {
        None => 50,
        Some(v) => v.trim().parse().map_err(|_| {
            AppError::bad_param("limit", "out_of_range", "must be between 1 and 200")
        })?,
    };
    let window = Window::new(Some(limit), "limit", p.cursor, "cursor")?;
    let page = audit::list(&state, &principal, &filter, &window).await?;
    Ok(HttpResponse::Ok().json(AuditPage {
        data: page.items,
        next_cursor: page.next_cursor,
    }))
}
