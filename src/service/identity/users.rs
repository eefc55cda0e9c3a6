//! Users, sign-in, and the sessions behind access tokens.
//!
//! Refresh tokens are random, stored as SHA-256, single use, and rotate within a family:
//! presenting one that was already used revokes the whole family (RFC 9700 §4.14.2), since
//! one of the two holders is a thief.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Duration, Utc};
use entity::{refresh_token, user};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use serde_json::json;
use std::net::IpAddr;

use crate::auth::{jwt, password};
use crate::domain::{Role, normalize_email};
use crate::error::{AppError, AppResult};
use crate::policy::Principal;
use crate::policy::limits::{Limit, address_key, ip_key, login_keys};
use crate::policy::{Action, authorize};
use crate::service::cache::{self, Topic};
use crate::service::identity::audit::{self, Event};
use crate::service::limits;
use crate::state::AppState;
use crate::types::user::{SessionView, UserPatch, UserView};

/// How long a refresh token is valid.
pub const REFRESH_TTL_DAYS: i64 = 14;
/// Prefix of refresh tokens, so they are recognisable in logs and secret scanners.
const REFRESH_PREFIX: &str = "dsr_";

/// A user to create.
pub struct NewUser {
    pub email: String,
    /// Defaults to the e-mail address.
    pub display_name: Option<String>,
    pub role: Role,
    pub password: String,
}

/// A user's stored role; one this version does not know is an error, never a role that
/// would grant something.
fn role_of(m: &user::Model) -> AppResult<Role> {
    crate::service::stored(Role::parse(&m.role), "users", "role", m.id)
}

fn view(m: user::Model) -> AppResult<UserView> {
    Ok(UserView {
        id: m.id,
        role: role_of(&m)?,
        email: m.email,
        display_name: m.display_name,
        active: m.active,
        version: m.version,
        created_at: m.created_at.into(),
        updated_at: m.updated_at.into(),
    })
}

fn hash_token(token: &str) -> String {
    format!("{:x}", Sha256::digest(token.as_bytes()))
}

/// Create a user (admin only).
///
/// # Errors
/// `Forbidden`; `Validation` for a bad e-mail, name or weak password; `Conflict` when the
/// e-mail is taken.
pub async fn create(
    state: &AppState,
    principal: &Principal,
    new: impl Into<crate::service::input::Submitted<NewUser>>,
) -> AppResult<UserView> {
    authorize(principal, Action::Administer)?;
    let new = new.into().accept()?;
    let email = normalize_email(&new.email)
        .map_err(|msg| AppError::invalid("email", "invalid_email", msg))?;
    let display_name = new
        .display_name
        .as_deref()
        .unwrap_or(&email)
        .trim()
        .to_owned();
    if display_name.is_empty() || display_name.chars().count() > 200 {
        return Err(AppError::invalid(
            "display_name",
            "invalid_length",
            "must be 1-200 characters",
        ));
    }
    password::check_strength("password", &new.password)?;
    if find_by_email(state, &email).await?.is_some() {
        return Err(AppError::Conflict(format!(
            "a user with e-mail {email} exists"
        )));
    }
    let now = crate::clock::now();
    let model = user::ActiveModel {
        id: Set(Uuid::now_v7()),
        email: Set(email),
        display_name: Set(display_name),
        role: Set(new.role.as_str().to_owned()),
        password_hash: Set(password::hash(&state.hashing, new.password).await?),
        active: Set(true),
        token_version: Set(0),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&state.db)
    .await?;
    tracing::info!(user.id = %model.id, role = %model.role, actor = %principal.subject(), "user created");
    let details = json!({"user_id": model.id, "email": model.email, "role": model.role});
    audit::record(
        &state.db,
        principal,
        Event {
            action: "user.created",
            customer_id: None,
            reason: None,
            details,
        },
    )
    .await?;
    view(model)
}

/// A user by e-mail (any case).
///
/// # Errors
/// Database failures.
pub async fn find_by_email(state: &AppState, email: &str) -> AppResult<Option<user::Model>> {
    Ok(user::Entity::find()
        .filter(user::Column::Email.eq(email.trim().to_lowercase()))
        .one(&state.db)
        .await?)
}

/// Every user, by e-mail (admin only).
///
/// # Errors
/// `Forbidden`.
pub async fn list(state: &AppState, principal: &Principal) -> AppResult<Vec<UserView>> {
    authorize(principal, Action::Administer)?;
    let users = user::Entity::find()
        .order_by_asc(user::Column::Email)
        .all(&state.db)
        .await?;
    users.into_iter().map(view).collect()
}

