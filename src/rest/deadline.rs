//! The request deadline: a request whose response has not begun within
//! `DOSSIER_REQUEST_TIMEOUT_MS` is answered 503 with `Retry-After`, and its work is dropped
//! (its database statements are cancelled with it). A streamed body (an export) is not
//! bounded by it once its head is sent.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;

use crate::error::AppError;
use crate::state::AppState;

/// Run the rest of the chain under the configured deadline.
///
/// # Errors
/// Those of the wrapped service.
pub async fn deadline(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(limit) = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.settings.timeouts.request)
    else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    match tokio::time::timeout(limit, next.call(req)).await {
        Ok(response) => Ok(response?.map_into_boxed_body()),
        Err(_) => {
            tracing::warn!(limit_ms = limit.as_millis(), "request over its deadline");
            // Answered as an error: the request itself went down with the dropped work, and
            // actix renders the error (problem+json, `Retry-After`) for it.
            Err(AppError::Unavailable {
                retry_after: 1,
                reason: "the request took longer than the server allows",
            }
            .into())
        }
    }
}
