//! The [`AuditLog`] port.

use async_trait::async_trait;

use super::StoreError;
use crate::domain::auth::{AuditEvent, AuditPage, AuditQuery};
use crate::domain::ids::AccountId;

/// The audit log of an account.
#[async_trait]
pub trait AuditLog: Send + Sync {
    async fn audit(&self, account: &AccountId, event: &AuditEvent) -> Result<(), StoreError>;
    /// Counts a failure into the one entry of its kind, user and address in its fold
    /// window (`domain::auth::fold_window`), atomically: a flood costs one item a window.
    async fn audit_failure(
        &self,
        account: &AccountId,
        event: &AuditEvent,
    ) -> Result<(), StoreError>;
    /// A page of an account's audit log, newest first. A query that filters reads a
    /// bounded number of entries per page: a page may hold fewer than asked and still
    /// have a `next`.
    async fn audit_log(
        &self,
        account: &AccountId,
        query: &AuditQuery,
    ) -> Result<AuditPage, StoreError>;
}
