//! The `dossier` command: serve the API, migrate, manage users, print the contracts.

use std::io::BufRead;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use dossier::config::Settings;
use dossier::domain::{Role, Scope};
use dossier::policy::Principal;
use dossier::service::users::NewUser;
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
    Import {
        /// customers, orders, interactions or surveys.
        #[arg(required_unless_present = "resume")]
        kind: Option<String>,
        /// The file.
        #[arg(required_unless_present = "resume")]
        file: Option<std::path::PathBuf>,
        /// csv or ndjson (default: from the file's extension, else csv).
        #[arg(long)]
        format: Option<String>,
        /// The system the file comes from; external ids are matched within it.
        #[arg(long, default_value = "import")]
        source: String,
        /// Check every row and write nothing.
        #[arg(long)]
        dry_run: bool,
        /// A JSON file mapping column names to fields: {"客户名": "display_name", "无用列": null}.
        #[arg(long)]
        mapping: Option<std::path::PathBuf>,
        /// Write every reject (row, field, rule, message, value) to this CSV file.
        #[arg(long)]
        rejects: Option<std::path::PathBuf>,
        /// Resume a stopped import (its id) after its last committed batch.
        #[arg(long, conflicts_with_all = ["kind", "file", "format", "dry_run", "mapping"])]
        resume: Option<uuid::Uuid>,
        /// Print the job as JSON at the end.
        #[arg(long)]
        json: bool,
    },
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
enum UserCommand {
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
enum StatsCommand {
    /// Recompute every customer's aggregates from the orders (after a bulk load or restore).
    Rebuild,
}

#[derive(Subcommand)]
enum ExportCommand {
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
enum ScoresCommand {
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
enum ApikeyCommand {
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
        Command::Export { what } => {
            telemetry::init();
            let mut settings = Settings::from_env()?;
            // No tokens are signed here; the state only wants a key to hold.
            settings.jwt_secret.get_or_insert_with(random_secret);
            let state = AppState::new(startup::connect(&settings).await?, settings.clone())?;
            let operator = Principal::operator();
            let stream = match what {
                ExportCommand::Customers { format, city, tag } => {
                    let format = service::export::Format::parse(Some(&format))
                        .map_err(|e| anyhow::anyhow!("{e}"))?;
                    let filter = service::customers::CustomerFilter {
                        city,
                        tag,
                        ..Default::default()
                    };
                    service::export::customers(state, operator, filter, format).await
                }
                ExportCommand::Segment { id, format } => {
                    let format = service::export::Format::parse(Some(&format))
                        .map_err(|e| anyhow::anyhow!("{e}"))?;
                    service::segments::export(state, operator, id, format).await
                }
            }
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            write_stream(stream).await?;
        }
        Command::Import {
            kind,
            file,
            format,
            source,
            dry_run,
            mapping,
            rejects,
            resume,
            json,
        } => {
            telemetry::init();
            let mut settings = Settings::from_env()?;
            settings.jwt_secret.get_or_insert_with(random_secret);
            let state = AppState::new(startup::connect(&settings).await?, settings)?;
            let operator = Principal::operator();
            let bar = indicatif::ProgressBar::new(0);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {bytes}/{total_bytes} {msg} ({eta})",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            let progress = |job: &dossier::types::imports::ImportJobView| {
                bar.set_length(job.bytes_total.unsigned_abs());
                bar.set_position(job.bytes_done.unsigned_abs());
                bar.set_message(format!(
                    "{} rows: {} created, {} updated, {} unchanged, {} rejected",
                    job.rows, job.created, job.updated, job.unchanged, job.rejected
                ));
            };
            let result = match resume {
                Some(id) => {
                    let job = service::import::prepare_resume(&state, &operator, id)
                        .await
                        .map_err(|e| anyhow::anyhow!("{e}"))?;
                    service::import::run(&state, &operator, job.id, &progress).await
                }
                None => {
                    let (Some(kind), Some(file)) = (kind, file) else {
                        anyhow::bail!("give the kind and the file");
                    };
                    let kind = service::import::Kind::parse(&kind).with_context(
                        || "the kind must be customers, orders, interactions or surveys",
                    )?;
                    let name = file.file_name().map(|n| n.to_string_lossy().into_owned());
                    let format = match format {
                        Some(f) => service::import::reader::Format::parse(&f)
                            .context("--format must be csv or ndjson")?,
                        None => name
                            .as_deref()
                            .and_then(service::import::reader::Format::from_name)
                            .unwrap_or(service::import::reader::Format::Csv),
                    };
                    let mapping = match mapping {
                        Some(path) => {
                            let text = std::fs::read_to_string(&path)
                                .with_context(|| format!("cannot read {}", path.display()))?;
                            match serde_json::from_str::<serde_json::Value>(&text)
                                .with_context(|| format!("{} is not JSON", path.display()))?
                            {
                                serde_json::Value::Object(map) => map,
                                _ => anyhow::bail!(
                                    "the mapping must be a JSON object of column names to fields"
                                ),
                            }
                        }
                        None => serde_json::Map::new(),
                    };
                    let path = std::path::absolute(&file)
                        .with_context(|| format!("cannot find {}", file.display()))?;
                    let options = service::import::Options {
                        kind,
                        format,
                        source,
                        dry_run,
                        mapping,
                        file_name: name,
                    };
                    service::import::import_file(&state, &operator, options, &path, &progress).await
                }
            };
            bar.finish_and_clear();
            let job = result.map_err(|e| anyhow::anyhow!("{e}"))?;
            if let Some(out) = rejects {
                let csv = service::import::rejects_csv(&state, &operator, job.id)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                std::fs::write(&out, csv)
                    .with_context(|| format!("cannot write {}", out.display()))?;
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&job)?);
            } else {
                println!(
                    "import {} {}{}: {} rows; {} created, {} updated, {} unchanged, {} rejected",
                    job.id,
                    job.status,
                    if job.dry_run {
                        " (dry run: nothing written)"
                    } else {
                        ""
                    },
                    job.rows,
                    job.created,
                    job.updated,
                    job.unchanged,
                    job.rejected
                );
                if job.rejected > 0 {
                    let (first, _) = service::import::rejects(&state, &operator, job.id, None, 10)
                        .await
                        .map_err(|e| anyhow::anyhow!("{e}"))?;
                    for r in first {
                        println!(
                            "  line {}: {} {} ({}){}",
                            r.row,
                            r.field,
                            r.rule,
                            r.message,
                            r.value.map(|v| format!(": {v}")).unwrap_or_default()
                        );
                    }
                }
            }
        }
        Command::Standardise { dry_run } => {
            telemetry::init();
            let mut settings = Settings::from_env()?;
            settings.jwt_secret.get_or_insert_with(random_secret);
            let state = AppState::new(startup::connect(&settings).await?, settings)?;
            let report = service::standardise::run(&state, &Principal::operator(), dry_run)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "checked {} customers: {} {}, {} refused by the current rules",
                report.checked,
                report.changed,
                if dry_run { "would change" } else { "changed" },
                report.refused
            );
            for refused in &report.refused_customers {
                for e in &refused.errors {
                    println!(
                        "  {}: {} {} ({})",
                        refused.customer_id, e.field, e.code, e.message
                    );
                }
            }
        }
        Command::Stats {
            command: StatsCommand::Rebuild,
        } => {
            telemetry::init();
            let settings = Settings::from_env()?;
            let db = startup::connect(&settings).await?;
            let started = std::time::Instant::now();
            let customers = service::orders::rebuild_stats(&db, &settings.currency).await?;
            println!(
                "rebuilt purchase aggregates of {customers} customers in {:.1} s",
                started.elapsed().as_secs_f64()
            );
        }
        Command::Scores {
            command: ScoresCommand::Fit { as_of, json },
        } => {
            telemetry::init();
            let settings = Settings::from_env()?;
            let db = startup::connect(&settings).await?;
            let as_of = as_of.unwrap_or_else(|| chrono::Utc::now().date_naive());
            let (report, snapshot) =
                service::scoring::refit(&db, &settings, &Principal::operator(), Some(as_of))
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
            let report = report.context("the fit produced no report")?;
            if json {
                let mut doc = serde_json::to_value(&report)?;
                doc["snapshot"] = serde_json::to_value(&snapshot)?;
                println!("{}", serde_json::to_string_pretty(&doc)?);
            } else {
                print_fit(&report);
                println!("score snapshot: {} customers", snapshot.customers);
            }
        }
        Command::Scores {
            command: ScoresCommand::Snapshot,
        } => {
            telemetry::init();
            let settings = Settings::from_env()?;
            let db = startup::connect(&settings).await?;
            let started = std::time::Instant::now();
            let snapshot =
                service::scoring::refresh_snapshot(&db, &settings, &Principal::operator())
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "scored {} customers in {:.1} s",
                snapshot.customers,
                started.elapsed().as_secs_f64()
            );
        }
        Command::Scores {
            command:
                ScoresCommand::Validate {
                    calibration_end,
                    holdout_end,
                    json,
                },
        } => {
            telemetry::init();
            let settings = Settings::from_env()?;
            let db = startup::connect(&settings).await?;
            let request = dossier::types::scores::ValidationRequest {
                calibration_end,
                holdout_end,
            };
            let report = service::scores::validate(
                &db,
                &Principal::operator(),
                request.into(),
                &settings.currency,
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                println!(
                    "calibration to {}, holdout {} days to {}: {} customers",
                    report.calibration_end,
                    report.holdout_days,
                    report.holdout_end,
                    report.customers
                );
                println!(
                    "predicted {:.1} purchases, actual {:.0}; mean absolute error {:.3} per customer",
                    report.predicted_total, report.actual_total, report.mae
                );
                println!(
                    "{:>22} {:>10} {:>10} {:>10}",
                    "calibration repeats", "customers", "predicted", "actual"
                );
                for row in &report.by_frequency {
                    println!(
                        "{:>22} {:>10} {:>10.2} {:>10.2}",
                        row.calibration_repeat_purchases,
                        row.customers,
                        row.predicted_mean,
                        row.actual_mean
                    );
                }
            }
        }
        Command::User {
            command:
                UserCommand::Create {
                    email,
                    role,
                    name,
                    password,
                },
        } => {
            let mut settings = Settings::from_env()?;
            // Creating a user signs no token; any secret will do if none is configured.
            settings.jwt_secret.get_or_insert_with(random_secret);
            let state = AppState::new(startup::connect(&settings).await?, settings)?;
            let role = Role::parse(role.trim())
                .with_context(|| format!("--role must be one of: {}", Role::expected()))?;
            let password = password_or_stdin(password, "password (then Enter):")?;
            let user = service::users::create(
                &state,
                &Principal::operator(),
                NewUser {
                    display_name: name,
                    email,
                    role,
                    password,
                },
            )
            .await?;
            println!("created {} user {} ({})", user.role, user.email, user.id);
        }
        Command::User {
            command: UserCommand::List { json },
        } => {
            let state = operator_state().await?;
            let users = service::users::list(&state, &Principal::operator()).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&users)?);
            } else {
                let rows = users
                    .iter()
                    .map(|u| {
                        vec![
                            u.id.to_string(),
                            u.email.clone(),
                            u.display_name.clone(),
                            u.role.to_string(),
                            if u.active { "yes" } else { "no" }.to_owned(),
                            timestamp(u.created_at),
                        ]
                    })
                    .collect();
                print_table(&["ID", "E-MAIL", "NAME", "ROLE", "ACTIVE", "CREATED"], rows);
            }
        }
        Command::User {
            command: UserCommand::SetPassword { email, password },
        } => {
            let state = operator_state().await?;
            let password = password_or_stdin(password, "new password (then Enter):")?;
            let user =
                service::users::set_password(&state, &Principal::operator(), &email, password)
                    .await
                    .map_err(|e| no_user(e, &email))?;
            println!(
                "set the password of {} user {} ({}); their sessions are revoked",
                user.role, user.email, user.id
            );
        }
        Command::User {
            command: UserCommand::Deactivate { email },
        } => {
            let state = operator_state().await?;
            let operator = Principal::operator();
            let user = service::users::find_by_email(&state, &email)
                .await?
                .with_context(|| format!("no user has the e-mail address {}", email.trim()))?;
            if user.active {
                let patch = dossier::types::user::UserPatch {
                    active: Some(false),
                    ..Default::default()
                };
                let user = service::users::update(&state, &operator, user.id, None, patch).await?;
                println!(
                    "deactivated {} user {} ({}); their sessions are revoked",
                    user.role, user.email, user.id
                );
            } else {
                println!("user {} ({}) is already deactivated", user.email, user.id);
            }
        }
        Command::Apikey {
            command: ApikeyCommand::List { json },
        } => {
            let state = operator_state().await?;
            let keys = service::api_keys::list(&state, &Principal::operator()).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&keys)?);
            } else {
                let rows = keys
                    .iter()
                    .map(|k| {
                        vec![
                            k.id.to_string(),
                            k.name.clone(),
                            k.scopes
                                .iter()
                                .map(|s| s.as_str())
                                .collect::<Vec<_>>()
                                .join(","),
                            k.prefix.clone(),
                            timestamp(k.created_at),
                            k.expires_at.map_or_else(|| "never".to_owned(), timestamp),
                            k.revoked_at.map_or_else(|| "-".to_owned(), timestamp),
                        ]
                    })
                    .collect();
                print_table(
                    &[
                        "ID", "NAME", "SCOPES", "PREFIX", "CREATED", "EXPIRES", "REVOKED",
                    ],
                    rows,
                );
            }
        }
        Command::Apikey {
            command: ApikeyCommand::Revoke { id },
        } => {
            let state = operator_state().await?;
            let operator = Principal::operator();
            let key = service::api_keys::get(&state, &operator, id)
                .await
                .map_err(|e| match e {
                    dossier::error::AppError::NotFound { .. } => {
                        anyhow::anyhow!("no API key has the id {id}")
                    }
                    other => other.into(),
                })?;
            if let Some(at) = key.revoked_at {
                println!(
                    "API key {} ({}) was already revoked at {}",
                    key.name,
                    key.id,
                    timestamp(at)
                );
            } else {
                service::api_keys::revoke(&state, &operator, id).await?;
                println!("revoked API key {} ({})", key.name, key.id);
            }
        }
        Command::Apikey {
            command:
                ApikeyCommand::Create {
                    name,
                    scopes,
                    expires_in_days,
                },
        } => {
            let mut settings = Settings::from_env()?;
            settings.jwt_secret.get_or_insert_with(random_secret);
            let state = AppState::new(startup::connect(&settings).await?, settings)?;
            let scopes = scopes
                .iter()
                .map(|s| {
                    Scope::parse(s.trim())
                        .with_context(|| format!("--scope {s}: use one of {}", Scope::expected()))
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let request = dossier::types::api_key::CreateApiKeyRequest {
                name,
                scopes,
                expires_in_days,
            };
            let created =
                service::api_keys::create(&state, &Principal::operator(), request).await?;
            println!("{}", created.key);
            eprintln!(
                "created API key {} ({}); store it now, it is not shown again",
                created.api_key.name, created.api_key.id
            );
        }
        Command::Serve { demo } => {
            telemetry::init();
            let mut settings = Settings::from_env()?;
            if demo && settings.jwt_secret.is_none() {
                tracing::warn!(
                    "DOSSIER_JWT_SECRET is not set: using a random one; tokens end with this process"
                );
                settings.jwt_secret = Some(random_secret());
            }
            let app = startup::Application::build_loading(settings.clone(), demo).await?;
            let state = app.state();
            let sales = if demo {
                Some(demo_users(&state).await?)
            } else {
                None
            };
            tracing::info!(
                address = %settings.bind, database = %startup::redact(&settings.database_url),
                "Dossier is listening: REST /api/v1, GraphQL /graphql, docs /docs"
            );
            let server = app.run_until_stopped();
            tokio::pin!(server);
            if let Some(sales) = sales {
                // Serve while the demo data goes in: /healthz answers, /readyz says 503.
                tokio::select! {
                    stopped = &mut server => {
                        stopped?;
                        tracing::info!("stopped before the demo data was in");
                        return Ok(());
                    }
                    loaded = load_demo(&state, sales) => {
                        loaded?;
                        state.set_loading(false);
                    }
                }
            }
            server.await?;
            tracing::info!("stopped");
        }
    }
    Ok(())
}

