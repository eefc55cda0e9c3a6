//! The data-quality report: how complete the profiles are field by field, contacts missing
//! or invalid, records nobody has updated for months, customers sharing an identifier
//! (duplicate candidates), and consent coverage per channel. Counts only, over the live
//! customers the caller can see; a fixed number of statements.

pub mod merge;
pub mod standardise;

use chrono::{Duration, Utc};
use entity::{consent_event, customer};
use sea_orm::sea_query::{Alias, Expr, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect, QueryTrait,
};
use serde::Serialize;

use crate::error::{AppError, AppResult};
use crate::policy::Principal;
use crate::policy::{Action, authorize};
use crate::state::AppState;

/// How many customers have one field filled.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "FieldCompleteness")]
pub struct FieldFill {
    /// The field's path, as in responses.
    pub field: String,
    pub filled: i64,
    /// `filled` over the customers it applies to, 0–1.
    pub share: f64,
}

/// Groups of customers sharing one identifier.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "SharedIdentifier")]
pub struct Shared {
    /// `phone`, `email` or `organization.credit_code`.
    pub field: String,
    /// Values held by more than one customer.
    pub groups: i64,
    /// Customers holding such a value.
    pub customers: i64,
}

/// Customers with a consent decision on record for a channel.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "ConsentCoverage")]
pub struct Coverage {
    pub channel: String,
    pub customers: i64,
    pub share: f64,
}

/// The report.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "DataQuality")]
pub struct QualityReport {
    /// Live customers the caller can see.
    pub customers: i64,
    pub individuals: i64,
    pub organizations: i64,
    pub completeness: Vec<FieldFill>,
    /// Neither phone nor e-mail.
    pub without_contact: i64,
    /// Phones not in E.164 or e-mails without `@` (written before validation, or imported).
    pub invalid_contacts: i64,
    /// Not updated for `stale_months` months.
    pub stale: i64,
    pub stale_months: i32,
    pub shared_identifiers: Vec<Shared>,
    pub consent_coverage: Vec<Coverage>,
}

/// (path, column, applies to: None = all, Some(kind)).
const FIELDS: &[(&str, customer::Column, Option<&str>)] = &[
    ("phone", customer::Column::Phone, None),
    ("email", customer::Column::Email, None),
    ("address.province", customer::Column::AddrProvince, None),
    ("address.city", customer::Column::AddrCity, None),
    ("address.street", customer::Column::AddrStreet, None),
    ("owner_id", customer::Column::OwnerId, None),
    (
        "individual.gender",
        customer::Column::Gender,
        Some("individual"),
    ),
    (
        "individual.birthday",
        customer::Column::Birthday,
        Some("individual"),
    ),
    (
        "individual.occupation",
        customer::Column::Occupation,
        Some("individual"),
    ),
    (
        "organization.legal_name",
        customer::Column::LegalName,
        Some("organization"),
    ),
    (
        "organization.credit_code",
        customer::Column::CreditCode,
        Some("organization"),
    ),
    (
        "organization.industry",
        customer::Column::Industry,
        Some("organization"),
    ),
    (
        "organization.website",
        customer::Column::Website,
        Some("organization"),
    ),
];

use crate::service::rows::{live_customer_ids as visible_ids, live_customers as visible};

fn share(n: i64, of: i64) -> f64 {
    if of == 0 {
        0.0
    } else {
        ((n as f64 / of as f64) * 1000.0).round() / 1000.0
    }
}

