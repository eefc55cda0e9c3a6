//! Data in and out: imports (CSV/NDJSON jobs), streamed exports, and idempotency keys for retried writes.

pub mod export;
pub mod idempotency;
pub mod import;
