//! Web API tokens in memory.

use async_trait::async_trait;

use super::store::MemoryStore;
use crate::domain::auth::ApiToken;
use crate::domain::ids::AccountId;
use crate::ports::{ApiTokens, Created, StoreError};

#[async_trait]
impl ApiTokens for MemoryStore {
    async fn create_api_token(&self, token: &ApiToken, limit: u32) -> Result<Created, StoreError> {
        let mut tables = self.tables();
        let id = (token.account.clone(), token.id.clone());
        // As DynamoDB reports it: the limit first, then a hash or ID that is taken.
        let room = tables
            .accounts
            .get(&token.account)
            .is_some_and(|e| e.api_tokens < limit);
        if !room {
            return Ok(Created::LimitReached);
        }
        if tables.tokens.contains_key(&token.hash) || tables.token_ids.contains_key(&id) {
            return Ok(Created::Exists);
        }
        if let Some(entry) = tables.accounts.get_mut(&token.account) {
            entry.api_tokens += 1;
        }
        tables.tokens.insert(token.hash.clone(), token.clone());
        tables.token_ids.insert(id, token.clone());
        Ok(Created::Created)
    }

    async fn api_token_by_hash(&self, hash: &str) -> Result<Option<ApiToken>, StoreError> {
        Ok(self.tables().tokens.get(hash).cloned())
    }

    async fn api_tokens(&self, account: &AccountId) -> Result<Vec<ApiToken>, StoreError> {
        Ok(self
            .tables()
            .token_ids
            .iter()
            .filter(|((a, _), _)| a == account)
            .map(|(_, t)| t.clone())
            .collect())
    }

    async fn delete_api_token(&self, token: &ApiToken) -> Result<bool, StoreError> {
        let mut tables = self.tables();
        let id = (token.account.clone(), token.id.clone());
        let counted = tables
            .accounts
            .get(&token.account)
            .is_some_and(|e| e.api_tokens > 0);
        if !tables.tokens.contains_key(&token.hash)
            || !tables.token_ids.contains_key(&id)
            || !counted
        {
            return Ok(false);
        }
        tables.tokens.remove(&token.hash);
        tables.token_ids.remove(&id);
        if let Some(entry) = tables.accounts.get_mut(&token.account) {
            entry.api_tokens -= 1;
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::MemoryStore;

    #[tokio::test]
    async fn keeps_the_contract() {
        crate::contract::api_tokens(&MemoryStore::new(), "memory").await;
    }
}
