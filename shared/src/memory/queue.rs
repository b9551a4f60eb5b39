//! The job queues in memory (recompute steps, exports and imports): they keep what was
//! enqueued, for a test to look at.

use std::sync::Mutex;

use async_trait::async_trait;

use crate::domain::calculated::RecomputeJob;
use crate::domain::data_job::JobMessage;
use crate::ports::{DataJobQueue, JobQueue, StoreError};

/// Records every job enqueued, in order; nothing runs them.
#[derive(Default)]
pub struct MemoryJobQueue {
    jobs: Mutex<Vec<RecomputeJob>>,
    data_jobs: Mutex<Vec<JobMessage>>,
}

impl MemoryJobQueue {
    /// The jobs enqueued so far, oldest first.
    pub fn jobs(&self) -> Vec<RecomputeJob> {
        self.jobs
            .lock()
            .expect("no panic while holding the lock")
            .clone()
    }

    /// The exports and imports queued so far, oldest first.
    pub fn data_jobs(&self) -> Vec<JobMessage> {
        self.data_jobs
            .lock()
            .expect("no panic while holding the lock")
            .clone()
    }

    /// Takes the jobs enqueued so far, oldest first, leaving none (to run them).
    pub fn take(&self) -> Vec<RecomputeJob> {
        std::mem::take(&mut *self.jobs.lock().expect("no panic while holding the lock"))
    }
}

#[async_trait]
impl DataJobQueue for MemoryJobQueue {
    async fn queue_data_job(&self, message: &JobMessage) -> Result<(), StoreError> {
        self.data_jobs
            .lock()
            .expect("no panic while holding the lock")
            .push(message.clone());
        Ok(())
    }
}

#[async_trait]
impl JobQueue for MemoryJobQueue {
    async fn enqueue(&self, job: &RecomputeJob) -> Result<(), StoreError> {
        self.jobs
            .lock()
            .expect("no panic while holding the lock")
            .push(job.clone());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::{AccountId, CalcId, GroupId};
    use crate::domain::record::Millis;

    #[tokio::test]
    async fn records_the_jobs_in_order() {
        let queue = MemoryJobQueue::default();
        let job = |formula| RecomputeJob {
            account: AccountId::parse("acme").unwrap(),
            group: GroupId::parse("plant").unwrap(),
            id: CalcId::parse("c").unwrap(),
            formula,
            from: Millis(0),
            chain: 0,
        };
        queue.enqueue(&job(1)).await.unwrap();
        queue.enqueue(&job(2)).await.unwrap();
        assert_eq!(queue.jobs(), vec![job(1), job(2)]);
        assert_eq!(queue.take(), vec![job(1), job(2)]);
        assert!(queue.jobs().is_empty());
    }
}
