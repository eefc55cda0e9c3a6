//! What the REST resources of a customer's records share: page bodies, query parameters,
//! and created responses with `Location`, `ETag` and `Idempotency-Key` support.

use std::future::Future;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use super::etag;
use super::idempotency::{self, Created};
use crate::error::{AppError, AppResult};
use crate::policy::Principal;
use crate::service::Page;
use crate::service::records::Window;
use crate::state::AppState;

/// A resource that has an id and, when it can change, a version.
pub trait Resource {
    fn id(&self) -> Uuid;
    fn version(&self) -> Option<i64>;
}

macro_rules! resource {
    ($($view:ty => $version:expr),+ $(,)?) => {$(
        impl Resource for $view {
            fn id(&self) -> Uuid {
                self.id
            }
            fn version(&self) -> Option<i64> {
                let version: fn(&$view) -> Option<i64> = $version;
                version(self)
            }
        }
    )+};
}

resource! {
    crate::types::commerce::ProductView => |v| Some(v.version),
    crate::types::commerce::OrderView => |v| Some(v.version),
    crate::types::engagement::InteractionView => |v| Some(v.version),
    crate::types::engagement::SurveyView => |_| None,
    crate::types::engagement::ComplaintView => |v| Some(v.version),
    crate::types::relations::ConsentEventView => |_| None,
    crate::types::relations::RelationshipView => |_| None,
    crate::types::relations::PointsEntryView => |_| None,
    crate::types::segments::SegmentView => |v| Some(v.version),
    crate::types::alerts::AlertRuleView => |v| Some(v.version),
}

/// Declares the JSON body of a page of `T`: `{"data": […], "next_cursor": …}`.
macro_rules! page_type {
    ($($name:ident => $item:ty),+ $(,)?) => {$(
        #[doc = concat!("A page of ", stringify!($item), "s, newest first.")]
        #[derive(Debug, serde::Serialize, utoipa::ToSchema)]
        pub struct $name {
            pub data: Vec<$item>,
            /// Pass as `cursor` to get the next page; null on the last page.
            pub next_cursor: Option<String>,
        }

        impl From<crate::service::Page<$item>> for $name {
            fn from(page: crate::service::Page<$item>) -> Self {
                Self { data: page.items, next_cursor: page.next_cursor }
            }
        }
    )+};
}

page_type! {
    ProductPage => crate::types::commerce::ProductView,
    OrderPage => crate::types::commerce::OrderView,
    InteractionPage => crate::types::engagement::InteractionView,
    SurveyPage => crate::types::engagement::SurveyView,
    ComplaintPage => crate::types::engagement::ComplaintView,
    ConsentEventPage => crate::types::relations::ConsentEventView,
    PointsPage => crate::types::relations::PointsEntryView,
    TimelinePage => crate::types::engagement::TimelineEntry,
    AlertPage => crate::types::alerts::AlertView,
}

/// The page window from `cursor` and `limit` query parameters.
///
/// # Errors
/// `BadRequest` naming `limit` when it is not a number from 1 to 200.
pub fn window(cursor: Option<String>, limit: Option<&str>) -> AppResult<Window> {
    let limit = limit
        .map(|raw| {
            raw.trim().parse::<i64>().map_err(|_| {
                AppError::bad_param(
                    "limit",
                    "out_of_range",
                    "must be an integer between 1 and 200",
                )
            })
        })
        .transpose()?;
    Window::new(limit, "limit", cursor, "cursor")
}

/// A JSON response that no shared cache may keep (its masking depends on the caller).
pub fn private_json<T: Serialize>(status: StatusCode, body: &T) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .json(body)
}

/// A 200 with the page.
pub fn page<T, P: From<Page<T>> + Serialize>(page: Page<T>) -> HttpResponse {
    private_json(StatusCode::OK, &P::from(page))
}

/// A 200 with the resource and its `ETag`.
pub fn ok_with_etag<V: Serialize + Resource>(view: &V) -> HttpResponse {
    let mut response = HttpResponse::Ok();
    response.insert_header((header::CACHE_CONTROL, "private, no-store"));
    if let Some(version) = view.version() {
        response.insert_header((header::ETAG, etag(version)));
    }
    response.json(view)
}

/// A 200 with a resource that has no id of its own (a customer's preferences, membership)
/// and the `ETag` of its version.
pub fn ok_with_version<V: Serialize>(view: &V, version: i64) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .insert_header((header::ETAG, etag(version)))
        .json(view)
}

/// Run a create under `Idempotency-Key` and answer 201, with `Location: {collection}/{id}`
/// when the new resource can be read on its own. `op` writes and reads through the
/// transaction it is given.
///
/// # Errors
/// The error of `op`.
pub async fn create<V, F, Fut>(
    state: &AppState,
    principal: &Principal,
    req: &HttpRequest,
    doc: Value,
    collection: Option<&str>,
    op: F,
) -> AppResult<HttpResponse>
where
    V: Serialize + Resource,
    F: FnOnce(idempotency::Tx, Value) -> Fut,
    Fut: Future<Output = AppResult<V>>,
{
    let body = doc.clone();
    idempotency::run(state, principal, req, &body, |db| async move {
        let view = op(db, doc).await?;
        Ok(Created {
            status: StatusCode::CREATED,
            location: collection.map(|c| format!("{c}/{}", view.id())),
            etag: view.version().map(etag),
            body: serde_json::to_value(&view).map_err(|e| AppError::Internal(e.into()))?,
            then: None,
        })
    })
    .await
}

/// `?expand=` of a single order or alert.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExpandParams {
    /// `customer` embeds the record's customer (rendered through the policy, absent when
    /// the caller may not see it); needs `customers:read`.
    #[param(value_type = Option<super::params::RecordExpand>)]
    pub expand: Option<String>,
}

/// Whether `expand` asks for the customer; anything else is a 400 naming `expand`.
///
/// # Errors
/// `BadRequest` naming `expand`.
pub fn expand_customer(raw: Option<&str>) -> AppResult<bool> {
    match raw.map(str::trim) {
        None => Ok(false),
        Some("customer") => Ok(true),
        Some(_) => Err(AppError::bad_param(
            "expand",
            "invalid_expand",
            "must be: customer",
        )),
    }
}

/// Put each record's customer into it (one statement for the whole page).
///
/// # Errors
/// `Forbidden` without `customers:read`; database failures.
pub async fn with_customers<T: crate::types::OfCustomer>(
    state: &AppState,
    principal: &Principal,
    items: &mut [T],
) -> AppResult<()> {
    let ids: Vec<Uuid> = items.iter().map(T::customer_id).collect();
    let found = crate::service::customers::get_many(state, principal, &ids).await?;
    for item in items {
        let customer = found.get(&item.customer_id()).cloned().map(Box::new);
        item.set_customer(customer);
    }
    Ok(())
}

/// Stream an export as an attachment.
pub fn attachment(
    stream: crate::service::integration::export::ByteStream,
    format: crate::service::integration::export::Format,
    name: &str,
) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(format.content_type())
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}.{}\"", format.extension()),
        ))
        .insert_header((actix_web::http::header::CACHE_CONTROL, "private, no-store"))
        .streaming(stream)
}
