//! Reading an import file a record at a time, in bounded memory.
//!
//! Lines are read with a cap ([`MAX_LINE`]): a longer line is skipped to its end and reported
//! as one rejected record, so its neighbours are still read. A CSV record may span lines
//! inside quotes (up to [`MAX_RECORD`]). Text must be UTF-8; a leading byte-order mark is
//! dropped (spreadsheets write one).

use std::io::{self, BufRead};

use serde_json::{Map, Value};

/// Longest line read, in bytes.
pub const MAX_LINE: usize = 1 << 20;
/// Longest CSV record (lines joined inside quotes), in bytes.
pub const MAX_RECORD: usize = 4 << 20;

/// An import file's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Ndjson,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Ndjson => "ndjson",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "csv" => Some(Self::Csv),
            "ndjson" | "jsonl" | "json-lines" => Some(Self::Ndjson),
            _ => None,
        }
    }

    /// The format a file name's extension names.
    pub fn from_name(name: &str) -> Option<Self> {
        let ext = name.rsplit_once('.')?.1;
        Self::parse(ext)
    }
}

/// One record of the file: where it starts and what it holds.
#[derive(Debug)]
pub struct Raw {
    /// Line where the record starts (1-based).
    pub line: u64,
    pub body: Result<Cells, Unreadable>,
}

/// A record's values: a CSV row, or an NDJSON object.
#[derive(Debug)]
pub enum Cells {
    Row(Vec<String>),
    Object(Map<String, Value>),
}

/// Why a record could not be read; the rest of the file still is.
#[derive(Debug, Clone)]
pub struct Unreadable {
    pub rule: &'static str,
    pub message: String,
}

impl Unreadable {
    fn new(rule: &'static str, message: impl Into<String>) -> Self {
        Self {
            rule,
            message: message.into(),
        }
    }
}

/// Why a whole file cannot be imported.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("the file is empty")]
    Empty,
    #[error("{0}")]
    WrongKind(String),
    #[error("{0}")]
    Header(String),
    #[error("could not read the file: {0}")]
    Io(#[from] io::Error),
}

impl FileError {
    /// Stable rule name for the error.
    pub fn rule(&self) -> &'static str {
        match self {
            Self::Empty => "empty_file",
            Self::WrongKind(_) => "wrong_file_kind",
            Self::Header(_) => "bad_header",
            Self::Io(_) => "unreadable",
        }
    }
}

/// What the first bytes of a file say it is, when it is not text we can read.
pub fn sniff(head: &[u8]) -> Result<(), FileError> {
    let what = if head.starts_with(b"PK\x03\x04") {
        Some("a ZIP archive (an Excel workbook?): save the sheet as \"CSV UTF-8\" and import that")
    } else if head.starts_with(b"\xD0\xCF\x11\xE0") {
        Some("an old Excel workbook (.xls): save the sheet as \"CSV UTF-8\" and import that")
    } else if head.starts_with(b"%PDF") {
        Some("a PDF document, not CSV or NDJSON")
    } else if head.starts_with(b"\x1F\x8B") {
        Some("gzip-compressed: decompress it first")
    } else if head.starts_with(b"\xFF\xFE") || head.starts_with(b"\xFE\xFF") {
        Some("UTF-16 text: save it as UTF-8")
    } else if head.starts_with(b"\x89PNG") || head.starts_with(b"\xFF\xD8\xFF") {
        Some("an image, not CSV or NDJSON")
    } else if head.contains(&0) {
        Some("binary, not CSV or NDJSON text")
    } else {
        None
    };
    match what {
        Some(w) => Err(FileError::WrongKind(format!("the file is {w}"))),
        None => Ok(()),
    }
}

/// Reads records from a file.
pub struct Records<R> {
    inner: R,
    format: Format,
    /// Physical lines consumed so far.
    line: u64,
    /// Bytes consumed so far.
    pub bytes: u64,
    buf: Vec<u8>,
    first: bool,
    csv: csv_core::Reader,
    out: Vec<u8>,
    ends: Vec<usize>,
}

/// Records read ahead on tokio's blocking pool, a block at a time, so that reading the file
/// never stalls an async worker.
pub struct ReadAhead<R> {
    records: Option<Records<R>>,
    ready: std::collections::VecDeque<(Raw, u64)>,
    done: bool,
    bytes: u64,
}

/// Records read per trip to the blocking pool.
const READ_AHEAD: usize = 1000;

