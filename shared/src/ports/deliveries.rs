//! The [`Deliveries`] port.

use async_trait::async_trait;

use super::{GroupKey, StoreError};
use crate::domain::record::Millis;

/// What a claim on one delivery found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// Ours to send until the lease ends.
    Claimed,
    /// Sent already: nothing to do.
    Delivered,
    /// Another sender holds it (its lease has not ended).
    Busy,
}

/// One mark per notification and destination, so that a queue message handled twice,
/// or twice at once, sends nothing twice.
#[async_trait]
pub trait Deliveries: Send + Sync {
    /// Claims the delivery of `notification` to `destination` until `lease_until`,
    /// unless it was delivered or another claim still holds at `now`.
    async fn claim_delivery(
        &self,
        group: GroupKey<'_>,
        notification: &str,
        destination: &str,
        now: Millis,
        lease_until: Millis,
    ) -> Result<Claim, StoreError>;
    /// Marks it delivered, for good.
    async fn mark_delivered(
        &self,
        group: GroupKey<'_>,
        notification: &str,
        destination: &str,
        at: Millis,
    ) -> Result<(), StoreError>;
    /// Gives up a claim after a failed send, so the next attempt need not wait for the
    /// lease; a claim that is no longer ours is left alone.
    async fn release_delivery(
        &self,
        group: GroupKey<'_>,
        notification: &str,
        destination: &str,
        lease_until: Millis,
    ) -> Result<(), StoreError>;
}
