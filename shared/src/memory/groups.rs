//! Measurement groups in memory.

use async_trait::async_trait;

use super::store::{GroupEntry, MemoryStore};
use crate::domain::ids::{AccountId, GroupId};
use crate::domain::registry::{App, Group, Instrument};
use crate::ports::{Created, Groups, StoreError};

#[async_trait]
impl Groups for MemoryStore {
    async fn group(&self, account: &AccountId, id: &GroupId) -> Result<Option<Group>, StoreError> {
        let key = (account.clone(), id.clone());
        Ok(self.tables().groups.get(&key).map(|e| e.group.clone()))
    }

    async fn groups(&self, account: &AccountId) -> Result<Vec<Group>, StoreError> {
        Ok(self
            .tables()
            .groups
            .iter()
            .filter(|((a, _), _)| a == account)
            .map(|(_, e)| e.group.clone())
            .collect())
    }

    async fn create_group(&self, group: &Group, limit: u32) -> Result<Created, StoreError> {
        let mut tables = self.tables();
        let key = (group.account.clone(), group.id.clone());
        if tables.groups.contains_key(&key) {
            return Ok(Created::Exists);
        }
        match tables.accounts.get_mut(&group.account) {
            Some(entry) if entry.groups < limit => entry.groups += 1,
            _ => return Ok(Created::LimitReached),
        }
        // Created with its name only: grants are set by their own write.
        let stored = Group {
            grants: Vec::new(),
            ..group.clone()
        };
        tables.groups.insert(
            key,
            GroupEntry {
                group: stored,
                apps: 0,
                calculated: 0,
                alarms: 0,
                file_alarms: 0,
                destinations: Default::default(),
            },
        );
        Ok(Created::Created)
    }

    async fn set_grants(&self, group: &Group) -> Result<bool, StoreError> {
        let key = (group.account.clone(), group.id.clone());
        Ok(match self.tables().groups.get_mut(&key) {
            Some(entry) => {
                entry.group.grants = group.grants.clone();
                true
            }
            None => false,
        })
    }

    async fn rename_group(&self, group: &Group) -> Result<bool, StoreError> {
        let key = (group.account.clone(), group.id.clone());
        Ok(match self.tables().groups.get_mut(&key) {
            Some(entry) => {
                entry.group.name = group.name.clone();
                true
            }
            None => false,
        })
    }

    async fn delete_group(&self, account: &AccountId, id: &GroupId) -> Result<bool, StoreError> {
        let mut tables = self.tables();
        let key = (account.clone(), id.clone());
        match tables.groups.get(&key) {
            Some(entry)
                if entry.apps == 0
                    && entry.calculated == 0
                    && entry.alarms == 0
                    && entry.file_alarms == 0 => {}
            _ => return Ok(false),
        }
        match tables.accounts.get_mut(account) {
            Some(entry) if entry.groups > 0 => entry.groups -= 1,
            _ => return Ok(false),
        }
        tables.groups.remove(&key);
        tables.alarm_states.remove(&key);
        Ok(true)
    }

    async fn group_members(
        &self,
        account: &AccountId,
        group: &GroupId,
    ) -> Result<(Vec<App>, Vec<Instrument>), StoreError> {
        let tables = self.tables();
        let apps = tables
            .apps
            .values()
            .filter(|e| &e.app.account == account && &e.app.group == group)
            .map(|e| e.app.clone())
            .collect();
        let instruments = tables
            .instruments
            .values()
            .filter(|i| &i.account == account && &i.group == group)
            .cloned()
            .collect();
        Ok((apps, instruments))
    }
}

#[cfg(test)]
mod tests {
    use super::MemoryStore;

    #[tokio::test]
    async fn keeps_the_contract() {
        crate::contract::groups(&MemoryStore::new(), "memory").await;
    }
}
