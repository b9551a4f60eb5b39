//! Serves the `api` handler over plain HTTP on 127.0.0.1, standing in for API Gateway:
//! each request becomes the same `lambda_http::Request` the Lambda would receive. Once
//! the portal is built, the same origin serves it too, as CloudFront does in AWS.

use std::convert::Infallible;
use std::net::IpAddr;
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use lambda_http::Body;
use tokio::net::TcpListener;

use api::Api;
use fieldcloud::domain::record::Millis;

use crate::portal::Portal;
use crate::ApiClock;
use fieldcloud::ports::{
    Bucket, ChunkStore, DataJobQueue, JobQueue, Mailer, NotifyQueue, RecordStore, Store, Things,
};
use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext;
use lambda_http::request::RequestContext;

/// Accepts connections on `listener` until the process ends.
pub async fn serve<R, S, Q, M, T, B>(
    listener: TcpListener,
    api: Arc<Api<R, S, Q, M, T, B>>,
    clock: ApiClock,
    portal: Arc<OnceLock<Portal>>,
) where
    R: Store + 'static,
    S: RecordStore + ChunkStore + 'static,
    Q: JobQueue + NotifyQueue + DataJobQueue + 'static,
    M: Mailer + 'static,
    T: Things + 'static,
    B: Bucket + 'static,
{
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                tracing::warn!(%error, "accept failed");
                continue;
            }
        };
        let (api, clock, portal) = (api.clone(), clock.clone(), portal.clone());
        tokio::spawn(async move {
            let service = service_fn(move |request: hyper::Request<Incoming>| {
                let (api, now, portal) = (api.clone(), clock.now(), portal.clone());
                async move {
                    let path = request.uri().path();
                    if let Some(portal) = portal.get() {
                        if Portal::serves(request.method().as_str(), path) {
                            return Ok::<_, Infallible>(portal.answer(path).await);
                        }
                    }
                    Ok(respond(&api, request, peer.ip(), now).await)
                }
            });
            if let Err(error) = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                tracing::debug!(%error, "connection closed with an error");
            }
        });
    }
}

async fn respond<
    R: Store,
    S: RecordStore + ChunkStore,
    Q: JobQueue + NotifyQueue + DataJobQueue,
    M: Mailer,
    T: Things,
    B: Bucket,
>(
    api: &Api<R, S, Q, M, T, B>,
    request: hyper::Request<Incoming>,
    peer: IpAddr,
    now: Millis,
) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => Bytes::new(),
    };
    let body = if body.is_empty() {
        Body::Empty
    } else {
        match String::from_utf8(body.to_vec()) {
            Ok(text) => Body::Text(text),
            Err(error) => Body::Binary(error.into_bytes()),
        }
    };
    let mut request = lambda_http::Request::from_parts(parts, body);
    // Where API Gateway puts the caller's address, which the API uses for throttling and
    // the audit log.
    let mut context = ApiGatewayV2httpRequestContext::default();
    context.http.source_ip = Some(peer.to_string());
    request
        .extensions_mut()
        .insert(RequestContext::ApiGatewayV2(context));
    let response = api::handle(api, &request, now).await;
    let (parts, body) = response.into_parts();
    let bytes = match body {
        Body::Empty => Bytes::new(),
        Body::Text(text) => Bytes::from(text),
        Body::Binary(binary) => Bytes::from(binary),
        _ => Bytes::new(),
    };
    hyper::Response::from_parts(parts, Full::new(bytes))
}
