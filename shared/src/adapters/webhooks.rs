//! Chat webhooks over HTTPS: Slack incoming webhooks and WeCom group robots.

use async_trait::async_trait;
use serde_json::json;

use crate::domain::notify::{WebhookKind, WebhookUrl};
use crate::ports::Webhooks;

/// How long one post may take before it counts as failed (and the queue retries it).
const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

#[derive(Clone)]
pub struct HttpWebhooks {
    client: reqwest::Client,
    /// The local cloud's capture server, which stands in for both services: each post
    /// goes to it, the service's origin replaced. `None` in AWS.
    capture: Option<String>,
}

impl HttpWebhooks {
    pub fn new() -> HttpWebhooks {
        HttpWebhooks::capturing(None)
    }

    /// Posts to `capture` in place of the services' origins (the local cloud).
    pub fn capturing(capture: Option<String>) -> HttpWebhooks {
        HttpWebhooks {
            client: reqwest::Client::builder()
                .timeout(TIMEOUT)
                // A webhook answers; it does not send us elsewhere.
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("the HTTP client builds"),
            capture,
        }
    }
}

impl Default for HttpWebhooks {
    fn default() -> Self {
        HttpWebhooks::new()
    }
}

/// The body each service takes for a plain text message. Slack reads `<…>` as links and
/// mentions (`<!channel>`), so what a tenant wrote (an alarm's name) is escaped as its
/// documentation asks: `&`, `<` and `>`.
fn body(kind: WebhookKind, text: &str) -> serde_json::Value {
    match kind {
        WebhookKind::Slack => {
            let escaped = text
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;");
            json!({ "text": escaped })
        }
        WebhookKind::WeCom => json!({ "msgtype": "text", "text": { "content": text } }),
    }
}

#[async_trait]
impl Webhooks for HttpWebhooks {
    async fn post(&self, kind: WebhookKind, url: &WebhookUrl, text: &str) -> Result<(), String> {
        // Checked again where it is used: nothing stored is trusted to be a webhook of
        // the service (an item written by hand, by an older version).
        url.check(kind)?;
        let address = match &self.capture {
            Some(capture) => {
                url.expose()
                    .replacen(kind.origin(), &format!("{capture}/{}/", kind.as_str()), 1)
            }
            None => url.expose().to_owned(),
        };
        // Errors are reported without the address: it is a secret.
        let response = self
            .client
            .post(address)
            .json(&body(kind, text))
            .send()
            .await
            .map_err(|e| {
                format!(
                    "{} webhook {}: {}",
                    kind.as_str(),
                    url.masked(),
                    e.without_url()
                )
            })?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!(
                "{} webhook {} answered {status}",
                kind.as_str(),
                url.masked()
            ));
        }
        // WeCom answers 200 with an error code in the body when it refuses a message.
        if kind == WebhookKind::WeCom {
            let answer: serde_json::Value = response.json().await.unwrap_or_default();
            if answer["errcode"].as_i64().unwrap_or(0) != 0 {
                return Err(format!(
                    "wecom webhook {} refused the message: {}",
                    url.masked(),
                    answer["errmsg"].as_str().unwrap_or("no reason given")
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slack_text_is_escaped_so_a_name_cannot_mention_or_link() {
        assert_eq!(
            body(WebhookKind::Slack, "<!channel> & <https://x.example|hi>"),
            json!({"text": "&lt;!channel&gt; &amp; &lt;https://x.example|hi&gt;"})
        );
        assert_eq!(
            body(WebhookKind::WeCom, "<b>"),
            json!({"msgtype": "text", "text": {"content": "<b>"}})
        );
    }
}
