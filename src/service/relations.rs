//! Preferences, consent per channel, relationships between customers, and the loyalty
//! programme. Consent and points are append-only histories: the state in force (consent per
//! channel, the points balance) is derived from them.

use crate::policy::{Action, authorize};
use std::collections::HashMap;

use entity::{
    consent_event, customer, customer_preference, loyalty_account, points_entry, relationship,
};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, NotSet, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::domain::{
    ContactChannel, CustomerKind, LoyaltyTier, PointsKind, PreferredTime, RelationshipKind,
    RelationshipTitle,
};
use crate::error::{AppError, AppResult};
use crate::policy::Fields;
use crate::policy::Principal;
use crate::service::Page;
use crate::service::identity::audit::{self, Event};
use crate::service::input::{Checker, parse_document};
use crate::service::records::{self, Window, newest_first, visible_customer};
use crate::service::versioned;
use crate::state::AppState;
use crate::types::relations::{
    ConsentEventView, ConsentInput, ConsentView, LoyaltyInput, LoyaltyView, PointsEntryView,
    PointsInput, PreferencesInput, PreferencesView, RelationshipInput, RelationshipView,
};

// ---------------------------------------------------------------------------------------
// Preferences

/// `version + 1` of the row an upsert ran into.
fn bumped<E: sea_orm::EntityTrait, C: sea_orm::sea_query::IntoIden>(
    table: E,
    column: C,
) -> sea_orm::sea_query::Expr {
    use sea_orm::sea_query::ExprTrait;
    sea_orm::sea_query::Expr::col((table, column)).add(1)
}

/// A conditional write to a customer's row that was never written (version 0) is stale, not
/// missing: the customer was found.
fn never_written(e: AppError) -> AppError {
    match e {
        AppError::NotFound { .. } => AppError::PreconditionFailed { current: 0 },
        e => e,
    }
}

