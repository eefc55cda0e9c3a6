//! The pipeline of a run: records read a line at a time, parsed and checked by the API's
//! rules, grouped into batches, each written in one transaction with the job's progress.

use super::batch::{Counts, Ctx, CustomerRef, Item, Outcome, Parsed, Reject, take_text, text_of};
use super::bulk::insert_chunked;
use super::writers::{write_customers, write_interactions, write_orders, write_surveys};
use super::*;

pub(super) fn parse_item(
    kind: Kind,
    line: u64,
    cells: Cells,
    columns: Option<&Columns>,
    mapping: &Map<String, Value>,
    defs: &[Definition],
) -> Item {
    let (mut doc, mut raw, original) = match (cells, columns) {
        (Cells::Row(row), Some(columns)) => {
            let (doc, raw) = columns::document(columns, &row);
            (doc, raw, None)
        }
        (Cells::Object(object), _) => {
            let doc = columns::rename(kind, object, mapping, defs);
            let original = doc.clone();
            (doc, Vec::new(), Some(original))
        }
        (Cells::Row(_), None) => (Map::new(), Vec::new(), None),
    };
    for (path, _) in &mut raw {
        if let Some(field) = path.strip_prefix("items.") {
            *path = format!("items[0].{field}");
        }
    }
    let external_id = if kind == Kind::Orders {
        None
    } else {
        take_text(&mut doc, "external_id")
    };
    let customer = if kind == Kind::Customers {
        None
    } else {
        let id = take_text(&mut doc, "customer_id");
        let external = take_text(&mut doc, "customer_external_id");
        id.map(CustomerRef::Id)
            .or(external.map(CustomerRef::External))
    };
    // A CSV without a kind column: organizations are recognised by their profile fields.
    if kind == Kind::Customers && !doc.contains_key("kind") && original.is_none() {
        let kind = if doc.contains_key("organization") {
            "organization"
        } else {
            "individual"
        };
        doc.insert("kind".to_owned(), json!(kind));
    }
    Item {
        line,
        rows: 1,
        body: Ok(Parsed {
            doc,
            raw,
            original,
            external_id,
            customer,
        }),
    }
}

/// The key that must not repeat within a batch: a record's external id, an order's number.
pub(super) fn batch_key(kind: Kind, item: &Item) -> Option<String> {
    let parsed = item.body.as_ref().ok()?;
    match kind {
        Kind::Orders => parsed.doc.get("number").map(text_of),
        _ => parsed.external_id.clone(),
    }
}

/// Whether a CSV order row continues the order before it (same number): its line item joins.
pub(super) fn continues(previous: &Item, next: &Item) -> bool {
    match (&previous.body, &next.body) {
        (Ok(a), Ok(b)) => {
            a.original.is_none()
                && b.original.is_none()
                && a.doc.get("number").is_some()
                && a.doc.get("number") == b.doc.get("number")
        }
        _ => false,
    }
}

pub(super) fn join_line(previous: &mut Item, next: Item) {
    let (Ok(a), Ok(b)) = (&mut previous.body, next.body) else {
        return;
    };
    previous.rows += 1;
    let Some(Value::Array(new_items)) = b.doc.get("items").cloned() else {
        return;
    };
    let items = a
        .doc
        .entry("items".to_owned())
        .or_insert_with(|| Value::Array(Vec::new()));
    if let Value::Array(list) = items {
        let n = list.len();
        for (path, value) in b.raw {
            if let Some(field) = path.strip_prefix("items[0].") {
                a.raw.push((format!("items[{n}].{field}"), value));
            }
        }
        list.extend(new_items);
    }
}

pub(super) async fn load_products(db: &DatabaseConnection) -> AppResult<Vec<product::Model>> {
    Ok(product::Entity::find().all(db).await?)
}

