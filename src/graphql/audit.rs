//! The audit log over GraphQL (admin only).

use async_graphql::{Context, ErrorExtensions, InputObject, Object, Result, SimpleObject};
use uuid::Uuid;

use super::context;
use crate::service::audit::{self, AuditFilter as ServiceFilter};
use crate::types::audit::AuditView;
use crate::types::time::Timestamp;

/// Which audit events to list.
#[derive(Debug, Default, InputObject)]
pub struct AuditFilter {
    pub actor_id: Option<Uuid>,
    pub customer_id: Option<Uuid>,
    pub action: Option<String>,
    /// At or after.
    pub from: Option<Timestamp>,
    /// Before.
    pub to: Option<Timestamp>,
}

/// A page of audit events, newest first.
#[derive(Debug, SimpleObject)]
pub struct AuditConnection {
    pub nodes: Vec<AuditView>,
    pub has_next_page: bool,
    pub end_cursor: Option<String>,
}

/// Audit queries.
#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// The audit log (admin only).
    async fn audit_events(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 50)] first: i32,
        after: Option<String>,
        filter: Option<AuditFilter>,
    ) -> Result<AuditConnection> {
        let (state, principal) = context(ctx)?;
        let f = filter.unwrap_or_default();
        let filter = ServiceFilter {
            actor_user_id: f.actor_id,
            customer_id: f.customer_id,
            action: f.action,
            from: f.from.map(Into::into),
            to: f.to.map(Into::into),
        };
        let limit = u64::try_from(first).unwrap_or(0);
        let page = audit::list(state, principal, &filter, limit, after.as_deref())
            .await
            .map_err(|e| e.extend())?;
        Ok(AuditConnection {
            has_next_page: page.next_cursor.is_some(),
            end_cursor: page.next_cursor,
            nodes: page.items,
        })
    }
}
