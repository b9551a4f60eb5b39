//! A group's inbox: the notifications its alarms left, newest first.

use serde::Serialize;

use super::Refused;
use crate::domain::alarm::Notification;
use crate::domain::registry::Group;
use crate::domain::token::Principal;
use crate::ports::{GroupKey, Inbox};

/// How many notifications one answer holds.
pub const INBOX_PAGE: usize = 100;

#[derive(Debug, Serialize)]
pub struct InboxView {
    pub notifications: Vec<NotificationView>,
}

#[derive(Debug, Serialize)]
pub struct NotificationView {
    /// Unique per alarm version, event and instant.
    pub id: String,
    #[serde(flatten)]
    pub notification: Notification,
}

/// The group's newest [`INBOX_PAGE`] notifications.
pub async fn list(
    store: &impl Inbox,
    principal: &Principal,
    group: &Group,
) -> Result<InboxView, Refused> {
    let key = GroupKey {
        account: &principal.account,
        group: &group.id,
    };
    let notifications = store.notifications(key, INBOX_PAGE).await?;
    Ok(InboxView {
        notifications: notifications
            .into_iter()
            .map(|notification| NotificationView {
                id: notification.id(),
                notification,
            })
            .collect(),
    })
}
