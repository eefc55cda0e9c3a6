//! Duplicate candidates: customers who may be the same party as another, with a score and
//! the reasons.
//!
//! Rules, each with a weight; a pair's score is 1 − Π(1 − weight) over the rules it meets:
//! - `same_credit_code` (0.95): the same unified social credit code;
//! - `same_phone` (0.8) and `same_email` (0.8): the same E.164 phone or lower-cased e-mail,
//!   used only for callers who may read contact details in full (otherwise the match itself
//!   would tell them something they may not see);
//! - `similar_name` (0.7 × Jaro-Winkler similarity, from 0.85): names alike once company
//!   suffixes (有限公司, Co., Ltd…) are dropped, in the same city.
//!
//! Candidates are found through blocking keys, never by comparing all pairs: the indexed
//! phone, e-mail and credit code, and for names the same city and the same first character.
//! A caller sees only candidates in their own rows.

pub use crate::types::customer::Candidate;
use entity::customer;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::Serialize;
use uuid::Uuid;

use crate::domain::Sensitivity;
use crate::error::AppResult;
use crate::policy::{Action, authorize};
use crate::policy::{Clearance, Principal};

/// Most candidates looked at for one customer.
const BLOCK_LIMIT: u64 = 200;
/// Lowest name similarity that counts.
const NAME_THRESHOLD: f64 = 0.85;

/// Company suffixes that say nothing about which company it is.
const SUFFIXES: &[&str] = &[
    "股份有限公司",
    "有限责任公司",
    "有限公司",
    "集团",
    "公司",
    " co., ltd.",
    " co., ltd",
    " co ltd",
    " ltd.",
    " ltd",
    " llc",
    " inc.",
    " inc",
    " gmbh",
];

/// A name as compared: lower case, company suffixes dropped.
pub fn comparable(name: &str) -> String {
    let mut n = name.trim().to_lowercase();
    loop {
        let before = n.len();
        for s in SUFFIXES {
            if let Some(stripped) = n.strip_suffix(s) {
                n = stripped.trim_end().trim_end_matches(',').to_owned();
            }
        }
        if n.len() == before {
            return n;
        }
    }
}

/// Similarity of two names, 0–1 (Jaro-Winkler over characters).
pub fn name_similarity(a: &str, b: &str) -> f64 {
    let (a, b) = (comparable(a), comparable(b));
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    strsim::jaro_winkler(&a, &b)
}

/// Which rules a caller may have applied for them.
fn rules(principal: &Principal) -> (bool, bool) {
    let contact = principal.clearance(Sensitivity::Contact) == Clearance::Full;
    let credit =
        principal.clearance(crate::policy::class_of("organization.credit_code")) == Clearance::Full;
    (contact, credit)
}

/// Score a pair by the rules it meets.
fn score(a: &customer::Model, b: &customer::Model, contact: bool, credit: bool) -> Candidate {
    let mut reasons = Vec::new();
    let mut miss = 1.0;
    let mut meet = |reason: &str, weight: f64| {
        reasons.push(reason.to_owned());
        miss *= 1.0 - weight;
    };
    let same = |x: &Option<String>, y: &Option<String>| x.is_some() && x == y;
    if credit && same(&a.credit_code, &b.credit_code) {
        meet("same_credit_code", 0.95);
    }
    if contact && same(&a.phone, &b.phone) {
        meet("same_phone", 0.8);
    }
    if contact && same(&a.email, &b.email) {
        meet("same_email", 0.8);
    }
    if same(&a.addr_city, &b.addr_city) {
        let similarity = name_similarity(&a.display_name, &b.display_name);
        if similarity >= NAME_THRESHOLD {
            meet("similar_name", 0.7 * similarity);
        }
    }
    Candidate {
        customer_id: b.id,
        display_name: b.display_name.clone(),
        score: ((1.0 - miss) * 1000.0).round() / 1000.0,
        reasons,
    }
}

