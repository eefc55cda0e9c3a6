//! Passwords: Argon2id (m = 19 MiB, t = 2, p = 1, the OWASP minimum), hashed and verified
//! on the blocking pool so a login never stalls the async workers.
//!
//! Each check allocates 19 MiB, so the work is bounded ([`HashPool`]): at most one check per
//! core runs at a time, at most a configured number wait for a turn, and any beyond that are
//! refused at once with [`AppError::Busy`] (503 + `Retry-After`) instead of queueing. The
//! 19 MiB a check works in is kept and lent to the next check ([`Memory`]) rather than
//! allocated per attempt, so memory stays at `workers × 19 MiB` whatever the number of
//! attempts: an allocator keeps a freed block that size for the thread that freed it, and a
//! flood would otherwise leave one behind on every blocking thread it touched.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use std::sync::Mutex;

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tokio::sync::Semaphore;

use crate::error::{AppError, AppResult};

/// Seconds a refused caller is told to wait before trying again.
pub const BUSY_RETRY_AFTER: u64 = 1;

/// The number of cores, the default number of checks that run at once.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}

/// The bounded pool password work runs through: `workers` checks at a time (a semaphore in
/// front of `spawn_blocking`), at most `queue` more waiting for a permit.
#[derive(Debug)]
pub struct HashPool {
    permits: Arc<Semaphore>,
    waiting: AtomicUsize,
    queue: usize,
    memory: Arc<Memory>,
}

/// The Argon2 working memory of the checks: a check borrows a block array and gives it back,
/// so there are never more arrays than checks that ran at once (at most the workers).
#[derive(Debug, Default)]
struct Memory(Mutex<Vec<Vec<Block>>>);

impl Memory {
    /// Run `work` with `blocks` blocks of working memory, reusing a returned array.
    fn with<T>(&self, blocks: usize, work: impl FnOnce(&mut [Block]) -> T) -> T {
        let mut memory = self
            .0
            .lock()
            .ok()
            .and_then(|mut free| free.pop())
            .unwrap_or_default();
        memory.resize(blocks, Block::default());
        let out = work(&mut memory);
        if let Ok(mut free) = self.0.lock() {
            free.push(memory);
        }
        out
    }
}

impl Default for HashPool {
    /// One check per core, four times as many waiting.
    fn default() -> Self {
        Self::new(cores(), 4 * cores())
    }
}

/// Leaves the queue when the waiting caller gets a permit, gives up or goes away.
struct InQueue<'a>(&'a AtomicUsize);

impl Drop for InQueue<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl HashPool {
    /// `workers` checks at once (at least one), `queue` waiting.
    pub fn new(workers: usize, queue: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(workers.max(1))),
            waiting: AtomicUsize::new(0),
            queue,
            memory: Arc::default(),
        }
    }

    /// Run `work` on the blocking pool once a permit is free. The permit moves into the
    /// blocking task, so a client that hangs up cannot free it before the work is done.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Memory) -> AppResult<T> + Send + 'static,
    ) -> AppResult<T> {
        let permit = if let Ok(permit) = Arc::clone(&self.permits).try_acquire_owned() {
            permit
        } else {
            let before = self.waiting.fetch_add(1, Ordering::AcqRel);
            let _in_queue = InQueue(&self.waiting);
            if before >= self.queue {
                tracing::warn!(
                    waiting = before,
                    "password check refused: the hashing queue is full"
                );
                return Err(AppError::Busy {
                    retry_after: BUSY_RETRY_AFTER,
                });
            }
            Arc::clone(&self.permits)
                .acquire_owned()
                .await
                .map_err(|e| AppError::Internal(e.into()))?
        };
        let memory = Arc::clone(&self.memory);
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work(&memory)
        })
        .await
        .map_err(|e| AppError::Internal(e.into()))?
    }
}

/// Shortest accepted password, in characters.
pub const MIN_LENGTH: usize = 12;
/// Longest accepted password, in characters (bounds the hashing cost).
pub const MAX_LENGTH: usize = 128;

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(anyhow::anyhow!(e.to_string()))
}