/// Change a user's name, role or active flag (admin only). A role change or deactivation
/// bumps the token version, so the user's access tokens stop working at once, and revokes
/// their refresh tokens.
///
/// # Errors
/// `Forbidden`; `NotFound`; `Validation`; `Conflict` when an admin would demote or
/// deactivate themselves; `PreconditionFailed` for a stale version.
pub async fn update(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    expected_version: Option<i64>,
    patch: impl Into<crate::service::input::Submitted<UserPatch>>,
) -> AppResult<UserView> {
    authorize(principal, Action::Administer)?;
    let patch = patch.into().accept()?;
    let txn = crate::service::begin_write(&state.db).await?;
    let current = user::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound { entity: "user" })?;
    let base = crate::service::versioned::base(expected_version, current.version)?;
    let role_changes = patch.role.is_some_and(|r| r.as_str() != current.role);
    let deactivates = patch.active == Some(false) && current.active;
    if principal.user_id == Some(id) && (role_changes || deactivates) {
        return Err(AppError::Conflict(
            "admins cannot demote or deactivate themselves".to_owned(),
        ));
    }
    let mut active = current.clone().into_active_model();
    if let Some(name) = patch.display_name {
        let name = name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(AppError::invalid(
                "display_name",
                "invalid_length",
                "must be 1-200 characters",
            ));
        }
        active.display_name = Set(name);
    }
    if let Some(role) = patch.role {
        active.role = Set(role.as_str().to_owned());
    }
    if let Some(flag) = patch.active {
        active.active = Set(flag);
    }
    if role_changes || deactivates {
        active.token_version = Set(current.token_version + 1);
        revoke_all_refresh_tokens(&txn, id).await?;
    }
    active.updated_at = Set(crate::clock::now());
    let model = crate::service::versioned::update_model(&txn, id, base, active).await?;
    tracing::info!(user.id = %id, actor = %principal.subject(), role_changes, deactivates, "user updated");
    let details = json!({"user_id": id, "role": {"from": current.role, "to": model.role},
                         "active": {"from": current.active, "to": model.active}});
    audit::record(
        &txn,
        principal,
        Event {
            action: "user.updated",
            customer_id: None,
            reason: None,
            details,
        },
    )
    .await?;
    // Rendered before the commit: a stored role this version does not know fails the whole
    // update rather than after it was written.
    let view = view(model)?;
    txn.commit().await?;
    cache::changed(&state.db, &state.caches, Topic::Principals).await?;
    Ok(view)
}

