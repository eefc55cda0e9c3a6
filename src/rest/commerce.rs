//! `/api/v1/products`, `/api/v1/orders`, and a customer's orders and purchase aggregates.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::body::JsonBody;
use super::error::{Problem, method_not_allowed};
use super::if_match;
use super::params::{PageParams, bool_param, enum_param};
use super::records::{self, OrderPage, ProductPage, ok_with_etag, window};
use crate::domain::{OrderChannel, OrderStatus, parse_id};
use crate::error::AppResult;
use crate::policy::Principal;
use crate::service::behaviour::orders::{self, OrderFilter, ProductFilter};
use crate::state::AppState;
use crate::types::commerce::{
    OrderInput, OrderPatch, OrderView, ProductInput, ProductView, StatsView,
};

/// Routes of products and orders.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/products")
            .route(web::get().to(list_products))
            .route(web::post().to(create_product))
            .default_service(method_not_allowed("GET, POST")),
    )
    .service(
        web::resource("/products/{id}")
            .route(web::get().to(get_product))
            .route(web::patch().to(update_product))
            .default_service(method_not_allowed("GET, PATCH")),
    )
    .service(
        web::resource("/orders")
            .route(web::get().to(list_orders))
            .route(web::post().to(create_order))
            .default_service(method_not_allowed("GET, POST")),
    )
    .service(
        web::resource("/orders/{id}")
            .route(web::get().to(get_order))
            .route(web::patch().to(update_order))
            .default_service(method_not_allowed("GET, PATCH")),
    )
    .service(
        web::resource("/customers/{id}/orders")
            .route(web::get().to(customer_orders))
            .route(web::post().to(create_customer_order))
            .default_service(method_not_allowed("GET, POST")),
    )
    .service(
        web::resource("/customers/{id}/stats")
            .route(web::get().to(customer_stats))
            .default_service(method_not_allowed("GET")),
    );
}

/// Query parameters of `GET /products`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProductParams {
    cursor: Option<String>,
    #[param(value_type = Option<u32>, minimum = 1, maximum = 200)]
    limit: Option<String>,
    /// Exact category.
    category: Option<String>,
    /// `true` or `false`.
    #[param(value_type = Option<bool>)]
    active: Option<String>,
    /// Case-insensitive substring of the name or SKU.
    q: Option<String>,
}

/// List products, newest first.
#[utoipa::path(get, path = "/api/v1/products", operation_id = "products_list", tag = "products", params(ProductParams),
    responses((status = 200, description = "A page of products", body = ProductPage),
        (status = 400, description = "A bad parameter", body = Problem, content_type = "application/problem+json")))]
pub async fn list_products(
    state: web::Data<AppState>,
    principal: Principal,
    params: web::Query<ProductParams>,
) -> AppResult<HttpResponse> {
    let p = params.into_inner();
    let filter = ProductFilter {
        category: p.category,
        active: p
            .active
            .as_deref()
            .map(|v| bool_param("active", Some(v)))
            .transpose()?,
        q: p.q,
    };
    let page = orders::list_products(
        &state,
        &principal,
        filter,
        &window(p.cursor, p.limit.as_deref())?,
    )
    .await?;
    Ok(records::page::<_, ProductPage>(page))
}

