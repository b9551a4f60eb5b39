//! The [`Inbox`] port.

use async_trait::async_trait;

use super::{GroupKey, StoreError};
use crate::domain::inbox::NotificationId;
use crate::domain::notice::Notice;

/// Notifications of a group strictly between two IDs (either open), newest first, at
/// most `limit` (at least 1).
#[derive(Debug, Clone, Copy)]
pub struct InboxRange<'a> {
    pub after: Option<&'a NotificationId>,
    pub before: Option<&'a NotificationId>,
    pub limit: usize,
}

impl InboxRange<'_> {
    /// The newest `limit` notifications.
    pub fn newest(limit: usize) -> InboxRange<'static> {
        InboxRange {
            after: None,
            before: None,
            limit,
        }
    }
}

/// Every notification of a group, kept for its users to read.
#[async_trait]
pub trait Inbox: Send + Sync {
    /// Records `notification` under its ID unless it is recorded already (the first
    /// stays); whether it was new.
    async fn record_notification(
        &self,
        group: GroupKey<'_>,
        notification: &Notice,
    ) -> Result<bool, StoreError>;
    async fn notification(
        &self,
        group: GroupKey<'_>,
        id: &NotificationId,
    ) -> Result<Option<Notice>, StoreError>;
    /// The group's notifications in `range`, newest first: `limit` of them unless the
    /// range holds fewer.
    async fn notifications(
        &self,
        group: GroupKey<'_>,
        range: InboxRange<'_>,
    ) -> Result<Vec<Notice>, StoreError>;
    /// How many notifications come after `after` (all without it), counting no further
    /// than `at_most`.
    async fn count_notifications(
        &self,
        group: GroupKey<'_>,
        after: Option<&NotificationId>,
        at_most: usize,
    ) -> Result<usize, StoreError>;
}
