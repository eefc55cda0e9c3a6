//! Bulk insert: many rows in few statements, and the external-reference bookkeeping that
//! makes a re-run match what an earlier one wrote.

use super::*;

/// Insert rows. On PostgreSQL the batch goes as one JSON document expanded by
/// `json_populate_recordset` (a multi-row `VALUES` with tens of thousands of parameters
/// costs far more to parse and plan); elsewhere, in statements of at most [`MAX_BINDS`]
/// parameters (`columns` per row).
pub(super) async fn insert_chunked<E, A>(
    conn: &impl ConnectionTrait,
    rows: Vec<A>,
    columns: usize,
) -> AppResult<()>
where
    E: EntityTrait,
    A: ActiveModelTrait<Entity = E> + Send,
{
    if rows.is_empty() {
        return Ok(());
    }
    if conn.get_database_backend() == DatabaseBackend::Postgres
        && let Some(document) = json_rows::<E, A>(&rows)
    {
        let table = E::default().table_name().to_owned();
        let names: Vec<String> = E::Column::iter()
            .map(|c| format!("\"{}\"", c.as_str()))
            .collect();
        let list = names.join(", ");
        let sql = format!(
            "INSERT INTO \"{table}\" ({list}) SELECT {list} FROM json_populate_recordset(NULL::\"{table}\", $1::json)"
        );
        conn.execute_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            sql,
            [sea_orm::Value::Json(Some(Box::new(document)))],
        ))
        .await?;
        return Ok(());
    }
    let per = (MAX_BINDS / columns.max(1)).max(1);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(per).collect();
        E::insert_many(chunk).exec_without_returning(conn).await?;
    }
    Ok(())
}

/// The rows as a JSON array of objects keyed by column, when every value has a plain JSON
/// form (otherwise `None`, and the rows go the usual way).
pub(super) fn json_rows<E, A>(rows: &[A]) -> Option<Value>
where
    E: EntityTrait,
    A: ActiveModelTrait<Entity = E>,
{
    use sea_orm::Value as V;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let mut object = Map::new();
        for column in E::Column::iter() {
            let value = match row.get(column).into_value() {
                None => continue,
                Some(value) => match value {
                    V::Bool(v) => v.map_or(Value::Null, Value::Bool),
                    V::Int(v) => v.map_or(Value::Null, Value::from),
                    V::BigInt(v) => v.map_or(Value::Null, Value::from),
                    V::String(v) => v.map_or(Value::Null, Value::String),
                    V::Uuid(v) => v.map_or(Value::Null, |u| Value::String(u.to_string())),
                    V::Json(v) => v.map_or(Value::Null, |j| *j),
                    V::ChronoDate(v) => v.map_or(Value::Null, |d| Value::String(d.to_string())),
                    V::ChronoDateTimeUtc(v) => v.map_or(Value::Null, |t| {
                        Value::String(t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
                    }),
                    _ => return None,
                },
            };
            object.insert(column.as_str().to_owned(), value);
        }
        out.push(Value::Object(object));
    }
    Some(Value::Array(out))
}

/// The ids of records of this job's kind already imported from its source, by external id.
pub(super) async fn known_refs(
    conn: &impl ConnectionTrait,
    kind: &str,
    source: &str,
    ids: Vec<String>,
) -> AppResult<HashMap<String, Uuid>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut known = HashMap::new();
    for chunk in ids.chunks(5000) {
        let rows = external_ref::Entity::find()
            .filter(external_ref::Column::Kind.eq(kind))
            .filter(external_ref::Column::Source.eq(source))
            .filter(external_ref::Column::ExternalId.is_in(chunk.to_vec()))
            .all(conn)
            .await?;
        known.extend(rows.into_iter().map(|r| (r.external_id, r.record_id)));
    }
    Ok(known)
}

pub(super) fn new_ref(
    kind: &str,
    source: &str,
    external_id: String,
    record: Uuid,
) -> external_ref::ActiveModel {
    external_ref::ActiveModel {
        kind: Set(kind.to_owned()),
        source: Set(source.to_owned()),
        external_id: Set(external_id),
        record_id: Set(record),
        created_at: Set(crate::clock::now()),
    }
}
