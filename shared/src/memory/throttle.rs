//! Failed-attempt throttles in memory.

use async_trait::async_trait;

use super::store::MemoryStore;
use crate::domain::auth::{throttled_until, Failures, THROTTLE_WINDOW_MILLIS};
use crate::domain::record::Millis;
use crate::ports::{StoreError, Throttle};

/// Whether a window that started at `start` is still open at `now`.
fn live(start: Millis, now: Millis) -> bool {
    start.0 > now.0 - THROTTLE_WINDOW_MILLIS
}

#[async_trait]
impl Throttle for MemoryStore {
    async fn claim_attempt(
        &self,
        key: &str,
        max: u32,
        now: Millis,
    ) -> Result<Option<Millis>, StoreError> {
        let mut tables = self.tables();
        let current = tables.throttles.get(key).copied();
        if let Some(failures) = current.filter(|f| live(f.window_start, now)) {
            if failures.count < max {
                tables.throttles.insert(
                    key.to_owned(),
                    Failures {
                        count: failures.count + 1,
                        ..failures
                    },
                );
                return Ok(None);
            }
        }
        if let Some(until) = throttled_until(current, max, now) {
            return Ok(Some(until));
        }
        // No window, or the last one ended: this attempt starts one.
        tables.throttles.insert(
            key.to_owned(),
            Failures {
                window_start: now,
                count: 1,
            },
        );
        Ok(None)
    }

    async fn release_attempt(&self, key: &str, now: Millis) -> Result<(), StoreError> {
        // A window that ended meanwhile has nothing to give back.
        if let Some(failures) = self.tables().throttles.get_mut(key) {
            if live(failures.window_start, now) && failures.count > 0 {
                failures.count -= 1;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::MemoryStore;

    #[tokio::test]
    async fn keeps_the_contract() {
        crate::contract::throttle(&MemoryStore::new(), "memory").await;
    }
}
