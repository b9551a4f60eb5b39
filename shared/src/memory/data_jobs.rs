//! Exports and imports in memory.

use async_trait::async_trait;

use super::store::MemoryStore;
use crate::domain::data_job::DataJob;
use crate::domain::ids::{AccountId, JobId};
use crate::ports::{DataJobs, GroupKey, StoreError};

#[async_trait]
impl DataJobs for MemoryStore {
    async fn save_job(&self, job: &DataJob) -> Result<bool, StoreError> {
        let key = (job.account.clone(), job.group.clone(), job.id.clone());
        let mut tables = self.tables();
        if tables
            .jobs
            .get(&key)
            .is_some_and(|kept| kept.state.is_final())
        {
            return Ok(false);
        }
        tables.jobs.insert(key, job.clone());
        Ok(true)
    }

    async fn job(&self, group: GroupKey<'_>, id: &JobId) -> Result<Option<DataJob>, StoreError> {
        let key = (group.account.clone(), group.group.clone(), id.clone());
        Ok(self.tables().jobs.get(&key).cloned())
    }

    async fn account_jobs(&self, account: &AccountId) -> Result<Vec<DataJob>, StoreError> {
        let tables = self.tables();
        let of_account = tables.jobs.values().filter(|job| &job.account == account);
        Ok(of_account.cloned().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn memory_keeps_the_data_jobs_contract() {
        crate::contract::data_jobs(&MemoryStore::new(), "memory").await;
    }
}