/// Render preferences (none recorded reads as empty).
pub fn preferences_view(
    customer_id: Uuid,
    m: Option<&customer_preference::Model>,
) -> AppResult<PreferencesView> {
    Ok(PreferencesView {
        customer_id,
        categories: m
            .and_then(|m| m.categories.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default(),
        preferred_channel: m
            .and_then(|m| m.preferred_channel.as_deref())
            .map(|c| {
                crate::service::stored(
                    ContactChannel::parse(c),
                    "customer_preferences",
                    "preferred_channel",
                    customer_id,
                )
            })
            .transpose()?,
        preferred_time: m
            .and_then(|m| m.preferred_time.as_deref())
            .map(|t| {
                crate::service::stored(
                    PreferredTime::parse(t),
                    "customer_preferences",
                    "preferred_time",
                    customer_id,
                )
            })
            .transpose()?,
        updated_at: m.map(|m| m.updated_at.into()),
        version: m.map_or(0, |m| m.version),
    })
}

/// A customer's preferences.
///
/// # Errors
/// `NotFound`.
pub async fn preferences(
    state: &AppState,
    principal: &Principal,
    customer_id: Uuid,
) -> AppResult<PreferencesView> {
    authorize(principal, Action::ReadCustomers)?;
    visible_customer(&state.db, principal, customer_id).await?;
    let m = customer_preference::Entity::find_by_id(customer_id)
        .one(&state.db)
        .await?;
    preferences_view(customer_id, m.as_ref())
}

/// Replace a customer's preferences; with `expected_version` only if they are still at that
/// version (0: never set).
///
/// # Errors
/// `NotFound`; `Validation`; `PreconditionFailed` for a stale version.
pub async fn set_preferences(
    state: &AppState,
    principal: &Principal,
    customer_id: Uuid,
    expected_version: Option<i64>,
    doc: Value,
) -> AppResult<PreferencesView> {
    authorize(principal, Action::RecordActivity)?;
    let input: PreferencesInput = parse_document(doc)?;
    let mut c = Checker::default();
    let mut categories: Vec<String> = Vec::new();
    for (i, raw) in input.categories.unwrap_or_default().into_iter().enumerate() {
        if let Some(cat) = c.text(&format!("categories[{i}]"), Some(raw), 100)
            && !categories.contains(&cat)
        {
            categories.push(cat);
        }
    }
    if categories.len() > 20 {
        c.fail("categories", "too_many", "must have at most 20 categories");
    }
    c.finish(())?;
    let txn = crate::service::begin_write(&state.db).await?;
    visible_customer(&txn, principal, customer_id).await?;
    let row = customer_preference::ActiveModel {
        customer_id: Set(customer_id),
        categories: Set(json!(categories)),
        preferred_channel: Set(input.preferred_channel.map(|c| c.as_str().to_owned())),
        preferred_time: Set(input.preferred_time.map(|t| t.as_str().to_owned())),
        version: NotSet,
        updated_at: Set(crate::clock::now()),
    };
    use customer_preference::Column as C;
    match expected_version {
        None => {
            let mut row = row;
            row.version = Set(1);
            customer_preference::Entity::insert(row)
                .on_conflict(
                    OnConflict::column(C::CustomerId)
                        .update_columns([
                            C::Categories,
                            C::PreferredChannel,
                            C::PreferredTime,
                            C::UpdatedAt,
                        ])
                        .value(C::Version, bumped(customer_preference::Entity, C::Version))
                        .to_owned(),
                )
                .exec(&txn)
                .await?;
        }
        Some(0) => versioned::create(&txn, customer_id, row).await?,
        Some(base) => {
            let mut row = row;
            row.customer_id = NotSet;
            versioned::update_model(&txn, customer_id, base, row)
                .await
                .map_err(never_written)?;
        }
    }
    let m = customer_preference::Entity::find_by_id(customer_id)
        .one(&txn)
        .await?;
    txn.commit().await?;
    preferences_view(customer_id, m.as_ref())
}

// ---------------------------------------------------------------------------------------
// Consent

/// Render one consent change.
///
/// # Errors
/// `Internal` for a stored channel this version does not know.
pub fn consent_event_view(m: consent_event::Model) -> AppResult<ConsentEventView> {
    Ok(ConsentEventView {
        id: m.id,
        customer_id: m.customer_id,
        channel: crate::service::stored(
            ContactChannel::parse(&m.channel),
            "consent_events",
            "channel",
            m.id,
        )?,
        granted: m.granted,
        at: m.at.into(),
        source: m.source,
        recorded_by: m.recorded_by,
    })
}

/// The consent in force per channel, from a customer's history (oldest first).
pub fn consents_from(history: &[consent_event::Model]) -> Vec<ConsentView> {
    ContactChannel::ALL
        .iter()
        .map(|channel| {
            let latest = history
                .iter()
                .filter(|e| e.channel == channel.as_str())
                .max_by_key(|e| (e.at, e.id));
            ConsentView {
                channel: *channel,
                granted: latest.map(|e| e.granted),
                at: latest.map(|e| e.at.into()),
                source: latest.map(|e| e.source.clone()),
            }
        })
        .collect()
}

/// Consent histories of many customers, oldest first: one statement.
async fn consent_histories(
    conn: &impl ConnectionTrait,
    principal: &Principal,
    customer_ids: Vec<Uuid>,
) -> AppResult<HashMap<Uuid, Vec<consent_event::Model>>> {
    let mut out: HashMap<Uuid, Vec<consent_event::Model>> = HashMap::new();
    if customer_ids.is_empty() {
        return Ok(out);
    }
    for e in consent_event::Entity::find()
        .filter(consent_event::Column::CustomerId.is_in(customer_ids))
        .filter(crate::service::rows::of_visible(
            principal,
            consent_event::Column::CustomerId,
        ))
        .order_by_asc(consent_event::Column::At)
        .order_by_asc(consent_event::Column::Id)
        .all(conn)
        .await?
    {
        out.entry(e.customer_id).or_default().push(e);
    }
    Ok(out)
}

/// A customer's consent in force, per channel.
///
/// # Errors
/// `NotFound`.
pub async fn consents(
    state: &AppState,
    principal: &Principal,
    customer_id: Uuid,
) -> AppResult<Vec<ConsentView>> {
    authorize(principal, Action::ReadCustomers)?;
    visible_customer(&state.db, principal, customer_id).await?;
    let mut histories = consent_histories(&state.db, principal, vec![customer_id]).await?;
    Ok(consents_from(
        &histories.remove(&customer_id).unwrap_or_default(),
    ))
}

/// The consent in force of many customers, per channel: one statement; customers the
/// caller may not see have none.
///
/// # Errors
/// `Forbidden` for a key without `customers:read`; database failures.
pub async fn consents_of(
    conn: &impl ConnectionTrait,
    principal: &Principal,
    customer_ids: Vec<Uuid>,
) -> AppResult<HashMap<Uuid, Vec<ConsentView>>> {
    authorize(principal, Action::ReadCustomers)?;
    let histories = consent_histories(conn, principal, customer_ids).await?;
    Ok(histories
        .into_iter()
        .map(|(id, history)| (id, consents_from(&history)))
        .collect())
}

/// The preferences of many customers: one statement; customers the caller may not see have
/// none.
///
/// # Errors
/// `Forbidden` for a key without `customers:read`; database failures.
pub async fn preferences_of(
    conn: &impl ConnectionTrait,
    principal: &Principal,
    customer_ids: Vec<Uuid>,
) -> AppResult<HashMap<Uuid, PreferencesView>> {
    authorize(principal, Action::ReadCustomers)?;
    if customer_ids.is_empty() {
        return Ok(HashMap::new());
    }
    customer_preference::Entity::find()
        .filter(customer_preference::Column::CustomerId.is_in(customer_ids))
        .filter(crate::service::rows::of_visible(
            principal,
            customer_preference::Column::CustomerId,
        ))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| Ok((m.customer_id, preferences_view(m.customer_id, Some(&m))?)))
        .collect()
}