pub(super) async fn execute(
    state: &AppState,
    principal: &Principal,
    job: &import_job::Model,
    progress: &(dyn Fn(&ImportJobView) + Sync),
) -> AppResult<()> {
    let kind = Kind::parse(&job.kind)
        .ok_or_else(|| AppError::Conflict("unknown import kind".to_owned()))?;
    let format = Format::parse(&job.format)
        .ok_or_else(|| AppError::Conflict("unknown import format".to_owned()))?;
    kind.require(principal)?;
    let path = PathBuf::from(job.file_path.clone().unwrap_or_default());
    let mapping = job.mapping.as_object().cloned().unwrap_or_default();
    let defs = custom_fields::definitions(&state.db).await?;
    let columns = {
        let (path, mapping, defs) = (path.clone(), mapping.clone(), defs.clone());
        tokio::task::spawn_blocking(move || inspect_file(&path, kind, format, &mapping, &defs))
            .await
            .map_err(|e| AppError::Internal(e.into()))?
            .map_err(|e| file_error(&e))?
    };
    let file = tokio::fs::File::open(&path)
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .into_std()
        .await;
    let mut records = ReadAhead::new(Records::new(
        BufReader::with_capacity(1 << 18, file),
        format,
    ));
    if format == Format::Csv {
        records
            .next_record()
            .await
            .map_err(|e| AppError::Internal(e.into()))?;
    }
    let (products_by_sku, products) = if kind == Kind::Orders {
        let all = load_products(&state.db).await?;
        (
            all.iter().map(|p| (p.sku.clone(), p.id)).collect(),
            all.into_iter().map(|p| (p.id, p)).collect(),
        )
    } else {
        (HashMap::new(), HashMap::new())
    };
    let ctx = Ctx {
        state,
        principal,
        job: job.id,
        kind,
        source: job.source.clone(),
        defs,
        owner: crate::policy::rows(principal).owner(),
        products_by_sku,
        products,
        customers: std::sync::Mutex::new(HashMap::new()),
    };
    let mut job = job.clone();
    let mut skip = job.records_done;
    let mut touched: HashSet<Uuid> = HashSet::new();
    let mut batch: Vec<Item> = Vec::new();
    let mut keys: HashSet<String> = HashSet::new();
    loop {
        let raw = records
            .next_record()
            .await
            .map_err(|e| AppError::Internal(e.into()))?;
        let Some(raw) = raw else { break };
        if skip > 0 {
            skip -= 1;
            continue;
        }
        let item = match raw.body {
            Ok(cells) => parse_item(kind, raw.line, cells, columns.as_ref(), &mapping, &ctx.defs),
            Err(e) => Item {
                line: raw.line,
                rows: 1,
                body: Err(("file".to_owned(), e.rule.to_owned(), e.message)),
            },
        };
        if kind == Kind::Orders
            && let Some(last) = batch.last_mut()
            && continues(last, &item)
        {
            join_line(last, item);
            continue;
        }
        let key = batch_key(kind, &item);
        let repeats = key.as_ref().is_some_and(|k| keys.contains(k));
        if batch.len() >= BATCH || repeats {
            let bytes = records.bytes();
            job = flush(&ctx, &job, std::mem::take(&mut batch), bytes, &mut touched).await?;
            keys.clear();
            progress(&view(&job));
        }
        if let Some(k) = key {
            keys.insert(k);
        }
        batch.push(item);
    }
    if !batch.is_empty() {
        job = flush(&ctx, &job, batch, records.bytes(), &mut touched).await?;
        progress(&view(&job));
    }
    if !job.dry_run && state.db.get_database_backend() == DatabaseBackend::Postgres {
        // Planner statistics of tables that just grew; autovacuum would catch up later.
        state
            .db
            .execute_unprepared(
                "ANALYZE customers, customer_tags, external_refs, orders, order_items, interactions, surveys",
            )
            .await?;
    }
    if kind == Kind::Orders && !job.dry_run {
        if job.resumed {
            // Customers of the batches before the stop are not known here: rebuild them all.
            orders::rebuild_stats(&state.db, &state.settings.currency).await?;
        } else {
            refresh_touched(&state.db, touched, &state.settings.currency).await?;
        }
    }
    Ok(())
}

