//! `/api/v1/customers`.

use actix_web::{HttpRequest, HttpResponse, http::header, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::body::JsonBody;
use super::error::{Problem, method_not_allowed};
use super::idempotency::{self, Created};
use super::params::{bool_param, enum_param};
use super::{etag, if_match, if_none_match};
use crate::domain::{
    CustomerKind, CustomerSortField, CustomerSource, CustomerStatus, SortDirection, parse_id,
};
use crate::error::{AppError, AppResult};
use crate::policy::Principal;
use crate::service::customers::{self, CustomerFilter, CustomerQuery};
use crate::state::AppState;
use crate::types::customer::{
    CustomerInput, CustomerPage, CustomerView, RevealRequest, RevealView,
};

/// The customer routes.
pub fn scope() -> actix_web::Scope {
    web::scope("/customers")
        .service(
            web::resource("")
                .route(web::get().to(list))
                .route(web::post().to(create))
                .default_service(method_not_allowed("GET, POST")),
        )
        .service(
            web::resource("/export")
                .route(web::get().to(export))
                .default_service(method_not_allowed("GET")),
        )
        .service(
            web::resource("/{id}")
                .route(web::get().to(get))
                .route(web::patch().to(update))
                .route(web::delete().to(delete))
                .default_service(method_not_allowed("GET, PATCH, DELETE")),
        )
        .service(
            web::resource("/{id}/reveal")
                .route(web::post().to(reveal))
                .default_service(method_not_allowed("POST")),
        )
        .service(
            web::resource("/{id}/merge")
                .route(web::post().to(merge))
                .default_service(method_not_allowed("POST")),
        )
        .service(
            web::resource("/{id}/restore")
                .route(web::post().to(restore))
                .default_service(method_not_allowed("POST")),
        )
}

fn with_etag(status: actix_web::http::StatusCode, view: &CustomerView) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::ETAG, etag(view.version)))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .json(view)
}

/// Query parameters of `GET /customers`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Opaque cursor from a previous page's `next_cursor`.
    cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 200)]
    limit: Option<String>,
    /// `individual` or `organization`.
    #[param(value_type = Option<crate::domain::CustomerKind>)]
    kind: Option<String>,
    /// Customers carrying this tag.
    tag: Option<String>,
    /// Exact city, e.g. `上海市`.
    city: Option<String>,
    /// Exact province, e.g. `广东省`.
    province: Option<String>,
    /// Source channel, e.g. `referral`.
    #[param(value_type = Option<crate::domain::CustomerSource>)]
    source: Option<String>,
    /// Owner user id.
    #[param(value_type = Option<uuid::Uuid>)]
    owner_id: Option<String>,
    /// `active`, `inactive` or `blocked`.
    #[param(value_type = Option<crate::domain::CustomerStatus>)]
    status: Option<String>,
    /// Created at or after this RFC 3339 time.
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    created_after: Option<String>,
    /// Created before this RFC 3339 time.
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    created_before: Option<String>,
    /// Case-insensitive search in name and e-mail; its digits also match the phone.
    q: Option<String>,
    /// `created_at`, `updated_at` or `display_name`; prefix `-` for descending (default `-created_at`).
    #[param(value_type = Option<super::params::CustomerSort>)]
    sort: Option<String>,
    /// `true` lists soft-deleted customers instead of live ones.
    #[param(value_type = Option<bool>)]
    deleted: Option<String>,
    /// What each customer brings along, comma-separated: `scores` (as
    /// `GET /customers/{id}/scores` with its defaults), `stats` (as
    /// `GET /customers/{id}/stats`); a fixed number of extra statements per page.
    #[param(value_type = Option<Vec<super::params::CustomerInclude>>, style = Form, explode = false)]
    include: Option<String>,
}

/// What `include` asks for (empty: nothing); anything else in it is a 400.
fn include(raw: Option<&str>) -> AppResult<customers::Include> {
    let mut include = customers::Include::default();
    for part in raw.into_iter().flat_map(|r| r.split(',')) {
        match part.trim() {
            // `include=` is the empty list.
            "" => {}
            "scores" => include.scores = true,
            "stats" => include.stats = true,
            _ => {
                return Err(AppError::bad_param(
                    "include",
                    "invalid_include",
                    "must be a comma-separated list of: scores, stats",
                ));
            }
        }
    }
    Ok(include)
}

