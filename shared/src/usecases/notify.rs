//! Delivering a notification to its group's destinations: what the `notify` Lambda does
//! with each message of its queue.
//!
//! Each destination is claimed, sent to and marked delivered on its own
//! ([`Deliveries`]), so a message handled again (SQS delivers at least once; a failed
//! message comes back) sends nothing twice, and a destination that fails does not hold
//! the others back: the message fails after trying every destination, comes back for
//! the ones not delivered, and ends in the dead-letter queue if they keep failing. Only
//! a crash between a send and its mark can send twice.
//!
//! Mail goes to users of the account who may see the group, each with a temporary
//! view-only login of their own (30 minutes); chat posts carry no link, since everyone
//! in the channel would share it.

use chrono_tz::Tz;
use serde::Serialize;

use super::access::may_see_group;
use super::random::Random;
use super::temporary_login::temporary_login;
use crate::domain::ids::UserId;
use crate::domain::notice::Notice;
use crate::domain::notify::{render, Destination, Occasion};
use crate::domain::record::Millis;
use crate::domain::registry::Group;
use crate::domain::settings::Language;
use crate::domain::token::{Principal, TokenKey};
use crate::ports::{
    Accounts, AuditLog, Claim, Deliveries, GroupKey, Groups, Mail, Mailer,
    NotificationDestinations, Notify, NotifyJob, Sessions, StoreError, Teams, Users, Webhooks,
};

/// How long a claim on a delivery holds: longer than one send may take, shorter than the
/// queue's visibility timeout, so that the message coming back after a crash finds the
/// claim lapsed.
pub const DELIVERY_LEASE_MILLIS: i64 = 30 * Millis::SECOND;

/// What the mail links are made with.
pub struct Links<'a> {
    pub key: &'a TokenKey,
    /// Where the portal is; a mail's link opens the group there.
    pub portal_url: &'a str,
}

/// What one message did, by destination key.
#[derive(Debug, Default, Serialize, PartialEq)]
pub struct NotifyReport {
    pub delivered: Vec<String>,
    /// Delivered before (a message handled again).
    pub already: Vec<String>,
    /// Not sent, and why (a user without an e-mail address or no longer allowed to see
    /// the group): nothing a retry changes.
    pub skipped: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("not a notification: {0}")]
    Malformed(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Destinations that failed (or were being sent by another handler), each with why;
    /// the others were delivered.
    #[error("not delivered to {}", .0.join("; "))]
    Undelivered(Vec<String>),
}

/// The outside world a delivery reaches.
pub struct Senders<'a, M, W> {
    pub mailer: &'a M,
    pub webhooks: &'a W,
    pub links: Links<'a>,
}

