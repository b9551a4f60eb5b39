//! The `presence` Lambda's entry point: build the context once, then serve lifecycle
//! events and scheduled sweeps.

use fieldcloud::adapters::context::{required_env, Ctx};
use lambda_runtime::{service_fn, LambdaEvent};
use presence::{silence_millis, Invocation, Presence};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let ctx = Ctx::from_env().await?;
    let presence = Presence {
        silence: silence_millis(&required_env("APP_SILENCE_MINUTES")?)?,
        notify_queue: ctx.notify_queue()?,
        stack: ctx.stack,
        store: ctx.store,
        records: ctx.records,
    };
    lambda_runtime::run(service_fn(|event: LambdaEvent<Invocation>| {
        let presence = &presence;
        async move { presence.handle(&event.payload).await }
    }))
    .await
}