impl TryFrom<ListParams> for CustomerQuery {
    type Error = AppError;

    fn try_from(p: ListParams) -> AppResult<Self> {
        let limit = match p.limit {
            None => customers::DEFAULT_PAGE,
            Some(raw) => raw
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|n| (1..=customers::MAX_PAGE).contains(n))
                .ok_or_else(|| {
                    AppError::bad_param(
                        "limit",
                        "out_of_range",
                        format!("must be an integer between 1 and {}", customers::MAX_PAGE),
                    )
                })?,
        };
        let (sort, direction) = match p.sort.as_deref().map(str::trim) {
            None => (CustomerSortField::CreatedAt, SortDirection::Desc),
            Some(raw) => {
                let (direction, name) = match raw.strip_prefix('-') {
                    Some(name) => (SortDirection::Desc, name),
                    None => (SortDirection::Asc, raw),
                };
                let field = CustomerSortField::parse(name).ok_or_else(|| {
                    AppError::bad_param("sort", "invalid_sort", "must be created_at, updated_at or display_name, optionally prefixed with -")
                })?;
                (field, direction)
            }
        };
        let deleted = bool_param("deleted", p.deleted.as_deref())?;
        let filter = CustomerFilter {
            kind: enum_param("kind", p.kind, CustomerKind::parse, CustomerKind::expected)?,
            tag: p.tag,
            city: p.city,
            province: p.province,
            source: enum_param(
                "source",
                p.source,
                CustomerSource::parse,
                CustomerSource::expected,
            )?,
            owner_id: p
                .owner_id
                .map(|v| parse_id("owner_id", v.trim()))
                .transpose()?,
            status: enum_param(
                "status",
                p.status,
                CustomerStatus::parse,
                CustomerStatus::expected,
            )?,
            created_after: super::time_param("created_after", p.created_after.as_deref())?,
            created_before: super::time_param("created_before", p.created_before.as_deref())?,
            q: p.q,
            deleted,
        };
        Ok(Self {
            filter,
            sort,
            direction,
            limit,
            cursor: p.cursor.filter(|c| !c.is_empty()),
            cursor_param: "cursor",
            backward: false,
        })
    }
}

/// List customers, filtered and sorted, a page at a time.
#[utoipa::path(get, path = "/api/v1/customers", operation_id = "customers_list", tag = "customers", params(ListParams),
    responses(
        (status = 200, description = "A page of customers", body = CustomerPage),
        (status = 400, description = "A bad parameter, named in `errors`", body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    state: web::Data<AppState>,
    principal: Principal,
    params: web::Query<ListParams>,
) -> AppResult<HttpResponse> {
    let mut params = params.into_inner();
    let include = include(params.include.take().as_deref())?;
    let query = CustomerQuery::try_from(params)?;
    let page = customers::list_including(&state, &principal, query, include).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .json(CustomerPage {
            data: page.items,
            next_cursor: page.next_cursor,
        }))
}

