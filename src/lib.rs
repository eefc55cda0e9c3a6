//! Dossier: a headless customer-information API.
//!
//! Layers, outside in:
//! - `rest` and `graphql` are thin adapters: parse the request, call a service with the
//!   caller's `policy::Principal` (built by `auth`), shape the response. They share every
//!   rule and never decide who may do what.
//! - `jobs` is the background work of a server instance, on a timer, through the services.
//! - `service` holds the use cases and is the only code that talks to the database
//!   (`entity` tables, `migration` schema); every entry point asks the policy first.
//! - `policy` is the one authority: the capability table, row visibility, and how every
//!   value looks to its caller (sensitivity classes, clearances, masks).
//! - `domain` holds value types that parse (e-mail, phone, credit code, enums).
//! - `types` holds the wire types both APIs expose.
//! - `config`, `startup`, `telemetry` set the process up; `demo` generates the demo data set.

pub mod analytics;
pub mod auth;
pub mod clock;
pub mod config;
pub mod demo;
pub mod domain;
pub mod error;
pub mod graphql;
pub mod jobs;
pub mod metrics;
pub mod policy;
pub mod rest;
pub mod service;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod types;
