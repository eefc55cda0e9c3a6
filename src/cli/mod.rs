//! The `dossier` command line: its commands and arguments, and one file per area.

mod accounts;
mod data;
mod output;
mod scores;
mod serve;

use clap::{Parser, Subcommand};
use dossier::config::Settings;
use dossier::state::AppState;
use dossier::{graphql, rest, startup};

/// Dossier: a headless customer-information API (REST + GraphQL).
#[derive(Parser)]
#[command(version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Serve the API on DOSSIER_BIND (default 127.0.0.1:8080) over DATABASE_URL.
    Serve {
        /// Load the demo data set into an empty database first, create one user per role
        /// and print their logins. Without DOSSIER_JWT_SECRET, a random one is used.
        #[arg(long)]
        demo: bool,
    },
    /// Bring the database schema up to date and exit.
    Migrate,
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage API keys for integrations.
    Apikey {
        #[command(subcommand)]
        command: ApikeyCommand,
    },
    /// Maintain the per-customer purchase aggregates.
    Stats {
        #[command(subcommand)]
        command: StatsCommand,
    },
    /// Fit and inspect the churn and spend models behind the scores.
    Scores {
        #[command(subcommand)]
        command: ScoresCommand,
    },
    /// Write customers (all live ones, or a segment's members) with their scores to standard
    /// output as CSV or NDJSON, in full (the operator's export), a page at a time.
    Export {
        #[command(subcommand)]
        what: ExportCommand,
    },
    /// Import customers, orders, interactions or surveys from a CSV (with a header line) or
    /// NDJSON file. Every row is checked like an API write; valid rows are written in batches,
    /// bad ones reported. Re-running the file does not duplicate (external ids, order numbers).
    Import(ImportArgs),
    /// Re-standardise customers written before the current rules (names, e-mails, phones,
    /// provinces and cities); changes are audited, refused customers listed.
    Standardise {
        /// Report what would change and write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Print the OpenAPI document.
    Openapi,
    /// Print the GraphQL schema (SDL).
    GraphqlSchema,
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create a user. The password comes from --password or, if absent, standard input.
    Create {
        #[arg(long)]
        email: String,
        /// admin, manager, sales, support or analyst.
        #[arg(long)]
        role: String,
        /// Display name (default: the e-mail address).
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        password: Option<String>,
    },
    /// List every user: id, e-mail, display name, role, active, created.
    List {
        /// Print the users as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Set a user's password (12-128 characters) and sign them out everywhere: their
    /// refresh tokens are revoked and their access tokens stop working. The password comes
    /// from --password or, if absent, standard input.
    SetPassword {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: Option<String>,
    },
    /// Deactivate a user: they can no longer sign in and their sessions end at once.
    Deactivate {
        #[arg(long)]
        email: String,
    },
}

#[derive(Subcommand)]
pub enum StatsCommand {
    /// Recompute every customer's aggregates from the orders (after a bulk load or restore).
    Rebuild,
}

#[derive(Subcommand)]
pub enum ExportCommand {
    /// Every live customer, optionally of one city or tag.
    Customers {
        /// `csv` or `ndjson`.
        #[arg(long, default_value = "csv")]
        format: String,
        #[arg(long)]
        city: Option<String>,
        #[arg(long)]
        tag: Option<String>,
    },
    /// A segment's members.
    Segment {
        id: uuid::Uuid,
        /// `csv` or `ndjson`.
        #[arg(long, default_value = "csv")]
        format: String,
    },
}

#[derive(Subcommand)]
pub enum ScoresCommand {
    /// Fit BG/NBD and Gamma-Gamma on the orders up to the end of a date (default today),
    /// store the result and refresh the score snapshot; with too little data, say so (scores
    /// then use the RFM rules).
    Fit {
        /// YYYY-MM-DD; default today (UTC).
        #[arg(long)]
        as_of: Option<chrono::NaiveDate>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Recompute every customer's scores into the snapshot segment filters read.
    Snapshot,
    /// Fit on the orders up to --calibration-end and compare predicted with actual purchases
    /// per customer up to --holdout-end: totals, mean absolute error, and a table by number
    /// of calibration purchases.
    Validate {
        #[arg(long)]
        calibration_end: chrono::NaiveDate,
        #[arg(long)]
        holdout_end: chrono::NaiveDate,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum ApikeyCommand {
    /// Create a key and print it (the only time it is shown).
    Create {
        #[arg(long)]
        name: String,
        /// customers:read, customers:write, pii:contact, pii:financial, pii:sensitive.
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
        /// Expire after this many days (1-365); default: never.
        #[arg(long)]
        expires_in_days: Option<i64>,
    },
    /// List every key, newest first: id, name, scopes, prefix, created, expires, revoked
    /// (never the secret).
    List {
        /// Print the keys as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a key; it stops working with the next request.
    Revoke {
        /// The key's id (from `dossier apikey list`).
        id: uuid::Uuid,
    },
}

/// What to import and how.
#[derive(clap::Args)]
pub struct ImportArgs {
    /// customers, orders, interactions or surveys.
    #[arg(required_unless_present = "resume")]
    pub kind: Option<String>,
    /// The file.
    #[arg(required_unless_present = "resume")]
    pub file: Option<std::path::PathBuf>,
    /// csv or ndjson (default: from the file's extension, else csv).
    #[arg(long)]
    pub format: Option<String>,
    /// The system the file comes from; external ids are matched within it.
    #[arg(long, default_value = "import")]
    pub source: String,
    /// Check every row and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// A JSON file mapping column names to fields: {"客户名": "display_name", "无用列": null}.
    #[arg(long)]
    pub mapping: Option<std::path::PathBuf>,
    /// Write every reject (row, field, rule, message, value) to this CSV file.
    #[arg(long)]
    pub rejects: Option<std::path::PathBuf>,
    /// Resume a stopped import (its id) after its last committed batch.
    #[arg(long, conflicts_with_all = ["kind", "file", "format", "dry_run", "mapping"])]
    pub resume: Option<uuid::Uuid>,
    /// Print the job as JSON at the end.
    #[arg(long)]
    pub json: bool,
}

/// Run one command.
///
/// # Errors
/// Whatever the command met, with its causes.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Openapi => println!("{}", rest::openapi::document()),
        Command::GraphqlSchema => print!("{}", graphql::sdl()),
        Command::Migrate => serve::migrate().await?,
        Command::Serve { demo } => serve::serve(demo).await?,
        Command::Export { what } => data::export(what).await?,
        Command::Import(args) => data::import(args).await?,
        Command::Standardise { dry_run } => data::standardise(dry_run).await?,
        Command::Stats {
            command: StatsCommand::Rebuild,
        } => data::rebuild_stats().await?,
        Command::Scores { command } => match command {
            ScoresCommand::Fit { as_of, json } => scores::fit(as_of, json).await?,
            ScoresCommand::Snapshot => scores::snapshot().await?,
            ScoresCommand::Validate {
                calibration_end,
                holdout_end,
                json,
            } => scores::validate(calibration_end, holdout_end, json).await?,
        },
        Command::User { command } => match command {
            UserCommand::Create {
                email,
                role,
                name,
                password,
            } => accounts::create_user(email, role, name, password).await?,
            UserCommand::List { json } => accounts::list_users(json).await?,
            UserCommand::SetPassword { email, password } => {
                accounts::set_password(email, password).await?;
            }
            UserCommand::Deactivate { email } => accounts::deactivate(email).await?,
        },
        Command::Apikey { command } => match command {
            ApikeyCommand::Create {
                name,
                scopes,
                expires_in_days,
            } => accounts::create_key(name, scopes, expires_in_days).await?,
            ApikeyCommand::List { json } => accounts::list_keys(json).await?,
            ApikeyCommand::Revoke { id } => accounts::revoke_key(id).await?,
        },
    }
    Ok(())
}

/// The application state for an operator command over DATABASE_URL (migrated first). No
/// token is signed; without DOSSIER_JWT_SECRET any secret will do.
pub(crate) async fn operator_state() -> anyhow::Result<AppState> {
    let mut settings = operator_settings()?;
    settings.jwt_secret.get_or_insert_with(random_secret);
    AppState::new(startup::connect(&settings).await?, settings)
}

/// A random signing secret for commands that sign no token.
pub(crate) fn random_secret() -> secrecy::SecretString {
    use base64::Engine;
    let bytes: [u8; 48] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(bytes)
        .into()
}

/// Settings for an operator command: those of the environment, without the per-statement
/// limit that protects a serving instance (an import, a fit or a rebuild may run long
/// statements on purpose).
pub(crate) fn operator_settings() -> anyhow::Result<Settings> {
    let mut settings = Settings::from_env()?;
    settings.timeouts.statement = None;
    Ok(settings)
}
