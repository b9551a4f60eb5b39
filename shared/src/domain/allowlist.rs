//! The IP allow-list (Pro): address ranges in CIDR notation, IPv4 and IPv6, that the
//! portal and the Web API of an account may be used from.

use std::fmt;
use std::net::IpAddr;

/// The most ranges one account may list.
pub const MAX_RANGES: usize = 100;

/// An address range: a network address and a prefix length. Host bits are cleared on
/// parsing, so `10.1.2.3/8` is stored and shown as `10.0.0.0/8`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parses `203.0.113.0/24`, `2001:db8::/32`, or a single address (a /32 or /128).
    pub fn parse(text: &str) -> Result<Cidr, String> {
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let address: IpAddr = address
            .trim()
            .parse()
            .map_err(|_| format!("`{text}` is not an IPv4 or IPv6 address or range"))?;
        let address = address.to_canonical();
        let bits = if address.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => bits,
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= bits)
                .ok_or_else(|| format!("`{text}`: the prefix length must be 0 to {bits}"))?,
        };
        Ok(Cidr {
            network: mask(address, prefix),
            prefix,
        })
    }

    /// Whether `address` is in the range (an IPv4-mapped IPv6 address counts as IPv4).
    pub fn contains(&self, address: IpAddr) -> bool {
        let address = address.to_canonical();
        address.is_ipv4() == self.network.is_ipv4() && mask(address, self.prefix) == self.network
    }
}

fn mask(address: IpAddr, prefix: u8) -> IpAddr {
    match address {
        IpAddr::V4(v4) => {
            let bits = u32::from(v4);
            let kept = if prefix == 0 {
                0
            } else {
                bits & (u32::MAX << (32 - u32::from(prefix)))
            };
            IpAddr::from(kept.to_be_bytes())
        }
        IpAddr::V6(v6) => {
            let bits = u128::from(v6);
            let kept = if prefix == 0 {
                0
            } else {
                bits & (u128::MAX << (128 - u32::from(prefix)))
            };
            IpAddr::from(kept.to_be_bytes())
        }
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// Whether a request from `address` may use an account with allow-list `ranges`: an
/// empty list allows every address; a request whose address is unknown is allowed by
/// no list.
pub fn allowed(ranges: &[Cidr], address: Option<IpAddr>) -> bool {
    ranges.is_empty() || address.is_some_and(|a| ranges.iter().any(|r| r.contains(a)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn ipv4_ranges_match_their_addresses_only() {
        let range = Cidr::parse("203.0.113.77/24").unwrap();
        assert_eq!(range.to_string(), "203.0.113.0/24");
        assert!(range.contains(ip("203.0.113.1")));
        assert!(range.contains(ip("203.0.113.255")));
        assert!(!range.contains(ip("203.0.114.1")));
        assert!(range.contains(ip("::ffff:203.0.113.9")), "IPv4-mapped IPv6");
        assert!(!range.contains(ip("2001:db8::1")));
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains(ip("8.8.8.8")));
        assert_eq!(
            Cidr::parse("127.0.0.1").unwrap().to_string(),
            "127.0.0.1/32"
        );
    }

    #[test]
    fn ipv6_ranges_match_their_addresses_only() {
        let range = Cidr::parse("2001:db8:abcd::/48").unwrap();
        assert!(range.contains(ip("2001:db8:abcd:12::1")));
        assert!(!range.contains(ip("2001:db8:abce::1")));
        assert!(!range.contains(ip("10.0.0.1")));
        assert!(Cidr::parse("::1").unwrap().contains(ip("::1")));
        assert!(Cidr::parse("::/0").unwrap().contains(ip("fe80::1")));
    }

    #[test]
    fn malformed_ranges_say_what_is_wrong() {
        assert_eq!(
            Cidr::parse("10.0.0.0/33").unwrap_err(),
            "`10.0.0.0/33`: the prefix length must be 0 to 32"
        );
        assert!(Cidr::parse("2001:db8::/129")
            .unwrap_err()
            .contains("0 to 128"));
        assert!(Cidr::parse("example.com")
            .unwrap_err()
            .contains("not an IPv4 or IPv6"));
        assert!(Cidr::parse("10.0.0.0/x").is_err());
    }

    #[test]
    fn an_empty_list_allows_everyone_and_an_unknown_address_nothing_else() {
        assert!(allowed(&[], None));
        let list = [Cidr::parse("10.0.0.0/8").unwrap()];
        assert!(allowed(&list, Some(ip("10.9.9.9"))));
        assert!(!allowed(&list, Some(ip("11.0.0.1"))));
        assert!(!allowed(&list, None));
    }
}
