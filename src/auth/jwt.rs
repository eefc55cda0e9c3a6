//! Access tokens: HS256 JWTs with a pinned algorithm, issuer, audience, explicit type and a
//! key id, so the signing key can rotate while tokens signed with the previous key stay
//! valid until they expire (RFC 8725).

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{
    Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, decode_header, encode,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// `iss` of every token Dossier issues.
pub const ISSUER: &str = "dossier";
/// `aud` of access tokens.
pub const AUDIENCE: &str = "dossier-api";
/// `typ` header of access tokens (RFC 9068), so no other kind of token passes as one.
pub const ACCESS_TYPE: &str = "at+jwt";
/// Lifetime of an access token.
pub const ACCESS_TTL_SECONDS: i64 = 15 * 60;
/// Clock skew tolerated on `exp`, `nbf`, `iat` and the lifetime.
const LEEWAY_SECONDS: u64 = 30;
/// Shortest secret accepted: 256 bits (RFC 8725 §3.5).
pub const MIN_SECRET_BYTES: usize = 32;

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub aud: String,
    /// The user id.
    pub sub: Uuid,
    pub exp: i64,
    pub nbf: i64,
    pub iat: i64,
    /// Unique id of this token.
    pub jti: Uuid,
    /// The user's role when the token was issued.
    pub role: String,
    /// The user's token version: bumping it on the user revokes every token issued before.
    pub tv: i64,
}

/// Why a token was refused; never shown in detail to the caller.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("the token is malformed")]
    Malformed,
    #[error("the token has no known key id")]
    UnknownKey,
    #[error("the token is not an access token")]
    WrongType,
    #[error("the token is invalid: {0}")]
    Invalid(String),
}

/// Signing keys: the current one signs and verifies, previous ones only verify.
#[derive(Clone)]
pub struct JwtKeys {
    current_kid: String,
    encoding: EncodingKey,
    decoding: HashMap<String, DecodingKey>,
    validation: Validation,
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtKeys")
            .field("current_kid", &self.current_kid)
            .finish_non_exhaustive()
    }
}

/// The key id of a secret: a short, non-reversible fingerprint.
fn kid_of(secret: &[u8]) -> String {
    let digest = Sha256::digest(secret);
    URL_SAFE_NO_PAD.encode(&digest[..9])
}

impl JwtKeys {
    /// Keys from the current secret and any previous ones still accepted for verification.
    ///
    /// # Errors
    /// A secret shorter than [`MIN_SECRET_BYTES`].
    pub fn new(current: &[u8], previous: &[Vec<u8>]) -> Result<Self, String> {
        for secret in std::iter::once(current).chain(previous.iter().map(Vec::as_slice)) {
            if secret.len() < MIN_SECRET_BYTES {
                return Err(format!(
                    "JWT secrets must be at least {MIN_SECRET_BYTES} bytes"
                ));
            }
        }
        let mut decoding = HashMap::new();
        for secret in std::iter::once(current).chain(previous.iter().map(Vec::as_slice)) {
            decoding.insert(kid_of(secret), DecodingKey::from_secret(secret));
        }
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = LEEWAY_SECONDS;
        Ok(Self {
            current_kid: kid_of(current),
            encoding: EncodingKey::from_secret(current),
            decoding,
            validation,
        })
    }

    /// Sign an access token for a user.
    ///
    /// # Errors
    /// Only if signing itself fails.
    pub fn issue(
        &self,
        user_id: Uuid,
        role: &str,
        token_version: i64,
        now: i64,
    ) -> Result<(String, AccessClaims), TokenError> {
        let claims = AccessClaims {
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            sub: user_id,
            exp: now + ACCESS_TTL_SECONDS,
            nbf: now,
            iat: now,
            jti: Uuid::now_v7(),
            role: role.to_owned(),
            tv: token_version,
        };
        let mut header = Header::new(Algorithm::HS256);
        header.typ = Some(ACCESS_TYPE.to_owned());
        header.kid = Some(self.current_kid.clone());
        let token = encode(&header, &claims, &self.encoding)
            .map_err(|e| TokenError::Invalid(e.to_string()))?;
        Ok((token, claims))
    }

