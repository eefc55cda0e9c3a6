//! Behaviour and relations: products, orders and their lines, interactions, surveys,
//! complaints and their history, preferences, consent history, relationships between
//! customers, loyalty membership and points, and the maintained purchase aggregates.

// `MigrationTrait` declares `&SchemaManager` with an elided lifetime; spelling it out breaks the impl.
#![allow(elided_lifetimes_in_paths)]

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Products {
    Table,
    Id,
    Sku,
    Name,
    Category,
    ListPrice,
    Currency,
    Active,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
    Number,
    CustomerId,
    Channel,
    Status,
    OrderedAt,
    Currency,
    Total,
    PaidAmount,
    DueDate,
    Notes,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum OrderItems {
    Table,
    Id,
    OrderId,
    Position,
    ProductId,
    Quantity,
    UnitPrice,
    LineTotal,
}

#[derive(DeriveIden)]
enum Interactions {
    Table,
    Id,
    CustomerId,
    Kind,
    Direction,
    OccurredAt,
    DurationSeconds,
    Subject,
    Summary,
    Outcome,
    UserId,
    NextFollowUpAt,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Surveys {
    Table,
    Id,
    CustomerId,
    Csat,
    Nps,
    Comment,
    Channel,
    AnsweredAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Complaints {
    Table,
    Id,
    CustomerId,
    Category,
    Severity,
    Status,
    Subject,
    Description,
    OpenedAt,
    SlaDueAt,
    Resolution,
    Satisfaction,
    ResolvedAt,
    ClosedAt,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ComplaintEvents {
    Table,
    Id,
    ComplaintId,
    CustomerId,
    FromStatus,
    ToStatus,
    At,
    Actor,
    ActorUserId,
    Note,
}

#[derive(DeriveIden)]
enum CustomerPreferences {
    Table,
    CustomerId,
    Categories,
    PreferredChannel,
    PreferredTime,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ConsentEvents {
    Table,
    Id,
    CustomerId,
    Channel,
    Granted,
    At,
    Source,
    RecordedBy,
}

#[derive(DeriveIden)]
enum Relationships {
    Table,
    Id,
    FromId,
    ToId,
    Kind,
    Title,
    Note,
    CreatedAt,
}

#[derive(DeriveIden)]
enum LoyaltyAccounts {
    Table,
    CustomerId,
    Tier,
    JoinedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PointsLedger {
    Table,
    Id,
    CustomerId,
    Kind,
    Points,
    BalanceAfter,
    At,
    Reason,
    OrderId,
    Actor,
}

#[derive(DeriveIden)]
enum CustomerStats {
    Table,
    CustomerId,
    OrderCount,
    MonetaryTotal,
    Outstanding,
    FirstOrderAt,
    LastOrderAt,
    UpdatedAt,
}

/// A foreign key from `table.column` to `customers.id`.
fn to_customer(
    name: &str,
    table: impl IntoIden,
    column: impl IntoIden,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(table, column)
        .to(Customers::Table, Customers::Id)
        .to_owned()
}

async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden,
    columns: Vec<DynIden>,
    unique: bool,
) -> Result<(), DbErr> {
    let mut index = Index::create();
    index.name(name).table(table);
    for column in columns {
        index.col(column);
    }
    if unique {
        index.unique();
    }
    manager.create_index(index.to_owned()).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Products::Table)
                    .col(uuid(Products::Id).primary_key())
                    .col(string_len(Products::Sku, 64).unique_key())
                    .col(string_len(Products::Name, 200))
                    .col(string_len_null(Products::Category, 100))
                    .col(string_len(Products::ListPrice, 40))
                    .col(string_len(Products::Currency, 3))
                    .col(boolean(Products::Active))
                    .col(big_integer(Products::Version))
                    .col(timestamp_with_time_zone(Products::CreatedAt))
                    .col(timestamp_with_time_zone(Products::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_products_category",
            Products::Table,
            vec![Products::Category.into_iden(), Products::Id.into_iden()],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Orders::Table)
                    .col(uuid(Orders::Id).primary_key())
                    .col(string_len(Orders::Number, 64).unique_key())
                    .col(uuid(Orders::CustomerId))
                    .col(string_len(Orders::Channel, 16))
                    .col(string_len(Orders::Status, 16))
                    .col(timestamp_with_time_zone(Orders::OrderedAt))
                    .col(string_len(Orders::Currency, 3))
                    .col(string_len(Orders::Total, 40))
                    .col(string_len(Orders::PaidAmount, 40))
                    .col(date_null(Orders::DueDate))
                    .col(text_null(Orders::Notes))
                    .col(big_integer(Orders::Version))
                    .col(timestamp_with_time_zone(Orders::CreatedAt))
                    .col(timestamp_with_time_zone(Orders::UpdatedAt))
                    .foreign_key(&mut to_customer(
                        "fk_orders_customer",
                        Orders::Table,
                        Orders::CustomerId,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_orders_customer",
            Orders::Table,
            vec![
                Orders::CustomerId.into_iden(),
                Orders::OrderedAt.into_iden(),
                Orders::Id.into_iden(),
            ],
            false,
        )
        .await?;
        index(
            manager,
            "idx_orders_ordered_at",
            Orders::Table,
            vec![Orders::OrderedAt.into_iden(), Orders::Id.into_iden()],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(OrderItems::Table)
                    .col(uuid(OrderItems::Id).primary_key())
                    .col(uuid(OrderItems::OrderId))
                    .col(integer(OrderItems::Position))
                    .col(uuid(OrderItems::ProductId))
                    .col(big_integer(OrderItems::Quantity))
                    .col(string_len(OrderItems::UnitPrice, 40))
                    .col(string_len(OrderItems::LineTotal, 40))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_order_items_order")
                            .from(OrderItems::Table, OrderItems::OrderId)
                            .to(Orders::Table, Orders::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_order_items_product")
                            .from(OrderItems::Table, OrderItems::ProductId)
                            .to(Products::Table, Products::Id),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_order_items_order",
            OrderItems::Table,
            vec![
                OrderItems::OrderId.into_iden(),
                OrderItems::Position.into_iden(),
            ],
            false,
        )
        .await?;
        index(
            manager,
            "idx_order_items_product",
            OrderItems::Table,
            vec![OrderItems::ProductId.into_iden()],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Interactions::Table)
                    .col(uuid(Interactions::Id).primary_key())
                    .col(uuid(Interactions::CustomerId))
                    .col(string_len(Interactions::Kind, 16))
                    .col(string_len(Interactions::Direction, 16))
                    .col(timestamp_with_time_zone(Interactions::OccurredAt))
                    .col(big_integer_null(Interactions::DurationSeconds))
                    .col(string_len_null(Interactions::Subject, 200))
                    .col(text_null(Interactions::Summary))
                    .col(string_len_null(Interactions::Outcome, 200))
                    .col(uuid_null(Interactions::UserId))
                    .col(timestamp_with_time_zone_null(Interactions::NextFollowUpAt))
                    .col(big_integer(Interactions::Version))
                    .col(timestamp_with_time_zone(Interactions::CreatedAt))
                    .col(timestamp_with_time_zone(Interactions::UpdatedAt))
                    .foreign_key(&mut to_customer(
                        "fk_interactions_customer",
                        Interactions::Table,
                        Interactions::CustomerId,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_interactions_customer",
            Interactions::Table,
            vec![
                Interactions::CustomerId.into_iden(),
                Interactions::OccurredAt.into_iden(),
                Interactions::Id.into_iden(),
            ],
            false,
        )
        .await?;
        index(
            manager,
            "idx_interactions_occurred_at",
            Interactions::Table,
            vec![
                Interactions::OccurredAt.into_iden(),
                Interactions::Id.into_iden(),
            ],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Surveys::Table)
                    .col(uuid(Surveys::Id).primary_key())
                    .col(uuid(Surveys::CustomerId))
                    .col(integer_null(Surveys::Csat))
                    .col(integer_null(Surveys::Nps))
                    .col(text_null(Surveys::Comment))
                    .col(string_len_null(Surveys::Channel, 16))
                    .col(timestamp_with_time_zone(Surveys::AnsweredAt))
                    .col(timestamp_with_time_zone(Surveys::CreatedAt))
                    .foreign_key(&mut to_customer(
                        "fk_surveys_customer",
                        Surveys::Table,
                        Surveys::CustomerId,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_surveys_customer",
            Surveys::Table,
            vec![
                Surveys::CustomerId.into_iden(),
                Surveys::AnsweredAt.into_iden(),
                Surveys::Id.into_iden(),
            ],
            false,
        )
        .await?;
        index(
            manager,
            "idx_surveys_answered_at",
            Surveys::Table,
            vec![Surveys::AnsweredAt.into_iden(), Surveys::Id.into_iden()],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Complaints::Table)
                    .col(uuid(Complaints::Id).primary_key())
                    .col(uuid(Complaints::CustomerId))
                    .col(string_len(Complaints::Category, 16))
                    .col(string_len(Complaints::Severity, 16))
                    .col(string_len(Complaints::Status, 16))
                    .col(string_len(Complaints::Subject, 200))
                    .col(text_null(Complaints::Description))
                    .col(timestamp_with_time_zone(Complaints::OpenedAt))
                    .col(timestamp_with_time_zone(Complaints::SlaDueAt))
                    .col(text_null(Complaints::Resolution))
                    .col(integer_null(Complaints::Satisfaction))
                    .col(timestamp_with_time_zone_null(Complaints::ResolvedAt))
                    .col(timestamp_with_time_zone_null(Complaints::ClosedAt))
                    .col(big_integer(Complaints::Version))
                    .col(timestamp_with_time_zone(Complaints::CreatedAt))
                    .col(timestamp_with_time_zone(Complaints::UpdatedAt))
                    .foreign_key(&mut to_customer(
                        "fk_complaints_customer",
                        Complaints::Table,
                        Complaints::CustomerId,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_complaints_customer",
            Complaints::Table,
            vec![
                Complaints::CustomerId.into_iden(),
                Complaints::OpenedAt.into_iden(),
                Complaints::Id.into_iden(),
            ],
            false,
        )
        .await?;
        index(
            manager,
            "idx_complaints_status",
            Complaints::Table,
            vec![
                Complaints::Status.into_iden(),
                Complaints::SlaDueAt.into_iden(),
            ],
            false,
        )
        .await?;
        index(
            manager,
            "idx_complaints_opened_at",
            Complaints::Table,
            vec![Complaints::OpenedAt.into_iden(), Complaints::Id.into_iden()],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(ComplaintEvents::Table)
                    .col(uuid(ComplaintEvents::Id).primary_key())
                    .col(uuid(ComplaintEvents::ComplaintId))
                    .col(uuid(ComplaintEvents::CustomerId))
                    .col(string_len_null(ComplaintEvents::FromStatus, 16))
                    .col(string_len(ComplaintEvents::ToStatus, 16))
                    .col(timestamp_with_time_zone(ComplaintEvents::At))
                    .col(string_len(ComplaintEvents::Actor, 100))
                    .col(uuid_null(ComplaintEvents::ActorUserId))
                    .col(text_null(ComplaintEvents::Note))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_complaint_events_complaint")
                            .from(ComplaintEvents::Table, ComplaintEvents::ComplaintId)
                            .to(Complaints::Table, Complaints::Id),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_complaint_events_complaint",
            ComplaintEvents::Table,
            vec![
                ComplaintEvents::ComplaintId.into_iden(),
                ComplaintEvents::Id.into_iden(),
            ],
            false,
        )
        .await?;
        index(
            manager,
            "idx_complaint_events_customer",
            ComplaintEvents::Table,
            vec![
                ComplaintEvents::CustomerId.into_iden(),
                ComplaintEvents::At.into_iden(),
                ComplaintEvents::Id.into_iden(),
            ],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(CustomerPreferences::Table)
                    .col(uuid(CustomerPreferences::CustomerId).primary_key())
                    .col(json(CustomerPreferences::Categories))
                    .col(string_len_null(CustomerPreferences::PreferredChannel, 16))
                    .col(string_len_null(CustomerPreferences::PreferredTime, 16))
                    .col(timestamp_with_time_zone(CustomerPreferences::UpdatedAt))
                    .foreign_key(&mut to_customer(
                        "fk_customer_preferences_customer",
                        CustomerPreferences::Table,
                        CustomerPreferences::CustomerId,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ConsentEvents::Table)
                    .col(uuid(ConsentEvents::Id).primary_key())
                    .col(uuid(ConsentEvents::CustomerId))
                    .col(string_len(ConsentEvents::Channel, 16))
                    .col(boolean(ConsentEvents::Granted))
                    .col(timestamp_with_time_zone(ConsentEvents::At))
                    .col(string_len(ConsentEvents::Source, 100))
                    .col(string_len(ConsentEvents::RecordedBy, 100))
                    .foreign_key(&mut to_customer(
                        "fk_consent_events_customer",
                        ConsentEvents::Table,
                        ConsentEvents::CustomerId,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_consent_events_customer",
            ConsentEvents::Table,
            vec![
                ConsentEvents::CustomerId.into_iden(),
                ConsentEvents::At.into_iden(),
                ConsentEvents::Id.into_iden(),
            ],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Relationships::Table)
                    .col(uuid(Relationships::Id).primary_key())
                    .col(uuid(Relationships::FromId))
                    .col(uuid(Relationships::ToId))
                    .col(string_len(Relationships::Kind, 24))
                    .col(string_len_null(Relationships::Title, 24))
                    .col(text_null(Relationships::Note))
                    .col(timestamp_with_time_zone(Relationships::CreatedAt))
                    .foreign_key(&mut to_customer(
                        "fk_relationships_from",
                        Relationships::Table,
                        Relationships::FromId,
                    ))
                    .foreign_key(&mut to_customer(
                        "fk_relationships_to",
                        Relationships::Table,
                        Relationships::ToId,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_relationships_unique",
            Relationships::Table,
            vec![
                Relationships::FromId.into_iden(),
                Relationships::ToId.into_iden(),
                Relationships::Kind.into_iden(),
            ],
            true,
        )
        .await?;
        index(
            manager,
            "idx_relationships_to",
            Relationships::Table,
            vec![Relationships::ToId.into_iden()],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(LoyaltyAccounts::Table)
                    .col(uuid(LoyaltyAccounts::CustomerId).primary_key())
                    .col(string_len(LoyaltyAccounts::Tier, 16))
                    .col(timestamp_with_time_zone(LoyaltyAccounts::JoinedAt))
                    .col(timestamp_with_time_zone(LoyaltyAccounts::UpdatedAt))
                    .foreign_key(&mut to_customer(
                        "fk_loyalty_accounts_customer",
                        LoyaltyAccounts::Table,
                        LoyaltyAccounts::CustomerId,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PointsLedger::Table)
                    .col(uuid(PointsLedger::Id).primary_key())
                    .col(uuid(PointsLedger::CustomerId))
                    .col(string_len(PointsLedger::Kind, 8))
                    .col(big_integer(PointsLedger::Points))
                    .col(big_integer(PointsLedger::BalanceAfter))
                    .col(timestamp_with_time_zone(PointsLedger::At))
                    .col(text_null(PointsLedger::Reason))
                    .col(uuid_null(PointsLedger::OrderId))
                    .col(string_len(PointsLedger::Actor, 100))
                    .foreign_key(&mut to_customer(
                        "fk_points_ledger_customer",
                        PointsLedger::Table,
                        PointsLedger::CustomerId,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_points_ledger_customer",
            PointsLedger::Table,
            vec![
                PointsLedger::CustomerId.into_iden(),
                PointsLedger::At.into_iden(),
                PointsLedger::Id.into_iden(),
            ],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(CustomerStats::Table)
                    .col(uuid(CustomerStats::CustomerId).primary_key())
                    .col(big_integer(CustomerStats::OrderCount))
                    .col(string_len(CustomerStats::MonetaryTotal, 40))
                    .col(string_len(CustomerStats::Outstanding, 40))
                    .col(timestamp_with_time_zone_null(CustomerStats::FirstOrderAt))
                    .col(timestamp_with_time_zone_null(CustomerStats::LastOrderAt))
                    .col(timestamp_with_time_zone(CustomerStats::UpdatedAt))
                    .foreign_key(&mut to_customer(
                        "fk_customer_stats_customer",
                        CustomerStats::Table,
                        CustomerStats::CustomerId,
                    ))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
