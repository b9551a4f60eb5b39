//! The `notify` Lambda: [`fieldcloud::usecases::notify::deliver`] for each message of
//! the notify queue. This crate holds what a delivery needs and says how failures look
//! to Lambda.

use fieldcloud::domain::record::Millis;
use fieldcloud::domain::token::TokenKey;
use fieldcloud::ports::{Mailer, Store, Webhooks};
use fieldcloud::usecases::notify::{deliver, Links, NotifyError, NotifyReport, Senders};
use fieldcloud::usecases::random::ThreadRandom;

/// Everything a delivery reaches, built once per cold start.
pub struct Notifier<S, M, W> {
    pub store: S,
    pub mailer: M,
    pub webhooks: W,
    /// Signs the temporary logins of alarm mails.
    pub key: TokenKey,
    /// Where the portal is: the mails' links open it.
    pub portal_url: String,
}

/// A message not (wholly) delivered: the queue brings it back, and after its last
/// attempt moves it to the dead-letter queue.
#[derive(Debug)]
pub struct Failure(pub NotifyError);

impl From<Failure> for lambda_runtime::Diagnostic {
    fn from(failure: Failure) -> Self {
        let error_type = match &failure.0 {
            NotifyError::Malformed(_) => "Malformed",
            NotifyError::Store(_) => "Retryable.StoreUnavailable",
            NotifyError::Undelivered(_) => "Retryable.Undelivered",
        };
        lambda_runtime::Diagnostic {
            error_type: error_type.into(),
            error_message: failure.0.to_string(),
        }
    }
}

impl<S: Store, M: Mailer, W: Webhooks> Notifier<S, M, W> {
    /// Delivers one message of the notify queue, reading the time from `clock`. What
    /// Lambda runs, and the local cloud's queue worker too.
    pub async fn handle_message(
        &self,
        body: &str,
        clock: &impl Fn() -> Millis,
    ) -> Result<NotifyReport, Failure> {
        let senders = Senders {
            mailer: &self.mailer,
            webhooks: &self.webhooks,
            links: Links {
                key: &self.key,
                portal_url: &self.portal_url,
            },
        };
        let delivered = deliver(body, &self.store, &senders, &mut ThreadRandom, clock).await;
        match &delivered {
            Ok(report) => tracing::info!(?report, "notification delivered"),
            Err(error) => tracing::warn!(%error, "notification not delivered"),
        }
        delivered.map_err(Failure)
    }
}

#[cfg(test)]
mod tests {
    use aws_lambda_events::sqs::SqsEvent;
    use fieldcloud::ports::{Notify, NotifyJob};

    /// `events/notify.json`: an alarm's "send test notification" for demo's group.
    #[test]
    fn the_sample_event_is_a_test_notification() {
        let event: SqsEvent =
            serde_json::from_str(include_str!("../../../events/notify.json")).unwrap();
        let body = event.records[0].body.as_deref().unwrap();
        let job: NotifyJob = serde_json::from_str(body).unwrap();
        assert_eq!(job.group.as_str(), "plant-1");
        assert!(matches!(job.what, Notify::Test { .. }));
    }
}
