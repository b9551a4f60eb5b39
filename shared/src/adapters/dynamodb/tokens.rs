//! Web API tokens, in the registry table.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
use serde::{Deserialize, Serialize};

use super::keys::*;
use super::store::{count_down, count_up, role, to_item, DynamoStore, ItemKind};
use super::values::s;
use crate::domain::auth::ApiToken;
use crate::domain::ids::{AccountId, UserId};
use crate::domain::record::Millis;
use crate::ports::{ApiTokens, Created, StoreError};

/// A token is two items: one found by the secret's hash (authentication), one listed
/// under the account. Both carry everything, so either can rebuild the token.
#[derive(Debug, Serialize, Deserialize)]
struct TokenItem {
    pk: String,
    sk: String,
    id: String,
    account: AccountId,
    user: UserId,
    role: String,
    name: String,
    #[serde(default)]
    created: i64,
    hash: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires: Option<i64>,
}

impl ItemKind for TokenItem {
    const KIND: &'static str = "Web API token";
}

impl TokenItem {
    /// The token's item under (`pk`, `sk`).
    fn new(token: &ApiToken, pk: String, sk: String) -> Self {
        TokenItem {
            pk,
            sk,
            id: token.id.clone(),
            account: token.account.clone(),
            user: token.user.clone(),
            role: token.role.as_str().to_owned(),
            name: token.name.clone(),
            created: token.created.0,
            hash: token.hash.clone(),
            expires: token.expires.map(|at| at.0),
        }
    }
}

impl TryFrom<TokenItem> for ApiToken {
    type Error = StoreError;

    fn try_from(item: TokenItem) -> Result<Self, StoreError> {
        Ok(ApiToken {
            id: item.id,
            account: item.account,
            user: item.user,
            role: role(&item.role)?,
            name: item.name,
            created: Millis(item.created),
            expires: item.expires.map(Millis),
            hash: item.hash,
        })
    }
}

#[async_trait]
impl ApiTokens for DynamoStore {
    async fn create_api_token(&self, token: &ApiToken, limit: u32) -> Result<Created, StoreError> {
        let put = |item: TokenItem| {
            TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name(&self.table)
                        .set_item(Some(to_item(&item)))
                        .condition_expression("attribute_not_exists(pk)")
                        .build()
                        .expect("put is complete"),
                )
                .build()
        };
        let cancelled = self
            .transact(vec![
                count_up(
                    &self.table,
                    account_pk(&token.account),
                    ACCOUNT_SK.into(),
                    "apiTokens",
                    Some(limit),
                ),
                put(TokenItem::new(
                    token,
                    token_pk(&token.hash),
                    TOKEN_SK.into(),
                )),
                put(TokenItem::new(
                    token,
                    account_pk(&token.account),
                    token_sk(&token.id),
                )),
            ])
            .await?;
        Ok(match cancelled {
            None => Created::Created,
            Some(failed) if failed.first() == Some(&true) => Created::LimitReached,
            Some(_) => Created::Exists,
        })
    }

    async fn api_token_by_hash(&self, hash: &str) -> Result<Option<ApiToken>, StoreError> {
        self.get_as::<TokenItem>(token_pk(hash), TOKEN_SK)
            .await?
            .map(ApiToken::try_from)
            .transpose()
    }

    async fn api_tokens(&self, account: &AccountId) -> Result<Vec<ApiToken>, StoreError> {
        self.query_prefix_as::<TokenItem>(account_pk(account), TOKEN_PREFIX)
            .await?
            .into_iter()
            .map(ApiToken::try_from)
            .collect()
    }

    async fn delete_api_token(&self, token: &ApiToken) -> Result<bool, StoreError> {
        let delete = |pk, sk| {
            TransactWriteItem::builder()
                .delete(
                    aws_sdk_dynamodb::types::Delete::builder()
                        .table_name(&self.table)
                        .key("pk", s(pk))
                        .key("sk", s(sk))
                        .condition_expression("attribute_exists(pk)")
                        .build()
                        .expect("delete is complete"),
                )
                .build()
        };
        let cancelled = self
            .transact(vec![
                delete(token_pk(&token.hash), TOKEN_SK.into()),
                delete(account_pk(&token.account), token_sk(&token.id)),
                count_down(
                    &self.table,
                    account_pk(&token.account),
                    ACCOUNT_SK.into(),
                    "apiTokens",
                ),
            ])
            .await?;
        Ok(cancelled.is_none())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::dynamodb::store::from_item;
    use crate::adapters::dynamodb::values::{n, Item};
    use crate::domain::auth::Role;

    #[test]
    fn a_token_is_stored_as_before_and_read_back() {
        let mut token = ApiToken {
            id: "t1".into(),
            account: AccountId::parse("acme").unwrap(),
            user: UserId::parse("ann").unwrap(),
            role: Role::Viewer,
            name: "export".into(),
            created: Millis(1_700_000_000_000),
            expires: None,
            hash: "cafe".into(),
        };
        let item = to_item(&TokenItem::new(&token, token_pk("cafe"), TOKEN_SK.into()));
        assert_eq!(
            item,
            Item::from([
                ("pk".into(), s("APITOKEN#cafe")),
                ("sk".into(), s("APITOKEN")),
                ("id".into(), s("t1")),
                ("account".into(), s("acme")),
                ("user".into(), s("ann")),
                ("role".into(), s("viewer")),
                ("name".into(), s("export")),
                ("created".into(), n(1_700_000_000_000_i64)),
                ("hash".into(), s("cafe")),
            ])
        );
        let read = |item| ApiToken::try_from(from_item::<TokenItem>(item).unwrap()).unwrap();
        assert_eq!(read(item), token);

        token.expires = Some(Millis(1_800_000_000_000));
        let item = to_item(&TokenItem::new(
            &token,
            account_pk(&token.account),
            token_sk("t1"),
        ));
        assert_eq!(item["expires"], n(1_800_000_000_000_i64));
        assert_eq!(read(item), token);
    }
}
