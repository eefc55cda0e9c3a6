//! What the services of a customer's records share: row access through the customer,
//! who may write them, time and amount checks, and newest-first keyset pages, read forwards
//! or backwards.

use chrono::{DateTime, Utc};
use entity::customer;
use rust_decimal::Decimal;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, Order, QueryFilter, QueryOrder, QuerySelect, Select,
};
use serde_json::json;
use uuid::Uuid;

use crate::clock::now;

use crate::error::{AppError, AppResult};
use crate::policy::{Action, Principal, authorize};
use crate::service::Page;
use crate::service::input::Checker;
use crate::service::pagination;

/// Largest page of records.
pub const MAX_PAGE: u64 = 200;
/// Page size when none is asked for.
pub const DEFAULT_PAGE: u64 = 50;

/// Which page of a newest-first list to read.
#[derive(Debug, Clone)]
pub struct Window {
    pub limit: u64,
    pub cursor: Option<String>,
    /// How the cursor parameter is spelled to this caller (`cursor`, `after` or `before`).
    pub cursor_param: &'static str,
    /// Read the `limit` rows just before the cursor (the last `limit` without one) instead
    /// of those after it; the page is still in the list's order. Only GraphQL's top-level
    /// connections read backwards (`last`/`before`); the timeline and duplicate pairs are
    /// only ever given forward windows.
    pub backward: bool,
}

impl Window {
    /// A window, checking the limit.
    ///
    /// # Errors
    /// `BadRequest` naming `limit_param` when out of 1–200.
    pub fn new(
        limit: Option<i64>,
        limit_param: &'static str,
        cursor: Option<String>,
        cursor_param: &'static str,
    ) -> AppResult<Self> {
        let limit = u64::try_from(limit.unwrap_or(DEFAULT_PAGE as i64))
            .ok()
            .filter(|n| (1..=MAX_PAGE).contains(n))
            .ok_or_else(|| {
                AppError::bad_param(
                    limit_param,
                    "out_of_range",
                    format!("must be between 1 and {MAX_PAGE}"),
                )
            })?;
        Ok(Self {
            limit,
            // An empty cursor is the first page, as no cursor is.
            cursor: cursor.filter(|c| !c.is_empty()),
            cursor_param,
            backward: false,
        })
    }

    /// A Relay window: `first` with `after` reads forwards, `last` with `before` backwards
    /// (the page just before the cursor, or the end of the list); neither reads the first
    /// page.
    ///
    /// # Errors
    /// `BadRequest` naming the argument that mixes the two directions (`last` beside
    /// `first`, `before` beside `first` or `after`, `after` beside `last`), or a size out of
    /// 1–200.
    pub fn relay(
        first: Option<i64>,
        after: Option<String>,
        last: Option<i64>,
        before: Option<String>,
    ) -> AppResult<Self> {
        let mixed = |param: &str, other: &str| {
            AppError::bad_param(
                param,
                "conflicting_arguments",
                format!(
                    "cannot be combined with `{other}`: page forwards with `first`/`after` or backwards with `last`/`before`"
                ),
            )
        };
        let given = |c: &Option<String>| c.as_deref().is_some_and(|c| !c.is_empty());
        if first.is_some() && last.is_some() {
            return Err(mixed("last", "first"));
        }
        if given(&before) {
            if first.is_some() {
                return Err(mixed("before", "first"));
            }
            if given(&after) {
                return Err(mixed("before", "after"));
            }
        }
        if last.is_some() && given(&after) {
            return Err(mixed("after", "last"));
        }
        if last.is_some() || given(&before) {
            let mut window = Self::new(last, "last", before, "before")?;
            window.backward = true;
            Ok(window)
        } else {
            Self::new(first, "first", after, "after")
        }
    }

    /// The first `n` records.
    pub fn first(n: u64) -> Self {
        Self {
            limit: n.clamp(1, MAX_PAGE),
            cursor: None,
            cursor_param: "after",
            backward: false,
        }
    }
}

/// A customer the principal may see (live, and their own for sales), or `NotFound`.
///
/// # Errors
/// `NotFound`; database failures.
pub async fn visible_customer(
    conn: &impl ConnectionTrait,
    principal: &Principal,
    id: Uuid,
) -> AppResult<customer::Model> {
    crate::service::rows::find(conn, principal, id, false).await
}

