//! The [`Webhooks`] port.

use async_trait::async_trait;

use crate::domain::notify::{WebhookKind, WebhookUrl};

/// Posts a chat message to a webhook.
#[async_trait]
pub trait Webhooks: Send + Sync {
    /// Posts `text` to `url` in the form `kind` takes; `Err` names why it failed (never
    /// with the address, a secret).
    async fn post(&self, kind: WebhookKind, url: &WebhookUrl, text: &str) -> Result<(), String>;
}
