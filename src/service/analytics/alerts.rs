//! Alerts (预警): rules over receivables, churn risk, contact gaps and complaint SLAs, an
//! evaluation (by the background job and on demand) that raises one alert per rule and
//! subject and resolves alerts whose condition cleared, and their handling: list, filter,
//! acknowledge, resolve.
//!
//! Who sees an alert: the customer must be visible to the caller (a sales user sees their
//! own customers'), and the kind's class must be readable in full — overdue receivables,
//! churn by grade and silent high-value customers are financial; complaint SLAs are public.

use std::collections::{HashMap, HashSet};

use chrono::{Duration, NaiveDate, Utc};
use entity::{alert, alert_rule, complaint, customer, customer_score, interaction, order};
use sea_orm::sea_query::{Query, SelectStatement};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::domain::{AlertKind, AlertStatus, ComplaintStatus, CustomerGrade};
use crate::error::{AppError, AppResult};
use crate::policy::{Action, authorize};
use crate::policy::{Clearance, Principal};
use crate::service::Page;
use crate::service::input::{Checker, parse_document, reject_read_only};
use crate::service::records::{self, Window};
use crate::state::AppState;
use crate::types::alerts::{AlertRuleInput, AlertRuleView, AlertView, EvaluationView};

// ---------------------------------------------------------------------------------------
// Rules

/// A rule's parameters, checked, with defaults filled in.
fn check_params(c: &mut Checker, kind: AlertKind, params: &Value) -> Value {
    let Some(map) = params.as_object() else {
        c.fail("params", "invalid_value", "must be an object");
        return Value::Null;
    };
    let allowed: &[&str] = match kind {
        AlertKind::OverdueReceivable => &["days"],
        AlertKind::ChurnRisk => &["threshold", "grades"],
        AlertKind::NoContact => &["days", "grades"],
        AlertKind::ComplaintSla => &[],
    };
    for key in map.keys() {
        if !allowed.contains(&key.as_str()) {
            c.fail(
                &format!("params.{key}"),
                "unknown_field",
                format!("`{}` takes: {}", kind.as_str(), allowed.join(", ")),
            );
        }
    }
    let mut days = |default: i64, min: i64| -> i64 {
        match map.get("days") {
            None => default,
            Some(v) => match v.as_i64().filter(|d| (min..=3650).contains(d)) {
                Some(d) => d,
                None => {
                    c.fail(
                        "params.days",
                        "out_of_range",
                        format!("must be a whole number of days, {min}–3650"),
                    );
                    default
                }
            },
        }
    };
    let days_value = match kind {
        AlertKind::OverdueReceivable => Some(days(0, 0)),
        AlertKind::NoContact => Some(days(90, 1)),
        _ => None,
    };
    let grades = |c: &mut Checker, default: &[&str]| -> Vec<String> {
        match map.get("grades") {
            None => default.iter().map(|g| (*g).to_owned()).collect(),
            Some(Value::Array(items)) if !items.is_empty() => {
                let mut out = Vec::new();
                for item in items {
                    match item.as_str().and_then(CustomerGrade::parse) {
                        Some(g) => out.push(g.as_str().to_owned()),
                        None => c.fail(
                            "params.grades",
                            "invalid_value",
                            "must list grades A, B, C or D",
                        ),
                    }
                }
                out
            }
            Some(_) => {
                c.fail(
                    "params.grades",
                    "invalid_value",
                    "must be a non-empty list of grades A, B, C or D",
                );
                Vec::new()
            }
        }
    };
    match kind {
        AlertKind::OverdueReceivable => json!({"days": days_value}),
        AlertKind::ComplaintSla => json!({}),
        AlertKind::NoContact => json!({"days": days_value, "grades": grades(c, &["A"])}),
        AlertKind::ChurnRisk => {
            let threshold = match map.get("threshold") {
                None => 0.6,
                Some(v) => match v.as_f64().filter(|t| *t > 0.0 && *t < 1.0) {
                    Some(t) => t,
                    None => {
                        c.fail(
                            "params.threshold",
                            "out_of_range",
                            "must be a number above 0 and below 1",
                        );
                        0.6
                    }
                },
            };
            json!({"threshold": threshold, "grades": grades(c, &["A", "B", "C", "D"])})
        }
    }
}

fn rule_view(m: alert_rule::Model) -> AppResult<AlertRuleView> {
    Ok(AlertRuleView {
        id: m.id,
        name: m.name,
        kind: crate::service::stored(AlertKind::parse(&m.kind), "alert_rules", "kind", m.id)?,
        params: async_graphql::Json(m.params),
        enabled: m.enabled,
        created_by: m.created_by,
        version: m.version,
        created_at: m.created_at.into(),
        updated_at: m.updated_at.into(),
    })
}

