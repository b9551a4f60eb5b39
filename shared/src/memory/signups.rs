//! Pending Trial sign-ups in memory.

use async_trait::async_trait;

use super::store::MemoryStore;
use crate::domain::auth::Signup;
use crate::ports::{Signups, StoreError};

#[async_trait]
impl Signups for MemoryStore {
    async fn create_signup(&self, hash: &str, signup: &Signup) -> Result<(), StoreError> {
        self.tables()
            .signups
            .insert(hash.to_owned(), signup.clone());
        Ok(())
    }

    async fn signup(&self, hash: &str) -> Result<Option<Signup>, StoreError> {
        Ok(self.tables().signups.get(hash).cloned())
    }

    async fn take_signup(&self, hash: &str) -> Result<bool, StoreError> {
        Ok(self.tables().signups.remove(hash).is_some())
    }
}
