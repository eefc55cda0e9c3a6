//! `Idempotency-Key` on REST POSTs: run once, replay the stored response on retries.

use std::future::Future;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse};
use serde_json::Value;

use super::error::Problem;
use crate::error::{AppError, AppResult};
use crate::policy::Principal;
use crate::service::integration::idempotency::{self, Claim, KeyedRequest, StoredResponse};
use crate::state::AppState;

/// Header naming the key.
pub const HEADER: &str = "Idempotency-Key";

/// A successful response before it is sent: status, body and the headers worth replaying.
pub struct Created {
    pub status: StatusCode,
    pub location: Option<String>,
    pub etag: Option<String>,
    pub body: Value,
}

fn respond(stored: &StoredResponse, replayed: bool) -> HttpResponse {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = HttpResponse::build(status);
    let content_type = if stored.status >= 400 {
        "application/problem+json"
    } else {
        "application/json"
    };
    response.content_type(content_type);
    response.insert_header((header::CACHE_CONTROL, "private, no-store"));
    if let Some(location) = &stored.location {
        response.insert_header((header::LOCATION, location.as_str()));
    }
    if let Some(etag) = &stored.etag {
        response.insert_header((header::ETAG, etag.as_str()));
    }
    if replayed {
        response.insert_header(("Idempotent-Replayed", "true"));
    }
    response.body(stored.body.clone())
}

/// Run `op` unless this principal already sent the same request with the same key; store
/// its outcome (success or client error) for retries. Server errors are not stored, so a
/// retry runs again. Without the header, `op` simply runs.
///
/// # Errors
/// The error of `op`, or a key problem (malformed, reused for another request, in progress).
pub async fn run<F, Fut>(
    state: &AppState,
    principal: &Principal,
    req: &HttpRequest,
    body: &Value,
    op: F,
) -> AppResult<HttpResponse>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = AppResult<Created>>,
{
    let Some(key) = req.headers().get(HEADER) else {
        return op().await.map(|created| {
            let stored = stored_from(&created);
            respond(&stored, false)
        });
    };
    let key = key
        .to_str()
        .map_err(|_| {
            AppError::bad_param(HEADER, "invalid_idempotency_key", "must be printable ASCII")
        })?
        .trim()
        .to_owned();
    let bytes = serde_json::to_vec(body).map_err(|e| AppError::Internal(e.into()))?;
    let keyed = KeyedRequest {
        key: &key,
        method: req.method().as_str(),
        path: req.path(),
        body: &bytes,
    };
    match idempotency::claim(state, principal, &keyed).await? {
        Claim::Replay(stored) => Ok(respond(&stored, true)),
        Claim::New => match op().await {
            Ok(created) => {
                let stored = stored_from(&created);
                idempotency::complete(state, principal, &key, &stored).await?;
                Ok(respond(&stored, false))
            }
            Err(err) if err.status() < 500 => {
                let stored = StoredResponse {
                    status: err.status(),
                    location: None,
                    etag: None,
                    body: serde_json::to_string(&Problem::from(&err)).unwrap_or_default(),
                };
                idempotency::complete(state, principal, &key, &stored).await?;
                Err(err)
            }
            Err(err) => {
                idempotency::release(state, principal, &key).await?;
                Err(err)
            }
        },
    }
}

fn stored_from(created: &Created) -> StoredResponse {
    StoredResponse {
        status: created.status.as_u16(),
        location: created.location.clone(),
        etag: created.etag.clone(),
        body: created.body.to_string(),
    }
}
