//! The `recompute` Lambda's entry point: build the context once, then run one step per
//! SQS message (the event source mapping delivers one at a time).

use aws_lambda_events::sqs::SqsEvent;
use fieldcloud::adapters::context::Ctx;
use lambda_runtime::{service_fn, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let ctx = Ctx::from_env().await?;
    let queue = ctx.recompute_queue()?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| {
        let (ctx, queue) = (&ctx, &queue);
        async move {
            for message in &event.payload.records {
                let body = message.body.as_deref().unwrap_or_default();
                recompute::handle_message(body, &ctx.store, &ctx.records, queue).await?;
            }
            Ok::<(), recompute::RecomputeError>(())
        }
    }))
    .await
}
