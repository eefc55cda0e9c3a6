//! Products, orders and the per-customer purchase aggregates they maintain.
//!
//! Amounts are `rust_decimal` and stored as decimal strings. An order with lines has its
//! total computed here; a client-sent total must agree. Cancelled and refunded orders never
//! count as purchases: they are left out of the aggregates, which are recomputed in the same
//! transaction as every order write and can be rebuilt from the orders (`stats rebuild`).

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use entity::amount::Amount;
use entity::{customer_stats, order, order_item, product};
use rust_decimal::Decimal;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::domain::{OrderChannel, OrderStatus};
use crate::error::{AppError, AppResult};
use crate::policy::Fields;
use crate::policy::Principal;
use crate::policy::{Action, authorize};
use crate::service::Page;
use crate::service::identity::audit::{self, Event};
use crate::service::input::{Checker, parse_document, reject_read_only};
use crate::service::records::{
    self, Window, amount, currency, money_text, newest_first, past_time, visible_customer,
    within_visible,
};
use crate::service::versioned;
use crate::state::AppState;
use crate::types::commerce::{
    OrderInput, OrderItemView, OrderPatch, OrderView, ProductInput, ProductView, StatsView,
};
use crate::types::time::Date;

const READ_ONLY: &[&str] = &[
    "id",
    "version",
    "created_at",
    "updated_at",
    "outstanding",
    "overdue",
    "counts_as_purchase",
    "masked",
];

/// Largest quantity of one line.
const MAX_QUANTITY: i64 = 1_000_000;
/// Most lines in one order.
const MAX_LINES: usize = 500;

// ---------------------------------------------------------------------------------------
// Products

fn product_view(m: product::Model, principal: &Principal) -> ProductView {
    let mut f = Fields::new(principal, "product");
    let list_price = f.money("list_price", Some(&m.list_price.to_string()));
    ProductView {
        id: m.id,
        sku: m.sku,
        name: m.name,
        category: m.category,
        list_price,
        currency: m.currency,
        active: m.active,
        version: m.version,
        created_at: m.created_at.into(),
        updated_at: m.updated_at.into(),
        masked: f.finish(),
    }
}

fn valid_sku(sku: &str) -> bool {
    !sku.is_empty()
        && sku.len() <= 64
        && sku
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Check a product document onto `m`; on create every required field must be there.
fn apply_product(
    input: ProductInput,
    m: &mut product::ActiveModel,
    creating: bool,
    default_currency: &str,
) -> AppResult<()> {
    let mut c = Checker::default();
    if let Some(sku) = input.sku.map(|s| s.trim().to_owned()) {
        if valid_sku(&sku) {
            m.sku = Set(sku);
        } else {
            c.fail(
                "sku",
                "invalid_sku",
                "must be 1–64 letters, digits, `-`, `_` or `.`",
            );
        }
    } else if creating {
        c.fail("sku", "required", "is required");
    }
    match c.text("name", input.name, 200) {
        Some(name) => m.name = Set(name),
        None if creating => c.fail("name", "required", "is required"),
        None => {}
    }
    if let Some(category) = c.text("category", input.category, 100) {
        m.category = Set(Some(category));
    }
    match amount(&mut c, "list_price", input.list_price.as_deref()) {
        Some(price) => m.list_price = Set(Amount::new(price)),
        None if creating && input.list_price.is_none() => {
            c.fail("list_price", "required", "is required");
        }
        None => {}
    }
    if input.currency.is_some() || creating {
        m.currency = Set(currency(
            &mut c,
            "currency",
            input.currency,
            default_currency,
        ));
    }
    if let Some(active) = input.active {
        m.active = Set(active);
    } else if creating {
        m.active = Set(true);
    }
    c.finish(())
}

async fn sku_taken(conn: &impl ConnectionTrait, sku: &str, except: Option<Uuid>) -> AppResult<()> {
    let mut query = product::Entity::find().filter(product::Column::Sku.eq(sku));
    if let Some(id) = except {
        query = query.filter(product::Column::Id.ne(id));
    }
    if query.one(conn).await?.is_some() {
        return Err(AppError::Conflict(format!(
            "a product with SKU {sku} already exists"
        )));
    }
    Ok(())
}

/// Add a product to the catalogue.
///
/// # Errors
/// `Validation`; `Conflict` for a SKU in use; `Forbidden` below manager.
pub async fn create_product(
    state: &AppState,
    principal: &Principal,
    doc: Value,
) -> AppResult<ProductView> {
    create_product_in(&state.db, state, principal, doc).await
}

/// As [`create_product`], written and read back through `db` (a caller's transaction).
pub async fn create_product_in(
    db: &impl crate::service::Db,
    state: &AppState,
    principal: &Principal,
    doc: Value,
) -> AppResult<ProductView> {
    authorize(principal, Action::WriteProducts)?;
    reject_read_only(&doc, READ_ONLY)?;
    let input: ProductInput = parse_document(doc)?;
    let now = crate::clock::now();
    let mut active = product::ActiveModel {
        id: Set(Uuid::now_v7()),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        category: Set(None),
        ..Default::default()
    };
    apply_product(input, &mut active, true, &state.settings.currency)?;
    let txn = crate::service::begin_write(db).await?;
    if let sea_orm::ActiveValue::Set(sku) = &active.sku {
        sku_taken(&txn, sku, None).await?;
    }
    let model = active.insert(&txn).await?;
    txn.commit().await?;
    Ok(product_view(model, principal))
}

/// Change a product: only the fields given.
///
/// # Errors
/// `NotFound`; `Validation`; `Conflict`; `PreconditionFailed` on a stale version.
pub async fn update_product(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    expected_version: Option<i64>,
    doc: Value,
) -> AppResult<ProductView> {
    authorize(principal, Action::WriteProducts)?;
    reject_read_only(&doc, READ_ONLY)?;
    let input: ProductInput = parse_document(doc)?;
    let txn = crate::service::begin_write(&state.db).await?;
    let current = product::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound { entity: "product" })?;
    let base = versioned::base(expected_version, current.version)?;
    let mut active: product::ActiveModel = current.into();
    apply_product(input, &mut active, false, &state.settings.currency)?;
    if let sea_orm::ActiveValue::Set(sku) = &active.sku {
        sku_taken(&txn, sku, Some(id)).await?;
    }
    active.updated_at = Set(crate::clock::now());
    let model = versioned::update_model(&txn, id, base, active).await?;
    txn.commit().await?;
    Ok(product_view(model, principal))
}

