//! Data in and out from the command line: import, export, standardise, rebuild aggregates.

use anyhow::Context;
use dossier::policy::Principal;
use dossier::state::AppState;
use dossier::{service, startup, telemetry};

use super::output::write_stream;
use super::{ExportCommand, ImportArgs, random_secret};

/// Stream an export to standard output.
pub async fn export(what: ExportCommand) -> anyhow::Result<()> {
    telemetry::init();
    let mut settings = super::operator_settings()?;
    // No tokens are signed here; the state only wants a key to hold.
    settings.jwt_secret.get_or_insert_with(random_secret);
    let state = AppState::new(startup::connect(&settings).await?, settings.clone())?;
    let operator = Principal::operator();
    let stream = match what {
        ExportCommand::Customers { format, city, tag } => {
            let format = service::integration::export::Format::parse(Some(&format))?;
            let filter = service::customers::CustomerFilter {
                city,
                tag,
                ..Default::default()
            };
            service::integration::export::customers(state, operator, filter, format).await
        }
        ExportCommand::Segment { id, format } => {
            let format = service::integration::export::Format::parse(Some(&format))?;
            service::integration::export::segment(state, operator, id, format).await
        }
    }?;
    write_stream(stream).await?;
    Ok(())
}

/// Import a file, or resume a stopped import, with a progress bar.
pub async fn import(args: ImportArgs) -> anyhow::Result<()> {
    let ImportArgs {
        kind,
        file,
        format,
        source,
        dry_run,
        mapping,
        rejects,
        resume,
        json,
    } = args;
    telemetry::init();
    let mut settings = super::operator_settings()?;
    settings.jwt_secret.get_or_insert_with(random_secret);
    let state = AppState::new(startup::connect(&settings).await?, settings)?;
    let operator = Principal::operator();
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {msg} ({eta})")
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
            let job = service::integration::import::prepare_resume(&state, &operator, id).await?;
            service::integration::import::run(&state, &operator, job.id, &progress).await
        }
        None => {
            let (Some(kind), Some(file)) = (kind, file) else {
                anyhow::bail!("give the kind and the file");
            };
            let kind = service::integration::import::Kind::parse(&kind)
                .with_context(|| "the kind must be customers, orders, interactions or surveys")?;
            let name = file.file_name().map(|n| n.to_string_lossy().into_owned());
            let format = match format {
                Some(f) => service::integration::import::reader::Format::parse(&f)
                    .context("--format must be csv or ndjson")?,
                None => name
                    .as_deref()
                    .and_then(service::integration::import::reader::Format::from_name)
                    .unwrap_or(service::integration::import::reader::Format::Csv),
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
            let options = service::integration::import::Options {
                kind,
                format,
                source,
                dry_run,
                mapping,
                file_name: name,
            };
            service::integration::import::import_file(&state, &operator, options, &path, &progress)
                .await
        }
    };
    bar.finish_and_clear();
    let job = result?;
    if let Some(out) = rejects {
        let csv = service::integration::import::rejects_csv(&state, &operator, job.id).await?;
        std::fs::write(&out, csv).with_context(|| format!("cannot write {}", out.display()))?;
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
            let (first, _) =
                service::integration::import::rejects(&state, &operator, job.id, None, 10).await?;
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
    Ok(())
}

/// Re-standardise customers written before the current rules.
pub async fn standardise(dry_run: bool) -> anyhow::Result<()> {
    telemetry::init();
    let mut settings = super::operator_settings()?;
    settings.jwt_secret.get_or_insert_with(random_secret);
    let state = AppState::new(startup::connect(&settings).await?, settings)?;
    let report =
        service::quality::standardise::run(&state, &Principal::operator(), dry_run).await?;
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
    Ok(())
}

/// Recompute every customer's purchase aggregates.
pub async fn rebuild_stats() -> anyhow::Result<()> {
    telemetry::init();
    let settings = super::operator_settings()?;
    let db = startup::connect(&settings).await?;
    let started = std::time::Instant::now();
    let customers = service::behaviour::orders::rebuild_stats(&db, &settings.currency).await?;
    println!(
        "rebuilt purchase aggregates of {customers} customers in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
