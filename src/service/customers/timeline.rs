//! A customer's timeline: orders, interactions, survey answers, complaint steps and consent
//! changes in one newest-first feed, each entry rendered through the policy.
//!
//! Each source is read newest-first after the cursor, `limit + 1` rows at most, and the
//! results are merged: a page costs one statement per source, however long the history.

use chrono::{DateTime, Utc};
use entity::{complaint_event, consent_event, interaction, order, survey};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::json;
use uuid::Uuid;

use crate::domain::TimelineKind;
use crate::error::{AppError, AppResult};
use crate::policy::Principal;
use crate::policy::{Action, authorize};
use crate::service::Page;
use crate::service::behaviour::engagement::{complaint_event_view, interaction_view, survey_view};
use crate::service::behaviour::orders::render_orders;
use crate::service::pagination;
use crate::service::records::{Window, visible_customer};
use crate::service::relations::consent_event_view;
use crate::state::AppState;
use crate::types::engagement::TimelineEntry;
use crate::types::time::Timestamp;

/// Rows of one source strictly before `(at, id)`, newest first.
async fn before<E: EntityTrait>(
    conn: &impl ConnectionTrait,
    customer: E::Column,
    time: E::Column,
    id: E::Column,
    customer_id: Uuid,
    cursor: Option<(DateTime<Utc>, Uuid)>,
    limit: u64,
) -> AppResult<Vec<E::Model>> {
    let mut select = E::find().filter(customer.eq(customer_id));
    if let Some((at, last)) = cursor {
        select = select.filter(
            Condition::any()
                .add(time.lt(at))
                .add(Condition::all().add(time.eq(at)).add(id.lt(last))),
        );
    }
    Ok(select
        .order_by_desc(time)
        .order_by_desc(id)
        .limit(limit)
        .all(conn)
        .await?)
}

fn empty(kind: TimelineKind, at: impl Into<Timestamp>, id: Uuid) -> TimelineEntry {
    TimelineEntry {
        at: at.into(),
        kind,
        id,
        order: None,
        interaction: None,
        survey: None,
        complaint_event: None,
        consent: None,
    }
}

/// One page of a customer's timeline, newest first; `kinds` limits the sources (all when
/// empty).
///
/// # Errors
/// `NotFound` for a customer the caller cannot see; `BadRequest` for a bad cursor.
pub async fn timeline(
    state: &AppState,
    principal: &Principal,
    customer_id: Uuid,
    kinds: &[TimelineKind],
    window: &Window,
) -> AppResult<Page<TimelineEntry>> {
    authorize(principal, Action::ReadCustomers)?;
    let db = &state.db;
    visible_customer(db, principal, customer_id).await?;
    let cursor = match &window.cursor {
        Some(raw) => {
            let (value, id) = pagination::decode(window.cursor_param, raw)?;
            let at: DateTime<Utc> = serde_json::from_value(value).map_err(|_| {
                AppError::bad_param(
                    window.cursor_param,
                    "invalid_cursor",
                    "is not a timeline cursor",
                )
            })?;
            Some((at, id))
        }
        None => None,
    };
    let wants = |k: TimelineKind| kinds.is_empty() || kinds.contains(&k);
    let n = window.limit + 1;
    let mut entries: Vec<TimelineEntry> = Vec::new();
    if wants(TimelineKind::Order) {
        use order::Column as C;
        let rows = before::<order::Entity>(
            db,
            C::CustomerId,
            C::OrderedAt,
            C::Id,
            customer_id,
            cursor,
            n,
        )
        .await?;
        for view in render_orders(db, principal, rows).await? {
            let mut e = empty(TimelineKind::Order, view.ordered_at, view.id);
            e.order = Some(view);
            entries.push(e);
        }
    }
    if wants(TimelineKind::Interaction) {
        use interaction::Column as C;
        for m in before::<interaction::Entity>(
            db,
            C::CustomerId,
            C::OccurredAt,
            C::Id,
            customer_id,
            cursor,
            n,
        )
        .await?
        {
            let mut e = empty(TimelineKind::Interaction, m.occurred_at, m.id);
            e.interaction = Some(interaction_view(m, principal)?);
            entries.push(e);
        }
    }
    if wants(TimelineKind::Survey) {
        use survey::Column as C;
        for m in before::<survey::Entity>(
            db,
            C::CustomerId,
            C::AnsweredAt,
            C::Id,
            customer_id,
            cursor,
            n,
        )
        .await?
        {
            let mut e = empty(TimelineKind::Survey, m.answered_at, m.id);
            e.survey = Some(survey_view(m, principal)?);
            entries.push(e);
        }
    }
    if wants(TimelineKind::ComplaintEvent) {
        use complaint_event::Column as C;
        for m in before::<complaint_event::Entity>(
            db,
            C::CustomerId,
            C::At,
            C::Id,
            customer_id,
            cursor,
            n,
        )
        .await?
        {
            let mut e = empty(TimelineKind::ComplaintEvent, m.at, m.id);
            e.complaint_event = Some(complaint_event_view(m, principal)?);
            entries.push(e);
        }
    }
    if wants(TimelineKind::Consent) {
        use consent_event::Column as C;
        for m in
            before::<consent_event::Entity>(db, C::CustomerId, C::At, C::Id, customer_id, cursor, n)
                .await?
        {
            let mut e = empty(TimelineKind::Consent, m.at, m.id);
            e.consent = Some(consent_event_view(m)?);
            entries.push(e);
        }
    }
    entries.sort_by_key(|e| std::cmp::Reverse((e.at, e.id)));
    let has_more = entries.len() as u64 > window.limit;
    entries.truncate(window.limit as usize);
    let cursors: Vec<String> = entries
        .iter()
        .map(|e| pagination::encode(&json!(e.at), e.id))
        .collect();
    Ok(Page::new(entries, cursors, has_more))
}