/// One product.
///
/// # Errors
/// `NotFound`.
pub async fn get_product(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
) -> AppResult<ProductView> {
    authorize(principal, Action::ReadCustomers)?;
    product::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .map(|m| product_view(m, principal))
        .ok_or(AppError::NotFound { entity: "product" })
}

/// Which products to list.
#[derive(Debug, Clone, Default)]
pub struct ProductFilter {
    pub category: Option<String>,
    pub active: Option<bool>,
    /// Case-insensitive substring of the name or SKU.
    pub q: Option<String>,
}

/// Products, newest first.
///
/// # Errors
/// `BadRequest` for a bad cursor.
pub async fn list_products(
    state: &AppState,
    principal: &Principal,
    filter: ProductFilter,
    window: &Window,
) -> AppResult<Page<ProductView>> {
    use sea_orm::sea_query::{Expr, ExprTrait, Func};
    authorize(principal, Action::ReadCustomers)?;
    let mut select = product::Entity::find();
    if let Some(category) = filter.category {
        select = select.filter(product::Column::Category.eq(category));
    }
    if let Some(active) = filter.active {
        select = select.filter(product::Column::Active.eq(active));
    }
    if let Some(q) = filter.q.filter(|q| !q.trim().is_empty()) {
        let pattern = format!("%{}%", q.trim().to_lowercase());
        select = select.filter(
            sea_orm::Condition::any()
                .add(Expr::expr(Func::lower(Expr::col(product::Column::Name))).like(&pattern))
                .add(Expr::expr(Func::lower(Expr::col(product::Column::Sku))).like(&pattern)),
        );
    }
    let page = newest_first(
        &state.db,
        select,
        product::Column::CreatedAt,
        product::Column::Id,
        window,
        |m| (m.created_at, m.id),
    )
    .await?;
    Ok(page.map(|m| product_view(m, principal)))
}

// ---------------------------------------------------------------------------------------
// Orders

/// An order's stored status; one this version does not know is an error, not `pending`.
fn status_of(m: &order::Model) -> AppResult<OrderStatus> {
    stored_status(&m.status, m.id)
}

fn stored_status(status: &str, id: Uuid) -> AppResult<OrderStatus> {
    crate::service::stored(OrderStatus::parse(status), "orders", "status", id)
}

