//! Pending password resets, in the registry table.

use async_trait::async_trait;

use super::keys::*;
use super::store::{ttl, DynamoStore};
use super::values::{get_n, get_s, n, parse_id, s, Item};
use crate::domain::auth::PasswordReset;
use crate::domain::ids::{AccountId, UserId};
use crate::domain::record::Millis;
use crate::ports::{Resets, StoreError};

#[async_trait]
impl Resets for DynamoStore {
    async fn create_reset(&self, hash: &str, reset: &PasswordReset) -> Result<(), StoreError> {
        self.put(Item::from([
            ("pk".into(), s(reset_pk(hash))),
            ("sk".into(), s(RESET_SK)),
            ("account".into(), s(reset.account.as_str())),
            ("user".into(), s(reset.user.as_str())),
            ("expires".into(), n(reset.expires.0)),
            ("ttl".into(), ttl(reset.expires)),
        ]))
        .await
    }

    async fn reset(&self, hash: &str) -> Result<Option<PasswordReset>, StoreError> {
        let Some(item) = self.get(reset_pk(hash), RESET_SK).await? else {
            return Ok(None);
        };
        Ok(Some(PasswordReset {
            account: parse_id(AccountId::parse, get_s(&item, "account")?)?,
            user: parse_id(UserId::parse, get_s(&item, "user")?)?,
            expires: Millis(get_n(&item, "expires")?.unwrap_or(0)),
        }))
    }

    async fn take_reset(&self, hash: &str) -> Result<bool, StoreError> {
        self.take(reset_pk(hash), RESET_SK).await
    }
}
