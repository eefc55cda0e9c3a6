//! The `customers` table: the descriptive part of the customer aggregate.

use sea_orm::entity::prelude::*;

/// One customer, individual or organization, with its profile columns side by side.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "customers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kind: String,
    pub display_name: String,
    /// Lower-cased display name, kept for case-insensitive search and sorting.
    pub search_name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub addr_country: Option<String>,
    pub addr_province: Option<String>,
    pub addr_city: Option<String>,
    pub addr_district: Option<String>,
    pub addr_street: Option<String>,
    pub addr_postcode: Option<String>,
    /// JSON array of tags; `customer_tags` mirrors it for filtering.
    pub tags: Json,
    pub source: String,
    pub status: String,
    pub notes: Option<String>,
    pub owner_id: Option<Uuid>,
    // individual profile
    pub family_name: Option<String>,
    pub given_name: Option<String>,
    pub gender: Option<String>,
    pub birthday: Option<Date>,
    pub occupation: Option<String>,
    pub employer: Option<String>,
    pub job_title: Option<String>,
    /// Decimal as its canonical string, exact on every backend.
    pub annual_income: Option<String>,
    pub education: Option<String>,
    pub marital_status: Option<String>,
    pub family_notes: Option<String>,
    pub hobbies: Option<Json>,
    pub social: Option<Json>,
    pub id_number: Option<String>,
    pub health: Option<String>,
    pub religion: Option<String>,
    pub political_affiliation: Option<String>,
    pub precise_location: Option<String>,
    // organization profile
    pub legal_name: Option<String>,
    pub credit_code: Option<String>,
    pub industry: Option<String>,
    pub employee_count: Option<i64>,
    pub registered_capital: Option<String>,
    pub founded_on: Option<Date>,
    pub website: Option<String>,
    pub business_scope: Option<String>,
    pub credit_rating: Option<String>,
    pub credit_limit: Option<String>,
    pub payment_terms_days: Option<i32>,
    /// Custom-field values keyed by definition key.
    pub custom: Json,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
    /// Set when this customer was merged into another (and soft-deleted).
    pub merged_into: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::customer_tag::Entity")]
    Tags,
}

impl Related<super::customer_tag::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Tags.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
