//! The signed-in user, and user administration (admin only).

use async_graphql::{Context, ErrorExtensions, InputObject, Object, Result};
use uuid::Uuid;

use super::context;
use crate::service::identity::api_keys;
use crate::service::identity::users::{self, NewUser};
use crate::types::api_key::{ApiKeyView, CreatedApiKey};
use crate::types::user::{CreateUserInput, UserPatch, UserView};

/// User queries.
#[derive(Default)]
pub struct UserQuery;

/// Who is calling.
#[derive(async_graphql::SimpleObject)]
pub struct Me {
    pub user_id: Option<Uuid>,
    /// The role deciding what this caller sees.
    pub role: Option<crate::domain::Role>,
}

#[Object]
impl UserQuery {
    /// The caller.
    async fn me(&self, ctx: &Context<'_>) -> Result<Me> {
        let (_, principal) = context(ctx)?;
        Ok(Me {
            user_id: principal.user_id,
            role: principal.role,
        })
    }

    /// Every user, by e-mail (admin only).
    async fn users(&self, ctx: &Context<'_>) -> Result<Vec<UserView>> {
        let (state, principal) = context(ctx)?;
        users::list(state, principal).await.map_err(|e| e.extend())
    }

    /// Every API key, newest first, never its secret (admin only; keys cannot manage keys).
    async fn api_keys(&self, ctx: &Context<'_>) -> Result<Vec<ApiKeyView>> {
        let (state, principal) = context(ctx)?;
        api_keys::list(state, principal)
            .await
            .map_err(|e| e.extend())
    }
}

/// A new API key.
#[derive(Debug, InputObject)]
pub struct CreateApiKeyInput {
    /// 1–100 characters.
    pub name: String,
    /// At least one.
    pub scopes: Vec<crate::domain::Scope>,
    /// 1–365; without it the key does not expire.
    pub expires_in_days: Option<i64>,
}

/// User mutations.
#[derive(Default)]
pub struct UserMutation;

#[Object]
impl UserMutation {
    /// Create a user (admin only).
    async fn create_user(&self, ctx: &Context<'_>, input: CreateUserInput) -> Result<UserView> {
        let (state, principal) = context(ctx)?;
        let new = NewUser {
            display_name: input.display_name,
            email: input.email,
            role: input.role,
            password: input.password,
        };
        users::create(state, principal, new)
            .await
            .map_err(|e| e.extend())
    }

    /// Change the signed-in user's own password (not with an API key). The new one needs
    /// 12–128 characters. On success every session of the user ends, this one too: sign in
    /// again. A wrong current password is `FORBIDDEN`; a weak new one `BAD_USER_INPUT`
    /// naming `new_password`.
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        current_password: String,
        new_password: String,
    ) -> Result<bool> {
        let (state, principal) = context(ctx)?;
        let ip = ctx
            .data_opt::<crate::auth::client::ClientIp>()
            .and_then(|ip| ip.0);
        users::change_password(state, principal, current_password, new_password, ip)
            .await
            .map(|()| true)
            .map_err(|e| e.extend())
    }

    /// Create an API key (admin only). The secret is in `key`, this once: store it now.
    async fn create_api_key(
        &self,
        ctx: &Context<'_>,
        input: CreateApiKeyInput,
    ) -> Result<CreatedApiKey> {
        let (state, principal) = context(ctx)?;
        let request = crate::types::api_key::CreateApiKeyRequest {
            name: input.name,
            scopes: input.scopes,
            expires_in_days: input.expires_in_days,
        };
        api_keys::create(state, principal, request)
            .await
            .map_err(|e| e.extend())
    }

    /// Revoke an API key (admin only); it stops working with the next request. True when
    /// it was revoked.
    async fn revoke_api_key(&self, ctx: &Context<'_>, id: Uuid) -> Result<bool> {
        let (state, principal) = context(ctx)?;
        api_keys::revoke(state, principal, id)
            .await
            .map(|()| true)
            .map_err(|e| e.extend())
    }

    /// Change a user's role, name or active flag (admin only); a role change or
    /// deactivation revokes their tokens at once.
    async fn update_user(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        input: UserPatch,
        expected_version: Option<i64>,
    ) -> Result<UserView> {
        let (state, principal) = context(ctx)?;
        users::update(state, principal, id, expected_version, input)
            .await
            .map_err(|e| e.extend())
    }
}
