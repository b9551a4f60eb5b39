//! File alarms in memory.

use async_trait::async_trait;

use super::store::MemoryStore;
use crate::domain::file_alarm::FileAlarm;
use crate::domain::ids::{AccountId, FileAlarmId, GroupId};
use crate::ports::{Created, FileAlarms, StoreError};

#[async_trait]
impl FileAlarms for MemoryStore {
    async fn file_alarms(
        &self,
        account: &AccountId,
        group: &GroupId,
    ) -> Result<Vec<FileAlarm>, StoreError> {
        Ok(self
            .tables()
            .file_alarms
            .iter()
            .filter(|((a, g, _), _)| a == account && g == group)
            .map(|(_, alarm)| alarm.clone())
            .collect())
    }

    async fn file_alarm(
        &self,
        account: &AccountId,
        group: &GroupId,
        id: &FileAlarmId,
    ) -> Result<Option<FileAlarm>, StoreError> {
        let key = (account.clone(), group.clone(), id.clone());
        Ok(self.tables().file_alarms.get(&key).cloned())
    }

    async fn create_file_alarm(
        &self,
        alarm: &FileAlarm,
        limit: u32,
    ) -> Result<Created, StoreError> {
        let mut tables = self.tables();
        let key = (alarm.account.clone(), alarm.group.clone(), alarm.id.clone());
        let group = (alarm.account.clone(), alarm.group.clone());
        if tables.file_alarms.contains_key(&key) {
            return Ok(Created::Exists);
        }
        match tables.groups.get_mut(&group) {
            Some(entry) if entry.file_alarms < limit => entry.file_alarms += 1,
            _ => return Ok(Created::LimitReached),
        }
        tables.file_alarms.insert(key, alarm.clone());
        Ok(Created::Created)
    }

    async fn replace_file_alarm(&self, alarm: &FileAlarm) -> Result<bool, StoreError> {
        let key = (alarm.account.clone(), alarm.group.clone(), alarm.id.clone());
        let mut tables = self.tables();
        let Some(stored) = tables.file_alarms.get_mut(&key) else {
            return Ok(false);
        };
        stored.name = alarm.name.clone();
        stored.filter = alarm.filter.clone();
        Ok(true)
    }

    async fn delete_file_alarm(
        &self,
        account: &AccountId,
        group: &GroupId,
        id: &FileAlarmId,
    ) -> Result<bool, StoreError> {
        let mut tables = self.tables();
        let key = (account.clone(), group.clone(), id.clone());
        let group = (account.clone(), group.clone());
        let counted = tables.groups.get(&group).is_some_and(|e| e.file_alarms > 0);
        if !tables.file_alarms.contains_key(&key) || !counted {
            return Ok(false);
        }
        tables.file_alarms.remove(&key);
        if let Some(entry) = tables.groups.get_mut(&group) {
            entry.file_alarms -= 1;
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::MemoryStore;

    #[tokio::test]
    async fn keeps_the_contract() {
        crate::contract::file_alarms(&MemoryStore::new(), "memory").await;
    }
}
