//! The one clock of the service: the current time at the precision both databases keep.

use chrono::{DateTime, SubsecRound, Utc};

/// Now, truncated to microseconds (what SQLite's text and PostgreSQL's `timestamptz` both
/// store), so a value read back equals the value written.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}
