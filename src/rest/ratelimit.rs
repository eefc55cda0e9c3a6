//! The request-rate limit at the edge (buckets in `auth::rate`): gives each request its
//! [`Meter`], charges a request without credentials to its client IP before anything runs,
//! and writes `RateLimit-Policy` and `RateLimit` (draft-ietf-httpapi-ratelimit-headers-09)
//! on every response a bucket was charged for. Over the limit: 429 `rate_limited` with
//! `Retry-After`.

use std::sync::Arc;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};

use crate::auth::rate::{Meter, RequestMeter};
use crate::state::AppState;

/// `RateLimit-Policy`: the bucket's size and the seconds it takes to refill.
pub const RATELIMIT_POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");
/// `RateLimit`: the tokens left and the seconds until the bucket is full again.
pub const RATELIMIT: HeaderName = HeaderName::from_static("ratelimit");

/// Whether a request carries credentials the extractor will check.
fn has_credentials(req: &ServiceRequest) -> bool {
    req.headers().contains_key(header::AUTHORIZATION) || req.headers().contains_key("x-api-key")
}

fn with_headers(mut response: ServiceResponse<BoxBody>, meter: &Meter) -> ServiceResponse<BoxBody> {
    if let Some(outcome) = meter.outcome() {
        let headers = response.headers_mut();
        for (name, value) in [
            (RATELIMIT_POLICY, outcome.policy_header()),
            (RATELIMIT, outcome.header()),
        ] {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(name, value);
            }
        }
        if let Some(seconds) = outcome.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
    }
    response
}

/// Meter the request (see the module).
///
/// # Errors
/// Those of the wrapped service.
pub async fn meter(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(buckets) = req
        .app_data::<web::Data<AppState>>()
        .map(|s| Arc::clone(&s.rate))
    else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let meter = Arc::new(Meter::new(buckets));
    req.extensions_mut()
        .insert(RequestMeter(Some(Arc::clone(&meter))));
    let ip = crate::auth::client::client_ip(req.request()).0;
    if !has_credentials(&req)
        && let Err(refused) = meter.charge_ip(ip)
    {
        return Ok(with_headers(req.error_response(refused), &meter));
    }
    let response = next.call(req).await?.map_into_boxed_body();
    // Credentials its route never checked: the request is the IP's.
    if !meter.is_charged()
        && let Err(refused) = meter.charge_ip(ip)
    {
        let (request, _) = response.into_parts();
        return Ok(with_headers(
            ServiceResponse::from_err(refused, request),
            &meter,
        ));
    }
    Ok(with_headers(response, &meter))
}
