//! The audit log over GraphQL (admin only).

use async_graphql::{Context, ErrorExtensions, InputObject, Object, Result, SimpleObject};
use uuid::Uuid;

use super::context;
use super::cost;
use crate::service::identity::audit::{self, AuditFilter as ServiceFilter};
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
    /// Forwards: more events follow. Backwards (`last`/`before`): `before` was given.
    pub has_next_page: bool,
    /// Pass as `after` for the page after this one; null when `hasNextPage` is false.
    pub end_cursor: Option<String>,
    /// Backwards: more events precede. Forwards: `after` was given.
    pub has_previous_page: bool,
    /// Pass as `before` for the page before this one; null when `hasPreviousPage` is false.
    pub start_cursor: Option<String>,
}

/// Audit queries.
#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// The audit log (admin only): forwards with `first`/`after`, backwards with
    /// `last`/`before`.
    #[graphql(complexity = "cost::relay(first, last, child_complexity, 1)")]
    async fn audit_events(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size forwards, 1–200 (default 50).")] first: Option<i32>,
        #[graphql(desc = "The page after this cursor (an `endCursor`).")] after: Option<String>,
        #[graphql(
            desc = "Page size backwards, 1–200: the items just before `before` (the end of the list without it), in the same order as forwards."
        )]
        last: Option<i32>,
        #[graphql(desc = "The page before this cursor (a `startCursor`).")] before: Option<String>,
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
        let window = super::connections::relay_window(first, after, last, before)?;
        let page = audit::list(state, principal, &filter, &window)
            .await
            .map_err(|e| e.extend())?;
        Ok(AuditConnection {
            has_next_page: page.has_next,
            end_cursor: page.next_cursor,
            has_previous_page: page.has_previous,
            start_cursor: page.cursors.first().filter(|_| page.has_previous).cloned(),
            nodes: page.items,
        })
    }
}