fn check_rule(input: AlertRuleInput) -> AppResult<(String, AlertKind, Value, bool)> {
    let mut c = Checker::default();
    let name = c.text("name", Some(input.name), 200);
    if name.is_none() {
        c.fail("name", "required", "must not be empty");
    }
    let params = input.params.map_or_else(|| json!({}), |p| p.0);
    let params = check_params(&mut c, input.kind, &params);
    c.finish((
        name.unwrap_or_default(),
        input.kind,
        params,
        input.enabled.unwrap_or(true),
    ))
}

async fn name_taken(
    conn: &impl sea_orm::ConnectionTrait,
    name: &str,
    except: Option<Uuid>,
) -> AppResult<()> {
    let columns = (alert_rule::Column::Name, alert_rule::Column::Id);
    records::name_taken::<alert_rule::Entity>(conn, columns, name, except, "an alert rule").await
}

/// Configure a rule (admins and managers).
///
/// # Errors
/// `Forbidden`; `Validation` naming the parameter; `Conflict` for a name in use.
pub async fn create_rule(
    state: &AppState,
    principal: &Principal,
    doc: Value,
) -> AppResult<AlertRuleView> {
    create_rule_in(&state.db, principal, doc).await
}

/// As [`create_rule`], written and read back through `db` (a caller's transaction).
pub async fn create_rule_in(
    db: &impl crate::service::Db,
    principal: &Principal,
    doc: Value,
) -> AppResult<AlertRuleView> {
    authorize(principal, Action::FitModels)?;
    reject_read_only(&doc, &["id", "version", "created_at", "updated_at"])?;
    let (name, kind, params, enabled) = check_rule(parse_document(doc)?)?;
    name_taken(db, &name, None).await?;
    let now = crate::clock::now();
    let m = alert_rule::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(name),
        kind: Set(kind.as_str().to_owned()),
        params: Set(params),
        enabled: Set(enabled),
        created_by: Set(principal.user_id),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?;
    rule_view(m)
}

async fn find_rule(state: &AppState, id: Uuid) -> AppResult<alert_rule::Model> {
    alert_rule::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound {
            entity: "alert rule",
        })
}

/// Replace a rule (admins and managers).
///
/// # Errors
/// As `create_rule`; `NotFound`; `PreconditionFailed` for a stale version.
pub async fn update_rule(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    expected_version: Option<i64>,
    doc: Value,
) -> AppResult<AlertRuleView> {
    authorize(principal, Action::FitModels)?;
    reject_read_only(&doc, &["id", "version", "created_at", "updated_at"])?;
    let current = find_rule(state, id).await?;
    let base = crate::service::versioned::base(expected_version, current.version)?;
    let (name, kind, params, enabled) = check_rule(parse_document(doc)?)?;
    name_taken(&state.db, &name, Some(id)).await?;
    let changes = alert_rule::Entity::update_many()
        .col_expr(alert_rule::Column::Name, name.into())
        .col_expr(alert_rule::Column::Kind, kind.as_str().into())
        .col_expr(alert_rule::Column::Params, params.into())
        .col_expr(alert_rule::Column::Enabled, enabled.into())
        .col_expr(alert_rule::Column::UpdatedAt, crate::clock::now().into());
    rule_view(crate::service::versioned::update(&state.db, id, base, changes).await?)
}

/// Delete a rule; its alerts stay, for the record.
///
/// # Errors
/// `Forbidden`; `NotFound`; `PreconditionFailed` for a stale version.
pub async fn delete_rule(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    expected_version: Option<i64>,
) -> AppResult<()> {
    authorize(principal, Action::FitModels)?;
    let current = find_rule(state, id).await?;
    let base = crate::service::versioned::base(expected_version, current.version)?;
    crate::service::versioned::delete::<alert_rule::Entity>(&state.db, id, base).await
}

/// Every rule, by name.
///
/// # Errors
/// Database failures.
pub async fn list_rules(state: &AppState, principal: &Principal) -> AppResult<Vec<AlertRuleView>> {
    authorize(principal, Action::ReadCustomers)?;
    alert_rule::Entity::find()
        .order_by_asc(alert_rule::Column::Name)
        .all(&state.db)
        .await?
        .into_iter()
        .map(rule_view)
        .collect()
}

// ---------------------------------------------------------------------------------------
// Evaluation

/// One subject a rule currently fires on.
struct Match {
    customer_id: Uuid,
    subject_id: Option<Uuid>,
    message: String,
    details: Value,
}

