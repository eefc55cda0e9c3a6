//! The customer resource as callers see it, and as they write it.

use async_graphql::{InputObject, MaybeUndefined, SimpleObject};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::{CustomerKind, CustomerSource, CustomerStatus, Gender, MaritalStatus};
use crate::types::time::{Date, Timestamp};

/// A customer, rendered through the privacy policy for the caller.
#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
#[graphql(name = "Customer", complex)]
pub struct CustomerView {
    pub id: Uuid,
    pub kind: CustomerKind,
    pub display_name: String,
    /// E.164 phone number, e.g. `+8613800138000` (contact).
    pub phone: Option<String>,
    /// Lower-cased e-mail address (contact).
    pub email: Option<String>,
    pub address: Option<AddressView>,
    pub tags: Vec<String>,
    pub source: CustomerSource,
    pub status: CustomerStatus,
    /// Free-text notes (contact).
    pub notes: Option<String>,
    /// The user responsible for this customer.
    pub owner_id: Option<Uuid>,
    /// Profile of an individual; null for organizations.
    pub individual: Option<IndividualView>,
    /// Profile of an organization; null for individuals.
    pub organization: Option<OrganizationView>,
    /// Custom-field values keyed by definition key.
    #[schema(value_type = Object)]
    pub custom: async_graphql::Json<Map<String, Value>>,
    /// Incremented by every write; send it back as `If-Match` / `expectedVersion`.
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Set while the customer is soft-deleted.
    pub deleted_at: Option<Timestamp>,
    /// Fields this caller may not read in full: withheld (null) or shown masked.
    #[graphql(name = "maskedFields")]
    pub masked: Vec<String>,
    /// With `include=scores` on a list: the customer's scores.
    #[graphql(skip)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scores: Option<Box<crate::types::scores::ScoresView>>,
    /// With `include=stats` on a list: the customer's purchase aggregates.
    #[graphql(skip)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stats: Option<Box<crate::types::commerce::StatsView>>,
    /// On create (REST): existing customers this one may duplicate, best first.
    #[graphql(skip)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicate_candidates: Option<Vec<Candidate>>,
}

/// A postal address.
#[derive(Debug, Clone, Default, Serialize, ToSchema, SimpleObject)]
#[graphql(name = "Address")]
pub struct AddressView {
    pub country: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub district: Option<String>,
    pub street: Option<String>,
    pub postcode: Option<String>,
}

/// Profile fields of an individual customer.
#[derive(Debug, Clone, Default, Serialize, ToSchema, SimpleObject)]
#[graphql(name = "IndividualProfile")]
pub struct IndividualView {
    pub family_name: Option<String>,
    pub given_name: Option<String>,
    pub gender: Option<Gender>,
    pub birthday: Option<Date>,
    pub occupation: Option<String>,
    pub employer: Option<String>,
    pub job_title: Option<String>,
    /// Decimal string; a band such as `300000–400000` when shown partially (financial).
    pub annual_income: Option<String>,
    pub education: Option<String>,
    pub marital_status: Option<MaritalStatus>,
    pub family_notes: Option<String>,
    pub hobbies: Option<Vec<String>>,
    /// Social accounts by platform, e.g. `{"wechat": "zw1988"}`.
    #[schema(value_type = Option<Object>)]
    pub social: Option<async_graphql::Json<Map<String, Value>>>,
    /// National ID number (sensitive); masked as `1101**********1234`.
    pub id_number: Option<String>,
    /// Health information (sensitive).
    pub health: Option<String>,
    /// Religion (sensitive).
    pub religion: Option<String>,
    /// Political affiliation (sensitive).
    pub political_affiliation: Option<String>,
    /// Precise location (sensitive).
    pub precise_location: Option<String>,
}

