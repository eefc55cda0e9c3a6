//! Re-standardising customers written before the current rules: names folded, e-mails
//! lower-cased, phones in E.164, Chinese provinces and cities in their standard spelling.
//!
//! Each stored customer is put through the checks of an update that changes nothing; where
//! that yields different values, they are written (version bumped, audited as an update
//! with the reason `standardise`). A record the current rules refuse is left as it is and
//! listed, so someone can fix it.

use entity::customer;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{AppError, AppResult, FieldError};
use crate::policy::Principal;
use crate::policy::{Action, authorize};
use crate::service::identity::audit::{self, Event};
use crate::service::{customers, customers::custom_fields, versioned};
use crate::state::AppState;

/// Customers read per transaction.
const PAGE: u64 = 500;
/// Refused customers listed in the report.
const MAX_LISTED: usize = 1000;

/// What a re-standardisation did.
#[derive(Debug, Clone, Serialize, ToSchema, async_graphql::SimpleObject)]
pub struct StandardiseReport {
    /// Whether this was a dry run (nothing written).
    pub dry_run: bool,
    pub checked: u64,
    /// Customers whose values changed (or would change).
    pub changed: u64,
    /// Customers the current rules refuse, left as they are.
    pub refused: u64,
    /// The first 1 000 refused customers, with the rules they break.
    pub refused_customers: Vec<RefusedCustomer>,
}

/// A stored customer the current rules refuse.
#[derive(Debug, Clone, Serialize, ToSchema, async_graphql::SimpleObject)]
pub struct RefusedCustomer {
    pub customer_id: Uuid,
    pub errors: Vec<FieldError>,
}

/// Re-standardise every live customer, a page per transaction (admins only).
///
/// # Errors
/// `Forbidden` for anyone but an admin or the operator; `Busy` when the caller or the
/// server already runs as many expensive operations as allowed; database failures.
pub async fn run(
    state: &AppState,
    principal: &Principal,
    dry_run: bool,
) -> AppResult<StandardiseReport> {
    authorize(principal, Action::Administer)?;
    let _admission = state
        .shedder
        .admit(principal, crate::policy::cost::Expensive::Standardise)?;
    let region = &state.settings.default_region;
    let mut report = StandardiseReport {
        dry_run,
        checked: 0,
        changed: 0,
        refused: 0,
        refused_customers: Vec::new(),
    };
    let mut after: Option<Uuid> = None;
    loop {
        let txn = crate::service::begin_write(&state.db).await?;
        let defs = custom_fields::definitions(&txn).await?;
        let mut query = customer::Entity::find()
            .filter(customer::Column::DeletedAt.is_null())
            .order_by_asc(customer::Column::Id)
            .limit(PAGE);
        if let Some(id) = after {
            query = query.filter(customer::Column::Id.gt(id));
        }
        let page = query.all(&txn).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        for current in &page {
            report.checked += 1;
            match customers::prepare_update(current, &json!({}), &defs, region) {
                Ok(None) => {}
                Ok(Some((mut active, next, tags))) => {
                    report.changed += 1;
                    if dry_run {
                        continue;
                    }
                    active.updated_at = Set(crate::clock::now());
                    active.not_set(customer::Column::Version);
                    let changes = customer::Entity::update_many().set(active);
                    if versioned::try_update(&txn, current.id, current.version, changes).await? {
                        customers::replace_tags(&txn, current.id, &tags).await?;
                        audit::record(
                            &txn,
                            principal,
                            Event {
                                action: "customer.updated",
                                customer_id: Some(current.id),
                                reason: Some("standardise".to_owned()),
                                details: customers::audit_change(current, &next, &defs)?,
                            },
                        )
                        .await?;
                    }
                }
                Err(AppError::Validation(errors)) => {
                    report.refused += 1;
                    if report.refused_customers.len() < MAX_LISTED {
                        report.refused_customers.push(RefusedCustomer {
                            customer_id: current.id,
                            errors,
                        });
                    }
                }
                Err(other) => return Err(other),
            }
        }
        if dry_run {
            txn.rollback().await?;
        } else {
            txn.commit().await?;
        }
    }
    tracing::info!(
        checked = report.checked,
        changed = report.changed,
        refused = report.refused,
        dry_run,
        "customers re-standardised"
    );
    Ok(report)
}