/// Add a product (admin, manager).
#[utoipa::path(post, path = "/api/v1/products", operation_id = "products_create", tag = "products", request_body = ProductInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key and body get the first response (24 h). The effect and the stored response commit together: a request that failed on the server or died leaves the key free; a retry while the first is running waits for it")),
    responses((status = 201, description = "Created", body = ProductView),
        (status = 403, description = "Below manager", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The SKU is taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, named in `errors`", body = Problem, content_type = "application/problem+json")))]
pub async fn create_product(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    let (state, principal) = (state.get_ref(), &principal);
    records::create(
        state,
        principal,
        &req,
        body.0,
        Some("/api/v1/products"),
        |db, doc| async move { orders::create_product_in(&*db, state, principal, doc).await },
    )
    .await
}

/// Read one product.
#[utoipa::path(get, path = "/api/v1/products/{id}", operation_id = "products_get", tag = "products",
    params(("id" = uuid::Uuid, Path, description = "Product id")),
    responses((status = 200, description = "The product", body = ProductView),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json")))]
pub async fn get_product(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let view = orders::get_product(&state, &principal, parse_id("id", &id)?).await?;
    Ok(ok_with_etag(&view))
}

/// Change a product: only the fields sent (admin, manager). `If-Match` makes it conditional.
#[utoipa::path(patch, path = "/api/v1/products/{id}", operation_id = "products_update", tag = "products", request_body = ProductInput,
    params(("id" = uuid::Uuid, Path, description = "Product id"),
           ("If-Match" = Option<String>, Header, description = "ETag of the version this change is based on")),
    responses(
        (status = 409, description = "The SKU is taken", body = Problem, content_type = "application/problem+json"),(status = 200, description = "Updated", body = ProductView),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Stale `If-Match`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json")))]
pub async fn update_product(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    id: web::Path<String>,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    let id = parse_id("id", &id)?;
    let view = orders::update_product(&state, &principal, id, if_match(&req)?, body.0).await?;
    Ok(ok_with_etag(&view))
}

/// Query parameters of `GET /orders`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrderParams {
    cursor: Option<String>,
    #[param(value_type = Option<u32>, minimum = 1, maximum = 200)]
    limit: Option<String>,
    /// Orders of one customer.
    #[param(value_type = Option<uuid::Uuid>)]
    customer_id: Option<String>,
    /// `pending`, `paid`, `shipped`, `completed`, `cancelled` or `refunded`.
    #[param(value_type = Option<crate::domain::OrderStatus>)]
    status: Option<String>,
    /// `online`, `store`, `agent`, `phone`, `wechat` or `other`.
    #[param(value_type = Option<crate::domain::OrderChannel>)]
    channel: Option<String>,
    /// Ordered at or after this RFC 3339 time.
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    ordered_after: Option<String>,
    /// Ordered before this RFC 3339 time.
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    ordered_before: Option<String>,
    /// `true`: only orders past their due date with money outstanding (needs financial clearance).
    #[param(value_type = Option<bool>)]
    overdue: Option<String>,
    /// `customer` embeds each order's customer (rendered through the policy, absent when the
    /// caller may not see it), in one more statement for the page; needs `customers:read`.
    #[param(value_type = Option<super::params::RecordExpand>)]
    expand: Option<String>,
}

/// List orders of the customers the caller may see, newest first.
#[utoipa::path(get, path = "/api/v1/orders", operation_id = "orders_list", tag = "orders", params(OrderParams),
    responses((status = 200, description = "A page of orders", body = OrderPage),
        (status = 400, description = "A bad parameter", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Filtering by a field the caller may not read", body = Problem, content_type = "application/problem+json")))]
pub async fn list_orders(
    state: web::Data<AppState>,
    principal: Principal,
    params: web::Query<OrderParams>,
) -> AppResult<HttpResponse> {
    let p = params.into_inner();
    let expand = records::expand_customer(p.expand.as_deref())?;
    let filter = OrderFilter {
        customer_id: p
            .customer_id
            .map(|v| parse_id("customer_id", v.trim()))
            .transpose()?,
        status: enum_param(
            "status",
            p.status,
            OrderStatus::parse,
            OrderStatus::expected,
        )?,
        channel: enum_param(
            "channel",
            p.channel,
            OrderChannel::parse,
            OrderChannel::expected,
        )?,
        ordered_after: super::time_param("ordered_after", p.ordered_after.as_deref())?,
        ordered_before: super::time_param("ordered_before", p.ordered_before.as_deref())?,
        overdue: bool_param("overdue", p.overdue.as_deref())?,
    };
    let mut page = orders::list_orders(
        &state,
        &principal,
        filter,
        &window(p.cursor, p.limit.as_deref())?,
    )
    .await?;
    if expand {
        records::with_customers(&state, &principal, &mut page.items).await?;
    }
    Ok(records::page::<_, OrderPage>(page))
}

/// Record an order. With `items` the total is computed (a `total` sent must agree); without,
/// `total` is required.
#[utoipa::path(post, path = "/api/v1/orders", operation_id = "orders_create", tag = "orders", request_body = OrderInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key and body get the first response (24 h). The effect and the stored response commit together: a request that failed on the server or died leaves the key free; a retry while the first is running waits for it")),
    responses((status = 201, description = "Created; aggregates updated", body = OrderView),
        (status = 403, description = "The caller may not record orders", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The order number is taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields: unknown product, currency mismatch, total mismatch, future date…", body = Problem, content_type = "application/problem+json")))]
pub async fn create_order(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    let (state, principal) = (state.get_ref(), &principal);
    records::create(
        state,
        principal,
        &req,
        body.0,
        Some("/api/v1/orders"),
        |db, doc| async move { orders::create_order_in(&*db, state, principal, None, doc).await },
    )
    .await
}

/// Read one order with its lines.
#[utoipa::path(get, path = "/api/v1/orders/{id}", operation_id = "orders_get", tag = "orders",
    params(("id" = uuid::Uuid, Path, description = "Order id"), records::ExpandParams),
    responses((status = 200, description = "The order", body = OrderView),
        (status = 400, description = "A bad parameter", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such order (or not the caller's customer)", body = Problem, content_type = "application/problem+json")))]
pub async fn get_order(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
    params: web::Query<records::ExpandParams>,
) -> AppResult<HttpResponse> {
    let expand = records::expand_customer(params.expand.as_deref())?;
    let mut view = orders::get_order(&state, &principal, parse_id("id", &id)?).await?;
    if expand {
        records::with_customers(&state, &principal, std::slice::from_mut(&mut view)).await?;
    }
    Ok(ok_with_etag(&view))
}

/// Change an order's status (a 409 names the allowed next statuses), payment, due date,
/// channel or notes.
#[utoipa::path(patch, path = "/api/v1/orders/{id}", operation_id = "orders_update", tag = "orders", request_body = OrderPatch,
    params(("id" = uuid::Uuid, Path, description = "Order id"),
           ("If-Match" = Option<String>, Header, description = "ETag of the version this change is based on")),
    responses((status = 200, description = "Updated; aggregates updated", body = OrderView),
        (status = 404, description = "No such order", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Illegal status change; `allowed` lists the legal ones", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Stale `If-Match`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json")))]
pub async fn update_order(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    id: web::Path<String>,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    let id = parse_id("id", &id)?;
    let view = orders::update_order(&state, &principal, id, if_match(&req)?, body.0).await?;
    Ok(ok_with_etag(&view))
}

/// A customer's orders, newest first.
#[utoipa::path(get, path = "/api/v1/customers/{id}/orders", operation_id = "customer_orders_list", tag = "orders",
    params(("id" = uuid::Uuid, Path, description = "Customer id"), PageParams),
    responses((status = 200, description = "A page of orders", body = OrderPage),
        (status = 404, description = "No such customer", body = Problem, content_type = "application/problem+json")))]
pub async fn customer_orders(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
    params: web::Query<PageParams>,
) -> AppResult<HttpResponse> {
    let p = params.into_inner();
    let id = parse_id("id", &id)?;
    let page = orders::customer_orders(
        &state,
        &principal,
        id,
        &window(p.cursor, p.limit.as_deref())?,
    )
    .await?;
    Ok(records::page::<_, OrderPage>(page))
}

/// Record an order for this customer.
#[utoipa::path(post, path = "/api/v1/customers/{id}/orders", operation_id = "customer_orders_create", tag = "orders", request_body = OrderInput,
    params(("id" = uuid::Uuid, Path, description = "Customer id"),
           ("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key and body get the first response (24 h). The effect and the stored response commit together: a request that failed on the server or died leaves the key free; a retry while the first is running waits for it")),
    responses((status = 201, description = "Created", body = OrderView),
        (status = 404, description = "No such customer", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The order number is taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json")))]
pub async fn create_customer_order(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    id: web::Path<String>,
    body: JsonBody,
) -> AppResult<HttpResponse> {
    let id = parse_id("id", &id)?;
    let (state, principal) = (state.get_ref(), &principal);
    records::create(
        state,
        principal,
        &req,
        body.0,
        Some("/api/v1/orders"),
        |db, doc| async move {
            orders::create_order_in(&*db, state, principal, Some(id), doc).await
        })
    .await
}

/// A customer's purchase aggregates: counted orders, monetary total, outstanding balance,
/// first and last order.
#[utoipa::path(get, path = "/api/v1/customers/{id}/stats", operation_id = "customer_stats_get", tag = "orders",
    params(("id" = uuid::Uuid, Path, description = "Customer id")),
    responses((status = 200, description = "The aggregates", body = StatsView),
        (status = 404, description = "No such customer", body = Problem, content_type = "application/problem+json")))]
pub async fn customer_stats(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let view = orders::stats(&state, &principal, parse_id("id", &id)?).await?;
    Ok(records::private_json(
        actix_web::http::StatusCode::OK,
        &view,
    ))
}
