//! `/api/v1/auth`: sign in, refresh, sign out, change one's own password.

use actix_web::{HttpResponse, http::header, web};

use super::body::JsonBody;
use super::error::{Problem, method_not_allowed};
use crate::auth::client::ClientIp;
use crate::error::AppResult;
use crate::policy::Principal;
use crate::service::{identity::users, input::parse_document};
use crate::state::AppState;
use crate::types::user::{ChangePasswordRequest, LoginRequest, RefreshRequest, SessionView};

/// The session routes (no token needed to call them, except `/password`, which is for the
/// signed-in user).
pub fn scope() -> actix_web::Scope {
    web::scope("/auth")
        .service(
            web::resource("/login")
                .route(web::post().to(login))
                .default_service(method_not_allowed("POST")),
        )
        .service(
            web::resource("/refresh")
                .route(web::post().to(refresh))
                .default_service(method_not_allowed("POST")),
        )
        .service(
            web::resource("/logout")
                .route(web::post().to(logout))
                .default_service(method_not_allowed("POST")),
        )
        .service(
            web::resource("/password")
                .route(web::post().to(change_password))
                .default_service(method_not_allowed("POST")),
        )
}

fn session(view: SessionView) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(view)
}

/// Sign in: an access token (15 minutes) and a single-use refresh token (14 days).
#[utoipa::path(post, path = "/api/v1/auth/login", operation_id = "auth_login", tag = "auth", request_body = LoginRequest, security(()),
    responses(
        (status = 200, description = "Signed in", body = SessionView),
        (status = 401, description = "Wrong e-mail or password, or a deactivated user (one answer for all)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Missing fields", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed sign-ins from this IP, for this address from this IP, or for this address from anywhere (`rate_limited`); see `Retry-After`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many password checks waiting (`busy`); see `Retry-After`", body = Problem, content_type = "application/problem+json")))]
pub async fn login(
    state: web::Data<AppState>,
    ip: ClientIp,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    let request: LoginRequest = parse_document(body.0)?;
    Ok(session(
        users::login(&state, &request.email, request.password, ip.0).await?,
    ))
}

/// Exchange a refresh token for a new session. Each refresh token works once; reusing one
/// revokes every token of its session.
#[utoipa::path(post, path = "/api/v1/auth/refresh", operation_id = "auth_refresh", tag = "auth", request_body = RefreshRequest, security(()),
    responses(
        (status = 200, description = "A new session", body = SessionView),
        (status = 401, description = "Unknown, spent, revoked or expired refresh token", body = Problem, content_type = "application/problem+json")))]
pub async fn refresh(state: web::Data<AppState>, body: JsonBody) -> AppResult<HttpResponse> {
    let request: RefreshRequest = parse_document(body.0)?;
    Ok(session(
        users::refresh(&state, &request.refresh_token).await?,
    ))
}

/// Sign out: the refresh token and every token refreshed from it stop working.
#[utoipa::path(post, path = "/api/v1/auth/logout", operation_id = "auth_logout", tag = "auth", request_body = RefreshRequest, security(()),
    responses((status = 204, description = "Signed out")))]
pub async fn logout(state: web::Data<AppState>, body: JsonBody) -> AppResult<HttpResponse> {
    let request: RefreshRequest = parse_document(body.0)?;
    users::logout(&state, &request.refresh_token).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Change the signed-in user's own password (not with an API key). On success every session
/// of the user ends, this one too: all their refresh tokens are revoked and their access
/// tokens, the one sent here included, stop working at once; sign in again with the new
/// password. Wrong current passwords count as failed sign-ins (per address and IP, per IP,
/// per address).
#[utoipa::path(post, path = "/api/v1/auth/password", operation_id = "auth_change_password", tag = "auth", request_body = ChangePasswordRequest,
    responses(
        (status = 204, description = "Changed; every session of the user is signed out, the current one too"),
        (status = 401, description = "No valid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The current password is wrong (`forbidden`), or the caller is an API key", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The new password breaks the rules (12–128 characters, not the current one); `errors` names `new_password`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many wrong passwords for this address or from this IP (they count as failed sign-ins); see `Retry-After`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many password checks waiting (`busy`); see `Retry-After`", body = Problem, content_type = "application/problem+json")))]
pub async fn change_password(
    state: web::Data<AppState>,
    principal: Principal,
    ip: ClientIp,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    let request: ChangePasswordRequest = parse_document(body.0)?;
    users::change_password(
        &state,
        &principal,
        request.current_password,
        request.new_password,
        ip.0,
    )
    .await?;
    Ok(HttpResponse::NoContent()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish())
}