/// Membership and points balance of many customers: two statements; customers the caller
/// may not see have none.
///
/// # Errors
/// `Forbidden` for a key without `customers:read`; database failures.
pub async fn loyalty_of(
    conn: &impl ConnectionTrait,
    principal: &Principal,
    customer_ids: Vec<Uuid>,
) -> AppResult<HashMap<Uuid, LoyaltyView>> {
    authorize(principal, Action::ReadCustomers)?;
    let accounts = accounts(conn, principal, customer_ids.clone()).await?;
    let balances = balances(conn, principal, customer_ids.clone()).await?;
    customer_ids
        .into_iter()
        .map(|id| {
            let view = loyalty_view(
                id,
                accounts.get(&id),
                balances.get(&id).copied().unwrap_or(0),
                principal,
            )?;
            Ok((id, view))
        })
        .collect()
}

/// A customer's consent history, newest first.
///
/// # Errors
/// `NotFound`; `BadRequest` for a bad cursor.
pub async fn consent_history(
    state: &AppState,
    principal: &Principal,
    customer_id: Uuid,
    window: &Window,
) -> AppResult<Page<ConsentEventView>> {
    use consent_event::Column as C;
    authorize(principal, Action::ReadCustomers)?;
    visible_customer(&state.db, principal, customer_id).await?;
    let select = consent_event::Entity::find().filter(C::CustomerId.eq(customer_id));
    let page = newest_first(&state.db, select, C::At, C::Id, window, |m| (m.at, m.id)).await?;
    page.try_map(consent_event_view)
}

/// Record a grant or withdrawal of consent on one channel; the history keeps every change.
///
/// # Errors
/// `NotFound`; `Validation` (source required, time not in the future).
pub async fn record_consent(
    state: &AppState,
    principal: &Principal,
    customer_id: Uuid,
    doc: Value,
) -> AppResult<ConsentEventView> {
    record_consent_in(&state.db, principal, customer_id, doc).await
}

