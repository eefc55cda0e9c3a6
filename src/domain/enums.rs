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

wire_enum! {
    /// Where an order was placed.
    OrderChannel {
        Online => "online", Store => "store", Agent => "agent", Phone => "phone",
        Wechat => "wechat", Other => "other",
    }
}

wire_enum! {
    /// Where an order stands. Cancelled and refunded orders never count as purchases.
    OrderStatus {
        Pending => "pending", Paid => "paid", Shipped => "shipped", Completed => "completed",
        Cancelled => "cancelled", Refunded => "refunded",
    }
}

impl OrderStatus {
    /// Whether an order in this status counts as a purchase (aggregates, analytics).
    pub fn counts_as_purchase(self) -> bool {
        !matches!(self, Self::Cancelled | Self::Refunded)
    }

    /// The statuses an order in this status may move to: forward only; cancelled and
    /// refunded are final.
    pub fn next(self) -> &'static [OrderStatus] {
        use OrderStatus::{Cancelled, Completed, Paid, Pending, Refunded, Shipped};
        match self {
            Pending => &[Paid, Shipped, Completed, Cancelled],
            Paid => &[Shipped, Completed, Cancelled, Refunded],
            Shipped => &[Completed, Cancelled, Refunded],
            Completed => &[Refunded],
            Cancelled | Refunded => &[],
        }
    }
}

wire_enum! {
    /// How the business and the customer interacted.
    InteractionKind {
        Call => "call", Email => "email", Meeting => "meeting", Visit => "visit",
        Social => "social", Chat => "chat", Sms => "sms", Other => "other",
    }
}

wire_enum! {
    /// Who started an interaction.
    InteractionDirection { Inbound => "inbound", Outbound => "outbound" }
}

wire_enum! {
    /// A channel the business may contact a customer on; consent is kept per channel.
    ContactChannel {
        Email => "email", Sms => "sms", Phone => "phone", Wechat => "wechat", Post => "post",
    }
}

wire_enum! {
    /// When a customer prefers to be contacted.
    PreferredTime {
        Morning => "morning", Afternoon => "afternoon", Evening => "evening",
        Weekend => "weekend", Anytime => "anytime",
    }
}

wire_enum! {
    /// Where a survey was answered.
    SurveyChannel {
        Email => "email", Sms => "sms", Phone => "phone", Wechat => "wechat", Web => "web",
        App => "app", Store => "store", Other => "other",
    }
}

wire_enum! {
    /// What a complaint is about.
    ComplaintCategory {
        Product => "product", Service => "service", Delivery => "delivery",
        Billing => "billing", Privacy => "privacy", Other => "other",
    }
}

wire_enum! {
    /// How serious a complaint is; decides its SLA.
    ComplaintSeverity { Low => "low", Medium => "medium", High => "high", Critical => "critical" }
}

impl ComplaintSeverity {
    /// Time allowed from opening to resolution: critical 4 h, high 24 h, medium 72 h, low 7 days.
    pub fn sla(self) -> chrono::Duration {
        chrono::Duration::hours(match self {
            Self::Critical => 4,
            Self::High => 24,
            Self::Medium => 72,
            Self::Low => 168,
        })
    }
}

wire_enum! {
    /// The complaint workflow: open → acknowledged → in_progress → resolved → closed, and
    /// back to open from resolved or closed.
    ComplaintStatus {
        Open => "open", Acknowledged => "acknowledged", InProgress => "in_progress",
        Resolved => "resolved", Closed => "closed",
    }
}

impl ComplaintStatus {
    /// The statuses a complaint in this status may move to.
    pub fn next(self) -> &'static [ComplaintStatus] {
        match self {
            Self::Open => &[Self::Acknowledged],
            Self::Acknowledged => &[Self::InProgress],
            Self::InProgress => &[Self::Resolved],
            Self::Resolved => &[Self::Closed, Self::Open],
            Self::Closed => &[Self::Open],
        }
    }

    /// Whether the complaint still waits for a resolution.
    pub fn is_unresolved(self) -> bool {
        matches!(self, Self::Open | Self::Acknowledged | Self::InProgress)
    }
}

wire_enum! {
    /// How one customer relates to another. Stored from the first customer's side:
    /// `parent_of` reads as `child_of` from the child; `spouse_of` and `partner_of` are
    /// symmetric; `key_person_of` and `employee_of` link a person to an organization.
    RelationshipKind {
        KeyPersonOf => "key_person_of", EmployeeOf => "employee_of", SpouseOf => "spouse_of",
        ParentOf => "parent_of", ChildOf => "child_of", ReferredBy => "referred_by",
        Referred => "referred", PartnerOf => "partner_of", HasKeyPerson => "has_key_person",
        Employs => "employs",
    }
}

