//! Data alarm definitions in memory.

use async_trait::async_trait;

use super::store::MemoryStore;
use crate::domain::alarm::Alarm;
use crate::domain::ids::{AccountId, AlarmId, GroupId};
use crate::ports::{Alarms, Created, Saved, StoreError};

#[async_trait]
impl Alarms for MemoryStore {
    async fn alarms(&self, account: &AccountId, group: &GroupId) -> Result<Vec<Alarm>, StoreError> {
        Ok(self
            .tables()
            .alarms
            .iter()
            .filter(|((a, g, _), _)| a == account && g == group)
            .map(|(_, alarm)| alarm.clone())
            .collect())
    }

    async fn alarm(
        &self,
        account: &AccountId,
        group: &GroupId,
        id: &AlarmId,
    ) -> Result<Option<Alarm>, StoreError> {
        let key = (account.clone(), group.clone(), id.clone());
        Ok(self.tables().alarms.get(&key).cloned())
    }

    async fn create_alarm(&self, alarm: &Alarm, limit: u32) -> Result<Created, StoreError> {
        let mut tables = self.tables();
        let key = (alarm.account.clone(), alarm.group.clone(), alarm.id.clone());
        let group = (alarm.account.clone(), alarm.group.clone());
        if tables.alarms.contains_key(&key) {
            return Ok(Created::Exists);
        }
        match tables.groups.get_mut(&group) {
            Some(entry) if entry.alarms < limit => entry.alarms += 1,
            _ => return Ok(Created::LimitReached),
        }
        tables.alarms.insert(key, alarm.clone());
        Ok(Created::Created)
    }

    async fn update_alarm(&self, alarm: &Alarm) -> Result<Saved, StoreError> {
        let key = (alarm.account.clone(), alarm.group.clone(), alarm.id.clone());
        let mut tables = self.tables();
        let Some(stored) = tables.alarms.get_mut(&key) else {
            return Ok(Saved::Conflict);
        };
        if stored.version != alarm.version.saturating_sub(1) {
            return Ok(Saved::Conflict);
        }
        *stored = alarm.clone();
        Ok(Saved::Written)
    }

    async fn delete_alarm(
        &self,
        account: &AccountId,
        group: &GroupId,
        id: &AlarmId,
    ) -> Result<bool, StoreError> {
        let mut tables = self.tables();
        let key = (account.clone(), group.clone(), id.clone());
        let group = (account.clone(), group.clone());
        let counted = tables.groups.get(&group).is_some_and(|e| e.alarms > 0);
        if !tables.alarms.contains_key(&key) || !counted {
            return Ok(false);
        }
        tables.alarms.remove(&key);
        if let Some(entry) = tables.groups.get_mut(&group) {
            entry.alarms -= 1;
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::MemoryStore;

    #[tokio::test]
    async fn keeps_the_contract() {
        crate::contract::alarms(&MemoryStore::new(), "memory").await;
    }
}
