//! Passwords: Argon2id (m = 19 MiB, t = 2, p = 1, the OWASP minimum), hashed and verified
//! on the blocking pool so a login never stalls the async workers.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::error::AppError;

/// Shortest accepted password, in characters.
pub const MIN_LENGTH: usize = 12;
/// Longest accepted password, in characters (bounds the hashing cost).
pub const MAX_LENGTH: usize = 128;

fn hasher() -> Result<Argon2<'static>, AppError> {
    let params = Params::new(19_456, 2, 1, None)
        .map_err(|e| AppError::Internal(anyhow::anyhow!(e.to_string())))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
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
/// Only on an internal hashing failure.
pub async fn hash(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || {
        // 16 random bytes from the operating system's generator (rand's `ThreadRng` is a
        // CSPRNG seeded from it), the salt length the PHC string format recommends.
        let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())
            .map_err(|e| AppError::Internal(anyhow::anyhow!(e.to_string())))?;
        hasher()?
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| AppError::Internal(anyhow::anyhow!(e.to_string())))
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?
}

/// A valid hash of a password nobody has, so an unknown user costs as much as a wrong
/// password and the two cannot be told apart by timing.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3F6qBsJ0b2Vk0mSk3l7Yv0R2uYv1sWZ8wq3R7y0kYqM";

/// Whether `password` matches `stored` (a PHC string); `None` runs against a dummy hash.
///
/// # Errors
/// Only on an internal failure; a malformed stored hash is a mismatch.
pub async fn verify(password: String, stored: Option<String>) -> Result<bool, AppError> {
    tokio::task::spawn_blocking(move || {
        let known = stored.is_some();
        let stored = stored.unwrap_or_else(|| DUMMY_HASH.to_owned());
        let Ok(parsed) = PasswordHash::new(&stored) else {
            return Ok(false);
        };
        let matches = hasher()?
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        Ok(known && matches)
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_with_owasp_parameters_and_verify() {
        let hash = hash("correct horse battery".to_owned())
            .await
            .unwrap_or_default();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert_eq!(
            verify("correct horse battery".to_owned(), Some(hash.clone()))
                .await
                .ok(),
            Some(true)
        );
        assert_eq!(
            verify("wrong horse battery!".to_owned(), Some(hash))
                .await
                .ok(),
            Some(false)
        );
        assert_eq!(
            verify("anything at all".to_owned(), None).await.ok(),
            Some(false)
        );
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
