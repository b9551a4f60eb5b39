//! The [`NotifyQueue`] port.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::StoreError;
use crate::domain::alarm::Notification;
use crate::domain::ids::{AccountId, AlarmId, GroupId};
use crate::domain::notice::Notice;
use crate::domain::record::Millis;

/// One notification to deliver to its group's destinations: the message the `notify`
/// function handles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotifyJob {
    pub account: AccountId,
    pub group: GroupId,
    #[serde(flatten)]
    pub what: Notify,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Notify {
    /// What the group's inbox holds under the notice's ID.
    Notice { notice: Notice },
    /// An alarm's notification as queued before there were other notices: read (a
    /// queue may hold some at an upgrade), never written.
    Alarm { notification: Notification },
    /// A "send test notification" of an alarm: `id` is drawn per request, so each
    /// request is delivered once.
    Test {
        id: String,
        alarm: AlarmId,
        alarm_name: String,
        at: Millis,
    },
}

impl NotifyJob {
    /// The ID deliveries are marked under.
    pub fn id(&self) -> String {
        match &self.what {
            Notify::Notice { notice } => notice.id(),
            Notify::Alarm { notification } => notification.id(),
            Notify::Test { id, .. } => format!("test.{id}"),
        }
    }
}

/// The queue the `notify` function consumes.
#[async_trait]
pub trait NotifyQueue: Send + Sync {
    async fn enqueue(&self, job: &NotifyJob) -> Result<(), StoreError>;
}
