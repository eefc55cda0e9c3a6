//! Short-lived, in-process caches of what nearly every request reads and rarely changes:
//! who an access token or an API key belongs to, and the custom-field definitions' classes.
//! With them a read of one customer is one SQL statement.
//!
//! An entry lives at most [`Caches::new`]'s time to live (`DOSSIER_CACHE_SECONDS`, 5 s by
//! default). A change forgets it sooner, on every instance:
//! - the instance that made the change forgets it once the change has committed
//!   ([`changed`], or [`Caches::forget`] after a transaction that [`announce`]d it);
//! - on PostgreSQL a `NOTIFY dossier_cache` names the [`Topic`] ([`announce`]), and every
//!   server instance listens ([`listen`]) and forgets it too; when an instance loses its
//!   listening connection it forgets everything, since it may have missed a notice.
//!
//! So a deactivated user, a demoted one, a changed password or a revoked key stop working at
//! once on every instance over PostgreSQL, and within the time to live when the change was
//! made by another process over SQLite (the command line while a server runs). Only a
//! successful lookup is cached: a refused token or key is looked up again each time.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use moka::sync::Cache;
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement};

use crate::error::AppResult;
use crate::policy::CustomFieldClasses;
use crate::policy::Principal;

/// The PostgreSQL channel instances tell each other of changes on.
const CHANNEL: &str = "dossier_cache";

/// What changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topic {
    /// A user (role, activity, password, sessions) or an API key.
    Principals,
    /// A custom-field definition.
    CustomFields,
}

impl Topic {
    fn as_str(self) -> &'static str {
        match self {
            Self::Principals => "principals",
            Self::CustomFields => "custom_fields",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "principals" => Some(Self::Principals),
            "custom_fields" => Some(Self::CustomFields),
            _ => None,
        }
    }
}

/// A principal found by its credentials, and what its next lookup must still check.
#[derive(Debug, Clone)]
pub struct Known {
    pub principal: Principal,
    /// When an API key stops working (checked on every use).
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
    /// When an API key's use was last recorded.
    pub last_used_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// This instance's caches.
///
/// Each topic has a generation that every forget moves on. A lookup takes the generation
/// before it reads the database ([`Caches::generation`]) and its result is remembered only
/// if no forget came in between, so a lookup that read the old row while a change
/// committed cannot put it back for a whole time to live.
pub struct Caches {
    principals: Option<Cache<String, Arc<Known>>>,
    classes: Option<Cache<(), Arc<CustomFieldClasses>>>,
    generations: [AtomicU64; 2],
}

/// A topic's generation, taken before a lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generation(u64);

impl std::fmt::Debug for Caches {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Caches")
            .field("enabled", &self.principals.is_some())
            .finish_non_exhaustive()
    }
}

/// Principals kept at most (a few hundred bytes each).
const MAX_PRINCIPALS: u64 = 10_000;

impl Caches {
    /// Caches whose entries live at most `ttl`; none at all for a zero `ttl`.
    pub fn new(ttl: Duration) -> Self {
        if ttl.is_zero() {
            return Self {
                principals: None,
                classes: None,
                generations: Default::default(),
            };
        }
        Self {
            generations: Default::default(),
            principals: Some(
                Cache::builder()
                    .max_capacity(MAX_PRINCIPALS)
                    .time_to_live(ttl)
                    .build(),
            ),
            classes: Some(Cache::builder().max_capacity(1).time_to_live(ttl).build()),
        }
    }

    fn slot(&self, topic: Topic) -> &AtomicU64 {
        match topic {
            Topic::Principals => &self.generations[0],
            Topic::CustomFields => &self.generations[1],
        }
    }

    /// `topic`'s generation now: take it before reading what will be remembered.
    pub fn generation(&self, topic: Topic) -> Generation {
        Generation(self.slot(topic).load(Ordering::Acquire))
    }

    fn unchanged(&self, topic: Topic, since: Generation) -> bool {
        self.generation(topic) == since
    }

    /// The principal cached under `key`.
    pub fn principal(&self, key: &str) -> Option<Arc<Known>> {
        self.principals.as_ref()?.get(key)
    }

    /// Remember the principal found under `key` by a lookup that began at `since`.
    pub fn remember_principal(&self, since: Generation, key: String, known: Known) {
        if let Some(c) = &self.principals {
            c.insert(key, Arc::new(known));
            // A forget that came in meanwhile may have missed the entry: take it back.
            if !self.unchanged(Topic::Principals, since) {
                c.invalidate_all();
            }
        }
    }

    /// The custom-field classes, cached.
    pub fn classes(&self) -> Option<Arc<CustomFieldClasses>> {
        self.classes.as_ref()?.get(&())
    }

