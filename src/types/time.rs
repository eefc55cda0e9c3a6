//! Instants and calendar dates on the wire, written alike by REST (serde) and GraphQL
//! (the `DateTime` and `Date` scalars).

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};

/// An instant: RFC 3339 in UTC with a `Z` offset, e.g. `2026-01-31T08:00:00Z`, fractional
/// seconds only when non-zero. Serialises exactly as chrono does (`SecondsFormat::AutoSi`);
/// reads any RFC 3339 offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub DateTime<Utc>);

/// A calendar date, `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Date(pub NaiveDate);

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_rfc3339_opts(SecondsFormat::AutoSi, true))
    }
}

impl FromStr for Timestamp {
    type Err = chrono::ParseError;

    /// Any offset, converted to UTC: what serde reads too.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse::<DateTime<Utc>>().map(Self)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%d"))
    }
}

impl FromStr for Date {
    type Err = chrono::ParseError;

    /// What serde reads too.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse::<NaiveDate>().map(Self)
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(at: DateTime<Utc>) -> Self {
        Self(at)
    }
}

impl From<Timestamp> for DateTime<Utc> {
    fn from(at: Timestamp) -> Self {
        at.0
    }
}

impl From<NaiveDate> for Date {
    fn from(day: NaiveDate) -> Self {
        Self(day)
    }
}

impl From<Date> for NaiveDate {
    fn from(day: Date) -> Self {
        day.0
    }
}

/// An instant, RFC 3339 in UTC with a `Z` offset, e.g. `2026-01-31T08:00:00Z`; fractional
/// seconds only when non-zero (3, 6 or 9 digits). Input may carry any offset, e.g.
/// `2026-01-31T16:00:00+08:00` for the same instant. The REST API writes the same format.
#[Scalar(
    name = "DateTime",
    specified_by_url = "https://www.rfc-editor.org/rfc/rfc3339"
)]
impl ScalarType for Timestamp {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => Ok(s.parse()?),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.to_string())
    }
}

/// A calendar date, ISO 8601 / RFC 3339 full-date `YYYY-MM-DD`, e.g. `1988-04-02`. The REST
/// API writes the same format.
#[Scalar(
    name = "Date",
    specified_by_url = "https://www.rfc-editor.org/rfc/rfc3339#section-5.6"
)]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => Ok(s.parse()?),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.to_string())
    }
}

// OpenAPI: plain strings with a format, as chrono's types are. The document inlines them
// (`rest::openapi`), so it shows no `Timestamp` or `Date` component.

impl utoipa::PartialSchema for Timestamp {
    fn schema() -> RefOr<Schema> {
        string_with(KnownFormat::DateTime)
    }
}

impl utoipa::ToSchema for Timestamp {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Timestamp")
    }
}

impl utoipa::PartialSchema for Date {
    fn schema() -> RefOr<Schema> {
        string_with(KnownFormat::Date)
    }
}

impl utoipa::ToSchema for Date {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Date")
    }
}

fn string_with(format: KnownFormat) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(format)))
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_what_chrono_serde_writes() {
        for raw in [
            "2026-12-02T14:02:20.609864Z",
            "2026-01-31T08:00:00Z",
            "2026-01-31T08:00:00.120Z",
            "2026-01-31T08:00:00.000000001Z",
        ] {
            let at: DateTime<Utc> = raw.parse().expect("an instant");
            let chrono = serde_json::to_string(&at).expect("serialisable");
            let ours = serde_json::to_string(&Timestamp(at)).expect("serialisable");
            assert_eq!(ours, chrono);
            assert_eq!(format!("\"{}\"", Timestamp(at)), chrono);
            assert_eq!(Timestamp(at).to_value(), Value::String(raw.to_owned()));
        }
    }

    #[test]
    fn reads_any_offset() {
        let east: Timestamp = "2026-01-31T16:00:00+08:00".parse().expect("an instant");
        assert_eq!(east.to_string(), "2026-01-31T08:00:00Z");
        let west = Value::String("2026-01-31T03:00:00-05:00".into());
        assert_eq!(<Timestamp as ScalarType>::parse(west).ok(), Some(east));
        let from_json: Timestamp =
            serde_json::from_str("\"2026-01-31T16:00:00+08:00\"").expect("an instant");
        assert_eq!(from_json, east);
        assert!(<Timestamp as ScalarType>::parse(Value::String("yesterday".into())).is_err());
    }

    #[test]
    fn dates_are_full_dates() {
        let day = <Date as ScalarType>::parse(Value::String("1988-04-02".into())).expect("a date");
        assert_eq!(day.to_value(), Value::String("1988-04-02".into()));
        assert_eq!(serde_json::json!(day), serde_json::json!("1988-04-02"));
        let instant = Value::String("1988-04-02T00:00:00Z".into());
        assert!(<Date as ScalarType>::parse(instant).is_err());
    }
}