async fn revoke_all_refresh_tokens(conn: &impl ConnectionTrait, user_id: Uuid) -> AppResult<()> {
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Some(Utc::now()).into())
        .filter(refresh_token::Column::UserId.eq(user_id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

/// Store a new password hash for a user and end every session of theirs, in one
/// transaction with its audit event: the token version is bumped (so access tokens already
/// issued stop working at once, as on a role change) and every refresh token is revoked.
async fn replace_password(
    state: &AppState,
    principal: &Principal,
    user_id: Uuid,
    password_hash: String,
    event: Event,
) -> AppResult<user::Model> {
    use sea_orm::sea_query::{Expr, ExprTrait};
    let txn = crate::service::begin_write(&state.db).await?;
    let changed = user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Expr::value(password_hash))
        .col_expr(
            user::Column::TokenVersion,
            Expr::col(user::Column::TokenVersion).add(1),
        )
        .col_expr(
            user::Column::Version,
            Expr::col(user::Column::Version).add(1),
        )
        .col_expr(user::Column::UpdatedAt, Expr::value(crate::clock::now()))
        .filter(user::Column::Id.eq(user_id))
        .exec(&txn)
        .await?;
    if changed.rows_affected != 1 {
        return Err(AppError::NotFound { entity: "user" });
    }
    revoke_all_refresh_tokens(&txn, user_id).await?;
    audit::record(&txn, principal, event).await?;
    let model = user::Entity::find_by_id(user_id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound { entity: "user" })?;
    txn.commit().await?;
    cache::changed(&state.db, &state.caches, Topic::Principals).await?;
    Ok(model)
}

/// Change the caller's own password (a signed-in user; API keys and the operator have
/// none). The current password must be right and the new one follow the creation rules
/// (12–128 characters) and differ from it. Every session of the user ends, the caller's
/// too: their refresh tokens are revoked and their access tokens stop working at once.
/// Wrong current passwords count as failed sign-ins of the user's address from `ip`.
///
/// # Errors
/// `Forbidden` for an API key or the operator, and for a wrong current password;
/// `Validation` naming `new_password`; `TooManyRequests` after repeated wrong current
/// passwords; `Busy` when the hashing queue is full; `Unauthenticated` when the user is
/// gone or deactivated.
pub async fn change_password(
    state: &AppState,
    principal: &Principal,
    current_password: String,
    new_password: String,
    ip: Option<IpAddr>,
) -> AppResult<()> {
    let Some(user_id) = principal.user_id else {
        return Err(AppError::Forbidden(
            "only a signed-in user can change their password".to_owned(),
        ));
    };
    let user = user::Entity::find_by_id(user_id)
        .one(&state.db)
        .await?
        .filter(|u| u.active)
        .ok_or(AppError::Unauthenticated("invalid or expired access token"))?;
    password::check_strength("new_password", &new_password)?;
    let same = new_password == current_password;
    let hits = count_attempt(state, &user.email, ip).await?;
    let stored = Some(user.password_hash.clone());
    let ok = verify_counted(state, &hits, current_password, stored).await?;
    if !ok {
        tracing::warn!(user.id = %user_id, "password change refused: wrong current password");
        return Err(AppError::Forbidden(
            "the current password is wrong".to_owned(),
        ));
    }
    attempt_succeeded(state, &hits).await?;
    if same {
        return Err(AppError::invalid(
            "new_password",
            "unchanged",
            "must differ from the current password",
        ));
    }
    let hash = password::hash(&state.hashing, new_password).await?;
    let event = Event {
        action: "password.changed",
        customer_id: None,
        reason: None,
        details: json!({"user_id": user_id}),
    };
    replace_password(state, principal, user_id, hash, event).await?;
    tracing::info!(user.id = %user_id, "password changed; sessions revoked");
    Ok(())
}

/// Set a user's password (admin only; the operator's `dossier user set-password`), by the
/// creation rules (12–128 characters). Every session of the user ends: their refresh tokens
/// are revoked and their access tokens stop working at once.
///
/// # Errors
/// `Forbidden`; `Validation` naming `password`; `NotFound` for an unknown e-mail.
pub async fn set_password(
    state: &AppState,
    principal: &Principal,
    email: &str,
    new_password: String,
) -> AppResult<UserView> {
    authorize(principal, Action::Administer)?;
    password::check_strength("password", &new_password)?;
    let user = find_by_email(state, email)
        .await?
        .ok_or(AppError::NotFound { entity: "user" })?;
    let hash = password::hash(&state.hashing, new_password).await?;
    let event = Event {
        action: "password.reset",
        customer_id: None,
        reason: None,
        details: json!({"user_id": user.id, "email": user.email}),
    };
    let model = replace_password(state, principal, user.id, hash, event).await?;
    tracing::info!(user.id = %model.id, actor = %principal.subject(), "password set; sessions revoked");
    view(model)
}

/// The same answer for an unknown e-mail, a wrong password and a deactivated user.
fn bad_credentials() -> AppError {
    AppError::Unauthenticated("invalid e-mail or password")
}

async fn new_session(
    state: &AppState,
    user: user::Model,
    family_id: Uuid,
) -> AppResult<SessionView> {
    // Before any token exists: a user whose stored role this version does not know gets none.
    let user_view = view(user.clone())?;
    let now = Utc::now();
    let (access_token, _) = state
        .jwt
        .issue(user.id, &user.role, user.token_version, now.timestamp())
        .map_err(|e| AppError::Internal(e.into()))?;
    let secret: [u8; 32] = rand::random();
    let refresh = format!("{REFRESH_PREFIX}{}", URL_SAFE_NO_PAD.encode(secret));
    refresh_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user.id),
        family_id: Set(family_id),
        token_hash: Set(hash_token(&refresh)),
        expires_at: Set(now + Duration::days(REFRESH_TTL_DAYS)),
        used_at: Set(None),
        revoked_at: Set(None),
        created_at: Set(now),
    }
    .insert(&state.db)
    .await?;
    Ok(SessionView {
        access_token,
        token_type: "Bearer",
        expires_in: jwt::ACCESS_TTL_SECONDS,
        refresh_token: refresh,
        user: user_view,
    })
}

