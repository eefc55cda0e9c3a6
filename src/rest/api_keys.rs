//! `/api/v1/api-keys`: integration keys (admin users only).

use actix_web::{HttpResponse, web};

use super::body::JsonBody;
use super::error::{Problem, method_not_allowed};
use crate::domain::parse_id;
use crate::error::AppResult;
use crate::policy::Principal;
use crate::service::{identity::api_keys, input::Submitted};
use crate::state::AppState;
use crate::types::api_key::{ApiKeyList, CreateApiKeyRequest, CreatedApiKey};

/// The API-key routes.
pub fn scope() -> actix_web::Scope {
    web::scope("/api-keys")
        .service(
            web::resource("")
                .route(web::get().to(list))
                .route(web::post().to(create))
                .default_service(method_not_allowed("GET, POST")),
        )
        .service(
            web::resource("/{id}")
                .route(web::delete().to(revoke))
                .default_service(method_not_allowed("DELETE")),
        )
}

/// List API keys (never their secrets).
#[utoipa::path(get, path = "/api/v1/api-keys", operation_id = "api_keys_list", tag = "api-keys",
    responses(
        (status = 200, description = "All keys, newest first", body = ApiKeyList),
        (status = 403, description = "Not an admin (API keys cannot manage keys)", body = Problem, content_type = "application/problem+json")))]
pub async fn list(state: web::Data<AppState>, principal: Principal) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(ApiKeyList {
        data: api_keys::list(&state, &principal).await?,
    }))
}

/// Create an API key. The secret is in the response, this once.
#[utoipa::path(post, path = "/api/v1/api-keys", operation_id = "api_keys_create", tag = "api-keys", request_body = CreateApiKeyRequest,
    responses(
        (status = 201, description = "Created; store `key` now", body = CreatedApiKey),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    state: web::Data<AppState>,
    principal: Principal,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    let request = Submitted::<CreateApiKeyRequest>::document(body.0);
    let created = api_keys::create(&state, &principal, request).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Cache-Control", "no-store"))
        .json(created))
}

/// Revoke an API key; it stops working at once.
#[utoipa::path(delete, path = "/api/v1/api-keys/{id}", operation_id = "api_keys_revoke", tag = "api-keys",
    params(("id" = uuid::Uuid, Path, description = "Key id (UUID)")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such key", body = Problem, content_type = "application/problem+json")))]
pub async fn revoke(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = parse_id("id", &id)?;
    api_keys::revoke(&state, &principal, id).await?;
    Ok(HttpResponse::NoContent().finish())
}