/// What is still owed on an order: nothing for one that does not count.
fn outstanding(m: &order::Model, status: OrderStatus) -> Decimal {
    if status.counts_as_purchase() {
        (m.total.value() - m.paid_amount.value()).max(Decimal::ZERO)
    } else {
        Decimal::ZERO
    }
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

fn is_overdue(m: &order::Model, status: OrderStatus) -> bool {
    m.due_date.is_some_and(|d| d < today()) && outstanding(m, status) > Decimal::ZERO
}

/// Render orders with their lines: two statements however many orders.
///
/// # Errors
/// Database failures.
pub async fn render_orders(
    conn: &impl ConnectionTrait,
    principal: &Principal,
    models: Vec<order::Model>,
) -> AppResult<Vec<OrderView>> {
    let ids: Vec<Uuid> = models.iter().map(|m| m.id).collect();
    let mut lines: HashMap<Uuid, Vec<(order_item::Model, Option<product::Model>)>> = HashMap::new();
    if !ids.is_empty() {
        let rows = order_item::Entity::find()
            .filter(order_item::Column::OrderId.is_in(ids))
            .order_by_asc(order_item::Column::OrderId)
            .order_by_asc(order_item::Column::Position)
            .find_also_related_product()
            .all(conn)
            .await?;
        for (item, product) in rows {
            lines
                .entry(item.order_id)
                .or_default()
                .push((item, product));
        }
    }
    models
        .into_iter()
        .map(|m| {
            let items = lines.remove(&m.id).unwrap_or_default();
            order_view(m, items, principal)
        })
        .collect()
}

/// `find_also_related` without a declared relation: lines joined to their products.
trait AlsoProduct {
    fn find_also_related_product(self) -> sea_orm::SelectTwo<order_item::Entity, product::Entity>;
}

impl AlsoProduct for sea_orm::Select<order_item::Entity> {
    fn find_also_related_product(self) -> sea_orm::SelectTwo<order_item::Entity, product::Entity> {
        use sea_orm::JoinType;
        self.join(
            JoinType::LeftJoin,
            sea_orm::RelationDef::from(
                order_item::Entity::belongs_to(product::Entity)
                    .from(order_item::Column::ProductId)
                    .to(product::Column::Id),
            ),
        )
        .select_also(product::Entity)
    }
}

fn order_view(
    m: order::Model,
    items: Vec<(order_item::Model, Option<product::Model>)>,
    principal: &Principal,
) -> AppResult<OrderView> {
    let mut f = Fields::new(principal, "order");
    let status = status_of(&m)?;
    let channel =
        crate::service::stored(OrderChannel::parse(&m.channel), "orders", "channel", m.id)?;
    let owed = money_text(outstanding(&m, status));
    let overdue = is_overdue(&m, status);
    // The lines go whole or not at all (see `policy::DERIVED`): a quantity times the
    // product's public list price is the line total.
    let lines: Vec<OrderItemView> = items
        .into_iter()
        .map(|(item, product)| {
            let (sku, name) = product.map_or_else(Default::default, |p| (p.sku, p.name));
            OrderItemView {
                product_id: item.product_id,
                sku,
                name,
                quantity: item.quantity,
                unit_price: item.unit_price.to_string(),
                line_total: item.line_total.to_string(),
            }
        })
        .collect();
    let items = f.whole("items", Some(&lines));
    Ok(OrderView {
        id: m.id,
        number: m.number,
        customer_id: m.customer_id,
        channel,
        status,
        counts_as_purchase: status.counts_as_purchase(),
        ordered_at: m.ordered_at.into(),
        currency: m.currency,
        total: f.money("total", Some(&m.total.to_string())),
        paid_amount: f.money("paid_amount", Some(&m.paid_amount.to_string())),
        outstanding: f.money("outstanding", Some(&owed)),
        due_date: f.whole("due_date", m.due_date.map(Date).as_ref()),
        overdue: f.whole("overdue", Some(&overdue)),
        notes: f.whole("notes", m.notes.as_ref()),
        items,
        version: m.version,
        created_at: m.created_at.into(),
        updated_at: m.updated_at.into(),
        masked: f.finish(),
        customer: None,
    })
}

/// A valid new order with its lines.
pub(crate) struct NewOrder {
    pub order: order::ActiveModel,
    pub lines: Vec<order_item::ActiveModel>,
}

/// The catalogue products an order's lines name, by id.
pub(crate) async fn products_of(
    conn: &impl ConnectionTrait,
    input: &OrderInput,
) -> AppResult<HashMap<Uuid, product::Model>> {
    let ids: Vec<Uuid> = input.items.iter().flatten().map(|i| i.product_id).collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(product::Entity::find()
        .filter(product::Column::Id.is_in(ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect())
}

/// Check a new order against the rules and the catalogue (`products` holds at least the
/// products its lines name).
pub(crate) fn check_new_order(
    products: &HashMap<Uuid, product::Model>,
    base_currency: &str,
    input: OrderInput,
    customer_id: Uuid,
) -> AppResult<NewOrder> {
    let mut c = Checker::default();
    let id = Uuid::now_v7();
    let number = match c.text("number", input.number, 64) {
        Some(n) => n,
        None => format!(
            "SO-{}-{}",
            Utc::now().format("%Y%m%d"),
            &id.simple().to_string()[24..]
        ),
    };
    let ordered_at = past_time(&mut c, "ordered_at", input.ordered_at.map(Into::into));
    let currency = currency(&mut c, "currency", input.currency, base_currency);
    let mut lines = Vec::new();
    let mut computed: Option<Decimal> = None;
    if let Some(items) = input.items {
        if items.is_empty() {
            c.fail(
                "items",
                "empty",
                "must have at least one line; leave it out for an order without lines",
            );
        } else if items.len() > MAX_LINES {
            c.fail(
                "items",
                "too_many",
                format!("must have at most {MAX_LINES} lines"),
            );
        } else {
            let mut sum = Decimal::ZERO;
            for (i, item) in items.into_iter().enumerate() {
                let at = |f: &str| format!("items[{i}].{f}");
                if !(1..=MAX_QUANTITY).contains(&item.quantity) {
                    c.fail(
                        &at("quantity"),
                        "out_of_range",
                        format!("must be a whole number from 1 to {MAX_QUANTITY}"),
                    );
                }
                let Some(product) = products.get(&item.product_id) else {
                    c.fail(
                        &at("product_id"),
                        "unknown_product",
                        "must be the id of a product in the catalogue",
                    );
                    continue;
                };
                if !product.active {
                    c.fail(
                        &at("product_id"),
                        "inactive_product",
                        format!("product {} is not active", product.sku),
                    );
                }
                if product.currency != currency {
                    c.fail(
                        &at("product_id"),
                        "currency_mismatch",
                        format!(
                            "product {} is priced in {}, the order is in {currency}",
                            product.sku, product.currency
                        ),
                    );
                }
                let unit = match item.unit_price.as_deref() {
                    Some(raw) => amount(&mut c, &at("unit_price"), Some(raw)),
                    None => Some(product.list_price.value()),
                };
                let Some(unit) = unit else { continue };
                let line_total = unit * Decimal::from(item.quantity.max(0));
                sum += line_total;
                lines.push(order_item::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    order_id: Set(id),
                    position: Set(i32::try_from(i).unwrap_or(i32::MAX)),
                    product_id: Set(product.id),
                    quantity: Set(item.quantity),
                    unit_price: Set(Amount::new(unit)),
                    line_total: Set(Amount::new(line_total)),
                });
            }
            computed = Some(sum);
        }
    }
    let sent = amount(&mut c, "total", input.total.as_deref());
    let total = match (computed, sent) {
        (Some(sum), Some(sent)) if sum != sent => {
            c.fail(
                "total",
                "total_mismatch",
                format!("does not match the sum of the lines, {}", money_text(sum)),
            );
            sum
        }
        (Some(sum), _) => sum,
        (None, Some(sent)) => sent,
        (None, None) => {
            if input.total.is_none() && c.errors.iter().all(|e| e.field != "items") {
                c.fail(
                    "total",
                    "required",
                    "is required for an order without lines",
                );
            }
            Decimal::ZERO
        }
    };
    let paid = amount(&mut c, "paid_amount", input.paid_amount.as_deref()).unwrap_or_default();
    if paid > total {
        c.fail(
            "paid_amount",
            "exceeds_total",
            "must not exceed the order total",
        );
    }
    let notes = c.text("notes", input.notes, 2000);
    let now = crate::clock::now();
    let order = order::ActiveModel {
        id: Set(id),
        number: Set(number),
        customer_id: Set(customer_id),
        channel: Set(input
            .channel
            .unwrap_or(OrderChannel::Other)
            .as_str()
            .to_owned()),
        status: Set(input
            .status
            .unwrap_or(OrderStatus::Pending)
            .as_str()
            .to_owned()),
        ordered_at: Set(ordered_at),
        currency: Set(currency),
        total: Set(Amount::new(total)),
        paid_amount: Set(Amount::new(paid)),
        due_date: Set(input.due_date.map(Into::into)),
        notes: Set(notes),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    };
    c.finish(NewOrder { order, lines })
}

/// What a caller is told when an order number is in use.
///
/// Order numbers are unique across all orders, so a number in use must be refused; the
/// answer is this one sentence whoever the caller is and whether or not they can see the
/// order that has it (another owner's, a deleted customer's, or their own): it names
/// neither the number nor the order, its customer or its owner. A sales user learns that
/// the number is taken, which no answer can avoid, and nothing about the row that took it.
/// Imports reject such a line on `number` with the rule [`NUMBER_TAKEN_RULE`] and the same
/// sentence.
pub(crate) const NUMBER_TAKEN: &str = "this order number is already in use (order numbers are unique across all orders); choose another, or leave it out to have one generated";

/// The import reject rule of a number in use (see [`NUMBER_TAKEN`]).
pub(crate) const NUMBER_TAKEN_RULE: &str = "taken";

async fn number_taken(conn: &impl ConnectionTrait, number: &str) -> AppResult<()> {
    let taken = order::Entity::find()
        .select_only()
        .column(order::Column::Id)
        .filter(order::Column::Number.eq(number))
        .into_tuple::<Uuid>()
        .one(conn)
        .await?
        .is_some();
    if taken {
        return Err(AppError::Conflict(NUMBER_TAKEN.to_owned()));
    }
    Ok(())
}

/// Record an order for a customer (`customer_id` from the path or the body).
///
/// # Errors
/// `NotFound` for a customer the caller cannot see (path) or `Validation` (body);
/// `Validation` for every bad field; `Conflict` for a number in use.
pub async fn create_order(
    state: &AppState,
    principal: &Principal,
    path_customer: Option<Uuid>,
    doc: Value,
) -> AppResult<OrderView> {
    create_order_in(&state.db, state, principal, path_customer, doc).await
}

/// As [`create_order`], written and read back through `db` (a caller's transaction).
pub async fn create_order_in(
    db: &impl crate::service::Db,
    state: &AppState,
    principal: &Principal,
    path_customer: Option<Uuid>,
    doc: Value,
) -> AppResult<OrderView> {
    authorize(principal, Action::WriteCustomers)?;
    reject_read_only(&doc, READ_ONLY)?;
    let input: OrderInput = parse_document(doc)?;
    let customer_id = match (path_customer, input.customer_id) {
        (Some(path), Some(body)) if path != body => {
            return Err(AppError::invalid(
                "customer_id",
                "mismatch",
                "differs from the customer in the path; leave it out",
            ));
        }
        (Some(id), _) | (None, Some(id)) => id,
        (None, None) => return Err(AppError::invalid("customer_id", "required", "is required")),
    };
    let txn = crate::service::begin_write(db).await?;
    match visible_customer(&txn, principal, customer_id).await {
        Ok(_) => {}
        Err(AppError::NotFound { .. }) if path_customer.is_none() => {
            return Err(AppError::invalid(
                "customer_id",
                "unknown_customer",
                "must be the id of a customer you can see",
            ));
        }
        Err(e) => return Err(e),
    }
    records::lock_customer(&txn, customer_id).await?;
    let products = products_of(&txn, &input).await?;
    let new = check_new_order(&products, &state.settings.currency, input, customer_id)?;
    if let sea_orm::ActiveValue::Set(number) = &new.order.number {
        number_taken(&txn, number).await?;
    }
    // A number taken by a concurrent create reads like one taken before.
    let model = new
        .order
        .insert(&txn)
        .await
        .map_err(|e| match AppError::from(e) {
            AppError::Conflict(_) => AppError::Conflict(NUMBER_TAKEN.to_owned()),
            e => e,
        })?;
    if !new.lines.is_empty() {
        order_item::Entity::insert_many(new.lines)
            .exec(&txn)
            .await?;
    }
    refresh_stats(&txn, customer_id, &state.settings.currency).await?;
    audit::record(
        &txn,
        principal,
        Event::customer(
            "order.created",
            customer_id,
            json!({"order_id": model.id, "number": model.number, "status": model.status}),
        ),
    )
    .await?;
    txn.commit().await?;
    let mut views = render_orders(db, principal, vec![model]).await?;
    views.pop().ok_or(AppError::NotFound { entity: "order" })
}

async fn find_order(
    conn: &impl ConnectionTrait,
    principal: &Principal,
    id: Uuid,
) -> AppResult<order::Model> {
    within_visible(
        order::Entity::find_by_id(id),
        order::Column::CustomerId,
        principal,
    )
    .one(conn)
    .await?
    .ok_or(AppError::NotFound { entity: "order" })
}

/// Change an order's status, payment, due date, channel or notes.
///
/// # Errors
/// `NotFound`; `Validation`; `IllegalTransition` for a status it cannot move to;
/// `PreconditionFailed` on a stale version.
pub async fn update_order(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    expected_version: Option<i64>,
    doc: Value,
) -> AppResult<OrderView> {
    authorize(principal, Action::WriteCustomers)?;
    reject_read_only(&doc, READ_ONLY)?;
    let fixed = [
        "customer_id",
        "number",
        "items",
        "total",
        "currency",
        "ordered_at",
    ];
    if let Some(field) = fixed.iter().find(|f| doc.get(**f).is_some()) {
        return Err(AppError::invalid(
            field,
            "immutable",
            "cannot change once the order exists; cancel it and record a new one",
        ));
    }
    let present = |k: &str| doc.get(k).is_some();
    let clear_due = doc.get("due_date").is_some_and(Value::is_null);
    let clear_notes = doc.get("notes").is_some_and(Value::is_null);
    let has_notes = present("notes");
    let patch: OrderPatch = parse_document(doc)?;
    let txn = crate::service::begin_write(&state.db).await?;
    let current = find_order(&txn, principal, id).await?;
    records::lock_customer(&txn, current.customer_id).await?;
    let base = versioned::base(expected_version, current.version)?;
    let mut c = Checker::default();
    let from = status_of(&current)?;
    if let Some(to) = patch.status
        && to != from
        && !from.next().contains(&to)
    {
        return Err(AppError::IllegalTransition {
            entity: "order",
            from: from.to_string(),
            to: to.to_string(),
            allowed: from.next().iter().map(ToString::to_string).collect(),
        });
    }
    let paid = amount(&mut c, "paid_amount", patch.paid_amount.as_deref());
    if let Some(paid) = paid
        && paid > current.total.value()
    {
        c.fail(
            "paid_amount",
            "exceeds_total",
            "must not exceed the order total",
        );
    }
    let notes = c.text("notes", patch.notes, 2000);
    c.finish(())?;
    let customer_id = current.customer_id;
    let mut active: order::ActiveModel = current.into();
    if let Some(status) = patch.status {
        active.status = Set(status.as_str().to_owned());
    }
    if let Some(channel) = patch.channel {
        active.channel = Set(channel.as_str().to_owned());
    }
    if let Some(paid) = paid {
        active.paid_amount = Set(Amount::new(paid));
    }
    if patch.due_date.is_some() || clear_due {
        active.due_date = Set(patch.due_date.map(Into::into));
    }
    if has_notes || clear_notes {
        active.notes = Set(notes);
    }
    active.updated_at = Set(crate::clock::now());
    let model = versioned::update_model(&txn, id, base, active).await?;
    refresh_stats(&txn, customer_id, &state.settings.currency).await?;
    audit::record(
        &txn,
        principal,
        Event::customer(
            "order.updated",
            customer_id,
            json!({"order_id": model.id, "number": model.number, "status": model.status}),
        ),
    )
    .await?;
    txn.commit().await?;
    let mut views = render_orders(&state.db, principal, vec![model]).await?;
    views.pop().ok_or(AppError::NotFound { entity: "order" })
}

/// One order.
///
/// # Errors
/// `NotFound`, also for another sales user's customer.
pub async fn get_order(state: &AppState, principal: &Principal, id: Uuid) -> AppResult<OrderView> {
    authorize(principal, Action::ReadCustomers)?;
    let model = find_order(&state.db, principal, id).await?;
    let mut views = render_orders(&state.db, principal, vec![model]).await?;
    views.pop().ok_or(AppError::NotFound { entity: "order" })
}

/// Which orders to list.
#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub customer_id: Option<Uuid>,
    pub status: Option<OrderStatus>,
    pub channel: Option<OrderChannel>,
    pub ordered_after: Option<DateTime<Utc>>,
    pub ordered_before: Option<DateTime<Utc>>,
    /// Only orders past their due date with money outstanding.
    pub overdue: bool,
}

/// Orders the caller may see, newest first.
///
/// # Errors
/// `BadRequest` for a bad cursor; `Forbidden` filtering by a financial field without
/// clearance.
pub async fn list_orders(
    state: &AppState,
    principal: &Principal,
    filter: OrderFilter,
    window: &Window,
) -> AppResult<Page<OrderView>> {
    authorize(principal, Action::ReadCustomers)?;
    let mut select = within_visible(order::Entity::find(), order::Column::CustomerId, principal);
    if let Some(id) = filter.customer_id {
        select = select.filter(order::Column::CustomerId.eq(id));
    }
    if let Some(status) = filter.status {
        select = select.filter(order::Column::Status.eq(status.as_str()));
    }
    if let Some(channel) = filter.channel {
        select = select.filter(order::Column::Channel.eq(channel.as_str()));
    }
    if let Some(after) = filter.ordered_after {
        select = select.filter(order::Column::OrderedAt.gte(after));
    }
    if let Some(before) = filter.ordered_before {
        select = select.filter(order::Column::OrderedAt.lt(before));
    }
    if filter.overdue {
        use sea_orm::sea_query::{Expr, ExprTrait};
        if principal.clearance(crate::domain::Sensitivity::Financial)
            != crate::policy::Clearance::Full
        {
            return Err(AppError::Forbidden(
                "filtering by `overdue` needs full access to financial fields".to_owned(),
            ));
        }
        // Due in the past, not cancelled or refunded, not fully paid (amounts are numbers on
        // PostgreSQL and normalised text on SQLite, where equal amounts are equal strings).
        select = select
            .filter(order::Column::DueDate.lt(today()))
            .filter(order::Column::Status.is_not_in(["cancelled", "refunded"]))
            .filter(Expr::col(order::Column::PaidAmount).ne(Expr::col(order::Column::Total)));
    }
    let mut page = newest_first(
        &state.db,
        select,
        order::Column::OrderedAt,
        order::Column::Id,
        window,
        |m| (m.ordered_at, m.id),
    )
    .await?;
    let views = render_orders(&state.db, principal, std::mem::take(&mut page.items)).await?;
    Ok(page.with(views))
}

/// One customer's orders, newest first.
///
/// # Errors
/// `NotFound` for a customer the caller cannot see.
pub async fn customer_orders(
    state: &AppState,
    principal: &Principal,
    customer_id: Uuid,
    window: &Window,
) -> AppResult<Page<OrderView>> {
    authorize(principal, Action::ReadCustomers)?;
    visible_customer(&state.db, principal, customer_id).await?;
    let filter = OrderFilter {
        customer_id: Some(customer_id),
        ..Default::default()
    };
    list_orders(state, principal, filter, window).await
}

// ---------------------------------------------------------------------------------------
// Aggregates

/// Running purchase aggregates of one customer.
#[derive(Debug, Default, Clone)]
pub struct Aggregate {
    pub order_count: i64,
    /// Distinct UTC dates with a counted order, with their value in the base currency.
    pub purchase_days: std::collections::BTreeMap<chrono::NaiveDate, Decimal>,
    pub monetary_total: Decimal,
    pub outstanding: Decimal,
    pub first_order_at: Option<DateTime<Utc>>,
    pub last_order_at: Option<DateTime<Utc>>,
}

impl Aggregate {
    /// Add order `id`; orders that do not count are ignored, and amounts in another currency
    /// than `currency` count as a purchase but not in the sums (exact decimal sums).
    ///
    /// # Errors
    /// `Internal` for a stored status this version does not know.
    #[allow(clippy::too_many_arguments)]
    pub fn add(
        &mut self,
        id: Uuid,
        status: &str,
        at: DateTime<Utc>,
        total: Amount,
        paid: Amount,
        currency: &str,
        base: &str,
    ) -> AppResult<()> {
        if !stored_status(status, id)?.counts_as_purchase() {
            return Ok(());
        }
        self.order_count += 1;
        let day = self.purchase_days.entry(at.date_naive()).or_default();
        if currency == base {
            let total = total.value();
            *day += total;
            self.monetary_total += total;
            self.outstanding += (total - paid.value()).max(Decimal::ZERO);
        }
        self.first_order_at = Some(self.first_order_at.map_or(at, |t| t.min(at)));
        self.last_order_at = Some(self.last_order_at.map_or(at, |t| t.max(at)));
        Ok(())
    }

    pub(crate) fn row(&self, customer_id: Uuid) -> customer_stats::ActiveModel {
        customer_stats::ActiveModel {
            customer_id: Set(customer_id),
            order_count: Set(self.order_count),
            purchase_days: Set(i64::try_from(self.purchase_days.len()).unwrap_or(i64::MAX)),
            monetary_total: Set(Amount::new(self.monetary_total)),
            outstanding: Set(Amount::new(self.outstanding)),
            first_order_at: Set(self.first_order_at),
            last_order_at: Set(self.last_order_at),
            first_day_total: Set(self.purchase_days.values().next().map(|v| Amount::new(*v))),
            updated_at: Set(crate::clock::now()),
        }
    }
}

/// Id, status, time, total, paid amount and currency of an order.
type OrderFacts = (Uuid, String, DateTime<Utc>, Amount, Amount, String);
/// Id and customer of an order, then its facts.
pub(crate) type KeyedOrderFacts = (Uuid, Uuid, String, DateTime<Utc>, Amount, Amount, String);

/// Recompute one customer's aggregates from their orders (inside the order's transaction).
///
/// # Errors
/// Database failures.
pub async fn refresh_stats(
    conn: &impl ConnectionTrait,
    customer_id: Uuid,
    base_currency: &str,
) -> AppResult<()> {
    let rows: Vec<OrderFacts> = order::Entity::find()
        .select_only()
        .column(order::Column::Id)
        .column(order::Column::Status)
        .column(order::Column::OrderedAt)
        .column(order::Column::Total)
        .column(order::Column::PaidAmount)
        .column(order::Column::Currency)
        .filter(order::Column::CustomerId.eq(customer_id))
        .into_tuple()
        .all(conn)
        .await?;
    let mut agg = Aggregate::default();
    for (id, status, at, total, paid, currency) in &rows {
        agg.add(*id, status, *at, *total, *paid, currency, base_currency)?;
    }
    upsert_stats(conn, vec![agg.row(customer_id)]).await
}

pub(crate) async fn upsert_stats(
    conn: &impl ConnectionTrait,
    rows: Vec<customer_stats::ActiveModel>,
) -> AppResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    use customer_stats::Column as C;
    customer_stats::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::column(C::CustomerId)
                .update_columns([
                    C::OrderCount,
                    C::PurchaseDays,
                    C::MonetaryTotal,
                    C::Outstanding,
                    C::FirstOrderAt,
                    C::LastOrderAt,
                    C::FirstDayTotal,
                    C::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec(conn)
        .await?;
    Ok(())
}

/// Rebuild every customer's aggregates from the orders, in one transaction. Returns the
/// number of customers with at least one order.
///
/// # Errors
/// Database failures.
pub async fn rebuild_stats(
    db: &sea_orm::DatabaseConnection,
    base_currency: &str,
) -> AppResult<u64> {
    const BATCH: u64 = 10_000;
    let txn = crate::service::begin_write(db).await?;
    customer_stats::Entity::delete_many().exec(&txn).await?;
    let mut aggregates: HashMap<Uuid, Aggregate> = HashMap::new();
    let mut after: Option<Uuid> = None;
    loop {
        let mut query = order::Entity::find()
            .select_only()
            .column(order::Column::Id)
            .column(order::Column::CustomerId)
            .column(order::Column::Status)
            .column(order::Column::OrderedAt)
            .column(order::Column::Total)
            .column(order::Column::PaidAmount)
            .column(order::Column::Currency)
            .order_by_asc(order::Column::Id)
            .limit(BATCH);
        if let Some(id) = after {
            query = query.filter(order::Column::Id.gt(id));
        }
        let rows: Vec<KeyedOrderFacts> = query.into_tuple().all(&txn).await?;
        let Some(last) = rows.last() else { break };
        after = Some(last.0);
        for (id, customer_id, status, at, total, paid, currency) in &rows {
            aggregates.entry(*customer_id).or_default().add(
                *id,
                status,
                *at,
                *total,
                *paid,
                currency,
                base_currency,
            )?;
        }
    }
    let count = aggregates.len() as u64;
    let rows: Vec<customer_stats::ActiveModel> =
        aggregates.iter().map(|(id, agg)| agg.row(*id)).collect();
    for chunk in rows.chunks(1000) {
        upsert_stats(&txn, chunk.to_vec()).await?;
    }
    txn.commit().await?;
    Ok(count)
}

/// Render aggregates for a principal (zero when the customer has no orders).
pub fn stats_view(
    customer_id: Uuid,
    m: Option<&customer_stats::Model>,
    currency: &str,
    principal: &Principal,
) -> StatsView {
    let mut f = Fields::new(principal, "stats");
    let zero = Amount::ZERO;
    StatsView {
        customer_id,
        order_count: m.map_or(0, |m| m.order_count),
        purchase_days: m.map_or(0, |m| m.purchase_days),
        monetary_total: f.money(
            "monetary_total",
            Some(&m.map_or(zero, |m| m.monetary_total).to_string()),
        ),
        outstanding: f.money(
            "outstanding",
            Some(&m.map_or(zero, |m| m.outstanding).to_string()),
        ),
        currency: currency.to_owned(),
        first_order_at: m.and_then(|m| m.first_order_at).map(Into::into),
        last_order_at: m.and_then(|m| m.last_order_at).map(Into::into),
        masked: f.finish(),
    }
}

/// The purchase aggregates of many customers: one statement; customers the caller may not
/// see have none.
///
/// # Errors
/// `Forbidden` for a key without `customers:read`; database failures.
pub async fn stats_of(
    state: &AppState,
    principal: &Principal,
    customer_ids: Vec<Uuid>,
) -> AppResult<HashMap<Uuid, StatsView>> {
    authorize(principal, Action::ReadCustomers)?;
    if customer_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: HashMap<Uuid, customer_stats::Model> = customer_stats::Entity::find()
        .filter(customer_stats::Column::CustomerId.is_in(customer_ids.iter().copied()))
        .filter(crate::service::rows::of_visible(
            principal,
            customer_stats::Column::CustomerId,
        ))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|m| (m.customer_id, m))
        .collect();
    Ok(customer_ids
        .into_iter()
        .map(|id| {
            let view = stats_view(id, rows.get(&id), &state.settings.currency, principal);
            (id, view)
        })
        .collect())
}

/// A customer's purchase aggregates.
///
/// # Errors
/// `NotFound` for a customer the caller cannot see.
pub async fn stats(
    state: &AppState,
    principal: &Principal,
    customer_id: Uuid,
) -> AppResult<StatsView> {
    authorize(principal, Action::ReadCustomers)?;
    visible_customer(&state.db, principal, customer_id).await?;
    let row = customer_stats::Entity::find_by_id(customer_id)
        .one(&state.db)
        .await?;
    Ok(stats_view(
        customer_id,
        row.as_ref(),
        &state.settings.currency,
        principal,
    ))
}
