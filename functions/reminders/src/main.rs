//! The `reminders` Lambda's entry point: build the context once, then send each
//! scheduled invocation's reminders until its time is nearly up.

use fieldcloud::adapters::context::Ctx;
use fieldcloud::domain::record::Millis;
use lambda_runtime::{service_fn, LambdaEvent};
use reminders::{
    check_current, invocation_result, time_left_before, Reminders, ScheduledEvent, PAGE_SIZE,
};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let ctx = Ctx::from_env().await?;
    let reminders = Reminders {
        mailer: ctx.mailer()?.sending_once(),
        store: ctx.store,
        page_size: PAGE_SIZE,
    };
    lambda_runtime::run(service_fn(|event: LambdaEvent<ScheduledEvent>| {
        let reminders = &reminders;
        async move {
            check_current(
                &event.payload,
                Millis(chrono::Utc::now().timestamp_millis()),
            )?;
            let time_left = time_left_before(event.context.deadline());
            invocation_result(reminders.handle(&event.payload, time_left).await?)
        }
    }))
    .await
}