/// The live customers the caller can see who may be the same as `m`, best first.
///
/// # Errors
/// Database failures.
pub async fn candidates(
    conn: &impl ConnectionTrait,
    principal: &Principal,
    m: &customer::Model,
) -> AppResult<Vec<Candidate>> {
    let (contact, credit) = rules(principal);
    let live = |q: sea_orm::Select<customer::Entity>| {
        q.filter(customer::Column::Id.ne(m.id))
            .filter(customer::Column::DeletedAt.is_null())
            .filter(crate::service::rows::visible(principal))
    };
    // Shared identifiers: always looked at, however large the name block below.
    let mut ids = Condition::any();
    let mut keys = 0;
    if credit && let Some(code) = &m.credit_code {
        ids = ids.add(customer::Column::CreditCode.eq(code.as_str()));
        keys += 1;
    }
    if contact && let Some(phone) = &m.phone {
        ids = ids.add(customer::Column::Phone.eq(phone.as_str()));
        keys += 1;
    }
    if contact && let Some(email) = &m.email {
        ids = ids.add(customer::Column::Email.eq(email.as_str()));
        keys += 1;
    }
    let mut rows = if keys > 0 {
        live(customer::Entity::find().filter(ids))
            .limit(BLOCK_LIMIT)
            .all(conn)
            .await?
    } else {
        Vec::new()
    };
    // Similar names: the same city and first letter, the names nearest in sort order on
    // either side (similar names share their beginnings), at most BLOCK_LIMIT in all.
    if let (Some(city), Some(first)) = (&m.addr_city, comparable(&m.display_name).chars().next()) {
        let prefix = format!("{}%", first.to_string().replace(['%', '_', '\\'], ""));
        let block = || {
            live(customer::Entity::find())
                .filter(customer::Column::AddrCity.eq(city.as_str()))
                .filter(customer::Column::SearchName.like(prefix.clone()))
        };
        let after = block()
            .filter(customer::Column::SearchName.gte(m.search_name.as_str()))
            .order_by_asc(customer::Column::SearchName)
            .limit(BLOCK_LIMIT / 2)
            .all(conn)
            .await?;
        let before = block()
            .filter(customer::Column::SearchName.lt(m.search_name.as_str()))
            .order_by_desc(customer::Column::SearchName)
            .limit(BLOCK_LIMIT / 2)
            .all(conn)
            .await?;
        for b in after.into_iter().chain(before) {
            if !rows.iter().any(|r| r.id == b.id) {
                rows.push(b);
            }
        }
    }
    let mut found: Vec<Candidate> = rows
        .iter()
        .map(|b| score(m, b, contact, credit))
        .filter(|c| !c.reasons.is_empty())
        .collect();
    found.sort_by(|x, y| {
        y.score
            .total_cmp(&x.score)
            .then(x.customer_id.cmp(&y.customer_id))
    });
    Ok(found)
}

/// The duplicate candidates of a customer the caller can see.
///
/// # Errors
/// `NotFound`; database failures.
pub async fn of_customer(
    state: &crate::state::AppState,
    principal: &Principal,
    id: Uuid,
) -> AppResult<Vec<Candidate>> {
    authorize(principal, Action::ReadCustomers)?;
    let m = crate::service::records::visible_customer(&state.db, principal, id).await?;
    candidates(&state.db, principal, &m).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn company_suffixes_do_not_make_names_different() {
        assert_eq!(comparable("深圳星河贸易有限公司"), "深圳星河贸易");
        assert_eq!(comparable("Adventure Works Co., Ltd."), "adventure works");
        assert!(name_similarity("星河贸易有限公司", "星河贸易") > 0.99);
        assert!(name_similarity("张伟", "张玮") > 0.6);
        assert!(name_similarity("Adventure Works", "Adventure Work") > 0.95);
        assert!(name_similarity("张伟", "李娜") < NAME_THRESHOLD);
        assert_eq!(name_similarity("有限公司", "星河"), 0.0);
    }
}

/// A pair of customers who may be one party.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "DuplicatePair")]
pub struct Pair {
    pub first_id: Uuid,
    pub first_name: String,
    pub second_id: Uuid,
    pub second_name: String,
    pub score: f64,
    pub reasons: Vec<String>,
}

