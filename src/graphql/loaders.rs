//! GraphQL's batch loading: one loader per request and principal that fetches, through the
//! services, the records a page of customers selects — a fixed number of statements per
//! page whatever its size — and caches them for the rest of the request.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use async_graphql::{Context, ErrorExtensions, Result};
use chrono::NaiveDate;
use serde_json::json;
use uuid::Uuid;

use super::connections::{MAX_NESTED, gql};
use crate::policy::Principal;
use crate::service::analytics::scoring::{self, Computed};
use crate::service::records::latest_per_customer;
use crate::service::{Page, behaviour::engagement, behaviour::orders, pagination, relations};
use crate::state::AppState;
use crate::types::commerce::{OrderView, StatsView};
use crate::types::customer::CustomerView;
use crate::types::engagement::{ComplaintView, InteractionView, SurveyView};
use crate::types::relations::{ConsentView, LoyaltyView, PreferencesView, RelationshipView};
use crate::types::time::{Date, Timestamp};

/// Batches the records of many customers for one request and one principal.
pub struct RecordsLoader {
    pub state: AppState,
    pub principal: Principal,
}

/// The newest records of a customer: the customer and how many (one more is fetched, to
/// know whether there are more).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Latest<const KIND: u8>(pub Uuid, pub u64);

pub(crate) const ORDERS: u8 = 0;
pub(crate) const INTERACTIONS: u8 = 1;
pub(crate) const COMPLAINTS: u8 = 2;
pub(crate) const SURVEYS: u8 = 3;

/// One customer's aggregate-like records, by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Of<const KIND: u8>(pub Uuid);

pub(crate) const STATS: u8 = 0;
pub(crate) const CONSENTS: u8 = 1;
pub(crate) const PREFERENCES: u8 = 2;
pub(crate) const LOYALTY: u8 = 3;
pub(crate) const RELATIONSHIPS: u8 = 4;
pub(crate) const CUSTOMER: u8 = 5;

/// Group keys by their limit: one statement per distinct limit.
fn by_limit<const K: u8>(keys: &[Latest<K>]) -> HashMap<u64, Vec<Uuid>> {
    let mut groups: HashMap<u64, Vec<Uuid>> = HashMap::new();
    for key in keys {
        groups.entry(key.1).or_default().push(key.0);
    }
    groups
}

/// Split a newest-first batch into pages per customer.
fn pages<V, const K: u8>(
    rows: Vec<V>,
    limit: u64,
    customer: impl Fn(&V) -> Uuid,
    position: impl Fn(&V) -> (Timestamp, Uuid),
    out: &mut HashMap<Latest<K>, Page<V>>,
) {
    let mut grouped: HashMap<Uuid, Vec<V>> = HashMap::new();
    for row in rows {
        grouped.entry(customer(&row)).or_default().push(row);
    }
    for (id, mut items) in grouped {
        let has_more = items.len() as u64 > limit;
        items.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        let cursors: Vec<String> = items
            .iter()
            .map(|v| {
                let (at, id) = position(v);
                pagination::encode(&json!(at), id)
            })
            .collect();
        out.insert(Latest(id, limit), Page::new(items, cursors, has_more));
    }
}

/// A loader of each kind's newest records per customer: one window-function statement per
/// distinct page size, then the kind's renderer over the whole batch.
macro_rules! latest_loader {
    ($kind:ident, $view:ty, $entity:ty, $table:literal, $time:literal, $at:ident,
     |$loader:ident, $rows:ident| $render:expr) => {
        impl Loader<Latest<$kind>> for RecordsLoader {
            type Value = Page<$view>;
            type Error = async_graphql::Error;

            async fn load(
                &self,
                keys: &[Latest<$kind>],
            ) -> Result<HashMap<Latest<$kind>, Self::Value>, Self::Error> {
                let $loader = self;
                let mut out = HashMap::new();
                for (limit, ids) in by_limit(keys) {
                    let $rows = latest_per_customer::<$entity>(
                        &self.state.db,
                        &self.principal,
                        $table,
                        $time,
                        &ids,
                        limit + 1,
                    )
                    .await
                    .map_err(gql)?;
                    let views: Vec<$view> = $render;
                    pages(views, limit, |v| v.customer_id, |v| (v.$at, v.id), &mut out);
                }
                Ok(out)
            }
        }
    };
}

latest_loader!(
    ORDERS,
    OrderView,
    entity::order::Entity,
    "orders",
    "ordered_at",
    ordered_at,
    |l, rows| orders::render_orders(&l.state.db, &l.principal, rows)
        .await
        .map_err(gql)?
);
latest_loader!(
    INTERACTIONS,
    InteractionView,
    entity::interaction::Entity,
    "interactions",
    "occurred_at",
    occurred_at,
    |l, rows| rows
        .into_iter()
        .map(|m| engagement::interaction_view(m, &l.principal))
        .collect::<crate::error::AppResult<_>>()
        .map_err(gql)?
);
latest_loader!(
    COMPLAINTS,
    ComplaintView,
    entity::complaint::Entity,
    "complaints",
    "opened_at",
    opened_at,
    |l, rows| engagement::render_complaints(&l.state.db, &l.principal, rows)
        .await
        .map_err(gql)?
);
latest_loader!(
    SURVEYS,
    SurveyView,
    entity::survey::Entity,
    "surveys",
    "answered_at",
    answered_at,
    |l, rows| rows
        .into_iter()
        .map(|m| engagement::survey_view(m, &l.principal))
        .collect::<crate::error::AppResult<_>>()
        .map_err(gql)?
);

