//! The `api` Lambda's entry point: build the clients and key once, then serve requests.

use fieldcloud::adapters::aws::{load_config, required_env, Tables};
use fieldcloud::adapters::dynamodb::{DynamoRecords, DynamoRegistry};
use fieldcloud::domain::record::Millis;
use fieldcloud::domain::token::TokenKey;
use lambda_http::{service_fn, Request};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let tables = Tables::from_env()?;
    let key = TokenKey::new(required_env("TOKEN_KEY")?)?;
    let client = aws_sdk_dynamodb::Client::new(&load_config().await);
    let api = api::Api {
        registry: DynamoRegistry::new(client.clone(), tables.registry),
        records: DynamoRecords::new(client, tables.records),
        key,
    };
    lambda_http::run(service_fn(|request: Request| {
        let api = &api;
        async move {
            let now = Millis(chrono::Utc::now().timestamp_millis());
            Ok::<_, std::convert::Infallible>(api::handle(api, &request, now).await)
        }
    }))
    .await
}
