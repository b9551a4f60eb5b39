//! The `api` Lambda's entry point: build the clients and key once, then serve requests.

use fieldcloud::adapters::aws::{load_config, required_env, stack_from_env, Tables};
use fieldcloud::adapters::dynamodb::{DynamoRecords, DynamoRegistry};
use fieldcloud::adapters::iot::IotThings;
use fieldcloud::adapters::ses::SesMailer;
use fieldcloud::adapters::sqs::SqsJobQueue;
use fieldcloud::adapters::ssm;
use fieldcloud::domain::record::Millis;
use fieldcloud::domain::token::TokenKey;
use lambda_http::{service_fn, Request};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let tables = Tables::from_env()?;
    let queue_url = required_env("RECOMPUTE_QUEUE_URL")?;
    let mail_from = required_env("MAIL_FROM")?;
    let portal_url = required_env("PORTAL_URL")?;
    let stack = stack_from_env()?;
    let config = load_config().await;
    let key = TokenKey::new(ssm::token_key(&config).await?)?;
    // No call to IoT Core here: its data endpoint is asked when an app is first registered.
    let things = IotThings::new(
        aws_sdk_iot::Client::new(&config),
        required_env("APP_POLICY_NAME")?,
    );
    let client = aws_sdk_dynamodb::Client::new(&config);
    let api = api::Api {
        registry: DynamoRegistry::new(client.clone(), tables.registry),
        records: DynamoRecords::new(client, tables.records),
        jobs: SqsJobQueue::new(aws_sdk_sqs::Client::new(&config), queue_url),
        mailer: SesMailer::new(aws_sdk_sesv2::Client::new(&config), mail_from),
        things,
        stack,
        read_limits: api::ReadLimits::default(),
        key,
        portal_url,
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
