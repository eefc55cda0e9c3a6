//! Logging: human-readable by default, JSON lines with `DOSSIER_LOG_FORMAT=json`.

use tracing_subscriber::{EnvFilter, fmt};

/// Install the global subscriber. Safe to call once per process.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let json = std::env::var("DOSSIER_LOG_FORMAT").is_ok_and(|v| v.eq_ignore_ascii_case("json"));
    // Logs go to standard error, so commands that print data (exports, `--json`, the
    // contracts) keep standard output clean.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr)
        .with_ansi(ansi);
    let result = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
    if result.is_err() {
        eprintln!("logging was already initialised");
    }
}
