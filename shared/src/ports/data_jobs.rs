//! The [`DataJobs`] and [`DataJobQueue`] ports: exports and imports kept, and handed to
//! the `files` function.

use async_trait::async_trait;

use super::{GroupKey, StoreError};
use crate::domain::data_job::{DataJob, JobMessage};
use crate::domain::ids::{AccountId, JobId};

/// Exports and imports, each kept (and overwritten as it goes) under its group.
#[async_trait]
pub trait DataJobs: Send + Sync {
    /// Keeps `job` as it is now, in place of what was kept, unless that has ended
    /// (done or failed: an invocation running it again changes nothing); whether it
    /// was kept.
    async fn save_job(&self, job: &DataJob) -> Result<bool, StoreError>;
    async fn job(&self, group: GroupKey<'_>, id: &JobId) -> Result<Option<DataJob>, StoreError>;
    /// Every job of the account still kept, of all its groups, in no particular order.
    async fn account_jobs(&self, account: &AccountId) -> Result<Vec<DataJob>, StoreError>;
}

/// Where asked-for exports and imports wait for the `files` function.
#[async_trait]
pub trait DataJobQueue: Send + Sync {
    async fn queue_data_job(&self, message: &JobMessage) -> Result<(), StoreError>;
}
