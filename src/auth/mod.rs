//! Signing in: the `Principal` of a request built from a bearer access token or an API key
//! (`extract`), passwords (`password`), tokens (`jwt`) and the sign-in throttle.

mod extract;
pub mod jwt;
pub mod password;
pub mod throttle;
