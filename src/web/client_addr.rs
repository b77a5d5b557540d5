//! The address of the client behind the load balancer. Requests from a trusted proxy
//! (`EVISA_TRUSTED_PROXIES`) carry the client's address in `Forwarded` (RFC 7239) or
//! `X-Forwarded-For`; each proxy appends the address it saw, so the list is read from the right
//! and the first address that is not a trusted proxy is the client. From anyone else those
//! headers are ignored: a client cannot choose the address it is limited by.

use actix_web::HttpRequest;
use actix_web::http::header::{HeaderMap, HeaderName};
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};

fn trusted(proxies: &[IpNet], addr: IpAddr) -> bool {
    proxies.iter().any(|net| net.contains(&addr))
}

/// One `for=` value of `Forwarded`, or one element of `X-Forwarded-For`: an address, possibly
/// quoted, bracketed or with a port. `None` for `unknown` and obfuscated identifiers.
fn node(value: &str) -> Option<IpAddr> {
    let value = value.trim().trim_matches('"');
    if let Ok(addr) = value.parse::<IpAddr>() {
        return Some(addr);
    }
    if let Ok(socket) = value.parse::<SocketAddr>() {
        return Some(socket.ip());
    }
    value.strip_prefix('[').and_then(|v| v.strip_suffix(']')).and_then(|v| v.parse().ok())
}

/// The hops the proxies reported, nearest last; `None` in an element that names no address.
fn reported_hops(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let values = |name: &HeaderName| -> Vec<String> {
        headers.get_all(name).filter_map(|v| v.to_str().ok()).map(str::to_owned).collect()
    };
    let forwarded = values(&actix_web::http::header::FORWARDED);
    if !forwarded.is_empty() {
        return forwarded
            .iter()
            .flat_map(|value| value.split(','))
            .map(|element| {
                element
                    .split(';')
                    .filter_map(|pair| pair.split_once('='))
                    .find(|(key, _)| key.trim().eq_ignore_ascii_case("for"))
                    .and_then(|(_, value)| node(value))
            })
            .collect();
    }
    let x_forwarded_for = HeaderName::from_static("x-forwarded-for");
    values(&x_forwarded_for).iter().flat_map(|value| value.split(',')).map(node).collect()
}

/// The client's address given the peer that connected and the request's headers.
pub fn resolve(proxies: &[IpNet], peer: IpAddr, headers: &HeaderMap) -> IpAddr {
    if !trusted(proxies, peer) {
        return peer;
    }
    let mut client = peer;
    for hop in reported_hops(headers).into_iter().rev() {
        match hop {
            Some(addr) if trusted(proxies, addr) => client = addr,
            Some(addr) => return addr,
            // A hop that names no address: the last trusted proxy is all that is known.
            None => return client,
        }
    }
    client
}

/// The proxies whose forwarding headers are believed (`EVISA_TRUSTED_PROXIES`), shared with
/// every request as application data.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(pub Vec<ipnet::IpNet>);

/// The address of the client that sent `req` (see the module's documentation).
pub fn client_addr(req: &HttpRequest) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    match req.app_data::<TrustedProxies>() {
        Some(TrustedProxies(proxies)) if !proxies.is_empty() => Some(resolve(proxies, peer, req.headers())),
        _ => Some(peer),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_trusted;
    use actix_web::http::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(HeaderName::from_static(name), HeaderValue::from_static(value));
        }
        map
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn the_first_untrusted_hop_from_the_right_is_the_client() {
        let proxies = parse_trusted("10.0.0.0/8, 192.0.2.1").unwrap();
        let chain = headers(&[("x-forwarded-for", "6.6.6.6, 203.0.113.9"), ("x-forwarded-for", "10.1.2.3")]);
        assert_eq!(resolve(&proxies, ip("192.0.2.1"), &chain), ip("203.0.113.9"));
        let forwarded =
            headers(&[("forwarded", r#"for=6.6.6.6, for="[2001:db8::17]:4711";proto=https, for=10.0.0.5"#)]);
        assert_eq!(resolve(&proxies, ip("10.9.9.9"), &forwarded), ip("2001:db8::17"));
        let with_port = headers(&[("forwarded", "for=198.51.100.4:5555;by=10.0.0.1")]);
        assert_eq!(resolve(&proxies, ip("10.9.9.9"), &with_port), ip("198.51.100.4"));
    }

    #[test]
    fn headers_from_an_untrusted_peer_or_an_unknown_hop_are_not_believed() {
        let proxies = parse_trusted("10.0.0.0/8").unwrap();
        let spoofed = headers(&[("x-forwarded-for", "1.1.1.1")]);
        assert_eq!(resolve(&proxies, ip("203.0.113.9"), &spoofed), ip("203.0.113.9"));
        let unknown = headers(&[("forwarded", "for=unknown, for=10.0.0.7")]);
        assert_eq!(resolve(&proxies, ip("10.0.0.1"), &unknown), ip("10.0.0.7"));
        let garbage = headers(&[("x-forwarded-for", "1.1.1.1, not-an-address")]);
        assert_eq!(resolve(&proxies, ip("10.0.0.1"), &garbage), ip("10.0.0.1"));
        assert_eq!(resolve(&proxies, ip("10.0.0.1"), &HeaderMap::new()), ip("10.0.0.1"));
    }
}
