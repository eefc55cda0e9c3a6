//! One writer per kind of record: customers, orders, interactions, surveys. Each takes a
//! batch of checked records and writes what is new, updates or skips what is known.

use super::batch::{Ctx, CustomerRef, Outcome, Parsed, text_of};
use super::bulk::{insert_chunked, known_refs, new_ref};
use super::*;

/// What an importer confined to their own customers (sales) is told when a line's external
/// id was imported from the same source for a customer they may not change.
///
/// External ids are unique per source, so the line cannot create a second customer under
/// it; the reject names neither that customer nor its owner nor its state (deleted or not),
/// and reads like the refusal of an order number in use ([`orders::NUMBER_TAKEN`]): the
/// importer learns that the id is taken, which no answer can avoid, and nothing more.
pub(super) const EXTERNAL_ID_TAKEN: &str = "this external id is already in use in this source (external ids are unique per source); choose another, or leave the row out";

/// The reject rule of [`EXTERNAL_ID_TAKEN`], the same as an order number's in use.
pub(super) const EXTERNAL_ID_TAKEN_RULE: &str = orders::NUMBER_TAKEN_RULE;

pub(super) fn check_external_id(out: &mut Outcome, line: u64, p: &Parsed) -> bool {
    if p.external_id
        .as_ref()
        .is_some_and(|e| e.chars().count() > 128)
    {
        out.reject(
            line,
            p,
            "external_id",
            "too_long",
            "must be at most 128 characters",
        );
        return false;
    }
    true
}

pub(super) async fn write_customers(
    txn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    items: Vec<(u64, Parsed)>,
    out: &mut Outcome,
) -> AppResult<()> {
    let region = &ctx.state.settings.default_region;
    let ext: Vec<String> = items
        .iter()
        .filter_map(|(_, p)| p.external_id.clone())
        .collect();
    let known = known_refs(txn, "customer", &ctx.source, ext).await?;
    let mut existing: HashMap<Uuid, customer::Model> = if known.is_empty() {
        HashMap::new()
    } else {
        customer::Entity::find()
            .filter(customer::Column::Id.is_in(known.values().copied().collect::<Vec<_>>()))
            .all(txn)
            .await?
            .into_iter()
            .map(|c| (c.id, c))
            .collect()
    };
    let now = crate::clock::now();
    let mut news = Vec::new();
    let mut tags = Vec::new();
    let mut refs = Vec::new();
    for (line, mut p) in items {
        if !check_external_id(out, line, &p) {
            continue;
        }
        // Two external ids may name one customer (after a merge): each row sees the last write.
        let current = p
            .external_id
            .as_ref()
            .and_then(|e| known.get(e))
            .and_then(|id| existing.get(id))
            .cloned();
        if let Some(current) = current {
            let current = &current;
            // Checked before anything else about the row, so that an importer confined to
            // their own customers learns nothing of another owner's (not even whether it is
            // deleted): see [`EXTERNAL_ID_TAKEN`].
            if ctx.owner.is_some() && current.owner_id != ctx.owner {
                out.reject(
                    line,
                    &p,
                    "external_id",
                    EXTERNAL_ID_TAKEN_RULE,
                    EXTERNAL_ID_TAKEN,
                );
                continue;
            }
            if current.deleted_at.is_some() {
                out.reject(line, &p, "external_id", "deleted",
                    "the customer imported with this external id is deleted; restore it first or leave the row out");
                continue;
            }
            let patch = Value::Object(std::mem::take(&mut p.doc));
            match customers::prepare_update(current, &patch, &ctx.defs, region) {
                Ok(None) => out.unchanged += 1,
                Ok(Some((mut active, next, new_tags))) => {
                    active.updated_at = Set(now);
                    active.not_set(customer::Column::Version);
                    let changes = customer::Entity::update_many().set(active);
                    if !versioned::try_update(txn, current.id, current.version, changes).await? {
                        out.reject(
                            line,
                            &p,
                            "external_id",
                            "conflict",
                            "the customer was changed while the import ran; import the row again",
                        );
                        continue;
                    }
                    customers::replace_tags(txn, current.id, &new_tags).await?;
                    let mut stored = next.clone();
                    stored.version = current.version + 1;
                    stored.updated_at = now;
                    existing.insert(current.id, stored);
                    let changes = customers::audit_change(current, &next, &ctx.defs)?;
                    audit::record(
                        txn,
                        ctx.principal,
                        Event {
                            action: "customer.updated",
                            customer_id: Some(current.id),
                            reason: Some(format!("import {}", ctx.job)),
                            details: changes,
                        },
                    )
                    .await?;
                    out.updated += 1;
                }
                Err(e) => {
                    p.doc = patch.as_object().cloned().unwrap_or_default();
                    out.reject_error(line, &p, e)?;
                }
            }
            continue;
        }
        if !p.doc.contains_key("source") {
            p.doc
                .insert("source".to_owned(), json!(CustomerSource::Import.as_str()));
        }
        let doc = Value::Object(p.doc.clone());
        match customers::prepare_new(doc, &ctx.defs, region, ctx.owner, now) {
            Ok((active, new_tags)) => {
                let id = match &active.id {
                    sea_orm::ActiveValue::Set(id) => *id,
                    _ => continue,
                };
                tags.extend(new_tags.into_iter().map(|tag| customer_tag::ActiveModel {
                    customer_id: Set(id),
                    tag: Set(tag),
                }));
                if let Some(e) = p.external_id.take() {
                    refs.push(new_ref("customer", &ctx.source, e, id));
                }
                news.push(active);
                out.created += 1;
            }
            Err(e) => out.reject_error(line, &p, e)?,
        }
    }
    insert_chunked::<customer::Entity, _>(txn, news, 60).await?;
    insert_chunked::<customer_tag::Entity, _>(txn, tags, 2).await?;
    insert_chunked::<external_ref::Entity, _>(txn, refs, 5).await?;
    Ok(())
}

