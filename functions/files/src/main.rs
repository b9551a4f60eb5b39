//! The `files` Lambda's entry point: build the context once, then handle each message
//! (the event source mappings hand over one message at a time).

use aws_lambda_events::sqs::SqsEvent;
use fieldcloud::adapters::context::Ctx;
use lambda_runtime::{service_fn, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let ctx = Ctx::from_env().await?;
    let bucket = ctx.files_bucket()?;
    let notify_queue = ctx.notify_queue()?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| {
        let (store, records, bucket) = (&ctx.store, &ctx.records, &bucket);
        let notify_queue = &notify_queue;
        async move {
            for message in &event.payload.records {
                let body = message.body.as_deref().unwrap_or_default();
                // How often SQS has handed it over, this time included.
                let attempt = message
                    .attributes
                    .get("ApproximateReceiveCount")
                    .and_then(|count| count.parse().ok())
                    .unwrap_or(1);
                let message = (body, attempt);
                files::handle_message(message, store, records, bucket, notify_queue, &files::now)
                    .await?;
            }
            Ok::<(), files::Failure>(())
        }
    }))
    .await
}
