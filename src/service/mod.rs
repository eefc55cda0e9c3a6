//! Business logic, one module per aggregate: the only code that talks to the database.
//!
//! REST handlers and GraphQL resolvers call these functions with the caller's `Principal`
//! and get back views already rendered through `policy`.

pub mod custom_fields;
pub mod customers;
mod input;
mod pagination;

pub use pagination::Page;