/// The customers records refer to, by reference, among those the importer may see; the
/// ones a run has resolved before are not looked up again.
pub(super) async fn resolve_customers(
    txn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    items: &[(u64, Parsed)],
) -> AppResult<HashMap<CustomerRef, Uuid>> {
    let mut resolved: HashMap<CustomerRef, Uuid> = HashMap::new();
    let mut missing: HashSet<CustomerRef> = HashSet::new();
    {
        let cache = ctx
            .customers
            .lock()
            .map_err(|_| AppError::Internal(anyhow::anyhow!("customer cache poisoned")))?;
        for (_, p) in items {
            if let Some(r) = &p.customer {
                match cache.get(r) {
                    Some(id) => {
                        resolved.insert(r.clone(), *id);
                    }
                    None => {
                        missing.insert(r.clone());
                    }
                }
            }
        }
    }
    if missing.is_empty() {
        return Ok(resolved);
    }
    let external: Vec<String> = missing
        .iter()
        .filter_map(|r| match r {
            CustomerRef::External(e) => Some(e.clone()),
            CustomerRef::Id(_) => None,
        })
        .collect();
    let known = known_refs(txn, "customer", &ctx.source, external).await?;
    let mut wanted: HashMap<CustomerRef, Uuid> = known
        .into_iter()
        .map(|(e, id)| (CustomerRef::External(e), id))
        .collect();
    for r in &missing {
        if let CustomerRef::Id(raw) = r
            && let Ok(id) = Uuid::parse_str(raw)
        {
            wanted.insert(r.clone(), id);
        }
    }
    let ids: Vec<Uuid> = wanted
        .values()
        .copied()
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut visible = HashSet::new();
    for chunk in ids.chunks(5000) {
        let mut query = customer::Entity::find()
            .select_only()
            .column(customer::Column::Id)
            .filter(customer::Column::Id.is_in(chunk.to_vec()))
            .filter(customer::Column::DeletedAt.is_null());
        if let Some(owner) = ctx.owner {
            query = query.filter(customer::Column::OwnerId.eq(owner));
        }
        let found: Vec<Uuid> = query.into_tuple().all(txn).await?;
        visible.extend(found);
    }
    wanted.retain(|_, id| visible.contains(id));
    let mut cache = ctx
        .customers
        .lock()
        .map_err(|_| AppError::Internal(anyhow::anyhow!("customer cache poisoned")))?;
    if cache.len() + wanted.len() > CUSTOMER_CACHE {
        cache.clear();
    }
    cache.extend(wanted.iter().map(|(r, id)| (r.clone(), *id)));
    resolved.extend(wanted);
    Ok(resolved)
}

