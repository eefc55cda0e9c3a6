//! Saved segments: named filters over profile fields, tags and scores.

use async_graphql::{InputObject, SimpleObject};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use super::customer::CustomerView;
use crate::domain::FilterOp;
use crate::types::time::Timestamp;

/// One condition of a segment; a customer is a member when every condition holds.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, SimpleObject, InputObject)]
#[serde(deny_unknown_fields)]
#[graphql(name = "SegmentCondition", input_name = "SegmentConditionInput")]
#[schema(example = json!({"field": "churn_risk", "op": "gt", "value": 0.6}))]
pub struct SegmentCondition {
    /// Profile: `kind`, `status`, `source`, `city`, `province`, `owner_id`, `tag`. Scores
    /// (from the snapshot): `churn_risk`, `p_alive`, `loyalty`, `frequency`,
    /// `recency_days`, `completeness`, `lifecycle_stage`, and with financial clearance
    /// `grade`, `rfm_segment`, `lifetime_value`, `monetary`.
    pub field: String,
    pub op: FilterOp,
    /// A string or number; a list of them for `in` and `not_in`.
    #[schema(value_type = Object)]
    pub value: async_graphql::Json<Value>,
}

/// A segment as written.
#[derive(Debug, Clone, Deserialize, ToSchema, InputObject)]
#[serde(deny_unknown_fields)]
#[graphql(name = "SegmentInput")]
#[schema(example = json!({"name": "上海的高风险A级客户", "filter": [
    {"field": "churn_risk", "op": "gt", "value": 0.6},
    {"field": "grade", "op": "in", "value": ["A", "B"]},
    {"field": "city", "op": "eq", "value": "上海"}]}))]
pub struct SegmentInput {
    /// Unique, 1–200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    pub description: Option<String>,
    /// One to 20 conditions, all of which must hold.
    #[schema(min_items = 1, max_items = 20)]
    pub filter: Vec<SegmentCondition>,
}

/// A saved segment with its current size.
#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
#[graphql(name = "Segment", complex)]
pub struct SegmentView {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub filter: Vec<SegmentCondition>,
    pub created_by: Option<Uuid>,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Members the caller can see now.
    pub member_count: i64,
    /// When the score snapshot the filter reads was refreshed.
    pub snapshot_at: Option<Timestamp>,
}

/// A page of a segment's members, with their current scores.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MemberPage {
    pub data: Vec<CustomerView>,
    pub next_cursor: Option<String>,
    /// When the score snapshot the filter read was refreshed.
    pub snapshot_at: Option<Timestamp>,
}

/// A page of segments.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SegmentList {
    pub data: Vec<SegmentView>,
}