/// Customers matching the list's filters (`kind`, `tag`, `city`, …; `format=csv|ndjson`),
/// with their scores, streamed. Fields the caller may not read are empty; phone and e-mail
/// only for managers and admins; five exports per caller per hour; audited.
#[utoipa::path(get, path = "/api/v1/customers/export", operation_id = "customers_export", tag = "customers",
    params(ListParams, super::params::ExportParams),
    responses((status = 200, description = "The customers, one row or line each", content((String = "text/csv"), (String = "application/x-ndjson"))),
        (status = 400, description = "A bad parameter", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Over five exports in an hour", body = Problem, content_type = "application/problem+json")))]
pub async fn export(
    state: web::Data<AppState>,
    principal: Principal,
    params: web::Query<ListParams>,
    export: web::Query<super::params::ExportParams>,
) -> AppResult<HttpResponse> {
    let format = crate::service::integration::export::Format::parse(export.format.as_deref())?;
    let mut params = params.into_inner();
    params.include = None;
    let query = CustomerQuery::try_from(params)?;
    let stream = crate::service::integration::export::customers(
        state.get_ref().clone(),
        principal,
        query.filter,
        format,
    )
    .await?;
    Ok(super::records::attachment(stream, format, "customers"))
}

/// Merge duplicates into this customer (the survivor) in one transaction: the chosen
/// fields are copied, tags united, orders, interactions, surveys, complaints, consent
/// history, points, alerts and relationships moved, aggregates recomputed. The duplicates are
/// soft-deleted; reading one answers 410 `merged` with `merged_into`. Customers of different
/// owners need a manager.
#[utoipa::path(post, path = "/api/v1/customers/{id}/merge", operation_id = "customers_merge", tag = "data quality",
    request_body = crate::service::quality::merge::MergeInput,
    params(("id" = uuid::Uuid, Path, description = "The survivor's id"),
           ("If-Match" = Option<String>, Header, description = "ETag of the survivor's version this merge is based on")),
    responses((status = 200, description = "Merged", body = crate::service::quality::merge::MergeView),
        (status = 403, description = "Different owners and not a manager", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such survivor", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Stale `If-Match`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad duplicates or field choices, named", body = Problem, content_type = "application/problem+json")))]
pub async fn merge(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    id: web::Path<String>,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    let id = parse_id("id", &id)?;
    let view =
        crate::service::quality::merge::merge(&state, &principal, id, if_match(&req)?, body.0)
            .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .insert_header((header::ETAG, etag(view.survivor.version)))
        .json(view))
}

/// Query parameters of `POST /customers`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CreateParams {
    /// `warn` (default): create, and list look-alike customers in `duplicate_candidates`
    /// (present only when there are some);
    /// `strict`: refuse with 409 `duplicate_suspected` when there are any.
    #[param(value_type = Option<super::params::DuplicatesMode>)]
    duplicates: Option<String>,
}

/// Create a customer. Names, e-mail, phone and Chinese places are standardised; existing
/// customers it may duplicate are listed in `duplicate_candidates` (or, with
/// `duplicates=strict`, refuse it).
#[utoipa::path(post, path = "/api/v1/customers", operation_id = "customers_create", tag = "customers", request_body = CustomerInput,
    params(CreateParams, ("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key and body get the first response (24 h). The effect and the stored response commit together: a request that failed on the server or died leaves the key free; a retry while the first is running waits for it")),
    responses(
        (status = 201, description = "Created; `Location` and `ETag` headers set", body = CustomerView),
        (status = 409, description = "`duplicates=strict` and look-alike customers exist: their ids in `duplicates`", body = Problem, content_type = "application/problem+json"),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, named in `errors`", body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    params: web::Query<CreateParams>,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    let strict = match params.duplicates.as_deref().map(str::trim) {
        None | Some("warn") => false,
        Some("strict") => true,
        Some(_) => {
            return Err(AppError::bad_param(
                "duplicates",
                "invalid_enum",
                "must be warn or strict",
            ));
        }
    };
    let doc = body.0;
    let (state, principal, input) = (state.get_ref(), &principal, &doc);
    idempotency::run(state, principal, &req, &doc, |db| async move {
        let (mut view, candidates) =
            customers::create_checked(&*db, state, principal, input.clone(), strict).await?;
        view.duplicate_candidates = Some(candidates).filter(|c| !c.is_empty());
        Ok(Created {
            status: actix_web::http::StatusCode::CREATED,
            location: Some(format!("/api/v1/customers/{}", view.id)),
            etag: Some(etag(view.version)),
            body: serde_json::to_value(&view).map_err(|e| AppError::Internal(e.into()))?,
            then: None,
        })
    })
    .await
}

/// Query parameters of `GET /customers/{id}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GetParams {
    /// `true` also returns a soft-deleted customer.
    #[param(value_type = Option<bool>)]
    include_deleted: Option<String>,
}