/// As [`record_consent`], written and read back through `db` (a caller's transaction).
pub async fn record_consent_in(
    db: &impl crate::service::Db,
    principal: &Principal,
    customer_id: Uuid,
    doc: Value,
) -> AppResult<ConsentEventView> {
    authorize(principal, Action::RecordActivity)?;
    let input: ConsentInput = parse_document(doc)?;
    let mut c = Checker::default();
    let source = c.text("source", Some(input.source), 100);
    if source.is_none() {
        c.fail(
            "source",
            "required",
            "say where the customer gave or withdrew consent",
        );
    }
    let at = input.at.map(|at| records::truncate(at.into()));
    if at.is_some_and(|at| at > crate::clock::now()) {
        c.fail("at", "in_future", "must not be in the future");
    }
    c.finish(())?;
    let txn = crate::service::begin_write(db).await?;
    visible_customer(&txn, principal, customer_id).await?;
    let model = consent_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        customer_id: Set(customer_id),
        channel: Set(input.channel.as_str().to_owned()),
        granted: Set(input.granted),
        at: Set(at.unwrap_or_else(crate::clock::now)),
        source: Set(source.unwrap_or_default()),
        recorded_by: Set(principal.subject()),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        principal,
        Event::customer(
            if input.granted {
                "consent.granted"
            } else {
                "consent.withdrawn"
            },
            customer_id,
            json!({"channel": model.channel, "source": model.source}),
        ),
    )
    .await?;
    txn.commit().await?;
    consent_event_view(model)
}

// ---------------------------------------------------------------------------------------
// Relationships

fn relationship_view(
    m: &relationship::Model,
    from_side: Uuid,
    other: &customer::Model,
    principal: &Principal,
) -> AppResult<RelationshipView> {
    let stored = crate::service::stored(
        RelationshipKind::parse(&m.kind),
        "relationships",
        "kind",
        m.id,
    )?;
    let kind = if m.from_id == from_side {
        stored
    } else {
        stored.inverse()
    };
    let mut f = Fields::new(principal, "relationship");
    let title = m
        .title
        .as_deref()
        .map(|t| {
            crate::service::stored(RelationshipTitle::parse(t), "relationships", "title", m.id)
        })
        .transpose()?;
    let other_kind = crate::service::stored(
        CustomerKind::parse(&other.kind),
        "customers",
        "kind",
        other.id,
    )?;
    Ok(RelationshipView {
        id: m.id,
        customer_id: from_side,
        kind,
        title,
        other_id: other.id,
        other_display_name: other.display_name.clone(),
        other_kind,
        note: f.whole("note", m.note.as_ref()),
        created_at: m.created_at.into(),
        masked: f.finish(),
    })
}

/// Relationships of many customers, each read from its own side, keeping only links whose
/// other end the principal may see: three statements.
///
/// # Errors
/// Database failures.
pub async fn relationships_of(
    conn: &impl ConnectionTrait,
    principal: &Principal,
    customer_ids: &[Uuid],
) -> AppResult<HashMap<Uuid, Vec<RelationshipView>>> {
    let mut out: HashMap<Uuid, Vec<RelationshipView>> = HashMap::new();
    if customer_ids.is_empty() {
        return Ok(out);
    }
    let links = relationship::Entity::find()
        .filter(
            Condition::any()
                .add(relationship::Column::FromId.is_in(customer_ids.to_vec()))
                .add(relationship::Column::ToId.is_in(customer_ids.to_vec())),
        )
        .order_by_asc(relationship::Column::Id)
        .all(conn)
        .await?;
    let mut ends: Vec<Uuid> = links.iter().flat_map(|l| [l.from_id, l.to_id]).collect();
    ends.sort_unstable();
    ends.dedup();
    let visible: HashMap<Uuid, customer::Model> = if ends.is_empty() {
        HashMap::new()
    } else {
        crate::service::rows::live_customers(principal)
            .filter(customer::Column::Id.is_in(ends))
            .all(conn)
            .await?
            .into_iter()
            .map(|c| (c.id, c))
            .collect()
    };
    for link in &links {
        for (side, other) in [(link.from_id, link.to_id), (link.to_id, link.from_id)] {
            if customer_ids.contains(&side)
                && let Some(other) = visible.get(&other)
            {
                out.entry(side)
                    .or_default()
                    .push(relationship_view(link, side, other, principal)?);
            }
        }
    }
    Ok(out)
}