/// The parameters new hashes get.
fn params() -> Result<Params, AppError> {
    Params::new(19_456, 2, 1, None).map_err(internal)
}

/// The Argon2 output of `password` with `salt` (raw bytes), `len` bytes long, computed in
/// borrowed memory.
fn compute(
    memory: &Memory,
    algorithm: Algorithm,
    version: Version,
    params: Params,
    password: &[u8],
    salt: &[u8],
    len: usize,
) -> Result<Vec<u8>, argon2::Error> {
    let blocks = params.block_count();
    let argon2 = Argon2::new(algorithm, version, params);
    let mut out = vec![0; len];
    memory.with(blocks, |blocks| {
        argon2.hash_password_into_with_memory(password, salt, &mut out, blocks)
    })?;
    Ok(out)
}

/// Whether `password` gives the output stored in `stored`, computed with the parameters it
/// names; anything malformed is a mismatch.
fn matches(memory: &Memory, password: &[u8], stored: &PasswordHash<'_>) -> bool {
    let (Some(salt), Some(expected)) = (stored.salt, stored.hash) else {
        return false;
    };
    let (Ok(algorithm), Ok(params)) = (
        Algorithm::try_from(stored.algorithm),
        Params::try_from(stored),
    ) else {
        return false;
    };
    let version = match stored.version.map(Version::try_from).transpose() {
        Ok(version) => version.unwrap_or_default(),
        Err(_) => return false,
    };
    let mut raw = [0; 64];
    let Ok(salt) = salt.decode_b64(&mut raw) else {
        return false;
    };
    compute(
        memory,
        algorithm,
        version,
        params,
        password,
        salt,
        expected.len(),
    )
    .ok()
    .and_then(|out| Output::new(&out).ok())
    // `Output`'s equality takes the same time wherever the two differ.
    .is_some_and(|computed| computed == expected)
}

/// Check a new password's length.
///
/// # Errors
/// `Validation` naming `field`.
pub fn check_strength(field: &str, password: &str) -> Result<(), AppError> {
    let n = password.chars().count();
    if !(MIN_LENGTH..=MAX_LENGTH).contains(&n) {
        return Err(AppError::invalid(
            field,
            "weak_password",
            format!("must be {MIN_LENGTH} to {MAX_LENGTH} characters"),
        ));
    }
    Ok(())
}

/// Hash a password into a PHC string.
///
/// # Errors
/// `Busy` when the hashing queue is full; otherwise only on an internal hashing failure.
pub async fn hash(pool: &HashPool, password: String) -> Result<String, AppError> {
    pool.run(move |memory| {
        // 16 random bytes from the operating system's generator (rand's `ThreadRng` is a
        // CSPRNG seeded from it), the salt length the PHC string format recommends.
        let raw = rand::random::<[u8; 16]>();
        let salt = SaltString::encode_b64(&raw).map_err(internal)?;
        let params = params()?;
        let (algorithm, version) = (Algorithm::Argon2id, Version::V0x13);
        let out = compute(
            memory,
            algorithm,
            version,
            params.clone(),
            password.as_bytes(),
            &raw,
            Params::DEFAULT_OUTPUT_LEN,
        )
        .map_err(internal)?;
        let phc = PasswordHash {
            algorithm: algorithm.ident(),
            version: Some(version.into()),
            params: ParamsString::try_from(&params).map_err(internal)?,
            salt: Some(salt.as_salt()),
            hash: Some(Output::new(&out).map_err(internal)?),
        };
        Ok(phc.to_string())
    })
    .await
}

/// A valid hash of a password nobody has, so an unknown user costs as much as a wrong
/// password and the two cannot be told apart by timing.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3F6qBsJ0b2Vk0mSk3l7Yv0R2uYv1sWZ8wq3R7y0kYqM";

