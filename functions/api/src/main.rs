//! The `api` Lambda's entry point: build the context and the API once, then serve
//! requests.

use fieldcloud::adapters::context::Ctx;
use fieldcloud::domain::record::Millis;
use lambda_http::{service_fn, Request};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let api = api::Api::deployed(Ctx::from_env().await?).await?;
    lambda_http::run(service_fn(|request: Request| {
        let api = &api;
        async move {
            let now = Millis(chrono::Utc::now().timestamp_millis());
            Ok::<_, std::convert::Infallible>(api::handle(api, &request, now).await)
        }
    }))
    .await
}
