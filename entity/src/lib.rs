//! Dossier's persistence types: one sea-orm entity per table and nothing else.
//!
//! No business rules live here; `src/service` owns them. Enumerations are stored as short
//! lower-case strings and parsed into domain types by the service layer.

pub mod alert;
pub mod alert_rule;
pub mod amount;
pub mod api_key;
pub mod audit_event;
pub mod complaint;
pub mod complaint_event;
pub mod consent_event;
pub mod custom_field;
pub mod customer;
pub mod customer_merge;
pub mod customer_preference;
pub mod customer_score;
pub mod customer_stats;
pub mod customer_tag;
pub mod external_ref;
pub mod idempotency_key;
pub mod import_job;
pub mod import_reject;
pub mod interaction;
pub mod loyalty_account;
pub mod order;
pub mod order_item;
pub mod points_entry;
pub mod product;
pub mod refresh_token;
pub mod relationship;
pub mod score_model;
pub mod segment;
pub mod survey;
pub mod user;
