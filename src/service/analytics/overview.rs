//! The overview: the customer base by RFM segment, grade and lifecycle stage, the churn-risk
//! histogram and the top customers by lifetime value (all from the score snapshot), and
//! revenue by month and channel (from the orders). A fixed number of statements.

use chrono::{Datelike, NaiveDate, Utc};
use entity::amount::Amount;
use entity::{customer, customer_score, order};
use rust_decimal::Decimal;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::policy::cost::Expensive;
use crate::policy::{Action, authorize};
use crate::policy::{Fields, Principal};
use crate::service::{analytics::scoring, records};
use crate::state::AppState;
use crate::types::scores::{Bucket, OverviewView, RevenueRow, RiskBin, TopCustomer};

/// Longest revenue history, in months.
const MAX_MONTHS: i32 = 36;
/// Most customers in the top list.
const MAX_TOP: i32 = 100;

use crate::service::rows::live_customer_ids as visible;

async fn buckets(
    conn: &impl ConnectionTrait,
    principal: &Principal,
    column: customer_score::Column,
) -> AppResult<Vec<Bucket>> {
    let rows: Vec<(Option<String>, i64)> = customer_score::Entity::find()
        .select_only()
        .column(column)
        .column_as(customer_score::Column::CustomerId.count(), "n")
        .filter(customer_score::Column::CustomerId.in_subquery(visible(principal)))
        .group_by(column)
        .order_by_asc(column)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(key, customers)| Bucket {
            key: key.unwrap_or_else(|| "none".to_owned()),
            customers,
        })
        .collect())
}

