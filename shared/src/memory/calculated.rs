//! Calculated channels in memory.

use async_trait::async_trait;

use super::store::MemoryStore;
use crate::domain::calculated::{Backfill, CalculatedChannel};
use crate::domain::ids::{AccountId, CalcId, GroupId};
use crate::ports::{CalculatedChannels, Saved, StoreError};

#[async_trait]
impl CalculatedChannels for MemoryStore {
    async fn calculated_channels(
        &self,
        account: &AccountId,
        group: &GroupId,
    ) -> Result<Vec<CalculatedChannel>, StoreError> {
        Ok(self
            .tables()
            .calculated
            .iter()
            .filter(|((a, g, _), _)| a == account && g == group)
            .map(|(_, c)| c.clone())
            .collect())
    }

    async fn calculated_channel(
        &self,
        account: &AccountId,
        group: &GroupId,
        id: &CalcId,
    ) -> Result<Option<CalculatedChannel>, StoreError> {
        let key = (account.clone(), group.clone(), id.clone());
        Ok(self.tables().calculated.get(&key).cloned())
    }

    async fn create_calculated(
        &self,
        channel: &CalculatedChannel,
        limit: u32,
    ) -> Result<bool, StoreError> {
        let mut tables = self.tables();
        let key = (
            channel.account.clone(),
            channel.group.clone(),
            channel.id.clone(),
        );
        let group = (channel.account.clone(), channel.group.clone());
        if tables.calculated.contains_key(&key) {
            return Ok(false);
        }
        match tables.groups.get_mut(&group) {
            Some(entry) if entry.calculated < limit => entry.calculated += 1,
            _ => return Ok(false),
        }
        // The chain of the steps that record progress starts with the first of them.
        let mut stored = channel.clone();
        stored.backfill.chain = 0;
        tables.calculated.insert(key, stored);
        Ok(true)
    }

    async fn update_calculated(
        &self,
        channel: &CalculatedChannel,
        new_formula: bool,
    ) -> Result<Saved, StoreError> {
        let key = (
            channel.account.clone(),
            channel.group.clone(),
            channel.id.clone(),
        );
        let mut tables = self.tables();
        let Some(stored) = tables.calculated.get_mut(&key) else {
            return Ok(Saved::Conflict);
        };
        if stored.version != channel.version.saturating_sub(1) {
            return Ok(Saved::Conflict);
        }
        let backfill = if new_formula {
            Backfill {
                through: None,
                computed: 0,
                done: false,
                chain: stored.backfill.chain,
            }
        } else {
            stored.backfill
        };
        *stored = CalculatedChannel {
            backfill,
            ..channel.clone()
        };
        Ok(Saved::Written)
    }

    async fn record_backfill(
        &self,
        channel: &CalculatedChannel,
        progress: Backfill,
    ) -> Result<bool, StoreError> {
        let key = (
            channel.account.clone(),
            channel.group.clone(),
            channel.id.clone(),
        );
        let mut tables = self.tables();
        let Some(stored) = tables.calculated.get_mut(&key) else {
            return Ok(false);
        };
        let forward = match progress.through {
            Some(through) => stored.backfill.through.is_none_or(|t| t < through),
            None => true,
        };
        if stored.formula != channel.formula || !forward {
            return Ok(false);
        }
        let through = progress.through.or(stored.backfill.through);
        stored.backfill = Backfill {
            through,
            ..progress
        };
        Ok(true)
    }

    async fn delete_calculated(
        &self,
        account: &AccountId,
        group: &GroupId,
        id: &CalcId,
    ) -> Result<bool, StoreError> {
        let mut tables = self.tables();
        let key = (account.clone(), group.clone(), id.clone());
        let group = (account.clone(), group.clone());
        let counted = tables.groups.get(&group).is_some_and(|e| e.calculated > 0);
        if !tables.calculated.contains_key(&key) || !counted {
            return Ok(false);
        }
        tables.calculated.remove(&key);
        if let Some(entry) = tables.groups.get_mut(&group) {
            entry.calculated -= 1;
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::MemoryStore;

    #[tokio::test]
    async fn keeps_the_contract() {
        crate::contract::calculated_channels(&MemoryStore::new(), "memory").await;
    }
}
