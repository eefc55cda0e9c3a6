//! Signing in: the `Principal` of a request built from a bearer access token or an API key
//! (`extract`), passwords (`password`, on a bounded pool), tokens (`jwt`) and the client IP
//! the sign-in limits count by (`client`), and the request-rate buckets a request is
//! charged to once its caller is known (`rate`).

pub mod client;
mod extract;
pub mod jwt;
pub mod password;
pub mod rate;
