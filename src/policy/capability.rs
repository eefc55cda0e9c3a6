//! Who may do what, and which customers' rows: the capability table (DESIGN §6).
//!
//! One row per action, one column per kind of caller. Every service entry point asks
//! [`authorize`] before it reads its input, so a caller who may not act gets 403 and never
//! learns what the input should have been. The README's capability matrix is this table
//! printed by [`matrix`]; a test keeps the two equal.

use uuid::Uuid;

use super::principal::{Caller, Principal};
use crate::domain::{Role, Scope, Sensitivity};
use crate::error::AppError;

/// Something a caller may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Read customers and everything recorded about them: orders, activity, relationships,
    /// scores, segments, alerts, the overview; export within what the caller sees.
    ReadCustomers,
    /// Create, change, delete, restore and merge customers; orders, relationships, points.
    WriteCustomers,
    /// Record activity about customers: calls, surveys, complaints, consent, preferences.
    RecordActivity,
    /// Acknowledge, resolve and dismiss alerts.
    WorkAlerts,
    /// Create and change products.
    WriteProducts,
    /// Save segments and change one's own.
    SaveSegments,
    /// Change or delete any user's segment.
    ChangeAnySegment,
    /// Set or change a customer's owner.
    AssignOwners,
    /// Merge customers who have different owners.
    MergeAcrossOwners,
    /// Exports carry phone and e-mail (others get them withheld).
    ExportContacts,
    /// See and manage every user's import jobs (others see their own).
    SeeAllImports,
    /// Fit the score models and manage alert rules.
    FitModels,
    /// Refresh the score snapshot, validate the model, evaluate alerts, the data-quality report.
    RunAnalytics,
    /// Reveal (with a reason, audited) contact fields the caller sees masked.
    RevealContact,
    /// Reveal (with a reason, audited) sensitive fields the caller sees masked.
    RevealSensitive,
    /// Users, API keys, custom-field definitions, the audit log, standardising data.
    Administer,
}

/// What an API key needs for an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRule {
    /// Keys never may.
    Never,
    /// Keys with this scope may.
    Scope(Scope),
}

/// One row of the table.
#[derive(Debug)]
pub struct Capability {
    /// The action.
    pub action: Action,
    /// The name in the README's matrix.
    pub name: &'static str,
    /// What it allows, in the words of a refusal: "the support role cannot …".
    pub doing: &'static str,
    /// The roles that may.
    pub roles: &'static [Role],
    /// What a key needs.
    pub key: KeyRule,
}

use Role::{Admin, Analyst, Manager, Sales, Support};
use Scope::{CustomersRead, CustomersWrite};

/// The capability table. The operator (command line, background jobs) may do everything;
/// a principal made only to render may do nothing.
pub static TABLE: &[Capability] = &[
    Capability {
        action: Action::ReadCustomers,
        name: "read customers and their records",
        doing: "read customers",
        roles: &[Admin, Manager, Sales, Support, Analyst],
        key: KeyRule::Scope(CustomersRead),
    },
    Capability {
        action: Action::WriteCustomers,
        name: "change customers, orders, relationships, points",
        doing: "change customers",
        roles: &[Admin, Manager, Sales],
        key: KeyRule::Scope(CustomersWrite),
    },
    Capability {
        action: Action::RecordActivity,
        name: "record calls, surveys, complaints, consent, preferences",
        doing: "record customer activity",
        roles: &[Admin, Manager, Sales, Support],
        key: KeyRule::Scope(CustomersWrite),
    },
    Capability {
        action: Action::WorkAlerts,
        name: "acknowledge, resolve, dismiss alerts",
        doing: "work alerts",
        roles: &[Admin, Manager, Sales, Support, Analyst],
        key: KeyRule::Scope(CustomersWrite),
    },
    Capability {
        action: Action::WriteProducts,
        name: "create and change products",
        doing: "change products",
        roles: &[Admin, Manager],
        key: KeyRule::Scope(CustomersWrite),
    },
    Capability {
        action: Action::SaveSegments,
        name: "save segments, change one's own",
        doing: "save segments",
        roles: &[Admin, Manager, Sales, Analyst],
        key: KeyRule::Never,
    },
    Capability {
        action: Action::ChangeAnySegment,
        name: "change anyone's segment",
        doing: "change another user's segment",
        roles: &[Admin, Manager],
        key: KeyRule::Never,
    },
    Capability {
        action: Action::AssignOwners,
        name: "set a customer's owner",
        doing: "set a customer's owner (`owner_id`)",
        roles: &[Admin, Manager],
        key: KeyRule::Never,
    },
    Capability {
        action: Action::MergeAcrossOwners,
        name: "merge customers of different owners",
        doing: "merge customers who have different owners",
        roles: &[Admin, Manager],
        key: KeyRule::Never,
    },
    Capability {
        action: Action::ExportContacts,
        name: "exports carry phone and e-mail",
        doing: "export contact details",
        roles: &[Admin, Manager],
        key: KeyRule::Never,
    },
    Capability {
        action: Action::SeeAllImports,
        name: "see every user's imports",
        doing: "see other users' imports",
        roles: &[Admin, Manager],
        key: KeyRule::Never,
    },
    Capability {
        action: Action::FitModels,
        name: "fit score models, manage alert rules",
        doing: "fit the score models or manage alert rules",
        roles: &[Admin, Manager],
        key: KeyRule::Never,
    },
    Capability {
        action: Action::RunAnalytics,
        name: "refresh scores, validate models, evaluate alerts, data quality",
        doing: "run analytics",
        roles: &[Admin, Manager, Analyst],
        key: KeyRule::Never,
    },
    Capability {
        action: Action::RevealContact,
        name: "reveal masked contact fields",
        doing: "reveal contact fields",
        roles: &[Admin, Support],
        key: KeyRule::Never,
    },
    Capability {
        action: Action::RevealSensitive,
        name: "reveal masked sensitive fields",
        doing: "reveal sensitive fields",
        roles: &[Admin, Manager],
        key: KeyRule::Never,
    },
    Capability {
        action: Action::Administer,
        name: "users, API keys, custom-field definitions, audit log, standardise",
        doing: "administer Dossier",
        roles: &[Admin],
        key: KeyRule::Never,
    },
];