/// The report for a caller (admins, managers, analysts).
///
/// # Errors
/// `Forbidden`; `Validation` for `stale_months` outside 1–120; `Busy` when the caller or
/// the server already runs as many expensive operations as allowed; database failures.
pub async fn report(
    state: &AppState,
    principal: &Principal,
    stale_months: i32,
) -> AppResult<QualityReport> {
    authorize(principal, Action::RunAnalytics)?;
    if !(1..=120).contains(&stale_months) {
        return Err(AppError::invalid(
            "stale_months",
            "out_of_range",
            "must be 1–120",
        ));
    }
    let _admission = state
        .shedder
        .admit(principal, crate::policy::cost::Expensive::QualityReport)?;
    let db = &state.db;
    // One statement: the counts of every field, by kind.
    let mut q = visible(principal).select_only();
    q = q
        .column_as(customer::Column::Id.count(), "all")
        .column_as(
            Expr::cust("SUM(CASE WHEN \"kind\" = 'individual' THEN 1 ELSE 0 END)"),
            "individuals",
        )
        .column_as(
            Expr::cust("SUM(CASE WHEN \"phone\" IS NULL AND \"email\" IS NULL THEN 1 ELSE 0 END)"),
            "without_contact",
        )
        .column_as(
            Expr::cust(
                "SUM(CASE WHEN (\"phone\" IS NOT NULL AND \"phone\" NOT LIKE '+%') \
                 OR (\"email\" IS NOT NULL AND \"email\" NOT LIKE '%@%') THEN 1 ELSE 0 END)",
            ),
            "invalid_contacts",
        );
    for (i, (_, column, _)) in FIELDS.iter().enumerate() {
        q = q.column_as(column.count(), format!("f{i}"));
    }
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(q.build(backend))
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("no counts")))?;
    let get = |name: &str| -> AppResult<i64> {
        Ok(row
            .try_get::<Option<i64>>("", name)
            .map_err(|e| AppError::Internal(e.into()))?
            .unwrap_or(0))
    };
    let customers = get("all")?;
    let individuals = get("individuals")?;
    let organizations = customers - individuals;
    let mut completeness = Vec::new();
    for (i, (path, _, applies)) in FIELDS.iter().enumerate() {
        let filled = get(&format!("f{i}"))?;
        let of = match applies {
            None => customers,
            Some("individual") => individuals,
            Some(_) => organizations,
        };
        completeness.push(FieldFill {
            field: (*path).to_owned(),
            filled,
            share: share(filled, of),
        });
    }
    let stale = visible(principal)
        .filter(
            customer::Column::UpdatedAt
                .lt(Utc::now() - Duration::days(30 * i64::from(stale_months))),
        )
        .count(db)
        .await?;
    let mut shared_identifiers = Vec::new();
    for (field, column) in [
        ("phone", customer::Column::Phone),
        ("email", customer::Column::Email),
        ("organization.credit_code", customer::Column::CreditCode),
    ] {
        // Values held by more than one customer: how many, and by how many customers.
        let mut groups = Query::select();
        groups
            .column(column)
            .expr_as(Expr::cust("COUNT(\"id\")"), Alias::new("n"))
            .from(customer::Entity)
            .and_where(customer::Column::Id.in_subquery(visible_ids(principal)))
            .and_where(column.is_not_null())
            .group_by_col(column)
            .and_having(Expr::cust("COUNT(\"id\") > 1"));
        let outer = Query::select()
            .expr_as(Expr::cust("COUNT(*)"), Alias::new("groups"))
            .expr_as(
                Expr::cust("CAST(COALESCE(SUM(\"n\"), 0) AS BIGINT)"),
                Alias::new("customers"),
            )
            .from_subquery(groups, Alias::new("g"))
            .to_owned();
        let row = db.query_one_raw(backend.build(&outer)).await?;
        let (g, c) = match row {
            Some(r) => (
                r.try_get::<i64>("", "groups").unwrap_or(0),
                r.try_get::<i64>("", "customers").unwrap_or(0),
            ),
            None => (0, 0),
        };
        shared_identifiers.push(Shared {
            field: field.to_owned(),
            groups: g,
            customers: c,
        });
    }
    let consents: Vec<(String, i64)> = consent_event::Entity::find()
        .select_only()
        .column(consent_event::Column::Channel)
        .column_as(Expr::cust("COUNT(DISTINCT \"customer_id\")"), "customers")
        .filter(consent_event::Column::CustomerId.in_subquery(visible_ids(principal)))
        .group_by(consent_event::Column::Channel)
        .into_tuple()
        .all(db)
        .await?;
    let consent_coverage = crate::domain::ContactChannel::ALL
        .iter()
        .map(|ch| {
            let n = consents
                .iter()
                .find(|(c, _)| c == ch.as_str())
                .map_or(0, |(_, n)| *n);
            Coverage {
                channel: ch.as_str().to_owned(),
                customers: n,
                share: share(n, customers),
            }
        })
        .collect();
    Ok(QualityReport {
        customers,
        individuals,
        organizations,
        completeness,
        without_contact: get("without_contact")?,
        invalid_contacts: get("invalid_contacts")?,
        stale: i64::try_from(stale).unwrap_or(i64::MAX),
        stale_months,
        shared_identifiers,
        consent_coverage,
    })
}
