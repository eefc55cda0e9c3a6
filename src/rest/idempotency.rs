//! `Idempotency-Key` on REST POSTs: run once, replay the stored response on retries.

use std::future::Future;
use std::sync::Arc;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse};
use sea_orm::DatabaseTransaction;
use serde_json::Value;

use super::error::Problem;
use crate::error::{AppError, AppResult};
use crate::policy::Principal;
use crate::service::integration::idempotency::{self, Claim, KeyedRequest, StoredResponse};
use crate::state::AppState;

/// Header naming the key.
pub const HEADER: &str = "Idempotency-Key";

/// The write transaction a keyed (or unkeyed) create runs in: read and write through
/// `&*tx`, never through the pool, until the response is built.
pub type Tx = Arc<DatabaseTransaction>;

/// A successful response before it is sent: status, body and the headers worth replaying.
pub struct Created {
    pub status: StatusCode,
    pub location: Option<String>,
    pub etag: Option<String>,
    pub body: Value,
    /// Work to start once the effect has committed (not on a replay).
    pub then: Option<Box<dyn FnOnce()>>,
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
/// its outcome (success or client error) for retries. Without the header, `op` simply runs.
/// See [`run_keyed`].
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
    F: FnOnce(Tx) -> Fut,
    Fut: Future<Output = AppResult<Created>>,
{
    let bytes = serde_json::to_vec(body).map_err(|e| AppError::Internal(e.into()))?;
    run_keyed(state, principal, req, &bytes, op).await
}

/// As [`run`], for a request whose identity is `fingerprint` (for a file upload: its
/// parameters and the digest of the file) rather than a JSON body.
///
/// `op` gets the write transaction to do all its work in, reads included. With a key, that
/// transaction also holds the key's claim and, once `op` is done, its response: the effect
/// and the response commit together or not at all, so a request that dies leaves its key
/// free, and a retry replays the response of the one that committed. Client errors (4xx)
/// are stored with the effect of `op` rolled back; server errors are not stored, so a retry
/// runs again. [`Created::then`] runs once the transaction has committed.
///
/// # Errors
/// As [`run`].
pub async fn run_keyed<F, Fut>(
    state: &AppState,
    principal: &Principal,
    req: &HttpRequest,
    fingerprint: &[u8],
    op: F,
) -> AppResult<HttpResponse>
where
    F: FnOnce(Tx) -> Fut,
    Fut: Future<Output = AppResult<Created>>,
{
    let Some(key) = req.headers().get(HEADER) else {
        let txn = idempotency::begin(state).await?;
        let (txn, created) = within(txn, op).await;
        let created = created?;
        let txn = txn.ok_or_else(leaked)?;
        idempotency::commit(txn).await?;
        return Ok(finish(created, false));
    };
    let key = key
        .to_str()
        .map_err(|_| {
            AppError::bad_param(HEADER, "invalid_idempotency_key", "must be printable ASCII")
        })?
        .trim()
        .to_owned();
    let keyed = KeyedRequest {
        key: &key,
        method: req.method().as_str(),
        path: req.path(),
        body: fingerprint,
    };
    let txn = match idempotency::claim(state, principal, &keyed).await? {
        Claim::Replay(stored) => return Ok(respond(&stored, true)),
        Claim::New(txn) => txn,
    };
    // The request runs in a savepoint, so that a client error can roll back what it did
    // and still store its answer.
    let savepoint = idempotency::savepoint(&txn).await?;
    let (savepoint, outcome) = within(savepoint, op).await;
    let savepoint = savepoint.ok_or_else(leaked)?;
    match outcome {
        Ok(created) => {
            idempotency::commit(savepoint).await?;
            idempotency::complete(txn, principal, &key, &stored_from(&created)).await?;
            Ok(finish(created, false))
        }
        Err(err) if err.status() < 500 => {
            drop(savepoint);
            let stored = StoredResponse {
                status: err.status(),
                location: None,
                etag: None,
                body: serde_json::to_string(&Problem::from(&err)).unwrap_or_default(),
            };
            idempotency::complete(txn, principal, &key, &stored).await?;
            Err(err)
        }
        // Dropped uncommitted: the claim goes with the effect.
        Err(err) => Err(err),
    }
}

/// Run `op` on `txn` and take the transaction back from it.
async fn within<F, Fut>(
    txn: DatabaseTransaction,
    op: F,
) -> (Option<DatabaseTransaction>, AppResult<Created>)
where
    F: FnOnce(Tx) -> Fut,
    Fut: Future<Output = AppResult<Created>>,
{
    let shared = Arc::new(txn);
    let outcome = op(Arc::clone(&shared)).await;
    (Arc::into_inner(shared), outcome)
}

fn leaked() -> AppError {
    AppError::Internal(anyhow::anyhow!(
        "the write transaction outlived the request that used it"
    ))
}

fn finish(created: Created, replayed: bool) -> HttpResponse {
    let response = respond(&stored_from(&created), replayed);
    if let Some(then) = created.then {
        then();
    }
    response
}
fn stored_from(created: &Created) -> StoredResponse {
    StoredResponse {
        status: created.status.as_u16(),
        location: created.location.clone(),
        etag: created.etag.clone(),
        body: created.body.to_string(),
    }
}