/// A customer's relationships, both directions, each read from this customer's side.
///
/// # Errors
/// `NotFound`.
pub async fn relationships(
    state: &AppState,
    principal: &Principal,
    customer_id: Uuid,
) -> AppResult<Vec<RelationshipView>> {
    authorize(principal, Action::ReadCustomers)?;
    visible_customer(&state.db, principal, customer_id).await?;
    Ok(relationships_of(&state.db, principal, &[customer_id])
        .await?
        .remove(&customer_id)
        .unwrap_or_default())
}

/// Link a customer to another. Either reading of a link may be sent (`child_of` is stored
/// as the other's `parent_of`); no self-links, no duplicates (in either direction).
///
/// # Errors
/// `NotFound`; `Validation` (unknown or invisible other customer, self-link, title on a
/// family link, person/organization mismatch); `Conflict` for an existing link.
pub async fn link(
    state: &AppState,
    principal: &Principal,
    customer_id: Uuid,
    doc: Value,
) -> AppResult<RelationshipView> {
    link_in(&state.db, principal, customer_id, doc).await
}

/// As [`link`], written and read back through `db` (a caller's transaction).
pub async fn link_in(
    db: &impl crate::service::Db,
    principal: &Principal,
    customer_id: Uuid,
    doc: Value,
) -> AppResult<RelationshipView> {
    authorize(principal, Action::WriteCustomers)?;
    let input: RelationshipInput = parse_document(doc)?;
    let mut c = Checker::default();
    let note = c.text("note", input.note, 2000);
    if input.other_id == customer_id {
        c.fail(
            "other_id",
            "self_link",
            "a customer cannot be linked to itself",
        );
    }
    c.finish(())?;
    let txn = crate::service::begin_write(db).await?;
    let this = visible_customer(&txn, principal, customer_id).await?;
    let other = match visible_customer(&txn, principal, input.other_id).await {
        Ok(o) => o,
        Err(AppError::NotFound { .. }) => {
            return Err(AppError::invalid(
                "other_id",
                "unknown_customer",
                "must be the id of a customer you can see",
            ));
        }
        Err(e) => return Err(e),
    };
    // Store every link in its canonical direction.
    let (kind, from, to) = if RelationshipKind::STORED.contains(&input.kind) {
        (input.kind, &this, &other)
    } else {
        (input.kind.inverse(), &other, &this)
    };
    let mut c = Checker::default();
    if kind.is_organizational() {
        if from.kind != CustomerKind::Individual.as_str()
            || to.kind != CustomerKind::Organization.as_str()
        {
            c.fail(
                "kind",
                "kind_mismatch",
                format!("{kind} links a person to an organization"),
            );
        }
    } else {
        if input.title.is_some() {
            c.fail(
                "title",
                "not_applicable",
                "only key_person_of and employee_of links carry a title",
            );
        }
        if matches!(
            kind,
            RelationshipKind::SpouseOf | RelationshipKind::ParentOf
        ) && (from.kind != "individual" || to.kind != "individual")
        {
            c.fail("kind", "kind_mismatch", format!("{kind} links two people"));
        }
    }
    c.finish(())?;
    let (from_id, to_id) = (from.id, to.id);
    // Same link either way round (for symmetric and family kinds the reverse is the same
    // fact, or a contradiction).
    let mut same = Condition::any().add(
        Condition::all()
            .add(relationship::Column::FromId.eq(from_id))
            .add(relationship::Column::ToId.eq(to_id))
            .add(relationship::Column::Kind.eq(kind.as_str())),
    );
    if kind.is_symmetric() || kind == RelationshipKind::ParentOf {
        same = same.add(
            Condition::all()
                .add(relationship::Column::FromId.eq(to_id))
                .add(relationship::Column::ToId.eq(from_id))
                .add(relationship::Column::Kind.eq(kind.as_str())),
        );
    }
    if relationship::Entity::find()
        .filter(same)
        .one(&txn)
        .await?
        .is_some()
    {
        return Err(AppError::Conflict(format!(
            "these customers are already linked as {kind}"
        )));
    }
    let model = relationship::ActiveModel {
        id: Set(Uuid::now_v7()),
        from_id: Set(from_id),
        to_id: Set(to_id),
        kind: Set(kind.as_str().to_owned()),
        title: Set(input.title.map(|t| t.as_str().to_owned())),
        note: Set(note),
        created_at: Set(crate::clock::now()),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        principal,
        Event::customer(
            "relationship.created",
            customer_id,
            json!({"relationship_id": model.id, "kind": input.kind, "other_id": other.id}),
        ),
    )
    .await?;
    txn.commit().await?;
    relationship_view(&model, customer_id, &other, principal)
}

