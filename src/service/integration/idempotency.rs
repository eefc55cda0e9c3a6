//! Idempotency keys: a retried POST gets the first response instead of a second write.
//!
//! The lookup key is (principal, key), so keys of different callers never meet. A key is
//! remembered for 24 hours. Reusing it for a different request is an error. The key, the
//! effect and the stored response commit in one transaction, so a key whose request died
//! is free again and a retry never finds a key "in progress" without a request behind it.

use chrono::Duration;
use entity::idempotency_key;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, TryInsertResult,
};
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
    /// First time: the key is claimed in this write transaction. Run the request in it,
    /// then [`complete`] (response stored and effect committed together) or drop it (both
    /// rolled back, the key free again).
    New(DatabaseTransaction),
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

fn in_progress() -> AppError {
    AppError::Conflict(
        "a request with this Idempotency-Key is still being processed; retry later".to_owned(),
    )
}

/// Claim `request.key` for this principal, or find the response it already has.
///
/// The claim is a row inserted in a write transaction that the request's effect and its
/// response then share, so a key is only ever seen with its response: until that
/// transaction commits nobody else sees the row, and if the request dies the row goes with
/// it. A concurrent request with the same key waits for that transaction (on the unique
/// key in PostgreSQL, on the write lock in SQLite), then replays the response or, when the
/// first one rolled back, claims the key afresh.
///
/// # Errors
/// `BadRequest` for a malformed key; `Validation` when the key was used for a different
/// request; `Conflict` while the first request with the key is still running past the
/// database's lock timeout.
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
    let txn = crate::service::begin_write(&state.db).await?;
    // A row without a response can only be one claimed before claims shared the
    // transaction of their effect: its request is gone, so its key is free.
    idempotency_key::Entity::delete_many()
        .filter(idempotency_key::Column::Principal.eq(subject.clone()))
        .filter(idempotency_key::Column::Key.eq(request.key))
        .filter(idempotency_key::Column::Status.is_null())
        .exec(&txn)
        .await?;
    let pending = idempotency_key::ActiveModel {
        principal: Set(subject.clone()),
        key: Set(request.key.to_owned()),
        method: Set(request.method.to_owned()),
        path: Set(request.path.to_owned()),
        request_hash: Set(hash.clone()),
        status: Set(None),
        location: Set(None),
        etag: Set(None),
        body: Set(None),
        created_at: Set(crate::clock::now()),
    };
    let inserted = idempotency_key::Entity::insert(pending)
        .on_conflict_do_nothing()
        .exec_without_returning(&txn)
        .await
        .map_err(|err| match AppError::from(err) {
            // Still waiting for the first request when the lock timeout struck.
            AppError::Busy { .. } | AppError::Unavailable { .. } => in_progress(),
            other => other,
        })?;
    if matches!(inserted, TryInsertResult::Inserted(n) if n > 0) {
        return Ok(Claim::New(txn));
    }
    // Taken: the first request with this key has committed its response.
    let existing = idempotency_key::Entity::find_by_id((subject, request.key.to_owned()))
        .one(&txn)
        .await?;
    txn.rollback().await?;
    let Some(row) = existing else {
        return Err(in_progress());
    };
    if row.method != request.method || row.path != request.path || row.request_hash != hash {
        return Err(AppError::invalid(
            "Idempotency-Key",
            "idempotency_key_reused",
            "was already used for a different request; use a new key",
        ));
    }
    match (row.status, row.body) {
        (Some(status), Some(body)) => Ok(Claim::Replay(StoredResponse {
            status: u16::try_from(status).unwrap_or(500),
            location: row.location,
            etag: row.etag,
            body,
        })),
        _ => Err(in_progress()),
    }
}

/// Store the response of a claimed key and commit it with the request's effect.
///
/// # Errors
/// Database failures (then neither the effect nor the response is kept).
pub async fn complete(
    txn: DatabaseTransaction,
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
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// Begin the write transaction of a create sent without a key.
///
/// # Errors
/// When the database cannot start a transaction.
pub async fn begin(state: &AppState) -> AppResult<DatabaseTransaction> {
    Ok(crate::service::begin_write(&state.db).await?)
}

/// A savepoint in `txn`: dropped uncommitted, it undoes only what was written in it.
///
/// # Errors
/// Database failures.
pub async fn savepoint(txn: &DatabaseTransaction) -> AppResult<DatabaseTransaction> {
    Ok(crate::service::begin_write(txn).await?)
}

/// Commit a transaction (or release a savepoint) from [`begin`] or [`savepoint`].
///
/// # Errors
/// Database failures.
pub async fn commit(txn: DatabaseTransaction) -> AppResult<()> {
    Ok(txn.commit().await?)
}
