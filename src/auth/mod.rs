//! Who is calling: the `Principal` every service call and every rendering takes, built from
//! a bearer access token (`extract`), with passwords (`password`) and tokens (`jwt`).

mod extract;
pub mod jwt;
pub mod password;
pub mod throttle;

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

/// The caller of a use case: the operator (CLI) or a signed-in user.
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
    clearances: [Clearance; 4],
}

impl Principal {
    /// The operator: full access to everything. Used by the command line.
    pub fn operator() -> Self {
        Self {
            label: "operator",
            user_id: None,
            role: None,
            api_key_id: None,
            scopes: Vec::new(),
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
            clearances: crate::policy::roles::clearances(role),
        }
    }

    /// An integration holding an API key: what it sees and does follows the key's scopes.
    pub fn api_key(id: Uuid, scopes: Vec<Scope>) -> Self {
        let clearances = crate::policy::roles::key_clearances(&scopes);
        Self {
            label: "api_key",
            user_id: None,
            role: None,
            api_key_id: Some(id),
            scopes,
            clearances,
        }
    }

    /// A principal with the given clearance per class (public, contact, financial, sensitive).
    pub fn with_clearances(label: &'static str, clearances: [Clearance; 4]) -> Self {
        Self {
            label,
            user_id: None,
            role: None,
            api_key_id: None,
            scopes: Vec::new(),
            clearances,
        }
    }

    /// Stable identity of the caller, for scoping idempotency keys and audit.
    pub fn subject(&self) -> String {
        match (self.user_id, self.api_key_id) {
            (Some(id), _) => format!("user:{id}"),
            (None, Some(id)) => format!("api_key:{id}"),
            (None, None) => self.label.to_owned(),
        }
    }

    /// Whether this is an integration's API key (keys never administer Dossier).
    pub fn is_api_key(&self) -> bool {
        self.api_key_id.is_some()
    }

    /// Refuse an API key without `scope`; users and the operator pass.
    ///
    /// # Errors
    /// `Forbidden` naming the missing scope.
    pub fn require_scope(&self, scope: Scope) -> Result<(), crate::error::AppError> {
        if self.is_api_key() && !self.scopes.contains(&scope) {
            return Err(crate::error::AppError::Forbidden(format!(
                "this API key lacks the `{scope}` scope"
            )));
        }
        Ok(())
    }

    /// Whether the caller administers Dossier (the operator or an admin user).
    pub fn is_admin(&self) -> bool {
        match self.role {
            Some(role) => role == Role::Admin,
            None => self.label == "operator" && !self.is_api_key(),
        }
    }

    /// Refuse unless the caller administers Dossier.
    ///
    /// # Errors
    /// `Forbidden`.
    pub fn require_admin(&self) -> Result<(), crate::error::AppError> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(crate::error::AppError::Forbidden(
                "this needs the admin role".to_owned(),
            ))
        }
    }

    /// Refuse unless the caller may change customers (operator, admin, manager, sales).
    ///
    /// # Errors
    /// `Forbidden`.
    pub fn require_customer_writer(&self) -> Result<(), crate::error::AppError> {
        self.require_scope(Scope::CustomersWrite)?;
        match self.role {
            Some(Role::Support | Role::Analyst) => Err(crate::error::AppError::Forbidden(format!(
                "the {} role cannot change customers",
                self.label
            ))),
            _ => Ok(()),
        }
    }

    /// Whether the caller may set or change a customer's owner (operator, admin, manager).
    pub fn may_assign_owners(&self) -> bool {
        match self.role {
            Some(role) => matches!(role, Role::Admin | Role::Manager),
            None => !self.is_api_key(),
        }
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
