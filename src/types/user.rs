//! Users and sessions as callers see and write them.

use async_graphql::{InputObject, SimpleObject};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::Role;
use crate::types::time::Timestamp;

/// A user account (never its password).
#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
#[graphql(name = "User")]
pub struct UserView {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    /// Deactivated users cannot sign in and their tokens stop working.
    pub active: bool,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// `POST /users`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserRequest {
    #[schema(format = Email)]
    pub email: String,
    /// 1–200 characters; defaults to the e-mail address.
    #[schema(min_length = 1, max_length = 200)]
    pub display_name: Option<String>,
    pub role: Role,
    /// 12–128 characters.
    #[schema(min_length = 12, max_length = 128)]
    pub password: String,
}

/// `PATCH /users/{id}`: change the role, name or active flag. A role change or
/// deactivation revokes the user's tokens at once.
#[derive(Debug, Clone, Default, Deserialize, ToSchema, InputObject)]
#[serde(deny_unknown_fields)]
#[graphql(name = "UserPatch")]
pub struct UserPatch {
    /// 1–200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub display_name: Option<String>,
    pub role: Option<Role>,
    pub active: Option<bool>,
}

/// A user as created over GraphQL.
#[derive(Debug, Clone, InputObject)]
#[graphql(name = "CreateUserInput")]
pub struct CreateUserInput {
    pub email: String,
    pub display_name: Option<String>,
    pub role: Role,
    pub password: String,
}

/// `POST /auth/login`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

/// `POST /auth/refresh` and `POST /auth/logout`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// A session: a short-lived access token and a single-use refresh token.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SessionView {
    /// Send as `Authorization: Bearer <access_token>`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires (900).
    pub expires_in: i64,
    /// Exchange at `POST /auth/refresh` for a new session; usable once.
    pub refresh_token: String,
    pub user: UserView,
}

/// `POST /auth/password`: the signed-in user changes their own password. Every session of
/// the user ends, the current one too: sign in again with the new password.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    /// The password in use now.
    pub current_password: String,
    /// 12–128 characters, not the current one.
    #[schema(min_length = 12, max_length = 128)]
    pub new_password: String,
}
