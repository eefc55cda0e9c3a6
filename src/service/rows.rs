//! Row visibility in SQL: where every customer-scoped query starts. The policy decides
//! which customers' rows a caller sees (`policy::rows`); these turn that into the query, so
//! another owner's customer is missing from every answer — a 404 by construction.

use entity::customer;
use sea_orm::sea_query::{Query, SelectStatement};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, Select};
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::policy::{Principal, Rows, rows};

/// The condition on an owner column that keeps the rows `principal` may see.
pub fn owned<C: sea_orm::sea_query::IntoCondition + Sized>(
    principal: &Principal,
    by_owner: impl FnOnce(uuid::Uuid) -> C,
) -> Condition {
    match rows(principal) {
        Rows::All => Condition::all(),
        Rows::OwnedBy(owner) => Condition::all().add(by_owner(owner)),
    }
}

/// The condition on `customer.owner_id` that keeps the customers `principal` may see.
pub fn visible(principal: &Principal) -> Condition {
    owned(principal, |owner| customer::Column::OwnerId.eq(owner))
}

/// Every customer `principal` may see, soft-deleted ones included.
pub fn customers(principal: &Principal) -> Select<customer::Entity> {
    customer::Entity::find().filter(visible(principal))
}

/// The live (not soft-deleted) customers `principal` may see.
pub fn live_customers(principal: &Principal) -> Select<customer::Entity> {
    customers(principal).filter(customer::Column::DeletedAt.is_null())
}

/// The ids of the live customers `principal` may see, as a subquery.
pub fn live_customer_ids(principal: &Principal) -> SelectStatement {
    let mut q = Query::select();
    q.column(customer::Column::Id)
        .from(customer::Entity)
        .and_where(customer::Column::DeletedAt.is_null())
        .cond_where(visible(principal));
    q
}

/// The condition on a record's `customer_id` column that keeps the records of the live
/// customers `principal` may see (a subquery of the same statement).
pub fn of_visible<C: ColumnTrait>(principal: &Principal, customer_id: C) -> Condition {
    Condition::all().add(customer_id.in_subquery(live_customer_ids(principal)))
}

/// A stored customer by id, within the principal's rows; soft-deleted ones only when
/// asked. Another owner's customer is "not found", exactly like a missing one.
pub(crate) async fn find(
    conn: &impl ConnectionTrait,
    principal: &Principal,
    id: Uuid,
    include_deleted: bool,
) -> AppResult<customer::Model> {
    let mut query = customers(principal).filter(customer::Column::Id.eq(id));
    if !include_deleted {
        query = query.filter(customer::Column::DeletedAt.is_null());
    }
    if let Some(found) = query.one(conn).await? {
        return Ok(found);
    }
    // A merged-away customer says where it went (to callers who could see it).
    let merged = customers(principal)
        .filter(customer::Column::Id.eq(id))
        .filter(customer::Column::MergedInto.is_not_null());
    match merged.one(conn).await?.and_then(|m| m.merged_into) {
        Some(survivor) if !include_deleted => Err(AppError::MergedInto { survivor }),
        _ => Err(AppError::NotFound { entity: "customer" }),
    }
}
