//! The `recompute` Lambda's entry point: build the clients once, then run one step per
//! SQS message (the event source mapping delivers one at a time).

use aws_lambda_events::sqs::SqsEvent;
use fieldcloud::adapters::aws::{load_config, required_env, Tables};
use fieldcloud::adapters::dynamodb::{DynamoRecords, DynamoRegistry};
use fieldcloud::adapters::sqs::SqsJobQueue;
use fieldcloud::domain::calculated::RecomputeJob;
use lambda_runtime::{service_fn, LambdaEvent};
use recompute::PAGE_RECORDS;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let tables = Tables::from_env()?;
    let queue_url = required_env("RECOMPUTE_QUEUE_URL")?;
    let config = load_config().await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&config);
    let registry = DynamoRegistry::new(dynamodb.clone(), tables.registry);
    let records = DynamoRecords::new(dynamodb, tables.records);
    let queue = SqsJobQueue::new(aws_sdk_sqs::Client::new(&config), queue_url);
    lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| {
        let (registry, records, queue) = (&registry, &records, &queue);
        async move {
            for message in event.payload.records {
                let body = message.body.unwrap_or_default();
                match serde_json::from_str::<RecomputeJob>(&body) {
                    Ok(job) => {
                        recompute::handle(&job, registry, records, queue, PAGE_RECORDS).await?;
                    }
                    // A message that is not a job never will be: log it, do not retry it.
                    Err(error) => tracing::error!(%error, %body, "not a recompute job"),
                }
            }
            Ok::<(), recompute::RecomputeError>(())
        }
    }))
    .await
}
