//! The `ingest` Lambda's entry point: build the context once, then serve events.

use fieldcloud::adapters::context::Ctx;
use fieldcloud::domain::protocol::RuleEvent;
use fieldcloud::usecases;
use lambda_runtime::{service_fn, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let ctx = Ctx::from_env().await?;
    let notify_queue = ctx.notify_queue()?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<RuleEvent>| {
        let (ctx, notify_queue) = (&ctx, &notify_queue);
        async move {
            let (stack, store, records) = (&ctx.stack, &ctx.store, &ctx.records);
            let new_instance = &ingest::random_instance;
            let handled = usecases::ingest::handle(
                &event.payload,
                stack,
                store,
                records,
                notify_queue,
                new_instance,
            );
            handled.await.map_err(ingest::Failure)
        }
    }))
    .await
}
