//! `Amount`: the stored form of a money amount, exact on both databases.
//!
//! How money is stored and summed:
//! - **PostgreSQL** keeps amounts in `NUMERIC(28, 4)` columns, bound and read as
//!   `rust_decimal::Decimal`; sums run in SQL over `NUMERIC`, which is exact, and a value that
//!   is not a number cannot be stored at all.
//! - **SQLite** keeps the decimal text (`"168.00"`): a `NUMERIC` or `REAL` column there would
//!   turn `0.10` into a binary float. Amounts are bound as that text and parsed strictly when
//!   read, so a stored value that is not a decimal is a read error naming the column and the
//!   row, never zero. SQLite never sums amounts in SQL (its `SUM` over text is `REAL`): the
//!   service reads the amounts and adds them as decimals.
//!
//! Either way the value is normalised when made: trailing zeros dropped, at least two decimal
//! places kept, so `12` and `12.0000` both read and print as `12.00`.

use std::fmt;

use sea_orm::sea_query::{ArrayType, ColumnType, Nullable, ValueType, ValueTypeErr};
use sea_orm::{ColIdx, DbErr, QueryResult, TryGetError, TryGetable, Value, prelude::Decimal};

/// An exact, non-float money amount (the currency lives in a column beside it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Amount(Decimal);

impl Amount {
    /// Zero, written `0.00`.
    pub const ZERO: Self = Self(Decimal::from_parts(0, 0, 0, false, 2));

    /// The amount `value`, normalised: no trailing zeros past two decimal places.
    #[must_use]
    pub fn new(value: Decimal) -> Self {
        let mut d = value.normalize();
        if d.scale() < 2 {
            d.rescale(2);
        }
        Self(d)
    }

    /// The decimal value.
    #[must_use]
    pub const fn value(self) -> Decimal {
        self.0
    }
}

impl From<Decimal> for Amount {
    fn from(value: Decimal) -> Self {
        Self::new(value)
    }
}

impl From<Amount> for Decimal {
    fn from(a: Amount) -> Self {
        a.0
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl From<Amount> for Value {
    /// Bound as `NUMERIC` on PostgreSQL and as the decimal text on SQLite.
    fn from(a: Amount) -> Self {
        Value::Decimal(Some(a.0))
    }
}

impl Nullable for Amount {
    fn null() -> Value {
        Value::Decimal(None)
    }
}

impl ValueType for Amount {
    fn try_from(v: Value) -> Result<Self, ValueTypeErr> {
        match v {
            Value::Decimal(Some(d)) => Ok(Self::new(d)),
            Value::String(Some(s)) => s.parse().map(Self::new).map_err(|_| ValueTypeErr),
            _ => Err(ValueTypeErr),
        }
    }

    fn type_name() -> String {
        "Amount".to_owned()
    }

    fn array_type() -> ArrayType {
        ArrayType::Decimal
    }

    fn column_type() -> ColumnType {
        ColumnType::Decimal(Some((28, 4)))
    }
}

impl TryGetable for Amount {
    fn try_get_by<I: ColIdx>(res: &QueryResult, idx: I) -> Result<Self, TryGetError> {
        // Decimal text on SQLite; a text read of a PostgreSQL `NUMERIC` is a type mismatch,
        // and that column is read as a decimal instead.
        match String::try_get_by(res, idx) {
            Ok(text) => text.trim().parse::<Decimal>().map(Self::new).map_err(|_| {
                // Name the column and the row, never the stored value.
                TryGetError::DbErr(DbErr::Type(format!(
                    "stored amount in column {idx:?} of row {} is not a decimal number",
                    row_key(res, idx)
                )))
            }),
            Err(TryGetError::Null(col)) => Err(TryGetError::Null(col)),
            Err(TryGetError::DbErr(_)) => Decimal::try_get_by(res, idx).map(Self::new),
        }
    }
}

/// The key of the row being read, for error messages: the `id` (or `customer_id`) next to a
/// named column, with the same `A_`-style prefix a joined select gives; the first column of
/// a tuple read.
fn row_key<I: ColIdx>(res: &QueryResult, idx: I) -> String {
    use sea_orm::prelude::Uuid;
    let name = format!("{idx:?}");
    let key = if let Some(name) = name.strip_prefix('"').and_then(|n| n.strip_suffix('"')) {
        let prefix = match name.as_bytes() {
            [p, b'_', ..] if p.is_ascii_uppercase() => &name[..2],
            _ => "",
        };
        ["id", "customer_id"].iter().find_map(|k| {
            res.try_get_by::<Uuid, _>(format!("{prefix}{k}").as_str())
                .ok()
        })
    } else {
        res.try_get_by_index::<Uuid>(0).ok()
    };
    key.map_or_else(|| "(unknown)".to_owned(), |k| k.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_normalised_to_two_decimals_at_least() {
        let d = |s: &str| s.parse::<Decimal>().unwrap_or_default();
        assert_eq!(Amount::new(d("12")).to_string(), "12.00");
        assert_eq!(Amount::new(d("168.0000")).to_string(), "168.00");
        assert_eq!(Amount::new(d("1.2340")).to_string(), "1.234");
        assert_eq!(Amount::new(d("0.0001")).to_string(), "0.0001");
        assert_eq!(Amount::ZERO.to_string(), "0.00");
        assert_eq!(Amount::new(d("168.00")), Amount::new(d("168.0000")));
    }
}