/// Read one customer. Send `If-None-Match` with a previous `ETag` to get 304 when unchanged.
#[utoipa::path(get, path = "/api/v1/customers/{id}", operation_id = "customers_get", tag = "customers",
    params(("id" = uuid::Uuid, Path, description = "Customer id (UUID)"), GetParams),
    responses(
        (status = 200, description = "The customer; `ETag` set", body = CustomerView),
        (status = 304, description = "Unchanged since the `If-None-Match` version"),
        (status = 400, description = "`id` is not a UUID", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer", body = Problem, content_type = "application/problem+json")))]
pub async fn get(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    id: web::Path<String>,
    params: web::Query<GetParams>,
) -> AppResult<HttpResponse> {
    let id = parse_id("id", &id)?;
    let view = customers::get(
        &state,
        &principal,
        id,
        bool_param("include_deleted", params.include_deleted.as_deref())?,
    )
    .await?;
    if if_none_match(&req, view.version) {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, etag(view.version)))
            .finish());
    }
    Ok(with_etag(actix_web::http::StatusCode::OK, &view))
}

/// Update a customer with a JSON merge patch (RFC 7396): send only what changes, `null` to
/// clear. With `If-Match: "<version>"` the write happens only if nobody changed it since.
#[utoipa::path(patch, path = "/api/v1/customers/{id}", operation_id = "customers_update", tag = "customers",
    params(("id" = uuid::Uuid, Path, description = "Customer id (UUID)"),
           ("If-Match" = Option<String>, Header, description = "ETag of the version this change is based on")),
    request_body(content = CustomerInput, content_type = "application/merge-patch+json"),
    responses(
        (status = 200, description = "Updated; new `ETag`", body = CustomerView),
        (status = 404, description = "No such customer", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "`If-Match` does not match the current version", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, named in `errors`", body = Problem, content_type = "application/problem+json")))]
pub async fn update(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    id: web::Path<String>,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    let id = parse_id("id", &id)?;
    let view = customers::update(&state, &principal, id, if_match(&req)?, body.0).await?;
    Ok(with_etag(actix_web::http::StatusCode::OK, &view))
}

/// Soft-delete a customer (it can be restored).
#[utoipa::path(delete, path = "/api/v1/customers/{id}", operation_id = "customers_delete", tag = "customers",
    params(("id" = uuid::Uuid, Path, description = "Customer id (UUID)"),
           ("If-Match" = Option<String>, Header, description = "ETag of the version to delete")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such customer", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "`If-Match` does not match the current version", body = Problem, content_type = "application/problem+json")))]
pub async fn delete(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = parse_id("id", &id)?;
    customers::delete(&state, &principal, id, if_match(&req)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Restore a soft-deleted customer.
#[utoipa::path(post, path = "/api/v1/customers/{id}/restore", operation_id = "customers_restore", tag = "customers",
    params(("id" = uuid::Uuid, Path, description = "Customer id (UUID)")),
    responses(
        (status = 200, description = "Restored", body = CustomerView),
        (status = 404, description = "No such customer", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The customer is not deleted", body = Problem, content_type = "application/problem+json")))]
pub async fn restore(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = parse_id("id", &id)?;
    let view = customers::restore(&state, &principal, id).await?;
    Ok(with_etag(actix_web::http::StatusCode::OK, &view))
}

/// Show masked fields in clear, with a reason that goes to the audit log. Support may reveal
/// contact fields, managers sensitive ones; what a role sees in full needs no reveal.
#[utoipa::path(post, path = "/api/v1/customers/{id}/reveal", operation_id = "customers_reveal", tag = "customers", request_body = RevealRequest,
    params(("id" = uuid::Uuid, Path, description = "Customer id (UUID)")),
    responses(
        (status = 200, description = "The clear values", body = RevealView),
        (status = 403, description = "The role may not reveal a field (named)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown field or missing reason", body = Problem, content_type = "application/problem+json")))]
pub async fn reveal(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    let id = parse_id("id", &id)?;
    let request = crate::service::input::Submitted::<RevealRequest>::document(body.0);
    let view = customers::reveal(&state, &principal, id, request).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(view))
}
