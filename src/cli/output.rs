//! Writing to the terminal: tables, timestamps, streams, and reading a password.

use std::io::BufRead;

use anyhow::Context;
use dossier::service;

/// Copy an export to standard output as it is produced.
pub(crate) async fn write_stream(
    mut stream: service::integration::export::ByteStream,
) -> anyhow::Result<()> {
    use futures_util::StreamExt;
    use std::io::Write;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    while let Some(chunk) = stream.next().await {
        let bytes = chunk?;
        out.write_all(&bytes)?;
    }
    out.flush()?;
    Ok(())
}

/// `given`, or one line read from standard input after `prompt` (on standard error).
pub(crate) fn password_or_stdin(given: Option<String>, prompt: &str) -> anyhow::Result<String> {
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

/// A time for a table: `2026-01-31 08:00:00Z`.
pub(crate) fn timestamp(t: dossier::types::time::Timestamp) -> String {
    t.0.format("%Y-%m-%d %H:%M:%SZ").to_string()
}

/// Rows under a header, columns padded to their widest cell.
pub(crate) fn print_table(header: &[&str], rows: Vec<Vec<String>>) {
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
