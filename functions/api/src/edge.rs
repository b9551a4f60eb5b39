//! Who is calling, by address. API Gateway sees the address of whatever connected to it:
//! the person, or — for the portal, served with the API from one CloudFront
//! distribution — a CloudFront edge. The distribution passes the person's address on in
//! [`VIEWER_ADDRESS_HEADER`] (a CloudFront Function writes it, over anything the client
//! sent) with a secret only it and this function know in [`EDGE_SECRET_HEADER`]; the
//! address is believed only with the secret, so a client calling API Gateway directly
//! cannot choose the address its account's IP allow-list judges.

use lambda_http::{Request, RequestExt};

/// The viewer's address, as the distribution's CloudFront Function writes it.
pub const VIEWER_ADDRESS_HEADER: &str = "x-fieldcloud-viewer-address";
/// The secret the distribution adds to every request it passes to the API.
pub const EDGE_SECRET_HEADER: &str = "x-fieldcloud-edge";
/// A secret shorter than this is refused at start: it must not be guessable.
const SHORTEST_SECRET: usize = 32;

/// The secret the distribution vouches for a request with (`EDGE_SECRET`).
#[derive(Clone)]
pub struct EdgeSecret(String);

impl std::fmt::Debug for EdgeSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EdgeSecret(..)")
    }
}

impl EdgeSecret {
    pub fn new(secret: &str) -> Result<EdgeSecret, String> {
        if secret.len() < SHORTEST_SECRET {
            return Err(format!(
                "the edge secret must be at least {SHORTEST_SECRET} characters"
            ));
        }
        Ok(EdgeSecret(secret.to_owned()))
    }

    /// `EDGE_SECRET` from the environment; none when it is unset or empty (no
    /// distribution in front: every address is API Gateway's).
    pub fn from_env() -> Result<Option<EdgeSecret>, String> {
        match std::env::var("EDGE_SECRET") {
            Ok(secret) if !secret.is_empty() => EdgeSecret::new(&secret).map(Some),
            _ => Ok(None),
        }
    }

    /// Whether `request` carries the secret. Compared in time independent of where the
    /// first difference is, so that timing does not spell it out.
    fn vouches_for(&self, request: &Request) -> bool {
        let Some(sent) = request.headers().get(EDGE_SECRET_HEADER) else {
            return false;
        };
        let (sent, expected) = (sent.as_bytes(), self.0.as_bytes());
        sent.len() == expected.len()
            && sent
                .iter()
                .zip(expected)
                .fold(0u8, |difference, (a, b)| difference | (a ^ b))
                == 0
    }
}

/// The caller's address: the viewer's, when the distribution vouches for the request;
/// otherwise the one API Gateway saw (the local cloud fills in the same field).
pub fn caller_address(request: &Request, edge: Option<&EdgeSecret>) -> Option<String> {
    if edge.is_some_and(|edge| edge.vouches_for(request)) {
        if let Some(viewer) = request
            .headers()
            .get(VIEWER_ADDRESS_HEADER)
            .and_then(|value| value.to_str().ok())
        {
            return Some(viewer.trim().to_owned());
        }
    }
    match request.request_context_ref()? {
        lambda_http::request::RequestContext::ApiGatewayV2(context) => {
            context.http.source_ip.clone()
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext;
    use lambda_http::request::RequestContext;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    fn request(from: &str, headers: &[(&str, &str)]) -> Request {
        let mut builder = lambda_http::http::Request::builder();
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let mut context = ApiGatewayV2httpRequestContext::default();
        context.http.source_ip = Some(from.to_owned());
        builder
            .body(lambda_http::Body::Empty)
            .unwrap()
            .with_request_context(RequestContext::ApiGatewayV2(context))
    }

    #[test]
    fn the_viewers_address_is_believed_with_the_edges_secret_alone() {
        let edge = EdgeSecret::new(SECRET).unwrap();
        let through_edge = request(
            "130.176.0.1",
            &[
                (EDGE_SECRET_HEADER, SECRET),
                (VIEWER_ADDRESS_HEADER, "203.0.113.7"),
            ],
        );
        assert_eq!(
            caller_address(&through_edge, Some(&edge)).as_deref(),
            Some("203.0.113.7")
        );
        // A client calling API Gateway directly, naming an address it likes.
        for forged in [
            vec![(VIEWER_ADDRESS_HEADER, "203.0.113.7")],
            vec![
                (EDGE_SECRET_HEADER, "0123456789abcdef0123456789abcdeX"),
                (VIEWER_ADDRESS_HEADER, "203.0.113.7"),
            ],
            vec![
                (EDGE_SECRET_HEADER, "0123456789abcdef"),
                (VIEWER_ADDRESS_HEADER, "203.0.113.7"),
            ],
        ] {
            let direct = request("198.51.100.9", &forged);
            assert_eq!(
                caller_address(&direct, Some(&edge)).as_deref(),
                Some("198.51.100.9")
            );
        }
    }

    #[test]
    fn without_a_distribution_every_address_is_api_gateways() {
        let sent = request(
            "198.51.100.9",
            &[
                (EDGE_SECRET_HEADER, SECRET),
                (VIEWER_ADDRESS_HEADER, "203.0.113.7"),
            ],
        );
        assert_eq!(caller_address(&sent, None).as_deref(), Some("198.51.100.9"));
    }

    #[test]
    fn a_short_secret_is_refused() {
        assert!(EdgeSecret::new("short").is_err());
        assert!(EdgeSecret::new(SECRET).is_ok());
    }
}
