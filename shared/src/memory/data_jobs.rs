//! Exports and imports in memory.

use async_trait::async_trait;

use super::store::MemoryStore;
use crate::domain::data_job::DataJob;
use crate::domain::ids::JobId;
use crate::ports::{DataJobs, GroupKey, StoreError};

#[async_trait]
impl DataJobs for MemoryStore {
    async fn save_job(&self, job: &DataJob) -> Result<(), StoreError> {
        let key = (job.account.clone(), job.group.clone(), job.id.clone());
        self.tables().jobs.insert(key, job.clone());
        Ok(())
    }

    async fn job(&self, group: GroupKey<'_>, id: &JobId) -> Result<Option<DataJob>, StoreError> {
        let key = (group.account.clone(), group.group.clone(), id.clone());
        Ok(self.tables().jobs.get(&key).cloned())
    }
}
