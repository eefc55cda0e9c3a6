//! One error type for every use case, independent of the transport.
//!
//! REST maps it to RFC 9457 problem+json (`rest::error`), GraphQL to an error with an
//! `extensions.code` (`graphql::error`). Display strings are safe to show to clients; the
//! cause of an internal error is logged, never returned.

use serde::Serialize;

/// One offending input: where it is, which rule it broke, and a sentence for humans.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
pub struct FieldError {
    /// Dotted path of the field in the request (`email`, `individual.birthday`, `custom.tier`).
    pub field: String,
    /// Stable machine-readable rule name, e.g. `invalid_email`, `too_long`, `required`.
    pub code: String,
    /// Human-readable explanation. Never echoes a private value.
    pub message: String,
}

impl FieldError {
    /// A field error from its three parts.
    pub fn new(field: impl Into<String>, code: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code: code.to_owned(),
            message: message.into(),
        }
    }
}

/// Ways a request can fail.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The request itself is malformed (bad JSON, bad query parameter, bad id).
    #[error("{message}")]
    BadRequest {
        message: String,
        errors: Vec<FieldError>,
    },
    /// Well-formed input that breaks a rule.
    #[error("invalid input: {}", describe(.0))]
    Validation(Vec<FieldError>),
    /// No valid credentials were presented.
    #[error("authentication required: {0}")]
    Unauthenticated(&'static str),
    /// The caller is known but may not do this.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// Too many attempts; try again after the given number of seconds.
    #[error("too many attempts: retry in {retry_after} seconds")]
    TooManyRequests { retry_after: u64 },
    /// The caller received as many customers' contact fields as the harvest limit allows
    /// in its window; try again after the given number of seconds.
    #[error(
        "harvest limit reached: this caller has received as many customers as it may per window; retry in {retry_after} seconds"
    )]
    HarvestLimit { retry_after: u64 },
    /// The server is at capacity for this kind of work (e.g. password hashing); try again
    /// after the given number of seconds.
    #[error("the server is busy: retry in {retry_after} seconds")]
    Busy { retry_after: u64 },
    /// The resource does not exist (or is not visible to the caller).
    #[error("{entity} not found")]
    NotFound { entity: &'static str },
    /// The write conflicts with the current state (duplicate key, wrong state).
    #[error("{0}")]
    Conflict(String),
    /// A workflow step that is not allowed from the current state.
    #[error("a {entity} cannot move from {from} to {to}; allowed: {}", allowed_list(.allowed))]
    IllegalTransition {
        entity: &'static str,
        from: String,
        to: String,
        allowed: Vec<String>,
    },
    /// The customer was merged into another.
    #[error("this customer was merged into {survivor}")]
    MergedInto { survivor: uuid::Uuid },
    /// A new customer looks like existing ones and the caller asked to be stopped then.
    #[error("this customer may already exist: {} candidate(s); see `duplicates`", .candidates.len())]
    DuplicateSuspected { candidates: Vec<uuid::Uuid> },
    /// An `If-Match` or `expectedVersion` did not match the current version.
    #[error("the resource was changed by someone else: current version is {current}")]
    PreconditionFailed { current: i64 },
    /// The body's media type is not accepted.
    #[error("unsupported media type: send {expected}")]
    UnsupportedMediaType { expected: &'static str },
    /// The path exists but not with this method.
    #[error("method not allowed: use {allow}")]
    MethodNotAllowed { allow: String },
    /// The browser's cross-origin request is not allowed (origin, method or header).
    #[error("cross-origin request refused: {reason}")]
    CorsRefused { reason: String },
    /// The body exceeds the configured limit.
    #[error("request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    /// The server is too busy to do this now (no database connection free in time, a
    /// statement or lock wait over its limit, the request over its deadline); try again
    /// after the given number of seconds.
    #[error("the service is busy: {reason}; retry in {retry_after} seconds")]
    Unavailable {
        retry_after: u64,
        reason: &'static str,
    },
    /// The client took too long to send its request body.
    #[error("the request body did not arrive in time")]
    RequestTimeout,
    /// The database could not be reached or failed unexpectedly.
    #[error("internal error")]
    Database(#[source] sea_orm::DbErr),
    /// Any other unexpected failure.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl AppError {
    /// A bad request naming one field.
    pub fn bad_param(field: &str, code: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self::BadRequest {
            message: format!("invalid parameter `{field}`: {message}"),
            errors: vec![FieldError::new(field, code, message)],
        }
    }

    /// A validation failure naming one field.
    pub fn invalid(field: &str, code: &str, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, code, message)])
    }

    /// HTTP status of this error.
    pub fn status(&self) -> u16 {
        match self {
            Self::BadRequest { .. } => 400,
            Self::Validation(_) => 422,
            Self::Unauthenticated(_) => 401,
            Self::Forbidden(_) => 403,
            Self::TooManyRequests { .. } | Self::HarvestLimit { .. } => 429,
            Self::Busy { .. } => 503,
            Self::NotFound { .. } => 404,
            Self::MergedInto { .. } => 410,
            Self::Conflict(_)
            | Self::IllegalTransition { .. }
            | Self::DuplicateSuspected { .. } => 409,
            Self::PreconditionFailed { .. } => 412,
            Self::UnsupportedMediaType { .. } => 415,
            Self::PayloadTooLarge { .. } => 413,
            Self::MethodNotAllowed { .. } => 405,
            Self::CorsRefused { .. } => 403,
            Self::RequestTimeout => 408,
            Self::Unavailable { .. } => 503,
            Self::Database(_) | Self::Internal(_) => 500,
        }
    }

    /// Stable machine-readable code, shared by REST (`code`) and GraphQL (`extensions.code`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest { .. } => "bad_request",
            Self::Validation(_) => "validation_failed",
            Self::Unauthenticated(_) => "unauthenticated",
            Self::Forbidden(_) => "forbidden",
            Self::TooManyRequests { .. } => "rate_limited",
            Self::HarvestLimit { .. } => "harvest_limit",
            Self::Busy { .. } => "busy",
            Self::NotFound { .. } => "not_found",
            Self::MergedInto { .. } => "merged",
            Self::Conflict(_) => "conflict",
            Self::IllegalTransition { .. } => "illegal_transition",
            Self::DuplicateSuspected { .. } => "duplicate_suspected",
            Self::PreconditionFailed { .. } => "precondition_failed",
            Self::UnsupportedMediaType { .. } => "unsupported_media_type",
            Self::PayloadTooLarge { .. } => "payload_too_large",
            Self::MethodNotAllowed { .. } => "method_not_allowed",
            Self::CorsRefused { .. } => "cors_refused",
            Self::RequestTimeout => "request_timeout",
            Self::Unavailable { .. } => "unavailable",
            Self::Database(_) | Self::Internal(_) => "internal",
        }
    }

    /// The offending fields, if any.
    pub fn field_errors(&self) -> &[FieldError] {
        match self {
            Self::BadRequest { errors, .. } | Self::Validation(errors) => errors,
            _ => &[],
        }
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(err: sea_orm::DbErr) -> Self {
        if let Some(reason) = overloaded(&err) {
            tracing::warn!(error = %err, "database busy");
            return Self::Unavailable {
                retry_after: 1,
                reason,
            };
        }
        match err.sql_err() {
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
                Self::Conflict("a resource with the same unique key already exists".to_owned())
            }
            _ => Self::Database(err),
        }
    }
}