/// Serialise writes that derive state from a customer's records (purchase aggregates, the
/// points balance): on PostgreSQL a row lock on the customer, held to the end of the
/// transaction; SQLite's write lock, taken at `BEGIN IMMEDIATE`, already does it.
///
/// # Errors
/// Database failures.
pub async fn lock_customer(conn: &impl ConnectionTrait, id: Uuid) -> AppResult<()> {
    if conn.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        customer::Entity::find_by_id(id)
            .lock_exclusive()
            .one(conn)
            .await?;
    }
    Ok(())
}

/// Restrict a record query to the customers the principal may see: a join on the
/// customer's primary key, so a newest-first page reads its rows in index order and looks up
/// one customer per row instead of collecting every visible customer first.
pub fn within_visible<E: EntityTrait>(
    select: Select<E>,
    customer_column: E::Column,
    principal: &Principal,
) -> Select<E> {
    let to_customer: sea_orm::RelationDef = E::belongs_to(customer::Entity)
        .from(customer_column)
        .to(customer::Column::Id)
        .into();
    let select = select
        .join(sea_orm::JoinType::InnerJoin, to_customer)
        .filter(customer::Column::DeletedAt.is_null());
    select.filter(crate::service::rows::visible(principal))
}

/// A time that must not lie more than a day ahead (clock skew allowed), truncated to
/// microseconds; absent means now.
pub fn past_time(c: &mut Checker, field: &str, at: Option<DateTime<Utc>>) -> DateTime<Utc> {
    let now = now();
    let Some(at) = at else { return now };
    if at > now + chrono::Duration::days(1) {
        c.fail(
            field,
            "in_future",
            "must not be more than a day in the future",
        );
    }
    truncate(at)
}

/// A time truncated to microseconds.
pub fn truncate(at: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::SubsecRound;
    at.trunc_subsecs(6)
}

/// A non-negative decimal amount with at most 4 decimal places.
pub fn amount(c: &mut Checker, field: &str, raw: Option<&str>) -> Option<Decimal> {
    let raw = raw?;
    match crate::domain::parse_decimal(field, raw) {
        Ok(d) if d.is_sign_negative() && !d.is_zero() => {
            c.fail(field, "negative", "must not be negative");
            None
        }
        Ok(d) if d.scale() > 4 => {
            c.fail(field, "too_precise", "must have at most 4 decimal places");
            None
        }
        Ok(d) if d > Decimal::from(1_000_000_000_000i64) => {
            c.fail(field, "out_of_range", "must be less than 10^12");
            None
        }
        Ok(d) => Some(d.normalize().max(Decimal::ZERO)),
        Err(e) => {
            c.errors.push(e);
            None
        }
    }
}

/// A currency code, upper-cased; absent means the server's currency.
pub fn currency(c: &mut Checker, field: &str, raw: Option<String>, default: &str) -> String {
    let code = raw.map_or_else(|| default.to_owned(), |s| s.trim().to_ascii_uppercase());
    if !crate::domain::is_currency_code(&code) {
        c.fail(
            field,
            "invalid_currency",
            "must be an ISO 4217 code such as CNY",
        );
    }
    code
}

/// An amount written back as a string with two decimals at least (`12` → `12.00`).
pub fn money_text(d: Decimal) -> String {
    entity::amount::Amount::new(d).to_string()
}

/// One newest-first page (by `time`, then id) of a record query: after the cursor, or
/// before it when the window reads backwards.
///
/// # Errors
/// `BadRequest` for a cursor this API did not make; database failures.
pub async fn newest_first<E>(
    conn: &impl ConnectionTrait,
    select: Select<E>,
    time: E::Column,
    id: E::Column,
    window: &Window,
    key: impl Fn(&E::Model) -> (DateTime<Utc>, Uuid),
) -> AppResult<Page<E::Model>>
where
    E: EntityTrait,
    E::Model: Sync,
{
    let mut select = select;
    // Newest first forwards; oldest first from the cursor backwards.
    let ascending = window.backward;
    if let Some(cursor) = &window.cursor {
        let (value, last_id) = pagination::decode(window.cursor_param, cursor)?;
        let at: DateTime<Utc> = serde_json::from_value(value).map_err(|_| {
            AppError::bad_param(
                window.cursor_param,
                "invalid_cursor",
                "is not a cursor of this list",
            )
        })?;
        select = select.filter(pagination::past(time, at.into(), id, last_id, ascending));
    }
    let order = if ascending { Order::Asc } else { Order::Desc };
    let mut models = select
        .order_by(time, order.clone())
        .order_by(id, order)
        .limit(window.limit + 1)
        .all(conn)
        .await?;
    let more = pagination::trim(&mut models, window.limit, window.backward);
    let cursors: Vec<String> = models
        .iter()
        .map(|m| {
            let (at, id) = key(m);
            pagination::encode(&json!(at), id)
        })
        .collect();
    Ok(Page::read(
        models,
        cursors,
        window.backward,
        window.cursor.is_some(),
        more,
    ))
}