fn ids<const K: u8>(keys: &[Of<K>]) -> Vec<Uuid> {
    keys.iter().map(|k| k.0).collect()
}

impl Loader<Of<STATS>> for RecordsLoader {
    type Value = StatsView;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Of<STATS>]) -> Result<HashMap<Of<STATS>, StatsView>, Self::Error> {
        let stats = orders::stats_of(&self.state, &self.principal, ids(keys))
            .await
            .map_err(gql)?;
        Ok(stats.into_iter().map(|(id, v)| (Of(id), v)).collect())
    }
}

impl Loader<Of<CONSENTS>> for RecordsLoader {
    type Value = Vec<ConsentView>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[Of<CONSENTS>],
    ) -> Result<HashMap<Of<CONSENTS>, Self::Value>, Self::Error> {
        let mut consents = relations::consents_of(&self.state.db, &self.principal, ids(keys))
            .await
            .map_err(gql)?;
        Ok(keys
            .iter()
            .map(|k| (*k, consents.remove(&k.0).unwrap_or_default()))
            .collect())
    }
}

impl Loader<Of<PREFERENCES>> for RecordsLoader {
    type Value = PreferencesView;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[Of<PREFERENCES>],
    ) -> Result<HashMap<Of<PREFERENCES>, Self::Value>, Self::Error> {
        let mut found = relations::preferences_of(&self.state.db, &self.principal, ids(keys))
            .await
            .map_err(gql)?;
        keys.iter()
            .map(|k| {
                let view = match found.remove(&k.0) {
                    Some(view) => view,
                    None => relations::preferences_view(k.0, None).map_err(gql)?,
                };
                Ok((*k, view))
            })
            .collect()
    }
}

impl Loader<Of<LOYALTY>> for RecordsLoader {
    type Value = LoyaltyView;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[Of<LOYALTY>],
    ) -> Result<HashMap<Of<LOYALTY>, Self::Value>, Self::Error> {
        let loyalty = relations::loyalty_of(&self.state.db, &self.principal, ids(keys))
            .await
            .map_err(gql)?;
        Ok(loyalty.into_iter().map(|(id, v)| (Of(id), v)).collect())
    }
}

impl Loader<Of<RELATIONSHIPS>> for RecordsLoader {
    type Value = Vec<RelationshipView>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[Of<RELATIONSHIPS>],
    ) -> Result<HashMap<Of<RELATIONSHIPS>, Self::Value>, Self::Error> {
        let mut links = relations::relationships_of(&self.state.db, &self.principal, &ids(keys))
            .await
            .map_err(gql)?;
        Ok(keys
            .iter()
            .map(|k| (*k, links.remove(&k.0).unwrap_or_default()))
            .collect())
    }
}

impl Loader<Of<CUSTOMER>> for RecordsLoader {
    type Value = CustomerView;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[Of<CUSTOMER>],
    ) -> Result<HashMap<Of<CUSTOMER>, CustomerView>, Self::Error> {
        let views = crate::service::customers::get_many(&self.state, &self.principal, &ids(keys))
            .await
            .map_err(gql)?;
        Ok(views.into_iter().map(|(id, v)| (Of(id), v)).collect())
    }
}

/// The request's loader: batches, and caches for the rest of the request.
pub type RequestLoader = DataLoader<RecordsLoader, HashMapCache>;

pub(crate) fn loader<'a>(ctx: &'a Context<'_>) -> Result<&'a RequestLoader> {
    ctx.data::<RequestLoader>()
}

/// One customer's scores as of a date (`None`: now).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ScoreKey(pub Uuid, pub Option<NaiveDate>);

impl Loader<ScoreKey> for RecordsLoader {
    type Value = Arc<Computed>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[ScoreKey]) -> Result<HashMap<ScoreKey, Arc<Computed>>> {
        let mut by_date: HashMap<Option<NaiveDate>, Vec<Uuid>> = HashMap::new();
        for key in keys {
            by_date.entry(key.1).or_default().push(key.0);
        }
        let mut out = HashMap::new();
        for (as_of, ids) in by_date {
            let computed = scoring::scores_of(&self.state, &self.principal, &ids, as_of)
                .await
                .map_err(|e| e.extend())?;
            out.extend(
                computed
                    .into_iter()
                    .map(|(id, c)| (ScoreKey(id, as_of), Arc::new(c))),
            );
        }
        Ok(out)
    }
}

/// The scores of one customer for this request.
///
/// # Errors
/// A bad `asOf`, or database failures.
pub async fn scores_of(ctx: &Context<'_>, id: Uuid, as_of: Option<Date>) -> Result<Arc<Computed>> {
    ctx.data::<RequestLoader>()?
        .load_one(ScoreKey(id, as_of.map(Into::into)))
        .await?
        .ok_or_else(|| async_graphql::Error::new("scores not computed"))
}

