//! Products, orders and purchase aggregates as callers see and write them.

use async_graphql::{InputObject, SimpleObject};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::{OrderChannel, OrderStatus};
use crate::types::time::{Date, Timestamp};

/// A product of the catalogue.
#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
#[graphql(name = "Product")]
pub struct ProductView {
    pub id: Uuid,
    /// Stock-keeping unit, unique.
    pub sku: String,
    pub name: String,
    pub category: Option<String>,
    /// Decimal string in `currency`.
    pub list_price: Option<String>,
    /// ISO 4217 code, e.g. `CNY`.
    pub currency: String,
    /// Inactive products cannot be ordered.
    pub active: bool,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Fields this caller may not read in full.
    #[graphql(name = "maskedFields")]
    pub masked: Vec<String>,
}

/// A product as written: all fields on create (`sku`, `name`, `list_price` required), only
/// the fields to change on update.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, InputObject)]
#[serde(deny_unknown_fields)]
#[graphql(name = "ProductInput")]
#[schema(example = json!({"sku": "TEA-001", "name": "龙井茶 250g", "category": "tea",
    "list_price": "168.00", "currency": "CNY"}))]
pub struct ProductInput {
    /// 1–64 characters: letters, digits, `-`, `_`, `.`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    /// 1–200 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Up to 100 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Non-negative decimal, string or number.
    #[serde(default, deserialize_with = "super::de::decimal_text")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub list_price: Option<String>,
    /// ISO 4217 code; default the server's currency.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Default true.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
}

/// One line of an order. Lines are financial as a whole: a quantity times the product's
/// public list price gives the line total back, so a caller without financial clearance
/// sees no lines at all (the order's `items` is null and listed in `masked`).
#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
#[graphql(name = "OrderItem")]
pub struct OrderItemView {
    pub product_id: Uuid,
    pub sku: String,
    pub name: String,
    pub quantity: i64,
    /// Decimal string.
    pub unit_price: String,
    /// `quantity × unit_price`, decimal string.
    pub line_total: String,
}

/// An order (purchase record), rendered through the privacy policy.
#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
#[graphql(name = "Order", complex)]
pub struct OrderView {
    pub id: Uuid,
    /// The business's order number, unique.
    pub number: String,
    pub customer_id: Uuid,
    pub channel: OrderChannel,
    pub status: OrderStatus,
    /// False for cancelled and refunded orders: they count nowhere as purchases.
    pub counts_as_purchase: bool,
    pub ordered_at: Timestamp,
    /// ISO 4217 code.
    pub currency: String,
    /// Decimal string (financial); the sum of the lines when the order has lines.
    pub total: Option<String>,
    /// Decimal string (financial).
    pub paid_amount: Option<String>,
    /// `total − paid_amount`; zero for cancelled and refunded orders (financial).
    pub outstanding: Option<String>,
    /// When payment is due (receivables; financial).
    pub due_date: Option<Date>,
    /// Past its due date with money outstanding (financial).
    pub overdue: Option<bool>,
    /// Free text (contact).
    pub notes: Option<String>,
    /// Lines, in order; empty for an order sent as a header with its total. Financial as
    /// a whole (quantities times public list prices give the total): null without
    /// financial clearance, and then listed in `masked` as `items`.
    pub items: Option<Vec<OrderItemView>>,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Fields this caller may not read in full.
    #[graphql(name = "maskedFields")]
    pub masked: Vec<String>,
    /// The order's customer, rendered through the policy, with `expand=customer` (absent
    /// otherwise, and when the caller may not see that customer). GraphQL: the `customer`
    /// field.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[graphql(skip)]
    pub customer: Option<Box<crate::types::customer::CustomerView>>,
}

/// A line of an order as written.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, InputObject)]
#[serde(deny_unknown_fields)]
#[graphql(name = "OrderItemInput")]
pub struct OrderItemInput {
    pub product_id: Uuid,
    /// A whole number of at least 1.
    pub quantity: i64,
    /// Default the product's list price.
    #[serde(default, deserialize_with = "super::de::decimal_text")]
    pub unit_price: Option<String>,
}

/// An order as written. Send `items` and the server computes the total (a `total` sent
/// alongside must agree), or send only `total` for an order header without lines.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, InputObject)]
#[serde(deny_unknown_fields)]
#[graphql(name = "OrderInput")]
#[schema(example = json!({"customer_id": "0193a5b0-7c1e-7d3a-9f4e-2b8c6d1e0f00",
    "number": "SO-2026-0001", "channel": "online", "status": "paid",
    "ordered_at": "2026-11-20T10:00:00Z", "currency": "CNY",
    "items": [{"product_id": "0193a5b0-7c1e-7d3a-9f4e-2b8c6d1e0f01", "quantity": 2}],
    "paid_amount": "336.00"}))]
pub struct OrderInput {
    /// Required, except under `/customers/{id}/orders`.
    pub customer_id: Option<Uuid>,
    /// Up to 64 characters, unique; generated when absent.
    pub number: Option<String>,
    /// Default `other`.
    pub channel: Option<OrderChannel>,
    /// Default `pending`.
    pub status: Option<OrderStatus>,
    /// Default now; not more than a day ahead.
    pub ordered_at: Option<Timestamp>,
    /// ISO 4217 code; default the server's currency.
    pub currency: Option<String>,
    pub items: Option<Vec<OrderItemInput>>,
    /// Required without items; must equal the sum of the lines with them.
    #[serde(default, deserialize_with = "super::de::decimal_text")]
    pub total: Option<String>,
    /// Default 0; at most the total.
    #[serde(default, deserialize_with = "super::de::decimal_text")]
    pub paid_amount: Option<String>,
    pub due_date: Option<Date>,
    /// Up to 2000 characters.
    pub notes: Option<String>,
}

/// A change to an order: status, payment, due date, channel or notes. Lines, total,
/// currency and customer are fixed once the order exists (cancel it and create another).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, InputObject)]
#[serde(deny_unknown_fields)]
#[graphql(name = "OrderPatch")]
pub struct OrderPatch {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<OrderStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<OrderChannel>,
    #[serde(default, deserialize_with = "super::de::decimal_text")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paid_amount: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_date: Option<Date>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

/// A customer's maintained purchase aggregates (cancelled and refunded orders excluded).
#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
#[graphql(name = "PurchaseStats")]
pub struct StatsView {
    pub customer_id: Uuid,
    /// Orders that count as purchases.
    pub order_count: i64,
    /// Distinct days (UTC) with such an order: the purchase frequency the churn model counts.
    pub purchase_days: i64,
    /// Sum of their totals in the server's currency (financial).
    pub monetary_total: Option<String>,
    /// Sum of what is still unpaid (financial).
    pub outstanding: Option<String>,
    /// The currency of the amounts.
    pub currency: String,
    pub first_order_at: Option<Timestamp>,
    pub last_order_at: Option<Timestamp>,
    /// Fields this caller may not read in full.
    #[graphql(name = "maskedFields")]
    pub masked: Vec<String>,
}
