//! API keys for integrations: created by admins, shown once, stored as SHA-256, scoped,
//! optionally expiring, revocable with immediate effect.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Duration, Utc};
use entity::api_key;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::domain::Scope;
use crate::error::{AppError, AppResult};
use crate::policy::Principal;
use crate::policy::{Action, authorize};
use crate::service::identity::audit::{self, Event};
use crate::state::AppState;
use crate::types::api_key::{ApiKeyView, CreatedApiKey};

/// Prefix of every key, so scanners and people recognise one.
pub const KEY_PREFIX: &str = "dsk_";
/// How often `last_used_at` is written at most, to keep reads cheap.
const LAST_USED_RESOLUTION_SECONDS: i64 = 60;

fn hash(key: &str) -> String {
    format!("{:x}", Sha256::digest(key.as_bytes()))
}

/// A key's stored scopes; one this version does not know is an error, not a scope quietly
/// dropped from what the key is shown to hold.
fn scopes_of(m: &api_key::Model) -> AppResult<Vec<Scope>> {
    let parsed: Option<Vec<Scope>> = m.scopes.as_array().and_then(|a| {
        a.iter()
            .map(|s| s.as_str().and_then(Scope::parse))
            .collect()
    });
    crate::service::stored(parsed, "api_keys", "scopes", m.id)
}

fn view(m: api_key::Model) -> AppResult<ApiKeyView> {
    Ok(ApiKeyView {
        id: m.id,
        scopes: scopes_of(&m)?,
        name: m.name,
        prefix: m.prefix,
        expires_at: m.expires_at.map(Into::into),
        last_used_at: m.last_used_at.map(Into::into),
        revoked_at: m.revoked_at.map(Into::into),
        created_at: m.created_at.into(),
    })
}

/// Create a key (admins only; a key cannot create keys).
///
/// # Errors
/// `Forbidden`; `Validation` for a bad name, no scopes or an expiry out of range.
pub async fn create(
    state: &AppState,
    principal: &Principal,
    request: impl Into<crate::service::input::Submitted<crate::types::api_key::CreateApiKeyRequest>>,
) -> AppResult<CreatedApiKey> {
    authorize(principal, Action::Administer)?;
    let crate::types::api_key::CreateApiKeyRequest {
        name,
        scopes,
        expires_in_days,
    } = request.into().accept()?;
    let name = name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::invalid(
            "name",
            "invalid_length",
            "must be 1-100 characters",
        ));
    }
    let mut scopes = scopes;
    scopes.dedup();
    if scopes.is_empty() {
        return Err(AppError::invalid(
            "scopes",
            "required",
            format!("name at least one of: {}", Scope::expected()),
        ));
    }
    if expires_in_days.is_some_and(|d| !(1..=365).contains(&d)) {
        return Err(AppError::invalid(
            "expires_in_days",
            "out_of_range",
            "must be between 1 and 365",
        ));
    }
    let secret: [u8; 32] = rand::random();
    let key = format!("{KEY_PREFIX}{}", URL_SAFE_NO_PAD.encode(secret));
    let now = crate::clock::now();
    let model = api_key::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(name),
        prefix: Set(key.chars().take(12).collect()),
        key_hash: Set(hash(&key)),
        scopes: Set(Value::from(
            scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        )),
        expires_at: Set(expires_in_days.map(|d| now + Duration::days(d))),
        last_used_at: Set(None),
        revoked_at: Set(None),
        created_by: Set(principal.subject()),
        created_at: Set(now),
    }
    .insert(&state.db)
    .await?;
    let details = json!({"api_key_id": model.id, "name": model.name, "scopes": model.scopes});
    audit::record(
        &state.db,
        principal,
        Event {
            action: "api_key.created",
            customer_id: None,
            reason: None,
            details,
        },
    )
    .await?;
    Ok(CreatedApiKey {
        key,
        api_key: view(model)?,
    })
}

/// Every key, newest first (admins only). Secrets are never listed.
///
/// # Errors
/// `Forbidden`.
pub async fn list(state: &AppState, principal: &Principal) -> AppResult<Vec<ApiKeyView>> {
    authorize(principal, Action::Administer)?;
    let keys = api_key::Entity::find()
        .order_by_desc(api_key::Column::Id)
        .all(&state.db)
        .await?;
    keys.into_iter().map(view).collect()
}

/// One key (admins only). Its secret is never shown.
///
/// # Errors
/// `Forbidden`; `NotFound`.
pub async fn get(state: &AppState, principal: &Principal, id: Uuid) -> AppResult<ApiKeyView> {
    authorize(principal, Action::Administer)?;
    api_key::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound { entity: "API key" })
        .and_then(view)
}

/// Revoke a key; it stops working with the next request.
///
/// # Errors
/// `Forbidden`; `NotFound`.
pub async fn revoke(state: &AppState, principal: &Principal, id: Uuid) -> AppResult<()> {
    authorize(principal, Action::Administer)?;
    let key = api_key::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound { entity: "API key" })?;
    if key.revoked_at.is_none() {
        api_key::Entity::update_many()
            .col_expr(api_key::Column::RevokedAt, Some(Utc::now()).into())
            .filter(api_key::Column::Id.eq(id))
            .exec(&state.db)
            .await?;
        let details = json!({"api_key_id": id, "name": key.name});
        audit::record(
            &state.db,
            principal,
            Event {
                action: "api_key.revoked",
                customer_id: None,
                reason: None,
                details,
            },
        )
        .await?;
        crate::service::cache::changed(
            &state.db,
            &state.caches,
            crate::service::cache::Topic::Principals,
        )
        .await?;
    }
    Ok(())
}

/// The principal behind a presented key: known, not revoked, not expired.
///
/// # Errors
/// `Unauthenticated`.
pub async fn principal_for_key(state: &AppState, key: &str) -> AppResult<Principal> {
    let invalid = || AppError::Unauthenticated("invalid, revoked or expired API key");
    let now = Utc::now();
    let digest = hash(key);
    let cache_key = format!("key:{digest}");
    if let Some(known) = state.caches.principal(&cache_key) {
        if known.expires_at.is_some_and(|e| e <= now) {
            return Err(invalid());
        }
        let recorded = known
            .last_used_at
            .is_some_and(|t| (now - t).num_seconds() < LAST_USED_RESOLUTION_SECONDS);
        if recorded {
            return Ok(known.principal.clone());
        }
    }
    let since = state
        .caches
        .generation(crate::service::cache::Topic::Principals);
    let stored = api_key::Entity::find()
        .filter(api_key::Column::KeyHash.eq(digest.clone()))
        .one(&state.db)
        .await?
        .filter(|k| k.revoked_at.is_none() && k.expires_at.is_none_or(|e| e > now))
        .ok_or_else(invalid)?;
    let scopes = scopes_of(&stored)?;
    let mut last_used_at = stored.last_used_at;
    if last_used_at.is_none_or(|t| (now - t).num_seconds() >= LAST_USED_RESOLUTION_SECONDS) {
        api_key::Entity::update_many()
            .col_expr(api_key::Column::LastUsedAt, Some(now).into())
            .filter(api_key::Column::Id.eq(stored.id))
            .exec(&state.db)
            .await?;
        last_used_at = Some(now);
    }
    let principal = Principal::api_key(stored.id, scopes);
    state.caches.remember_principal(
        since,
        cache_key,
        crate::service::cache::Known {
            principal: principal.clone(),
            expires_at: stored.expires_at,
            last_used_at,
        },
    );
    Ok(principal)
}
