//! Who calls: users and their sign-in, API keys, and the append-only audit log.

pub mod api_keys;
pub mod audit;
pub mod users;
