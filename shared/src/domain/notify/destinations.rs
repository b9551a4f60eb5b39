//! A group's notification destinations: users to mail, a Slack incoming webhook, a WeCom
//! group-robot webhook, and the language to write in.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::domain::ids::UserId;
use crate::domain::settings::Language;

/// The most users one group mails.
pub const MAX_MAIL_RECIPIENTS: usize = 20;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Destinations {
    /// Users of the account, mailed at their e-mail address with a temporary login each.
    /// Users, not free addresses: the cloud mails no one the account has not vouched
    /// for, and each mail's login is that user's.
    #[serde(default)]
    pub mail: Vec<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slack: Option<WebhookUrl>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wecom: Option<WebhookUrl>,
    /// The notifications' language; the account's when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<Language>,
    /// Whether an app's "connected" and "disconnected" are sent here too (the inbox has
    /// them either way): on unless turned off, since a gateway gone quiet is what
    /// people most need to hear of.
    #[serde(default = "on")]
    pub app_status: bool,
}

fn on() -> bool {
    true
}

impl Default for Destinations {
    fn default() -> Self {
        Destinations {
            mail: Vec::new(),
            slack: None,
            wecom: None,
            language: None,
            app_status: on(),
        }
    }
}

/// One place a notification is delivered to, named as its delivery is marked.
#[derive(Debug, Clone, PartialEq)]
pub enum Destination {
    Mail(UserId),
    Webhook(WebhookKind, WebhookUrl),
}

impl Destination {
    /// Names the destination in its delivery mark, without the webhook's secret: a new
    /// URL of the same kind is the same destination (a notification is not posted twice
    /// to one channel because its address was rotated).
    pub fn key(&self) -> String {
        match self {
            Destination::Mail(user) => format!("mail:{user}"),
            Destination::Webhook(kind, _) => kind.as_str().to_owned(),
        }
    }
}

impl Destinations {
    /// Every destination, mail first.
    pub fn all(&self) -> Vec<Destination> {
        let mut all: Vec<Destination> = self.mail.iter().cloned().map(Destination::Mail).collect();
        if let Some(url) = &self.slack {
            all.push(Destination::Webhook(WebhookKind::Slack, url.clone()));
        }
        if let Some(url) = &self.wecom {
            all.push(Destination::Webhook(WebhookKind::WeCom, url.clone()));
        }
        all
    }

    /// Checks what an editor sent: at most [`MAX_MAIL_RECIPIENTS`] users, none twice,
    /// each webhook of its service.
    pub fn check(&self) -> Result<(), String> {
        if self.mail.len() > MAX_MAIL_RECIPIENTS {
            return Err(format!(
                "`mail`: at most {MAX_MAIL_RECIPIENTS} users, got {}",
                self.mail.len()
            ));
        }
        for (i, user) in self.mail.iter().enumerate() {
            if self.mail[..i].contains(user) {
                return Err(format!("`mail`: user `{user}` is listed twice"));
            }
        }
        for (field, kind, url) in [
            ("slack", WebhookKind::Slack, &self.slack),
            ("wecom", WebhookKind::WeCom, &self.wecom),
        ] {
            if let Some(url) = url {
                url.check(kind).map_err(|e| format!("`{field}`: {e}"))?;
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookKind {
    Slack,
    WeCom,
}

impl WebhookKind {
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookKind::Slack => "slack",
            WebhookKind::WeCom => "wecom",
        }
    }

    /// The only origin this kind of webhook is posted to. Pinned, so that no tenant can
    /// make the cloud post to an address of its choosing (an internal one, say).
    pub fn origin(self) -> &'static str {
        match self {
            WebhookKind::Slack => "https://hooks.slack.com/",
            WebhookKind::WeCom => "https://qyapi.weixin.qq.com/",
        }
    }

    /// The path every webhook of this kind starts with.
    fn path_prefix(self) -> &'static str {
        match self {
            WebhookKind::Slack => "services/",
            WebhookKind::WeCom => "cgi-bin/webhook/send?key=",
        }
    }
}

/// A webhook's address. It is a secret — whoever has it can post to the channel — so it
/// is never logged, and shown only masked ([`WebhookUrl::masked`]); its `Debug` masks
/// it too.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct WebhookUrl(String);

