//! The [`JobQueue`] port.

use async_trait::async_trait;

use super::StoreError;
use crate::domain::calculated::RecomputeJob;

/// Background work: steps of recomputing calculated channels over history.
#[async_trait]
pub trait JobQueue: Send + Sync {
    async fn enqueue(&self, job: &RecomputeJob) -> Result<(), StoreError>;
}
