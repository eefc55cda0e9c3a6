//! The client IP of a request: the key of the per-IP sign-in limits, the `client_ip` of the
//! access log, and whether the peer is a trusted proxy (whose `X-Request-Id` is kept). Taken
//! in this one place.
//!
//! The TCP peer is the client unless it is one of `DOSSIER_TRUSTED_PROXIES`; then the
//! client is the right-most address of `X-Forwarded-For` that is not itself a trusted proxy
//! (each proxy appends the address it was reached from, so everything left of the first
//! untrusted hop may be made up by the client). From any other peer the header is ignored.

use std::future::{Ready, ready};
use std::net::{IpAddr, SocketAddr};

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use ipnet::IpNet;

use crate::state::AppState;

/// The IP the request came from, if the connection has one (a Unix socket has none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub Option<IpAddr>);

const FORWARDED_FOR: &str = "x-forwarded-for";

fn trusted_by(proxies: &[IpNet], ip: IpAddr) -> bool {
    let ip = ip.to_canonical();
    proxies.iter().any(|net| net.contains(&ip))
}

fn proxies_of(req: &HttpRequest) -> &[IpNet] {
    req.app_data::<web::Data<AppState>>()
        .map_or(&[], |s| s.settings.trusted_proxies.as_slice())
}

/// One `X-Forwarded-For` entry: an address, perhaps with a port (`1.2.3.4:5678`,
/// `[2001:db8::1]:80`).
fn hop(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .map(|ip| ip.to_canonical())
}

/// The client behind `peer`, given the `X-Forwarded-For` header values in order.
fn resolve<'a>(
    peer: IpAddr,
    forwarded: impl DoubleEndedIterator<Item = &'a str>,
    proxies: &[IpNet],
) -> IpAddr {
    let mut client = peer.to_canonical();
    if !trusted_by(proxies, client) {
        return client;
    }
    for entry in forwarded.rev().flat_map(|v| v.rsplit(',')) {
        // Something that is not an address was not written by a proxy: stop at the last
        // hop a trusted proxy vouched for.
        let Some(ip) = hop(entry) else {
            return client;
        };
        client = ip;
        if !trusted_by(proxies, ip) {
            return ip;
        }
    }
    client
}

/// Whether the TCP peer of `req` is one of the trusted proxies.
pub fn peer_is_trusted(req: &HttpRequest) -> bool {
    req.peer_addr()
        .is_some_and(|peer| trusted_by(proxies_of(req), peer.ip()))
}

/// The client IP of `req`: the peer, or behind trusted proxies the address they name.
pub fn client_ip(req: &HttpRequest) -> ClientIp {
    let forwarded: Vec<&str> = req
        .headers()
        .get_all(FORWARDED_FOR)
        .filter_map(|v| v.to_str().ok())
        .collect();
    ClientIp(
        req.peer_addr()
            .map(|peer| resolve(peer.ip(), forwarded.into_iter(), proxies_of(req))),
    )
}

impl FromRequest for ClientIp {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(client_ip(req)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter()
            .map(|s| s.parse().unwrap_or_else(|e| panic!("{s}: {e}")))
            .collect()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let client = resolve(ip("203.0.113.9"), ["198.51.100.1"].into_iter(), &[]);
        assert_eq!(client, ip("203.0.113.9"));
        let proxies = nets(&["10.0.0.0/8"]);
        let client = resolve(ip("203.0.113.9"), ["198.51.100.1"].into_iter(), &proxies);
        assert_eq!(client, ip("203.0.113.9"));
    }

    #[test]
    fn behind_trusted_proxies_the_right_most_untrusted_hop_is_the_client() {
        let proxies = nets(&["10.0.0.0/8", "192.0.2.7/32"]);
        // The client made up 1.1.1.1; 198.51.100.4 is who reached the first proxy.
        let client = resolve(
            ip("10.1.2.3"),
            ["1.1.1.1, 198.51.100.4", "192.0.2.7, 10.9.9.9"].into_iter(),
            &proxies,
        );
        assert_eq!(client, ip("198.51.100.4"));
        // Only proxies: the left-most of them.
        let client = resolve(ip("10.1.2.3"), ["10.0.0.1"].into_iter(), &proxies);
        assert_eq!(client, ip("10.0.0.1"));
        // No header: the proxy itself.
        let client = resolve(ip("10.1.2.3"), std::iter::empty(), &proxies);
        assert_eq!(client, ip("10.1.2.3"));
        // Ports and junk.
        let client = resolve(ip("10.1.2.3"), ["198.51.100.4:5555"].into_iter(), &proxies);
        assert_eq!(client, ip("198.51.100.4"));
        let client = resolve(ip("10.1.2.3"), ["evil, 10.0.0.2"].into_iter(), &proxies);
        assert_eq!(client, ip("10.0.0.2"));
        // An IPv4 peer seen as IPv6-mapped is still the proxy.
        let client = resolve(
            ip("::ffff:10.1.2.3"),
            ["198.51.100.4"].into_iter(),
            &proxies,
        );
        assert_eq!(client, ip("198.51.100.4"));
    }
}