impl<R: BufRead + Send + 'static> ReadAhead<R> {
    pub fn new(records: Records<R>) -> Self {
        Self {
            bytes: records.bytes,
            records: Some(records),
            ready: std::collections::VecDeque::new(),
            done: false,
        }
    }

    /// The next record, as [`Records::next_record`].
    ///
    /// # Errors
    /// I/O failures reading the file.
    pub async fn next_record(&mut self) -> io::Result<Option<Raw>> {
        if self.ready.is_empty() && !self.done {
            let mut records = self
                .records
                .take()
                .ok_or_else(|| io::Error::other("the reader failed before"))?;
            let (records, block) = tokio::task::spawn_blocking(move || {
                let mut block = Vec::with_capacity(READ_AHEAD);
                let read = loop {
                    if block.len() == READ_AHEAD {
                        break Ok(false);
                    }
                    match records.next_record() {
                        Ok(Some(raw)) => block.push((raw, records.bytes)),
                        Ok(None) => break Ok(true),
                        Err(e) => break Err(e),
                    }
                };
                (records, read.map(|done| (block, done)))
            })
            .await
            .map_err(io::Error::other)?;
            let (block, done) = block?;
            self.records = Some(records);
            self.ready.extend(block);
            self.done = done;
        }
        Ok(self.ready.pop_front().map(|(raw, bytes)| {
            self.bytes = bytes;
            raw
        }))
    }

    /// Bytes of the file consumed up to the last record returned.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }
}

enum Line {
    Eof,
    Read,
    TooLong,
}

impl<R: BufRead> Records<R> {
    pub fn new(inner: R, format: Format) -> Self {
        Self {
            inner,
            format,
            line: 0,
            bytes: 0,
            buf: Vec::new(),
            first: true,
            csv: csv_core::Reader::new(),
            out: Vec::new(),
            ends: Vec::new(),
        }
    }