/// Remove a link of this customer.
///
/// # Errors
/// `NotFound` (also when the link is not this customer's or its other end is not visible).
pub async fn unlink(
    state: &AppState,
    principal: &Principal,
    customer_id: Uuid,
    relationship_id: Uuid,
) -> AppResult<()> {
    authorize(principal, Action::WriteCustomers)?;
    let txn = crate::service::begin_write(&state.db).await?;
    visible_customer(&txn, principal, customer_id).await?;
    let link = relationship::Entity::find_by_id(relationship_id)
        .one(&txn)
        .await?
        .filter(|l| l.from_id == customer_id || l.to_id == customer_id)
        .ok_or(AppError::NotFound {
            entity: "relationship",
        })?;
    let other = if link.from_id == customer_id {
        link.to_id
    } else {
        link.from_id
    };
    visible_customer(&txn, principal, other)
        .await
        .map_err(|_| AppError::NotFound {
            entity: "relationship",
        })?;
    relationship::Entity::delete_by_id(link.id)
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        principal,
        Event::customer(
            "relationship.deleted",
            customer_id,
            json!({"relationship_id": link.id, "kind": link.kind, "other_id": other}),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Loyalty

/// Render a membership and balance.
pub fn loyalty_view(
    customer_id: Uuid,
    account: Option<&loyalty_account::Model>,
    balance: i64,
    principal: &Principal,
) -> AppResult<LoyaltyView> {
    let mut f = Fields::new(principal, "loyalty");
    let tier = account
        .map(|a| {
            crate::service::stored(
                LoyaltyTier::parse(&a.tier),
                "loyalty_accounts",
                "tier",
                a.customer_id,
            )
        })
        .transpose()?;
    Ok(LoyaltyView {
        customer_id,
        tier,
        member_since: account.map(|a| a.joined_at.into()),
        version: account.map_or(0, |a| a.version),
        balance: f.whole("balance", Some(&balance)),
        masked: f.finish(),
    })
}

/// Render one movement of points.
///
/// # Errors
/// `Internal` for a stored kind this version does not know.
pub fn points_view(m: points_entry::Model, principal: &Principal) -> AppResult<PointsEntryView> {
    let mut f = Fields::new(principal, "points");
    Ok(PointsEntryView {
        id: m.id,
        customer_id: m.customer_id,
        kind: crate::service::stored(PointsKind::parse(&m.kind), "points_ledger", "kind", m.id)?,
        points: f.whole("points", Some(&m.points)),
        balance_after: f.whole("balance_after", Some(&m.balance_after)),
        at: m.at.into(),
        reason: f.whole("reason", m.reason.as_ref()),
        order_id: m.order_id,
        actor: m.actor,
        masked: f.finish(),
    })
}

/// Points balances of many customers, summed from the ledger: one statement.
async fn balances(
    conn: &impl ConnectionTrait,
    principal: &Principal,
    customer_ids: Vec<Uuid>,
) -> AppResult<HashMap<Uuid, i64>> {
    if customer_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(Uuid, Option<i64>)> = points_entry::Entity::find()
        .select_only()
        .column(points_entry::Column::CustomerId)
        // SUM of a BIGINT is NUMERIC on PostgreSQL: cast it back.
        .column_as(
            sea_orm::sea_query::Expr::cust("CAST(SUM(\"points\") AS BIGINT)"),
            "balance",
        )
        .filter(points_entry::Column::CustomerId.is_in(customer_ids))
        .filter(crate::service::rows::of_visible(
            principal,
            points_entry::Column::CustomerId,
        ))
        .group_by(points_entry::Column::CustomerId)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, sum)| (id, sum.unwrap_or(0)))
        .collect())
}

