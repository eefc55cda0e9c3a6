//! `AppError` as RFC 9457 problem+json, and the same shape for extractor rejections.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{AppError, FieldError};

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "urn:dossier:problem:validation_failed", "title": "Unprocessable Entity",
    "status": 422, "detail": "the request has invalid fields", "code": "validation_failed",
    "errors": [{"field": "email", "code": "invalid_email",
                "message": "must be an e-mail address such as name@example.com"}]
}))]
pub struct Problem {
    /// URI identifying the problem type.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// Short summary of the problem type.
    pub title: String,
    /// HTTP status code.
    pub status: u16,
    /// Explanation of this occurrence.
    pub detail: String,
    /// Stable machine-readable code (same as GraphQL `extensions.code`, lower-cased).
    pub code: String,
    /// The offending fields, when the problem is about input.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// The current version, when a precondition failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<i64>,
    /// The states a workflow may move to from here, when a transition was refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed: Option<Vec<String>>,
    /// The existing customers a new one may duplicate, when strict creation refused it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicates: Option<Vec<uuid::Uuid>>,
    /// Where a merged-away customer went.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<uuid::Uuid>,
}

impl From<&AppError> for Problem {
    fn from(err: &AppError) -> Self {
        let status =
            StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        Self {
            problem_type: format!("urn:dossier:problem:{}", err.code()),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: err.to_string(),
            code: err.code().to_owned(),
            errors: err.field_errors().to_vec(),
            current_version: match err {
                AppError::PreconditionFailed { current } => Some(*current),
                _ => None,
            },
            allowed: match err {
                AppError::IllegalTransition { allowed, .. } => Some(allowed.clone()),
                _ => None,
            },
            duplicates: match err {
                AppError::DuplicateSuspected { candidates } => Some(candidates.clone()),
                _ => None,
            },
            merged_into: match err {
                AppError::MergedInto { survivor } => Some(*survivor),
                _ => None,
            },
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        if self.status() >= 500 && !matches!(self, AppError::Busy { .. }) {
            tracing::error!(error = ?self, "request failed");
        }
        let mut response = HttpResponse::build(self.status_code());
        response.content_type("application/problem+json");
        if let AppError::PreconditionFailed { current } = self {
            response.insert_header((actix_web::http::header::ETAG, super::etag(*current)));
        }
        if let AppError::Unauthenticated(_) = self {
            response.insert_header((
                actix_web::http::header::WWW_AUTHENTICATE,
                "Bearer realm=\"dossier\", error=\"invalid_token\"",
            ));
        }
        if let AppError::Unavailable { retry_after, .. } = self {
            response.insert_header((
                actix_web::http::header::RETRY_AFTER,
                retry_after.to_string(),
            ));
        }
        if let AppError::TooManyRequests { retry_after }
        | AppError::HarvestLimit { retry_after }
        | AppError::Busy { retry_after } = self
        {
            response.insert_header((
                actix_web::http::header::RETRY_AFTER,
                retry_after.to_string(),
            ));
        }
        if let AppError::MethodNotAllowed { allow } = self {
            response.insert_header((actix_web::http::header::ALLOW, allow.as_str()));
        }
        response.json(Problem::from(self))
    }
}

/// Query-string rejections (e.g. a number that is not a number) as problem+json.
pub fn query_error(
    err: actix_web::error::QueryPayloadError,
    _req: &HttpRequest,
) -> actix_web::Error {
    AppError::BadRequest {
        message: format!("invalid query string: {err}"),
        errors: Vec::new(),
    }
    .into()
}

/// Path rejections as problem+json.
pub fn path_error(err: actix_web::error::PathError, _req: &HttpRequest) -> actix_web::Error {
    AppError::BadRequest {
        message: format!("invalid path: {err}"),
        errors: Vec::new(),
    }
    .into()
}

/// Unknown routes as problem+json.
pub async fn not_found() -> Result<actix_web::HttpResponse, AppError> {
    Err(AppError::NotFound { entity: "resource" })
}

/// A route for paths that exist but not with the request's method.
pub fn method_not_allowed(allow: &'static str) -> actix_web::Route {
    actix_web::web::to(move || async move {
        Err::<actix_web::HttpResponse, _>(AppError::MethodNotAllowed {
            allow: allow.to_owned(),
        })
    })
}
