//! `/api/v1/custom-fields`.

use actix_web::{HttpRequest, HttpResponse, web};

use super::body::JsonBody;
use super::error::{Problem, method_not_allowed};
use super::idempotency::{self, Created};
use super::if_match;
use super::records::ok_with_version;
use crate::error::{AppError, AppResult};
use crate::policy::Principal;
use crate::service::customers::custom_fields;
use crate::state::AppState;
use crate::types::custom_field::{CustomFieldInput, CustomFieldList, CustomFieldView};

/// The custom-field routes.
pub fn scope() -> actix_web::Scope {
    web::scope("/custom-fields")
        .service(
            web::resource("")
                .route(web::get().to(list))
                .route(web::post().to(create))
                .default_service(method_not_allowed("GET, POST")),
        )
        .service(
            web::resource("/{key}")
                .route(web::get().to(get))
                .route(web::patch().to(update))
                .route(web::delete().to(delete))
                .default_service(method_not_allowed("GET, PATCH, DELETE")),
        )
}

/// List every custom-field definition, ordered by key.
#[utoipa::path(get, path = "/api/v1/custom-fields", operation_id = "custom_fields_list", tag = "custom-fields",
    responses((status = 200, description = "All definitions", body = CustomFieldList)))]
pub async fn list(state: web::Data<AppState>, principal: Principal) -> AppResult<HttpResponse> {
    let data = custom_fields::list(&state, &principal).await?;
    Ok(HttpResponse::Ok().json(CustomFieldList { data }))
}

/// Define a custom field. Its values are then accepted under `custom.<key>` on customers.
#[utoipa::path(post, path = "/api/v1/custom-fields", operation_id = "custom_fields_create", tag = "custom-fields", request_body = CustomFieldInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key and body get the first response (24 h). The effect and the stored response commit together: a request that failed on the server or died leaves the key free; a retry while the first is running waits for it")),
    responses(
        (status = 201, description = "Defined", body = CustomFieldView),
        (status = 409, description = "The key exists", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, named in `errors`", body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    let doc = body.0;
    let (principal, input) = (&principal, &doc);
    let caches = std::sync::Arc::clone(&state.caches);
    idempotency::run(&state, principal, &req, &doc, |db| async move {
        let view = custom_fields::create_in(&*db, principal, input.clone()).await?;
        Ok(Created {
            status: actix_web::http::StatusCode::CREATED,
            location: Some(format!("/api/v1/custom-fields/{}", view.key)),
            etag: Some(super::etag(view.version)),
            body: serde_json::to_value(&view).map_err(|e| AppError::Internal(e.into()))?,
            // The new definition's class is read again once it has committed.
            then: Some(Box::new(move || {
                caches.forget(crate::service::cache::Topic::CustomFields);
            })),
        })
    })
    .await
}

/// Read one definition.
#[utoipa::path(get, path = "/api/v1/custom-fields/{key}", operation_id = "custom_fields_get", tag = "custom-fields",
    params(("key" = String, Path, description = "Definition key")),
    responses(
        (status = 200, description = "The definition; `ETag` set", body = CustomFieldView),
        (status = 404, description = "No such definition", body = Problem, content_type = "application/problem+json")))]
pub async fn get(
    state: web::Data<AppState>,
    principal: Principal,
    key: web::Path<String>,
) -> AppResult<HttpResponse> {
    let view = custom_fields::get(&state, &principal, &key).await?;
    Ok(ok_with_version(&view, view.version))
}

/// Change a definition with a JSON merge patch; `key` and `type` are immutable. `If-Match`
/// makes it conditional.
#[utoipa::path(patch, path = "/api/v1/custom-fields/{key}", operation_id = "custom_fields_update", tag = "custom-fields",
    params(("key" = String, Path, description = "Definition key"),
           ("If-Match" = Option<String>, Header, description = "ETag of the version this change is based on")),
    request_body(content = CustomFieldInput, content_type = "application/merge-patch+json"),
    responses(
        (status = 200, description = "Updated; new `ETag`", body = CustomFieldView),
        (status = 404, description = "No such definition", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Stale `If-Match`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid or immutable fields, named in `errors`", body = Problem, content_type = "application/problem+json")))]
pub async fn update(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    key: web::Path<String>,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    let view = custom_fields::update(&state, &principal, &key, if_match(&req)?, body.0).await?;
    Ok(ok_with_version(&view, view.version))
}

/// Delete a definition. Stored values under its key are no longer shown.
#[utoipa::path(delete, path = "/api/v1/custom-fields/{key}", operation_id = "custom_fields_delete", tag = "custom-fields",
    params(("key" = String, Path, description = "Definition key"),
           ("If-Match" = Option<String>, Header, description = "ETag of the version to delete")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such definition", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Stale `If-Match`", body = Problem, content_type = "application/problem+json")))]
pub async fn delete(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    key: web::Path<String>,
) -> AppResult<HttpResponse> {
    custom_fields::delete(&state, &principal, &key, if_match(&req)?).await?;
    Ok(HttpResponse::NoContent().finish())
}