/// Recompute the aggregates of the customers an order import touched, a chunk at a time.
pub(super) async fn refresh_touched(
    db: &DatabaseConnection,
    touched: HashSet<Uuid>,
    base: &str,
) -> AppResult<()> {
    let ids: Vec<Uuid> = touched.into_iter().collect();
    for chunk in ids.chunks(500) {
        let rows: Vec<orders::KeyedOrderFacts> = order::Entity::find()
            .select_only()
            .column(order::Column::Id)
            .column(order::Column::CustomerId)
            .column(order::Column::Status)
            .column(order::Column::OrderedAt)
            .column(order::Column::Total)
            .column(order::Column::PaidAmount)
            .column(order::Column::Currency)
            .filter(order::Column::CustomerId.is_in(chunk.to_vec()))
            .into_tuple()
            .all(db)
            .await?;
        let mut aggregates: HashMap<Uuid, orders::Aggregate> = chunk
            .iter()
            .map(|id| (*id, orders::Aggregate::default()))
            .collect();
        for (id, customer, status, at, total, paid, currency) in &rows {
            if let Some(agg) = aggregates.get_mut(customer) {
                agg.add(*id, status, *at, *total, *paid, currency, base)?;
            }
        }
        let txn = crate::service::begin_write(db).await?;
        orders::upsert_stats(&txn, aggregates.iter().map(|(id, a)| a.row(*id)).collect()).await?;
        txn.commit().await?;
    }
    Ok(())
}

/// Check and write one batch, store its rejects and advance the job, in one transaction
/// (for a dry run the records' writes are rolled back and the job's progress kept).
pub(super) async fn flush(
    ctx: &Ctx<'_>,
    job: &import_job::Model,
    batch: Vec<Item>,
    bytes: u64,
    touched: &mut HashSet<Uuid>,
) -> AppResult<import_job::Model> {
    let db = &ctx.state.db;
    let counts_rows: i64 = batch.iter().map(|i| i.rows).sum();
    let txn = crate::service::begin_write(db).await?;
    let mut out = Outcome::default();
    let mut items = Vec::with_capacity(batch.len());
    for item in batch {
        match item.body {
            Ok(parsed) => items.push((item.line, parsed)),
            Err((field, rule, message)) => {
                out.rejected += 1;
                out.rejects.push(Reject {
                    line: item.line,
                    field,
                    rule,
                    message,
                    value: None,
                });
            }
        }
    }
    match ctx.kind {
        Kind::Customers => write_customers(&txn, ctx, items, &mut out).await?,
        Kind::Orders => write_orders(&txn, ctx, items, &mut out).await?,
        Kind::Interactions => write_interactions(&txn, ctx, items, &mut out).await?,
        Kind::Surveys => write_surveys(&txn, ctx, items, &mut out).await?,
    }
    let txn = if job.dry_run {
        txn.rollback().await?;
        crate::service::begin_write(db).await?
    } else {
        txn
    };
    let room = usize::try_from((MAX_REJECTS - stored_rejects(job)).max(0)).unwrap_or(0);
    let rows: Vec<import_reject::ActiveModel> = out
        .rejects
        .into_iter()
        .take(room)
        .map(|r| {
            let value = ctx.mask(&r.field, r.value);
            import_reject::ActiveModel {
                id: Set(Uuid::now_v7()),
                job_id: Set(ctx.job),
                row: Set(i64::try_from(r.line).unwrap_or(i64::MAX)),
                field: Set(r.field.chars().take(200).collect()),
                rule: Set(r.rule.chars().take(64).collect()),
                message: Set(r.message),
                value: Set(value),
            }
        })
        .collect();
    insert_chunked::<import_reject::Entity, _>(&txn, rows, 7).await?;
    let counts = Counts {
        records: counts_rows,
        rows: counts_rows,
        created: out.created,
        updated: out.updated,
        unchanged: out.unchanged,
        rejected: out.rejected,
    };
    let mut active = job.clone().into_active_model();
    active.records_done = Set(job.records_done + counts.records);
    active.rows = Set(job.rows + counts.rows);
    active.created = Set(job.created + counts.created);
    active.updated = Set(job.updated + counts.updated);
    active.unchanged = Set(job.unchanged + counts.unchanged);
    active.rejected = Set(job.rejected + counts.rejected);
    active.bytes_done = Set(i64::try_from(bytes)
        .unwrap_or(i64::MAX)
        .min(job.bytes_total));
    active.updated_at = Set(crate::clock::now());
    let job = active.update(&txn).await?;
    txn.commit().await?;
    touched.extend(out.touched);
    Ok(job)
}

/// Rejects stored so far, near enough: a rejected record may break several rules.
pub(super) fn stored_rejects(job: &import_job::Model) -> i64 {
    job.rejected
}
