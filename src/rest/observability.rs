//! What an operator follows a request by: an `X-Request-Id` on every response and every log
//! line of the request, one structured access-log line per request (method, route template,
//! status, latency, principal, client IP as `auth::client::client_ip` finds it; never the
//! query string or personal data), and the request counted in `/metrics`.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, web};
use tracing::Span;
use tracing_actix_web::RootSpanBuilder;

use crate::state::AppState;

/// The header that carries a request's id.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// A request's id and when it arrived, kept in the request's extensions.
#[derive(Clone, Debug)]
pub struct RequestContext {
    pub id: String,
    started: Instant,
}

/// An id from a trusted proxy is taken if it is short and plain; any other is replaced.
fn acceptable(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// Gives the request its id (a trusted proxy's, or a new UUIDv7), then echoes it on the
/// response. Runs outside the tracing span so the span can carry it.
///
/// # Errors
/// Whatever the inner service returns.
pub async fn request_id(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let trusted = crate::auth::client::peer_is_trusted(req.request());
    let id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|id| trusted && acceptable(id))
        .map_or_else(|| uuid::Uuid::now_v7().to_string(), str::to_owned);
    req.extensions_mut().insert(RequestContext {
        id: id.clone(),
        started: Instant::now(),
    });
    let mut res = next.call(req).await?;
    if let Ok(value) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID, value);
    }
    Ok(res)
}

/// The root span of a request and its access-log line.
pub struct AccessLog;

impl RootSpanBuilder for AccessLog {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let id = request
            .extensions()
            .get::<RequestContext>()
            .map(|c| c.id.clone())
            .unwrap_or_default();
        if let Some(state) = request.app_data::<web::Data<AppState>>() {
            state.http_metrics.started();
        }
        let client_ip = crate::auth::client::client_ip(request.request())
            .0
            .map(|ip| ip.to_string())
            .unwrap_or_default();
        tracing::info_span!(
            "request",
            request_id = %id,
            client_ip = %client_ip,
            method = %request.method(),
            route = %request.match_pattern().unwrap_or_else(|| "unmatched".to_owned()),
            principal = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        let Ok(response) = outcome else {
            // Errors are rendered as responses by the layers inside; nothing reaches here.
            return;
        };
        let request = response.request();
        let status = response.status().as_u16();
        let started = request
            .extensions()
            .get::<RequestContext>()
            .map(|c| c.started);
        let seconds = started.map_or(0.0, |s| s.elapsed().as_secs_f64());
        let route = request
            .match_pattern()
            .unwrap_or_else(|| "unmatched".to_owned());
        if let Some(state) = request.app_data::<web::Data<AppState>>() {
            state
                .http_metrics
                .finished(request.method().as_str(), &route, status, seconds);
        }
        let latency_ms = (seconds * 1000.0 * 1000.0).round() / 1000.0;
        span.in_scope(|| {
            if status >= 500 {
                tracing::error!(status, latency_ms, "request answered");
            } else {
                tracing::info!(status, latency_ms, "request answered");
            }
        });
    }
}
