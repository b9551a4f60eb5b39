//! Exports and imports on their account's partition, each gone a while after its ZIP.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::keys::*;
use super::store::{to_item, ttl, DynamoStore, ItemKind};
use super::unavailable;
use crate::domain::data_job::{DataJob, EXPORT_KEPT_DAYS};
use crate::domain::ids::JobId;
use crate::domain::record::Millis;
use crate::ports::{DataJobs, GroupKey, StoreError};

#[derive(Debug, Serialize, Deserialize)]
struct JobItem {
    pk: String,
    sk: String,
    ttl: i64,
    job: DataJob,
}

impl ItemKind for JobItem {
    const KIND: &'static str = "export or import";
}

#[async_trait]
impl DataJobs for DynamoStore {
    async fn save_job(&self, job: &DataJob) -> Result<(), StoreError> {
        let item = JobItem {
            pk: account_pk(&job.account),
            sk: job_sk(&job.group, &job.id),
            // A day past its ZIP: a link asked for is never to a ZIP already gone.
            ttl: ttl(job.requested.plus((EXPORT_KEPT_DAYS + 1) * Millis::DAY)),
            job: job.clone(),
        };
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(&item)))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn job(&self, group: GroupKey<'_>, id: &JobId) -> Result<Option<DataJob>, StoreError> {
        Ok(self
            .get_as::<JobItem>(account_pk(group.account), &job_sk(group.group, id))
            .await?
            .map(|item| item.job))
    }
}
