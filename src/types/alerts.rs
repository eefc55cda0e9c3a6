//! Alert rules and the alerts they raise.

use async_graphql::{InputObject, SimpleObject};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::{AlertKind, AlertStatus};
use crate::types::time::Timestamp;

/// An alert rule as written. Parameters by kind:
/// - `overdue_receivable`: `{"days": N}` — an order's receivable is more than N days (0–3650,
///   default 0) past its due date;
/// - `churn_risk`: `{"threshold": 0.6, "grades": ["A"]}` — churn risk above the threshold
///   (0–1) for customers of these grades (default all);
/// - `no_contact`: `{"days": 90, "grades": ["A", "B"]}` — no interaction for N days (1–3650)
///   with a customer of these grades (default A);
/// - `complaint_sla`: `{}` — an unresolved complaint past its SLA.
#[derive(Debug, Clone, Deserialize, ToSchema, InputObject)]
#[serde(deny_unknown_fields)]
#[graphql(name = "AlertRuleInput")]
#[schema(example = json!({"name": "A级客户流失预警", "kind": "churn_risk", "params": {"threshold": 0.6, "grades": ["A"]}}))]
pub struct AlertRuleInput {
    /// Unique, 1–200 characters.
    pub name: String,
    pub kind: AlertKind,
    #[schema(value_type = Object)]
    pub params: Option<async_graphql::Json<Value>>,
    /// Default true.
    pub enabled: Option<bool>,
}

/// A configured alert rule.
#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
#[graphql(name = "AlertRule")]
pub struct AlertRuleView {
    pub id: Uuid,
    pub name: String,
    pub kind: AlertKind,
    /// The parameters with their defaults filled in.
    #[schema(value_type = Object)]
    pub params: async_graphql::Json<Value>,
    pub enabled: bool,
    pub created_by: Option<Uuid>,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// An alert about a customer.
#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
#[graphql(name = "Alert", complex)]
pub struct AlertView {
    pub id: Uuid,
    pub rule_id: Uuid,
    pub kind: AlertKind,
    pub customer_id: Uuid,
    /// The order (overdue receivable) or complaint (SLA) concerned.
    pub subject_id: Option<Uuid>,
    pub status: AlertStatus,
    pub message: String,
    /// Facts behind the alert (order number and outstanding amount, risk and grade, …).
    #[schema(value_type = Object)]
    pub details: async_graphql::Json<Value>,
    pub created_at: Timestamp,
    pub acknowledged_at: Option<Timestamp>,
    pub acknowledged_by: Option<Uuid>,
    pub resolved_at: Option<Timestamp>,
    /// Null when the job resolved it because its condition cleared.
    pub resolved_by: Option<Uuid>,
    pub resolution: Option<String>,
    /// The alert's customer, rendered through the policy, with `expand=customer` (absent
    /// otherwise, and when the caller may not see that customer). GraphQL: the `customer`
    /// field.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[graphql(skip)]
    pub customer: Option<Box<crate::types::customer::CustomerView>>,
}

/// What one evaluation of the rules did.
#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
#[graphql(name = "AlertEvaluation")]
pub struct EvaluationView {
    /// Enabled rules evaluated.
    pub rules: i64,
    /// New alerts.
    pub raised: i64,
    /// Active alerts resolved because their condition no longer holds.
    pub cleared: i64,
    pub evaluated_at: Timestamp,
}

/// `POST /alerts/{id}/resolve`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveInput {
    /// What was done, at most 2000 characters.
    pub resolution: Option<String>,
}

/// A list of alert rules.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AlertRuleList {
    pub data: Vec<AlertRuleView>,
}