impl RelationshipKind {
    /// The kinds a caller may create (the others are how a link reads from its far end).
    pub const STORED: &'static [RelationshipKind] = &[
        Self::KeyPersonOf,
        Self::EmployeeOf,
        Self::SpouseOf,
        Self::ParentOf,
        Self::ReferredBy,
        Self::PartnerOf,
    ];

    /// How a link of this kind reads from its far end.
    pub fn inverse(self) -> Self {
        match self {
            Self::KeyPersonOf => Self::HasKeyPerson,
            Self::HasKeyPerson => Self::KeyPersonOf,
            Self::EmployeeOf => Self::Employs,
            Self::Employs => Self::EmployeeOf,
            Self::ParentOf => Self::ChildOf,
            Self::ChildOf => Self::ParentOf,
            Self::ReferredBy => Self::Referred,
            Self::Referred => Self::ReferredBy,
            Self::SpouseOf => Self::SpouseOf,
            Self::PartnerOf => Self::PartnerOf,
        }
    }

    /// Whether the link reads the same from both ends.
    pub fn is_symmetric(self) -> bool {
        matches!(self, Self::SpouseOf | Self::PartnerOf)
    }

    /// Whether the link joins a person (first) to an organization (second).
    pub fn is_organizational(self) -> bool {
        matches!(self, Self::KeyPersonOf | Self::EmployeeOf)
    }
}

wire_enum! {
    /// The role of a person in an organization.
    RelationshipTitle {
        LegalRepresentative => "legal_representative", Owner => "owner",
        Executive => "executive", Purchaser => "purchaser", DecisionMaker => "decision_maker",
    }
}

wire_enum! {
    /// Membership tier of the loyalty programme.
    LoyaltyTier { Basic => "basic", Silver => "silver", Gold => "gold", Platinum => "platinum" }
}

wire_enum! {
    /// A movement of loyalty points.
    PointsKind { Earn => "earn", Redeem => "redeem", Expire => "expire", Adjust => "adjust" }
}

wire_enum! {
    /// What a timeline entry records.
    TimelineKind {
        Order => "order", Interaction => "interaction", Survey => "survey",
        ComplaintEvent => "complaint_event", Consent => "consent",
    }
}

wire_enum! {
    /// The eleven RFM segments, by the recency score and the mean of the frequency and
    /// monetary scores.
    RfmSegment {
        Champions => "champions", Loyal => "loyal", PotentialLoyalist => "potential_loyalist",
        New => "new", Promising => "promising", NeedAttention => "need_attention",
        AboutToSleep => "about_to_sleep", AtRisk => "at_risk", CantLose => "cant_lose",
        Hibernating => "hibernating", Lost => "lost",
    }
}

wire_enum! {
    /// Where a customer is in their relationship with the business: from prospect (no
    /// purchase yet) and new (first purchase within 90 days) through active and loyal (5+
    /// purchases over a year or more) to at risk and churned (by churn risk, or time since
    /// the last purchase).
    LifecycleStage {
        Prospect => "prospect", New => "new", Active => "active", Loyal => "loyal",
        AtRisk => "at_risk", Churned => "churned",
    }
}

wire_enum! {
    /// How churn risk was computed: by the fitted BG/NBD model, or by the RFM rules when no
    /// model could be fitted.
    ScoreMethod { Model => "model", Rules => "rules" }
}

/// Customer grade (客户分级) by value: A is the top share of buyers.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
    async_graphql::Enum,
)]
pub enum CustomerGrade {
    A,
    B,
    C,
    D,
}

impl CustomerGrade {
    /// Every grade, best first.
    pub const ALL: &'static [CustomerGrade] = &[Self::A, Self::B, Self::C, Self::D];

    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::A => "A",
            Self::B => "B",
            Self::C => "C",
            Self::D => "D",
        }
    }

    /// Parse a grade, in either case.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|g| g.as_str().eq_ignore_ascii_case(raw.trim()))
    }
}

wire_enum! {
    /// A comparison in a segment condition.
    FilterOp {
        Eq => "eq", Ne => "ne", In => "in", NotIn => "not_in", Gt => "gt", Gte => "gte",
        Lt => "lt", Lte => "lte",
    }
}

wire_enum! {
    /// What an alert rule watches.
    AlertKind {
        OverdueReceivable => "overdue_receivable", ChurnRisk => "churn_risk",
        NoContact => "no_contact", ComplaintSla => "complaint_sla",
    }
}

wire_enum! {
    /// Where an alert is in its handling: open → acknowledged → resolved (or open →
    /// resolved); resolved is final.
    AlertStatus { Open => "open", Acknowledged => "acknowledged", Resolved => "resolved" }
}

impl AlertKind {
    /// The class of data an alert of this kind reveals: overdue receivables, churn by
    /// grade and silent high-value customers are financial; complaint SLAs are not.
    pub fn class(self) -> Sensitivity {
        match self {
            Self::ComplaintSla => Sensitivity::Public,
            _ => Sensitivity::Financial,
        }
    }
}

impl AlertStatus {
    /// The statuses an alert may move to from this one.
    pub fn next(self) -> &'static [AlertStatus] {
        match self {
            Self::Open => &[Self::Acknowledged, Self::Resolved],
            Self::Acknowledged => &[Self::Resolved],
            Self::Resolved => &[],
        }
    }
}
