//! Pending password resets, in the registry table.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::keys::*;
use super::store::{to_item, ttl, DynamoStore, ItemKind};
use crate::domain::auth::PasswordReset;
use crate::domain::ids::{AccountId, UserId};
use crate::domain::record::Millis;
use crate::ports::{Resets, StoreError};

/// A pending password reset's item, under the hash of its link's secret.
#[derive(Debug, Serialize, Deserialize)]
struct ResetItem {
    pk: String,
    sk: String,
    account: AccountId,
    user: UserId,
    #[serde(default)]
    expires: i64,
    #[serde(skip_deserializing)]
    ttl: i64,
}

impl ItemKind for ResetItem {
    const KIND: &'static str = "password reset";
}

impl ResetItem {
    fn new(hash: &str, reset: &PasswordReset) -> Self {
        ResetItem {
            pk: reset_pk(hash),
            sk: RESET_SK.to_owned(),
            account: reset.account.clone(),
            user: reset.user.clone(),
            expires: reset.expires.0,
            ttl: ttl(reset.expires),
        }
    }
}

impl From<ResetItem> for PasswordReset {
    fn from(item: ResetItem) -> Self {
        PasswordReset {
            account: item.account,
            user: item.user,
            expires: Millis(item.expires),
        }
    }
}

#[async_trait]
impl Resets for DynamoStore {
    async fn create_reset(&self, hash: &str, reset: &PasswordReset) -> Result<(), StoreError> {
        self.put(to_item(&ResetItem::new(hash, reset))).await
    }

    async fn reset(&self, hash: &str) -> Result<Option<PasswordReset>, StoreError> {
        let item = self.get_as::<ResetItem>(reset_pk(hash), RESET_SK).await?;
        Ok(item.map(PasswordReset::from))
    }

    async fn take_reset(&self, hash: &str) -> Result<bool, StoreError> {
        self.take(reset_pk(hash), RESET_SK).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::dynamodb::store::from_item;
    use crate::adapters::dynamodb::values::{n, s, Item};

    #[test]
    fn a_reset_is_stored_as_before_and_read_back() {
        let reset = PasswordReset {
            account: AccountId::parse("acme").unwrap(),
            user: UserId::parse("ann").unwrap(),
            expires: Millis(1_700_001_800_000),
        };
        let item = to_item(&ResetItem::new("f00d", &reset));
        assert_eq!(
            item,
            Item::from([
                ("pk".into(), s("RESET#f00d")),
                ("sk".into(), s("RESET")),
                ("account".into(), s("acme")),
                ("user".into(), s("ann")),
                ("expires".into(), n(1_700_001_800_000_i64)),
                ("ttl".into(), n(1_700_001_800)),
            ])
        );
        let read = PasswordReset::from(from_item::<ResetItem>(item).unwrap());
        assert_eq!(read, reset);
    }
}
