//! Web API tokens, in the registry table.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem};

use super::keys::*;
use super::store::{count_down, count_up, role, DynamoStore};
use super::values::{get_n, get_s, n, parse_id, s, Item};
use crate::domain::auth::ApiToken;
use crate::domain::ids::{AccountId, UserId};
use crate::domain::record::Millis;
use crate::ports::{ApiTokens, Created, StoreError};

/// A token is two items: one found by the secret's hash (authentication), one listed
/// under the account. Both carry everything, so either can rebuild the token.
fn token_item(token: &ApiToken, pk: String, sk: String) -> Item {
    let mut item = Item::from([
        ("pk".into(), s(pk)),
        ("sk".into(), s(sk)),
        ("id".into(), s(&token.id)),
        ("account".into(), s(token.account.as_str())),
        ("user".into(), s(token.user.as_str())),
        ("role".into(), s(token.role.as_str())),
        ("name".into(), s(&token.name)),
        ("created".into(), n(token.created.0)),
        ("hash".into(), s(&token.hash)),
    ]);
    if let Some(expires) = token.expires {
        item.insert("expires".into(), n(expires.0));
    }
    item
}

fn parse_token(item: &Item) -> Result<ApiToken, StoreError> {
    Ok(ApiToken {
        id: get_s(item, "id")?.to_owned(),
        account: parse_id(AccountId::parse, get_s(item, "account")?)?,
        user: parse_id(UserId::parse, get_s(item, "user")?)?,
        role: role(item)?,
        name: get_s(item, "name")?.to_owned(),
        created: Millis(get_n(item, "created")?.unwrap_or(0)),
        expires: get_n(item, "expires")?.map(Millis),
        hash: get_s(item, "hash")?.to_owned(),
    })
}

#[async_trait]
impl ApiTokens for DynamoStore {
    async fn create_api_token(&self, token: &ApiToken, limit: u32) -> Result<Created, StoreError> {
        let put = |item| {
            TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name(&self.table)
                        .set_item(Some(item))
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
                put(token_item(token, token_pk(&token.hash), TOKEN_SK.into())),
                put(token_item(
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
        self.get(token_pk(hash), TOKEN_SK)
            .await?
            .map(|item| parse_token(&item))
            .transpose()
    }

    async fn api_tokens(&self, account: &AccountId) -> Result<Vec<ApiToken>, StoreError> {
        self.query_prefix(account_pk(account), TOKEN_PREFIX)
            .await?
            .iter()
            .map(parse_token)
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
