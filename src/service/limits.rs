//! Counting the limits of `policy::limits` in the database (`limit_counters`), so they hold
//! across server instances.
//!
//! An event is counted before the work it limits: one `INSERT … ON CONFLICT DO UPDATE …
//! RETURNING` per call (PostgreSQL and SQLite alike) adds one (or a page's count) to each counter, or starts a
//! new window when the old one has passed, and returns the counts. Two concurrent requests
//! therefore never both see the last free place. An event that turns out not to count (the
//! limit was already reached, the sign-in succeeded, the export failed) is given back.

use std::time::Duration;

use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};

use crate::error::{AppError, AppResult};
use crate::policy::limits::{Limit, Limits, Rule};

/// One counter after an event was counted in it.
#[derive(Debug, Clone)]
pub struct Hit {
    pub limit: Limit,
    pub key: String,
    pub rule: Rule,
    /// When the window started, Unix milliseconds.
    pub window_start: i64,
    /// When the window ends, Unix milliseconds.
    pub expires_at: i64,
    /// Events in the window, this one included.
    pub count: i64,
    /// How many events this call counted (one, or a page's customers).
    pub taken: i64,
}

impl Hit {
    /// Whether this event is beyond the rule.
    pub fn exceeded(&self) -> bool {
        self.count > i64::from(self.rule.max)
    }

    /// Seconds until the window ends (at least 1).
    pub fn retry_after(&self, now_ms: i64) -> u64 {
        let ms = u64::try_from(self.expires_at.saturating_sub(now_ms)).unwrap_or(0);
        ms.div_ceil(1000).max(1)
    }
}

fn millis(window: Duration) -> i64 {
    i64::try_from(window.as_millis()).unwrap_or(i64::MAX)
}

/// Now, Unix milliseconds.
pub fn now_ms() -> i64 {
    crate::clock::now().timestamp_millis()
}

fn placeholder(backend: DbBackend, n: usize) -> String {
    match backend {
        DbBackend::Postgres => format!("${n}"),
        _ => "?".to_owned(),
    }
}

/// Count one event in each of `counters`, in one statement.
///
/// # Errors
/// Database failures.
pub async fn hit(
    db: &impl ConnectionTrait,
    limits: &Limits,
    counters: &[(Limit, String)],
) -> AppResult<Vec<Hit>> {
    hit_n(db, limits, counters, 1).await
}

/// Count `n` events in each of `counters`, in one statement.
///
/// # Errors
/// Database failures.
pub async fn hit_n(
    db: &impl ConnectionTrait,
    limits: &Limits,
    counters: &[(Limit, String)],
    n: i64,
) -> AppResult<Vec<Hit>> {
    let backend = db.get_database_backend();
    let now = now_ms();
    let mut values: Vec<Value> = Vec::new();
    let mut rows = Vec::new();
    for (limit, key) in counters {
        let window = millis(limits.rule(*limit).window);
        let base = values.len();
        let p: Vec<String> = (1..=5).map(|i| placeholder(backend, base + i)).collect();
        rows.push(format!(
            "({}, {}, {}, {}, {})",
            p[0], p[1], p[2], p[3], p[4]
        ));
        values.extend([
            limit.name().into(),
            key.clone().into(),
            now.into(),
            now.saturating_add(window).into(),
            n.into(),
        ]);
    }
    // Every `SET` expression reads the row as it was, so all three agree on whether the
    // old window has passed.
    let passed = "limit_counters.expires_at <= excluded.window_start";
    let sql = format!(
        "INSERT INTO limit_counters (limit_name, limit_key, window_start, expires_at, hits) \
         VALUES {} ON CONFLICT (limit_name, limit_key) DO UPDATE SET \
         hits = CASE WHEN {passed} THEN excluded.hits ELSE limit_counters.hits + excluded.hits END, \
         window_start = CASE WHEN {passed} THEN excluded.window_start ELSE limit_counters.window_start END, \
         expires_at = CASE WHEN {passed} THEN excluded.expires_at ELSE limit_counters.expires_at END \
         RETURNING limit_name, limit_key, window_start, expires_at, hits",
        rows.join(", ")
    );
    let returned = db
        .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    let mut hits = Vec::with_capacity(counters.len());
    for row in returned {
        let name: String = row.try_get("", "limit_name")?;
        let key: String = row.try_get("", "limit_key")?;
        let Some((limit, _)) = counters.iter().find(|(l, k)| l.name() == name && *k == key) else {
            return Err(AppError::Internal(anyhow::anyhow!(
                "limit counter {name} came back unasked"
            )));
        };
        hits.push(Hit {
            limit: *limit,
            key,
            rule: limits.rule(*limit),
            window_start: row.try_get("", "window_start")?,
            expires_at: row.try_get("", "expires_at")?,
            count: row.try_get("", "hits")?,
            taken: n,
        });
    }
    // Now and then, forget the windows that have passed (the keys name addresses and IPs).
    if rand::random::<u8>() < 4 {
        db.execute_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "DELETE FROM limit_counters WHERE expires_at < {}",
                placeholder(backend, 1)
            ),
            [now.into()],
        ))
        .await?;
    }
    Ok(hits)
}

