//! The `ingest` Lambda's entry point: build the clients once, then serve events.

use fieldcloud::adapters::aws::{load_config, stack_from_env, Tables};
use fieldcloud::adapters::dynamodb::{DynamoRecords, DynamoRegistry};
use fieldcloud::domain::protocol::RuleEvent;
use lambda_runtime::{service_fn, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let tables = Tables::from_env()?;
    let stack = stack_from_env()?;
    let client = aws_sdk_dynamodb::Client::new(&load_config().await);
    let registry = DynamoRegistry::new(client.clone(), tables.registry);
    let records = DynamoRecords::new(client, tables.records);
    lambda_runtime::run(service_fn(|event: LambdaEvent<RuleEvent>| {
        let (stack, registry, records) = (&stack, &registry, &records);
        async move { ingest::handle(&event.payload, stack, registry, records).await }
    }))
    .await
}
