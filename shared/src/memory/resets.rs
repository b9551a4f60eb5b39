//! Pending password resets in memory.

use async_trait::async_trait;

use super::store::MemoryStore;
use crate::domain::auth::PasswordReset;
use crate::ports::{Resets, StoreError};

#[async_trait]
impl Resets for MemoryStore {
    async fn create_reset(&self, hash: &str, reset: &PasswordReset) -> Result<(), StoreError> {
        self.tables().resets.insert(hash.to_owned(), reset.clone());
        Ok(())
    }

    async fn reset(&self, hash: &str) -> Result<Option<PasswordReset>, StoreError> {
        Ok(self.tables().resets.get(hash).cloned())
    }

    async fn take_reset(&self, hash: &str) -> Result<bool, StoreError> {
        Ok(self.tables().resets.remove(hash).is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::MemoryStore;

    #[tokio::test]
    async fn keeps_the_contract() {
        crate::contract::resets_and_signups(&MemoryStore::new(), "memory").await;
    }
}
