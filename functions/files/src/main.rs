//! The `files` Lambda's entry point: build the context once, then handle each message
//! (the event source mapping hands over one message at a time).

use aws_lambda_events::sqs::SqsEvent;
use fieldcloud::adapters::context::Ctx;
use fieldcloud::domain::record::Millis;
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
                let now = Millis(chrono::Utc::now().timestamp_millis());
                files::handle_message(body, store, records, bucket, notify_queue, now).await?;
            }
            Ok::<(), files::Failure>(())
        }
    }))
    .await
}
