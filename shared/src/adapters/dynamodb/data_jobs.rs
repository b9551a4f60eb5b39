//! Exports and imports on their account's partition, each gone a while after its ZIP.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::keys::*;
use super::store::{to_item, ttl, written, DynamoStore, ItemKind};
use super::values::s;
use crate::domain::data_job::{DataJob, EXPORT_KEPT_DAYS};
use crate::domain::ids::{AccountId, JobId};
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
    async fn save_job(&self, job: &DataJob) -> Result<bool, StoreError> {
        let item = JobItem {
            pk: account_pk(&job.account),
            sk: job_sk(&job.group, &job.id),
            // A day past its ZIP: a link asked for is never to a ZIP already gone.
            ttl: ttl(job.requested.plus((EXPORT_KEPT_DAYS + 1) * Millis::DAY)),
            job: job.clone(),
        };
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(&item)))
            .condition_expression(
                "attribute_not_exists(pk) OR NOT (job.#state IN (:done, :failed))",
            )
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":done", s("done"))
            .expression_attribute_values(":failed", s("failed"))
            .send()
            .await;
        written(put)
    }

    async fn job(&self, group: GroupKey<'_>, id: &JobId) -> Result<Option<DataJob>, StoreError> {
        Ok(self
            .get_as::<JobItem>(account_pk(group.account), &job_sk(group.group, id))
            .await?
            .map(|item| item.job))
    }

    async fn account_jobs(&self, account: &AccountId) -> Result<Vec<DataJob>, StoreError> {
        let items = self
            .query_prefix_as::<JobItem>(account_pk(account), JOB_PREFIX)
            .await?;
        Ok(items.into_iter().map(|item| item.job).collect())
    }
}
