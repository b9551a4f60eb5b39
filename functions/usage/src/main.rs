//! The `usage` Lambda's entry point: build the context once, then count (and compact)
//! each batch of the records table's stream.

use fieldcloud::adapters::context::Ctx;
use fieldcloud::adapters::dynamodb::stream::StreamEvent;
use fieldcloud::domain::record::Millis;
use lambda_runtime::{service_fn, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let ctx = Ctx::from_env().await?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<StreamEvent>| {
        let (store, records) = (&ctx.store, &ctx.records);
        async move {
            let now = Millis(chrono::Utc::now().timestamp_millis());
            usage::handle_batch(&event.payload, store, records, now)
                .await
                .map(drop)
                .map_err(|error| error.to_string())
        }
    }))
    .await
}
