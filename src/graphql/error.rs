//! `AppError` as a GraphQL error with `extensions.code`.

use async_graphql::ErrorExtensions;

use crate::error::AppError;

impl ErrorExtensions for AppError {
    fn extend(&self) -> async_graphql::Error {
        if self.status() >= 500 && !matches!(self, AppError::Busy { .. }) {
            tracing::error!(error = ?self, "request failed");
        }
        let code = match self {
            AppError::BadRequest { .. } | AppError::Validation(_) => "BAD_USER_INPUT",
            AppError::NotFound { .. } => "NOT_FOUND",
            AppError::MergedInto { .. } => "MERGED",
            AppError::Unauthenticated(_) => "UNAUTHENTICATED",
            AppError::Forbidden(_) => "FORBIDDEN",
            AppError::TooManyRequests { .. } => "RATE_LIMITED",
            AppError::HarvestLimit { .. } => "HARVEST_LIMIT",
            AppError::Busy { .. } => "BUSY",
            AppError::Conflict(_)
            | AppError::PreconditionFailed { .. }
            | AppError::IllegalTransition { .. }
            | AppError::DuplicateSuspected { .. } => "CONFLICT",
            AppError::UnsupportedMediaType { .. }
            | AppError::PayloadTooLarge { .. }
            | AppError::MethodNotAllowed { .. }
            | AppError::CorsRefused { .. } => "BAD_REQUEST",
            AppError::Unavailable { .. } | AppError::RequestTimeout => "UNAVAILABLE",
            AppError::Database(_) | AppError::Internal(_) => "INTERNAL",
        };
        let retry_after = match self {
            AppError::Unavailable { retry_after, .. }
            | AppError::TooManyRequests { retry_after }
            | AppError::HarvestLimit { retry_after } => Some(*retry_after),
            _ => None,
        };
        let fields = self.field_errors().to_vec();
        let allowed = match self {
            AppError::IllegalTransition { allowed, .. } => Some(allowed.clone()),
            _ => None,
        };
        let current = match self {
            AppError::PreconditionFailed { current } => Some(*current),
            _ => None,
        };
        let merged_into = match self {
            AppError::MergedInto { survivor } => Some(*survivor),
            _ => None,
        };
        async_graphql::Error::new(self.to_string()).extend_with(move |_, e| {
            e.set("code", code);
            if !fields.is_empty() {
                let list: Vec<async_graphql::Value> = fields
                    .iter()
                    .map(|f| {
                        let mut m = async_graphql::indexmap::IndexMap::new();
                        m.insert(
                            async_graphql::Name::new("field"),
                            async_graphql::Value::from(f.field.clone()),
                        );
                        m.insert(
                            async_graphql::Name::new("code"),
                            async_graphql::Value::from(f.code.clone()),
                        );
                        m.insert(
                            async_graphql::Name::new("message"),
                            async_graphql::Value::from(f.message.clone()),
                        );
                        async_graphql::Value::Object(m)
                    })
                    .collect();
                e.set("fields", async_graphql::Value::List(list));
            }
            if let Some(v) = current {
                e.set("currentVersion", v);
            }
            if let Some(allowed) = &allowed {
                e.set("allowed", allowed.clone());
            }
            if let Some(seconds) = retry_after {
                e.set("retryAfter", seconds);
            }
            if let Some(survivor) = merged_into {
                e.set("mergedInto", survivor.to_string());
            }
        })
    }
}