/// Profile fields of an organization customer.
#[derive(Debug, Clone, Default, Serialize, ToSchema, SimpleObject)]
#[graphql(name = "OrganizationProfile")]
pub struct OrganizationView {
    pub legal_name: Option<String>,
    /// 18-character unified social credit code (统一社会信用代码).
    pub credit_code: Option<String>,
    pub industry: Option<String>,
    pub employee_count: Option<i64>,
    /// Decimal string (financial).
    pub registered_capital: Option<String>,
    pub founded_on: Option<Date>,
    pub website: Option<String>,
    pub business_scope: Option<String>,
    /// Credit rating, e.g. `AA` (financial).
    pub credit_rating: Option<String>,
    /// Decimal string (financial).
    pub credit_limit: Option<String>,
    /// Payment terms in days (financial).
    pub payment_terms_days: Option<i64>,
}

/// A customer as written by a caller: the body of `POST /customers`, and the document a
/// JSON merge patch applies to. Every field is optional here so that all missing and
/// invalid fields are reported together; `kind` and `display_name` are required on create.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "kind": "individual", "display_name": "张伟", "phone": "+86 138 0013 8000",
    "email": "Zhang.Wei@Example.com",
    "address": {"country": "CN", "province": "上海市", "city": "上海市", "district": "浦东新区",
                "street": "世纪大道100号", "postcode": "200120"},
    "tags": ["vip"], "source": "referral",
    "individual": {"family_name": "张", "given_name": "伟", "gender": "male",
                   "birthday": "1988-04-02", "annual_income": "350000.00"},
    "custom": {"wechat_id": "zw1988"}
}))]
pub struct CustomerInput {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<CustomerKind>,
    /// 1–200 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Any common notation; national numbers use the default region (CN).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<AddressInput>,
    /// Up to 50 tags of 1–50 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<CustomerSource>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<CustomerStatus>,
    /// Up to 10000 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub individual: Option<IndividualInput>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization: Option<OrganizationInput>,
    /// Values for defined custom fields.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub custom: Option<Map<String, Value>>,
    /// The responsible user; only admins and managers may set or change it (`null`
    /// unassigns). A sales user's new customers are their own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<Uuid>,
}

/// A postal address as written.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddressInput {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub province: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub district: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub street: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postcode: Option<String>,
}

/// An individual's profile as written.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IndividualInput {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gender: Option<Gender>,
    /// `YYYY-MM-DD`, not in the future.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birthday: Option<Date>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub occupation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub employer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_title: Option<String>,
    /// Non-negative decimal, as a string (`"350000.00"`) or a number.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, example = "350000.00")]
    pub annual_income: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub education: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub marital_status: Option<MaritalStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family_notes: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hobbies: Option<Vec<String>>,
    /// Social accounts by platform: `{"wechat": "zw1988", "weibo": "…"}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub social: Option<Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub religion: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub political_affiliation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub precise_location: Option<String>,
}

/// An organization's profile as written.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganizationInput {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub legal_name: Option<String>,
    /// 18-character unified social credit code with a valid check character.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credit_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub industry: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub employee_count: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, example = "10000000.00")]
    pub registered_capital: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub founded_on: Option<Date>,
    /// `http://` or `https://` URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub business_scope: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credit_rating: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, example = "500000.00")]
    pub credit_limit: Option<Value>,
    /// 0–3650.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_terms_days: Option<i64>,
}

// GraphQL inputs. Fields are `MaybeUndefined` so one input type serves create and update:
// an omitted field is left alone, an explicit `null` clears it. They serialize to the same
// snake_case document the REST API takes, and go through the same service function.

