//! The [`Inbox`] port.

use async_trait::async_trait;

use super::{GroupKey, StoreError};
use crate::domain::alarm::Notification;

/// Every notification of a group, kept for its users to read.
#[async_trait]
pub trait Inbox: Send + Sync {
    /// Records `notification` under its ID unless it is recorded already (the first
    /// stays); whether it was new.
    async fn record_notification(
        &self,
        group: GroupKey<'_>,
        notification: &Notification,
    ) -> Result<bool, StoreError>;
    /// The group's newest `limit` notifications, newest first; `limit` is at least 1.
    async fn notifications(
        &self,
        group: GroupKey<'_>,
        limit: usize,
    ) -> Result<Vec<Notification>, StoreError>;
}
