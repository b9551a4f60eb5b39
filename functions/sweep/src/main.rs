//! The `sweep` Lambda's entry point: build the context once, then sweep each scheduled
//! invocation's accounts until its time is nearly up.

use fieldcloud::adapters::context::Ctx;
use fieldcloud::domain::record::Millis;
use lambda_runtime::{service_fn, LambdaEvent};
use sweep::{
    check_current, invocation_result, time_left_before, QuotaSweeper, ScheduledEvent, PAGE_SIZE,
};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let ctx = Ctx::from_env().await?;
    let sweeper = QuotaSweeper {
        mailer: ctx.mailer()?.sending_once(),
        bucket: ctx.files_bucket()?,
        records: ctx.records,
        store: ctx.store,
        page_size: PAGE_SIZE,
    };
    lambda_runtime::run(service_fn(|event: LambdaEvent<ScheduledEvent>| {
        let sweeper = &sweeper;
        async move {
            check_current(
                &event.payload,
                Millis(chrono::Utc::now().timestamp_millis()),
            )?;
            let time_left = time_left_before(event.context.deadline());
            invocation_result(sweeper.handle(&event.payload, time_left).await?)
        }
    }))
    .await
}