fn row(action: Action) -> Option<&'static Capability> {
    TABLE.iter().find(|c| c.action == action)
}

/// Whether `principal` may do `action`. An action without a row is allowed to no one.
pub fn allows(principal: &Principal, action: Action) -> bool {
    let Some(cap) = row(action) else {
        return false;
    };
    match principal.caller() {
        Caller::Operator => true,
        Caller::User(role) => cap.roles.contains(&role),
        Caller::Key => match cap.key {
            KeyRule::Never => false,
            KeyRule::Scope(scope) => principal.scopes.contains(&scope),
        },
        Caller::Nobody => false,
    }
}

/// Refuse unless `principal` may do `action`.
///
/// # Errors
/// `Forbidden` saying what is missing: the key's scope, or the role's capability.
pub fn authorize(principal: &Principal, action: Action) -> Result<(), AppError> {
    if allows(principal, action) {
        return Ok(());
    }
    let Some(cap) = row(action) else {
        return Err(AppError::Forbidden("this is not allowed".to_owned()));
    };
    Err(AppError::Forbidden(match (principal.caller(), cap.key) {
        (Caller::Key, KeyRule::Scope(scope)) => format!("this API key lacks the `{scope}` scope"),
        (Caller::Key, KeyRule::Never) => format!("an API key cannot {}", cap.doing),
        _ => format!("the {} role cannot {}", principal.label, cap.doing),
    }))
}

/// Whether `principal` may reveal fields of `class` (those it sees masked; a class it sees
/// in full needs no reveal, and one it may not see at all cannot be revealed).
pub fn may_reveal(principal: &Principal, class: Sensitivity) -> bool {
    match class {
        Sensitivity::Contact => allows(principal, Action::RevealContact),
        Sensitivity::Sensitive => allows(principal, Action::RevealSensitive),
        Sensitivity::Public | Sensitivity::Financial => false,
    }
}

/// The customers whose rows a caller sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rows {
    /// Every customer.
    All,
    /// Only the customers this user owns (sales).
    OwnedBy(Uuid),
}

impl Rows {
    /// The owner the caller is confined to, if any.
    pub fn owner(self) -> Option<Uuid> {
        match self {
            Self::All => None,
            Self::OwnedBy(owner) => Some(owner),
        }
    }
}

/// Row visibility: sales users see and change only the customers they own; everyone else
/// (other roles, keys, the operator) sees all. A principal made only to render sees none.
pub fn rows(principal: &Principal) -> Rows {
    match principal.caller() {
        Caller::User(Role::Sales) => Rows::OwnedBy(principal.user_id.unwrap_or_default()),
        Caller::Nobody => Rows::OwnedBy(Uuid::nil()),
        Caller::User(_) | Caller::Key | Caller::Operator => Rows::All,
    }
}

/// The capability matrix as the README prints it: one line per action, a column per role
/// and one for API keys.
pub fn matrix() -> String {
    let mut out = String::from(
        "| action | admin | manager | sales | support | analyst | API key |\n\
         |---|---|---|---|---|---|---|\n",
    );
    for cap in TABLE {
        out.push_str("| ");
        out.push_str(cap.name);
        for role in [Admin, Manager, Sales, Support, Analyst] {
            out.push_str(if cap.roles.contains(&role) {
                " | yes"
            } else {
                " | —"
            });
        }
        match cap.key {
            KeyRule::Never => out.push_str(" | — |\n"),
            KeyRule::Scope(scope) => out.push_str(&format!(" | `{scope}` |\n")),
        }
    }
    let rows = |role| match rows(&Principal::user(Uuid::nil(), role)) {
        Rows::All => "all",
        Rows::OwnedBy(_) => "own",
    };
    out.push_str(&format!(
        "| rows seen | {} | {} | {} | {} | {} | all |\n",
        rows(Admin),
        rows(Manager),
        rows(Sales),
        rows(Support),
        rows(Analyst)
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_exactly_one_row() {
        for cap in TABLE {
            assert_eq!(
                TABLE.iter().filter(|c| c.action == cap.action).count(),
                1,
                "{:?}",
                cap.action
            );
            assert!(row(cap.action).is_some_and(|r| std::ptr::eq(r, cap)));
        }
    }

    #[test]
    fn the_readme_prints_the_capability_matrix() {
        let matrix = matrix();
        println!("{matrix}");
        let readme = include_str!("../../README.md");
        assert!(
            readme.contains(&matrix),
            "README.md's capability matrix differs from policy::capability::TABLE; it should read:\n{matrix}"
        );
    }

    #[test]
    fn a_render_only_principal_may_do_nothing_and_sees_no_rows() {
        let nobody = Principal::with_clearances("render", [super::super::Clearance::Full; 4]);
        for cap in TABLE {
            assert!(!allows(&nobody, cap.action), "{:?}", cap.action);
        }
        assert_eq!(rows(&nobody), Rows::OwnedBy(Uuid::nil()));
        let operator = Principal::operator();
        assert!(TABLE.iter().all(|c| allows(&operator, c.action)));
    }
}