    /// Append one physical line (without its end) to `self.buf`, up to `cap` bytes in all.
    fn read_line(&mut self, cap: usize) -> io::Result<Line> {
        let start = self.buf.len();
        let mut too_long = false;
        let mut any = false;
        loop {
            let chunk = match self.inner.fill_buf() {
                Ok(c) => c,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if chunk.is_empty() {
                break;
            }
            any = true;
            let (take, done) = match chunk.iter().position(|b| *b == b'\n') {
                Some(i) => (i + 1, true),
                None => (chunk.len(), false),
            };
            if !too_long {
                if self.buf.len() + take > cap + 1 {
                    too_long = true;
                    self.buf.truncate(start);
                } else {
                    self.buf.extend_from_slice(&chunk[..take]);
                }
            }
            self.inner.consume(take);
            self.bytes += take as u64;
            if done {
                break;
            }
        }
        if !any {
            return Ok(Line::Eof);
        }
        self.line += 1;
        if too_long {
            return Ok(Line::TooLong);
        }
        if self.buf.last() == Some(&b'\n') {
            self.buf.pop();
        }
        if self.buf.last() == Some(&b'\r') {
            self.buf.pop();
        }
        if self.first {
            self.first = false;
            if self.buf[start..].starts_with(b"\xEF\xBB\xBF") {
                self.buf.drain(start..start + 3);
            }
        }
        Ok(Line::Read)
    }

    /// The next record, `None` at the end of the file. Blank lines are skipped.
    ///
    /// # Errors
    /// Only when the file cannot be read at all; a bad record is an `Unreadable` body.
    pub fn next_record(&mut self) -> io::Result<Option<Raw>> {
        loop {
            self.buf.clear();
            let line = self.line + 1;
            match self.read_line(MAX_LINE)? {
                Line::Eof => return Ok(None),
                Line::TooLong => {
                    return Ok(Some(Raw {
                        line,
                        body: Err(Unreadable::new(
                            "line_too_long",
                            format!("the line is longer than {} MiB", MAX_LINE >> 20),
                        )),
                    }));
                }
                Line::Read => {}
            }
            if self.buf.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let body = match self.format {
                Format::Ndjson => parse_object(&self.buf),
                Format::Csv => {
                    // Quotes left open continue the record on the next line.
                    while open_quote(&self.buf) {
                        self.buf.push(b'\n');
                        match self.read_line(MAX_RECORD)? {
                            Line::Read => {}
                            Line::Eof => {
                                return Ok(Some(Raw {
                                    line,
                                    body: Err(Unreadable::new(
                                        "unterminated_quote",
                                        "a quoted value is not closed before the end of the file",
                                    )),
                                }));
                            }
                            Line::TooLong => {
                                return Ok(Some(Raw {
                                    line,
                                    body: Err(Unreadable::new(
                                        "line_too_long",
                                        format!(
                                            "the record is longer than {} MiB (an unclosed quote?)",
                                            MAX_RECORD >> 20
                                        ),
                                    )),
                                }));
                            }
                        }
                    }
                    self.parse_row()
                }
            };
            return Ok(Some(Raw { line, body }));
        }
    }
}

fn open_quote(buf: &[u8]) -> bool {
    buf.iter().filter(|b| **b == b'"').count() % 2 == 1
}

impl<R> Records<R> {
    /// Split the record in `self.buf` into its fields (one parser, reused for every row).
    fn parse_row(&mut self) -> Result<Cells, Unreadable> {
        self.buf.push(b'\n');
        self.csv.reset();
        // Unquoting only shortens: these never fill up.
        self.out.resize(self.buf.len(), 0);
        let commas = self.buf.iter().filter(|b| **b == b',').count();
        self.ends.resize(commas + 2, 0);
        let (result, _, _, fields) = self
            .csv
            .read_record(&self.buf, &mut self.out, &mut self.ends);
        if result != csv_core::ReadRecordResult::Record {
            return Err(Unreadable::new(
                "invalid_csv",
                "the line is not a CSV record",
            ));
        }
        let mut start = 0;
        let mut row = Vec::with_capacity(fields);
        for (i, end) in self.ends[..fields].iter().enumerate() {
            let field = std::str::from_utf8(&self.out[start..*end]).map_err(|_| {
                Unreadable::new(
                    "invalid_encoding",
                    format!(
                        "column {} is not UTF-8 text (a GBK file? save it as UTF-8)",
                        i + 1
                    ),
                )
            })?;
            row.push(field.to_owned());
            start = *end;
        }
        Ok(Cells::Row(row))
    }
}

fn parse_object(bytes: &[u8]) -> Result<Cells, Unreadable> {
    if std::str::from_utf8(bytes).is_err() {
        return Err(Unreadable::new(
            "invalid_encoding",
            "the line is not UTF-8 text (a GBK file? save it as UTF-8)",
        ));
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(Cells::Object(map)),
        Ok(_) => Err(Unreadable::new(
            "not_an_object",
            "each line must be one JSON object",
        )),
        Err(e) => Err(Unreadable::new(
            "invalid_json",
            format!("not valid JSON: {e}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(text: &[u8], format: Format) -> Vec<Raw> {
        let mut r = Records::new(text, format);
        let mut out = Vec::new();
        while let Some(raw) = r.next_record().expect("read") {
            out.push(raw);
        }
        out
    }

    fn row(raw: &Raw) -> Vec<String> {
        match &raw.body {
            Ok(Cells::Row(r)) => r.clone(),
            other => panic!("not a row: {other:?}"),
        }
    }

    #[test]
    fn csv_records_span_quoted_lines_and_keep_line_numbers() {
        let text = "\u{feff}姓名,备注\r\n张三,\"两行\n备注\"\r\n\r\n李四,\"say \"\"hi\"\"\"\n";
        let records = all(text.as_bytes(), Format::Csv);
        assert_eq!(records.len(), 3);
        assert_eq!(row(&records[0]), ["姓名", "备注"]);
        assert_eq!(records[1].line, 2);
        assert_eq!(row(&records[1]), ["张三", "两行\n备注"]);
        assert_eq!(records[2].line, 5);
        assert_eq!(row(&records[2]), ["李四", "say \"hi\""]);
    }

    #[test]
    fn an_overlong_line_is_one_bad_record_and_reading_goes_on() {
        let mut text = b"a,b\n".to_vec();
        text.extend(std::iter::repeat_n(b'x', MAX_LINE + 10));
        text.extend(b"\n1,2\n");
        let records = all(&text, Format::Csv);
        assert_eq!(records.len(), 3);
        assert_eq!(
            records[1]
                .body
                .as_ref()
                .map(|_| ())
                .expect_err("unreadable")
                .rule,
            "line_too_long"
        );
        assert_eq!(records[2].line, 3);
        assert_eq!(row(&records[2]), ["1", "2"]);
    }

    #[test]
    fn bad_bytes_and_bad_json_are_named() {
        let records = all(b"a\n\xC4\xE3\xBA\xC3\n", Format::Csv);
        assert_eq!(
            records[1]
                .body
                .as_ref()
                .map(|_| ())
                .expect_err("unreadable")
                .rule,
            "invalid_encoding"
        );
        let records = all(b"{\"a\":1}\n[1]\n{oops\n", Format::Ndjson);
        assert!(records[0].body.is_ok());
        assert_eq!(
            records[1]
                .body
                .as_ref()
                .map(|_| ())
                .expect_err("unreadable")
                .rule,
            "not_an_object"
        );
        assert_eq!(
            records[2]
                .body
                .as_ref()
                .map(|_| ())
                .expect_err("unreadable")
                .rule,
            "invalid_json"
        );
    }

    #[test]
    fn workbooks_and_binaries_are_recognised() {
        assert!(sniff(b"PK\x03\x04rest").is_err());
        assert!(sniff(b"\xFF\xFEa\0b\0").is_err());
        assert!(sniff("姓名,手机\n".as_bytes()).is_ok());
    }
}
