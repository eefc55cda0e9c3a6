//! Who is calling. Until users and API keys exist (the identity work), every request acts as
//! the operator principal with full clearance; the type is already threaded through every
//! service call and every rendering so the policy has one place to look.

pub mod jwt;
pub mod password;

use crate::domain::Sensitivity;

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

/// The caller of a use case.
#[derive(Debug, Clone)]
pub struct Principal {
    /// Short label for logs and audit (`operator`).
    pub label: &'static str,
    clearances: [Clearance; 4],
}

impl Principal {
    /// The operator: full access to everything. Used by the CLI and, until authentication
    /// lands, by every API request.
    pub fn operator() -> Self {
        Self {
            label: "operator",
            clearances: [Clearance::Full; 4],
        }
    }

    /// A principal with the given clearance per class (public, contact, financial, sensitive).
    pub fn with_clearances(label: &'static str, clearances: [Clearance; 4]) -> Self {
        Self { label, clearances }
    }

    /// Stable identity of the caller, for scoping idempotency keys and audit.
    pub fn subject(&self) -> String {
        self.label.to_owned()
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

impl actix_web::FromRequest for Principal {
    type Error = crate::error::AppError;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    /// Every request acts as the operator until authentication lands.
    fn from_request(
        _req: &actix_web::HttpRequest,
        _payload: &mut actix_web::dev::Payload,
    ) -> Self::Future {
        std::future::ready(Ok(Self::operator()))
    }
}