/// `TooManyRequests` if any counter is beyond its rule, with the longest wait of those.
pub fn refusal(hits: &[Hit]) -> Option<AppError> {
    let now = now_ms();
    hits.iter()
        .filter(|h| h.exceeded())
        .map(|h| h.retry_after(now))
        .max()
        .map(|retry_after| AppError::TooManyRequests { retry_after })
}

/// Give back the events counted in `hits` (they turned out not to count), in their windows.
///
/// # Errors
/// Database failures.
pub async fn refund(db: &impl ConnectionTrait, hits: &[Hit]) -> AppResult<()> {
    let backend = db.get_database_backend();
    let p = |n| placeholder(backend, n);
    for h in hits {
        db.execute_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "UPDATE limit_counters SET hits = CASE WHEN hits > {} THEN hits - {} ELSE 0 END \
                 WHERE limit_name = {} AND limit_key = {} AND window_start = {} AND hits > 0",
                p(1),
                p(2),
                p(3),
                p(4),
                p(5)
            ),
            [
                h.taken.into(),
                h.taken.into(),
                h.limit.name().into(),
                h.key.clone().into(),
                h.window_start.into(),
            ],
        ))
        .await?;
    }
    Ok(())
}

/// Forget a counter altogether (a user's own lockout after they signed in).
///
/// # Errors
/// Database failures.
pub async fn reset(db: &impl ConnectionTrait, hit: &Hit) -> AppResult<()> {
    let backend = db.get_database_backend();
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        format!(
            "DELETE FROM limit_counters WHERE limit_name = {} AND limit_key = {}",
            placeholder(backend, 1),
            placeholder(backend, 2)
        ),
        [hit.limit.name().into(), hit.key.clone().into()],
    ))
    .await?;
    Ok(())
}

/// Count `n` events under `limit` for `key` at once (a page of `n` customers); beyond the
/// rule they are given back and refused.
///
/// # Errors
/// `TooManyRequests` with the seconds until the window ends; database failures.
pub async fn take_n(
    db: &impl ConnectionTrait,
    limits: &Limits,
    limit: Limit,
    key: String,
    n: i64,
) -> AppResult<Hit> {
    let hits = hit_n(db, limits, &[(limit, key)], n).await?;
    if let Some(refused) = refusal(&hits) {
        refund(db, &hits).await?;
        return Err(refused);
    }
    hits.into_iter()
        .next()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("no limit counter came back")))
}

/// Count one event under `limit` for `key`; beyond the rule it is given back and refused.
///
/// # Errors
/// `TooManyRequests` with the seconds until the window ends; database failures.
pub async fn take(
    db: &impl ConnectionTrait,
    limits: &Limits,
    limit: Limit,
    key: String,
) -> AppResult<Hit> {
    take_n(db, limits, limit, key, 1).await
}
