//! Who is calling, as the policy sees it: a user with a role, an integration's API key with
//! scopes, or the operator at the command line — and what each may read of every class.

use uuid::Uuid;

use crate::domain::{Role, Scope, Sensitivity};

/// How much of one sensitivity class a principal may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clearance {
    /// The clear value.
    Full,
    /// A masked form (`138****5678`).
    Partial,
    /// Nothing: the field reads as null.
    None,
}

/// What kind of caller a principal is, for the capability table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// The operator at the command line (and the server's own background jobs).
    Operator,
    /// A signed-in user.
    User(Role),
    /// An integration holding an API key.
    Key,
    /// A principal made only to render with given clearances: may do nothing.
    Nobody,
}

/// The caller of a use case: every service entry point takes one and asks the policy.
#[derive(Debug, Clone)]
pub struct Principal {
    /// Short label for logs: the role, or `operator`.
    pub label: &'static str,
    /// The user, when the caller is one.
    pub user_id: Option<Uuid>,
    /// The user's role, when the caller is a user.
    pub role: Option<Role>,
    /// The key, when the caller is an integration with an API key.
    pub api_key_id: Option<Uuid>,
    /// The key's scopes.
    pub scopes: Vec<Scope>,
    caller: Caller,
    clearances: [Clearance; 4],
}

impl Principal {
    /// The operator: full access to everything. Used by the command line and by the
    /// server's own background work.
    pub fn operator() -> Self {
        Self {
            label: "operator",
            user_id: None,
            role: None,
            api_key_id: None,
            scopes: Vec::new(),
            caller: Caller::Operator,
            clearances: [Clearance::Full; 4],
        }
    }

    /// A signed-in user with the clearances of their role.
    pub fn user(id: Uuid, role: Role) -> Self {
        Self {
            label: role.as_str(),
            user_id: Some(id),
            role: Some(role),
            api_key_id: None,
            scopes: Vec::new(),
            caller: Caller::User(role),
            clearances: super::roles::clearances(role),
        }
    }

    /// An integration holding an API key: what it sees and does follows the key's scopes.
    pub fn api_key(id: Uuid, scopes: Vec<Scope>) -> Self {
        let clearances = super::roles::key_clearances(&scopes);
        Self {
            label: "api_key",
            user_id: None,
            role: None,
            api_key_id: Some(id),
            scopes,
            caller: Caller::Key,
            clearances,
        }
    }

    /// A principal that only renders, with the given clearance per class (public, contact,
    /// financial, sensitive); the capability table grants it nothing.
    pub fn with_clearances(label: &'static str, clearances: [Clearance; 4]) -> Self {
        Self {
            label,
            user_id: None,
            role: None,
            api_key_id: None,
            scopes: Vec::new(),
            caller: Caller::Nobody,
            clearances,
        }
    }

    /// What kind of caller this is.
    pub fn caller(&self) -> Caller {
        self.caller
    }

    /// Stable identity of the caller, for scoping idempotency keys and audit.
    pub fn subject(&self) -> String {
        match (self.user_id, self.api_key_id) {
            (Some(id), _) => format!("user:{id}"),
            (None, Some(id)) => format!("api_key:{id}"),
            (None, None) => self.label.to_owned(),
        }
    }

    /// Whether this is an integration's API key.
    pub fn is_api_key(&self) -> bool {
        self.api_key_id.is_some()
    }

    /// This principal's clearance for a sensitivity class.
    pub fn clearance(&self, class: Sensitivity) -> Clearance {
        let index = match class {
            Sensitivity::Public => 0,
            Sensitivity::Contact => 1,
            Sensitivity::Financial => 2,
            Sensitivity::Sensitive => 3,
        };
        self.clearances[index]
    }
}
