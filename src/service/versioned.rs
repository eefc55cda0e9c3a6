//! Versioned writes: the check of the version and the write are one SQL statement.
//!
//! `UPDATE t SET …, version = version + 1 WHERE id = ? AND version = ?` (or `DELETE … WHERE
//! id = ? AND version = ?`): of two writers holding the same version exactly one matches the
//! row; the other matches nothing and gets `PreconditionFailed` (412) with the version now
//! current, or `NotFound` when the row is gone. The write is conditional on the version it was
//! computed from, so there is no window between a check and a write for another writer to
//! slip into.

use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect,
    UpdateMany,
};
use uuid::Uuid;

use crate::error::{AppError, AppResult};

/// A table whose rows carry a `version` that every write bumps.
pub(crate) trait Versioned: EntityTrait {
    /// The resource's name in a `NotFound`.
    const NAME: &'static str;
    /// The row's key.
    fn id_column() -> Self::Column;
    /// The row's version.
    fn version_column() -> Self::Column;
}

macro_rules! versioned {
    ($($module:ident => $name:literal by $id:ident),+ $(,)?) => {$(
        impl Versioned for entity::$module::Entity {
            const NAME: &'static str = $name;
            fn id_column() -> Self::Column {
                entity::$module::Column::$id
            }
            fn version_column() -> Self::Column {
                entity::$module::Column::Version
            }
        }
    )+};
}

versioned! {
    alert_rule => "alert rule" by Id,
    complaint => "complaint" by Id,
    custom_field => "custom field" by Id,
    customer => "customer" by Id,
    customer_preference => "preferences" by CustomerId,
    interaction => "interaction" by Id,
    loyalty_account => "loyalty account" by CustomerId,
    order => "order" by Id,
    product => "product" by Id,
    segment => "segment" by Id,
    user => "user" by Id,
}

/// The version a write is based on: the one just read in the write's transaction, which
/// must be the one the caller named (`If-Match`, `expectedVersion`) if it named one.
///
/// Refusing a stale version here answers 412 before the body is judged against a state the
/// caller has not seen (a transition from a status it never read would otherwise be a 409);
/// the guard against a writer slipping in after this read is the conditional write itself.
///
/// # Errors
/// `PreconditionFailed` with the version read when the caller named another.
pub(crate) fn base(expected: Option<i64>, read: i64) -> AppResult<i64> {
    match expected {
        Some(expected) if expected != read => Err(AppError::PreconditionFailed { current: read }),
        _ => Ok(read),
    }
}

/// Run `changes` on row `id` if its version is still `base`, bumping the version, in one
/// statement. Whether it matched; nothing is read back.
///
/// # Errors
/// Database failures.
pub(crate) async fn try_update<E: Versioned>(
    conn: &impl ConnectionTrait,
    id: Uuid,
    base: i64,
    changes: UpdateMany<E>,
) -> AppResult<bool> {
    let result = conditional(changes, id, base).exec(conn).await?;
    Ok(result.rows_affected == 1)
}

/// Run `changes` on row `id` if its version is still `base`, bumping the version, in one
/// statement, and return the row as written.
///
/// # Errors
/// `PreconditionFailed` with the current version when another write got there first;
/// `NotFound` when the row does not exist.
pub(crate) async fn update<E: Versioned>(
    conn: &impl ConnectionTrait,
    id: Uuid,
    base: i64,
    changes: UpdateMany<E>,
) -> AppResult<E::Model> {
    let statement = conditional(changes, id, base);
    if conn.support_returning() {
        if let Some(model) = statement.exec_with_returning(conn).await?.pop() {
            return Ok(model);
        }
    } else if statement.exec(conn).await?.rows_affected == 1 {
        return E::find()
            .filter(E::id_column().eq(id))
            .one(conn)
            .await?
            .ok_or(AppError::NotFound { entity: E::NAME });
    }
    Err(refusal::<E>(conn, id).await?)
}

/// [`update`] with the columns set in `changes` (its `version` is ignored: it is bumped).
///
/// # Errors
/// As [`update`].
pub(crate) async fn update_model<E, A>(
    conn: &impl ConnectionTrait,
    id: Uuid,
    base: i64,
    mut changes: A,
) -> AppResult<E::Model>
where
    E: Versioned,
    A: ActiveModelTrait<Entity = E>,
{
    changes.not_set(E::version_column());
    update(conn, id, base, E::update_many().set(changes)).await
}

/// Insert `row` as version 1 of a resource the caller saw as absent (version 0), in one
/// statement that does nothing if another write created it first.
///
/// # Errors
/// `PreconditionFailed` with the current version when the row exists.
pub(crate) async fn create<E, A>(conn: &impl ConnectionTrait, id: Uuid, mut row: A) -> AppResult<()>
where
    E: Versioned,
    A: ActiveModelTrait<Entity = E>,
{
    row.set(E::version_column(), 1_i64.into());
    let inserted = E::insert(row)
        .on_conflict(OnConflict::column(E::id_column()).do_nothing().to_owned())
        .exec_without_returning(conn)
        .await;
    match inserted {
        Ok(1) => Ok(()),
        Ok(_) | Err(DbErr::RecordNotInserted) => Err(refusal::<E>(conn, id).await?),
        Err(e) => Err(e.into()),
    }
}

/// Delete row `id` if its version is still `base`, in one statement.
///
/// # Errors
/// As [`update`].
pub(crate) async fn delete<E: Versioned>(
    conn: &impl ConnectionTrait,
    id: Uuid,
    base: i64,
) -> AppResult<()> {
    let result = E::delete_many()
        .filter(E::id_column().eq(id))
        .filter(E::version_column().eq(base))
        .exec(conn)
        .await?;
    if result.rows_affected == 1 {
        return Ok(());
    }
    Err(refusal::<E>(conn, id).await?)
}

fn conditional<E: Versioned>(changes: UpdateMany<E>, id: Uuid, base: i64) -> UpdateMany<E> {
    changes
        .col_expr(E::version_column(), Expr::col(E::version_column()).add(1))
        .filter(E::id_column().eq(id))
        .filter(E::version_column().eq(base))
}

/// Why a conditional write matched nothing: the row moved on, or it is gone.
async fn refusal<E: Versioned>(conn: &impl ConnectionTrait, id: Uuid) -> AppResult<AppError> {
    let current: Option<i64> = E::find()
        .select_only()
        .column(E::version_column())
        .filter(E::id_column().eq(id))
        .into_tuple()
        .one(conn)
        .await?;
    Ok(match current {
        Some(current) => AppError::PreconditionFailed { current },
        None => AppError::NotFound { entity: E::NAME },
    })
}