/// Copy an export to standard output as it is produced.
async fn write_stream(mut stream: service::export::ByteStream) -> anyhow::Result<()> {
    use futures_util::StreamExt;
    use std::io::Write;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    while let Some(chunk) = stream.next().await {
        let bytes = chunk.map_err(|e| anyhow::anyhow!("{e}"))?;
        out.write_all(&bytes)?;
    }
    out.flush()?;
    Ok(())
}

fn print_fit(r: &service::scores::FitReport) {
    println!(
        "as of {}: {} customers with purchases, {} repeat buyers ({:.1} s)",
        r.as_of, r.customers, r.repeat_buyers, r.fit_seconds
    );
    if let Some(m) = &r.message {
        println!("{m}");
    }
    if let Some(p) = &r.bgnbd {
        println!(
            "BG/NBD (days): r = {:.4}, alpha = {:.4}, a = {:.4}, b = {:.4}; log-likelihood {:.2}",
            p.r,
            p.alpha,
            p.a,
            p.b,
            r.log_likelihood.unwrap_or(f64::NAN)
        );
    }
    if let Some(p) = &r.gamma_gamma {
        println!(
            "Gamma-Gamma: p = {:.4}, q = {:.4}, gamma = {:.4}",
            p.p, p.q, p.gamma
        );
    }
    for note in &r.notes {
        println!("note: {note}");
    }
}

