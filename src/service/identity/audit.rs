//! The audit log: recording events in the same transaction as the change they describe,
//! and reading them back (admins only). It is append-only: the database refuses UPDATE and
//! DELETE on `audit_events` (migration 000016), and nothing here does either.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use entity::audit_event;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, Order,
    QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::domain::Sensitivity;
use crate::error::AppResult;
use crate::policy::Principal;
use crate::policy::{Action, authorize};
use crate::policy::{CustomFieldClasses, audit_value, class_of};
use crate::service::pagination::{self, Page};
use crate::service::records::Window;
use crate::state::AppState;
use crate::types::audit::AuditView;

/// An event to record.
pub struct Event {
    pub action: &'static str,
    pub customer_id: Option<Uuid>,
    pub reason: Option<String>,
    pub details: Value,
}

impl Event {
    /// An event about a customer.
    pub fn customer(action: &'static str, customer_id: Uuid, details: Value) -> Self {
        Self {
            action,
            customer_id: Some(customer_id),
            reason: None,
            details,
        }
    }
}

/// Append an event.
///
/// # Errors
/// Database failures (the caller's transaction then rolls back: no unaudited write).
pub async fn record(
    conn: &impl ConnectionTrait,
    principal: &Principal,
    event: Event,
) -> AppResult<()> {
    audit_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        at: Set(crate::clock::now()),
        actor: Set(principal.subject()),
        actor_user_id: Set(principal.user_id),
        action: Set(event.action.to_owned()),
        customer_id: Set(event.customer_id),
        reason: Set(event.reason),
        details: Set(event.details),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// Append several events in one statement (none when `events` is empty).
///
/// # Errors
/// Database failures.
pub async fn record_many(
    conn: &impl ConnectionTrait,
    principal: &Principal,
    events: Vec<Event>,
) -> AppResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    let at = crate::clock::now();
    let rows = events.into_iter().map(|event| audit_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        at: Set(at),
        actor: Set(principal.subject()),
        actor_user_id: Set(principal.user_id),
        action: Set(event.action.to_owned()),
        customer_id: Set(event.customer_id),
        reason: Set(event.reason),
        details: Set(event.details),
    });
    audit_event::Entity::insert_many(rows)
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

fn flatten(prefix: &str, value: &Value, out: &mut BTreeMap<String, Value>) {
    match value {
        // `custom` and `individual.social` are maps of values, each a field of its own.
        Value::Object(map) => {
            for (k, v) in map {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&path, v, out);
            }
        }
        _ => {
            out.insert(prefix.to_owned(), value.clone());
        }
    }
}

/// The field-level changes between two customer documents, private values masked.
pub fn diff(before: &Value, after: &Value, custom_classes: &CustomFieldClasses) -> Value {
    let (mut old, mut new) = (BTreeMap::new(), BTreeMap::new());
    flatten("", before, &mut old);
    flatten("", after, &mut new);
    let mut fields: Vec<&String> = old.keys().chain(new.keys()).collect();
    fields.sort();
    fields.dedup();
    let changes: Vec<Value> = fields
        .into_iter()
        .filter(|f| old.get(*f) != new.get(*f))
        .map(|field| {
            let class = match field.strip_prefix("custom.") {
                Some(key) => custom_classes.get(key).copied().unwrap_or(Sensitivity::Sensitive),
                None if field.starts_with("individual.social.") => class_of("individual.social"),
                None => class_of(field),
            };
            let from = old.get(field).unwrap_or(&Value::Null);
            let to = new.get(field).unwrap_or(&Value::Null);
            json!({"field": field, "from": audit_value(field, class, from), "to": audit_value(field, class, to)})
        })
        .collect();
    json!({ "changes": changes })
}

/// Which events to list.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor_user_id: Option<Uuid>,
    pub customer_id: Option<Uuid>,
    pub action: Option<String>,
    /// At or after.
    pub from: Option<DateTime<Utc>>,
    /// Before.
    pub to: Option<DateTime<Utc>>,
}

fn view(m: audit_event::Model) -> AuditView {
    AuditView {
        id: m.id,
        at: m.at.into(),
        actor: m.actor,
        actor_user_id: m.actor_user_id,
        action: m.action,
        customer_id: m.customer_id,
        reason: m.reason,
        details: async_graphql::Json(m.details),
    }
}

/// Events, newest first, a page at a time (admins only): after the window's cursor, or
/// before it read backwards.
///
/// # Errors
/// `Forbidden`; `BadRequest` for a bad cursor.
pub async fn list(
    state: &AppState,
    principal: &Principal,
    filter: &AuditFilter,
    window: &Window,
) -> AppResult<Page<AuditView>> {
    use audit_event::Column as C;
    authorize(principal, Action::Administer)?;
    let mut q = audit_event::Entity::find();
    if let Some(actor) = filter.actor_user_id {
        q = q.filter(C::ActorUserId.eq(actor));
    }
    if let Some(customer) = filter.customer_id {
        q = q.filter(C::CustomerId.eq(customer));
    }
    if let Some(action) = &filter.action {
        q = q.filter(C::Action.eq(action.trim()));
    }
    if let Some(from) = filter.from {
        q = q.filter(C::At.gte(from));
    }
    if let Some(to) = filter.to {
        q = q.filter(C::At.lt(to));
    }
    // Ids are UUIDv7: newest first is descending id order.
    if let Some(cursor) = &window.cursor {
        let (_, id) = pagination::decode(window.cursor_param, cursor)?;
        q = q.filter(if window.backward {
            C::Id.gt(id)
        } else {
            C::Id.lt(id)
        });
    }
    let order = if window.backward {
        Order::Asc
    } else {
        Order::Desc
    };
    let mut rows = q
        .order_by(C::Id, order)
        .limit(window.limit + 1)
        .all(&state.db)
        .await?;
    let more = pagination::trim(&mut rows, window.limit, window.backward);
    let cursors: Vec<String> = rows
        .iter()
        .map(|r| pagination::encode(&json!(r.id), r.id))
        .collect();
    Ok(Page::read(
        rows.into_iter().map(view).collect(),
        cursors,
        window.backward,
        window.cursor.is_some(),
        more,
    ))
}