/// Drop what this request has loaded: a mutation may change it, and later fields of the
/// same request must read the new state.
pub(crate) fn forget(ctx: &Context<'_>) {
    if let Ok(loader) = loader(ctx) {
        loader.clear::<Latest<ORDERS>>();
        loader.clear::<Latest<INTERACTIONS>>();
        loader.clear::<Latest<COMPLAINTS>>();
        loader.clear::<Latest<SURVEYS>>();
        loader.clear::<Of<STATS>>();
        loader.clear::<Of<CONSENTS>>();
        loader.clear::<Of<PREFERENCES>>();
        loader.clear::<Of<LOYALTY>>();
        loader.clear::<Of<RELATIONSHIPS>>();
        loader.clear::<ScoreKey>();
    }
}

/// `first` of a selected nested connection, unless it pages with `after` (then it is
/// loaded on its own) or has a bad `first` (then its resolver reports it).
fn first_page(field: &async_graphql::SelectionField<'_>, default: i32) -> Option<u64> {
    let args = field.arguments().ok()?;
    if args
        .iter()
        .any(|(n, v)| n.as_str() == "after" && *v != async_graphql::Value::Null)
    {
        return None;
    }
    let first = match args.iter().find(|(n, _)| n.as_str() == "first") {
        Some((_, async_graphql::Value::Number(n))) => i32::try_from(n.as_i64()?).ok()?,
        Some(_) => return None,
        None => default,
    };
    (1..=MAX_NESTED)
        .contains(&first)
        .then(|| u64::try_from(first).ok())?
}

/// Load, in one batch per kind, the records a list of customers selects, so the fields of
/// each customer find them in the request's cache. Without this, a batch would hold only
/// the customers resolved before the loader's short delay ran out.
///
/// # Errors
/// Database failures.
pub async fn prime(ctx: &Context<'_>, ids: &[Uuid]) -> Result<()> {
    use futures_util::future::BoxFuture;
    if ids.is_empty() {
        return Ok(());
    }
    let loader = loader(ctx)?;
    let look = ctx.look_ahead();
    let mut loads: Vec<BoxFuture<'_, Result<()>>> = Vec::new();
    for node in [look.field("nodes"), look.field("edges").field("node")] {
        macro_rules! latest {
            ($name:literal, $kind:expr) => {
                for field in node.field($name).selection_fields() {
                    if let Some(limit) = first_page(&field, 10) {
                        let keys: Vec<Latest<$kind>> =
                            ids.iter().map(|id| Latest(*id, limit)).collect();
                        loads.push(Box::pin(
                            async move { loader.load_many(keys).await.map(drop) },
                        ));
                    }
                }
            };
        }
        latest!("orders", ORDERS);
        latest!("interactions", INTERACTIONS);
        latest!("complaints", COMPLAINTS);
        latest!("surveys", SURVEYS);
        macro_rules! of {
            ($name:literal, $kind:expr) => {
                if node.field($name).exists() {
                    let keys: Vec<Of<$kind>> = ids.iter().map(|id| Of(*id)).collect();
                    loads.push(Box::pin(
                        async move { loader.load_many(keys).await.map(drop) },
                    ));
                }
            };
        }
        of!("purchaseStats", STATS);
        of!("consents", CONSENTS);
        of!("preferences", PREFERENCES);
        of!("loyalty", LOYALTY);
        of!("relationships", RELATIONSHIPS);
        for as_of in selected_dates(&node) {
            let keys: Vec<ScoreKey> = ids.iter().map(|id| ScoreKey(*id, as_of)).collect();
            loads.push(Box::pin(
                async move { loader.load_many(keys).await.map(drop) },
            ));
        }
    }
    futures_util::future::try_join_all(loads).await?;
    Ok(())
}

/// Fields of `Customer` that read the scores.
pub const SCORE_FIELDS: &[&str] = &[
    "rfm",
    "churn",
    "lifetimeValue",
    "grade",
    "lifecycleStage",
    "completeness",
    "scores",
];

/// The `asOf` dates the selected score fields of a customer list ask for.
pub fn selected_dates(node: &async_graphql::Lookahead<'_>) -> BTreeSet<Option<NaiveDate>> {
    let mut dates = BTreeSet::new();
    let loyalty = node.field("loyalty");
    let fields = SCORE_FIELDS
        .iter()
        .flat_map(|name| node.field(name).selection_fields())
        .chain(loyalty.field("score").selection_fields())
        .chain(loyalty.field("components").selection_fields());
    for field in fields {
        let Ok(args) = field.arguments() else {
            continue;
        };
        match args.iter().find(|(n, _)| n.as_str() == "asOf") {
            None | Some((_, async_graphql::Value::Null)) => {
                dates.insert(None);
            }
            Some((_, async_graphql::Value::String(s))) => {
                // A malformed date is reported by the field itself.
                if let Ok(date) = s.parse::<Date>() {
                    dates.insert(Some(date.0));
                }
            }
            Some(_) => {}
        }
    }
    dates
}
