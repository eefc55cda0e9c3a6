//! The client IP of a request, the key of the per-IP sign-in limits. Taken in this one
//! place, so that how it is found can change (e.g. believing `X-Forwarded-For` from a
//! trusted proxy) without touching the limits.

use std::future::{Ready, ready};
use std::net::IpAddr;

use actix_web::{FromRequest, HttpRequest, dev::Payload};

/// The IP the request came from, if the connection has one (a Unix socket has none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub Option<IpAddr>);

/// The client IP of `req`: today the TCP peer's address.
pub fn client_ip(req: &HttpRequest) -> ClientIp {
    ClientIp(req.peer_addr().map(|peer| peer.ip()))
}

impl FromRequest for ClientIp {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(client_ip(req)))
    }
}
