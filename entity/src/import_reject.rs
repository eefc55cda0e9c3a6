//! The `import_rejects` table.

use sea_orm::entity::prelude::*;

/// One broken rule of one rejected row of an import.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "import_rejects")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub job_id: Uuid,
    /// Line of the file where the record starts (the header is line 1).
    pub row: i64,
    pub field: String,
    pub rule: String,
    pub message: String,
    /// The offending value, masked for the importing caller's clearance.
    pub value: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
