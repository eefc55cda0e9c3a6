//! Customer queries and mutations.

use super::connections::PageInfo;
use super::cost;
use async_graphql::{Context, ErrorExtensions, InputObject, Object, Result, SimpleObject};
use uuid::Uuid;

use super::context;
use crate::domain::{
    CustomerKind, CustomerSortField, CustomerSource, CustomerStatus, SortDirection,
};
use crate::error::AppError;
use crate::service::customers::{
    self, CustomerFilter as ServiceFilter, CustomerQuery as ServiceQuery,
};
use crate::types::customer::{CustomerInputGql, CustomerView};
use crate::types::time::Timestamp;

/// Which customers to list; all conditions must hold.
#[derive(Debug, Default, InputObject)]
pub struct CustomerFilter {
    pub kind: Option<CustomerKind>,
    pub tag: Option<String>,
    pub city: Option<String>,
    pub province: Option<String>,
    pub source: Option<CustomerSource>,
    pub owner_id: Option<Uuid>,
    pub status: Option<CustomerStatus>,
    /// Created at or after.
    pub created_after: Option<Timestamp>,
    /// Created before.
    pub created_before: Option<Timestamp>,
    /// Case-insensitive search in name and e-mail; its digits also match the phone.
    pub q: Option<String>,
    /// List soft-deleted customers instead of live ones.
    #[graphql(default)]
    pub deleted: bool,
}

impl From<CustomerFilter> for ServiceFilter {
    fn from(f: CustomerFilter) -> Self {
        Self {
            kind: f.kind,
            tag: f.tag,
            city: f.city,
            province: f.province,
            source: f.source,
            owner_id: f.owner_id,
            status: f.status,
            created_after: f.created_after.map(Into::into),
            created_before: f.created_before.map(Into::into),
            q: f.q,
            deleted: f.deleted,
        }
    }
}

/// Sort order of a customer list.
#[derive(Debug, InputObject)]
pub struct CustomerOrder {
    pub field: CustomerSortField,
    #[graphql(default_with = "SortDirection::Asc")]
    pub direction: SortDirection,
}

/// A customer and its cursor.
#[derive(Debug, SimpleObject)]
pub struct CustomerEdge {
    pub cursor: String,
    pub node: CustomerView,
}

/// A page of customers (Relay connection).
pub struct CustomerConnection {
    edges: Vec<CustomerEdge>,
    page_info: PageInfo,
    filter: ServiceFilter,
}

#[Object]
impl CustomerConnection {
    async fn edges(&self) -> &[CustomerEdge] {
        &self.edges
    }

    /// The customers of this page, without cursors.
    async fn nodes(&self) -> Vec<&CustomerView> {
        self.edges.iter().map(|e| &e.node).collect()
    }

    async fn page_info(&self) -> &PageInfo {
        &self.page_info
    }

    /// Number of customers matching the filter, across all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> Result<u64> {
        let (state, principal) = context(ctx)?;
        customers::count(state, principal, &self.filter)
            .await
            .map_err(|e| e.extend())
    }
}

/// Customer queries.
#[derive(Default)]
pub struct CustomerQuery;

#[Object]
impl CustomerQuery {
    /// One customer by id.
    async fn customer(&self, ctx: &Context<'_>, id: Uuid) -> Result<Option<CustomerView>> {
        let (state, principal) = context(ctx)?;
        customers::get(state, principal, id, false)
            .await
            .map(Some)
            .map_err(|e| e.extend())
    }

