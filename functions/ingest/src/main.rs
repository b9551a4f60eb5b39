//! The `ingest` Lambda's entry point: build the context once, then serve events.

use fieldcloud::adapters::context::Ctx;
use fieldcloud::domain::protocol::RuleEvent;
use lambda_runtime::{service_fn, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let ctx = Ctx::from_env().await?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<RuleEvent>| {
        let ctx = &ctx;
        async move { ingest::handle(&event.payload, &ctx.stack, &ctx.store, &ctx.records).await }
    }))
    .await
}
