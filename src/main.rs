//! The `dossier` command: serve the API, migrate, print the contracts.

use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use dossier::auth::Principal;
use dossier::config::Settings;
use dossier::state::AppState;
use dossier::{demo, graphql, rest, service, startup, telemetry};

/// Dossier: a headless customer-information API (REST + GraphQL).
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API on DOSSIER_BIND (default 127.0.0.1:8080) over DATABASE_URL.
    Serve {
        /// Load the demo data set into an empty database first.
        #[arg(long)]
        demo: bool,
    },
    /// Bring the database schema up to date and exit.
    Migrate,
    /// Print the OpenAPI document.
    Openapi,
    /// Print the GraphQL schema (SDL).
    GraphqlSchema,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Openapi => println!("{}", rest::openapi::document()),
        Command::GraphqlSchema => print!("{}", graphql::sdl()),
        Command::Migrate => {
            telemetry::init();
            let settings = Settings::from_env()?;
            startup::connect(&settings).await?;
            tracing::info!(database = %startup::redact(&settings.database_url), "database is up to date");
        }
        Command::Serve { demo } => {
            telemetry::init();
            let settings = Settings::from_env()?;
            if demo {
                load_demo(&settings).await?;
            }
            let app = startup::Application::build(settings.clone()).await?;
            tracing::info!(
                address = %settings.bind, database = %startup::redact(&settings.database_url),
                "Dossier is listening: REST /api/v1, GraphQL /graphql, docs /docs"
            );
            app.run_until_stopped().await?;
            tracing::info!("stopped");
        }
    }
    Ok(())
}

/// Load the demo data set once: only into a database without customers.
async fn load_demo(settings: &Settings) -> anyhow::Result<()> {
    let db = startup::connect(settings).await?;
    let state = AppState {
        db,
        settings: Arc::new(settings.clone()),
    };
    let operator = Principal::operator();
    let existing = service::customers::count(&state, &operator, &Default::default()).await?;
    if existing > 0 {
        tracing::info!(
            customers = existing,
            "database already has customers; demo data not loaded"
        );
        return Ok(());
    }
    for field in demo::demo_custom_fields() {
        service::custom_fields::create(&state, &operator, field).await?;
    }
    let customers = demo::demo_customers(300, 2026);
    let total = customers.len();
    for doc in customers {
        service::customers::create(&state, &operator, doc).await?;
    }
    tracing::info!(customers = total, "demo data loaded");
    Ok(())
}
