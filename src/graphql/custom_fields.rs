//! Custom-field definition queries and mutations.

use async_graphql::{Context, ErrorExtensions, Object, Result};

use super::context;
use crate::error::AppError;
use crate::service::customers::custom_fields;
use crate::types::custom_field::{CustomFieldInputGql, CustomFieldView};

/// Custom-field queries.
#[derive(Default)]
pub struct CustomFieldQuery;

#[Object]
impl CustomFieldQuery {
    /// Every custom-field definition, ordered by key.
    async fn custom_fields(&self, ctx: &Context<'_>) -> Result<Vec<CustomFieldView>> {
        let (state, principal) = context(ctx)?;
        custom_fields::list(state, principal)
            .await
            .map_err(|e| e.extend())
    }

    /// One definition by key.
    async fn custom_field(
        &self,
        ctx: &Context<'_>,
        key: String,
    ) -> Result<Option<CustomFieldView>> {
        let (state, principal) = context(ctx)?;
        custom_fields::get(state, principal, &key)
            .await
            .map(Some)
            .map_err(|e| e.extend())
    }
}

/// Custom-field mutations.
#[derive(Default)]
pub struct CustomFieldMutation;

fn document(input: &CustomFieldInputGql) -> Result<serde_json::Value> {
    serde_json::to_value(input).map_err(|e| AppError::Internal(e.into()).extend())
}

#[Object]
impl CustomFieldMutation {
    /// Define a custom field.
    async fn create_custom_field(
        &self,
        ctx: &Context<'_>,
        input: CustomFieldInputGql,
    ) -> Result<CustomFieldView> {
        let (state, principal) = context(ctx)?;
        custom_fields::create(state, principal, document(&input)?)
            .await
            .map_err(|e| e.extend())
    }

    /// Change a definition; `key` and `type` are immutable.
    async fn update_custom_field(
        &self,
        ctx: &Context<'_>,
        key: String,
        input: CustomFieldInputGql,
        expected_version: Option<i64>,
    ) -> Result<CustomFieldView> {
        let (state, principal) = context(ctx)?;
        custom_fields::update(state, principal, &key, expected_version, document(&input)?)
            .await
            .map_err(|e| e.extend())
    }

    /// Delete a definition.
    async fn delete_custom_field(
        &self,
        ctx: &Context<'_>,
        key: String,
        expected_version: Option<i64>,
    ) -> Result<bool> {
        let (state, principal) = context(ctx)?;
        custom_fields::delete(state, principal, &key, expected_version)
            .await
            .map_err(|e| e.extend())?;
        Ok(true)
    }
}