/// Whether a database error says "too busy, try again" rather than "broken": the pool had no
/// connection free in time, PostgreSQL cancelled a statement or a lock wait at its limit
/// (SQLSTATE 57014, 55P03), or SQLite's write lock stayed taken past the busy timeout.
fn overloaded(err: &sea_orm::DbErr) -> Option<&'static str> {
    use sea_orm::{ConnAcquireErr, DbErr, RuntimeErr};
    let runtime = match err {
        DbErr::ConnectionAcquire(ConnAcquireErr::Timeout) => {
            return Some("no database connection was free in time");
        }
        DbErr::Conn(e) | DbErr::Exec(e) | DbErr::Query(e) => e,
        _ => return None,
    };
    let RuntimeErr::SqlxError(e) = runtime else {
        return None;
    };
    match &**e {
        sea_orm::sqlx::Error::PoolTimedOut => Some("no database connection was free in time"),
        sea_orm::sqlx::Error::Database(db) => match db.code().as_deref() {
            Some("57014" | "55P03") => Some("the database did not answer in time"),
            // SQLITE_BUSY and its extended codes.
            Some("5" | "261" | "517" | "773") => Some("the database is busy writing"),
            _ => None,
        },
        _ => None,
    }
}

impl From<sea_orm::TransactionError<AppError>> for AppError {
    fn from(err: sea_orm::TransactionError<AppError>) -> Self {
        match err {
            sea_orm::TransactionError::Connection(e) => e.into(),
            sea_orm::TransactionError::Transaction(e) => e,
        }
    }
}

/// `email: must be …; phone: must be …` — the fields and rules, for one-line messages.
fn describe(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| {
            if e.field.is_empty() {
                e.message.clone()
            } else {
                format!("{}: {}", e.field, e.message)
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn allowed_list(allowed: &[String]) -> String {
    if allowed.is_empty() {
        "none".to_owned()
    } else {
        allowed.join(", ")
    }
}

/// Result of a use case.
pub type AppResult<T> = Result<T, AppError>;

/// A stored enumeration read back: text this version does not know is an internal error
/// naming the table, column and row (never the value), not a default that would show a
/// wrong state as if it were true.
///
/// # Errors
/// `Internal` when `parsed` is `None`.
pub(crate) fn stored<T>(
    parsed: Option<T>,
    table: &str,
    column: &str,
    id: impl std::fmt::Display,
) -> AppResult<T> {
    parsed.ok_or_else(|| {
        AppError::Internal(anyhow::anyhow!(
            "stored value in {table}.{column} of row {id} is not one this version knows"
        ))
    })
}
