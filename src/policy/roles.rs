//! Default clearances of each role (DESIGN §3): what a role sees of each sensitivity class.

use super::Clearance::{self, Full, None, Partial};
use crate::domain::Role;

/// Clearances of `role` for (public, contact, financial, sensitive).
pub fn clearances(role: Role) -> [Clearance; 4] {
    match role {
        Role::Admin => [Full, Full, Full, Full],
        Role::Manager => [Full, Full, Full, Partial],
        Role::Sales => [Full, Full, Full, None],
        Role::Support => [Full, Partial, None, None],
        Role::Analyst => [Full, None, Full, None],
    }
}

/// Clearances of an API key: public with `customers:read`, and each private class only
/// with its `pii:` scope. Keys never see masked forms: a class is in full or not at all.
pub fn key_clearances(scopes: &[crate::domain::Scope]) -> [Clearance; 4] {
    use crate::domain::Scope;
    let has = |s: Scope| if scopes.contains(&s) { Full } else { None };
    [
        Full,
        has(Scope::PiiContact),
        has(Scope::PiiFinancial),
        has(Scope::PiiSensitive),
    ]
}