    /// Verify an access token: key id known, algorithm HS256, type `at+jwt`, signature, `iss`,
    /// `aud`, `exp` and `nbf`; `iat` not in the future and `exp - iat` at most the access
    /// token lifetime (both within the leeway).
    ///
    /// # Errors
    /// Why the token is refused.
    pub fn verify(&self, token: &str) -> Result<AccessClaims, TokenError> {
        let header = decode_header(token).map_err(|_| TokenError::Malformed)?;
        let key = header
            .kid
            .as_deref()
            .and_then(|kid| self.decoding.get(kid))
            .ok_or(TokenError::UnknownKey)?;
        if header.typ.as_deref() != Some(ACCESS_TYPE) {
            return Err(TokenError::WrongType);
        }
        let claims = decode::<AccessClaims>(token, key, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| TokenError::Invalid(e.to_string()))?;
        check_lifetime(&claims, chrono::Utc::now().timestamp())?;
        Ok(claims)
    }
}

/// A token must have been issued in the past and live no longer than the tokens Dossier
/// issues (each within the leeway): one claiming to come from the future, or to last ten
/// years, was not made by this server's rules, whoever holds the key.
fn check_lifetime(claims: &AccessClaims, now: i64) -> Result<(), TokenError> {
    let leeway = i64::try_from(LEEWAY_SECONDS).unwrap_or(i64::MAX);
    if claims.iat > now.saturating_add(leeway) {
        return Err(TokenError::Invalid("issued in the future".to_owned()));
    }
    if claims.exp.saturating_sub(claims.iat) > ACCESS_TTL_SECONDS.saturating_add(leeway) {
        return Err(TokenError::Invalid(
            "lives longer than an access token may".to_owned(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef-current";
    const OLD: &[u8] = b"0123456789abcdef0123456789abcdef-previous";

    fn now() -> i64 {
        chrono::Utc::now().timestamp()
    }

    fn keys() -> JwtKeys {
        JwtKeys::new(SECRET, &[]).unwrap_or_else(|e| panic!("{e}"))
    }

    fn b64(value: &serde_json::Value) -> String {
        URL_SAFE_NO_PAD.encode(value.to_string())
    }

    #[test]
    fn a_token_round_trips() {
        let user = Uuid::now_v7();
        let (token, claims) = keys()
            .issue(user, "sales", 3, now())
            .unwrap_or_else(|e| panic!("{e}"));
        let verified = keys().verify(&token);
        assert_eq!(verified, Ok(claims));
    }

    #[test]
    fn short_secrets_are_refused() {
        assert!(JwtKeys::new(b"short", &[]).is_err());
        assert!(JwtKeys::new(SECRET, &[b"short".to_vec()]).is_err());
    }

    #[test]
    fn tokens_of_a_previous_key_verify_until_it_is_retired() {
        let old = JwtKeys::new(OLD, &[]).unwrap_or_else(|e| panic!("{e}"));
        let (token, _) = old
            .issue(Uuid::now_v7(), "admin", 0, now())
            .unwrap_or_else(|e| panic!("{e}"));
        let rotated = JwtKeys::new(SECRET, &[OLD.to_vec()]).unwrap_or_else(|e| panic!("{e}"));
        assert!(rotated.verify(&token).is_ok());
        assert_eq!(keys().verify(&token), Err(TokenError::UnknownKey));
    }

    #[test]
    fn alg_none_and_unsigned_tokens_are_refused() {
        let (token, claims) = keys()
            .issue(Uuid::now_v7(), "admin", 0, now())
            .unwrap_or_else(|e| panic!("{e}"));
        let kid = decode_header(&token)
            .ok()
            .and_then(|h| h.kid)
            .unwrap_or_default();
        let payload = b64(&serde_json::to_value(&claims).unwrap_or_default());
        for alg in ["none", "None", "NONE", "HS512", "RS256"] {
            let header = b64(&serde_json::json!({"alg": alg, "typ": ACCESS_TYPE, "kid": kid}));
            let forged = format!("{header}.{payload}.");
            assert!(keys().verify(&forged).is_err(), "alg {alg} must be refused");
        }
    }

    #[test]
    fn a_wrong_key_or_tampered_payload_is_refused() {
        let other = JwtKeys::new(b"another-secret-that-is-long-enough-000", &[])
            .unwrap_or_else(|e| panic!("{e}"));
        let (token, mut claims) = other
            .issue(Uuid::now_v7(), "admin", 0, now())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(keys().verify(&token), Err(TokenError::UnknownKey));

        let (token, _) = keys()
            .issue(Uuid::now_v7(), "sales", 0, now())
            .unwrap_or_else(|e| panic!("{e}"));
        claims.role = "admin".into();
        let parts: Vec<&str> = token.split('.').collect();
        let tampered = format!(
            "{}.{}.{}",
            parts[0],
            b64(&serde_json::to_value(&claims).unwrap_or_default()),
            parts[2]
        );
        assert!(matches!(
            keys().verify(&tampered),
            Err(TokenError::Invalid(_))
        ));
    }

    #[test]
    fn expired_future_and_foreign_audience_tokens_are_refused() {
        let k = keys();
        let (expired, _) = k
            .issue(Uuid::now_v7(), "admin", 0, now() - ACCESS_TTL_SECONDS - 120)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            matches!(k.verify(&expired), Err(TokenError::Invalid(_))),
            "expired"
        );
        let (early, _) = k
            .issue(Uuid::now_v7(), "admin", 0, now() + 300)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            matches!(k.verify(&early), Err(TokenError::Invalid(_))),
            "not yet valid"
        );

        let mut header = Header::new(Algorithm::HS256);
        header.typ = Some(ACCESS_TYPE.to_owned());
        header.kid = Some(kid_of(SECRET));
        let t = now();
        for claims in [
            serde_json::json!({"iss": ISSUER, "aud": "someone-else", "sub": Uuid::now_v7(), "exp": t + 60, "nbf": t}),
            serde_json::json!({"iss": "https://evil", "aud": AUDIENCE, "sub": Uuid::now_v7(), "exp": t + 60, "nbf": t}),
            serde_json::json!({"iss": ISSUER, "sub": Uuid::now_v7(), "exp": t + 60, "nbf": t}),
            serde_json::json!({"iss": ISSUER, "aud": AUDIENCE, "sub": Uuid::now_v7(), "nbf": t}),
        ] {
            let token =
                encode(&header, &claims, &EncodingKey::from_secret(SECRET)).unwrap_or_default();
            assert!(k.verify(&token).is_err(), "{claims}");
        }
    }

    #[test]
    fn a_token_of_another_type_is_refused() {
        let mut header = Header::new(Algorithm::HS256);
        header.typ = Some("refresh+jwt".to_owned());
        header.kid = Some(kid_of(SECRET));
        let t = now();
        let claims = serde_json::json!({"iss": ISSUER, "aud": AUDIENCE, "sub": Uuid::now_v7(), "exp": t + 60, "nbf": t,
                                        "iat": t, "jti": Uuid::now_v7(), "role": "admin", "tv": 0});
        let token = encode(&header, &claims, &EncodingKey::from_secret(SECRET)).unwrap_or_default();
        assert_eq!(keys().verify(&token), Err(TokenError::WrongType));
        assert_eq!(keys().verify("not.a.token"), Err(TokenError::Malformed));
    }

    fn signed(claims: &serde_json::Value) -> String {
        let mut header = Header::new(Algorithm::HS256);
        header.typ = Some(ACCESS_TYPE.to_owned());
        header.kid = Some(kid_of(SECRET));
        encode(&header, claims, &EncodingKey::from_secret(SECRET)).unwrap_or_default()
    }

    fn claims(nbf: i64, iat: i64, exp: i64) -> serde_json::Value {
        serde_json::json!({"iss": ISSUER, "aud": AUDIENCE, "sub": Uuid::now_v7(), "exp": exp, "nbf": nbf,
                           "iat": iat, "jti": Uuid::now_v7(), "role": "admin", "tv": 0})
    }

    #[test]
    fn a_token_issued_in_the_future_is_refused_beyond_the_leeway() {
        let t = now();
        let future = signed(&claims(t, t + 3600, t + 3600 + 60));
        assert_eq!(
            keys().verify(&future),
            Err(TokenError::Invalid("issued in the future".to_owned()))
        );
        let skewed = signed(&claims(t, t + 10, t + 600));
        assert!(keys().verify(&skewed).is_ok(), "a small clock skew passes");
    }

    #[test]
    fn a_token_living_longer_than_the_configured_lifetime_is_refused() {
        let t = now();
        let decade = signed(&claims(t, t, t + 10 * 365 * 24 * 3600));
        assert_eq!(
            keys().verify(&decade),
            Err(TokenError::Invalid(
                "lives longer than an access token may".to_owned()
            ))
        );
        let just_over = signed(&claims(t, t, t + ACCESS_TTL_SECONDS + 31));
        assert!(keys().verify(&just_over).is_err());
        let usual = signed(&claims(t, t, t + ACCESS_TTL_SECONDS));
        assert!(keys().verify(&usual).is_ok());
    }
}
