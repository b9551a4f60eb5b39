//! The [`Throttle`] port.

use async_trait::async_trait;

use super::StoreError;
use crate::domain::record::Millis;

/// Failed-attempt counts per key (login throttles).
#[async_trait]
pub trait Throttle: Send + Sync {
    /// Takes one of the `max` attempts `key` has in the current window (starting a new
    /// window if the last ended), before the attempt is checked: `None` when taken,
    /// `Some(until)` when all are spent. Atomic, so parallel attempts cannot get more.
    async fn claim_attempt(
        &self,
        key: &str,
        max: u32,
        now: Millis,
    ) -> Result<Option<Millis>, StoreError>;
    /// Gives an attempt back (it succeeded): only failures stay counted.
    async fn release_attempt(&self, key: &str, now: Millis) -> Result<(), StoreError>;
}