/// The application state for an operator command over DATABASE_URL (migrated first). No
/// token is signed; without DOSSIER_JWT_SECRET any secret will do.
async fn operator_state() -> anyhow::Result<AppState> {
    let mut settings = Settings::from_env()?;
    settings.jwt_secret.get_or_insert_with(random_secret);
    AppState::new(startup::connect(&settings).await?, settings)
}

/// `given`, or one line read from standard input after `prompt` (on standard error).
fn password_or_stdin(given: Option<String>, prompt: &str) -> anyhow::Result<String> {
    if let Some(p) = given {
        return Ok(p);
    }
    eprintln!("{prompt}");
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// A missing user named by the e-mail address the operator gave.
fn no_user(err: dossier::error::AppError, email: &str) -> anyhow::Error {
    match err {
        dossier::error::AppError::NotFound { .. } => {
            anyhow::anyhow!("no user has the e-mail address {}", email.trim())
        }
        other => other.into(),
    }
}

/// A time for a table: `2026-01-31 08:00:00Z`.
fn timestamp(t: dossier::types::time::Timestamp) -> String {
    t.0.format("%Y-%m-%d %H:%M:%SZ").to_string()
}

/// Rows under a header, columns padded to their widest cell.
fn print_table(header: &[&str], rows: Vec<Vec<String>>) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w.saturating_sub(c.chars().count()))))
            .collect();
        println!("{}", padded.join("  ").trim_end());
    };
    line(header.to_vec());
    for row in &rows {
        line(row.iter().map(String::as_str).collect());
    }
}