    /// Remember the custom-field classes read by a lookup that began at `since`.
    pub fn remember_classes(&self, since: Generation, classes: Arc<CustomFieldClasses>) {
        if let Some(c) = &self.classes {
            c.insert((), classes);
            if !self.unchanged(Topic::CustomFields, since) {
                c.invalidate_all();
            }
        }
    }

    /// Forget what `topic` covers, here.
    pub fn forget(&self, topic: Topic) {
        self.slot(topic).fetch_add(1, Ordering::AcqRel);
        match topic {
            Topic::Principals => {
                if let Some(c) = &self.principals {
                    c.invalidate_all();
                }
            }
            Topic::CustomFields => {
                if let Some(c) = &self.classes {
                    c.invalidate_all();
                }
            }
        }
    }

    /// Forget everything, here.
    pub fn forget_all(&self) {
        self.forget(Topic::Principals);
        self.forget(Topic::CustomFields);
    }
}

/// Say that `topic` changed, once the change has committed: this instance forgets it now
/// and, on PostgreSQL, every instance listening does on the notice.
///
/// # Errors
/// Database failures sending the notice (the change itself has committed).
pub async fn changed(db: &DatabaseConnection, caches: &Caches, topic: Topic) -> AppResult<()> {
    caches.forget(topic);
    announce(db, topic).await
}

/// Tell the other instances (PostgreSQL) that `topic` changes. Sent in a transaction, the
/// notice goes out when it commits, and not at all if it rolls back; this instance must
/// still [`Caches::forget`] once it has committed.
///
/// # Errors
/// Database failures.
pub async fn announce(conn: &impl ConnectionTrait, topic: Topic) -> AppResult<()> {
    if conn.get_database_backend() == DatabaseBackend::Postgres {
        conn.execute_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            [CHANNEL.into(), topic.as_str().into()],
        ))
        .await?;
    }
    Ok(())
}

/// Listen for other instances' changes (PostgreSQL at `url`) until the process ends,
/// forgetting what each notice names; a lost connection forgets everything and listens
/// again. The listener has a connection of its own, never one of the serving pool's.
/// Nothing to do on SQLite.
pub async fn listen(url: String, caches: Arc<Caches>) {
    use sea_orm::sqlx::postgres::PgListener;
    if !url.starts_with("postgres") {
        return;
    }
    loop {
        let listener = async {
            let mut l = PgListener::connect(&url).await?;
            l.listen(CHANNEL).await?;
            Ok::<_, sea_orm::sqlx::Error>(l)
        };
        match listener.await {
            Ok(mut listener) => {
                // Anything may have changed while no one was listening.
                caches.forget_all();
                loop {
                    match listener.try_recv().await {
                        Ok(Some(notice)) => match Topic::parse(notice.payload()) {
                            Some(topic) => caches.forget(topic),
                            None => caches.forget_all(),
                        },
                        Ok(None) => {
                            tracing::warn!("cache notices: connection lost; forgetting all");
                            caches.forget_all();
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "cache notices: listening failed");
                            caches.forget_all();
                            break;
                        }
                    }
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cache notices: cannot listen; retrying");
                caches.forget_all();
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zero_time_to_live_caches_nothing() {
        let c = Caches::new(Duration::ZERO);
        c.remember_classes(c.generation(Topic::CustomFields), Arc::default());
        assert!(c.classes().is_none());
    }

    #[test]
    fn forgetting_one_topic_keeps_the_other() {
        let c = Caches::new(Duration::from_secs(60));
        c.remember_classes(c.generation(Topic::CustomFields), Arc::default());
        c.remember_principal(
            c.generation(Topic::Principals),
            "k".to_owned(),
            Known {
                principal: Principal::operator(),
                expires_at: None,
                last_used_at: None,
            },
        );
        c.forget(Topic::Principals);
        assert!(c.principal("k").is_none());
        assert!(c.classes().is_some());
        c.forget(Topic::CustomFields);
        assert!(c.classes().is_none());
    }

    #[test]
    fn a_lookup_overtaken_by_a_change_is_not_remembered() {
        let c = Caches::new(Duration::from_secs(60));
        let since = c.generation(Topic::CustomFields);
        c.forget(Topic::CustomFields);
        c.remember_classes(since, Arc::default());
        assert!(c.classes().is_none());
        let now = c.generation(Topic::CustomFields);
        c.remember_classes(now, Arc::default());
        assert!(c.classes().is_some());
    }

    #[test]
    fn topics_read_back() {
        for t in [Topic::Principals, Topic::CustomFields] {
            assert_eq!(Topic::parse(t.as_str()), Some(t));
        }
    }
}
