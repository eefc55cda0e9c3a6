//! What customers did: orders with their lines and maintained aggregates, and the interactions, surveys and complaints recorded about them.

pub mod engagement;
pub mod orders;
