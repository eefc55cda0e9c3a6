//! Interactions, satisfaction surveys, complaints and the customer timeline.

use async_graphql::{InputObject, SimpleObject};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::{
    ComplaintCategory, ComplaintSeverity, ComplaintStatus, InteractionDirection, InteractionKind,
    SurveyChannel, TimelineKind,
};

use super::commerce::OrderView;
use super::relations::ConsentEventView;
use crate::types::time::Timestamp;

/// A call, e-mail, meeting, visit or message with a customer.
#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
#[graphql(name = "Interaction")]
pub struct InteractionView {
    pub id: Uuid,
    pub customer_id: Uuid,
    #[serde(rename = "type")]
    #[graphql(name = "type")]
    pub kind: InteractionKind,
    pub direction: InteractionDirection,
    pub occurred_at: Timestamp,
    pub duration_seconds: Option<i64>,
    /// Contact.
    pub subject: Option<String>,
    /// Contact.
    pub summary: Option<String>,
    /// Contact.
    pub outcome: Option<String>,
    /// The user who had the interaction.
    pub user_id: Option<Uuid>,
    pub next_follow_up_at: Option<Timestamp>,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Fields this caller may not read in full.
    #[graphql(name = "maskedFields")]
    pub masked: Vec<String>,
}

/// An interaction as written (`type` required on create); on update only the fields given
/// change.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, InputObject)]
#[serde(deny_unknown_fields)]
#[graphql(name = "InteractionInput")]
#[schema(example = json!({"type": "call", "direction": "inbound",
    "occurred_at": "2026-11-20T09:30:00Z", "duration_seconds": 420,
    "subject": "配送延迟", "summary": "客户询问订单配送进度", "outcome": "已安排加急",
    "next_follow_up_at": "2026-11-22T09:00:00Z"}))]
pub struct InteractionInput {
    #[serde(rename = "type")]
    #[graphql(name = "type")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<InteractionKind>,
    /// Default `outbound`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direction: Option<InteractionDirection>,
    /// Default now; not more than a day ahead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub occurred_at: Option<Timestamp>,
    /// 0 to 86400.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_seconds: Option<i64>,
    /// Up to 200 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Up to 5000 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Up to 200 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// An active user; default the caller.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_follow_up_at: Option<Timestamp>,
}

/// A satisfaction survey answer.
#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
#[graphql(name = "Survey")]
pub struct SurveyView {
    pub id: Uuid,
    pub customer_id: Uuid,
    /// Customer satisfaction, 1–5.
    pub csat: Option<i32>,
    /// Net promoter score answer, 0–10.
    pub nps: Option<i32>,
    /// Contact.
    pub comment: Option<String>,
    pub channel: Option<SurveyChannel>,
    pub answered_at: Timestamp,
    pub created_at: Timestamp,
    /// Fields this caller may not read in full.
    #[graphql(name = "maskedFields")]
    pub masked: Vec<String>,
}

/// A survey answer as written: at least one of `csat` and `nps`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, InputObject)]
#[serde(deny_unknown_fields)]
#[graphql(name = "SurveyInput")]
#[schema(example = json!({"csat": 4, "nps": 9, "comment": "送货很快", "channel": "wechat"}))]
pub struct SurveyInput {
    /// Satisfaction, 1–5.
    #[schema(minimum = 1, maximum = 5)]
    pub csat: Option<i32>,
    /// Net promoter score, 0–10.
    #[schema(minimum = 0, maximum = 10)]
    pub nps: Option<i32>,
    /// Up to 2000 characters.
    #[schema(max_length = 2000)]
    pub comment: Option<String>,
    pub channel: Option<SurveyChannel>,
    /// Default now; not more than a day ahead.
    pub answered_at: Option<Timestamp>,
}

/// A complaint ticket.
#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
#[graphql(name = "Complaint")]
pub struct ComplaintView {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub category: ComplaintCategory,
    pub severity: ComplaintSeverity,
    pub status: ComplaintStatus,
    /// The statuses it may move to next.
    pub allowed_transitions: Vec<ComplaintStatus>,
    /// Contact.
    pub subject: Option<String>,
    /// Contact.
    pub description: Option<String>,
    pub opened_at: Timestamp,
    /// When it must be resolved, by severity: critical 4 h, high 24 h, medium 72 h, low 7 d.
    pub sla_due_at: Timestamp,
    /// Unresolved past its SLA.
    pub overdue: bool,
    /// Contact.
    pub resolution: Option<String>,
    /// The customer's satisfaction with the resolution, 1–5.
    pub satisfaction: Option<i32>,
    pub resolved_at: Option<Timestamp>,
    pub closed_at: Option<Timestamp>,
    /// Every step of the workflow, oldest first.
    pub events: Vec<ComplaintEventView>,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Fields this caller may not read in full.
    #[graphql(name = "maskedFields")]
    pub masked: Vec<String>,
}

/// One step of a complaint's workflow.
#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
#[graphql(name = "ComplaintEvent")]
pub struct ComplaintEventView {
    pub id: Uuid,
    pub complaint_id: Uuid,
    pub customer_id: Uuid,
    /// Null for the opening.
    pub from_status: Option<ComplaintStatus>,
    pub to_status: ComplaintStatus,
    pub at: Timestamp,
    /// `user:<id>`, `api_key:<id>` or `operator`.
    pub actor: String,
    /// Contact.
    pub note: Option<String>,
    /// Fields this caller may not read in full.
    #[graphql(name = "maskedFields")]
    pub masked: Vec<String>,
}

/// A complaint as opened (`category`, `severity`, `subject` required), or changed (only
/// the fields given: category, severity — which moves the SLA —, description, satisfaction).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, InputObject)]
#[serde(deny_unknown_fields)]
#[graphql(name = "ComplaintInput")]
#[schema(example = json!({"category": "delivery", "severity": "high", "subject": "包裹破损",
    "description": "收到的茶叶礼盒外包装破损"}))]
pub struct ComplaintInput {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<ComplaintCategory>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<ComplaintSeverity>,
    /// 1–200 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Up to 5000 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Default now; not more than a day ahead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opened_at: Option<Timestamp>,
    /// 1–5, once resolved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub satisfaction: Option<i32>,
}

/// A workflow step for a complaint.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, InputObject)]
#[serde(deny_unknown_fields)]
#[graphql(name = "ComplaintTransitionInput")]
#[schema(example = json!({"to": "resolved", "resolution": "已补发新品", "note": "客户确认收到"}))]
pub struct ComplaintTransitionInput {
    /// The status to move to.
    pub to: ComplaintStatus,
    /// Required when moving to `resolved`: how it was resolved (up to 5000 characters).
    pub resolution: Option<String>,
    /// Up to 2000 characters, kept with the step.
    pub note: Option<String>,
}

/// One entry of a customer's timeline: exactly one of the records is set, by `kind`.
#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
#[graphql(name = "TimelineEntry")]
pub struct TimelineEntry {
    pub at: Timestamp,
    pub kind: TimelineKind,
    /// Id of the record.
    pub id: Uuid,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<OrderView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interaction: Option<InteractionView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub survey: Option<SurveyView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub complaint_event: Option<ComplaintEventView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consent: Option<ConsentEventView>,
}
