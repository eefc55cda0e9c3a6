//! Default clearances of each role (DESIGN §3): what a role sees of each sensitivity class.

use crate::auth::Clearance::{self, Full, None, Partial};
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
