//! Black-box tests of Dossier over real HTTP, each on a fresh database: SQLite by default,
//! PostgreSQL when `DOSSIER_TEST_POSTGRES_URL` names a server (`postgres://…/postgres`).

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod support;

mod activity;
mod admin;
mod alerts;
mod api_keys;
mod audit;
mod auth;
mod bad_input;
mod budgets;
mod capabilities;
mod concurrency;
mod contract;
mod custom_fields;
mod customers_graphql;
mod customers_list;
mod customers_rest;
mod demo;
mod derived;
mod expand;
mod graphql_cost;
mod hardening;
mod idempotency;
mod imports;
mod money;
mod nodes;
mod ops;
mod orders;
mod ownership;
mod pagination;
mod parity;
mod privacy;
mod quality;
mod ratelimit;
mod records_graphql;
mod scalars;
mod scores;
mod segments;
mod shedding;
mod signin;
mod stored;
mod timeouts;
mod validation;