fn live_customers() -> SelectStatement {
    Query::select()
        .column(customer::Column::Id)
        .from(customer::Entity)
        .and_where(customer::Column::DeletedAt.is_null())
        .to_owned()
}

fn grades_of(params: &Value) -> Vec<String> {
    params["grades"]
        .as_array()
        .map(|g| {
            g.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

async fn matches(
    conn: &impl ConnectionTrait,
    kind: AlertKind,
    params: &Value,
    today: NaiveDate,
) -> AppResult<Vec<Match>> {
    let now = Utc::now();
    let days = params["days"].as_i64().unwrap_or(0);
    let mut out = Vec::new();
    match kind {
        AlertKind::OverdueReceivable => {
            let cutoff = today - Duration::days(days);
            let rows = order::Entity::find()
                .filter(order::Column::DueDate.lt(cutoff))
                .filter(order::Column::Status.is_not_in(["cancelled", "refunded"]))
                .filter(order::Column::CustomerId.in_subquery(live_customers()))
                .all(conn)
                .await?;
            for o in rows {
                let (total, paid) = (o.total.value(), o.paid_amount.value());
                let (Some(due), true) = (o.due_date, total > paid) else {
                    continue;
                };
                let late = (today - due).num_days();
                out.push(Match {
                    customer_id: o.customer_id,
                    subject_id: Some(o.id),
                    message: format!("order {} is {late} days past due", o.number),
                    details: json!({"order_number": o.number, "due_date": due,
                        "days_overdue": late,
                        "outstanding": records::money_text(total - paid),
                        "currency": o.currency}),
                });
            }
        }
        AlertKind::ChurnRisk => {
            let threshold = params["threshold"].as_f64().unwrap_or(0.6);
            let rows = customer_score::Entity::find()
                .filter(customer_score::Column::ChurnRisk.gt(threshold))
                .filter(customer_score::Column::Grade.is_in(grades_of(params)))
                .filter(customer_score::Column::CustomerId.in_subquery(live_customers()))
                .all(conn)
                .await?;
            for s in rows {
                let risk = s.churn_risk.unwrap_or(0.0);
                let grade = s.grade.unwrap_or_default();
                out.push(Match {
                    customer_id: s.customer_id,
                    subject_id: None,
                    message: format!("churn risk {risk:.2} for a grade {grade} customer"),
                    details: json!({"churn_risk": risk, "grade": grade,
                        "lifecycle_stage": s.lifecycle_stage}),
                });
            }
        }
        AlertKind::NoContact => {
            let since = now - Duration::days(days);
            let contacted = Query::select()
                .column(interaction::Column::CustomerId)
                .from(interaction::Entity)
                .and_where(interaction::Column::OccurredAt.gte(since))
                .to_owned();
            let rows = customer_score::Entity::find()
                .filter(customer_score::Column::Grade.is_in(grades_of(params)))
                .filter(customer_score::Column::CustomerId.in_subquery(live_customers()))
                .filter(customer_score::Column::CustomerId.not_in_subquery(contacted))
                .all(conn)
                .await?;
            for s in rows {
                let grade = s.grade.unwrap_or_default();
                out.push(Match {
                    customer_id: s.customer_id,
                    subject_id: None,
                    message: format!(
                        "no interaction for {days} days with a grade {grade} customer"
                    ),
                    details: json!({"days": days, "grade": grade}),
                });
            }
        }
        AlertKind::ComplaintSla => {
            let unresolved: Vec<&str> = ComplaintStatus::ALL
                .iter()
                .filter(|s| s.is_unresolved())
                .map(|s| s.as_str())
                .collect();
            let rows = complaint::Entity::find()
                .filter(complaint::Column::Status.is_in(unresolved))
                .filter(complaint::Column::SlaDueAt.lt(now))
                .filter(complaint::Column::CustomerId.in_subquery(live_customers()))
                .all(conn)
                .await?;
            for c in rows {
                let hours = (now - c.sla_due_at).num_hours();
                out.push(Match {
                    customer_id: c.customer_id,
                    subject_id: Some(c.id),
                    message: format!("{} complaint is {hours} h past its SLA", c.severity),
                    details: json!({"severity": c.severity, "status": c.status,
                        "sla_due_at": c.sla_due_at}),
                });
            }
        }
    }
    Ok(out)
}

/// Evaluate every enabled rule: raise an alert for each new subject, and resolve active
/// alerts whose condition no longer holds. One transaction.
///
/// # Errors
/// Database failures.
pub async fn evaluate(db: &sea_orm::DatabaseConnection) -> AppResult<EvaluationView> {
    let now = crate::clock::now();
    let today = now.date_naive();
    let txn = crate::service::begin_write(db).await?;
    let rules = alert_rule::Entity::find()
        .filter(alert_rule::Column::Enabled.eq(true))
        .all(&txn)
        .await?;
    let (mut raised, mut cleared) = (0i64, 0i64);
    for rule in &rules {
        let Some(kind) = AlertKind::parse(&rule.kind) else {
            // Not evaluated, and said so: failing the run would stop every other rule too.
            // Its alerts are left as they are; reading the rule is an internal error.
            tracing::warn!(
                rule.id = %rule.id,
                "stored value in alert_rules.kind is not one this version knows: rule skipped"
            );
            continue;
        };
        let found = matches(&txn, kind, &rule.params, today).await?;
        let active: HashMap<String, alert::Model> = alert::Entity::find()
            .filter(alert::Column::RuleId.eq(rule.id))
            .filter(alert::Column::Status.ne(AlertStatus::Resolved.as_str()))
            .all(&txn)
            .await?
            .into_iter()
            .map(|a| (a.dedup_key.clone(), a))
            .collect();
        let mut current: HashSet<String> = HashSet::new();
        let mut fresh = Vec::new();
        for m in found {
            let key = format!("{}:{}", rule.id, m.subject_id.unwrap_or(m.customer_id));
            if !current.insert(key.clone()) || active.contains_key(&key) {
                continue;
            }
            fresh.push(alert::ActiveModel {
                id: Set(Uuid::now_v7()),
                rule_id: Set(rule.id),
                kind: Set(kind.as_str().to_owned()),
                customer_id: Set(m.customer_id),
                subject_id: Set(m.subject_id),
                dedup_key: Set(key),
                status: Set(AlertStatus::Open.as_str().to_owned()),
                message: Set(m.message),
                details: Set(m.details),
                created_at: Set(now),
                updated_at: Set(now),
                acknowledged_at: Set(None),
                acknowledged_by: Set(None),
                resolved_at: Set(None),
                resolved_by: Set(None),
                resolution: Set(None),
            });
        }
        raised += i64::try_from(fresh.len()).unwrap_or(i64::MAX);
        for chunk in fresh.chunks(500) {
            alert::Entity::insert_many(chunk.to_vec())
                .exec(&txn)
                .await?;
        }
        let gone: Vec<Uuid> = active
            .values()
            .filter(|a| !current.contains(&a.dedup_key))
            .map(|a| a.id)
            .collect();
        cleared += i64::try_from(gone.len()).unwrap_or(i64::MAX);
        for chunk in gone.chunks(500) {
            alert::Entity::update_many()
                .col_expr(alert::Column::Status, AlertStatus::Resolved.as_str().into())
                .col_expr(alert::Column::ResolvedAt, Some(now).into())
                .col_expr(
                    alert::Column::Resolution,
                    Some("condition cleared".to_owned()).into(),
                )
                .col_expr(alert::Column::UpdatedAt, now.into())
                .filter(alert::Column::Id.is_in(chunk.iter().copied()))
                .exec(&txn)
                .await?;
        }
    }
    txn.commit().await?;
    Ok(EvaluationView {
        rules: i64::try_from(rules.len()).unwrap_or(i64::MAX),
        raised,
        cleared,
        evaluated_at: now.into(),
    })
}

/// Evaluate on demand (admins, managers, analysts).
///
/// # Errors
/// `Forbidden`; `Busy` when the caller or the server already runs as many expensive
/// operations as allowed; database failures.
pub async fn evaluate_now(state: &AppState, principal: &Principal) -> AppResult<EvaluationView> {
    authorize(principal, Action::RunAnalytics)?;
    let _admission = state
        .shedder
        .admit(principal, crate::policy::cost::Expensive::AlertEvaluation)?;
    evaluate(&state.db).await
}

// ---------------------------------------------------------------------------------------
// Handling

fn visible_kinds(principal: &Principal) -> Vec<&'static str> {
    AlertKind::ALL
        .iter()
        .filter(|k| principal.clearance(k.class()) == Clearance::Full)
        .map(|k| k.as_str())
        .collect()
}

fn visible(principal: &Principal) -> sea_orm::Select<alert::Entity> {
    alert::Entity::find()
        .filter(alert::Column::Kind.is_in(visible_kinds(principal)))
        .filter(
            alert::Column::CustomerId
                .in_subquery(crate::service::rows::live_customer_ids(principal)),
        )
}

/// An alert's stored status; one this version does not know is an error, not `open`.
fn status_of(m: &alert::Model) -> AppResult<AlertStatus> {
    crate::service::stored(AlertStatus::parse(&m.status), "alerts", "status", m.id)
}

fn view(m: alert::Model) -> AppResult<AlertView> {
    Ok(AlertView {
        id: m.id,
        rule_id: m.rule_id,
        kind: crate::service::stored(AlertKind::parse(&m.kind), "alerts", "kind", m.id)?,
        customer_id: m.customer_id,
        subject_id: m.subject_id,
        status: status_of(&m)?,
        message: m.message,
        details: async_graphql::Json(m.details),
        created_at: m.created_at.into(),
        acknowledged_at: m.acknowledged_at.map(Into::into),
        acknowledged_by: m.acknowledged_by,
        resolved_at: m.resolved_at.map(Into::into),
        resolved_by: m.resolved_by,
        resolution: m.resolution,
        customer: None,
    })
}

/// Filters of the alert list.
#[derive(Debug, Clone, Default)]
pub struct AlertFilter {
    pub status: Option<AlertStatus>,
    pub kind: Option<AlertKind>,
    pub customer_id: Option<Uuid>,
    pub rule_id: Option<Uuid>,
}

/// Alerts the caller may see, newest first.
///
/// # Errors
/// A bad cursor; database failures.
pub async fn list(
    state: &AppState,
    principal: &Principal,
    filter: &AlertFilter,
    window: &Window,
) -> AppResult<Page<AlertView>> {
    authorize(principal, Action::ReadCustomers)?;
    let mut q = visible(principal);
    if let Some(s) = filter.status {
        q = q.filter(alert::Column::Status.eq(s.as_str()));
    }
    if let Some(k) = filter.kind {
        q = q.filter(alert::Column::Kind.eq(k.as_str()));
    }
    if let Some(c) = filter.customer_id {
        q = q.filter(alert::Column::CustomerId.eq(c));
    }
    if let Some(r) = filter.rule_id {
        q = q.filter(alert::Column::RuleId.eq(r));
    }
    let page = records::newest_first(
        &state.db,
        q,
        alert::Column::CreatedAt,
        alert::Column::Id,
        window,
        |m| (m.created_at, m.id),
    )
    .await?;
    page.try_map(view)
}

async fn find(state: &AppState, principal: &Principal, id: Uuid) -> AppResult<alert::Model> {
    visible(principal)
        .filter(alert::Column::Id.eq(id))
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound { entity: "alert" })
}

/// One alert.
///
/// # Errors
/// `NotFound` (also for an alert the caller may not see).
pub async fn get(state: &AppState, principal: &Principal, id: Uuid) -> AppResult<AlertView> {
    authorize(principal, Action::ReadCustomers)?;
    view(find(state, principal, id).await?)
}

/// Move an alert on: acknowledge it, or resolve it with an optional note.
///
/// # Errors
/// `NotFound`; `IllegalTransition` (409, with the allowed statuses); `Validation` for an
/// over-long resolution.
pub async fn transition(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    to: AlertStatus,
    resolution: Option<String>,
) -> AppResult<AlertView> {
    authorize(principal, Action::WorkAlerts)?;
    let mut c = Checker::default();
    let resolution = c.text("resolution", resolution, 2000);
    c.finish(())?;
    let current = find(state, principal, id).await?;
    let from = status_of(&current)?;
    if !from.next().contains(&to) {
        return Err(AppError::IllegalTransition {
            entity: "alert",
            from: from.as_str().to_owned(),
            to: to.as_str().to_owned(),
            allowed: from.next().iter().map(|s| s.as_str().to_owned()).collect(),
        });
    }
    let now = crate::clock::now();
    let mut update = alert::Entity::update_many()
        .col_expr(alert::Column::Status, to.as_str().into())
        .col_expr(alert::Column::UpdatedAt, now.into())
        .filter(alert::Column::Id.eq(id))
        .filter(alert::Column::Status.eq(from.as_str()));
    update = match to {
        AlertStatus::Acknowledged => update
            .col_expr(alert::Column::AcknowledgedAt, Some(now).into())
            .col_expr(alert::Column::AcknowledgedBy, principal.user_id.into()),
        _ => update
            .col_expr(alert::Column::ResolvedAt, Some(now).into())
            .col_expr(alert::Column::ResolvedBy, principal.user_id.into())
            .col_expr(alert::Column::Resolution, resolution.into()),
    };
    let done = update.exec(&state.db).await?;
    if done.rows_affected == 0 {
        return Err(AppError::Conflict(
            "the alert changed meanwhile; read it again".to_owned(),
        ));
    }
    view(find(state, principal, id).await?)
}
