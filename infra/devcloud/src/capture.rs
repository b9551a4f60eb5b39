//! The capture server: stands in for Slack's and WeCom's webhooks. The notify function
//! posts here in place of `https://hooks.slack.com/…` (as `/slack/…`) and
//! `https://qyapi.weixin.qq.com/…` (as `/wecom/…`); each post is kept, and
//! `GET /captured` lists them, oldest first, as JSON.
//!
//! Like Slack for a revoked webhook, it answers 404 `no_service` to posts under
//! `/slack/services/revoked/`: how a webhook that keeps failing is shown locally.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde::Serialize;
use tokio::net::TcpListener;

/// One post received.
#[derive(Debug, Clone, Serialize)]
pub struct Captured {
    /// The path and query it was posted to.
    pub path: String,
    pub body: serde_json::Value,
}

/// The posts received so far.
#[derive(Clone, Default)]
pub struct Captures(Arc<Mutex<Vec<Captured>>>);

impl Captures {
    pub fn all(&self) -> Vec<Captured> {
        self.0
            .lock()
            .expect("no panic while holding the lock")
            .clone()
    }
}

/// Accepts connections on `listener` until the process ends, keeping posts in
/// `captures`.
pub async fn serve(listener: TcpListener, captures: Captures) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let captures = captures.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let captures = captures.clone();
                async move { Ok::<_, Infallible>(respond(request, &captures).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn respond(
    request: hyper::Request<Incoming>,
    captures: &Captures,
) -> hyper::Response<Full<Bytes>> {
    let path = request
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    let answer = |status: u16, body: String| {
        hyper::Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body)))
            .expect("a response builds")
    };
    if request.method() == hyper::Method::GET && path == "/captured" {
        let all = serde_json::to_string(&captures.all()).expect("captures serialize");
        return answer(200, all);
    }
    if path.starts_with("/slack/services/revoked/") {
        return answer(404, "no_service".into());
    }
    let bytes = request
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let body = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    captures
        .0
        .lock()
        .expect("no panic while holding the lock")
        .push(Captured { path, body });
    // Slack answers `ok`; WeCom a zero error code.
    answer(200, r#"{"errcode":0,"errmsg":"ok"}"#.into())
}
