//! Building and running the server: connect, migrate, bind, serve.

use std::net::TcpListener;
use std::time::Duration;

use actix_web::{App, HttpServer, dev::Server, middleware, web};
use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection};
use secrecy::ExposeSecret;
use utoipa_swagger_ui::SwaggerUi;

use crate::config::Settings;
use crate::error::AppError;
use crate::graphql;
use crate::rest;
use crate::state::AppState;

/// Open the database and bring its schema up to date.
///
/// SQLite runs in WAL mode with `synchronous=FULL`, so an acknowledged write survives a
/// power loss, with a 32 MiB page cache per connection; PostgreSQL's defaults already guarantee that.
///
/// Every wait is bounded ([`crate::config::Timeouts`]): a pooled connection, SQLite's write
/// lock, and on PostgreSQL each statement and each lock wait (`statement_timeout`,
/// `lock_timeout`) and a transaction left idle (`idle_in_transaction_session_timeout`).
/// Migrations run on a connection of their own without the statement limit.
///
/// # Errors
/// When the database cannot be reached or a migration fails.
pub async fn connect(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    let url = settings.database_url.expose_secret();
    let open = |options: ConnectOptions| async {
        Database::connect(options)
            .await
            .with_context(|| format!("cannot open the database at {}", redact(url)))
    };
    let postgres = !url.starts_with("sqlite");
    if postgres {
        let mut once = pool_options(settings, None);
        once.max_connections(1).min_connections(0);
        let db = open(once).await?;
        Migrator::up(&db, None)
            .await
            .context("database migration failed")?;
        db.close()
            .await
            .context("closing the migration connection")?;
    }
    let db = open(pool_options(settings, settings.timeouts.statement)).await?;
    if !postgres {
        Migrator::up(&db, None)
            .await
            .context("database migration failed")?;
        // Refresh the planner's statistics (cheap; SQLite's recommended call on open), so
        // filtered lists pick the right index as the data grows.
        db.execute_unprepared("PRAGMA optimize=0x10002")
            .await
            .context("PRAGMA optimize failed")?;
    }
    Ok(db)
}

fn pool_options(settings: &Settings, statement: Option<Duration>) -> ConnectOptions {
    let url = settings.database_url.expose_secret();
    let timeouts = settings.timeouts;
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .sqlx_logging(false)
        .acquire_timeout(timeouts.db_acquire)
        // No ping on checkout: a pooled connection that broke fails its query (one error
        // answer) and the pool replaces it, instead of every request paying a round trip.
        .test_before_acquire(false)
        .map_sqlx_sqlite_opts(move |o| {
            use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(timeouts.sqlite_busy)
                .foreign_keys(true)
                // 32 MiB of page cache per connection (the default is 2 MiB): index pages of
                // large tables stay in memory, which bulk imports and big lists need.
                .pragma("cache_size", "-32768")
        })
        .map_sqlx_postgres_opts(move |o| match statement {
            Some(limit) => {
                let ms = limit.as_millis().to_string();
                o.options([
                    ("statement_timeout", ms.as_str()),
                    ("lock_timeout", ms.as_str()),
                    ("idle_in_transaction_session_timeout", "60000"),
                ])
            }
            None => o,
        });
    let default = if !url.starts_with("sqlite") {
        16
    } else if url.contains(":memory:") {
        // In-memory is one database per connection: exactly one.
        1
    } else {
        // One writer at a time: a small pool avoids lock contention.
        4
    };
    let n = if url.contains(":memory:") {
        1
    } else {
        settings.db_max_connections.unwrap_or(default)
    };
    options.max_connections(n).min_connections(1);
    options
}

/// The URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}{}:***{}", &url[..scheme + 3], user, &url[at..])
        }
        _ => url.to_owned(),
    }
}

/// A bound, ready-to-run server.
pub struct Application {
    port: u16,
    state: AppState,
    server: Server,
}

