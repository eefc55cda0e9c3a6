//! Merging duplicate customers into a survivor, in one transaction: chosen profile fields
//! copied (gaps filled from the duplicates), tags united, every record moved (orders,
//! interactions, surveys, complaints, consent history, points, alerts, relationships; the
//! survivor's own preferences and membership win), aggregates recomputed, the duplicates
//! soft-deleted with `merged_into` so their ids still say where they went, a merge record
//! kept and the merge audited.

use std::collections::{BTreeMap, BTreeSet};

use entity::{
    alert, complaint, consent_event, customer, customer_merge, customer_preference, customer_score,
    customer_stats, external_ref, interaction, loyalty_account, order, points_entry, relationship,
    survey,
};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::error::{AppError, AppResult, FieldError};
use crate::policy::Principal;
use crate::policy::{Action, authorize};
use crate::service::customers::replace_tags;
use crate::service::identity::audit::{self, Event};
use crate::service::input::parse_document;
use crate::service::rows::find;
use crate::state::AppState;
use crate::types::customer::CustomerView;

/// Most customers merged into one at a time.
const MAX_DUPLICATES: usize = 10;

/// Profile fields whose value may be taken from a duplicate.
const FIELDS: &[&str] = &["display_name", "phone", "email", "address", "notes"];

/// `POST /customers/{survivor}/merge`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema, async_graphql::InputObject)]
#[serde(deny_unknown_fields)]
#[graphql(name = "MergeInput")]
#[schema(example = json!({"duplicates": ["01a22cdc-1a45-75d9-a5dc-01fa804973fa"], "fields": {"email": "01a22cdc-1a45-75d9-a5dc-01fa804973fa"}}))]
pub struct MergeInput {
    /// Customers to merge into the survivor (1–10).
    pub duplicates: Vec<Uuid>,
    /// Per field (`display_name`, `phone`, `email`, `address`, `notes`), the customer whose
    /// value the survivor keeps. Unnamed fields keep the survivor's value, or the first
    /// duplicate's where the survivor has none.
    #[graphql(skip)]
    pub fields: Option<BTreeMap<String, Uuid>>,
}

/// The outcome of a merge.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "MergeResult")]
pub struct MergeView {
    pub merge_id: Uuid,
    pub survivor: CustomerView,
    pub merged: Vec<Uuid>,
    /// Records moved to the survivor, by kind.
    #[schema(value_type = Object)]
    pub moved: async_graphql::Json<BTreeMap<String, u64>>,
}

fn copy_field(to: &mut customer::ActiveModel, from: &customer::Model, field: &str) {
    match field {
        "display_name" => {
            to.display_name = Set(from.display_name.clone());
            to.search_name = Set(from.search_name.clone());
        }
        "phone" => to.phone = Set(from.phone.clone()),
        "email" => to.email = Set(from.email.clone()),
        "address" => {
            to.addr_country = Set(from.addr_country.clone());
            to.addr_province = Set(from.addr_province.clone());
            to.addr_city = Set(from.addr_city.clone());
            to.addr_district = Set(from.addr_district.clone());
            to.addr_street = Set(from.addr_street.clone());
            to.addr_postcode = Set(from.addr_postcode.clone());
        }
        _ => to.notes = Set(from.notes.clone()),
    }
}

fn is_empty(m: &customer::Model, field: &str) -> bool {
    match field {
        "display_name" => false,
        "phone" => m.phone.is_none(),
        "email" => m.email.is_none(),
        "address" => m.addr_city.is_none() && m.addr_province.is_none() && m.addr_street.is_none(),
        _ => m.notes.is_none(),
    }
}

fn tags_of(m: &customer::Model) -> Vec<String> {
    serde_json::from_value(m.tags.clone()).unwrap_or_default()
}

