//! The job queue in memory: it keeps what was enqueued, for a test to look at.

use std::sync::Mutex;

use async_trait::async_trait;

use crate::domain::calculated::RecomputeJob;
use crate::ports::{JobQueue, StoreError};

/// Records every job enqueued, in order; nothing runs them.
#[derive(Default)]
pub struct MemoryJobQueue {
    jobs: Mutex<Vec<RecomputeJob>>,
}

impl MemoryJobQueue {
    /// The jobs enqueued so far, oldest first.
    pub fn jobs(&self) -> Vec<RecomputeJob> {
        self.jobs
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
impl JobQueue for MemoryJobQueue {
    async fn enqueue(&self, job: &RecomputeJob) -> Result<(), StoreError> {
        self.jobs
            .lock()
            .expect("no panic while holding the lock")
            .push(job.clone());
        Ok(())
    }
}