    /// Customers, filtered and ordered, a page at a time (default newest first): forwards
    /// with `first`/`after`, backwards with `last`/`before`.
    #[graphql(complexity = "cost::relay(first, last, child_complexity, 1)")]
    #[allow(
        clippy::too_many_arguments,
        reason = "a GraphQL field's arguments, as Relay spells them"
    )]
    async fn customers(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size forwards, 1–200 (default 50).")] first: Option<i32>,
        #[graphql(desc = "The page after this cursor (an `endCursor`).")] after: Option<String>,
        #[graphql(
            desc = "Page size backwards, 1–200: the items just before `before` (the end of the list without it), in the same order as forwards."
        )]
        last: Option<i32>,
        #[graphql(desc = "The page before this cursor (a `startCursor`).")] before: Option<String>,
        filter: Option<CustomerFilter>,
        order_by: Option<CustomerOrder>,
    ) -> Result<CustomerConnection> {
        let (state, principal) = context(ctx)?;
        let window = super::connections::relay_window(first, after, last, before)?;
        let filter: ServiceFilter = filter.map(Into::into).unwrap_or_default();
        let (sort, direction) = order_by
            .map_or((CustomerSortField::CreatedAt, SortDirection::Desc), |o| {
                (o.field, o.direction)
            });
        let query = ServiceQuery {
            filter: filter.clone(),
            sort,
            direction,
            limit: window.limit,
            cursor: window.cursor,
            cursor_param: window.cursor_param,
            backward: window.backward,
        };
        let page = customers::list(state, principal, query)
            .await
            .map_err(|e| e.extend())?;
        let ids: Vec<Uuid> = page.items.iter().map(|c| c.id).collect();
        super::loaders::prime(ctx, &ids).await?;
        let edges: Vec<CustomerEdge> = page
            .items
            .into_iter()
            .zip(page.cursors)
            .map(|(node, cursor)| CustomerEdge { cursor, node })
            .collect();
        let page_info = PageInfo {
            has_next_page: page.has_next,
            has_previous_page: page.has_previous,
            start_cursor: edges.first().map(|e| e.cursor.clone()),
            end_cursor: edges.last().map(|e| e.cursor.clone()),
        };
        Ok(CustomerConnection {
            edges,
            page_info,
            filter,
        })
    }
}

/// Customer mutations.
#[derive(Default)]
pub struct CustomerMutation;

fn document(input: &CustomerInputGql) -> Result<serde_json::Value> {
    serde_json::to_value(input).map_err(|e| AppError::Internal(e.into()).extend())
}

#[Object]
impl CustomerMutation {
    /// Create a customer (`kind` and `displayName` required).
    async fn create_customer(
        &self,
        ctx: &Context<'_>,
        input: CustomerInputGql,
    ) -> Result<CustomerView> {
        let (state, principal) = context(ctx)?;
        customers::create(state, principal, document(&input)?)
            .await
            .map_err(|e| e.extend())
    }

    /// Change a customer: only the fields given change, `null` clears one. With
    /// `expectedVersion`, fails with `CONFLICT` if the customer changed since.
    async fn update_customer(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        expected_version: Option<i64>,
        input: CustomerInputGql,
    ) -> Result<CustomerView> {
        let (state, principal) = context(ctx)?;
        customers::update(state, principal, id, expected_version, document(&input)?)
            .await
            .map_err(|e| e.extend())
    }

    /// Soft-delete a customer.
    async fn delete_customer(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        expected_version: Option<i64>,
    ) -> Result<bool> {
        let (state, principal) = context(ctx)?;
        customers::delete(state, principal, id, expected_version)
            .await
            .map_err(|e| e.extend())?;
        Ok(true)
    }

    /// Show masked fields in clear, with a reason kept in the audit log (support: contact
    /// fields; managers: sensitive fields).
    async fn reveal_customer_fields(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        fields: Vec<String>,
        reason: String,
    ) -> Result<crate::types::customer::RevealView> {
        let (state, principal) = context(ctx)?;
        let request = crate::types::customer::RevealRequest { fields, reason };
        customers::reveal(state, principal, id, request.into())
            .await
            .map_err(|e| e.extend())
    }

    /// Restore a soft-deleted customer.
    async fn restore_customer(&self, ctx: &Context<'_>, id: Uuid) -> Result<CustomerView> {
        let (state, principal) = context(ctx)?;
        customers::restore(state, principal, id)
            .await
            .map_err(|e| e.extend())
    }
}