/// Customers in each of the ten churn-risk bins.
type HistogramRow = (
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

/// The first day of the month `back` months before `date`'s month.
fn month_start(date: NaiveDate, back: i32) -> NaiveDate {
    let index = date.year() * 12 + i32::try_from(date.month0()).unwrap_or(0) - back;
    NaiveDate::from_ymd_opt(
        index.div_euclid(12),
        index.rem_euclid(12).unsigned_abs() + 1,
        1,
    )
    .unwrap_or(date)
}

/// The overview for a caller.
///
/// # Errors
/// `Validation` for `months` outside 1–36 or `top` outside 1–100; `Busy` when the caller
/// or the server already runs as many expensive operations as allowed; database failures.
pub async fn overview(
    state: &AppState,
    principal: &Principal,
    months: i32,
    top: i32,
) -> AppResult<OverviewView> {
    authorize(principal, Action::ReadCustomers)?;
    if !(1..=MAX_MONTHS).contains(&months) {
        return Err(AppError::invalid(
            "months",
            "out_of_range",
            format!("must be 1–{MAX_MONTHS}"),
        ));
    }
    if !(1..=MAX_TOP).contains(&top) {
        return Err(AppError::invalid(
            "top",
            "out_of_range",
            format!("must be 1–{MAX_TOP}"),
        ));
    }
    let _admission = state.shedder.admit(principal, Expensive::Overview)?;
    let db = &state.db;
    // What the caller may see of the overview is the catalogue's (`overview.*` in
    // `policy::DERIVED`); what it may not is not computed.
    let mut fields = Fields::new(principal, "overview");
    let snapshot = scoring::snapshot(db).await?;
    let by_lifecycle_stage = buckets(db, principal, customer_score::Column::LifecycleStage).await?;
    let customers = by_lifecycle_stage.iter().map(|b| b.customers).sum();

    // Ten bins in one statement, portable to both databases.
    let bins: Vec<String> = (0..10u8)
        .map(|i| {
            let from = f64::from(i) / 10.0;
            let upper = if i == 9 {
                String::new()
            } else {
                format!(" AND churn_risk < {:.1}", from + 0.1)
            };
            format!(
                "CAST(SUM(CASE WHEN churn_risk >= {from:.1}{upper} THEN 1 ELSE 0 END) AS BIGINT)"
            )
        })
        .collect();
    let mut histogram_query = customer_score::Entity::find()
        .select_only()
        .filter(customer_score::Column::CustomerId.in_subquery(visible(principal)));
    for (i, bin) in bins.iter().enumerate() {
        histogram_query = histogram_query.column_as(Expr::cust(bin.clone()), format!("b{i}"));
    }
    let counts: [Option<i64>; 10] = histogram_query
        .into_tuple::<HistogramRow>()
        .one(db)
        .await?
        .map(|t| [t.0, t.1, t.2, t.3, t.4, t.5, t.6, t.7, t.8, t.9])
        .unwrap_or_default();
    let churn_risk_histogram = (0..10u8)
        .map(|i| RiskBin {
            from: f64::from(i) / 10.0,
            to: f64::from(i + 1) / 10.0,
            customers: counts[usize::from(i)].unwrap_or(0),
        })
        .collect();

    let by_rfm_segment = if fields.shows("by_rfm_segment") {
        Some(buckets(db, principal, customer_score::Column::RfmSegment).await?)
    } else {
        None
    };
    let by_grade = if fields.shows("by_grade") {
        Some(buckets(db, principal, customer_score::Column::Grade).await?)
    } else {
        None
    };
    let top_lifetime_value = if fields.shows("top_lifetime_value") {
        let top_rows: Vec<(Uuid, String, Option<f64>)> = customer_score::Entity::find()
            .select_only()
            .column(customer_score::Column::CustomerId)
            .column_as(
                Expr::col((customer::Entity, customer::Column::DisplayName)),
                "display_name",
            )
            .column(customer_score::Column::LifetimeValue)
            .join(
                sea_orm::JoinType::InnerJoin,
                customer_score::Entity::belongs_to(customer::Entity)
                    .from(customer_score::Column::CustomerId)
                    .to(customer::Column::Id)
                    .into(),
            )
            .filter(customer_score::Column::CustomerId.in_subquery(visible(principal)))
            .filter(customer_score::Column::LifetimeValue.is_not_null())
            .order_by_desc(customer_score::Column::LifetimeValue)
            .order_by_asc(customer_score::Column::CustomerId)
            .limit(u64::from(top.unsigned_abs()))
            .into_tuple()
            .all(db)
            .await?;
        let top_list: Vec<TopCustomer> = top_rows
            .into_iter()
            .map(|(customer_id, display_name, value)| TopCustomer {
                customer_id,
                display_name,
                lifetime_value: records::money_text(
                    Decimal::try_from(value.unwrap_or(0.0))
                        .unwrap_or_default()
                        .round_dp(2),
                ),
            })
            .collect();
        Some(top_list)
    } else {
        None
    };
    let revenue_by_month = if fields.shows("revenue_by_month") {
        Some(revenue(state, principal, months).await?)
    } else {
        None
    };
    let masked = fields.finish();
    Ok(OverviewView {
        snapshot,
        customers,
        by_rfm_segment,
        by_grade,
        by_lifecycle_stage,
        churn_risk_histogram,
        top_lifetime_value,
        revenue_by_month,
        currency: state.settings.currency.clone(),
        masked,
    })
}

/// Revenue of counted orders in the base currency by UTC month and channel, summed exactly:
/// PostgreSQL adds its `NUMERIC` amounts in SQL; SQLite (whose `SUM` over text is a float)
/// returns the matching amounts, grouped the same way, and they are added here as decimals.
async fn revenue(
    state: &AppState,
    principal: &Principal,
    months: i32,
) -> AppResult<Vec<RevenueRow>> {
    let db = &state.db;
    let from = month_start(Utc::now().date_naive(), months - 1);
    let start = from.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    let postgres = db.get_database_backend() == DatabaseBackend::Postgres;
    let month = if postgres {
        "to_char(\"ordered_at\" AT TIME ZONE 'UTC', 'YYYY-MM')"
    } else {
        "strftime('%Y-%m', \"ordered_at\")"
    };
    let mut query = order::Entity::find()
        .select_only()
        .column_as(Expr::cust(month), "month")
        .column(order::Column::Channel)
        .filter(order::Column::OrderedAt.gte(start))
        .filter(order::Column::Status.is_not_in(["cancelled", "refunded"]))
        .filter(order::Column::Currency.eq(state.settings.currency.as_str()))
        .filter(order::Column::CustomerId.in_subquery(visible(principal)));
    query = if postgres {
        query
            .column_as(order::Column::Id.count(), "orders")
            .column_as(order::Column::Total.sum(), "revenue")
            .group_by(Expr::cust(month))
            .group_by(order::Column::Channel)
    } else {
        query
            .column_as(Expr::val(1i64), "orders")
            .column(order::Column::Total)
    };
    let rows: Vec<(String, String, i64, Amount)> = query
        .order_by_asc(Expr::cust(month))
        .order_by_asc(order::Column::Channel)
        .into_tuple()
        .all(db)
        .await?;
    // On SQLite one row per order: added up off the async workers.
    crate::service::shed::cpu(move || {
        let mut out: Vec<(String, String, i64, Decimal)> = Vec::new();
        for (month, channel, orders, revenue) in rows {
            match out.last_mut() {
                Some(last) if last.0 == month && last.1 == channel => {
                    last.2 += orders;
                    last.3 += revenue.value();
                }
                _ => out.push((month, channel, orders, revenue.value())),
            }
        }
        Ok(out
            .into_iter()
            .map(|(month, channel, orders, revenue)| RevenueRow {
                month,
                channel,
                orders,
                revenue: records::money_text(revenue),
            })
            .collect())
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_count_back_across_years() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default();
        assert_eq!(month_start(d(2026, 11, 30), 0), d(2026, 11, 1));
        assert_eq!(month_start(d(2026, 11, 30), 11), d(2025, 12, 1));
        assert_eq!(month_start(d(2026, 1, 5), 1), d(2025, 12, 1));
        assert_eq!(month_start(d(2026, 3, 31), 35), d(2023, 4, 1));
    }
}