/// Merge `input.duplicates` into `survivor_id`.
///
/// # Errors
/// `NotFound` for a survivor the caller cannot see; `Validation` naming `duplicates[i]` or
/// `fields.<name>`; `Forbidden` when the customers have different owners and the caller is
/// not a manager or admin; `PreconditionFailed` for a stale `expected_version`.
pub async fn merge(
    state: &AppState,
    principal: &Principal,
    survivor_id: Uuid,
    expected_version: Option<i64>,
    doc: Value,
) -> AppResult<MergeView> {
    authorize(principal, Action::WriteCustomers)?;
    let input: MergeInput = parse_document(doc)?;
    let mut errors = Vec::new();
    if input.duplicates.is_empty() || input.duplicates.len() > MAX_DUPLICATES {
        errors.push(FieldError::new(
            "duplicates",
            "invalid_length",
            format!("must list 1–{MAX_DUPLICATES} customers"),
        ));
    }
    let mut distinct = BTreeSet::new();
    for (i, id) in input.duplicates.iter().enumerate() {
        if *id == survivor_id || !distinct.insert(*id) {
            errors.push(FieldError::new(
                format!("duplicates[{i}]"),
                "invalid_value",
                "must differ from the survivor and from each other",
            ));
        }
    }
    let choices = input.fields.clone().unwrap_or_default();
    for (field, from) in &choices {
        if !FIELDS.contains(&field.as_str()) {
            errors.push(FieldError::new(
                format!("fields.{field}"),
                "unknown_field",
                format!("must be one of: {}", FIELDS.join(", ")),
            ));
        } else if *from != survivor_id && !distinct.contains(from) {
            errors.push(FieldError::new(
                format!("fields.{field}"),
                "invalid_value",
                "must name the survivor or one of the duplicates",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let txn = crate::service::begin_write(&state.db).await?;
    let survivor = find(&txn, principal, survivor_id, false).await?;
    let base = crate::service::versioned::base(expected_version, survivor.version)?;
    let mut duplicates = Vec::new();
    for (i, id) in input.duplicates.iter().enumerate() {
        match find(&txn, principal, *id, false).await {
            Ok(m) => duplicates.push(m),
            Err(AppError::NotFound { .. } | AppError::MergedInto { .. }) => {
                errors.push(FieldError::new(
                    format!("duplicates[{i}]"),
                    "not_found",
                    "no such live customer",
                ));
            }
            Err(e) => return Err(e),
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let owners: BTreeSet<Option<Uuid>> = std::iter::once(survivor.owner_id)
        .chain(duplicates.iter().map(|d| d.owner_id))
        .collect();
    let may_cross = crate::policy::allows(principal, Action::MergeAcrossOwners);
    if owners.len() > 1 && !may_cross {
        return Err(AppError::Forbidden(
            "these customers have different owners: a manager merges them".to_owned(),
        ));
    }
    let dup_ids: Vec<Uuid> = duplicates.iter().map(|d| d.id).collect();
    let now = crate::clock::now();

    // The survivor's profile: chosen fields, then gaps filled from the duplicates.
    let mut profile: customer::ActiveModel = survivor.clone().into();
    for field in FIELDS {
        if let Some(from) = choices.get(*field) {
            if let Some(source) = duplicates.iter().find(|d| d.id == *from) {
                copy_field(&mut profile, source, field);
            }
        } else if is_empty(&survivor, field)
            && let Some(source) = duplicates.iter().find(|d| !is_empty(d, field))
        {
            copy_field(&mut profile, source, field);
        }
    }
    let mut tags: BTreeSet<String> = tags_of(&survivor).into_iter().collect();
    for d in &duplicates {
        tags.extend(tags_of(d));
    }
    let tags: Vec<String> = tags.into_iter().collect();
    profile.tags = Set(json!(tags));
    profile.updated_at = Set(now);
    let survivor_model =
        crate::service::versioned::update_model(&txn, survivor_id, base, profile).await?;
    replace_tags(&txn, survivor_id, &tags).await?;

    // Move every record.
    let mut moved: BTreeMap<String, u64> = BTreeMap::new();
    macro_rules! move_rows {
        ($name:literal, $entity:ident) => {{
            let n = $entity::Entity::update_many()
                .col_expr($entity::Column::CustomerId, Expr::value(survivor_id))
                .filter($entity::Column::CustomerId.is_in(dup_ids.clone()))
                .exec(&txn)
                .await?
                .rows_affected;
            moved.insert($name.to_owned(), n);
        }};
    }
    move_rows!("orders", order);
    move_rows!("interactions", interaction);
    move_rows!("surveys", survey);
    move_rows!("complaints", complaint);
    move_rows!("consent_events", consent_event);
    move_rows!("points_entries", points_entry);
    move_rows!("alerts", alert);
    // One per customer: the survivor's wins; else the first duplicate's moves over.
    macro_rules! move_one {
        ($name:literal, $entity:ident) => {{
            let has = $entity::Entity::find_by_id(survivor_id)
                .one(&txn)
                .await?
                .is_some();
            let mut n = 0;
            for d in &dup_ids {
                let theirs = $entity::Entity::find_by_id(*d).one(&txn).await?;
                if theirs.is_some() && !has && n == 0 {
                    $entity::Entity::update_many()
                        .col_expr($entity::Column::CustomerId, Expr::value(survivor_id))
                        .filter($entity::Column::CustomerId.eq(*d))
                        .exec(&txn)
                        .await?;
                    n = 1;
                } else if theirs.is_some() {
                    $entity::Entity::delete_by_id(*d).exec(&txn).await?;
                }
            }
            moved.insert($name.to_owned(), n);
        }};
    }
    // Identifiers from imports now name the survivor, so a re-import updates it.
    external_ref::Entity::update_many()
        .col_expr(external_ref::Column::RecordId, Expr::value(survivor_id))
        .filter(external_ref::Column::Kind.eq("customer"))
        .filter(external_ref::Column::RecordId.is_in(dup_ids.clone()))
        .exec(&txn)
        .await?;
    move_one!("preferences", customer_preference);
    move_one!("loyalty_account", loyalty_account);
    // Relationships: re-point both ends; drop links that would join the survivor to itself
    // or repeat one it has.
    let links = relationship::Entity::find()
        .filter(
            relationship::Column::FromId
                .is_in(dup_ids.clone())
                .or(relationship::Column::ToId.is_in(dup_ids.clone())),
        )
        .all(&txn)
        .await?;
    let mut relinked = 0;
    let swap = |id: Uuid| {
        if dup_ids.contains(&id) {
            survivor_id
        } else {
            id
        }
    };
    for link in links {
        let (from, to) = (swap(link.from_id), swap(link.to_id));
        let exists = relationship::Entity::find()
            .filter(relationship::Column::Kind.eq(link.kind.as_str()))
            .filter(
                (relationship::Column::FromId
                    .eq(from)
                    .and(relationship::Column::ToId.eq(to)))
                .or(relationship::Column::FromId
                    .eq(to)
                    .and(relationship::Column::ToId.eq(from))),
            )
            .filter(relationship::Column::Id.ne(link.id))
            .one(&txn)
            .await?
            .is_some();
        if from == to || exists {
            relationship::Entity::delete_by_id(link.id)
                .exec(&txn)
                .await?;
        } else {
            let mut active: relationship::ActiveModel = link.into();
            active.from_id = Set(from);
            active.to_id = Set(to);
            active.update(&txn).await?;
            relinked += 1;
        }
    }
    moved.insert("relationships".to_owned(), relinked);
    customer_score::Entity::delete_many()
        .filter(customer_score::Column::CustomerId.is_in(dup_ids.clone()))
        .exec(&txn)
        .await?;
    customer_stats::Entity::delete_many()
        .filter(customer_stats::Column::CustomerId.is_in(dup_ids.clone()))
        .exec(&txn)
        .await?;
    crate::service::behaviour::orders::refresh_stats(&txn, survivor_id, &state.settings.currency)
        .await?;

    // The duplicates: soft-deleted, pointing at the survivor.
    for d in &duplicates {
        let changes = customer::Entity::update_many()
            .col_expr(customer::Column::DeletedAt, Expr::value(Some(now)))
            .col_expr(customer::Column::MergedInto, Expr::value(Some(survivor_id)))
            .col_expr(customer::Column::UpdatedAt, Expr::value(now));
        if !crate::service::versioned::try_update(&txn, d.id, d.version, changes).await? {
            return Err(AppError::Conflict(format!(
                "customer {} changed while it was being merged; merge again",
                d.id
            )));
        }
    }
    let merge_id = Uuid::now_v7();
    let choices_json = json!(choices);
    customer_merge::ActiveModel {
        id: Set(merge_id),
        survivor_id: Set(survivor_id),
        merged_ids: Set(json!(dup_ids)),
        choices: Set(choices_json.clone()),
        moved: Set(json!(moved)),
        actor: Set(principal.subject()),
        at: Set(now),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        principal,
        Event::customer(
            "customer.merged",
            survivor_id,
            json!({"merge_id": merge_id, "merged": dup_ids, "fields": choices_json, "moved": moved}),
        ),
    )
    .await?;
    txn.commit().await?;
    tracing::info!(survivor = %survivor_id, merged = dup_ids.len(), actor = principal.label, "customers merged");
    let survivor = crate::service::customers::render(
        &state.db,
        &state.caches,
        principal,
        std::slice::from_ref(&survivor_model),
    )
    .await?
    .pop()
    .ok_or(AppError::NotFound { entity: "customer" })?;
    Ok(MergeView {
        merge_id,
        survivor,
        merged: dup_ids,
        moved: async_graphql::Json(moved),
    })
}