/// Count a password attempt for `address` from `ip` in the sign-in limits, before the
/// password is checked, so concurrent attempts cannot all slip under a limit. The IP is
/// counted first: a flood from one IP with made-up addresses stops there, before it writes
/// a counter per address.
///
/// # Errors
/// `TooManyRequests` (the attempt is given back) when a limit is reached.
async fn count_attempt(
    state: &AppState,
    address: &str,
    ip: Option<IpAddr>,
) -> AppResult<Vec<limits::Hit>> {
    let rules = &state.settings.limits;
    let [by_ip, by_pair, by_address] = login_keys(address, ip);
    let mut hits = limits::hit(&state.db, rules, &[by_ip]).await?;
    if limits::refusal(&hits).is_none() {
        hits.extend(limits::hit(&state.db, rules, &[by_pair, by_address]).await?);
    }
    if let Some(refused) = limits::refusal(&hits) {
        tracing::warn!(limits = ?hits.iter().filter(|h| h.exceeded()).map(|h| h.limit.name()).collect::<Vec<_>>(), "password attempt refused: limit reached");
        limits::refund(&state.db, &hits).await?;
        return Err(refused);
    }
    Ok(hits)
}

/// The password was right: the attempt does not count as a failure for the IP or the
/// address (their counters are not reset, so a success does not wipe a spray's count), and
/// the user's own lockout from this IP is lifted.
async fn attempt_succeeded(state: &AppState, hits: &[limits::Hit]) -> AppResult<()> {
    let (pair, others): (Vec<_>, Vec<_>) = hits
        .iter()
        .cloned()
        .partition(|h| h.limit == Limit::LoginAddressIp);
    limits::refund(&state.db, &others).await?;
    for hit in &pair {
        limits::reset(&state.db, hit).await?;
    }
    Ok(())
}

/// Check a password attempt already counted in `hits` through the bounded hashing pool;
/// `Busy` gives the attempt back (the password was not checked).
async fn verify_counted(
    state: &AppState,
    hits: &[limits::Hit],
    attempt: String,
    stored: Option<String>,
) -> AppResult<bool> {
    match password::verify(&state.hashing, attempt, stored).await {
        Ok(ok) => Ok(ok),
        Err(err) => {
            limits::refund(&state.db, hits).await?;
            Err(err)
        }
    }
}

/// Whether a window's failure count is one the log records: 1, 10, 100, 1000, …
fn milestone(count: i64) -> bool {
    let mut n = count;
    while n >= 10 && n % 10 == 0 {
        n /= 10;
    }
    n == 1
}

/// Audit a failed sign-in in aggregate, per address, IP and window of the
/// `login.address_ip` limit (its counter in `limit_counters` is the count): a `login.failed`
/// row is appended when the window's count reaches 1, 10, 100, 1000, …, saying the count so
/// far in `details.failures`. The log is append-only, so nothing is rewritten, and a flood
/// adds a handful of rows per address and IP every window, not one per attempt.
async fn audit_failure(
    state: &AppState,
    address: &str,
    ip: Option<IpAddr>,
    hits: &[limits::Hit],
) -> AppResult<()> {
    let Some(pair) = hits.iter().find(|h| h.limit == Limit::LoginAddressIp) else {
        return Ok(());
    };
    if !milestone(pair.count) {
        return Ok(());
    }
    let window_start = chrono::DateTime::from_timestamp_millis(pair.window_start)
        .unwrap_or_else(crate::clock::now);
    let details = json!({
        "email": address_key(address),
        "ip": ip_key(ip),
        "failures": pair.count,
        "window_start": window_start,
        "window_seconds": pair.rule.window.as_secs(),
    });
    let anonymous = Principal::with_clearances("anonymous", [crate::policy::Clearance::None; 4]);
    let event = Event {
        action: "login.failed",
        customer_id: None,
        reason: None,
        details,
    };
    audit::record(&state.db, &anonymous, event).await
}

/// Sign in with e-mail and password, from `ip`.
///
/// # Errors
/// `Unauthenticated`, identical for every kind of failure; `TooManyRequests` when a
/// sign-in limit is reached (per IP, per address and IP, per address: `policy::limits`);
/// `Busy` when the password-hashing queue is full.
pub async fn login(
    state: &AppState,
    email: &str,
    password_attempt: String,
    ip: Option<IpAddr>,
) -> AppResult<SessionView> {
    let hits = count_attempt(state, email, ip).await?;
    let user = find_by_email(state, email).await?;
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    let ok = verify_counted(state, &hits, password_attempt, stored).await?;
    match user {
        Some(user) if ok && user.active => {
            tracing::info!(user.id = %user.id, "login succeeded");
            attempt_succeeded(state, &hits).await?;
            let role = role_of(&user)?;
            let event = Event {
                action: "login.succeeded",
                customer_id: None,
                reason: None,
                details: json!({}),
            };
            audit::record(&state.db, &Principal::user(user.id, role), event).await?;
            new_session(state, user, Uuid::now_v7()).await
        }
        _ => {
            tracing::warn!("login failed");
            audit_failure(state, email, ip, &hits).await?;
            Err(bad_credentials())
        }
    }
}

