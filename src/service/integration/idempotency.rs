//! Idempotency keys: a retried POST gets the first response instead of a second write.
//!
//! The lookup key is (principal, key), so keys of different callers never meet. A key is
//! remembered for 24 hours. Reusing it for a different request is an error, and so is
//! retrying while the first request is still running.

use chrono::Duration;
use entity::idempotency_key;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use sha2::{Digest, Sha256};

use crate::error::{AppError, AppResult};
use crate::policy::Principal;
use crate::state::AppState;

/// How long a key is remembered.
pub const RETENTION_HOURS: i64 = 24;

/// The response stored for a key.
#[derive(Debug, Clone)]
pub struct StoredResponse {
    pub status: u16,
    pub location: Option<String>,
    pub etag: Option<String>,
    pub body: String,
}

/// What to do with a keyed request.
#[derive(Debug)]
pub enum Claim {
    /// First time: run it, then [`complete`] or [`release`].
    New,
    /// Seen before: answer with the stored response.
    Replay(StoredResponse),
}

/// A request as far as idempotency cares.
pub struct KeyedRequest<'a> {
    pub key: &'a str,
    pub method: &'a str,
    pub path: &'a str,
    pub body: &'a [u8],
}

fn check_key(key: &str) -> AppResult<()> {
    let ok = !key.is_empty()
        && key.len() <= 255
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'));
    if ok {
        Ok(())
    } else {
        Err(AppError::bad_param(
            "Idempotency-Key",
            "invalid_idempotency_key",
            "must be 1-255 characters of letters, digits, '-', '_', '.' or ':'",
        ))
    }
}

/// Claim `request.key` for this principal, or find the response it already has.
///
/// # Errors
/// `BadRequest` for a malformed key; `Validation` when the key was used for a different
/// request; `Conflict` while the first request with the key is still running.
pub async fn claim(
    state: &AppState,
    principal: &Principal,
    request: &KeyedRequest<'_>,
) -> AppResult<Claim> {
    check_key(request.key)?;
    let subject = principal.subject();
    let hash = format!("{:x}", Sha256::digest(request.body));
    let expired_before = crate::clock::now() - Duration::hours(RETENTION_HOURS);
    idempotency_key::Entity::delete_many()
        .filter(idempotency_key::Column::CreatedAt.lt(expired_before))
        .exec(&state.db)
        .await?;
    let existing = idempotency_key::Entity::find_by_id((subject.clone(), request.key.to_owned()))
        .one(&state.db)
        .await?;
    if let Some(row) = existing {
        if row.method != request.method || row.path != request.path || row.request_hash != hash {
            return Err(AppError::invalid(
                "Idempotency-Key",
                "idempotency_key_reused",
                "was already used for a different request; use a new key",
            ));
        }
        return match (row.status, row.body) {
            (Some(status), Some(body)) => Ok(Claim::Replay(StoredResponse {
                status: u16::try_from(status).unwrap_or(500),
                location: row.location,
                etag: row.etag,
                body,
            })),
            _ => Err(AppError::Conflict(
                "a request with this Idempotency-Key is still being processed; retry later"
                    .to_owned(),
            )),
        };
    }
    let pending = idempotency_key::ActiveModel {
        principal: Set(subject),
        key: Set(request.key.to_owned()),
        method: Set(request.method.to_owned()),
        path: Set(request.path.to_owned()),
        request_hash: Set(hash),
        status: Set(None),
        location: Set(None),
        etag: Set(None),
        body: Set(None),
        created_at: Set(crate::clock::now()),
    };
    match pending.insert(&state.db).await {
        Ok(_) => Ok(Claim::New),
        // Another request with the same key won the race.
        Err(err) => match AppError::from(err) {
            AppError::Conflict(_) => Err(AppError::Conflict(
                "a request with this Idempotency-Key is still being processed; retry later"
                    .to_owned(),
            )),
            other => Err(other),
        },
    }
}

/// Store the response of a claimed key.
///
/// # Errors
/// Database failures.
pub async fn complete(
    state: &AppState,
    principal: &Principal,
    key: &str,
    response: &StoredResponse,
) -> AppResult<()> {
    idempotency_key::Entity::update_many()
        .col_expr(
            idempotency_key::Column::Status,
            i32::from(response.status).into(),
        )
        .col_expr(
            idempotency_key::Column::Location,
            response.location.clone().into(),
        )
        .col_expr(idempotency_key::Column::Etag, response.etag.clone().into())
        .col_expr(
            idempotency_key::Column::Body,
            Some(response.body.clone()).into(),
        )
        .filter(idempotency_key::Column::Principal.eq(principal.subject()))
        .filter(idempotency_key::Column::Key.eq(key))
        .exec(&state.db)
        .await?;
    Ok(())
}

/// Forget a claimed key whose request failed on the server side, so a retry runs again.
///
/// # Errors
/// Database failures.
pub async fn release(state: &AppState, principal: &Principal, key: &str) -> AppResult<()> {
    idempotency_key::Entity::delete_by_id((principal.subject(), key.to_owned()))
        .exec(&state.db)
        .await?;
    Ok(())
}
