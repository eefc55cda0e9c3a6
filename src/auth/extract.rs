//! The `Principal` of an HTTP request, from `Authorization: Bearer <access token or API key>`
//! or `X-API-Key: <API key>`.

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header, web};

use crate::error::AppError;
use crate::policy::Principal;
use crate::state::AppState;

/// The bearer token of a request, if it has one.
fn bearer(req: &HttpRequest) -> Result<Option<String>, AppError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| AppError::Unauthenticated("malformed Authorization header"))?;
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(Some(token.trim().to_owned()))
        }
        _ => Err(AppError::Unauthenticated(
            "use Authorization: Bearer <access token>",
        )),
    }
}

impl FromRequest for Principal {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    /// A verified, active user or a live API key; 401 without credentials or with invalid,
    /// expired or revoked ones; 429 when the caller's request bucket (`auth::rate`) is
    /// empty.
    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer(req);
        let api_key = req
            .headers()
            .get("x-api-key")
            .map(|v| v.to_str().map(|s| s.trim().to_owned()));
        let principal = async move {
            let state = state
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("application state missing")))?;
            if let Some(key) = api_key {
                let key =
                    key.map_err(|_| AppError::Unauthenticated("malformed X-API-Key header"))?;
                return crate::service::identity::api_keys::principal_for_key(&state, &key).await;
            }
            let token = token?.ok_or(AppError::Unauthenticated(
                "send Authorization: Bearer <access token or API key>",
            ))?;
            if token.starts_with(crate::service::identity::api_keys::KEY_PREFIX) {
                return crate::service::identity::api_keys::principal_for_key(&state, &token).await;
            }
            crate::service::identity::users::principal_for_token(&state, &token).await
        };
        let meter = super::rate::RequestMeter::of(req);
        let ip = super::client::client_ip(req).0;
        Box::pin(async move {
            // Charged once the caller is known: a valid principal to its own bucket, a
            // request whose credentials fail to its IP's (a made-up token gets no bucket).
            match principal.await {
                Ok(principal) => {
                    if let Some(meter) = meter {
                        meter.charge_principal(&principal)?;
                    }
                    record(&principal);
                    Ok(principal)
                }
                Err(err) => {
                    if let Some(meter) = meter {
                        meter.charge_ip(ip)?;
                    }
                    Err(err)
                }
            }
        })
    }
}

/// Names the principal in the request's log lines: a user or key id, never a name or
/// address.
fn record(principal: &Principal) {
    let span = tracing::Span::current();
    if let Some(id) = principal.user_id {
        span.record("principal", tracing::field::display(format!("user:{id}")));
    } else if let Some(id) = principal.api_key_id {
        span.record("principal", tracing::field::display(format!("key:{id}")));
    }
}
