//! Preferences, consent, relationships between customers and the loyalty programme.

use async_graphql::{InputObject, SimpleObject};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::{
    ContactChannel, CustomerKind, LoyaltyTier, PointsKind, PreferredTime, RelationshipKind,
    RelationshipTitle,
};
use crate::types::time::Timestamp;

/// A customer's stated preferences.
#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
#[graphql(name = "Preferences")]
pub struct PreferencesView {
    pub customer_id: Uuid,
    /// Product categories the customer is interested in.
    pub categories: Vec<String>,
    pub preferred_channel: Option<ContactChannel>,
    pub preferred_time: Option<PreferredTime>,
    /// Null when never set.
    pub updated_at: Option<Timestamp>,
    /// Bumped by every write, 0 when never set; the `ETag`, to send back in `If-Match`.
    pub version: i64,
}

/// Preferences as written; replaces the previous ones.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, InputObject)]
#[serde(deny_unknown_fields)]
#[graphql(name = "PreferencesInput")]
#[schema(example = json!({"categories": ["tea", "gifts"], "preferred_channel": "wechat",
    "preferred_time": "evening"}))]
pub struct PreferencesInput {
    /// Up to 20 categories of up to 100 characters.
    pub categories: Option<Vec<String>>,
    pub preferred_channel: Option<ContactChannel>,
    pub preferred_time: Option<PreferredTime>,
}

/// Whether the customer may be contacted on one channel now.
#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
#[graphql(name = "Consent")]
pub struct ConsentView {
    pub channel: ContactChannel,
    /// True granted, false withdrawn, null never recorded (treat as no consent).
    pub granted: Option<bool>,
    /// When the consent in force was given or withdrawn.
    pub at: Option<Timestamp>,
    pub source: Option<String>,
}

/// One grant or withdrawal of consent, as kept in the history.
#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
#[graphql(name = "ConsentEvent")]
pub struct ConsentEventView {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub channel: ContactChannel,
    pub granted: bool,
    pub at: Timestamp,
    /// Where the customer said so, e.g. `web_form`, `call`, `store`.
    pub source: String,
    /// Who recorded it.
    pub recorded_by: String,
}

/// A grant or withdrawal of consent.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, InputObject)]
#[serde(deny_unknown_fields)]
#[graphql(name = "ConsentInput")]
#[schema(example = json!({"channel": "sms", "granted": false, "source": "call"}))]
pub struct ConsentInput {
    pub channel: ContactChannel,
    pub granted: bool,
    /// 1–100 characters.
    pub source: String,
    /// Default now; not in the future.
    pub at: Option<Timestamp>,
}

/// A link between this customer and another, as read from this customer's side.
#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
#[graphql(name = "Relationship")]
pub struct RelationshipView {
    pub id: Uuid,
    /// The customer the link is read from.
    pub customer_id: Uuid,
    /// What this customer is to the other: e.g. `key_person_of` from the person,
    /// `has_key_person` from the organization, `child_of` from a child.
    pub kind: RelationshipKind,
    pub title: Option<RelationshipTitle>,
    pub other_id: Uuid,
    pub other_display_name: String,
    pub other_kind: CustomerKind,
    /// Contact.
    pub note: Option<String>,
    pub created_at: Timestamp,
    /// Fields this caller may not read in full.
    #[graphql(name = "maskedFields")]
    pub masked: Vec<String>,
}

/// A link to create from this customer to `other_id`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, InputObject)]
#[serde(deny_unknown_fields)]
#[graphql(name = "RelationshipInput")]
#[schema(example = json!({"kind": "key_person_of", "other_id": "0193a5b0-7c1e-7d3a-9f4e-2b8c6d1e0f00",
    "title": "legal_representative"}))]
pub struct RelationshipInput {
    /// What this customer is to the other (either reading of a link may be used).
    pub kind: RelationshipKind,
    pub other_id: Uuid,
    /// Only for `key_person_of` / `employee_of` (and their readings from the organization).
    pub title: Option<RelationshipTitle>,
    /// Up to 2000 characters.
    pub note: Option<String>,
}

/// A customer's loyalty membership and points balance.
#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
#[graphql(name = "Loyalty", complex)]
pub struct LoyaltyView {
    pub customer_id: Uuid,
    /// Null when not a member.
    pub tier: Option<LoyaltyTier>,
    pub member_since: Option<Timestamp>,
    /// Bumped by every change of the membership, 0 when not a member; the `ETag`, to send
    /// back in `If-Match`.
    pub version: i64,
    /// Sum of the points ledger (financial).
    pub balance: Option<i64>,
    /// Fields this caller may not read in full.
    // GraphQL's `maskedFields` adds the loyalty score and components, which only it
    // carries here (see `graphql::scores`).
    #[graphql(skip)]
    pub masked: Vec<String>,
}

/// Membership as written.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, InputObject)]
#[serde(deny_unknown_fields)]
#[graphql(name = "LoyaltyInput")]
pub struct LoyaltyInput {
    pub tier: LoyaltyTier,
}

/// One movement of points.
#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
#[graphql(name = "PointsEntry")]
pub struct PointsEntryView {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub kind: PointsKind,
    /// Signed change: positive for earn, negative for redeem and expire (financial).
    pub points: Option<i64>,
    /// Balance after this movement (financial).
    pub balance_after: Option<i64>,
    pub at: Timestamp,
    /// Contact.
    pub reason: Option<String>,
    pub order_id: Option<Uuid>,
    pub actor: String,
    /// Fields this caller may not read in full.
    #[graphql(name = "maskedFields")]
    pub masked: Vec<String>,
}

/// A movement of points to record.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, InputObject)]
#[serde(deny_unknown_fields)]
#[graphql(name = "PointsInput")]
#[schema(example = json!({"kind": "redeem", "points": 500, "reason": "兑换礼品"}))]
pub struct PointsInput {
    pub kind: PointsKind,
    /// A positive number for earn, redeem and expire; non-zero, signed, for adjust.
    pub points: i64,
    /// Up to 500 characters.
    pub reason: Option<String>,
    /// The order that earned the points, if any.
    pub order_id: Option<Uuid>,
}
