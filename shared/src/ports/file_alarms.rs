//! The [`FileAlarms`] port.

use async_trait::async_trait;

use super::{Created, StoreError};
use crate::domain::file_alarm::FileAlarm;
use crate::domain::ids::{AccountId, FileAlarmId, GroupId};

/// The file alarms of the groups, counted on their group: a group that has file alarms
/// is not deleted.
#[async_trait]
pub trait FileAlarms: Send + Sync {
    /// The file alarms of a group, read consistently (the `files` function reads them
    /// per upload and must see one the moment it is created).
    async fn file_alarms(
        &self,
        account: &AccountId,
        group: &GroupId,
    ) -> Result<Vec<FileAlarm>, StoreError>;
    async fn file_alarm(
        &self,
        account: &AccountId,
        group: &GroupId,
        id: &FileAlarmId,
    ) -> Result<Option<FileAlarm>, StoreError>;
    /// Creates a file alarm unless the group has `limit` already; concurrent creations
    /// cannot both take the last slot. `LimitReached` also when the group does not
    /// exist; `Exists` when the ID is taken.
    async fn create_file_alarm(&self, alarm: &FileAlarm, limit: u32)
        -> Result<Created, StoreError>;
    /// Replaces a file alarm's name and filter (its creation time stays); `false` if
    /// there is no such alarm.
    async fn replace_file_alarm(&self, alarm: &FileAlarm) -> Result<bool, StoreError>;
    /// Deletes a file alarm, freeing its slot; `false` if there was none.
    async fn delete_file_alarm(
        &self,
        account: &AccountId,
        group: &GroupId,
        id: &FileAlarmId,
    ) -> Result<bool, StoreError>;
}