/// The longest webhook address accepted.
const MAX_URL_CHARS: usize = 500;

impl WebhookUrl {
    pub fn new(url: impl Into<String>) -> WebhookUrl {
        WebhookUrl(url.into())
    }

    /// Whether it is an address of `kind`'s service: its origin, its path, nothing else.
    pub fn check(&self, kind: WebhookKind) -> Result<(), String> {
        let rest = self.0.strip_prefix(kind.origin());
        let well_formed = rest.is_some_and(|rest| {
            rest.strip_prefix(kind.path_prefix()).is_some_and(|secret| {
                !secret.is_empty()
                    && secret
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "/-_".contains(c))
            })
        });
        if self.0.len() > MAX_URL_CHARS || !well_formed {
            return Err(format!(
                "not a {} webhook: it must start with {}{}",
                kind.as_str(),
                kind.origin(),
                kind.path_prefix()
            ));
        }
        Ok(())
    }

    /// What may be shown: the origin and the last four characters.
    pub fn masked(&self) -> String {
        let tail: String = self
            .0
            .chars()
            .rev()
            .take(4)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let origin_end = self.0.find("://").map_or(0, |i| i + 3);
        let host_end = self.0[origin_end..]
            .find('/')
            .map_or(self.0.len(), |i| origin_end + i);
        format!("{}/…{tail}", &self.0[..host_end])
    }

    /// The address to post to, for the webhook adapter only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WebhookUrl({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SLACK: &str = "https://hooks.slack.com/services/T000/B000/XXXXabcd";
    const WECOM: &str = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx";

    #[test]
    fn only_the_services_own_webhook_addresses_are_accepted() {
        assert_eq!(WebhookUrl::new(SLACK).check(WebhookKind::Slack), Ok(()));
        assert_eq!(WebhookUrl::new(WECOM).check(WebhookKind::WeCom), Ok(()));
        for refused in [
            "http://hooks.slack.com/services/T000/B000/X",
            "https://hooks.slack.com.evil.example/services/X",
            "https://hooks.slack.com@169.254.169.254/services/X",
            "https://hooks.slack.com/services/",
            "https://hooks.slack.com/services/T0?x=http://10.0.0.1",
            "https://hooks.slack.com/api/chat.postMessage",
        ] {
            assert!(
                WebhookUrl::new(refused).check(WebhookKind::Slack).is_err(),
                "{refused}"
            );
        }
        assert!(WebhookUrl::new(SLACK).check(WebhookKind::WeCom).is_err());
        let long = format!("{SLACK}{}", "a".repeat(500));
        assert!(WebhookUrl::new(long).check(WebhookKind::Slack).is_err());
    }

    #[test]
    fn a_webhook_address_shows_only_its_origin_and_last_four_characters() {
        let url = WebhookUrl::new(SLACK);
        assert_eq!(url.masked(), "https://hooks.slack.com/…abcd");
        assert!(!format!("{url:?}").contains("T000"));
        assert_eq!(
            WebhookUrl::new(WECOM).masked(),
            "https://qyapi.weixin.qq.com/…7xxx"
        );
    }

    #[test]
    fn destinations_are_checked_and_listed_mail_first_with_keys_free_of_secrets() {
        let mut destinations = Destinations {
            mail: vec![UserId::parse("ana").unwrap(), UserId::parse("bo").unwrap()],
            slack: Some(WebhookUrl::new(SLACK)),
            wecom: Some(WebhookUrl::new(WECOM)),
            language: None,
            app_status: true,
        };
        assert_eq!(destinations.check(), Ok(()));
        let keys: Vec<String> = destinations.all().iter().map(Destination::key).collect();
        assert_eq!(keys, vec!["mail:ana", "mail:bo", "slack", "wecom"]);
        destinations.mail.push(UserId::parse("ana").unwrap());
        assert!(destinations.check().unwrap_err().contains("twice"));
        destinations.mail = (0..21)
            .map(|i| UserId::parse(format!("u{i}")).unwrap())
            .collect();
        assert!(destinations.check().unwrap_err().contains("at most 20"));
        destinations.mail.clear();
        destinations.slack = Some(WebhookUrl::new(WECOM));
        assert!(destinations.check().unwrap_err().starts_with("`slack`"));
    }
}
