//! The `notify` Lambda's entry point: build the context once, then deliver each message
//! (the event source mapping hands over one at a time).

use aws_lambda_events::sqs::SqsEvent;
use fieldcloud::adapters::context::{required_env, Ctx};
use fieldcloud::adapters::webhooks::HttpWebhooks;
use fieldcloud::domain::record::Millis;
use lambda_runtime::{service_fn, LambdaEvent};
use notify::Notifier;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let ctx = Ctx::from_env().await?;
    // Every variable before the one remote call: a missing one fails at once.
    let portal_url = required_env("PORTAL_URL")?;
    let mailer = ctx.mailer()?;
    let notifier = Notifier {
        key: ctx.token_key().await?,
        store: ctx.store,
        mailer,
        webhooks: HttpWebhooks::new(),
        portal_url,
    };
    lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| {
        let notifier = &notifier;
        async move {
            for message in &event.payload.records {
                let body = message.body.as_deref().unwrap_or_default();
                let clock = || Millis(chrono::Utc::now().timestamp_millis());
                notifier.handle_message(body, &clock).await?;
            }
            Ok::<(), notify::Failure>(())
        }
    }))
    .await
}
