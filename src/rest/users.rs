//! `/api/v1/users`: user administration (admin only).

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::body::JsonBody;
use super::error::{Problem, method_not_allowed};
use super::if_match;
use super::records::ok_with_version;
use crate::domain::parse_id;
use crate::error::AppResult;
use crate::policy::Principal;
use crate::service::identity::users::{self, NewUser};
use crate::service::input::Submitted;
use crate::state::AppState;
use crate::types::user::{CreateUserRequest, UserPatch, UserView};

/// The user routes.
pub fn scope() -> actix_web::Scope {
    web::scope("/users")
        .service(
            web::resource("")
                .route(web::get().to(list))
                .route(web::post().to(create))
                .default_service(method_not_allowed("GET, POST")),
        )
        .service(
            web::resource("/{id}")
                .route(web::patch().to(update))
                .default_service(method_not_allowed("PATCH")),
        )
}

/// All users.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserList {
    pub data: Vec<UserView>,
}

/// List users.
#[utoipa::path(get, path = "/api/v1/users", operation_id = "users_list", tag = "users",
    responses(
        (status = 200, description = "All users, by e-mail", body = UserList),
        (status = 401, description = "No valid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json")))]
pub async fn list(state: web::Data<AppState>, principal: Principal) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(UserList {
        data: users::list(&state, &principal).await?,
    }))
}

/// Create a user.
#[utoipa::path(post, path = "/api/v1/users", operation_id = "users_create", tag = "users", request_body = CreateUserRequest,
    responses(
        (status = 201, description = "Created", body = UserView),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The e-mail is taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many password hashes waiting (`busy`); see `Retry-After`", body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    state: web::Data<AppState>,
    principal: Principal,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    let new = Submitted::<CreateUserRequest>::document(body.0).map(|request| NewUser {
        display_name: request.display_name,
        email: request.email,
        role: request.role,
        password: request.password,
    });
    let view = users::create(&state, &principal, new).await?;
    Ok(HttpResponse::Created()
        .insert_header((actix_web::http::header::ETAG, super::etag(view.version)))
        .json(view))
}

/// Change a user's role, name or active flag; a role change or deactivation revokes their
/// tokens at once.
#[utoipa::path(patch, path = "/api/v1/users/{id}", operation_id = "users_update", tag = "users", request_body = UserPatch,
    params(("id" = uuid::Uuid, Path, description = "User id (UUID)"),
           ("If-Match" = Option<String>, Header, description = "ETag of the version this change is based on")),
    responses(
        (status = 200, description = "Updated; new `ETag`", body = UserView),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "An admin may not demote or deactivate themselves", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Stale `If-Match`", body = Problem, content_type = "application/problem+json")))]
pub async fn update(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    id: web::Path<String>,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    let id = parse_id("id", &id)?;
    let patch = Submitted::<UserPatch>::document(body.0);
    let view = users::update(&state, &principal, id, if_match(&req)?, patch).await?;
    Ok(ok_with_version(&view, view.version))
}
