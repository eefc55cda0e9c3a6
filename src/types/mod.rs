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
