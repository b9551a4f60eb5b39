//! Measurement data bytes in memory.

use async_trait::async_trait;

use super::store::MemoryStore;
use crate::domain::ids::AccountId;
use crate::domain::registry::InstrumentKey;
use crate::domain::usage::Tally;
use crate::ports::{Counted, DataUsage, StoreError};

#[async_trait]
impl DataUsage for MemoryStore {
    async fn count_data(
        &self,
        account: &AccountId,
        key: &InstrumentKey,
        tally: &Tally,
    ) -> Result<Counted, StoreError> {
        let mut tables = self.tables();
        let entry = tables.data_usage.get_mut(&(account.clone(), key.clone()));
        match entry {
            Some((_, through)) if *through >= tally.first => Ok(Counted::Already(through.clone())),
            Some((bytes, through)) => {
                *bytes += tally.bytes;
                *through = tally.last.clone();
                Ok(Counted::Counted)
            }
            None => {
                tables.data_usage.insert(
                    (account.clone(), key.clone()),
                    (tally.bytes, tally.last.clone()),
                );
                Ok(Counted::Counted)
            }
        }
    }

    async fn data_bytes(&self, account: &AccountId) -> Result<u64, StoreError> {
        let total: i64 = self
            .tables()
            .data_usage
            .iter()
            .filter(|((holder, _), _)| holder == account)
            .map(|(_, (bytes, _))| bytes)
            .sum();
        // Below zero only if deletions were counted before the writes they undo.
        Ok(u64::try_from(total).unwrap_or(0))
    }

    async fn data_keys(&self, account: &AccountId) -> Result<Vec<InstrumentKey>, StoreError> {
        Ok(self
            .tables()
            .data_usage
            .keys()
            .filter(|(holder, _)| holder == account)
            .map(|(_, key)| key.clone())
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn memory_keeps_the_data_usage_contract() {
        crate::contract::data_usage(&MemoryStore::new(), "memory").await;
    }
}
