//! Custom-field definitions as callers see and write them.

use async_graphql::{InputObject, MaybeUndefined, SimpleObject};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::{AppliesTo, CustomFieldType, Sensitivity};
use crate::types::time::Timestamp;

/// A typed custom field; customers carry its values under `custom.<key>`.
#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
#[graphql(name = "CustomFieldDefinition")]
pub struct CustomFieldView {
    /// Stable identifier, `^[a-z][a-z0-9_]{0,39}$`.
    pub key: String,
    pub label: String,
    #[serde(rename = "type")]
    #[graphql(name = "type")]
    pub field_type: CustomFieldType,
    /// Allowed values of `enum` and `multi_enum` fields.
    pub options: Vec<String>,
    /// Must be present on create and cannot be cleared.
    pub required: bool,
    /// Privacy class the policy applies to values of this field.
    pub sensitivity: Sensitivity,
    pub applies_to: AppliesTo,
    pub description: Option<String>,
    /// Maximum length of `text` values (default 1000).
    pub max_length: Option<i32>,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A custom-field definition as written (`POST`, and the document a merge patch applies to).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"key": "wechat_id", "label": "WeChat ID", "type": "text",
                          "sensitivity": "contact"}))]
pub struct CustomFieldInput {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub field_type: Option<CustomFieldType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required: Option<bool>,
    /// Default `public`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sensitivity: Option<Sensitivity>,
    /// Default `all`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applies_to: Option<AppliesTo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_length: Option<i32>,
}

/// A custom-field definition as written over GraphQL (update: only the fields to change).
#[derive(Debug, Clone, Default, Serialize, InputObject)]
#[graphql(name = "CustomFieldInput")]
pub struct CustomFieldInputGql {
    #[serde(skip_serializing_if = "MaybeUndefined::is_undefined")]
    pub key: MaybeUndefined<String>,
    #[serde(skip_serializing_if = "MaybeUndefined::is_undefined")]
    pub label: MaybeUndefined<String>,
    #[serde(rename = "type", skip_serializing_if = "MaybeUndefined::is_undefined")]
    #[graphql(name = "type")]
    pub field_type: MaybeUndefined<CustomFieldType>,
    #[serde(skip_serializing_if = "MaybeUndefined::is_undefined")]
    pub options: MaybeUndefined<Vec<String>>,
    #[serde(skip_serializing_if = "MaybeUndefined::is_undefined")]
    pub required: MaybeUndefined<bool>,
    #[serde(skip_serializing_if = "MaybeUndefined::is_undefined")]
    pub sensitivity: MaybeUndefined<Sensitivity>,
    #[serde(skip_serializing_if = "MaybeUndefined::is_undefined")]
    pub applies_to: MaybeUndefined<AppliesTo>,
    #[serde(skip_serializing_if = "MaybeUndefined::is_undefined")]
    pub description: MaybeUndefined<String>,
    #[serde(skip_serializing_if = "MaybeUndefined::is_undefined")]
    pub max_length: MaybeUndefined<i32>,
}

/// All custom-field definitions (REST).
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomFieldList {
    pub data: Vec<CustomFieldView>,
}
