//! The [`Alarms`] port.

use async_trait::async_trait;

use super::{Created, Saved, StoreError};
use crate::domain::alarm::Alarm;
use crate::domain::ids::{AccountId, AlarmId, GroupId};

/// The data alarm definitions of the groups. A group that has alarms is not deleted.
#[async_trait]
pub trait Alarms: Send + Sync {
    /// The alarms of a group, read consistently (ingest reads them per message and must
    /// see one the moment it is created).
    async fn alarms(&self, account: &AccountId, group: &GroupId) -> Result<Vec<Alarm>, StoreError>;
    async fn alarm(
        &self,
        account: &AccountId,
        group: &GroupId,
        id: &AlarmId,
    ) -> Result<Option<Alarm>, StoreError>;
    /// Creates an alarm unless the group has `limit` already; concurrent creations
    /// cannot both take the last slot. `LimitReached` also when the group does not exist;
    /// `Exists` when the ID is taken.
    async fn create_alarm(&self, alarm: &Alarm, limit: u32) -> Result<Created, StoreError>;
    /// Replaces an alarm's name, rule and switch if its stored version is still
    /// `alarm.version - 1`; `Conflict` when it is not, or there is no such alarm.
    async fn update_alarm(&self, alarm: &Alarm) -> Result<Saved, StoreError>;
    /// Deletes an alarm, freeing its slot; `false` if there was none.
    async fn delete_alarm(
        &self,
        account: &AccountId,
        group: &GroupId,
        id: &AlarmId,
    ) -> Result<bool, StoreError>;
}
