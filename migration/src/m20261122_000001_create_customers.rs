//! Customers, their tags and custom-field definitions.

// `MigrationTrait` declares `&SchemaManager` with an elided lifetime; spelling it out breaks the impl.
#![allow(elided_lifetimes_in_paths)]

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
    Kind,
    DisplayName,
    SearchName,
    Phone,
    Email,
    AddrCountry,
    AddrProvince,
    AddrCity,
    AddrDistrict,
    AddrStreet,
    AddrPostcode,
    Tags,
    Source,
    Status,
    Notes,
    OwnerId,
    FamilyName,
    GivenName,
    Gender,
    Birthday,
    Occupation,
    Employer,
    JobTitle,
    AnnualIncome,
    Education,
    MaritalStatus,
    FamilyNotes,
    Hobbies,
    Social,
    IdNumber,
    Health,
    Religion,
    PoliticalAffiliation,
    PreciseLocation,
    LegalName,
    CreditCode,
    Industry,
    EmployeeCount,
    RegisteredCapital,
    FoundedOn,
    Website,
    BusinessScope,
    CreditRating,
    CreditLimit,
    PaymentTermsDays,
    Custom,
    Version,
    CreatedAt,
    UpdatedAt,
    DeletedAt,
}

#[derive(DeriveIden)]
enum CustomerTags {
    Table,
    CustomerId,
    Tag,
}

#[derive(DeriveIden)]
enum CustomFieldDefinitions {
    Table,
    Id,
    Key,
    Label,
    FieldType,
    Options,
    Required,
    Sensitivity,
    AppliesTo,
    Description,
    MaxLength,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Customers::Table)
                    .col(uuid(Customers::Id).primary_key())
                    .col(string_len(Customers::Kind, 16))
                    .col(string_len(Customers::DisplayName, 200))
                    .col(string_len(Customers::SearchName, 200))
                    .col(string_len_null(Customers::Phone, 32))
                    .col(string_len_null(Customers::Email, 254))
                    .col(string_len_null(Customers::AddrCountry, 64))
                    .col(string_len_null(Customers::AddrProvince, 100))
                    .col(string_len_null(Customers::AddrCity, 100))
                    .col(string_len_null(Customers::AddrDistrict, 100))
                    .col(string_len_null(Customers::AddrStreet, 200))
                    .col(string_len_null(Customers::AddrPostcode, 20))
                    .col(json(Customers::Tags))
                    .col(string_len(Customers::Source, 32))
                    .col(string_len(Customers::Status, 16))
                    .col(text_null(Customers::Notes))
                    .col(uuid_null(Customers::OwnerId))
                    .col(string_len_null(Customers::FamilyName, 100))
                    .col(string_len_null(Customers::GivenName, 100))
                    .col(string_len_null(Customers::Gender, 16))
                    .col(date_null(Customers::Birthday))
                    .col(string_len_null(Customers::Occupation, 100))
                    .col(string_len_null(Customers::Employer, 200))
                    .col(string_len_null(Customers::JobTitle, 100))
                    .col(string_len_null(Customers::AnnualIncome, 40))
                    .col(string_len_null(Customers::Education, 100))
                    .col(string_len_null(Customers::MaritalStatus, 16))
                    .col(text_null(Customers::FamilyNotes))
                    .col(json_null(Customers::Hobbies))
                    .col(json_null(Customers::Social))
                    .col(string_len_null(Customers::IdNumber, 32))
                    .col(text_null(Customers::Health))
                    .col(string_len_null(Customers::Religion, 100))
                    .col(string_len_null(Customers::PoliticalAffiliation, 100))
                    .col(string_len_null(Customers::PreciseLocation, 200))
                    .col(string_len_null(Customers::LegalName, 200))
                    .col(string_len_null(Customers::CreditCode, 18))
                    .col(string_len_null(Customers::Industry, 100))
                    .col(big_integer_null(Customers::EmployeeCount))
                    .col(string_len_null(Customers::RegisteredCapital, 40))
                    .col(date_null(Customers::FoundedOn))
                    .col(string_len_null(Customers::Website, 500))
                    .col(text_null(Customers::BusinessScope))
                    .col(string_len_null(Customers::CreditRating, 16))
                    .col(string_len_null(Customers::CreditLimit, 40))
                    .col(integer_null(Customers::PaymentTermsDays))
                    .col(json(Customers::Custom))
                    .col(big_integer(Customers::Version))
                    .col(timestamp_with_time_zone(Customers::CreatedAt))
                    .col(timestamp_with_time_zone(Customers::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Customers::DeletedAt))
                    .to_owned(),
            )
            .await?;
        // Keyset pagination reads (sort column, id) in both directions; one index per sort.
        for (name, col) in [
            ("idx_customers_created", Customers::CreatedAt),
            ("idx_customers_updated", Customers::UpdatedAt),
            ("idx_customers_name", Customers::SearchName),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Customers::Table)
                        .col(col)
                        .col(Customers::Id)
                        .to_owned(),
                )
                .await?;
        }
        for (name, col) in [
            ("idx_customers_phone", Customers::Phone),
            ("idx_customers_email", Customers::Email),
            ("idx_customers_city", Customers::AddrCity),
            ("idx_customers_owner", Customers::OwnerId),
            ("idx_customers_credit_code", Customers::CreditCode),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Customers::Table)
                        .col(col)
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(CustomerTags::Table)
                    .col(uuid(CustomerTags::CustomerId))
                    .col(string_len(CustomerTags::Tag, 50))
                    .primary_key(
                        Index::create()
                            .col(CustomerTags::CustomerId)
                            .col(CustomerTags::Tag),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_customer_tags_customer")
                            .from(CustomerTags::Table, CustomerTags::CustomerId)
                            .to(Customers::Table, Customers::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_customer_tags_tag")
                    .table(CustomerTags::Table)
                    .col(CustomerTags::Tag)
                    .col(CustomerTags::CustomerId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CustomFieldDefinitions::Table)
                    .col(uuid(CustomFieldDefinitions::Id).primary_key())
                    .col(string_len_uniq(CustomFieldDefinitions::Key, 40))
                    .col(string_len(CustomFieldDefinitions::Label, 100))
                    .col(string_len(CustomFieldDefinitions::FieldType, 16))
                    .col(json(CustomFieldDefinitions::Options))
                    .col(boolean(CustomFieldDefinitions::Required))
                    .col(string_len(CustomFieldDefinitions::Sensitivity, 16))
                    .col(string_len(CustomFieldDefinitions::AppliesTo, 16))
                    .col(text_null(CustomFieldDefinitions::Description))
                    .col(integer_null(CustomFieldDefinitions::MaxLength))
                    .col(big_integer(CustomFieldDefinitions::Version))
                    .col(timestamp_with_time_zone(CustomFieldDefinitions::CreatedAt))
                    .col(timestamp_with_time_zone(CustomFieldDefinitions::UpdatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        // Forward-only: restore from a backup instead of dropping customer data.
        Err(DbErr::Migration(
            "Dossier migrations are forward-only".to_owned(),
        ))
    }
}