/// The customer of a record, or a reject naming the reference.
pub(super) fn customer_of(
    out: &mut Outcome,
    line: u64,
    p: &Parsed,
    customers: &HashMap<CustomerRef, Uuid>,
) -> Option<Uuid> {
    match &p.customer {
        None => {
            out.reject(line, p, "customer_external_id", "required",
                "give the customer: customer_external_id (as imported from this source) or customer_id");
            None
        }
        Some(r) => match customers.get(r) {
            Some(id) => Some(*id),
            None => {
                let (field, message) = match r {
                    CustomerRef::Id(raw) if Uuid::parse_str(raw).is_err() => {
                        ("customer_id", "must be a customer id")
                    }
                    CustomerRef::Id(_) => ("customer_id", "no customer you can see has this id"),
                    CustomerRef::External(_) => (
                        "customer_external_id",
                        "no customer you can see was imported with this external id from this source",
                    ),
                };
                out.reject(line, p, field, "unknown_customer", message);
                None
            }
        },
    }
}

pub(super) async fn write_orders(
    txn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    items: Vec<(u64, Parsed)>,
    out: &mut Outcome,
) -> AppResult<()> {
    let customers = resolve_customers(txn, ctx, &items).await?;
    let numbers: Vec<String> = items
        .iter()
        .filter_map(|(_, p)| p.doc.get("number").map(text_of))
        .collect();
    let mut taken: HashMap<String, Uuid> = HashMap::new();
    for chunk in numbers.chunks(5000) {
        let rows: Vec<(String, Uuid)> = order::Entity::find()
            .select_only()
            .column(order::Column::Number)
            .column(order::Column::CustomerId)
            .filter(order::Column::Number.is_in(chunk.to_vec()))
            .into_tuple()
            .all(txn)
            .await?;
        taken.extend(rows);
    }
    let base = &ctx.state.settings.currency;
    let mut news = Vec::new();
    let mut lines = Vec::new();
    for (line, mut p) in items {
        let Some(number) = p.doc.get("number").map(text_of) else {
            out.reject(line, &p, "number", "required",
                "is required in an import: orders are matched by their number when a file is imported again");
            continue;
        };
        let Some(customer) = customer_of(out, line, &p, &customers) else {
            continue;
        };
        if let Some(owner) = taken.get(&number) {
            if *owner == customer {
                out.unchanged += 1;
            } else {
                // The same answer whether or not the importer can see that order.
                out.reject(
                    line,
                    &p,
                    "number",
                    orders::NUMBER_TAKEN_RULE,
                    orders::NUMBER_TAKEN,
                );
            }
            continue;
        }
        // Lines may name their product by SKU.
        let mut unknown = Vec::new();
        if let Some(Value::Array(lines_in)) = p.doc.get_mut("items") {
            for (i, item) in lines_in.iter_mut().enumerate() {
                if let Value::Object(fields) = item
                    && let Some(sku) = fields.remove("sku")
                {
                    let sku = text_of(&sku);
                    match ctx.products_by_sku.get(sku.trim()) {
                        Some(id) => {
                            fields.insert("product_id".to_owned(), json!(id));
                        }
                        None => unknown.push(FieldError::new(
                            format!("items[{i}].sku"),
                            "unknown_product",
                            format!("no product in the catalogue has SKU {sku}"),
                        )),
                    }
                }
            }
        }
        if !unknown.is_empty() {
            out.reject_item(line, Some(&p), unknown);
            continue;
        }
        let checked = parse_document::<OrderInput>(Value::Object(p.doc.clone()))
            .and_then(|input| orders::check_new_order(&ctx.products, base, input, customer));
        match checked {
            Ok(new) => {
                news.push(new.order);
                lines.extend(new.lines);
                out.touched.push(customer);
                out.created += 1;
            }
            Err(e) => out.reject_error(line, &p, e)?,
        }
    }
    insert_chunked::<order::Entity, _>(txn, news, 16).await?;
    insert_chunked::<order_item::Entity, _>(txn, lines, 7).await?;
    Ok(())
}

/// Split records into those already imported (counted unchanged) and new ones.
pub(super) async fn new_records(
    txn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    items: Vec<(u64, Parsed)>,
    out: &mut Outcome,
) -> AppResult<Vec<(u64, Parsed)>> {
    let ext: Vec<String> = items
        .iter()
        .filter_map(|(_, p)| p.external_id.clone())
        .collect();
    let known = known_refs(txn, ctx.kind.ref_kind(), &ctx.source, ext).await?;
    let foreign = foreign_records(txn, ctx, &known).await?;
    let mut fresh = Vec::with_capacity(items.len());
    for (line, p) in items {
        if !check_external_id(out, line, &p) {
            continue;
        }
        match p.external_id.as_ref().and_then(|e| known.get(e)) {
            // Another owner's record: "unchanged" would say it exists and is theirs; the
            // line reads like any id in use (see [`EXTERNAL_ID_TAKEN`]).
            Some(id) if foreign.contains(id) => out.reject(
                line,
                &p,
                "external_id",
                EXTERNAL_ID_TAKEN_RULE,
                EXTERNAL_ID_TAKEN,
            ),
            Some(_) => out.unchanged += 1,
            None => fresh.push((line, p)),
        }
    }
    Ok(fresh)
}