impl Application {
    /// Connect, migrate and bind to `settings.bind` (port 0 picks a free port).
    ///
    /// # Errors
    /// Database or bind failures.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        Self::build_loading(settings, false).await
    }

    /// As [`Application::build`]; with `loading`, `/readyz` answers 503 from the first
    /// request until [`AppState::set_loading`] says otherwise.
    ///
    /// # Errors
    /// Database or bind failures.
    pub async fn build_loading(settings: Settings, loading: bool) -> anyhow::Result<Self> {
        let db = connect(&settings).await?;
        let listener = TcpListener::bind(&settings.bind)
            .with_context(|| format!("cannot listen on {}", settings.bind))?;
        let port = listener.local_addr()?.port();
        let stale = crate::service::integration::import::interrupt_stale(&db).await?;
        if stale > 0 {
            tracing::warn!(
                imports = stale,
                "imports stopped by the last shutdown are marked interrupted; resume them"
            );
        }
        let state = AppState::new(db, settings)?;
        state.set_loading(loading);
        let server = run(listener, state.clone())?;
        if state.settings.refit_hours > 0 {
            tokio::spawn(crate::jobs::refit_schedule(state.clone()));
        }
        tokio::spawn(forget_full_buckets(std::sync::Arc::downgrade(&state.rate)));
        tokio::spawn(crate::service::cache::listen(
            state.settings.database_url.expose_secret().to_owned(),
            std::sync::Arc::clone(&state.caches),
        ));
        Ok(Self {
            port,
            state,
            server,
        })
    }

    /// The shared state (database, settings, keys), e.g. to seed users in tests.
    pub fn state(&self) -> AppState {
        self.state.clone()
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle to the database pool.
    pub fn db(&self) -> DatabaseConnection {
        self.state.db.clone()
    }

    /// Serve until SIGINT or SIGTERM, then finish in-flight requests and stop.
    ///
    /// # Errors
    /// I/O failures of the server.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

fn run(listener: TcpListener, state: AppState) -> anyhow::Result<Server> {
    let schema = web::Data::new(graphql::build_schema(Some(state.clone())));
    let state = web::Data::new(state);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(schema.clone())
            .app_data(web::QueryConfig::default().error_handler(rest::error::query_error))
            .app_data(web::PathConfig::default().error_handler(rest::error::path_error))
            .app_data(web::PayloadConfig::new(state.settings.max_body_bytes))
            .wrap(middleware::from_fn(rest::deadline::deadline))
            .wrap(middleware::from_fn(rest::conformance::check))
            .wrap(middleware::Compress::default())
            .wrap(middleware::from_fn(rest::ratelimit::meter))
            .wrap(cors(&state.settings.cors_origins))
            .wrap(middleware::from_fn(rest::conformance::cors_problem))
            .wrap(
                middleware::DefaultHeaders::new()
                    .add(("X-Content-Type-Options", "nosniff"))
                    .add(("Referrer-Policy", "no-referrer")),
            )
            .wrap(middleware::from_fn(rest::headers::security))
            .wrap(tracing_actix_web::TracingLogger::<
                rest::observability::AccessLog,
            >::new())
            .wrap(middleware::from_fn(rest::observability::request_id))
            .configure(rest::configure)
            .configure(graphql::configure)
            .service(
                SwaggerUi::new("/docs/{_:.*}").config(
                    utoipa_swagger_ui::Config::new(["/api/v1/openapi.json"])
                        // No badge fetched from validator.swagger.io (the page's CSP refuses it).
                        .validator_url("none")
                        .persist_authorization(true)
                        .try_it_out_enabled(true),
                ),
            )
            .route("/docs", web::get().to(docs_redirect))
            .default_service(web::to(rest::error::not_found))
    })
    // A client that closes its side of the connection has gone: drop its request's handler
    // (and the work it awaits, a GraphQL operation among them) instead of finishing it.
    .h1_allow_half_closed(false)
    .listen(listener)?
    .shutdown_timeout(30)
    .run();
    Ok(server)
}

/// Now and then drop the request buckets that are full again, so the map stays as small
/// as the set of recent callers; ends with the server.
async fn forget_full_buckets(buckets: std::sync::Weak<crate::auth::rate::RateBuckets>) {
    let mut every = tokio::time::interval(Duration::from_secs(60));
    every.tick().await;
    loop {
        every.tick().await;
        match buckets.upgrade() {
            Some(buckets) => buckets.retain_recent(),
            None => return,
        }
    }
}

/// CORS for the configured origins only: exact matches, no wildcard, no credentials (the
/// API authenticates with headers, not cookies).
fn cors(origins: &[String]) -> actix_cors::Cors {
    let mut cors = actix_cors::Cors::default()
        .allowed_methods(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
        .allowed_headers([
            actix_web::http::header::AUTHORIZATION,
            actix_web::http::header::CONTENT_TYPE,
            actix_web::http::header::IF_MATCH,
            actix_web::http::header::IF_NONE_MATCH,
            actix_web::http::header::HeaderName::from_static("idempotency-key"),
            actix_web::http::header::HeaderName::from_static("x-api-key"),
            rest::observability::REQUEST_ID,
        ])
        .expose_headers([
            actix_web::http::header::ETAG,
            actix_web::http::header::LOCATION,
            actix_web::http::header::HeaderName::from_static("idempotent-replayed"),
            actix_web::http::header::RETRY_AFTER,
            actix_web::http::header::ALLOW,
            rest::observability::REQUEST_ID,
            rest::ratelimit::RATELIMIT,
            rest::ratelimit::RATELIMIT_POLICY,
        ])
        .max_age(600);
    for origin in origins {
        cors = cors.allowed_origin(origin);
    }
    cors
}

async fn docs_redirect() -> actix_web::HttpResponse {
    actix_web::HttpResponse::PermanentRedirect()
        .insert_header((actix_web::http::header::LOCATION, "/docs/"))
        .finish()
}

impl From<AppError> for std::io::Error {
    fn from(err: AppError) -> Self {
        std::io::Error::other(err.to_string())
    }
}
