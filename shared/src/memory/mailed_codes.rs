//! Open second steps (mailed codes) in memory.

use async_trait::async_trait;

use super::store::{MailedCode, MemoryStore};
use crate::domain::record::Millis;
use crate::ports::{MailedCodes, StoreError};

#[async_trait]
impl MailedCodes for MemoryStore {
    async fn create_mailed_code(
        &self,
        purpose: &str,
        hash: Option<&str>,
        expires: Millis,
    ) -> Result<(), StoreError> {
        let code = MailedCode {
            hash: hash.map(str::to_owned),
            expires,
            attempts: 0,
        };
        self.tables().codes.insert(purpose.to_owned(), code);
        Ok(())
    }

    async fn count_attempt(
        &self,
        purpose: &str,
        limit: u32,
        now: Millis,
    ) -> Result<bool, StoreError> {
        Ok(match self.tables().codes.get_mut(purpose) {
            Some(code) if code.expires > now && code.attempts < limit => {
                code.attempts += 1;
                true
            }
            _ => false,
        })
    }

    async fn take_mailed_code(
        &self,
        purpose: &str,
        hash: &str,
        now: Millis,
    ) -> Result<bool, StoreError> {
        let mut tables = self.tables();
        // A wrong code leaves the right one in place; of two right ones, one wins.
        let right = tables
            .codes
            .get(purpose)
            .is_some_and(|code| code.hash.as_deref() == Some(hash) && code.expires > now);
        if right {
            tables.codes.remove(purpose);
        }
        Ok(right)
    }
}

#[cfg(test)]
mod tests {
    use super::MemoryStore;

    #[tokio::test]
    async fn keeps_the_contract() {
        crate::contract::mailed_codes(&MemoryStore::new(), "memory").await;
    }
}
