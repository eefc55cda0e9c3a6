//! API keys as administrators see and create them.

use async_graphql::SimpleObject;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::Scope;
use crate::types::time::Timestamp;

/// An API key (never its secret).
#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
#[graphql(name = "ApiKey")]
pub struct ApiKeyView {
    pub id: Uuid,
    pub name: String,
    /// The key's first characters, to recognise it.
    pub prefix: String,
    pub scopes: Vec<Scope>,
    pub expires_at: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

/// A new key: the secret is in `key`, shown this once.
#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
#[graphql(name = "CreatedApiKey")]
pub struct CreatedApiKey {
    /// Send as `Authorization: Bearer <key>` or `X-API-Key: <key>`. Not retrievable later.
    pub key: String,
    pub api_key: ApiKeyView,
}

/// `POST /api-keys`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "shop sync", "scopes": ["customers:read", "customers:write", "pii:contact"], "expires_in_days": 90}))]
pub struct CreateApiKeyRequest {
    /// 1–100 characters.
    pub name: String,
    /// At least one of `customers:read`, `customers:write`, `pii:contact`, `pii:financial`,
    /// `pii:sensitive`.
    pub scopes: Vec<Scope>,
    /// 1–365; without it the key does not expire.
    pub expires_in_days: Option<i64>,
}

/// All API keys (REST).
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyList {
    pub data: Vec<ApiKeyView>,
}