/// Loyalty accounts of many customers: one statement.
async fn accounts(
    conn: &impl ConnectionTrait,
    principal: &Principal,
    customer_ids: Vec<Uuid>,
) -> AppResult<HashMap<Uuid, loyalty_account::Model>> {
    if customer_ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(loyalty_account::Entity::find()
        .filter(loyalty_account::Column::CustomerId.is_in(customer_ids))
        .filter(crate::service::rows::of_visible(
            principal,
            loyalty_account::Column::CustomerId,
        ))
        .all(conn)
        .await?
        .into_iter()
        .map(|a| (a.customer_id, a))
        .collect())
}

/// A customer's membership and points balance.
///
/// # Errors
/// `NotFound`.
pub async fn loyalty(
    state: &AppState,
    principal: &Principal,
    customer_id: Uuid,
) -> AppResult<LoyaltyView> {
    authorize(principal, Action::ReadCustomers)?;
    visible_customer(&state.db, principal, customer_id).await?;
    let account = accounts(&state.db, principal, vec![customer_id]).await?;
    let balance = balances(&state.db, principal, vec![customer_id]).await?;
    loyalty_view(
        customer_id,
        account.get(&customer_id),
        balance.get(&customer_id).copied().unwrap_or(0),
        principal,
    )
}

/// Enrol a customer or change their tier; with `expected_version` only if the membership is
/// still at that version (0: not a member).
///
/// # Errors
/// `NotFound`; `Validation`; `PreconditionFailed` for a stale version.
pub async fn set_tier(
    state: &AppState,
    principal: &Principal,
    customer_id: Uuid,
    expected_version: Option<i64>,
    doc: Value,
) -> AppResult<LoyaltyView> {
    authorize(principal, Action::WriteCustomers)?;
    let input: LoyaltyInput = parse_document(doc)?;
    let txn = crate::service::begin_write(&state.db).await?;
    visible_customer(&txn, principal, customer_id).await?;
    let now = crate::clock::now();
    use loyalty_account::Column as C;
    let row = loyalty_account::ActiveModel {
        customer_id: Set(customer_id),
        tier: Set(input.tier.as_str().to_owned()),
        joined_at: Set(now),
        version: NotSet,
        updated_at: Set(now),
    };
    match expected_version {
        None => {
            let mut row = row;
            row.version = Set(1);
            loyalty_account::Entity::insert(row)
                .on_conflict(
                    OnConflict::column(C::CustomerId)
                        .update_columns([C::Tier, C::UpdatedAt])
                        .value(C::Version, bumped(loyalty_account::Entity, C::Version))
                        .to_owned(),
                )
                .exec(&txn)
                .await?;
        }
        Some(0) => versioned::create(&txn, customer_id, row).await?,
        Some(base) => {
            let mut row = row;
            row.customer_id = NotSet;
            row.joined_at = NotSet;
            versioned::update_model(&txn, customer_id, base, row)
                .await
                .map_err(never_written)?;
        }
    }
    audit::record(
        &txn,
        principal,
        Event::customer("loyalty.tier_set", customer_id, json!({"tier": input.tier})),
    )
    .await?;
    let account = accounts(&txn, principal, vec![customer_id]).await?;
    let balance = balances(&txn, principal, vec![customer_id]).await?;
    txn.commit().await?;
    loyalty_view(
        customer_id,
        account.get(&customer_id),
        balance.get(&customer_id).copied().unwrap_or(0),
        principal,
    )
}

