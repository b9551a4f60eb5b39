//! Teams in memory.

use async_trait::async_trait;

use super::store::MemoryStore;
use crate::domain::access::Team;
use crate::domain::ids::{AccountId, TeamId};
use crate::ports::{Created, StoreError, Teams};

#[async_trait]
impl Teams for MemoryStore {
    async fn teams(&self, account: &AccountId) -> Result<Vec<Team>, StoreError> {
        Ok(self
            .tables()
            .teams
            .iter()
            .filter(|((a, _), _)| a == account)
            .map(|(_, t)| t.clone())
            .collect())
    }

    async fn team(&self, account: &AccountId, id: &TeamId) -> Result<Option<Team>, StoreError> {
        let key = (account.clone(), id.clone());
        Ok(self.tables().teams.get(&key).cloned())
    }

    async fn create_team(&self, team: &Team, limit: u32) -> Result<Created, StoreError> {
        let mut tables = self.tables();
        let key = (team.account.clone(), team.id.clone());
        if tables.teams.contains_key(&key) {
            return Ok(Created::Exists);
        }
        match tables.accounts.get_mut(&team.account) {
            Some(entry) if entry.teams < limit => entry.teams += 1,
            _ => return Ok(Created::LimitReached),
        }
        tables.teams.insert(key, team.clone());
        Ok(Created::Created)
    }

    async fn update_team(&self, team: &Team) -> Result<bool, StoreError> {
        let key = (team.account.clone(), team.id.clone());
        Ok(match self.tables().teams.get_mut(&key) {
            Some(stored) => {
                *stored = team.clone();
                true
            }
            None => false,
        })
    }

    async fn delete_team(&self, account: &AccountId, id: &TeamId) -> Result<bool, StoreError> {
        let mut tables = self.tables();
        let key = (account.clone(), id.clone());
        let counted = tables.accounts.get(account).is_some_and(|e| e.teams > 0);
        if !tables.teams.contains_key(&key) || !counted {
            return Ok(false);
        }
        tables.teams.remove(&key);
        if let Some(entry) = tables.accounts.get_mut(account) {
            entry.teams -= 1;
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::MemoryStore;

    #[tokio::test]
    async fn keeps_the_contract() {
        crate::contract::teams(&MemoryStore::new(), "memory").await;
    }
}
