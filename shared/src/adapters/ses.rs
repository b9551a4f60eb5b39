//! E-mail through SES (v2): password resets now, notifications later.

use async_trait::async_trait;
use aws_sdk_sesv2::config::retry::RetryConfig;
use aws_sdk_sesv2::error::DisplayErrorContext;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
use aws_sdk_sesv2::Client;

use crate::ports::{Mail, Mailer, StoreError};

#[derive(Clone)]
pub struct SesMailer {
    client: Client,
    from: String,
}

impl SesMailer {
    /// Sends from `from`, an identity verified in SES.
    pub fn new(client: Client, from: impl Into<String>) -> Self {
        SesMailer {
            client,
            from: from.into(),
        }
    }

    /// The same mailer making one attempt per mail: the SDK retries a send whose answer
    /// it did not get, and SES may have sent that one. For a mail that must never go
    /// twice (a license reminder), a lost mail is the lesser harm.
    pub fn sending_once(self) -> Self {
        let config = self
            .client
            .config()
            .to_builder()
            .retry_config(RetryConfig::disabled())
            .build();
        SesMailer {
            client: Client::from_conf(config),
            from: self.from,
        }
    }
}

fn content(text: &str) -> Result<Content, StoreError> {
    Content::builder()
        .data(text)
        .charset("UTF-8")
        .build()
        .map_err(|e| StoreError::Unavailable(e.to_string()))
}

#[async_trait]
impl Mailer for SesMailer {
    async fn send(&self, mail: &Mail) -> Result<(), StoreError> {
        let message = Message::builder()
            .subject(content(&mail.subject)?)
            .body(Body::builder().text(content(&mail.text)?).build())
            .build();
        self.client
            .send_email()
            .from_email_address(&self.from)
            .destination(Destination::builder().to_addresses(&mail.to).build())
            .content(EmailContent::builder().simple(message).build())
            .send()
            .await
            .map_err(|e| StoreError::Unavailable(DisplayErrorContext(e).to_string()))?;
        Ok(())
    }
}