/// Record a movement of points. Redeeming or expiring more than the balance is refused;
/// the balance is read and written under the write lock (SQLite) or a row lock on the
/// customer (PostgreSQL), so two redemptions cannot both spend the same points.
///
/// # Errors
/// `NotFound`; `Validation` (`points` sign and size, `exceeds_balance`, unknown order).
pub async fn record_points(
    state: &AppState,
    principal: &Principal,
    customer_id: Uuid,
    doc: Value,
) -> AppResult<PointsEntryView> {
    record_points_in(&state.db, principal, customer_id, doc).await
}

/// As [`record_points`], written and read back through `db` (a caller's transaction).
pub async fn record_points_in(
    db: &impl crate::service::Db,
    principal: &Principal,
    customer_id: Uuid,
    doc: Value,
) -> AppResult<PointsEntryView> {
    authorize(principal, Action::WriteCustomers)?;
    let input: PointsInput = parse_document(doc)?;
    let mut c = Checker::default();
    let limit = 1_000_000_000;
    let signed = match input.kind {
        PointsKind::Earn | PointsKind::Redeem | PointsKind::Expire => {
            if !(1..=limit).contains(&input.points) {
                c.fail(
                    "points",
                    "out_of_range",
                    format!(
                        "must be a positive number of points up to {limit} for {}",
                        input.kind
                    ),
                );
            }
            if input.kind == PointsKind::Earn {
                input.points
            } else {
                -input.points
            }
        }
        PointsKind::Adjust => {
            if input.points == 0 || input.points.abs() > limit {
                c.fail(
                    "points",
                    "out_of_range",
                    format!("must be a non-zero number of points within ±{limit}"),
                );
            }
            input.points
        }
    };
    let reason = c.text("reason", input.reason, 500);
    c.finish(())?;
    let txn = crate::service::begin_write(db).await?;
    visible_customer(&txn, principal, customer_id).await?;
    records::lock_customer(&txn, customer_id).await?;
    if let Some(order_id) = input.order_id {
        let belongs = entity::order::Entity::find_by_id(order_id)
            .one(&txn)
            .await?
            .is_some_and(|o| o.customer_id == customer_id);
        if !belongs {
            return Err(AppError::invalid(
                "order_id",
                "unknown_order",
                "must be an order of this customer",
            ));
        }
    }
    let balance = balances(&txn, principal, vec![customer_id])
        .await?
        .get(&customer_id)
        .copied()
        .unwrap_or(0);
    let after = balance + signed;
    if after < 0 {
        return Err(AppError::invalid(
            "points",
            "exceeds_balance",
            format!("the balance is {balance} points"),
        ));
    }
    let model = points_entry::ActiveModel {
        id: Set(Uuid::now_v7()),
        customer_id: Set(customer_id),
        kind: Set(input.kind.as_str().to_owned()),
        points: Set(signed),
        balance_after: Set(after),
        at: Set(crate::clock::now()),
        reason: Set(reason),
        order_id: Set(input.order_id),
        actor: Set(principal.subject()),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        principal,
        Event::customer(
            "points.recorded",
            customer_id,
            json!({"entry_id": model.id, "kind": model.kind}),
        ),
    )
    .await?;
    txn.commit().await?;
    points_view(model, principal)
}

/// A customer's points ledger, newest first.
///
/// # Errors
/// `NotFound`; `BadRequest` for a bad cursor.
pub async fn points_ledger(
    state: &AppState,
    principal: &Principal,
    customer_id: Uuid,
    window: &Window,
) -> AppResult<Page<PointsEntryView>> {
    use points_entry::Column as C;
    authorize(principal, Action::ReadCustomers)?;
    visible_customer(&state.db, principal, customer_id).await?;
    let select = points_entry::Entity::find().filter(C::CustomerId.eq(customer_id));
    let page = newest_first(&state.db, select, C::At, C::Id, window, |m| (m.at, m.id)).await?;
    page.try_map(|m| points_view(m, principal))
}
