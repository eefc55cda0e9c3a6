//! The JSON body extractor: media type, size limit and syntax checked before any rule.

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header, web};
use futures_util::StreamExt;
use serde_json::Value;

use crate::error::AppError;
use crate::state::AppState;

/// A request body that is a JSON document (`application/json`, or any `+json` type such as
/// `application/merge-patch+json`), at most `DOSSIER_MAX_BODY_BYTES` long.
pub struct JsonBody(pub Value);

fn is_json(req: &HttpRequest) -> bool {
    let Some(value) = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

impl FromRequest for JsonBody {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>();
        let limit = state.map_or(262_144, |s| s.settings.max_body_bytes);
        let patience = state.map_or(std::time::Duration::from_secs(10), |s| {
            s.settings.timeouts.body
        });
        let json = is_json(req);
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if !json {
                return Err(AppError::UnsupportedMediaType {
                    expected: "application/json or application/merge-patch+json",
                });
            }
            if declared.is_some_and(|n| n > limit) {
                return Err(AppError::PayloadTooLarge { limit });
            }
            // The whole body within the body timeout: a client trickling bytes holds a
            // worker's memory and a connection, not the server.
            let read = async {
                let mut body = web::BytesMut::new();
                while let Some(chunk) = payload.next().await {
                    let chunk = chunk.map_err(|e| AppError::BadRequest {
                        message: format!("could not read the request body: {e}"),
                        errors: Vec::new(),
                    })?;
                    if body.len() + chunk.len() > limit {
                        return Err(AppError::PayloadTooLarge { limit });
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(body)
            };
            let body = tokio::time::timeout(patience, read)
                .await
                .map_err(|_| AppError::RequestTimeout)??;
            let value: Value = serde_json::from_slice(&body).map_err(|e| AppError::BadRequest {
                message: format!("the body is not valid JSON: {e}"),
                errors: Vec::new(),
            })?;
            if let Some(path) = nul_at(&value, "") {
                return Err(AppError::Validation(vec![crate::domain::text::nul_error(
                    &path,
                )]));
            }
            Ok(JsonBody(value))
        })
    }
}

/// The path of the first string (or key) holding U+0000, which no text column can store.
fn nul_at(value: &Value, path: &str) -> Option<String> {
    let join = |key: &str| {
        if path.is_empty() {
            key.to_owned()
        } else {
            format!("{path}.{key}")
        }
    };
    match value {
        Value::String(s) => crate::domain::text::refuse_nul(path, s)
            .err()
            .map(|e| e.field),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| nul_at(v, &format!("{path}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            if crate::domain::text::has_nul(k) {
                Some(join(&k.replace('\0', "")))
            } else {
                nul_at(v, &join(k))
            }
        }),
        _ => None,
    }
}

/// The body of an action (`fit`, `resolve`…) whose fields are all optional: a JSON document
/// as [`JsonBody`], or nothing at all (no media type, no bytes), read as `{}`.
pub struct ActionBody(pub Value);

impl FromRequest for ActionBody {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        if is_json(req) || req.headers().contains_key(header::CONTENT_TYPE) {
            let json = JsonBody::from_request(req, payload);
            return Box::pin(async move {
                match json.await?.0 {
                    // `null` says "no options" as an empty body does.
                    Value::Null => Ok(Self(Value::Object(serde_json::Map::new()))),
                    value => Ok(Self(value)),
                }
            });
        }
        let mut payload = payload.take();
        Box::pin(async move {
            // Without a media type only an empty body is accepted.
            if let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|e| AppError::BadRequest {
                    message: format!("could not read the request body: {e}"),
                    errors: Vec::new(),
                })?;
                if !chunk.is_empty() {
                    return Err(AppError::UnsupportedMediaType {
                        expected: "application/json, or no body",
                    });
                }
            }
            Ok(Self(Value::Object(serde_json::Map::new())))
        })
    }
}