/// Whether `password` matches `stored` (a PHC string); `None` runs against a dummy hash.
///
/// # Errors
/// `Busy` when the hashing queue is full; otherwise only on an internal failure; a
/// malformed stored hash is a mismatch.
pub async fn verify(
    pool: &HashPool,
    password: String,
    stored: Option<String>,
) -> Result<bool, AppError> {
    pool.run(move |memory| {
        let known = stored.is_some();
        let stored = stored.unwrap_or_else(|| DUMMY_HASH.to_owned());
        let Ok(parsed) = PasswordHash::new(&stored) else {
            return Ok(false);
        };
        let matches = matches(memory, password.as_bytes(), &parsed);
        Ok(known && matches)
    })
    .await
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly")]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_with_owasp_parameters_and_verify() {
        let pool = HashPool::default();
        let hash = hash(&pool, "correct horse battery".to_owned())
            .await
            .unwrap_or_default();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert_eq!(
            verify(
                &pool,
                "correct horse battery".to_owned(),
                Some(hash.clone())
            )
            .await
            .ok(),
            Some(true)
        );
        assert_eq!(
            verify(&pool, "wrong horse battery!".to_owned(), Some(hash))
                .await
                .ok(),
            Some(false)
        );
        assert_eq!(
            verify(&pool, "anything at all".to_owned(), None).await.ok(),
            Some(false)
        );
    }

    #[tokio::test]
    async fn a_full_queue_is_refused_at_once_and_frees_up() {
        // One worker, no waiting room: while a check runs, the next is refused.
        let pool = Arc::new(HashPool::new(1, 0));
        let busy = Arc::clone(&pool);
        let (started, wait) = tokio::sync::oneshot::channel::<()>();
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let running = tokio::spawn(async move {
            busy.run(move |_| {
                let _ = started.send(());
                let _ = hold.recv();
                Ok(())
            })
            .await
        });
        let _ = wait.await;
        assert!(matches!(
            verify(&pool, "anything at all".to_owned(), None).await,
            Err(AppError::Busy { retry_after: 1 })
        ));
        let _ = release.send(());
        assert!(matches!(running.await, Ok(Ok(()))));
        assert_eq!(
            verify(&pool, "anything at all".to_owned(), None).await.ok(),
            Some(false),
            "free again"
        );
    }

    #[tokio::test]
    async fn hashes_agree_with_the_argon2_crates_own_hasher_and_verifier() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let pool = HashPool::default();
        let standard = Argon2::new(Algorithm::Argon2id, Version::V0x13, params().unwrap());
        // A hash stored by the crate's own hasher (how every existing password was stored).
        let salt = SaltString::encode_b64(b"sixteen byte slt").unwrap();
        let theirs = standard
            .hash_password(b"correct horse battery", &salt)
            .unwrap()
            .to_string();
        for (password, expected) in [
            ("correct horse battery", true),
            ("correct horse batterz", false),
        ] {
            let got = verify(&pool, password.to_owned(), Some(theirs.clone()))
                .await
                .ok();
            assert_eq!(got, Some(expected), "{password}");
        }
        // And a hash made here verifies with the crate's verifier.
        let ours = hash(&pool, "correct horse battery".to_owned())
            .await
            .unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(
            standard
                .verify_password(b"correct horse battery", &parsed)
                .is_ok()
        );
        assert!(
            standard
                .verify_password(b"correct horse batterz", &parsed)
                .is_err()
        );
    }

    #[tokio::test]
    async fn checks_one_after_another_reuse_one_working_memory() {
        let pool = HashPool::new(2, 0);
        for _ in 0..5 {
            let _ = verify(&pool, "anything at all".to_owned(), None).await;
        }
        let arrays = pool.memory.0.lock().map(|free| free.len()).unwrap_or(0);
        assert_eq!(arrays, 1, "one array lent and given back five times");
    }

    #[test]
    fn the_dummy_hash_parses() {
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }

    #[test]
    fn short_and_huge_passwords_are_refused() {
        assert!(check_strength("password", "short").is_err());
        assert!(check_strength("password", &"x".repeat(129)).is_err());
        assert!(check_strength("password", "twelve chars").is_ok());
    }
}