/// A customer as written over GraphQL (create: `kind` and `displayName` required; update:
/// only the fields to change, `null` to clear).
#[derive(Debug, Clone, Default, Serialize, InputObject)]
#[graphql(name = "CustomerInput")]
pub struct CustomerInputGql {
    #[serde(skip_serializing_if = "MaybeUndefined::is_undefined")]
    pub kind: MaybeUndefined<CustomerKind>,
    #[serde(skip_serializing_if = "MaybeUndefined::is_undefined")]
    pub display_name: MaybeUndefined<String>,
    #[serde(skip_serializing_if = "MaybeUndefined::is_undefined")]
    pub phone: MaybeUndefined<String>,
    #[serde(skip_serializing_if = "MaybeUndefined::is_undefined")]
    pub email: MaybeUndefined<String>,
    #[serde(skip_serializing_if = "MaybeUndefined::is_undefined")]
    pub address: MaybeUndefined<AddressInputGql>,
    #[serde(skip_serializing_if = "MaybeUndefined::is_undefined")]
    pub tags: MaybeUndefined<Vec<String>>,
    #[serde(skip_serializing_if = "MaybeUndefined::is_undefined")]
    pub source: MaybeUndefined<CustomerSource>,
    #[serde(skip_serializing_if = "MaybeUndefined::is_undefined")]
    pub status: MaybeUndefined<CustomerStatus>,
    #[serde(skip_serializing_if = "MaybeUndefined::is_undefined")]
    pub notes: MaybeUndefined<String>,
    #[serde(skip_serializing_if = "MaybeUndefined::is_undefined")]
    pub individual: MaybeUndefined<IndividualInputGql>,
    #[serde(skip_serializing_if = "MaybeUndefined::is_undefined")]
    pub organization: MaybeUndefined<OrganizationInputGql>,
    /// Custom-field values keyed by definition key; `null` for a key clears it.
    #[serde(skip_serializing_if = "MaybeUndefined::is_undefined")]
    pub custom: MaybeUndefined<async_graphql::Json<Map<String, Value>>>,
    /// The responsible user (admins and managers only; `null` unassigns).
    #[serde(skip_serializing_if = "MaybeUndefined::is_undefined")]
    pub owner_id: MaybeUndefined<Uuid>,
}

/// A postal address as written over GraphQL.
#[derive(Debug, Clone, Default, Serialize, InputObject)]
#[graphql(name = "AddressInput")]
pub struct AddressInputGql {
    #[serde(skip_serializing_if = "MaybeUndefined::is_undefined")]
    pub country: MaybeUndefined<String>,
    #[serde(skip_serializing_if = "MaybeUndefined::is_undefined")]
    pub province: MaybeUndefined<String>,
    #[serde(skip_serializing_if = "MaybeUndefined::is_undefined")]
    pub city: MaybeUndefined<String>,
    #[serde(skip_serializing_if = "MaybeUndefined::is_undefined")]
    pub district: MaybeUndefined<String>,
    #[serde(skip_serializing_if = "MaybeUndefined::is_undefined")]
    pub street: MaybeUndefined<String>,
    #[serde(skip_serializing_if = "MaybeUndefined::is_undefined")]
    pub postcode: MaybeUndefined<String>,
}

/// An individual's profile as written over GraphQL.
#[derive(Debug, Clone, Default, Serialize, InputObject)]
#[graphql(name = "IndividualInput")]
pub struct IndividualInputGql {
    #[serde(skip_serializing_if = "MaybeUndefined::is_undefined")]
    pub family_name: MaybeUndefined<String>,
    #[serde(skip_serializing_if = "MaybeUndefined::is_undefined")]
    pub given_name: MaybeUndefined<String>,
    #[serde(skip_serializing_if = "MaybeUndefined::is_undefined")]
    pub gender: MaybeUndefined<Gender>,
    #[serde(skip_serializing_if = "MaybeUndefined::is_undefined")]
    pub birthday: MaybeUndefined<Date>,
    #[serde(skip_serializing_if = "MaybeUndefined::is_undefined")]
    pub occupation: MaybeUndefined<String>,
    #[serde(skip_serializing_if = "MaybeUndefined::is_undefined")]
    pub employer: MaybeUndefined<String>,
    #[serde(skip_serializing_if = "MaybeUndefined::is_undefined")]
    pub job_title: MaybeUndefined<String>,
    /// Non-negative decimal as a string, e.g. `"350000.00"`.
    #[serde(skip_serializing_if = "MaybeUndefined::is_undefined")]
    pub annual_income: MaybeUndefined<String>,
    #[serde(skip_serializing_if = "MaybeUndefined::is_undefined")]
    pub education: MaybeUndefined<String>,
    #[serde(skip_serializing_if = "MaybeUndefined::is_undefined")]
    pub marital_status: MaybeUndefined<MaritalStatus>,
    #[serde(skip_serializing_if = "MaybeUndefined::is_undefined")]
    pub family_notes: MaybeUndefined<String>,
    #[serde(skip_serializing_if = "MaybeUndefined::is_undefined")]
    pub hobbies: MaybeUndefined<Vec<String>>,
    #[serde(skip_serializing_if = "MaybeUndefined::is_undefined")]
    pub social: MaybeUndefined<async_graphql::Json<Map<String, Value>>>,
    #[serde(skip_serializing_if = "MaybeUndefined::is_undefined")]
    pub id_number: MaybeUndefined<String>,
    #[serde(skip_serializing_if = "MaybeUndefined::is_undefined")]
    pub health: MaybeUndefined<String>,
    #[serde(skip_serializing_if = "MaybeUndefined::is_undefined")]
    pub religion: MaybeUndefined<String>,
    #[serde(skip_serializing_if = "MaybeUndefined::is_undefined")]
    pub political_affiliation: MaybeUndefined<String>,
    #[serde(skip_serializing_if = "MaybeUndefined::is_undefined")]
    pub precise_location: MaybeUndefined<String>,
}