/// Delivers the notification in `body` (a [`NotifyJob`] as JSON). `clock` is read for
/// each destination, so a claim made after slow sends still holds its whole lease.
pub async fn deliver(
    body: &str,
    store: &(impl Accounts
          + Groups
          + Users
          + Teams
          + Sessions
          + AuditLog
          + NotificationDestinations
          + Deliveries),
    senders: &Senders<'_, impl Mailer, impl Webhooks>,
    random: &mut impl Random,
    clock: &impl Fn() -> Millis,
) -> Result<NotifyReport, NotifyError> {
    let job: NotifyJob =
        serde_json::from_str(body).map_err(|e| NotifyError::Malformed(e.to_string()))?;
    let mut report = NotifyReport::default();
    let key = GroupKey {
        account: &job.account,
        group: &job.group,
    };
    // An account or group deleted since: no one left to tell.
    let Some(account) = store.account(&job.account).await? else {
        return Ok(report);
    };
    let Some(group) = store.group(&job.account, &job.group).await? else {
        return Ok(report);
    };
    let Some(destinations) = store.destinations(key).await? else {
        return Ok(report);
    };
    let language = destinations.language.unwrap_or(account.language);
    let zone = account.time_zone.tz();
    let id = job.id();
    let occasion = match &job.what {
        Notify::Notice {
            notice: Notice::Alarm(notification),
        }
        | Notify::Alarm { notification } => Occasion::Alarm(notification),
        Notify::Notice {
            notice: Notice::App(change),
        } => {
            if !destinations.app_status {
                // The group's inbox has it; its destinations asked not to hear of apps.
                return Ok(report);
            }
            Occasion::App(change)
        }
        Notify::Notice {
            notice: Notice::File(notice),
        } => Occasion::File(notice),
        Notify::Test { alarm_name, at, .. } => Occasion::Test {
            alarm_name,
            at: *at,
        },
    };
    let message = Composer {
        occasion: &occasion,
        group: &group,
        language,
        zone: &zone,
    };
    let mut undelivered = Vec::new();
    for destination in destinations.all() {
        let name = destination.key();
        let now = clock();
        let lease_until = now.plus(DELIVERY_LEASE_MILLIS);
        match store
            .claim_delivery(key, &id, &name, now, lease_until)
            .await?
        {
            Claim::Delivered => {
                report.already.push(name);
                continue;
            }
            Claim::Busy => {
                undelivered.push(format!("{name}: being sent by another handler"));
                continue;
            }
            Claim::Claimed => {}
        }
        let sent = match &destination {
            Destination::Mail(user) => {
                // A store failing here fails this destination alone, like a refused send.
                send_mail(store, senders, random, &message, user, now)
                    .await
                    .unwrap_or_else(|error| Err(format!("{name}: {error}")))
            }
            Destination::Webhook(kind, url) => {
                let text = message.compose(None);
                let post = format!("{}\n\n{}", text.subject, text.text);
                senders
                    .webhooks
                    .post(*kind, url, &post)
                    .await
                    .map(|()| Sent::Sent)
            }
        };
        match sent {
            Ok(Sent::Sent) => {
                store.mark_delivered(key, &id, &name, clock()).await?;
                report.delivered.push(name);
            }
            Ok(Sent::Skipped(why)) => {
                store.mark_delivered(key, &id, &name, clock()).await?;
                report.skipped.push(format!("{name}: {why}"));
            }
            Err(error) => {
                store.release_delivery(key, &id, &name, lease_until).await?;
                undelivered.push(error);
            }
        }
    }
    if !undelivered.is_empty() {
        return Err(NotifyError::Undelivered(undelivered));
    }
    Ok(report)
}

/// The message of one notification to one group, in its language and zone.
struct Composer<'a> {
    occasion: &'a Occasion<'a>,
    group: &'a Group,
    language: Language,
    zone: &'a Tz,
}

impl Composer<'_> {
    fn compose(&self, login_link: Option<&str>) -> crate::domain::notify::Message {
        render(
            self.occasion,
            &self.group.id,
            self.language,
            self.zone,
            login_link,
        )
    }
}

enum Sent {
    Sent,
    /// Nothing to send to, for good: the reason.
    Skipped(String),
}

/// Mails `user`, if they have an address and may see the group, with a temporary
/// login of their own.
async fn send_mail(
    store: &(impl Users + Teams + Sessions + AuditLog),
    senders: &Senders<'_, impl Mailer, impl Webhooks>,
    random: &mut impl Random,
    message: &Composer<'_>,
    user_id: &UserId,
    now: Millis,
) -> Result<Result<Sent, String>, StoreError> {
    let group = message.group;
    let Some(user) = store.user(&group.account, user_id).await? else {
        return Ok(Ok(Sent::Skipped("no such user".into())));
    };
    let Some(address) = user.email.clone() else {
        return Ok(Ok(Sent::Skipped("the user has no e-mail address".into())));
    };
    if !may_see_group(store, &user, group).await? {
        return Ok(Ok(Sent::Skipped(format!(
            "the user may not see group {}",
            group.id
        ))));
    }
    // The login is the recipient's own, made as if they had asked for it: it ends with
    // their sessions, and their audit log shows it.
    let recipient = Principal {
        account: group.account.clone(),
        user: user.id.clone(),
        role: user.role,
        session: "notify".into(),
        expires: now,
    };
    let login = temporary_login(store, senders.links.key, random, &recipient, None, now)
        .await
        .map_err(|refused| StoreError::Unavailable(refused.to_string()))?;
    let link = format!(
        "{}/groups/{}#token={}",
        senders.links.portal_url.trim_end_matches('/'),
        group.id,
        login.token
    );
    let text = message.compose(Some(&link));
    let mail = Mail {
        to: address,
        subject: text.subject,
        text: text.text,
    };
    Ok(match senders.mailer.send(&mail).await {
        Ok(()) => Ok(Sent::Sent),
        Err(error) => Err(format!("mail:{}: {error}", user.id)),
    })
}

#[cfg(test)]
mod tests;
