//! Wire types shared by REST (snake_case JSON, OpenAPI) and GraphQL (camelCase).
//!
//! Output types are produced only by `policy`, so a response can never carry a field the
//! caller may not see. Input types are parsed by `service`, so both APIs share every rule.

pub mod alerts;
pub mod api_key;
pub mod audit;
pub mod commerce;
pub mod custom_field;
pub mod customer;
pub mod de;
pub mod engagement;
pub mod imports;
pub mod relations;
pub mod scores;
pub mod segments;
pub mod time;
pub mod user;

/// A record of one customer that can carry that customer (`expand=customer`).
pub trait OfCustomer {
    /// The customer the record belongs to.
    fn customer_id(&self) -> uuid::Uuid;
    /// Embed the customer (as the policy rendered it for the caller), or nothing.
    fn set_customer(&mut self, customer: Option<Box<customer::CustomerView>>);
}

impl OfCustomer for commerce::OrderView {
    fn customer_id(&self) -> uuid::Uuid {
        self.customer_id
    }
    fn set_customer(&mut self, customer: Option<Box<customer::CustomerView>>) {
        self.customer = customer;
    }
}

impl OfCustomer for alerts::AlertView {
    fn customer_id(&self) -> uuid::Uuid {
        self.customer_id
    }
    fn set_customer(&mut self, customer: Option<Box<customer::CustomerView>>) {
        self.customer = customer;
    }
}
