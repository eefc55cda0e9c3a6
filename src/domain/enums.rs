//! Closed sets of values, spelled `snake_case` in REST and `SCREAMING_CASE` in GraphQL.

use serde::{Deserialize, Serialize};

/// Declares a closed enum with its wire names and parsing in one place.
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize,
                 utoipa::ToSchema, async_graphql::Enum)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored and REST spelling.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }

            /// Parse the stored and REST spelling.
            pub fn parse(raw: &str) -> Option<Self> {
                match raw { $($wire => Some($name::$variant),)+ _ => None }
            }

            /// The allowed spellings, for error messages.
            pub fn expected() -> String {
                [$($wire),+].join(", ")
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

wire_enum! {
    /// Whether a customer is a person or an organization.
    CustomerKind { Individual => "individual", Organization => "organization" }
}

wire_enum! {
    /// Where a customer came from.
    CustomerSource {
        Web => "web", Referral => "referral", Event => "event", CallCentre => "call_centre",
        Partner => "partner", Store => "store", Import => "import", Other => "other",
    }
}

wire_enum! {
    /// Whether the business currently deals with the customer.
    CustomerStatus { Active => "active", Inactive => "inactive", Blocked => "blocked" }
}

wire_enum! {
    /// Gender as the customer states it.
    Gender { Male => "male", Female => "female", Other => "other", Undisclosed => "undisclosed" }
}

wire_enum! {
    /// Marital status.
    MaritalStatus {
        Single => "single", Married => "married", Divorced => "divorced",
        Widowed => "widowed", Other => "other",
    }
}

wire_enum! {
    /// Value type of a custom field.
    CustomFieldType {
        Text => "text", Number => "number", Decimal => "decimal", Date => "date",
        Bool => "bool", Enum => "enum", MultiEnum => "multi_enum",
    }
}

wire_enum! {
    /// Which kinds of customer a custom field applies to.
    AppliesTo { All => "all", Individual => "individual", Organization => "organization" }
}

wire_enum! {
    /// How private a field is; the policy decides who sees each class in full.
    Sensitivity {
        /// Anyone with access to the customer may read it.
        Public => "public",
        /// Contact details: phone, e-mail, address, social accounts.
        Contact => "contact",
        /// Money: income, capital, credit.
        Financial => "financial",
        /// PIPL sensitive personal information: ID number, health, religion, politics, location.
        Sensitive => "sensitive",
    }
}

wire_enum! {
    /// Sort direction.
    SortDirection { Asc => "asc", Desc => "desc" }
}

wire_enum! {
    /// Fields a customer list can be sorted by.
    CustomerSortField { CreatedAt => "created_at", UpdatedAt => "updated_at", DisplayName => "display_name" }
}

impl CustomerSource {
    /// The default when a customer is created without a source.
    pub const DEFAULT: Self = Self::Other;
}

impl CustomerStatus {
    /// The default when a customer is created without a status.
    pub const DEFAULT: Self = Self::Active;
}

impl AppliesTo {
    /// Whether a field with this scope may be set on a customer of `kind`.
    pub fn admits(self, kind: CustomerKind) -> bool {
        matches!(
            (self, kind),
            (Self::All, _)
                | (Self::Individual, CustomerKind::Individual)
                | (Self::Organization, CustomerKind::Organization)
        )
    }
}

wire_enum! {
    /// What a user may do and see (DESIGN §3).
    Role {
        Admin => "admin", Manager => "manager", Sales => "sales",
        Support => "support", Analyst => "analyst",
    }
}

wire_enum! {
    /// What an API key may do: read or write customers, and which private classes it sees.
    Scope {
        #[serde(rename = "customers:read")] CustomersRead => "customers:read",
        #[serde(rename = "customers:write")] CustomersWrite => "customers:write",
        #[serde(rename = "pii:contact")] PiiContact => "pii:contact",
        #[serde(rename = "pii:financial")] PiiFinancial => "pii:financial",
        #[serde(rename = "pii:sensitive")] PiiSensitive => "pii:sensitive",
    }
}