/// Every pair of live customers the caller can see that share an identifier (credit code,
/// and phone or e-mail for callers who may read them), ordered by (first id, second id) and
/// read a page at a time after `after`. Name similarity alone is checked per customer
/// ([`of_customer`]), not across the whole base. One statement per identifier per page.
///
/// # Errors
/// Database failures.
pub async fn pairs(
    state: &crate::state::AppState,
    principal: &Principal,
    after: Option<(Uuid, Uuid)>,
    limit: u64,
) -> AppResult<(Vec<Pair>, bool)> {
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
    authorize(principal, Action::ReadCustomers)?;
    let (contact, credit) = rules(principal);
    let mut columns = Vec::new();
    if credit {
        columns.push(customer::Column::CreditCode);
    }
    if contact {
        columns.push(customer::Column::Phone);
        columns.push(customer::Column::Email);
    }
    let db = &state.db;
    let backend = db.get_database_backend();
    let (a, b) = (Alias::new("a"), Alias::new("b"));
    let mut ids: std::collections::BTreeSet<(Uuid, Uuid)> = std::collections::BTreeSet::new();
    for column in columns {
        // Pairs sharing this identifier: an equality join the column's index serves.
        let mut q = Query::select();
        q.expr_as(
            Expr::col((a.clone(), customer::Column::Id)),
            Alias::new("x"),
        )
        .expr_as(
            Expr::col((b.clone(), customer::Column::Id)),
            Alias::new("y"),
        )
        .from_as(customer::Entity, a.clone())
        .join_as(
            sea_orm::sea_query::JoinType::InnerJoin,
            customer::Entity,
            b.clone(),
            Expr::col((a.clone(), column))
                .equals((b.clone(), column))
                .and(
                    Expr::col((a.clone(), customer::Column::Id))
                        .lt(Expr::col((b.clone(), customer::Column::Id))),
                ),
        )
        .and_where(Expr::col((a.clone(), customer::Column::DeletedAt)).is_null())
        .and_where(Expr::col((b.clone(), customer::Column::DeletedAt)).is_null())
        .and_where(Expr::col((a.clone(), column)).is_not_null());
        q.cond_where(crate::service::rows::owned(principal, |owner| {
            Condition::all()
                .add(Expr::col((a.clone(), customer::Column::OwnerId)).eq(owner))
                .add(Expr::col((b.clone(), customer::Column::OwnerId)).eq(owner))
        }));
        if let Some((x, y)) = after {
            q.and_where(
                Expr::col((a.clone(), customer::Column::Id))
                    .gt(x)
                    .or(Expr::col((a.clone(), customer::Column::Id))
                        .eq(x)
                        .and(Expr::col((b.clone(), customer::Column::Id)).gt(y))),
            );
        }
        q.order_by((a.clone(), customer::Column::Id), sea_orm::Order::Asc)
            .order_by((b.clone(), customer::Column::Id), sea_orm::Order::Asc)
            .limit(limit + 1);
        for row in db.query_all_raw(backend.build(&q)).await? {
            let x: Uuid = row
                .try_get("", "x")
                .map_err(|e| crate::error::AppError::Internal(e.into()))?;
            let y: Uuid = row
                .try_get("", "y")
                .map_err(|e| crate::error::AppError::Internal(e.into()))?;
            ids.insert((x, y));
        }
    }
    let has_more = ids.len() as u64 > limit;
    let page: Vec<(Uuid, Uuid)> = ids
        .into_iter()
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .collect();
    let wanted: std::collections::BTreeSet<Uuid> =
        page.iter().flat_map(|(x, y)| [*x, *y]).collect();
    let models: std::collections::HashMap<Uuid, customer::Model> = customer::Entity::find()
        .filter(customer::Column::Id.is_in(wanted))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect();
    let pairs = page
        .into_iter()
        .filter_map(|(x, y)| {
            let (m, n) = (models.get(&x)?, models.get(&y)?);
            let c = score(m, n, contact, credit);
            Some(Pair {
                first_id: x,
                first_name: m.display_name.clone(),
                second_id: y,
                second_name: n.display_name.clone(),
                score: c.score,
                reasons: c.reasons,
            })
        })
        .collect();
    Ok((pairs, has_more))
}

/// A page of pairs.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "DuplicatePairPage")]
pub struct PairPage {
    pub data: Vec<Pair>,
    /// Pass as `cursor` (GraphQL `after`) for the next page; null on the last.
    pub next_cursor: Option<String>,
}

/// A page of pairs after an opaque cursor.
///
/// # Errors
/// A bad cursor (`cursor_param`) or limit; `Busy` when the caller or the server already
/// runs as many expensive operations as allowed; database failures.
pub async fn pair_page(
    state: &crate::state::AppState,
    principal: &Principal,
    window: &crate::service::records::Window,
) -> AppResult<PairPage> {
    let after = match &window.cursor {
        Some(c) => {
            let (first, second) = crate::service::pagination::decode(window.cursor_param, c)?;
            let first: Uuid = serde_json::from_value(first).map_err(|_| {
                crate::error::AppError::bad_param(
                    window.cursor_param,
                    "invalid_cursor",
                    "is not a cursor of this list",
                )
            })?;
            Some((first, second))
        }
        None => None,
    };
    authorize(principal, Action::ReadCustomers)?;
    let _admission = state
        .shedder
        .admit(principal, crate::policy::cost::Expensive::DuplicateScan)?;
    let (data, more) = pairs(state, principal, after, window.limit).await?;
    let next_cursor = data
        .last()
        .filter(|_| more)
        .map(|p| crate::service::pagination::encode(&serde_json::json!(p.first_id), p.second_id));
    Ok(PairPage { data, next_cursor })
}
