//! Login sessions in memory.

use async_trait::async_trait;

use super::store::MemoryStore;
use crate::domain::auth::Session;
use crate::domain::record::Millis;
use crate::ports::{Sessions, StoreError};

#[async_trait]
impl Sessions for MemoryStore {
    async fn create_session(&self, session: &Session) -> Result<(), StoreError> {
        self.tables()
            .sessions
            .insert(session.id.clone(), session.clone());
        Ok(())
    }

    async fn session(&self, id: &str) -> Result<Option<Session>, StoreError> {
        Ok(self.tables().sessions.get(id).cloned())
    }

    async fn touch_session(&self, id: &str, at: Millis) -> Result<(), StoreError> {
        // Never revive a session that logout removed meanwhile, nor move time back.
        if let Some(session) = self.tables().sessions.get_mut(id) {
            if session.last_active < at {
                session.last_active = at;
            }
        }
        Ok(())
    }

    async fn delete_session(&self, id: &str) -> Result<(), StoreError> {
        self.tables().sessions.remove(id);
        Ok(())
    }

    async fn keep_session(&self, id: &str, generation: u64) -> Result<(), StoreError> {
        if let Some(session) = self.tables().sessions.get_mut(id) {
            session.generation = generation;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::MemoryStore;

    #[tokio::test]
    async fn keeps_the_contract() {
        crate::contract::sessions(&MemoryStore::new(), "memory").await;
    }
}