/// Exchange a refresh token for a new session. The token is spent; presenting a spent
/// token again revokes its whole family.
///
/// # Errors
/// `Unauthenticated` for an unknown, spent, revoked or expired token, or an inactive user.
pub async fn refresh(state: &AppState, token: &str) -> AppResult<SessionView> {
    let invalid = || AppError::Unauthenticated("invalid refresh token");
    let stored = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(hash_token(token)))
        .one(&state.db)
        .await?
        .ok_or_else(invalid)?;
    if stored.used_at.is_some() {
        tracing::warn!(user.id = %stored.user_id, family = %stored.family_id, "refresh token reused: family revoked");
        refresh_token::Entity::update_many()
            .col_expr(refresh_token::Column::RevokedAt, Some(Utc::now()).into())
            .filter(refresh_token::Column::FamilyId.eq(stored.family_id))
            .exec(&state.db)
            .await?;
        return Err(invalid());
    }
    if stored.revoked_at.is_some() || stored.expires_at < Utc::now() {
        return Err(invalid());
    }
    // Spend it atomically: of two concurrent refreshes, only one sees it unused.
    let spent = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::UsedAt, Some(Utc::now()).into())
        .filter(refresh_token::Column::Id.eq(stored.id))
        .filter(refresh_token::Column::UsedAt.is_null())
        .exec(&state.db)
        .await?;
    if spent.rows_affected != 1 {
        return Err(invalid());
    }
    let user = user::Entity::find_by_id(stored.user_id)
        .one(&state.db)
        .await?
        .filter(|u| u.active)
        .ok_or_else(invalid)?;
    new_session(state, user, stored.family_id).await
}

/// End a session: revoke the refresh token's family. Unknown tokens are ignored.
///
/// # Errors
/// Database failures.
pub async fn logout(state: &AppState, token: &str) -> AppResult<()> {
    if let Some(stored) = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(hash_token(token)))
        .one(&state.db)
        .await?
    {
        refresh_token::Entity::update_many()
            .col_expr(refresh_token::Column::RevokedAt, Some(Utc::now()).into())
            .filter(refresh_token::Column::FamilyId.eq(stored.family_id))
            .filter(refresh_token::Column::RevokedAt.is_null())
            .exec(&state.db)
            .await?;
    }
    Ok(())
}

/// The principal behind an access token: verified, and its user still active with the same
/// token version. The role comes from the database, not from the token.
///
/// # Errors
/// `Unauthenticated`.
pub async fn principal_for_token(state: &AppState, token: &str) -> AppResult<Principal> {
    let claims = state.jwt.verify(token).map_err(|e| {
        tracing::debug!(reason = %e, "access token refused");
        AppError::Unauthenticated("invalid or expired access token")
    })?;
    // The token's version is part of the key: a token issued before the version moved
    // never finds an entry made for the new one.
    let key = format!("user:{}:{}", claims.sub, claims.tv);
    if let Some(known) = state.caches.principal(&key) {
        return Ok(known.principal.clone());
    }
    let since = state.caches.generation(Topic::Principals);
    let user = user::Entity::find_by_id(claims.sub)
        .one(&state.db)
        .await?
        .filter(|u| u.active && u.token_version == claims.tv)
        .ok_or(AppError::Unauthenticated("invalid or expired access token"))?;
    let role = role_of(&user)?;
    let principal = Principal::user(user.id, role);
    state.caches.remember_principal(
        since,
        key,
        crate::service::cache::Known {
            principal: principal.clone(),
            expires_at: None,
            last_used_at: None,
        },
    );
    Ok(principal)
}

#[cfg(test)]
mod milestone_tests {
    use super::milestone;

    #[test]
    fn failures_are_recorded_at_powers_of_ten() {
        let recorded: Vec<i64> = (0..=12_000).filter(|n| milestone(*n)).collect();
        assert_eq!(recorded, [1, 10, 100, 1000, 10_000]);
    }
}