/// An organization's profile as written over GraphQL.
#[derive(Debug, Clone, Default, Serialize, InputObject)]
#[graphql(name = "OrganizationInput")]
pub struct OrganizationInputGql {
    #[serde(skip_serializing_if = "MaybeUndefined::is_undefined")]
    pub legal_name: MaybeUndefined<String>,
    #[serde(skip_serializing_if = "MaybeUndefined::is_undefined")]
    pub credit_code: MaybeUndefined<String>,
    #[serde(skip_serializing_if = "MaybeUndefined::is_undefined")]
    pub industry: MaybeUndefined<String>,
    #[serde(skip_serializing_if = "MaybeUndefined::is_undefined")]
    pub employee_count: MaybeUndefined<i64>,
    #[serde(skip_serializing_if = "MaybeUndefined::is_undefined")]
    pub registered_capital: MaybeUndefined<String>,
    #[serde(skip_serializing_if = "MaybeUndefined::is_undefined")]
    pub founded_on: MaybeUndefined<Date>,
    #[serde(skip_serializing_if = "MaybeUndefined::is_undefined")]
    pub website: MaybeUndefined<String>,
    #[serde(skip_serializing_if = "MaybeUndefined::is_undefined")]
    pub business_scope: MaybeUndefined<String>,
    #[serde(skip_serializing_if = "MaybeUndefined::is_undefined")]
    pub credit_rating: MaybeUndefined<String>,
    #[serde(skip_serializing_if = "MaybeUndefined::is_undefined")]
    pub credit_limit: MaybeUndefined<String>,
    #[serde(skip_serializing_if = "MaybeUndefined::is_undefined")]
    pub payment_terms_days: MaybeUndefined<i64>,
}

/// A page of customers (REST).
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerPage {
    pub data: Vec<CustomerView>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// `POST /customers/{id}/reveal`: which masked fields to see in clear, and why.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"fields": ["phone", "email"], "reason": "customer called back about ticket 4711"}))]
pub struct RevealRequest {
    /// Field paths as listed in `masked`, e.g. `phone`, `individual.id_number`, `custom.wechat_id`.
    #[schema(min_items = 1, max_items = 50)]
    pub fields: Vec<String>,
    /// Why; kept in the audit log. 5–500 characters.
    #[schema(min_length = 5, max_length = 500)]
    pub reason: String,
}

/// The clear values of revealed fields.
#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
#[graphql(name = "RevealedFields")]
pub struct RevealView {
    pub customer_id: Uuid,
    /// Field path → clear value.
    #[schema(value_type = Object)]
    pub values: async_graphql::Json<Map<String, Value>>,
}

/// A customer who may be the same as another.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
#[graphql(name = "DuplicateCandidate")]
pub struct Candidate {
    pub customer_id: Uuid,
    pub display_name: String,
    /// 0–1: how likely the two are one party.
    pub score: f64,
    /// `same_credit_code`, `same_phone`, `same_email`, `similar_name`.
    pub reasons: Vec<String>,
}