/// Refuse a name another row of `E` already has (`except` is the row being renamed).
///
/// # Errors
/// `Conflict` naming `what`; database failures.
pub async fn name_taken<E: EntityTrait>(
    conn: &impl ConnectionTrait,
    columns: (E::Column, E::Column),
    name: &str,
    except: Option<Uuid>,
    what: &str,
) -> AppResult<()> {
    let (name_col, id_col) = columns;
    let mut q = E::find().filter(name_col.eq(name));
    if let Some(id) = except {
        q = q.filter(id_col.ne(id));
    }
    if q.one(conn).await?.is_some() {
        return Err(AppError::Conflict(format!("{what} named `{name}` exists")));
    }
    Ok(())
}

impl<T> Page<T> {
    /// A page of `items` read forwards with their cursors; the last cursor continues it when
    /// there are more.
    pub fn new(items: Vec<T>, cursors: Vec<String>, has_more: bool) -> Self {
        Self::read(items, cursors, false, false, has_more)
    }

    /// The same page with every item transformed.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            cursors: self.cursors,
            next_cursor: self.next_cursor,
            has_next: self.has_next,
            has_previous: self.has_previous,
        }
    }

    /// The same page with every item transformed by a step that can fail: the first
    /// failure is the answer, not a page short of an item.
    ///
    /// # Errors
    /// The first error of `f`.
    pub fn try_map<U, E>(self, f: impl FnMut(T) -> Result<U, E>) -> Result<Page<U>, E> {
        let Self {
            items,
            cursors,
            next_cursor,
            has_next,
            has_previous,
        } = self;
        Ok(Page {
            items: items.into_iter().map(f).collect::<Result<_, E>>()?,
            cursors,
            next_cursor,
            has_next,
            has_previous,
        })
    }

    /// The same page holding `items` instead (its own, rendered).
    pub fn with<U>(self, items: Vec<U>) -> Page<U> {
        let Self {
            cursors,
            next_cursor,
            has_next,
            has_previous,
            ..
        } = self;
        Page {
            items,
            cursors,
            next_cursor,
            has_next,
            has_previous,
        }
    }
}

/// The newest `limit` rows of `table` for each of `customer_ids` (by `time` then id), in
/// one statement with a window function — what lets a page of customers carry their
/// latest records without a query per customer. `table` and `time` are identifiers of
/// this code, never input. Only the records of customers `principal` may see.
///
/// # Errors
/// `Forbidden` for a key without `customers:read`; database failures.
pub async fn latest_per_customer<E>(
    conn: &impl ConnectionTrait,
    principal: &Principal,
    table: &'static str,
    time: &'static str,
    customer_ids: &[Uuid],
    limit: u64,
) -> AppResult<Vec<E::Model>>
where
    E: EntityTrait,
    E::Model: sea_orm::FromQueryResult,
{
    authorize(principal, Action::ReadCustomers)?;
    if customer_ids.is_empty() {
        return Ok(Vec::new());
    }
    let backend = conn.get_database_backend();
    // Row visibility, as a subquery of the same statement (its values are the principal's
    // own ids, quoted by the query builder).
    let visible = match backend {
        sea_orm::DatabaseBackend::Postgres => crate::service::rows::live_customer_ids(principal)
            .to_string(sea_orm::sea_query::PostgresQueryBuilder),
        _ => crate::service::rows::live_customer_ids(principal)
            .to_string(sea_orm::sea_query::SqliteQueryBuilder),
    };
    let placeholders: Vec<String> = (1..=customer_ids.len())
        .map(|i| match backend {
            sea_orm::DatabaseBackend::Postgres => format!("${i}"),
            _ => "?".to_owned(),
        })
        .collect();
    let sql = format!(
        "SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY \"customer_id\" \
         ORDER BY \"{time}\" DESC, \"id\" DESC) AS \"rn\" FROM \"{table}\" \
         WHERE \"customer_id\" IN ({}) AND \"customer_id\" IN ({visible})) AS \"ranked\" \
         WHERE \"rn\" <= {limit} ORDER BY \"customer_id\", \"{time}\" DESC, \"id\" DESC",
        placeholders.join(", ")
    );
    let values: Vec<sea_orm::Value> = customer_ids.iter().map(|id| (*id).into()).collect();
    let statement = sea_orm::Statement::from_sql_and_values(backend, sql, values);
    Ok(E::find().from_raw_sql(statement).all(conn).await?)
}
