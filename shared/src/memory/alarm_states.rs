//! The alarm states of groups in memory.

use async_trait::async_trait;

use super::store::MemoryStore;
use crate::domain::ids::{AccountId, GroupId};
use crate::ports::{AlarmStates, GroupAlarmStates, GroupKey, Saved, StoreError};

fn key(group: GroupKey<'_>) -> (AccountId, GroupId) {
    (group.account.clone(), group.group.clone())
}

#[async_trait]
impl AlarmStates for MemoryStore {
    async fn alarm_states(&self, group: GroupKey<'_>) -> Result<GroupAlarmStates, StoreError> {
        Ok(self
            .tables()
            .alarm_states
            .get(&key(group))
            .cloned()
            .unwrap_or_default())
    }

    async fn save_alarm_states(
        &self,
        group: GroupKey<'_>,
        states: &GroupAlarmStates,
    ) -> Result<Saved, StoreError> {
        let mut tables = self.tables();
        let stored = tables.alarm_states.entry(key(group)).or_default();
        if stored.rev != states.rev {
            return Ok(Saved::Conflict);
        }
        *stored = GroupAlarmStates {
            rev: states.rev + 1,
            ..states.clone()
        };
        Ok(Saved::Written)
    }
}

#[cfg(test)]
mod tests {
    use super::MemoryStore;

    #[tokio::test]
    async fn keeps_the_contract() {
        crate::contract::alarm_states(&MemoryStore::new(), "memory").await;
    }
}
