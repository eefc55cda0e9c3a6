//! Audit events as administrators read them.

use async_graphql::SimpleObject;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::types::time::Timestamp;

/// One audited action.
#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
#[graphql(name = "AuditEvent")]
pub struct AuditView {
    pub id: Uuid,
    pub at: Timestamp,
    /// `user:<id>` or `operator`.
    pub actor: String,
    pub actor_user_id: Option<Uuid>,
    /// `login.succeeded`, `login.failed`, `customer.created`, `customer.updated`,
    /// `customer.deleted`, `customer.restored`, `user.created`, `user.updated`.
    pub action: String,
    pub customer_id: Option<Uuid>,
    pub reason: Option<String>,
    /// Details; for customer writes `{"changes": [{"field", "from", "to"}]}` with private
    /// values masked.
    #[schema(value_type = Object)]
    pub details: async_graphql::Json<Value>,
}

/// A page of audit events, newest first (REST).
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub data: Vec<AuditView>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}