/// Of the records already imported under these external ids, those of customers the
/// importer may not see (nothing for an importer who sees every customer).
async fn foreign_records(
    txn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    known: &HashMap<String, Uuid>,
) -> AppResult<HashSet<Uuid>> {
    if known.is_empty() || crate::policy::rows(ctx.principal) == crate::policy::Rows::All {
        return Ok(HashSet::new());
    }
    let ids: Vec<Uuid> = known.values().copied().collect();
    let mut mine = HashSet::new();
    for chunk in ids.chunks(5000) {
        let rows: Vec<Uuid> = match ctx.kind {
            Kind::Interactions => {
                interaction::Entity::find()
                    .select_only()
                    .column(interaction::Column::Id)
                    .filter(interaction::Column::Id.is_in(chunk.to_vec()))
                    .filter(crate::service::rows::of_visible(
                        ctx.principal,
                        interaction::Column::CustomerId,
                    ))
                    .into_tuple()
                    .all(txn)
                    .await?
            }
            Kind::Surveys => {
                survey::Entity::find()
                    .select_only()
                    .column(survey::Column::Id)
                    .filter(survey::Column::Id.is_in(chunk.to_vec()))
                    .filter(crate::service::rows::of_visible(
                        ctx.principal,
                        survey::Column::CustomerId,
                    ))
                    .into_tuple()
                    .all(txn)
                    .await?
            }
            Kind::Customers | Kind::Orders => return Ok(HashSet::new()),
        };
        mine.extend(rows);
    }
    Ok(ids.into_iter().filter(|id| !mine.contains(id)).collect())
}

pub(super) async fn write_interactions(
    txn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    items: Vec<(u64, Parsed)>,
    out: &mut Outcome,
) -> AppResult<()> {
    let items = new_records(txn, ctx, items, out).await?;
    let customers = resolve_customers(txn, ctx, &items).await?;
    let now = crate::clock::now();
    let mut news = Vec::new();
    let mut refs = Vec::new();
    for (line, mut p) in items {
        let Some(customer) = customer_of(out, line, &p, &customers) else {
            continue;
        };
        let doc = Value::Object(p.doc.clone());
        let input = match parse_document::<InteractionInput>(doc.clone()) {
            Ok(input) => input,
            Err(e) => {
                out.reject_error(line, &p, e)?;
                continue;
            }
        };
        let id = Uuid::now_v7();
        let mut active = interaction::ActiveModel {
            id: Set(id),
            customer_id: Set(customer),
            user_id: Set(ctx.principal.user_id),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        };
        match engagement::apply_interaction(txn, &doc, input, &mut active, true).await {
            Ok(()) => {
                if let Some(e) = p.external_id.take() {
                    refs.push(new_ref("interaction", &ctx.source, e, id));
                }
                news.push(active);
                out.created += 1;
            }
            Err(e) => out.reject_error(line, &p, e)?,
        }
    }
    insert_chunked::<interaction::Entity, _>(txn, news, 14).await?;
    insert_chunked::<external_ref::Entity, _>(txn, refs, 5).await?;
    Ok(())
}

pub(super) async fn write_surveys(
    txn: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    items: Vec<(u64, Parsed)>,
    out: &mut Outcome,
) -> AppResult<()> {
    let items = new_records(txn, ctx, items, out).await?;
    let customers = resolve_customers(txn, ctx, &items).await?;
    let mut news = Vec::new();
    let mut refs = Vec::new();
    for (line, mut p) in items {
        let Some(customer) = customer_of(out, line, &p, &customers) else {
            continue;
        };
        let checked = parse_document::<SurveyInput>(Value::Object(p.doc.clone()))
            .and_then(|input| engagement::check_survey(input, customer));
        match checked {
            Ok(active) => {
                if let (Some(e), sea_orm::ActiveValue::Set(id)) = (p.external_id.take(), &active.id)
                {
                    refs.push(new_ref("survey", &ctx.source, e, *id));
                }
                news.push(active);
                out.created += 1;
            }
            Err(e) => out.reject_error(line, &p, e)?,
        }
    }
    insert_chunked::<survey::Entity, _>(txn, news, 8).await?;
    insert_chunked::<external_ref::Entity, _>(txn, refs, 5).await?;
    Ok(())
}