fn random_secret() -> String {
    use base64::Engine;
    let bytes: [u8; 48] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Make sure one demo user per role exists and print their logins; the id of the sales
/// user, who owns a share of the demo customers.
async fn demo_users(state: &AppState) -> anyhow::Result<uuid::Uuid> {
    let operator = Principal::operator();
    let mut logins = Vec::new();
    let mut sales = None;
    for role in Role::ALL {
        let email = format!("{role}@demo.dossier.test");
        let password = format!("demo-{role}-password");
        let id = match service::users::find_by_email(state, &email).await? {
            Some(user) => user.id,
            None => {
                let user = NewUser {
                    email: email.clone(),
                    display_name: Some(format!("Demo {role}")),
                    role: *role,
                    password: password.clone(),
                };
                service::users::create(state, &operator, user).await?.id
            }
        };
        if *role == Role::Sales {
            sales = Some(id);
        }
        logins.push(format!("  {:<8} {email:<32} {password}", role.as_str()));
    }
    println!(
        "Demo logins (POST /api/v1/auth/login with {{\"email\", \"password\"}}):\n{}",
        logins.join("\n")
    );
    sales.context("the demo has a sales user")
}

/// Load the demo data set into a database without customers; one customer in four is
/// owned by the demo sales user (`sales`), so a sales sign-in sees its own book.
async fn load_demo(state: &AppState, sales: uuid::Uuid) -> anyhow::Result<()> {
    let settings = &*state.settings;
    let state = state.clone();
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
    let started = std::time::Instant::now();
    let mut created = Vec::with_capacity(total);
    for (i, mut doc) in customers.into_iter().enumerate() {
        if i % 4 == 0 {
            doc["owner_id"] = serde_json::json!(sales);
        }
        created.push(service::customers::create(&state, &operator, doc).await?);
    }
    // A few people entered twice, from another channel: the duplicates to find and merge.
    let mut twins = 0;
    for original in created.iter().filter(|c| c.phone.is_some()).step_by(60) {
        let doc = serde_json::json!({
            "kind": original.kind,
            "display_name": original.display_name,
            "phone": original.phone,
            "address": {"city": original.address.as_ref().and_then(|a| a.city.clone())},
            "source": "import",
            "tags": ["imported"],
        });
        service::customers::create(&state, &operator, doc).await?;
        twins += 1;
    }
    tracing::info!(twins, "demo duplicates added");
    let mut products = Vec::new();
    for doc in demo::demo_products() {
        products.push(
            service::orders::create_product(&state, &operator, doc)
                .await?
                .id,
        );
    }
    let now = chrono::Utc::now();
    let mut orders = 0;
    // Link some people to organizations as their key people.
    let organizations: Vec<_> = created
        .iter()
        .filter(|c| c.kind == dossier::domain::CustomerKind::Organization)
        .map(|c| c.id)
        .collect();
    for (i, customer) in created.iter().enumerate() {
        let id = customer.id;
        let organization = customer.kind == dossier::domain::CustomerKind::Organization;
        // Half the Shanghai wholesale accounts have stopped buying: at-risk, high-value.
        let shanghai = customer
            .address
            .as_ref()
            .is_some_and(|a| a.city.as_deref() == Some("上海市"));
        let lapsed = organization && shanghai && i % 2 == 0;
        let history = demo::demo_history(i, organization, lapsed, &products, now);
        for doc in history.orders {
            service::orders::create_order(&state, &operator, Some(id), doc).await?;
            orders += 1;
        }
        for doc in history.interactions {
            service::engagement::record_interaction(&state, &operator, id, doc).await?;
        }
        for doc in history.surveys {
            service::engagement::record_survey(&state, &operator, id, doc).await?;
        }
        for complaint in history.complaints {
            let opened =
                service::engagement::open_complaint(&state, &operator, id, complaint.open).await?;
            for step in complaint.steps {
                service::engagement::transition_complaint(&state, &operator, opened.id, None, step)
                    .await?;
            }
        }
        for doc in history.consents {
            service::relations::record_consent(&state, &operator, id, doc).await?;
        }
        if let Some(doc) = history.preferences {
            service::relations::set_preferences(&state, &operator, id, None, doc).await?;
        }
        if let Some(tier) = history.tier {
            service::relations::set_tier(
                &state,
                &operator,
                id,
                None,
                serde_json::json!({"tier": tier}),
            )
            .await?;
            let stats = service::orders::stats(&state, &operator, id).await?;
            let earned: i64 = stats
                .monetary_total
                .as_deref()
                .and_then(|t| t.split('.').next())
                .and_then(|t| t.parse().ok())
                .unwrap_or(0);
            if earned > 0 {
                let doc =
                    serde_json::json!({"kind": "earn", "points": earned, "reason": "消费积分"});
                service::relations::record_points(&state, &operator, id, doc).await?;
                if let Some(share) = history.redeem_share {
                    let points = earned * i64::from(share) / 100;
                    if points > 0 {
                        let doc = serde_json::json!({"kind": "redeem", "points": points, "reason": "兑换礼品"});
                        service::relations::record_points(&state, &operator, id, doc).await?;
                    }
                }
            }
        }
        if !organization && !organizations.is_empty() && i % 7 == 0 {
            let org = organizations[i % organizations.len()];
            let title = ["purchaser", "decision_maker", "executive"][i % 3];
            let doc = serde_json::json!({"kind": "key_person_of", "other_id": org, "title": title});
            service::relations::link(&state, &operator, id, doc).await?;
        }
    }
    // Scores, a segment and alert rules, so every part of the API has something to show.
    let (fit, snapshot) =
        service::scoring::refit(&state.db, settings, &Principal::operator(), None).await?;
    if let Some(fit) = &fit {
        print_fit(fit);
    }
    let segment = serde_json::json!({
        "name": "上海的流失风险A/B级客户",
        "description": "Grade A or B customers in Shanghai whose churn risk is above 0.5",
        "filter": [
            {"field": "churn_risk", "op": "gt", "value": 0.5},
            {"field": "grade", "op": "in", "value": ["A", "B"]},
            {"field": "city", "op": "eq", "value": "上海"},
        ],
    });
    let segment = service::segments::create(&state, &operator, segment).await?;
    for rule in [
        serde_json::json!({"name": "A/B级客户流失预警", "kind": "churn_risk",
                           "params": {"threshold": 0.6, "grades": ["A", "B"]}}),
        serde_json::json!({"name": "应收账款逾期30天", "kind": "overdue_receivable",
                           "params": {"days": 30}}),
        serde_json::json!({"name": "A级客户90天未联系", "kind": "no_contact",
                           "params": {"days": 90, "grades": ["A"]}}),
        serde_json::json!({"name": "投诉超过处理时限", "kind": "complaint_sla"}),
    ] {
        service::alerts::create_rule(&state, &operator, rule).await?;
    }
    let alerts = service::alerts::evaluate(&state.db).await?;
    tracing::info!(
        customers = total,
        orders,
        scored = snapshot.customers,
        segment_members = segment.member_count,
        alerts = alerts.raised,
        seconds = started.elapsed().as_secs(),
        "demo data loaded"
    );
    Ok(())
}
